//! `DocumentTrees` re-parses edited documents incrementally; what it hands back must be exactly
//! what a fresh parse gives. Each real fixture file is edited the way a person types (inserted
//! characters and lines, deletions, a paste, non-ASCII text), and after every edit the tree and
//! the tags are compared with a fresh parse of the same text.

use std::path::Path;

use syntax::Language;
use syntax::documents::{DocumentTrees, Parsed};
use tree_sitter::Parser;

/// A small seeded generator (xorshift64*), so every run makes the same edits.
struct Seeded(u64);

impl Seeded {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }
}

const INSERTS: &[&str] = &[
    "x",
    " ",
    "\n",
    "(",
    ")",
    "{",
    "}",
    "\"",
    "é",
    "値",
    "return value\n",
    "if ready:\n    go()\n",
    "function f(a) { return a; }\n",
];

/// Some edit of `text` at a random character boundary.
fn edit(text: &str, rng: &mut Seeded) -> String {
    let boundaries: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let at = boundaries[rng.below(boundaries.len())];
    match rng.below(3) {
        0 | 1 => {
            let insert = INSERTS[rng.below(INSERTS.len())];
            format!("{}{insert}{}", &text[..at], &text[at..])
        }
        _ => {
            let ends: Vec<usize> = boundaries
                .iter()
                .copied()
                .filter(|&b| b > at && b <= at + 40)
                .collect();
            match ends.get(rng.below(ends.len())) {
                Some(&end) => format!("{}{}", &text[..at], &text[end..]),
                None => text.to_string(),
            }
        }
    }
}

fn fresh_sexp(language: Language, text: &str) -> String {
    let mut parser = Parser::new();
    parser
        .set_language(&syntax::grammar::grammar(language).unwrap())
        .unwrap();
    parser.parse(text, None).unwrap().root_node().to_sexp()
}

#[test]
fn incremental_trees_and_tags_equal_fresh_ones_after_every_edit() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the real fixtures are missing");
    let mut rng = Seeded(0x5eed_d0c5);
    let mut incremental = 0;
    for file in files {
        let path = file.file_name().unwrap().to_str().unwrap().to_string();
        let mut text = std::fs::read_to_string(&file).unwrap();
        let language = Language::detect(&path, &text).unwrap();
        let mut trees = DocumentTrees::new(4);
        for step in 0..12 {
            let (tree, parsed) = trees.tree(&path, language, &text).unwrap();
            if step == 0 {
                assert_eq!(parsed, Parsed::Fresh);
            } else if parsed == Parsed::Incremental {
                incremental += 1;
            }
            assert_eq!(
                tree.root_node().to_sexp(),
                fresh_sexp(language, &text),
                "{path} after {step} edits"
            );
            assert_eq!(
                trees.tags(&path, language, &text),
                syntax::tags::tags(language, &text),
                "{path}: tags after {step} edits"
            );
            text = edit(&text, &mut rng);
        }
    }
    assert!(incremental > 50, "only {incremental} incremental parses");
}

#[test]
fn same_text_reuses_the_tree_and_the_cache_is_bounded() {
    let mut trees = DocumentTrees::new(2);
    let text = "def f():\n    return 1\n";
    let parse = |trees: &mut DocumentTrees, path: &str, text: &str| {
        trees.tree(path, Language::Python, text).unwrap().1
    };
    assert_eq!(parse(&mut trees, "a.py", text), Parsed::Fresh);
    assert_eq!(parse(&mut trees, "a.py", text), Parsed::Unchanged);
    assert_eq!(
        parse(&mut trees, "a.py", "def f():\n    return 12\n"),
        Parsed::Incremental
    );
    assert_eq!(parse(&mut trees, "b.py", text), Parsed::Fresh);
    assert_eq!(parse(&mut trees, "c.py", text), Parsed::Fresh);
    // a.py was the least recently used of three in a cache of two.
    assert_eq!(parse(&mut trees, "a.py", text), Parsed::Fresh);
    assert_eq!(parse(&mut trees, "c.py", text), Parsed::Unchanged);
    trees.forget("c.py");
    assert_eq!(parse(&mut trees, "c.py", text), Parsed::Fresh);
    // Another language for the same path is another document.
    let (_, parsed) = trees.tree("c.py", Language::JavaScript, "f()").unwrap();
    assert_eq!(parsed, Parsed::Fresh);
}
