//! The config's parsing and validation, table by table.

use super::*;
use expect_test::{Expect, expect};
use secrecy::ExposeSecret;

const TOKEN_HASH: &str = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

fn env(var: &str) -> Option<String> {
    (var == "OPENAI_API_KEY").then(|| "sk-test-123".to_owned())
}

const FULL: &str = r#"
listen = "127.0.0.1:8787"
admin_listen = "127.0.0.1:9787"
[limits]
max_body_bytes = 1048576
connect_timeout_ms = 5000
first_byte_timeout_ms = 30000
idle_timeout_ms = 30000
max_held_bytes = 262144
max_n = 8
max_tokens = 65536
[cors]
origins = ["http://localhost:8080", "https://*.vscode-cdn.net"]
[cache]
ttl_secs = 3600
max_entries = 10000
max_bytes = 67108864
max_entry_bytes = 1048576
[[providers]]
name = "openai"
kind = "openai"
base_url = "https://api.openai.com/v1"
api_key_env = "OPENAI_API_KEY"
[[providers]]
name = "local"
kind = "ollama"
base_url = "http://127.0.0.1:11434/v1"
[[models]]
alias = "chat"
provider = "openai"
model = "gpt-4o-mini"
input_usd_per_mtok = 0.15
output_usd_per_mtok = 0.60
fallbacks = ["local-chat"]
[[models]]
alias = "local-chat"
provider = "local"
model = "qwen2.5-coder"
[[clients]]
name = "demo"
token_sha256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
models = ["chat"]
rpm = 60
tpm = 200000
daily_budget_usd = 5.0
"#;

#[test]
fn the_documented_example_loads() {
    let c = Config::from_toml(FULL, env).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8787");
    assert_eq!(c.providers[1].kind, ProviderKind::Ollama);
    assert_eq!(
        c.providers[0].api_key.as_ref().unwrap().expose_secret(),
        "sk-test-123"
    );
    assert!(c.providers[1].api_key.is_none());
    assert_eq!(c.route("chat").unwrap().fallbacks, vec!["local-chat"]);
    assert_eq!(c.clients[0].rpm, 60);
    assert_eq!(c.retry.max_attempts, 3);
}

#[test]
fn the_key_never_prints() {
    let c = Config::from_toml(FULL, env).unwrap();
    let dump = format!("{c:?}");
    assert!(!dump.contains("sk-test-123"), "{dump}");
}

#[test]
fn an_empty_file_binds_to_loopback() {
    let c = Config::from_toml("", env).unwrap();
    assert!(c.listen.ip().is_loopback());
    assert!(c.admin_listen.ip().is_loopback());
    assert_eq!(c.limits.max_body_bytes, 1_048_576);
}

fn check(edit: impl Fn(&str) -> String, expect: Expect) {
    let err = Config::from_toml(&edit(FULL), env).unwrap_err();
    expect.assert_eq(&err.to_string());
}

