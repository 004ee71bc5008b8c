//! Where a keystroke's analysis of a 100 KB file goes, natively: the incremental re-parse, the
//! syntax diagnostics, the security rules and the secret scan (whole, and by the lines around
//! the change as `Engine.analyze` runs it), each timed apart on the same text
//! the in-tab bench (`tests/bench/analysis.mjs`) uses for Python: requests' sources from
//! `.cache/sample/requests` (`cargo xtask setup`) concatenated to about 100 KB. Run with
//! `cargo run --release -p pilotfish-analysis --example keystroke_timing`.

use std::time::{Duration, Instant};

use syntax::Language;
use syntax::documents::DocumentTrees;

fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e} (run `cargo xtask setup`)", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "py") {
            out.push(path);
        }
    }
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/sample/requests");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut text = String::new();
    for path in files.iter().cycle() {
        if text.len() >= 100 * 1024 {
            break;
        }
        text.push_str(&std::fs::read_to_string(path).expect("source"));
        text.push('\n');
    }
    let at = text[text.len() / 2..].find('\n').expect("a line end") + text.len() / 2;
    let typed = format!("{} {}", &text[..at], &text[at..]);
    let language = Language::Python;
    let mut trees = DocumentTrees::new(1);
    let rules = analysis::rules::RuleSet::builtin(language).expect("python rules");
    trees.tree("big.py", language, &text);
    rules.check_tree(
        &trees.tree("big.py", language, &text).expect("tree").0,
        &text,
    );
    let rounds = 40;
    let mut cache = analysis::rules::FindingCache::default();
    let mut cached = Duration::ZERO;
    let mut secrets_cache = analysis::SecretCache::default();
    let mut secrets_windowed = Duration::ZERO;
    let (mut parse, mut diagnose, mut check, mut secrets) = (
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
    );
    for round in 0..rounds {
        let now = if round % 2 == 0 { &typed } else { &text };
        let t = Instant::now();
        let (tree, _) = trees.tree("big.py", language, now).expect("tree");
        parse += t.elapsed();
        let t = Instant::now();
        std::hint::black_box(analysis::diagnostics::diagnose_tree(language, &tree, now));
        diagnose += t.elapsed();
        let t = Instant::now();
        std::hint::black_box(rules.check_tree(&tree, now));
        check += t.elapsed();
        let t = Instant::now();
        std::hint::black_box(rules.check_tree_cached(&tree, now, &mut cache));
        cached += t.elapsed();
        let t = Instant::now();
        std::hint::black_box(analysis::scan(now));
        secrets += t.elapsed();
        let t = Instant::now();
        std::hint::black_box(analysis::Scanner::builtin().scan_cached(now, &mut secrets_cache));
        secrets_windowed += t.elapsed();
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0 / rounds as f64;
    println!(
        "{} bytes: incremental parse {:.2} ms, diagnostics {:.2} ms, rules {:.2} ms (through the cache {:.2} ms), secret scan {:.2} ms (by window {:.3} ms) per keystroke",
        text.len(),
        ms(parse),
        ms(diagnose),
        ms(check),
        ms(cached),
        ms(secrets),
        ms(secrets_windowed)
    );
}
