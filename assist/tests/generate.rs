//! The generate task's pure half: answers split into implementation and tests (fixtures in
//! `generate_fixtures/`, one answer each with the expected split below it; `UPDATE_EXPECT=1`
//! rewrites the expectations), the request's wording, the feedback message and the rounds.

use std::path::Path;

use assist::generate::{
    CodeFindings, GenerateSpec, HostDiagnostic, Outcome, RefineConfig, Refinement, RoundInput,
    RunReport, TestResult, TestStyle, Verdict, check_code, code_blocks, feedback_message,
    generate_request, split_answer,
};
use assist::metrics::Pricing;
use assist::routing::Routes;
use expect_test::expect;
use protocol::Usage;
use syntax::Language;

/// Renders a split the way the fixtures spell their expectations.
fn render(language: Language, answer: &str) -> String {
    let generated = split_answer(language, answer);
    format!(
        "--- implementation\n{}--- tests\n{}--- notes\n{}",
        generated.implementation,
        generated.tests,
        generated
            .notes
            .iter()
            .map(|n| format!("{n}\n"))
            .collect::<String>()
    )
}

#[test]
fn answers_split_as_the_fixtures_say() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/generate_fixtures");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    assert!(paths.len() >= 14, "fixtures missing in {}", dir.display());
    let mut failures = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let (head, rest) = text
            .split_once("\n--- answer\n")
            .expect("a `--- answer` line");
        let language = Language::from_name(head.trim_start_matches("language:").trim())
            .unwrap_or_else(|| panic!("{}: unknown language line {head:?}", path.display()));
        let (answer, expected) = match rest.find("--- implementation\n") {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, ""),
        };
        let actual = render(language, answer);
        if update {
            std::fs::write(&path, format!("{head}\n--- answer\n{answer}{actual}")).unwrap();
        } else if actual != expected {
            failures.push(format!(
                "{}\n--- expected\n{expected}--- actual\n{actual}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn blocks_keep_their_info_line_and_closing_state() {
    let blocks = code_blocks("intro\n```ts title=\"a.ts\"\nlet a = 1;\n```\nmid\n~~~\nrest\n");
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].tag(), "ts");
    assert_eq!(blocks[0].info, "ts title=\"a.ts\"");
    assert_eq!(blocks[0].intro, "intro");
    assert_eq!((blocks[0].line, blocks[0].closed), (2, true));
    assert_eq!(
        (blocks[1].line, blocks[1].closed, blocks[1].intro.as_str()),
        (6, false, "mid")
    );
    // A shorter fence inside does not close a longer one.
    let nested = code_blocks("````md\n```\ninner\n```\n````\n");
    assert_eq!(nested.len(), 1);
    assert_eq!(nested[0].code, "```\ninner\n```\n");
    assert!(code_blocks("  \n\n").is_empty());
}

