//! The refinement loop's decisions as the page gets them (`Engine.refiner`): the first request,
//! plans up the ladder, answers split, rounds recorded into verdicts and feedback.
#![cfg(all(not(target_arch = "wasm32"), feature = "assistant"))]

use assist::routing::Routes;
use plugin_wasm::refiner::{Refiner, RefinerOptions, WireRoundInput};
use serde_json::json;

fn refiner(language: &str) -> Result<Refiner, String> {
    let options: RefinerOptions = serde_json::from_value(
        json!({ "spec": "add(a, b) returns the sum", "language": language, "maxRounds": 3 }),
    )
    .unwrap();
    let routes = Routes::from_json(r#"{"generate": ["generate", "generate-strong"]}"#).unwrap();
    Refiner::native(&options, routes, Default::default()).map_err(|e| e.to_string())
}

fn input(answer: &str, passed: bool) -> WireRoundInput {
    serde_json::from_value(json!({
        "answer": answer,
        "usage": { "prompt_tokens": 100, "completion_tokens": 40, "total_tokens": 140 },
        "run": { "tests": [
            { "name": "adds", "passed": passed, "error": if passed { None } else { Some("expected 3, got -1") } },
            { "name": "zero", "passed": true },
            { "name": "negative", "passed": true },
        ] },
    }))
    .unwrap()
}

const WRONG: &str = "```js\nexport function add(a, b) { return a - b; }\n```\n\n```js\nimport { add } from './solution';\ntest('adds', () => assert.equal(add(1, 2), 3));\ntest('zero', () => assert.equal(add(0, 0), 0));\ntest('negative', () => assert.equal(add(-1, -1), -2));\n```\n";

#[test]
fn rounds_go_up_the_ladder_until_the_tests_pass() {
    let mut refiner = refiner("javascript").unwrap();
    assert!(refiner.request().contains("add(a, b) returns the sum"));
    let first = refiner.plan_native().unwrap();
    assert_eq!(
        (first.round, first.attempt, first.alias.as_str()),
        (1, 0, "generate")
    );
    let split = serde_json::to_value(refiner.plan_native()).unwrap();
    assert_eq!(split["round"], 1, "planning does not advance the loop");

    let (accepted, feedback) = refiner.record_native(first, input(WRONG, false));
    assert!(!accepted);
    let feedback = feedback.expect("a failing round sends feedback");
    assert!(
        feedback.contains("adds") && feedback.contains("expected 3, got -1"),
        "{feedback}"
    );

    let second = refiner.plan_native().unwrap();
    assert_eq!((second.round, second.attempt), (2, 0));
    refiner.record_native(second, input(WRONG, false));
    let last = refiner.plan_native().unwrap();
    assert_eq!(
        (last.round, last.attempt, last.alias.as_str()),
        (3, 1, "generate-strong"),
        "the last round escalates"
    );
    let right = WRONG.replace("a - b", "a + b");
    let (accepted, feedback) = refiner.record_native(last, input(&right, true));
    assert!(accepted && feedback.is_none());
    assert!(refiner.plan_native().is_none(), "the loop is over");
}

#[test]
fn the_sandbox_languages_only() {
    let error = refiner("go").unwrap_err();
    assert!(
        error.contains("the sandbox runs python, javascript, typescript and tsx"),
        "{error}"
    );
    assert!(refiner("python").is_ok());
}
