//! Embedders in the tab: which one the `Engine` embeds chunks and queries with, loaded from bytes
//! the host provides (the page fetches them; nothing here touches the network), plus bulk indexing
//! with a progress callback that can cancel.
//!
//! The default package carries the hashed embedder and the static token table. The table needs the
//! model's WordPiece tokenizer; we use Hugging Face `tokenizers` (through the engine's
//! `static-table` feature) rather than a hand-written WordPiece so the browser tokenizes exactly as
//! the native distillation and the CLI do — its wasm size was measured to fit the 2.5 MB gzipped
//! budget (see BENCHMARKS.md, "Embedders in Chromium"). The MiniLM transformer (candle) is much
//! larger, so it only exists in the second package built with the `local-model` feature.

use engine::embed::hashed::HashedEmbedder;
use engine::embed::static_table::StaticTable;
use engine::embed::{EmbedError, Embedder};
use engine::project::{BulkReport, Control};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::{Engine, arg, into_error, output};

#[wasm_bindgen(typescript_custom_section)]
const EMBED_TS: &str = r#"
/** Which embedder turns chunks and queries into vectors. */
export type EmbedderKind = "hashed" | "static" | "minilm";
export interface EmbedderInfo {
  kind: EmbedderKind;
  /** Stable id of the model and settings (snapshots record it). */
  id: string;
  dimensions: number;
}
/** One file for `indexFiles`. */
export interface FileInput { path: string; text: string; }
/** Called after each file; return `false` to stop (files indexed so far stay indexed). */
export type IndexProgress = (done: number, total: number) => boolean | void;
export interface BulkReport {
  files: number;
  /** Files whose bytes were unchanged (nothing to do). */
  unchanged: number;
  chunks: number;
  /** Chunks that had to be embedded (embedding-cache misses). */
  embedded: number;
  /** True when the callback stopped the job before the last file. */
  cancelled: boolean;
}
"#;

/// The embedder in use. Hashed is the default: it needs no download.
#[derive(Debug, Default)]
pub enum ActiveEmbedder {
    #[default]
    Hashed,
    Static(Box<StaticTable>),
    #[cfg(feature = "local-model")]
    MiniLm(Box<engine::embed::minilm::MiniLm>),
}

/// The hashed embedder has no state worth keeping per engine; one shared instance with the
/// default settings is what every snapshot and test expects.
static HASHED: std::sync::LazyLock<HashedEmbedder> = std::sync::LazyLock::new(Default::default);

impl ActiveEmbedder {
    fn inner(&self) -> &dyn Embedder {
        match self {
            ActiveEmbedder::Hashed => &*HASHED,
            ActiveEmbedder::Static(table) => table.as_ref(),
            #[cfg(feature = "local-model")]
            ActiveEmbedder::MiniLm(model) => model.as_ref(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ActiveEmbedder::Hashed => "hashed",
            ActiveEmbedder::Static(_) => "static",
            #[cfg(feature = "local-model")]
            ActiveEmbedder::MiniLm(_) => "minilm",
        }
    }
}

impl Embedder for ActiveEmbedder {
    fn id(&self) -> &str {
        self.inner().id()
    }
    fn dimensions(&self) -> usize {
        self.inner().dimensions()
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.inner().embed(texts)
    }
}

/// What `embedder` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WireEmbedderInfo {
    pub kind: &'static str,
    pub id: String,
    pub dimensions: usize,
}

/// One file of `indexFiles`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileInput {
    pub path: String,
    pub text: String,
}

/// What `indexFiles` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WireBulkReport {
    pub files: usize,
    pub unchanged: usize,
    pub chunks: usize,
    pub embedded: usize,
    pub cancelled: bool,
}

impl From<BulkReport> for WireBulkReport {
    fn from(r: BulkReport) -> Self {
        WireBulkReport {
            files: r.files,
            unchanged: r.unchanged,
            chunks: r.chunks,
            embedded: r.embedded,
            cancelled: r.cancelled,
        }
    }
}

/// Native (and test) entry points.
impl Engine {
    /// Switches to another embedder. Only an empty engine may switch: vectors of different
    /// embedders cannot share an index, and the engine does not keep file texts to re-embed.
    pub fn set_embedder(&mut self, embedder: ActiveEmbedder) -> Result<(), String> {
        if self.search.project.files() > 0 {
            return Err(format!(
                "load the embedder before indexing files ({} indexed; remove them first)",
                self.search.project.files()
            ));
        }
        self.search.embedder = embedder;
        Ok(())
    }

