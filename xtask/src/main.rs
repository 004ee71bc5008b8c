//! Pilotfish's automation, in Rust so it runs wherever cargo does (matklad's xtask pattern).
//! `cargo xtask demo` and `cargo xtask test` are the README's two commands; both set up every tool
//! they need first, idempotently. This crate is the only place that installs anything.

mod bench;
mod bench_analysis;
mod bench_context;
mod bench_embed;
mod bench_prompt;
mod bench_vector;
mod cmd;
mod code_server;
mod code_tokenizer;
mod corpus;
mod e2e_stack;
mod fuzz;
mod local_model;
mod model;
mod packages;
mod serve;
mod setup;
mod table;
mod test;
mod vscode;
mod wasm;

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  setup        install missing tools (apt packages, wasm32 target, wasm-bindgen-cli, npm packages, venv)
  build-wasm   build plugin-wasm/pkg (wasm-bindgen --target web, wasm-opt -Oz) and print its size;
               --model also builds plugin-wasm/pkg-model (with the MiniLM transformer),
               --assistant also builds plugin-wasm/pkg-assistant (buildPrompt, complete, chat),
               --llm also builds plugin-wasm/pkg-llm (the local language model, for llm-worker/)
  demo         set up, build, start the proxy and the demo page, print the URL (Ctrl-C stops)
  test         set up, then run every check and test (what CI runs)
  serve        serve the demo page, plugin-wasm/pkg and Monaco as built (no setup), print the URL
  fuzz         the property tests over hostile input (snapshots, chunker, SSE) with many more cases
               (--cases N per property, default 20000)
  vsix         bundle the VS Code web extension (plugin-wasm/vscode) into target/vscode/pilotfish.vsix
  test-vscode  build, package and test the extension in code-server against the proxy (installs code-server)
  bench [S..]  release-build benchmarks side by side with peers (sections: size, chunk, retrieval, proxy, embed, vector, context, prompt, monaco, analysis)
";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("setup") => setup::all(&root).map(|_| ()),
        Some("build-wasm") => {
            setup::all(&root)?;
            wasm::build(&root)?;
            if args.iter().any(|a| a == "--model") {
                wasm::build_package(&root, wasm::Package::Model)?;
            }
            if args.iter().any(|a| a == "--assistant") {
                wasm::build_package(&root, wasm::Package::Assistant)?;
            }
            if args.iter().any(|a| a == "--llm") {
                wasm::build_package(&root, wasm::Package::Llm)?;
            }
            wasm::check_budget(&root)
        }
        Some("demo") => serve::demo(&root),
        Some("serve") => {
            // The page, package and Monaco only (no build, no proxy): for running tests/e2e by hand.
            serve::sample::ensure(&root)?;
            let server = serve::start_static(&root, 0)?;
            println!("{}", server.url);
            loop {
                std::thread::park();
            }
        }
        Some("bench") => bench::run(&root, &args[1..]),
        Some("test") => test::all(&root),
        Some("vsix") => vscode::vsix_command(&root),
        Some("test-vscode") => vscode::test_alone(&root),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command `{other}`\n{USAGE}"),
    }
}

/// The workspace root: xtask lives one level below it.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask has a parent directory")
        .to_path_buf()
}
