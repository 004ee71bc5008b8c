//! Task → alias routing: defaults, the host's override table, its errors, and escalation.

use assist::routing::{RouteOverrides, Routes, RoutingError, Task};
use expect_test::{Expect, expect};

/// Renders every task's ladder of the table parsed from `json`, or the error.
fn check(json: &str, expect: Expect) {
    let rendered = match Routes::from_json(json) {
        Ok(routes) => Task::ALL
            .iter()
            .map(|t| format!("{t}: {}", routes.ladder(*t).join(" -> ")))
            .collect::<Vec<_>>()
            .join("\n"),
        Err(e) => format!("error: {e}"),
    };
    expect.assert_eq(&rendered);
}

#[test]
fn defaults_name_the_demo_proxy_aliases() {
    check(
        "{}",
        expect![[r#"
            autocomplete: autocomplete
            explain: chat
            generate: generate
            refactor: generate
            chat: chat"#]],
    );
}

#[test]
fn overrides_replace_only_the_tasks_they_name() {
    check(
        r#"{"refactor": ["generate", "strong", "strongest"], "chat": "chat-mini"}"#,
        expect![[r#"
            autocomplete: autocomplete
            explain: chat
            generate: generate
            refactor: generate -> strong -> strongest
            chat: chat-mini"#]],
    );
}

#[test]
fn bad_tables_are_errors_that_say_what_is_wrong() {
    check(
        r#"{"complete": "fim"}"#,
        expect![
            "error: unknown task `complete` in the routing table: expected one of autocomplete, explain, generate, refactor, chat"
        ],
    );
    check(
        r#"{"chat": []}"#,
        expect!["error: task `chat` has an empty escalation ladder: name at least one alias"],
    );
    check(
        r#"{"explain": ["chat", " "]}"#,
        expect!["error: task `explain` names an empty alias"],
    );
    check(
        r#"{"chat": 3}"#,
        expect![
            "error: routing table is not valid JSON: data did not match any variant of untagged enum Ladder at line 1 column 11"
        ],
    );
    // A bad entry anywhere leaves nothing half applied.
    let table: RouteOverrides =
        serde_json::from_str(r#"{"chat": "x", "zzz": "y"}"#).expect("valid JSON");
    assert_eq!(
        Routes::with_overrides(&table),
        Err(RoutingError::UnknownTask("zzz".into()))
    );
}

#[test]
fn escalation_climbs_the_ladder_then_stops() {
    let routes = Routes::from_json(r#"{"generate": ["generate", "strong"]}"#).unwrap();
    let climb: Vec<Option<&str>> = (0..3).map(|a| routes.escalate(Task::Generate, a)).collect();
    assert_eq!(climb, [Some("generate"), Some("strong"), None]);
    assert_eq!(routes.alias(Task::Generate), "generate");
    // A task with the default one-rung ladder has nothing to escalate to.
    assert_eq!(routes.escalate(Task::Chat, 1), None);
}

#[test]
fn tables_and_task_names_round_trip() {
    let routes = Routes::from_json(r#"{"autocomplete": ["fim", "fim-large"]}"#).unwrap();
    let shown = serde_json::to_string(&routes.to_overrides()).unwrap();
    expect![[r#"{"autocomplete":["fim","fim-large"],"chat":"chat","explain":"chat","generate":"generate","refactor":"generate"}"#]]
        .assert_eq(&shown);
    assert_eq!(Routes::from_json(&shown).unwrap(), routes);
    for t in Task::ALL {
        assert_eq!(t.name().parse::<Task>(), Ok(t));
        assert_eq!(serde_json::to_value(t).unwrap(), t.name());
    }
}
