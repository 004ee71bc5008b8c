//! The `pilotfish-proxy` binary: a bad config is one clear line on stderr and exit code 2.

use std::process::Command;

use expect_test::{Expect, expect};

fn check(config: &str, expect: Expect) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("proxy.toml");
    std::fs::write(&path, config).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pilotfish-proxy"))
        .arg("--config")
        .arg(&path)
        .env_remove("PILOTFISH_TEST_MISSING_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    expect.assert_eq(&String::from_utf8_lossy(&out.stderr));
}

#[test]
fn bad_configs_exit_with_code_2_and_a_clear_message() {
    check(
        "[[providers]]\nname = \"p\"\nkind = \"openai\"\nbase_url = \"https://example.com/v1\"\napi_key_env = \"PILOTFISH_TEST_MISSING_KEY\"\n",
        expect![[r#"
            pilotfish-proxy: provider `p`: environment variable PILOTFISH_TEST_MISSING_KEY (api_key_env) is not set or empty
        "#]],
    );
    check(
        "[[providers]]\nname = \"p\"\nkind = \"bard\"\nbase_url = \"https://example.com/v1\"\n",
        expect![[r#"
            pilotfish-proxy: invalid config: TOML parse error at line 3, column 8
              |
            3 | kind = "bard"
              |        ^^^^^^
            unknown variant `bard`, expected one of `openai`, `anthropic`, `openai-compatible`, `ollama`

        "#]],
    );
}

#[test]
fn a_missing_file_is_exit_code_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_pilotfish-proxy"))
        .args(["--config", "/nonexistent/pilotfish.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("cannot read config file /nonexistent/pilotfish.toml")
    );
}