#[test]
fn the_request_names_the_test_style_and_the_fences() {
    let spec = GenerateSpec::new("Write `slug(text)`.", Language::Python).unwrap();
    assert_eq!(spec.style, TestStyle::PythonUnittest);
    let text = generate_request(&spec);
    expect![[r#"
        Write `slug(text)`.

        Write the implementation in Python and at least 3 tests for it. Write the tests as `unittest.TestCase` classes with `self.assertEqual` and friends; do not call `unittest.main()`. The tests see the implementation's top-level names, or import them with `from solution import ...`. Only the standard library is available, with no network and no file system.

        Answer with exactly two fenced code blocks and nothing else in them:
        1. the implementation, fenced as ```python
        2. the tests, fenced as ```python tests
        Cover the normal case, an edge case (empty input, zero, boundaries) and an error case."#]]
    .assert_eq(&text);
    let ts = generate_request(&GenerateSpec::new("x", Language::TypeScript).unwrap());
    assert!(ts.contains("in TypeScript") && ts.contains("```ts tests"));
    assert!(ts.contains("`test(\"name\", () => { ... })`") && ts.contains("./solution.js"));
    let asserts = GenerateSpec {
        style: TestStyle::PythonAsserts,
        min_tests: 5,
        ..GenerateSpec::new("x", Language::Python).unwrap()
    };
    let text = generate_request(&asserts);
    assert!(text.contains("at least 5 tests") && text.contains("plain `assert`"));
    assert!(GenerateSpec::new("x", Language::Rust).is_none());
}

fn failing_run() -> RunReport {
    RunReport {
        tests: vec![
            TestResult {
                name: "adds".into(),
                passed: true,
                ..TestResult::default()
            },
            TestResult {
                name: "negative".into(),
                passed: false,
                error: Some(
                    "AssertionError: -3 != 3\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8"
                        .into(),
                ),
                stdout: "computing\n".into(),
                ..TestResult::default()
            },
        ],
        ..RunReport::default()
    }
}

#[test]
fn feedback_lists_failures_findings_and_host_errors() {
    let code = "def add(a, b):\n    return eval(f\"{a} + {b}\")\n";
    let findings = check_code(Language::Python, code);
    assert_eq!(findings.syntax, vec![]);
    assert_eq!(findings.security.len(), 1, "{findings:?}");
    let broken = check_code(Language::Python, "def add(a, b:\n    return a\n");
    assert!(!broken.syntax.is_empty());
    let run = failing_run();
    let host = [
        HostDiagnostic {
            message: "Argument of type \"str\" is not assignable".into(),
            line: 3,
            column: 9,
            severity: "error".into(),
            source: Some("pyright".into()),
        },
        HostDiagnostic {
            message: "unused import".into(),
            line: 1,
            column: 1,
            severity: "warning".into(),
            source: None,
        },
    ];
    let notes = ["the answer ended inside a code block (no closing fence)".to_owned()];
    let verdict = Verdict {
        run: &run,
        implementation: findings,
        tests: broken,
        host: &host,
        notes: &notes,
        min_tests: 3,
    };
    assert!(!verdict.accepted());
    let message = feedback_message(Language::Python, &verdict);
    let message = message.replace(verdict.implementation.security[0].rule.as_str(), "RULE");
    expect![[r#"
        Your previous answer did not pass validation.

        Failing tests (1 of 2):
        - `negative`: AssertionError: -3 != 3
            line 2
            line 3
            line 4
            line 5
            line 6 …(cut)
          stdout: computing

        Only 2 test(s) ran; write at least 3.

        Syntax errors in the tests:
        - line 1:8: unclosed `(`

        Security findings in the implementation (rewrite the code so they go away):
        - line 2 [RULE, CWE-95, high]: `eval` runs Python code built at run time. Fix: Parse data with `ast.literal_eval` or `json.loads`; never evaluate a string that input can reach.

        Type checker errors:
        - line 3:9 [pyright]: Argument of type "str" is not assignable

        About the shape of your answer:
        - the answer ended inside a code block (no closing fence)

        Fix the implementation (or a test, if the test itself is wrong) and answer again with both blocks: the implementation fenced as ```python and the tests fenced as ```python tests."#]]
    .assert_eq(&message);
}

#[test]
fn a_run_that_stopped_says_why_and_is_never_accepted() {
    let passing: Vec<TestResult> = (0..3)
        .map(|i| TestResult {
            name: format!("t{i}"),
            passed: true,
            ..TestResult::default()
        })
        .collect();
    let clean = check_code(Language::JavaScript, "function f() { return 1; }\n");
    let good = RunReport {
        tests: passing.clone(),
        ..RunReport::default()
    };
    fn verdict<'a>(run: &'a RunReport, clean: &CodeFindings) -> Verdict<'a> {
        Verdict {
            run,
            implementation: clean.clone(),
            tests: clean.clone(),
            host: &[],
            notes: &[],
            min_tests: 3,
        }
    }
    assert!(verdict(&good, &clean).accepted());
    let timed_out = RunReport {
        timed_out: true,
        error: Some("stopped after 2000 ms".into()),
        ..good.clone()
    };
    assert!(!verdict(&timed_out, &clean).accepted());
    let message = feedback_message(Language::JavaScript, &verdict(&timed_out, &clean));
    assert!(message.contains("time limit") && message.contains("stopped after 2000 ms"));
    assert!(message.ends_with("```js tests."));
    let capped = RunReport {
        truncated: true,
        ..good.clone()
    };
    assert!(feedback_message(Language::JavaScript, &verdict(&capped, &clean)).contains("cap"));
    // Sandbox results arrive from JS as JSON in camelCase.
    let parsed: RunReport = serde_json::from_str(
        r#"{"tests":[{"name":"a","passed":false,"error":"boom","stdout":"","stderr":"","ms":1.5}],"timedOut":false,"truncated":false}"#,
    )
    .unwrap();
    assert_eq!(parsed.tests[0].error.as_deref(), Some("boom"));
    assert_eq!(parsed.tests[0].ms, 1.5);
}

const WRONG: &str = "```python\ndef add(a, b):\n    return a - b\n```\n```python tests\nclass T(unittest.TestCase):\n    def test_a(self):\n        self.assertEqual(add(1, 2), 3)\n```\n";
const RIGHT: &str = "```python\ndef add(a, b):\n    return a + b\n```\n```python tests\nclass T(unittest.TestCase):\n    def test_a(self):\n        self.assertEqual(add(1, 2), 3)\n```\n";

fn run_of(passed: &[bool]) -> RunReport {
    RunReport {
        tests: passed
            .iter()
            .enumerate()
            .map(|(i, &p)| TestResult {
                name: format!("test_{i}"),
                passed: p,
                error: (!p).then(|| "AssertionError: -1 != 3".to_owned()),
                ..TestResult::default()
            })
            .collect(),
        ..RunReport::default()
    }
}

fn input(answer: &str, run: RunReport) -> RoundInput<'_> {
    RoundInput {
        answer,
        usage: Usage::new(1000, 200),
        pricing: Pricing {
            input_usd_per_mtok: 1.0,
            output_usd_per_mtok: 5.0,
        },
        run,
        host: Vec::new(),
    }
}

#[test]
fn rounds_escalate_on_the_last_and_stop_when_accepted() {
    let routes = Routes::from_json(r#"{"generate": ["generate", "strong"]}"#).unwrap();
    let mut loop_ = Refinement::new(Language::Python, RefineConfig::default());
    let mut aliases = Vec::new();
    while let Some(plan) = loop_.plan(&routes) {
        aliases.push((plan.round, plan.attempt, plan.alias.clone()));
        let round = loop_.record(&plan, input(WRONG, run_of(&[false, true, true])));
        assert!(!round.accepted);
        assert!(round.feedback.as_deref().unwrap().contains("`test_0`"));
    }
    assert_eq!(
        aliases,
        [
            (1, 0, "generate".to_owned()),
            (2, 0, "generate".to_owned()),
            (3, 1, "strong".to_owned()),
        ]
    );
    assert_eq!(loop_.outcome(), Outcome::Exhausted);
    // 1000 prompt tokens at $1/M and 200 at $5/M: 2000 micro-dollars a round.
    assert_eq!(loop_.rounds()[0].cost_micro_usd, 2000);
    assert_eq!(loop_.cost_micro_usd(), 6000);
    assert_eq!(loop_.rounds()[2].prompt_tokens, 1000);

    let mut loop_ = Refinement::new(Language::Python, RefineConfig::default());
    let plan = loop_.plan(&routes).unwrap();
    loop_.record(&plan, input(WRONG, run_of(&[false, true, true])));
    assert!(loop_.feedback().unwrap().contains("Failing tests (1 of 3)"));
    let plan = loop_.plan(&routes).unwrap();
    let round = loop_.record(&plan, input(RIGHT, run_of(&[true, true, true])));
    assert!(round.accepted && round.feedback.is_none());
    assert!(round.implementation.contains("a + b") && round.tests.contains("test_a"));
    assert_eq!(loop_.outcome(), Outcome::Accepted(2));
    assert_eq!(loop_.plan(&routes), None);
    assert_eq!(loop_.feedback(), None);
}

#[test]
fn the_default_ladder_never_escalates_and_one_round_is_the_last() {
    let routes = Routes::default();
    let mut loop_ = Refinement::new(
        Language::JavaScript,
        RefineConfig {
            max_rounds: 1,
            min_tests: 3,
        },
    );
    let plan = loop_.plan(&routes).unwrap();
    assert_eq!((plan.attempt, plan.alias.as_str()), (0, "generate"));
    // Passing tests are not enough when the implementation has a security finding.
    let answer = "```js\nfunction run(s) { return eval(s); }\n```\n```js tests\ntest('a', () => {});\ntest('b', () => {});\ntest('c', () => {});\n```\n";
    let round = loop_.record(&plan, input(answer, run_of(&[true, true, true])));
    assert!(!round.findings.security.is_empty(), "{:?}", round.findings);
    assert!(!round.accepted);
    assert!(
        round
            .feedback
            .as_deref()
            .unwrap()
            .contains("Security findings")
    );
    assert_eq!(loop_.outcome(), Outcome::Exhausted);
    assert_eq!(loop_.plan(&routes), None);
}
