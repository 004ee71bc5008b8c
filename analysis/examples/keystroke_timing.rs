//! Where a keystroke's analysis of a 100 KB file goes, natively: the incremental re-parse, the
//! syntax diagnostics, the security rules and the secret scan (through their caches as
//! `Engine.analyze` runs them, and whole for comparison), each timed apart, on the texts the
//! in-tab bench (`tests/bench/analysis.mjs`) uses: requests' sources from `.cache/sample/requests`
//! (`cargo xtask setup`) and minisearch's ES build from `node_modules`, each concatenated to
//! 100 KB, with a space typed at the ends of 30 lines spread through the file. Run with
//! `cargo run --release -p pilotfish-analysis --example keystroke_timing`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use syntax::Language;
use syntax::documents::DocumentTrees;

fn sources(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e} (run `cargo xtask setup`)", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, extension, out);
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
}

/// About 100 KB of the files under `dir` ending in `extension`, whole files, in name order.
fn sample(dir: &str, extension: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let mut files = Vec::new();
    sources(&root, extension, &mut files);
    let mut text = String::new();
    for path in files.iter().cycle() {
        if text.len() >= 100 * 1024 {
            break;
        }
        text.push_str(&std::fs::read_to_string(path).expect("source"));
        text.push('\n');
    }
    // Cut at a line end as the in-tab bench cuts: the last file is left unfinished, as a file
    // being written often is.
    let cut = text[..100 * 1024].rfind('\n').expect("lines") + 1;
    text.truncate(cut);
    text
}

fn main() {
    keystrokes(
        Language::Python,
        "big.py",
        &sample(".cache/sample/requests", "py"),
    );
    keystrokes(
        Language::JavaScript,
        "big.js",
        &sample("node_modules/minisearch/dist/es", "js"),
    );
}

fn keystrokes(language: Language, path: &str, text: &str) {
    let text = text.to_string();
    // Keystrokes all over the file: a space typed at the end of a line and taken away again,
    // at 30 lines spread evenly (as the in-tab bench does).
    let edits: Vec<String> = (0..30)
        .map(|i| {
            let from = text.len() * (2 * i + 1) / 60;
            let at = from + text[from..].find('\n').expect("a line end");
            format!("{} {}", &text[..at], &text[at..])
        })
        .collect();
    let mut trees = DocumentTrees::new(1);
    let rules = analysis::rules::RuleSet::builtin(language).expect("built-in rules");
    let mut cache = analysis::rules::FindingCache::default();
    let mut secrets_cache = analysis::SecretCache::default();
    let tree = trees.tree(path, language, &text).expect("tree").0;
    rules.check_tree_cached(&tree, &text, &mut cache);
    analysis::Scanner::builtin().scan_cached(&text, &mut secrets_cache);
    // Per keystroke: (incremental parse, diagnostics, rules through the cache, secrets by
    // window, whole rules, whole secret scan).
    let mut phases: Vec<[Duration; 6]> = Vec::new();
    for typed in &edits {
        for now in [typed, &text] {
            let mut times = [Duration::ZERO; 6];
            let t = Instant::now();
            let (tree, _) = trees.tree(path, language, now).expect("tree");
            times[0] = t.elapsed();
            let t = Instant::now();
            std::hint::black_box(analysis::diagnostics::diagnose_tree(language, &tree, now));
            times[1] = t.elapsed();
            let t = Instant::now();
            std::hint::black_box(rules.check_tree_cached(&tree, now, &mut cache));
            times[2] = t.elapsed();
            let t = Instant::now();
            std::hint::black_box(analysis::Scanner::builtin().scan_cached(now, &mut secrets_cache));
            times[3] = t.elapsed();
            let t = Instant::now();
            std::hint::black_box(rules.check_tree(&tree, now));
            times[4] = t.elapsed();
            let t = Instant::now();
            std::hint::black_box(analysis::scan(now));
            times[5] = t.elapsed();
            phases.push(times);
        }
    }
    println!(
        "{path}: {} bytes, {} keystrokes at 30 places; ms median / p95 / worst:",
        text.len(),
        phases.len()
    );
    let names = [
        "incremental parse",
        "diagnostics",
        "rules through the cache",
        "secret scan by window",
        "(rules over the whole tree)",
        "(secret scan of the whole text)",
    ];
    for (i, name) in names.iter().enumerate() {
        let mut ms: Vec<f64> = phases.iter().map(|p| p[i].as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        println!(
            "  {name}: {:.2} / {:.2} / {:.2}",
            ms[ms.len() / 2],
            ms[ms.len() * 95 / 100],
            ms[ms.len() - 1]
        );
    }
}
