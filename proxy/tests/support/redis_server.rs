//! A real `redis-server` for the tests that share state through Redis. Readiness is read from
//! its own output ("Ready to accept connections"), bounded by a timeout, never from a timer.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A `redis-server` on a free loopback port, killed when dropped.
pub struct Redis {
    child: Child,
    pub url: String,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Redis {
    /// Freezes the server (SIGSTOP): connections stay open and nothing answers, the way a
    /// stalled or swapping Redis looks to its clients.
    pub async fn freeze(&self) {
        let pid = self.child.id().expect("redis-server is running");
        let status = Command::new("kill")
            .args(["-STOP", &pid.to_string()])
            .status()
            .await
            .unwrap();
        assert!(status.success(), "kill -STOP {pid}");
    }

    /// Kills the server (SIGKILL, works on a frozen one too) and waits for it to be gone.
    pub async fn kill(&mut self) {
        self.child.kill().await.unwrap();
    }
}

pub async fn start_redis() -> Redis {
    let port = free_port();
    let mut child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("redis-server on PATH (installed by `cargo xtask setup`)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    tokio::time::timeout(START_TIMEOUT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("Ready to accept connections") {
                return;
            }
        }
        panic!("redis-server exited before it was ready");
    })
    .await
    .expect("redis-server ready in time");
    // Keep draining its output so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let url = format!("redis://127.0.0.1:{port}/");
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let pong: String = redis::cmd("PING").query_async(&mut conn).await.unwrap();
    assert_eq!(pong, "PONG");
    Redis { child, url }
}
