//! The native side of `cargo xtask bench embed`: embeds the very chunk texts the Chromium run
//! embedded (a JSON array written by `tests/bench/embed.mjs`) through the same facade entry point
//! (`Engine::embed_flat`), so the browser and native numbers compare like for like.
//!
//! Usage: `embed_native TEXTS.json TABLE.pfst [MODEL_DIR MINILM_COUNT]` (the MiniLM row needs the
//! `local-model` feature). Prints one JSON object per embedder: `{"embedder","chunks","seconds"}`.

use std::error::Error;
use std::time::Instant;

use plugin_wasm::Engine;
use plugin_wasm::options::EngineOptions;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [texts_path, table_path, rest @ ..] = args.as_slice() else {
        return Err("usage: embed_native TEXTS.json TABLE.pfst [MODEL_DIR MINILM_COUNT]".into());
    };
    let read = |p: &str| std::fs::read(p).map_err(|e| format!("reading {p}: {e}"));
    let texts: Vec<String> =
        serde_json::from_slice(&read(texts_path)?).map_err(|e| format!("{texts_path}: {e}"))?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let engine = || Engine::with_options(&EngineOptions::default());

    time("hashed", &engine()?, &refs)?;
    let mut table = engine()?;
    table.load_static_table_bytes(&read(table_path)?)?;
    time("static", &table, &refs)?;
    if let [model_dir, count] = rest {
        let count: usize = count.parse().map_err(|e| format!("MINILM_COUNT: {e}"))?;
        minilm(model_dir, &refs[..count.min(refs.len())])?;
    }
    Ok(())
}

fn time(name: &str, engine: &Engine, texts: &[&str]) -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    // Batches of 256 like the browser run, so per-call overheads match.
    for batch in texts.chunks(256) {
        engine.embed_flat(batch)?;
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{{\"embedder\":\"{name}\",\"chunks\":{},\"seconds\":{seconds:.4}}}",
        texts.len()
    );
    Ok(())
}

#[cfg(feature = "local-model")]
fn minilm(dir: &str, texts: &[&str]) -> Result<(), Box<dyn Error>> {
    let read = |f: &str| std::fs::read(format!("{dir}/{f}")).map_err(|e| format!("{dir}/{f}: {e}"));
    let mut engine = Engine::with_options(&EngineOptions::default())?;
    engine.load_minilm_bytes(
        &read("model.safetensors")?,
        &read("config.json")?,
        &read("tokenizer.json")?,
    )?;
    time("minilm", &engine, texts)
}

#[cfg(not(feature = "local-model"))]
fn minilm(_: &str, _: &[&str]) -> Result<(), Box<dyn Error>> {
    Err("the MiniLM row needs `--features local-model`".into())
}
