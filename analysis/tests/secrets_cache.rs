//! `Scanner::scan_cached` must give exactly what `Scanner::scan` gives, whatever was typed: the
//! secret fixtures (every rule's cases, PEM blocks, masked base64, placeholders) with Python
//! code around them, then seeded runs of edits as a person makes them (characters typed and
//! deleted, lines broken and joined, secrets and their keywords typed, a PEM block opened or
//! closed, a mask marker typed, a paste from elsewhere, an edit undone), checked after every
//! edit. Most scans must have been by window, or the test would only compare `scan` with itself.

mod common;

use std::path::Path;

use analysis::{Finding, Scanner, SecretCache};

use common::Xorshift;

/// Edits as a person makes them, at seeded places.
struct Edits(Xorshift);

impl Edits {
    fn edit(&mut self, text: &str, history: &[String]) -> String {
        let at = self.0.offset(text);
        // What gets typed: plain characters, line breaks, quotes, and pieces that open or
        // close a secret's shape (all fake; built so no scanner flags this file).
        let token = format!("ghp_{}", "Zq8Xk2Lm9Pw4Rt7Yv1Nb3Hc6Jd5Fs0Ga2Ue8");
        let typed = [
            "x".to_string(),
            " ".to_string(),
            "\n".to_string(),
            "\n\n".to_string(),
            "'".to_string(),
            "\"".to_string(),
            "=".to_string(),
            "password = ".to_string(),
            "secret_value =\n".to_string(),
            "\"Xq7Rw9ZxT2vLp8Kd\"\n".to_string(),
            "api_key: \"q7Rw9ZxT2vLp8Kd3\"\n".to_string(),
            token,
            format!("-----BEGIN RSA PRIVATE {}-----\n", "KEY"),
            format!("-----END RSA PRIVATE {}-----\n", "KEY"),
            "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTA=\n".to_string(),
            ";base64,".to_string(),
            "postgres://admin:".to_string(),
            "@db.example.com/x\n".to_string(),
        ];
        match self.0.below(7) {
            0..=2 => format!(
                "{}{}{}",
                &text[..at],
                typed[self.0.below(typed.len())],
                &text[at..]
            ),
            3 => {
                let mut end = (at + 1 + self.0.below(40)).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                format!("{}{}", &text[..at], &text[end..])
            }
            4 => match text[at..].find('\n') {
                // Join a line with the next one.
                Some(nl) => format!("{}{}", &text[..at + nl], &text[at + nl + 1..]),
                None => text.to_string(),
            },
            5 => {
                // Paste a few lines from elsewhere in the text.
                let from = self.0.offset(text);
                let mut end = (from + self.0.below(300)).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                format!("{}{}{}", &text[..at], &text[from..end], &text[at..])
            }
            _ => history[self.0.below(history.len())].clone(),
        }
    }
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replace("%%", "")
}

/// The secret fixtures between stretches of ordinary code, as a real file would hold them.
fn document() -> String {
    let code = std::fs::read_dir(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules/python"),
    )
    .expect("python rule fixtures")
    .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("fixture"))
    .take(4)
    .collect::<Vec<_>>();
    assert!(
        !code.is_empty(),
        "python rule fixtures to surround the secrets"
    );
    format!(
        "{}\n{}\n{}\n{}\n",
        code.join("\n"),
        fixture("secrets.txt"),
        fixture("settings.py"),
        code.join("\n")
    )
}

/// `text` scanned, then scanned again with `typed` inserted where `marker` starts, through one
/// cache: the findings before and after, the second checked against the whole scan and done by
/// window (only the first scan read the whole text).
fn type_before<'s>(
    scanner: &'s Scanner,
    text: &str,
    marker: &str,
    typed: &str,
) -> (Vec<Finding<'s>>, Vec<Finding<'s>>, String) {
    let mut cache = SecretCache::default();
    let before = scanner.scan_cached(text, &mut cache);
    let at = text.find(marker).expect("the marker");
    let edited = format!("{}{typed}{}", &text[..at], &text[at..]);
    let after = scanner.scan_cached(&edited, &mut cache);
    assert_eq!(after, scanner.scan(&edited));
    assert_eq!(
        cache.scans(),
        (2, 1),
        "only the first scan read the whole text"
    );
    (before, after, edited)
}

#[test]
fn scans_by_window_equal_whole_scans_through_runs_of_edits() {
    let scanner = Scanner::builtin();
    let start = document();
    let mut compared = 0;
    let mut found = 0;
    for seed in [
        0x9e37_79b9_7f4a_7c15_u64,
        0x2545_f491_4f6c_dd1d,
        0x5851_f42d_4c95_7f2d,
    ] {
        let mut edits = Edits(Xorshift(seed));
        let mut cache = SecretCache::default();
        let mut text = start.clone();
        let mut history = vec![text.clone()];
        for step in 0..300 {
            let whole = scanner.scan(&text);
            let cached = scanner.scan_cached(&text, &mut cache);
            assert_eq!(
                cached, whole,
                "seed {seed:x}, step {step}: the scan by window differs from the whole scan"
            );
            compared += 1;
            found += whole.len();
            text = edits.edit(&text, &history);
            history.push(text.clone());
        }
        let (scans, whole_scans) = cache.scans();
        assert_eq!(scans, 300);
        assert!(
            whole_scans * 5 < scans,
            "seed {seed:x}: {whole_scans} of {scans} scans went over the whole text"
        );
    }
    assert!(
        found > compared * 20,
        "secrets to compare: {found} over {compared} scans"
    );
}

