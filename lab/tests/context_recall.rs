//! The context-recall benchmark on a package small enough to count by hand.

use assist::TokenCounter;
use lab::context_recall::{RecallConfig, context_recall};
use syntax::Language;

struct Words;
impl TokenCounter for Words {
    fn count(&self, text: &str) -> usize {
        text.split_whitespace().count()
    }
}

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

#[test]
fn counts_cross_file_definitions_of_removed_bodies() {
    let package = files(&[
        (
            "pkg/app.py",
            "from .store import load_rows, Row\n\n\ndef report(path):\n    rows = load_rows(path)\n    return [Row(r) for r in rows]\n\n\ndef local():\n    return report('x')\n",
        ),
        (
            "pkg/store.py",
            "class Row:\n    def __init__(self, raw):\n        self.raw = raw\n\n\ndef load_rows(path):\n    with open(path) as f:\n        return f.readlines()\n",
        ),
    ]);
    let recall = context_recall(
        &package,
        Language::Python,
        &RecallConfig::default(),
        &Words,
        &|| 0.0,
    );
    // `report` uses `load_rows` and `Row` from store.py; `local` uses only `report` (same file),
    // and store.py's functions use nothing from app.py.
    assert_eq!(recall.samples, 1, "{recall:?}");
    assert_eq!(recall.targets, 2, "{recall:?}");
    assert_eq!(recall.recalled[0], 2, "gathered: {recall:?}");
    assert_eq!(recall.recalled[2], 2, "imported definitions: {recall:?}");
    assert!(recall.context_tokens[0] > 0, "{recall:?}");
    assert_eq!(recall.prompt_ms, [0.0], "one timing per sample");
}