    /// Loads a static table file (`.pfst`, as `pilotfish distill` writes it).
    pub fn load_static_table_bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        let table = StaticTable::from_bytes(bytes).map_err(|e| e.to_string())?;
        self.set_embedder(ActiveEmbedder::Static(Box::new(table)))
    }

    /// Loads the MiniLM transformer from its three files' bytes.
    #[cfg(feature = "local-model")]
    pub fn load_minilm_bytes(
        &mut self,
        safetensors: &[u8],
        config_json: &[u8],
        tokenizer_json: &[u8],
    ) -> Result<(), String> {
        use engine::embed::minilm::{MiniLm, MiniLmConfig};
        let model = MiniLm::from_bytes(
            safetensors,
            config_json,
            tokenizer_json,
            MiniLmConfig::default(),
        )
        .map_err(|e| e.to_string())?;
        self.set_embedder(ActiveEmbedder::MiniLm(Box::new(model)))
    }

    pub fn embedder_info(&self) -> WireEmbedderInfo {
        let e = &self.search.embedder;
        WireEmbedderInfo {
            kind: e.kind(),
            id: e.id().to_string(),
            dimensions: e.dimensions(),
        }
    }

    /// Embeds texts with the active embedder, row after row in one flat vector.
    pub fn embed_flat(&self, texts: &[&str]) -> Result<Vec<f32>, String> {
        let vectors = self
            .search
            .embedder
            .embed(texts)
            .map_err(|e| e.to_string())?;
        Ok(vectors.into_iter().flatten().collect())
    }

    /// Indexes many files, calling `progress(done, total)` after each; [`Control::Stop`] ends the
    /// job early and what was indexed stays indexed. The same loop as the engine's
    /// `Project::index_files`, kept here because the facade also records each file's chunk listing.
    pub fn index_many(
        &mut self,
        files: &[FileInput],
        mut progress: impl FnMut(usize, usize) -> Result<Control, String>,
    ) -> Result<WireBulkReport, String> {
        let mut report = BulkReport::default();
        for (done, file) in files.iter().enumerate() {
            let (_, one) = self.index_text_checked(&file.path, &file.text)?;
            report.files += 1;
            report.unchanged += usize::from(one.unchanged);
            report.chunks += one.chunks;
            report.embedded += one.embedded;
            if progress(done + 1, files.len())? == Control::Stop {
                report.cancelled = done + 1 < files.len();
                break;
            }
        }
        Ok(report.into())
    }
}

#[wasm_bindgen]
impl Engine {
    /// Switches to a static token table (the bytes of a `.pfst` file). Call it before indexing;
    /// throws on corrupt or foreign bytes.
    #[wasm_bindgen(js_name = loadStaticTable)]
    pub fn load_static_table(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        self.load_static_table_bytes(bytes)
            .map_err(|e| into_error(format!("loadStaticTable: {e}")))
    }

    /// Switches to the MiniLM transformer (only in the `pkg-model` package), from the bytes of
    /// `model.safetensors`, `config.json` and `tokenizer.json`. Call it before indexing.
    #[cfg(feature = "local-model")]
    #[wasm_bindgen(js_name = loadMiniLm)]
    pub fn load_minilm(
        &mut self,
        safetensors: &[u8],
        config_json: &[u8],
        tokenizer_json: &[u8],
    ) -> Result<(), JsError> {
        self.load_minilm_bytes(safetensors, config_json, tokenizer_json)
            .map_err(|e| into_error(format!("loadMiniLm: {e}")))
    }

    /// The active embedder.
    #[wasm_bindgen(getter, unchecked_return_type = "EmbedderInfo")]
    pub fn embedder(&self) -> Result<JsValue, JsError> {
        output(&self.embedder_info())
    }

    /// Embeds texts with the active embedder: `texts.length × dimensions` floats, row-major.
    #[wasm_bindgen(unchecked_return_type = "Float32Array")]
    pub fn embed(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] texts: JsValue,
    ) -> Result<JsValue, JsError> {
        let texts: Vec<String> = arg("embed", "texts", texts)?;
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let flat = self
            .embed_flat(&refs)
            .map_err(|e| into_error(format!("embed: {e}")))?;
        Ok(js_sys::Float32Array::from(flat.as_slice()).into())
    }

    /// Indexes many files; `onProgress(done, total)` runs after each and may return `false` to
    /// cancel. An exception thrown by the callback stops the job and is rethrown.
    #[wasm_bindgen(js_name = indexFiles, unchecked_return_type = "BulkReport")]
    pub fn index_files(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "FileInput[]")] files: JsValue,
        #[wasm_bindgen(unchecked_param_type = "IndexProgress | undefined")] on_progress: JsValue,
    ) -> Result<JsValue, JsError> {
        let files: Vec<FileInput> = arg("indexFiles", "files", files)?;
        let callback = match on_progress.dyn_into::<js_sys::Function>() {
            Ok(f) => Some(f),
            Err(v) if v.is_undefined() || v.is_null() => None,
            Err(_) => {
                return Err(into_error(
                    "indexFiles: invalid `onProgress`: expected a function",
                ));
            }
        };
        let report = self
            .index_many(&files, |done, total| {
                let Some(f) = &callback else {
                    return Ok(Control::Continue);
                };
                let result = f
                    .call2(&JsValue::NULL, &done.into(), &total.into())
                    .map_err(|e| {
                        let message = e
                            .dyn_ref::<js_sys::Error>()
                            .map(|e| String::from(e.message()))
                            .or_else(|| e.as_string())
                            .unwrap_or_else(|| "a non-Error value".into());
                        format!("onProgress threw: {message}")
                    })?;
                // Only an explicit `false` cancels, so callbacks that return nothing go on.
                Ok(if result.as_bool() == Some(false) {
                    Control::Stop
                } else {
                    Control::Continue
                })
            })
            .map_err(|e| into_error(format!("indexFiles: {e}")))?;
        output(&report)
    }
}
