//! Which embedder the `Engine` embeds chunks and queries with. Models are loaded from bytes the
//! host provides (the page fetches them; nothing here touches the network).
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
    /// A static table from the bytes of a `.pfst` file (as `pilotfish distill` writes it).
    pub fn static_table(bytes: &[u8]) -> Result<Self, EmbedError> {
        Ok(ActiveEmbedder::Static(Box::new(StaticTable::from_bytes(
            bytes,
        )?)))
    }

    /// The MiniLM transformer from the bytes of its three files.
    #[cfg(feature = "local-model")]
    pub fn minilm(
        safetensors: &[u8],
        config_json: &[u8],
        tokenizer_json: &[u8],
    ) -> Result<Self, EmbedError> {
        use engine::embed::minilm::{MiniLm, MiniLmConfig};
        let model = MiniLm::from_bytes(
            safetensors,
            config_json,
            tokenizer_json,
            MiniLmConfig::default(),
        )?;
        Ok(ActiveEmbedder::MiniLm(Box::new(model)))
    }

    fn inner(&self) -> &dyn Embedder {
        match self {
            ActiveEmbedder::Hashed => &*HASHED,
            ActiveEmbedder::Static(table) => table.as_ref(),
            #[cfg(feature = "local-model")]
            ActiveEmbedder::MiniLm(model) => model.as_ref(),
        }
    }

    /// The facade's name for the embedder's kind (`EmbedderKind` in the TypeScript types).
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
