//! The demo: a small static file server for the page, the built wasm package and Monaco, plus the
//! proxy. tiny_http keeps xtask's own build short; the server only ever binds to loopback.

use std::path::{Component, Path, PathBuf};
use std::thread::JoinHandle;

use anyhow::{Result, anyhow};
use tiny_http::{Header, Response, Server};

use crate::{setup, wasm};

/// URL prefixes and the folders they are served from, most specific first.
fn mounts(root: &Path) -> Vec<(&'static str, PathBuf)> {
    vec![
        ("/pkg/", root.join("plugin-wasm/pkg")),
        ("/monaco/", root.join("node_modules/monaco-editor/min")),
        ("/", root.join("web-demo")),
    ]
}

/// A running static server.
pub struct StaticServer {
    pub url: String,
    _thread: JoinHandle<()>,
}

/// Serves the demo files on 127.0.0.1:`port` (0 picks a free port) from a background thread.
pub fn start_static(root: &Path, port: u16) -> Result<StaticServer> {
    let server = Server::http(("127.0.0.1", port))
        .map_err(|e| anyhow!("cannot bind 127.0.0.1:{port}: {e}"))?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| anyhow!("static server has no IP address"))?;
    let mounts = mounts(root);
    let thread = std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let response = respond(&mounts, request.url());
            // A client that went away is not the server's problem.
            let _ = request.respond(response);
        }
    });
    Ok(StaticServer {
        url: format!("http://{addr}/"),
        _thread: thread,
    })
}

fn respond(mounts: &[(&'static str, PathBuf)], url: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    let Some(file) = resolve(mounts, path) else {
        return Response::from_string("not found").with_status_code(404);
    };
    match std::fs::read(&file) {
        Ok(bytes) => {
            let header = Header::from_bytes("Content-Type", content_type(&file))
                .expect("static header is valid");
            let no_cache =
                Header::from_bytes("Cache-Control", "no-store").expect("static header is valid");
            Response::from_data(bytes)
                .with_header(header)
                .with_header(no_cache)
        }
        Err(_) => Response::from_string("not found").with_status_code(404),
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

/// `cargo xtask demo`: set up, build, serve, print the URL, run until interrupted.
pub fn demo(root: &Path) -> Result<()> {
    setup::all(root)?;
    wasm::build(root)?;
    let port = std::env::var("PILOTFISH_DEMO_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let server = start_static(root, port).or_else(|_| start_static(root, 0))?;
    println!("\nPilotfish demo: {}\n(Ctrl-C stops it)", server.url);
    server
        ._thread
        .join()
        .map_err(|_| anyhow!("static server thread panicked"))
}
