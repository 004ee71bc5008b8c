//! The demo: a small static file server for the page, the built wasm package and Monaco, plus the
//! proxy. The file server is a few lines on `std::net` (see `start_static`); it only ever binds to loopback.

use std::path::{Component, Path, PathBuf};
use std::thread::JoinHandle;

use anyhow::{Result, anyhow};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use crate::{cmd, setup, wasm};

pub mod sample;

/// URL prefixes and the folders they are served from, most specific first.
fn mounts(root: &Path) -> Vec<(&'static str, PathBuf)> {
    vec![
        ("/pkg/", root.join("plugin-wasm/pkg")),
        ("/pkg-model/", root.join("plugin-wasm/pkg-model")),
        // The assistant's package, for its end-to-end tests and the prompt bench.
        ("/pkg-assistant/", root.join("plugin-wasm/pkg-assistant")),
        // The Monaco adapter and the package it loads, at the paths they have in the repository, so
        // a page imports `/plugin-wasm/monaco/index.js` as it would from a server at the root.
        ("/plugin-wasm/monaco/", root.join("plugin-wasm/monaco")),
        (
            "/plugin-wasm/pkg-assistant/",
            root.join("plugin-wasm/pkg-assistant"),
        ),
        (
            "/node_modules/monaco-editor/",
            root.join("node_modules/monaco-editor"),
        ),
        // The local language model in the tab: its worker, its package, and the GGUF it loads
        // (`.cache/models/smollm2/`, fetched by `xtask setup`).
        (
            "/plugin-wasm/llm-worker/",
            root.join("plugin-wasm/llm-worker"),
        ),
        ("/plugin-wasm/pkg-llm/", root.join("plugin-wasm/pkg-llm")),
        ("/models/smollm2/", root.join(".cache/models/smollm2")),
        // The browser test sandbox (issue 15), and what it loads from npm: esbuild-wasm strips
        // TypeScript, Pyodide runs Python; both served from node_modules, never from a CDN.
        ("/plugin-wasm/sandbox/", root.join("plugin-wasm/sandbox")),
        (
            "/node_modules/esbuild-wasm/",
            root.join("node_modules/esbuild-wasm"),
        ),
        ("/node_modules/pyodide/", root.join("node_modules/pyodide")),
        // Pyright's browser build, the tab's Python type checker (`sandbox/pyright-worker.js`).
        (
            "/node_modules/browser-basedpyright/",
            root.join("node_modules/browser-basedpyright"),
        ),
        // The compiler for hosts without a TypeScript worker (`sandbox/ts-worker.js`).
        (
            "/node_modules/typescript/",
            root.join("node_modules/typescript"),
        ),
        // Pages the end-to-end tests load (tests/e2e/pages/).
        ("/tests/e2e/pages/", root.join("tests/e2e/pages")),
        // The demo's sample project and its `files.json` (`sample.rs`), and what `demo` writes
        // for the page: which proxy and token to use and what answers behind it.
        ("/sample/", root.join(".cache/sample")),
        ("/demo/", root.join(".cache/demo/public")),
        // The static table (and `active.json`, naming it) for the demo and the embed bench.
        ("/embed/", root.join(".cache/embed")),
        // MiniLM's files, for the transformer row of the embed bench (pkg-model).
        ("/model/", root.join(".cache/models/all-MiniLM-L6-v2")),
        ("/monaco/", root.join("node_modules/monaco-editor/min")),
        // The browser benchmarks' pages, and hnswlib-wasm as the vector peer (tests/bench/vector.mjs).
        ("/tests/bench/", root.join("tests/bench")),
        (
            "/node_modules/hnswlib-wasm/",
            root.join("node_modules/hnswlib-wasm"),
        ),
        ("/", root.join("web-demo")),
    ]
}

/// A running static server.
pub struct StaticServer {
    pub url: String,
    _thread: JoinHandle<()>,
}

/// Serves the demo files on 127.0.0.1:`port` (0 picks a free port) from background threads.
///
/// Written on `std::net` by hand, one thread and one request per connection, because tiny_http
/// (used before) left some of Monaco's parallel module requests unanswered on a fresh server
/// about half the time (the Playwright Monaco test hung on them), and an async server would bring
/// tokio into xtask. GET of static files over loopback is all it has to do.
pub fn start_static(root: &Path, port: u16) -> Result<StaticServer> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| anyhow!("cannot bind 127.0.0.1:{port}: {e}"))?;
    let addr = listener.local_addr()?;
    let mounts = Arc::new(mounts(root));
    let thread = std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mounts = mounts.clone();
            std::thread::spawn(move || {
                // A client that went away is not the server's problem.
                let _ = serve_connection(&mounts, stream);
            });
        }
    });
    Ok(StaticServer {
        url: format!("http://{addr}/"),
        _thread: thread,
    })
}

