//! The real `pilotfish-proxy` binary as a child process, with its output captured. Readiness
//! is read from its own "api listening" log line, bounded by a timeout, never from a timer.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{ANTHROPIC_KEY, OPENAI_KEY};

const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running proxy binary with its captured stdout+stderr.
pub struct Running {
    child: Child,
    pub api: String,
    pub admin: String,
    logs: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

fn pump(
    out: impl AsyncRead + Unpin + Send + 'static,
    logs: Arc<Mutex<String>>,
    tx: mpsc::UnboundedSender<String>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut lines = BufReader::new(out).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            logs.lock().unwrap().push_str(&line);
            logs.lock().unwrap().push('\n');
            let _ = tx.send(line);
        }
    })
}

/// Spawns the binary on `config` (with the test provider keys in its environment).
pub async fn spawn_proxy(config: &str) -> Running {
    spawn_proxy_with_env(config, &[]).await
}

/// Spawns the binary on `config` with more environment variables.
pub async fn spawn_proxy_with_env(config: &str, env: &[(&str, &str)]) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("proxy.toml");
    std::fs::write(&path, config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pilotfish-proxy"))
        .arg("--config")
        .arg(&path)
        .env("TEST_OPENAI_KEY", OPENAI_KEY)
        .env("TEST_ANTHROPIC_KEY", ANTHROPIC_KEY)
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let logs = Arc::new(Mutex::new(String::new()));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let readers = vec![
        pump(child.stdout.take().unwrap(), logs.clone(), tx.clone()),
        pump(child.stderr.take().unwrap(), logs.clone(), tx),
    ];
    let (mut api, mut admin) = (None, None);
    tokio::time::timeout(START_TIMEOUT, async {
        while api.is_none() || admin.is_none() {
            let Some(line) = rx.recv().await else {
                panic!("proxy exited during start:\n{}", logs.lock().unwrap());
            };
            let Ok(v) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            let addr = v["fields"]["addr"].as_str().map(|a| format!("http://{a}"));
            match v["fields"]["message"].as_str() {
                Some("api listening") => api = addr,
                Some("admin listening (/metrics)") => admin = addr,
                _ => {}
            }
        }
    })
    .await
    .expect("proxy listening in time");
    Running {
        child,
        api: api.unwrap(),
        admin: admin.unwrap(),
        logs,
        readers,
        _dir: dir,
    }
}

impl Running {
    /// Stops the process and returns everything it printed.
    pub async fn stop(mut self) -> String {
        self.child.kill().await.unwrap();
        for r in self.readers.drain(..) {
            r.await.unwrap();
        }
        self.logs.lock().unwrap().clone()
    }
}
