//! Token counters without network data: exact counts from a small `tokenizer.json` fixture
//! (special tokens count once), the estimate's floor, and the prompt builder on the exact
//! counter.

use assist::prompt::{FimConfig, FimRequest, ModelFamily, NoRedaction, build_fim};
use assist::tokens::{EstimatedTokens, ExactTokens, TokenCounter, calibrate, measure};
use syntax::Language;

const WORDLEVEL: &[u8] = include_bytes!("fixtures/tokens/wordlevel-fim.json");

#[test]
fn exact_counts_special_tokens_once() {
    let exact = ExactTokens::from_bytes(WORDLEVEL).expect("fixture loads");
    assert_eq!(exact.count(""), 0);
    // The Whitespace pre-tokenizer keeps runs of punctuation together: `):` is one word.
    assert_eq!(exact.count("def f(x):"), 5);
    assert_eq!(
        exact.count("<|fim_prefix|>def f<|fim_suffix|>x<|fim_middle|>"),
        6
    );
}

#[test]
fn a_broken_tokenizer_is_an_error() {
    assert!(ExactTokens::from_bytes(b"{not json").is_err());
}

#[test]
fn the_estimate_never_counts_text_as_free() {
    for language in Language::ALL.map(Some).into_iter().chain([None]) {
        let estimate = EstimatedTokens::for_language(language);
        assert_eq!(estimate.count(""), 0);
        assert!(estimate.count(" ") >= 1, "{language:?}");
        assert!(estimate.count("fn main() {}") >= 3, "{language:?}");
    }
}

#[test]
fn calibration_recovers_a_known_rate_and_measures_it() {
    // A counter that spends one token per identifier run and per punctuation mark.
    struct Runs;
    impl TokenCounter for Runs {
        fn count(&self, text: &str) -> usize {
            let f = assist::tokens::features(text);
            (f[0] + f[3]) as usize
        }
    }
    let samples = [
        "def f(x): return x",
        "a.b(c, d)",
        "while True: pass",
        "x = y + z",
    ];
    let fitted = calibrate(&samples, &Runs);
    let estimate = EstimatedTokens {
        weights: fitted.weights,
        margin: fitted.margin,
    };
    let error = measure(&samples, &Runs, &estimate);
    assert_eq!(error.under, 0, "{fitted:?} {error:?}");
    assert!(error.mean_abs_raw < 0.05, "{fitted:?} {error:?}");
}

#[test]
fn prompts_on_the_exact_counter_report_its_count() {
    let exact = ExactTokens::from_bytes(WORDLEVEL).expect("fixture loads");
    let prefix = "def f(x):\n    return x\n".repeat(20);
    for budget in [3, 10, 40, 200] {
        let request = FimRequest {
            path: "a.py",
            language: Some(Language::Python),
            prefix: &prefix,
            suffix: "def f(x):\n",
            cursor_line: 41,
            snippets: &[],
            repo_name: "",
        };
        let config = FimConfig {
            family: ModelFamily::QwenCoder,
            budget,
            ..FimConfig::default()
        };
        let prompt = build_fim(&request, &config, &exact, &NoRedaction).expect("fits");
        assert_eq!(prompt.tokens, exact.count(&prompt.text));
        assert!(prompt.tokens <= budget, "{budget}: {}", prompt.tokens);
    }
}