#[test]
fn bad_configs_give_clear_messages() {
    check(
        |s| s.replace(r#"kind = "ollama""#, r#"kind = "gemini""#),
        expect![[r#"
            invalid config: TOML parse error at line 26, column 8
               |
            26 | kind = "gemini"
               |        ^^^^^^^^
            unknown variant `gemini`, expected one of `openai`, `anthropic`, `openai-compatible`, `ollama`
        "#]],
    );
    check(
        |s| s.replace("OPENAI_API_KEY", "NOT_SET_KEY"),
        expect![
            "provider `openai`: environment variable NOT_SET_KEY (api_key_env) is not set or empty"
        ],
    );
    check(
        |s| s.replace("http://127.0.0.1:11434/v1", "ftp://x/v1"),
        expect!["provider `local`: base_url `ftp://x/v1` is not an http(s) URL"],
    );
    check(
        |s| s.replace("http://127.0.0.1:11434/v1", "not a url"),
        expect![[r#"
            invalid config: TOML parse error at line 27, column 12
               |
            27 | base_url = "not a url"
               |            ^^^^^^^^^^^
            relative URL without a base: "not a url"
        "#]],
    );
    check(
        |s| {
            format!(
                "{s}\n[[clients]]\nname = \"twin\"\ntoken_sha256 = \"{}\"\n",
                TOKEN_HASH.to_ascii_uppercase()
            )
        },
        expect!["clients `demo` and `twin` have the same token"],
    );
    check(
        |s| s.replace(r#"provider = "local""#, r#"provider = "nowhere""#),
        expect!["model alias `local-chat` references unknown provider `nowhere`"],
    );
    check(
        |s| s.replace(r#"fallbacks = ["local-chat"]"#, r#"fallbacks = ["ghost"]"#),
        expect!["model alias `chat` lists unknown fallback alias `ghost`"],
    );
    check(
        |s| s.replace(r#"models = ["chat"]"#, r#"models = ["ghost"]"#),
        expect!["client `demo` allows unknown model alias `ghost`"],
    );
    check(
        |s| s.replace("ttl_secs", "ttl_seconds"),
        expect![[r#"
            invalid config: TOML parse error at line 15, column 1
               |
            15 | ttl_seconds = 3600
               | ^^^^^^^^^^^
            unknown field `ttl_seconds`, expected one of `enabled`, `ttl_secs`, `max_entries`, `max_bytes`, `max_entry_bytes`, `redis_url`, `redis_connect_timeout_ms`, `redis_response_timeout_ms`
        "#]],
    );
    check(
        |s| s.replace(TOKEN_HASH, "abc"),
        expect![
            "client `demo`: token_sha256 must be 64 hex characters (the SHA-256 of the bearer token)"
        ],
    );
}
#[test]
fn out_of_range_values_are_refused_naming_the_field() {
    // (what replaces what in the documented example, a substring of the error)
    let table: &[(&str, &str, &str)] = &[
        (
            r#"admin_listen = "127.0.0.1:9787""#,
            r#"admin_listen = "0.0.0.0:9787""#,
            "admin_listen `0.0.0.0:9787` is not a loopback address",
        ),
        (
            r#"admin_listen = "127.0.0.1:9787""#,
            r#"admin_listen = "[::]:9787""#,
            "admin_allow_non_loopback = true",
        ),
        (
            "connect_timeout_ms = 5000",
            "connect_timeout_ms = 0",
            "limits.connect_timeout_ms must be between 1 and 3600000",
        ),
        (
            "first_byte_timeout_ms = 30000",
            "first_byte_timeout_ms = 0",
            "limits.first_byte_timeout_ms must be between 1 and 3600000",
        ),
        (
            "idle_timeout_ms = 30000",
            "idle_timeout_ms = 3600001",
            "limits.idle_timeout_ms must be between 1 and 3600000 (1 hour), got 3600001",
        ),
        (
            "connect_timeout_ms = 5000",
            "connect_timeout_ms = 9223372036854775807",
            "limits.connect_timeout_ms must be between 1 and 3600000",
        ),
        (
            "input_usd_per_mtok = 0.15",
            "input_usd_per_mtok = -0.15",
            "model alias `chat`: input_usd_per_mtok must be a finite number >= 0, got -0.15",
        ),
        (
            "output_usd_per_mtok = 0.60",
            "output_usd_per_mtok = inf",
            "model alias `chat`: output_usd_per_mtok must be a finite number >= 0, got inf",
        ),
        (
            "input_usd_per_mtok = 0.15",
            "input_usd_per_mtok = nan",
            "model alias `chat`: input_usd_per_mtok must be a finite number >= 0",
        ),
        (
            "daily_budget_usd = 5.0",
            "daily_budget_usd = inf",
            "client `demo`: daily_budget_usd must be a finite number >= 0, got inf",
        ),
        (
            "daily_budget_usd = 5.0",
            "daily_budget_usd = -1.0",
            "client `demo`: daily_budget_usd must be a finite number >= 0",
        ),
        (
            "max_held_bytes = 262144",
            "max_held_bytes = 0",
            "limits.max_held_bytes must be between 1024 and 1073741824, got 0",
        ),
        (
            "max_entry_bytes = 1048576",
            "max_entry_bytes = 0",
            "cache.max_entry_bytes must be between 1 and 1073741824, got 0",
        ),
        (
            "max_entry_bytes = 1048576",
            "max_entry_bytes = 2147483648",
            "cache.max_entry_bytes must be between 1 and 1073741824",
        ),
        (
            "max_bytes = 67108864",
            "max_bytes = 1000",
            "cache.max_bytes (1000) must be at least cache.max_entry_bytes (1048576)",
        ),
        (
            "max_entries = 10000",
            "max_entries = 0",
            "cache.max_entries must be >= 1",
        ),
        ("max_n = 8", "max_n = 0", "limits.max_n must be >= 1"),
        (
            "max_tokens = 65536",
            "max_tokens = 0",
            "limits.max_tokens must be >= 1",
        ),
    ];
    for (from, to, want) in table {
        assert!(FULL.contains(from), "{from}");
        let text = FULL.replace(from, to);
        match Config::from_toml(&text, env) {
            Ok(_) => panic!("`{to}` was accepted"),
            Err(e) => assert!(e.to_string().contains(want), "`{to}`: {e}"),
        }
    }
}

#[test]
fn a_public_admin_listener_needs_the_explicit_flag() {
    let text = FULL.replace(
        r#"admin_listen = "127.0.0.1:9787""#,
        "admin_listen = \"0.0.0.0:9787\"\nadmin_allow_non_loopback = true",
    );
    let c = Config::from_toml(&text, env).unwrap();
    assert!(!c.admin_listen.ip().is_loopback());
    // The limits at their bounds are fine.
    let text = FULL
        .replace("connect_timeout_ms = 5000", "connect_timeout_ms = 1")
        .replace("idle_timeout_ms = 30000", "idle_timeout_ms = 3600000")
        .replace("input_usd_per_mtok = 0.15", "input_usd_per_mtok = 0");
    Config::from_toml(&text, env).unwrap();
}

/// FULL with an HS256 issuer appended, where `edit` may change it.
fn check_issuer(edit: impl Fn(&str) -> String, expect: &str) {
    let text = format!(
        "{FULL}\n[[issuers]]\nname = \"web\"\nalgorithm = \"HS256\"\nsecret_env = \"JWT_SECRET\"\n\
         models = [\"chat\"]\nleeway_secs = 30\nmax_ttl_secs = 900\n"
    );
    let env = |var: &str| match var {
        "JWT_SECRET" => Some("0123456789abcdef0123456789abcdef".to_owned()),
        "SHORT_SECRET" => Some("too-short".to_owned()),
        other => env(other),
    };
    let got = match Config::from_toml(&edit(&text), env) {
        Ok(c) => format!("ok: {} issuer(s)", c.issuers.len()),
        Err(e) => e.to_string(),
    };
    assert!(got.contains(expect), "{got:?} lacks {expect:?}");
}

#[test]
fn issuers_are_validated() {
    let same = |s: &str| s.to_owned();
    check_issuer(same, "ok: 1 issuer(s)");
    let table: &[(&str, &str, &str)] = &[
        (
            "JWT_SECRET",
            "NO_SUCH_VAR",
            "issuer `web`: environment variable NO_SUCH_VAR",
        ),
        (
            "JWT_SECRET",
            "SHORT_SECRET",
            "the HS256 secret must be at least 32 bytes",
        ),
        (
            "leeway_secs = 30",
            "leeway_secs = 301",
            "leeway_secs must be at most 300",
        ),
        (
            "max_ttl_secs = 900",
            "max_ttl_secs = 0",
            "max_ttl_secs must be between 1 and 86400",
        ),
        (
            "models = [\"chat\"]\nleeway",
            "models = [\"gpt\"]\nleeway",
            "unknown model alias `gpt`",
        ),
        (
            "name = \"web\"",
            "name = \"demo\"",
            "clashes with client name `demo`",
        ),
        (
            "name = \"web\"",
            "name = \"web/x\"",
            "name must be letters, digits",
        ),
        (
            "algorithm = \"HS256\"",
            "algorithm = \"EdDSA\"",
            "EdDSA needs public_key_pem",
        ),
        (
            "algorithm = \"HS256\"",
            "algorithm = \"RS256\"",
            "unknown variant `RS256`",
        ),
        (
            "secret_env = \"JWT_SECRET\"",
            "public_key_pem = \"not a key\"",
            "HS256 needs secret_env and no public_key_pem",
        ),
        (
            "algorithm = \"HS256\"\nsecret_env = \"JWT_SECRET\"",
            "algorithm = \"ES256\"\npublic_key_pem = \"not a key\"",
            "public_key_pem is not a PEM ES256 public key",
        ),
    ];
    for (from, to, expect) in table {
        check_issuer(|s| s.replacen(from, to, 1), expect);
    }
}

#[test]
fn store_timeouts_and_the_failure_mode_are_validated() {
    let load = |edit: &dyn Fn(&str) -> String| match Config::from_toml(&edit(FULL), env) {
        Ok(c) => format!(
            "ok: connect {:?}, response {:?}, {:?}",
            c.redis_connect_timeout(),
            c.redis_response_timeout(),
            c.limits.on_store_failure
        ),
        Err(e) => e.to_string(),
    };
    let with = |from: &'static str, to: &'static str| move |s: &str| s.replacen(from, to, 1);
    expect!["ok: connect 1s, response 500ms, Closed"].assert_eq(&load(&|s| s.to_owned()));
    expect!["ok: connect 1s, response 500ms, Open"].assert_eq(&load(&with(
        "max_n = 8",
        "max_n = 8\non_store_failure = \"open\"",
    )));
    let cache = "max_entry_bytes = 1048576";
    expect!["ok: connect 2s, response 50ms, Closed"].assert_eq(&load(&with(
        cache,
        "max_entry_bytes = 1048576\nredis_connect_timeout_ms = 2000\nredis_response_timeout_ms = 50",
    )));
    expect!["cache.redis_response_timeout_ms must be between 1 and 60000, got 0"].assert_eq(&load(
        &with(
            cache,
            "max_entry_bytes = 1048576\nredis_response_timeout_ms = 0",
        ),
    ));
    expect!["cache.redis_connect_timeout_ms must be between 1 and 60000, got 60001"].assert_eq(
        &load(&with(
            cache,
            "max_entry_bytes = 1048576\nredis_connect_timeout_ms = 60001",
        )),
    );
    let bad = load(&with(
        "max_n = 8",
        "max_n = 8\non_store_failure = \"maybe\"",
    ));
    assert!(
        bad.contains("unknown variant `maybe`, expected `closed` or `open`"),
        "{bad}"
    );
}