#[test]
fn a_typed_secret_is_found_and_one_taken_away_is_gone() {
    let scanner = Scanner::builtin();
    let text = document();
    let mut cache = SecretCache::default();
    let before = scanner.scan_cached(&text, &mut cache);
    let at = text.len() / 2 + text[text.len() / 2..].find('\n').expect("a line end") + 1;
    let token = format!("ghp_{}", "Zq8Xk2Lm9Pw4Rt7Yv1Nb3Hc6Jd5Fs0Ga2Ue8");
    let typed = format!("{}token = \"{token}\"\n{}", &text[..at], &text[at..]);
    let after = scanner.scan_cached(&typed, &mut cache);
    assert_eq!(after.len(), before.len() + 1);
    assert!(
        after
            .iter()
            .any(|f| f.rule_id == "github-pat" && typed[f.range.clone()] == token),
        "the typed token is a finding"
    );
    assert_eq!(scanner.scan_cached(&text, &mut cache), before);
    assert_eq!(
        cache.scans(),
        (3, 1),
        "only the first scan read the whole text"
    );
}

#[test]
fn a_secret_whose_name_is_lines_above_the_edit_is_found() {
    // `name =` on one line, the quoted value typed two lines below: one match over three lines,
    // starting above the line that changed.
    let scanner = Scanner::builtin();
    let text = format!(
        "{}\nsigning_secret =\n\n\nedit_marker_7f3 = 0\n{}",
        document(),
        document()
    );
    let (before, after, _) = type_before(
        scanner,
        &text,
        "edit_marker_7f3 = 0",
        "\"Xq7Rw9ZxT2vLp8Kd\"",
    );
    assert_eq!(
        after.len(),
        before.len() + 1,
        "the value typed below its name"
    );
}

#[test]
fn a_match_over_the_window_edge_is_kept_whole() {
    // `name =` and its value on two lines, the value's line exactly where the window of an edit
    // `MARGIN` lines below starts: the old match crosses the window's edge.
    let scanner = Scanner::builtin();
    let filler = "x = 1\n".repeat(analysis::secrets::MARGIN - 1);
    let text = format!(
        "{}\nsigning_secret =\n\"Xq7Rw9ZxT2vLp8Kd\"\n{filler}edit_marker_7f3 = 0\n{}",
        document(),
        document()
    );
    let (before, after, _) = type_before(scanner, &text, "edit_marker_7f3 = 0", "y");
    assert_eq!(after.len(), before.len());
}

#[test]
fn a_multiline_rule_is_searched_in_the_whole_text() {
    // A rule table's own pattern that runs over any number of lines: completing its last line
    // makes a match that starts far above the window.
    let scanner = Scanner::from_toml(
        r#"
[[rule]]
id = "block"
description = "a block"
regex = '''(?s)BEGIN(.*?)END'''
keywords = ["begin"]
secret_group = 1
multiline = true
"#,
    )
    .expect("the table compiles");
    let text = format!("BEGIN\n{}EN\n", "line of text\n".repeat(40));
    let mut cache = SecretCache::default();
    assert!(scanner.scan_cached(&text, &mut cache).is_empty());
    let typed = text.replace("EN\n", "END\n");
    let after = scanner.scan_cached(&typed, &mut cache);
    assert_eq!(after, scanner.scan(&typed));
    assert_eq!(after.len(), 1);
    assert_eq!(cache.scans(), (2, 1));
}

#[test]
fn a_match_that_reaches_the_window_end_is_searched_past_it() {
    // The window's last line is an AWS secret whose pattern takes the line break after it: a
    // search cut at the window's end cannot tell whether more text would change the match, so
    // that rule is searched again past the cut (and the secret is still found).
    let scanner = Scanner::builtin();
    let filler = "x = 1\n".repeat(analysis::secrets::MARGIN - 1);
    let text = format!(
        "{}\nedit_marker_7f3 = 0\n{filler}aws_secret = Tq8vZ3Lm2Xw9Rp4Ks7Nd1Hy6Jf5Gb0Uc3Ve8Io2Q\nprint(2)\n{}",
        document(),
        document()
    );
    let (before, after, typed) = type_before(scanner, &text, "edit_marker_7f3 = 0", "y");
    assert_eq!(after.len(), before.len());
    assert!(
        after.iter().any(|f| f.rule_id == "aws-secret-access-key"
            && typed[f.range.clone()].starts_with("Tq8vZ3"))
    );
}

#[test]
fn an_edit_inside_a_multibyte_character_is_taken_whole() {
    // `é` and `è` share their first byte: the bytes that differ start inside the character.
    let scanner = Scanner::builtin();
    let text = format!("{}\nname = 'café'\n{}", document(), document());
    let edited = text.replace("café", "cafè");
    let mut cache = SecretCache::default();
    scanner.scan_cached(&text, &mut cache);
    assert_eq!(
        scanner.scan_cached(&edited, &mut cache),
        scanner.scan(&edited)
    );
    assert_eq!(cache.scans(), (2, 1));
}
