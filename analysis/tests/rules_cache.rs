//! `RuleSet::check_tree_cached` must give exactly what `check_tree` gives, whatever was typed:
//! each language family's rule fixtures (every rule with its `ruleid:` and `ok:` lines) as one
//! file, then a seeded run of edits as a person makes them (characters typed and deleted,
//! lines broken and joined, a `nosec` comment added, a quote opened, an edit undone), checked
//! after every edit with one cache shared by the whole run and by a second file.

mod common;

use std::path::Path;

use analysis::rules::{FindingCache, RuleSet};
use syntax::Language;
use tree_sitter::Parser;

use common::Xorshift;

/// Edits as a person makes them, at seeded places.
struct Edits(Xorshift);

impl Edits {
    fn edit(&mut self, text: &str, history: &[String]) -> String {
        let at = self.0.offset(text);
        let typed = [
            "x",
            " ",
            "\n",
            "(",
            ")",
            "'",
            "\"",
            "  # nosec",
            "os.system(cmd)\n",
            "{",
        ];
        match self.0.below(5) {
            0 | 1 => format!(
                "{}{}{}",
                &text[..at],
                typed[self.0.below(typed.len())],
                &text[at..]
            ),
            2 => {
                let mut end = (at + 1 + self.0.below(12)).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                format!("{}{}", &text[..at], &text[end..])
            }
            3 => {
                // Join a line with the next one.
                match text[at..].find('\n') {
                    Some(nl) => format!("{}{}", &text[..at + nl], &text[at + nl + 1..]),
                    None => text.to_string(),
                }
            }
            _ => history[self.0.below(history.len())].clone(),
        }
    }
}

fn fixtures(family: &str, extension: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules")
        .join(family);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no fixtures in {}", dir.display());
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("fixture"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn cached_checks_equal_full_checks_through_a_run_of_edits() {
    for (family, extension, language) in [
        ("python", "py", Language::Python),
        ("javascript", "js", Language::JavaScript),
        ("go", "go", Language::Go),
        ("java", "java", Language::Java),
    ] {
        let rules = RuleSet::builtin(language).expect("built-in rules");
        let mut parser = Parser::new();
        parser
            .set_language(&syntax::grammar::grammar(language).expect("grammar"))
            .expect("grammar loads");
        let other = fixtures(family, extension);
        let other_tree = parser.parse(&other, None).expect("parses");
        // The default, and every node with children split (then every match comes from the
        // queries at split nodes), and something between.
        for split in [analysis::rules::SPLIT_BYTES, 0, 200] {
            let mut cache = FindingCache::default().split_above(split);
            let mut text = other.clone();
            let mut history = vec![text.clone()];
            let mut edits = Edits(Xorshift(0x9e37_79b9_7f4a_7c15));
            let mut found = 0;
            for step in 0..120 {
                let tree = parser.parse(&text, None).expect("parses");
                let full = rules.check_tree(&tree, &text);
                let cached = rules.check_tree_cached(&tree, &text, &mut cache);
                assert_eq!(
                    cached, full,
                    "{family}, split above {split} bytes, step {step}: cached and full checks differ"
                );
                found += full.len();
                if step % 10 == 0 {
                    // Another file through the same cache in between.
                    assert_eq!(
                        rules.check_tree_cached(&other_tree, &other, &mut cache),
                        rules.check_tree(&other_tree, &other),
                        "{family}, step {step}: the second file"
                    );
                }
                text = edits.edit(&text, &history);
                history.push(text.clone());
            }
            assert!(
                found > 120,
                "{family}: the fixtures had findings to compare ({found})"
            );
        }
    }
}

#[test]
fn an_unchanged_file_is_answered_from_the_cache_and_one_edit_adds_one_statement() {
    let text = fixtures("python", "py");
    let mut parser = Parser::new();
    parser
        .set_language(&syntax::grammar::grammar(Language::Python).expect("grammar"))
        .expect("grammar loads");
    let rules = RuleSet::builtin(Language::Python).expect("rules");
    let mut cache = FindingCache::default();
    let tree = parser.parse(&text, None).expect("parses");
    let first = rules.check_tree_cached(&tree, &text, &mut cache);
    let statements = cache.len();
    assert!(
        statements > 50,
        "one entry per distinct top-level statement: {statements}"
    );
    assert_eq!(rules.check_tree_cached(&tree, &text, &mut cache), first);
    assert_eq!(cache.len(), statements, "nothing new for the same text");
    // A finding typed at the end: one new statement, the old ones still found.
    let typed = format!("{text}\nimport os\nos.system(user_input)\n");
    let tree = parser.parse(&typed, None).expect("parses");
    let after = rules.check_tree_cached(&tree, &typed, &mut cache);
    assert!(
        cache.len() <= statements + 2,
        "{} entries after one edit",
        cache.len()
    );
    assert_eq!(after, rules.check_tree(&tree, &typed));
    assert!(after.len() > first.len(), "the typed call is a finding");
}