/// Reads one request head, answers it, closes the connection.
fn serve_connection(mounts: &[(&'static str, PathBuf)], stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Skip the headers: nothing here depends on them.
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, url) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let (status, content_type, body) = if method == "GET" || method == "HEAD" {
        respond(mounts, url)
    } else {
        ("405 Method Not Allowed", "text/plain", b"GET only".to_vec())
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        stream.write_all(&body)?;
    }
    stream.flush()
}

fn respond(mounts: &[(&'static str, PathBuf)], url: &str) -> (&'static str, &'static str, Vec<u8>) {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let not_found = ("404 Not Found", "text/plain", b"not found".to_vec());
    let Some(file) = resolve(mounts, path) else {
        return not_found;
    };
    match std::fs::read(&file) {
        Ok(bytes) => ("200 OK", content_type(&file), bytes),
        Err(_) => not_found,
    }
}

/// Maps a URL path to a file under one of the mounts, refusing anything that climbs out of it.
fn resolve(mounts: &[(&'static str, PathBuf)], url_path: &str) -> Option<PathBuf> {
    let (prefix, dir) = mounts
        .iter()
        .find(|(prefix, _)| url_path.starts_with(prefix))?;
    let relative = Path::new(&url_path[prefix.len()..]);
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let mut file = dir.join(relative);
    if file.is_dir() || url_path.ends_with('/') {
        file = file.join("index.html");
    }
    file.is_file().then_some(file)
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "ttf" => "font/ttf",
        "d.ts" | "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `cargo xtask demo`: set up, build, start the proxy and the page, print the URLs, run until
/// interrupted (Ctrl-C reaches the proxy too: it shares our process group).
pub fn demo(root: &Path) -> Result<()> {
    let tools = setup::all(root)?;
    wasm::build(root)?;
    // The page's editor runs the Monaco adapter, which loads the assistant's package.
    wasm::build_package(root, wasm::Package::Assistant)?;
    // The chat's "in-browser model" choice runs the local model in a worker (pkg-llm).
    wasm::build_package(root, wasm::Package::Llm)?;
    sample::ensure(root)?;
    // The page embeds with the static table when one can be built; otherwise it falls back to
    // the hashed embedder and says so (the demo must come up either way).
    if let Err(error) = publish_table(root, None) {
        eprintln!(
            "warning: no static table for the demo, it will use the hashed embedder: {error:#}"
        );
    }
    let port = std::env::var("PILOTFISH_DEMO_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let server = start_static(root, port).or_else(|_| start_static(root, 0))?;
    // With no provider key the aliases go to the local model server; it must outlive the proxy.
    let local = if std::env::var_os("OPENAI_API_KEY").is_some() {
        None
    } else {
        Some(start_local_model(&tools.local_model)?)
    };
    let mut proxy = start_demo_proxy(root, local.as_ref().map(|l| l.url.as_str()))?;
    write_page_config(root, local.is_some())?;
    if let Some(local) = &local {
        println!(
            "no OPENAI_API_KEY: chat, autocomplete and generate answer from {} at {}",
            LOCAL_MODEL_ID, local.url
        );
    }
    println!("\nPilotfish demo: {}", server.url);
    println!(
        "proxy: http://{DEMO_PROXY_LISTEN}/v1 (bearer token `{DEMO_TOKEN}`), metrics: http://{DEMO_ADMIN_LISTEN}/metrics"
    );
    println!("(Ctrl-C stops both)");
    let status = proxy.wait()?;
    Err(anyhow!("the proxy exited ({status})"))
}

/// Builds (once) the static table and writes `.cache/embed/active.json` naming it, which is what
/// the page fetches to find the table under `/embed/`. Any failure removes `active.json`, so the
/// page never points at a missing or stale table.
/// `cli`: see [`crate::table::ensure`].
pub fn publish_table(root: &Path, cli: Option<&Path>) -> Result<PathBuf> {
    let manifest = root.join(".cache/embed/active.json");
    let _ = std::fs::remove_file(&manifest);
    let table = crate::table::ensure(root, cli)?;
    let name = table
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| anyhow!("table path {} has no file name", table.display()))?;
    if table.parent() != manifest.parent() {
        return Err(anyhow!("table {} is not in .cache/embed", table.display()));
    }
    std::fs::write(&manifest, format!("{{\"table\": \"{name}\"}}\n"))?;
    Ok(table)
}

/// Writes `.cache/demo/public/config.json` (served at `/demo/config.json`): the proxy and token
/// the page uses, and, in words, what answers behind the proxy and what to set to change it, so
/// the page can say it plainly. Prices make `metrics()`'s cost real (US dollars per million
/// tokens; the local model costs nothing).
fn write_page_config(root: &Path, local: bool) -> Result<()> {
    let (answers, change, price) = if local {
        (
            format!(
                "the local model SmolLM2-135M ({LOCAL_MODEL_ID}), served by pilotfish-local on this machine: no key, nothing leaves it"
            ),
            "To answer with OpenAI gpt-4o-mini, set OPENAI_API_KEY and run `cargo xtask demo` again (the key stays in the proxy).",
            (0.0, 0.0),
        )
    } else {
        (
            "OpenAI gpt-4o-mini, through the proxy with your OPENAI_API_KEY (the key never reaches this page)".to_owned(),
            "To answer with the local model SmolLM2-135M (no key), unset OPENAI_API_KEY and run `cargo xtask demo` again.",
            (0.15, 0.60),
        )
    };
    let prices: serde_json::Map<String, serde_json::Value> = ["chat", "autocomplete", "generate"]
        .iter()
        .map(|alias| {
            let pricing =
                serde_json::json!({"input_usd_per_mtok": price.0, "output_usd_per_mtok": price.1});
            ((*alias).to_owned(), pricing)
        })
        .collect();
    // Prompt budgets in tokens: the local model reads a prompt at a few hundred tokens a second
    // on a CPU, so the page gives it less context than the engine's default 2048 to answer sooner.
    let budgets = if local {
        serde_json::json!({"complete": 512, "chat": 1024})
    } else {
        serde_json::json!({})
    };
    let config = serde_json::json!({
        "proxyUrl": format!("http://{DEMO_PROXY_LISTEN}"),
        "token": DEMO_TOKEN,
        "answers": answers,
        "change": change,
        "prices": prices,
        "budgets": budgets,
        // SmolLM2 has no fill-in-the-middle tokens: it continues the prefix as plain text.
        "completionFamily": if local { "plain" } else { "qwen2.5-coder" },
    });
    let dir = root.join(".cache/demo/public");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("config.json"), serde_json::to_vec_pretty(&config)?)?;
    Ok(())
}

const DEMO_PROXY_LISTEN: &str = "127.0.0.1:8787";
const DEMO_ADMIN_LISTEN: &str = "127.0.0.1:9787";
/// A token for local demos only: the proxy stores its SHA-256, like any client's.
const DEMO_TOKEN: &str = "pilotfish-demo-token";

/// The model id the local server reports and the proxy's aliases name in zero-config mode.
const LOCAL_MODEL_ID: &str = "SmolLM2-135M-Instruct.Q4_1";

/// A running `pilotfish-local`.
struct LocalModel {
    /// Its API root, `http://127.0.0.1:PORT/v1`.
    url: String,
    _child: std::process::Child,
}

/// Builds and starts `pilotfish-local` on a free loopback port with the set-up GGUF, and waits
/// for the line it prints once it listens (the model is loaded by then).
fn start_local_model(model: &Path) -> Result<LocalModel> {
    use std::process::Stdio;
    // A release build: the model computes on the CPU, and a debug build answered the demo's
    // prompts past the proxy's 30 s first-byte timeout. The workspace's release profile as it is,
    // so the demo and the benchmarks share one build instead of rebuilding each other's.
    let binary = cmd::built_executable(
        cmd::cargo().args([
            "build",
            "-q",
            "--release",
            "-p",
            "pilotfish-local-llm",
            "--bin",
            "pilotfish-local",
        ]),
        "pilotfish-local",
    )?;
    let mut child = std::process::Command::new(binary)
        .arg("--model")
        .arg(model)
        .args(["--port", "0", "--model-id", LOCAL_MODEL_ID])
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("pilotfish-local has no stdout"))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| anyhow!("pilotfish-local did not start: {line:?}"))?;
    Ok(LocalModel {
        url: format!("{addr}/v1"),
        _child: child,
    })
}

/// Writes the demo config and starts `pilotfish-proxy`. The upstream is OpenAI when
/// `OPENAI_API_KEY` is set, else the local model server at `local` (no key, nothing external):
/// to the proxy it is one more OpenAI-compatible provider, so the aliases are the same either way.
fn start_demo_proxy(root: &Path, local: Option<&str>) -> Result<std::process::Child> {
    use sha2::{Digest, Sha256};
    let token_sha256: String = Sha256::digest(DEMO_TOKEN)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let (provider, chat_model, embed_model) = match local {
        None => (
            "name = \"upstream\"\nkind = \"openai\"\nbase_url = \"https://api.openai.com/v1\"\napi_key_env = \"OPENAI_API_KEY\"\n".to_owned(),
            "gpt-4o-mini",
            "text-embedding-3-small",
        ),
        // The local server has no embeddings: the page searches with its static table instead.
        Some(url) => (
            format!("name = \"upstream\"\nkind = \"openai-compatible\"\nbase_url = \"{url}\"\n"),
            LOCAL_MODEL_ID,
            "none",
        ),
    };
    let config = format!(
        r#"listen = "{DEMO_PROXY_LISTEN}"
admin_listen = "{DEMO_ADMIN_LISTEN}"
[cors]
origins = ["http://127.0.0.1:*", "http://localhost:*"]
[[providers]]
{provider}
[[models]]
alias = "chat"
provider = "upstream"
model = "{chat_model}"
[[models]]
alias = "autocomplete"
provider = "upstream"
model = "{chat_model}"
[[models]]
alias = "generate"
provider = "upstream"
model = "{chat_model}"
[[models]]
alias = "embed"
provider = "upstream"
model = "{embed_model}"
[[clients]]
name = "demo"
token_sha256 = "{token_sha256}"
models = ["chat", "autocomplete", "generate", "embed"]
rpm = 120
tpm = 400000
daily_budget_usd = 2.0
"#
    );
    let dir = root.join(".cache/demo");
    std::fs::create_dir_all(&dir)?;
    let config_path = dir.join("proxy.toml");
    std::fs::write(&config_path, config)?;
    // Asked of cargo rather than assumed under target/, so a CARGO_TARGET_DIR is honoured.
    let binary = cmd::built_executable(
        cmd::cargo().args(["build", "-q", "-p", "pilotfish-proxy"]),
        "pilotfish-proxy",
    )?;
    Ok(std::process::Command::new(binary)
        .arg("--config")
        .arg(&config_path)
        .spawn()?)
}

#[cfg(test)]
mod tests {
    use super::write_page_config;

    fn written(local: bool) -> serde_json::Value {
        let root = std::env::temp_dir().join(format!(
            "pilotfish-page-config-{}-{local}",
            std::process::id()
        ));
        write_page_config(&root, local).unwrap();
        let path = root.join(".cache/demo/public/config.json");
        let config = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        std::fs::remove_dir_all(&root).unwrap();
        config
    }

    #[test]
    fn the_page_is_told_what_answers_and_how_to_change_it() {
        let local = written(true);
        assert_eq!(local["proxyUrl"], "http://127.0.0.1:8787");
        assert_eq!(local["token"], "pilotfish-demo-token");
        let answers = local["answers"].as_str().unwrap();
        assert!(answers.contains("SmolLM2-135M") && answers.contains("no key"));
        assert!(
            local["change"]
                .as_str()
                .unwrap()
                .contains("set OPENAI_API_KEY")
        );
        assert_eq!(local["prices"]["chat"]["output_usd_per_mtok"], 0.0);
        assert_eq!(local["budgets"]["complete"], 512);
        assert_eq!(
            local["completionFamily"], "plain",
            "SmolLM2 has no FIM tokens"
        );

        let openai = written(false);
        assert!(openai["answers"].as_str().unwrap().contains("gpt-4o-mini"));
        assert!(
            openai["change"]
                .as_str()
                .unwrap()
                .contains("unset OPENAI_API_KEY")
        );
        assert_eq!(openai["prices"]["autocomplete"]["input_usd_per_mtok"], 0.15);
        assert_eq!(openai["budgets"], serde_json::json!({}));
        assert_eq!(openai["completionFamily"], "qwen2.5-coder");
        // The page only ever sees the variable's name, never a key.
        assert!(!openai.to_string().contains("sk-"));
    }
}
