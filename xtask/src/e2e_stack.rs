//! What the assistant's browser tests talk to: the in-repo fake upstream
//! (`proxy/examples/fake_upstream.rs`) and a real `pilotfish-proxy` in front of it, both built by
//! the test step's one native build and started here on free loopback ports. The proxy's config
//! allows the static server's origin (CORS), maps the routing table's aliases to the fake, and
//! knows one client token. Both processes are killed when the stack is dropped.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use sha2::{Digest, Sha256};

/// The client token the tests send (the proxy keeps only its SHA-256, as for any client).
pub const TOKEN: &str = "pilotfish-e2e-token";

/// The running fake upstream and proxy.
pub struct Stack {
    /// The proxy's origin, e.g. `http://127.0.0.1:PORT`.
    pub proxy: String,
    /// The fake's control API.
    pub control: String,
    children: Vec<Child>,
}

impl Drop for Stack {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A loopback port nothing listens on right now.
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts the fake (`fake_upstream`, the example's executable) and the proxy (`proxy`), with the
/// proxy's config written under `dir`.
pub fn start(fake_upstream: &Path, proxy: &Path, dir: &Path) -> Result<Stack> {
    let mut stack = Stack {
        proxy: String::new(),
        control: String::new(),
        children: Vec::new(),
    };
    let mut fake = Command::new(fake_upstream)
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", fake_upstream.display()))?;
    let stdout = fake
        .stdout
        .take()
        .ok_or_else(|| anyhow!("the fake has no stdout"))?;
    stack.children.push(fake);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let started: serde_json::Value = serde_json::from_str(&line)
        .with_context(|| format!("the fake upstream printed {line:?}"))?;
    let upstream = started["upstream"].as_str().unwrap_or_default().to_owned();
    stack.control = started["control"].as_str().unwrap_or_default().to_owned();

    let (port, admin_port) = (free_port()?, free_port()?);
    let token_sha256: String = Sha256::digest(TOKEN)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let aliases = ["autocomplete", "chat", "generate"];
    let models: String = aliases
        .iter()
        .map(|a| {
            format!("[[models]]\nalias = \"{a}\"\nprovider = \"fake\"\nmodel = \"fake-{a}\"\n")
        })
        .collect();
    let config = format!(
        r#"listen = "127.0.0.1:{port}"
admin_listen = "127.0.0.1:{admin_port}"
[cors]
origins = ["http://127.0.0.1:*"]
[retry]
max_attempts = 1
[cache]
enabled = false
[[providers]]
name = "fake"
kind = "openai"
base_url = "{upstream}"
api_key_env = "PILOTFISH_E2E_PROVIDER_KEY"
{models}
[[clients]]
name = "e2e"
token_sha256 = "{token_sha256}"
models = {aliases:?}
"#
    );
    std::fs::create_dir_all(dir)?;
    let config_path = dir.join("proxy.toml");
    std::fs::write(&config_path, config)?;
    let proxy_child = Command::new(proxy)
        .arg("--config")
        .arg(&config_path)
        .env("PILOTFISH_E2E_PROVIDER_KEY", "sk-e2e-fake-provider")
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", proxy.display()))?;
    stack.children.push(proxy_child);
    wait_for_listener(port)?;
    stack.proxy = format!("http://127.0.0.1:{port}");
    Ok(stack)
}

/// Builds the proxy and the fake upstream (dev profile; `cargo xtask test` passes the ones its
/// own build made to [`start`] instead) and starts them, for the benches and the commands that
/// run one browser test alone.
pub fn build_and_start(dir: &Path) -> Result<Stack> {
    let built = crate::cmd::built_executables(
        crate::cmd::cargo().args([
            "build",
            "-p",
            "pilotfish-proxy",
            "--bin",
            "pilotfish-proxy",
            "--example",
            "fake_upstream",
        ]),
        &["pilotfish-proxy", "fake_upstream"],
    )?;
    start(&built[1], &built[0], dir)
}

/// Waits until something accepts connections on `port` (the proxy has loaded its config).
fn wait_for_listener(port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("the proxy did not listen on 127.0.0.1:{port} within 30 s")
}
