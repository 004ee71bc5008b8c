//! The `Engine` class's state and its native entry points: the page's handle on one
//! `assist::context::Workspace` and the embedder its vectors come from. The workspace owns the
//! engine's `Project` (every indexed file: chunks cut once with the host's chunk settings,
//! diagnostics, position map) and the tags the assistant resolves definitions with, updated
//! together, so the facade keeps no listing of its own: each method makes one engine call and
//! converts the result to wire types. The exported `#[wasm_bindgen]` methods (`exports/`) are these plus the
//! `JsValue` crossing, and the native tests call these directly.

use assist::context::Workspace;
#[cfg(feature = "assistant")]
use assist::tokens::ExactTokens;
use engine::ProjectConfig;
use engine::embed::Embedder;
use engine::project::Control;
use engine::search::hnsw::HnswConfig;
use wasm_bindgen::prelude::*;

use crate::embedder::ActiveEmbedder;
use crate::error::Error;
use crate::options::{
    EngineOptions, FileInput, PositionEncoding, WireSearchOptions, describe_chunk_config,
};
use crate::wire::{
    self, WireBulkReport, WireChunk, WireEmbedderInfo, WireIndexedFile, WireSearchHit, WireStats,
};

/// Files whose trees the engine keeps for incremental re-parsing: an editor shows a few at once.
#[cfg(feature = "assistant")]
const OPEN_DOCUMENTS: usize = 8;

/// An in-memory project index living in the page. Construct it with `new Engine(options)`.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Engine {
    pub(crate) encoding: PositionEncoding,
    /// The project and its tags; search, snapshots and prompts all read this one copy.
    pub(crate) workspace: Workspace,
    /// Hashed by default; `loadStaticTable` switches it while the project is empty.
    pub(crate) embedder: ActiveEmbedder,
    /// `loadTokenizer`'s exact counts for prompts; `None`: the calibrated estimate.
    #[cfg(feature = "assistant")]
    pub(crate) tokenizer: Option<ExactTokens>,
    /// The last text and tree of the few files prompts were built in: typing in a file re-parses
    /// only what the keystroke changed (`assist::context::DocumentTrees`).
    #[cfg(feature = "assistant")]
    pub(crate) documents: std::cell::RefCell<assist::context::DocumentTrees>,
    /// `analyze`'s security findings by statement, so re-analysing an edited file re-queries
    /// only what changed (`analysis::rules::FindingCache`).
    #[cfg(feature = "assistant")]
    pub(crate) findings: std::cell::RefCell<analysis::rules::FindingCache>,
    /// `analyze`'s secrets of the open documents, so a keystroke re-scans only the lines
    /// around it (`analysis::DocumentSecrets`).
    #[cfg(feature = "assistant")]
    pub(crate) secrets: std::cell::RefCell<analysis::DocumentSecrets>,
    /// `configureAssistant`'s session, shared with the requests in flight.
    #[cfg(feature = "assistant")]
    pub(crate) session: Option<std::rc::Rc<std::cell::RefCell<crate::assistant::session::Session>>>,
}

impl Engine {
    pub fn with_options(options: &EngineOptions) -> Result<Engine, Error> {
        Ok(Engine {
            encoding: options.position_encoding,
            workspace: Workspace::new(ProjectConfig {
                chunk: options.chunk_config()?,
                ..ProjectConfig::default()
            }),
            embedder: ActiveEmbedder::default(),
            #[cfg(feature = "assistant")]
            tokenizer: None,
            #[cfg(feature = "assistant")]
            documents: std::cell::RefCell::new(assist::context::DocumentTrees::new(OPEN_DOCUMENTS)),
            #[cfg(feature = "assistant")]
            findings: std::cell::RefCell::new(analysis::rules::FindingCache::default()),
            #[cfg(feature = "assistant")]
            secrets: std::cell::RefCell::new(analysis::DocumentSecrets::new(OPEN_DOCUMENTS)),
            #[cfg(feature = "assistant")]
            session: None,
        })
    }

    /// Chunks and embeds one file. An embedding failure leaves the file's previous entry in place.
    pub fn index_text(&mut self, path: &str, text: &str) -> Result<WireIndexedFile, Error> {
        // One file at a time is the editor's path (the open document after an edit): its tree
        // is the document's, re-parsed incrementally and then at hand for `analyze` and prompts.
        #[cfg(feature = "assistant")]
        self.workspace.index_document(
            path,
            text.as_bytes(),
            Some(&self.embedder),
            &mut self.documents.borrow_mut(),
        )?;
        #[cfg(not(feature = "assistant"))]
        self.workspace
            .index_file(path, text.as_bytes(), Some(&self.embedder))?;
        let file = self
            .workspace
            .project()
            .file(path)
            .expect("a file indexed without error is in the project");
        Ok(wire::wire_indexed_file(path, file, self.encoding))
    }

    /// Indexes many files, calling `progress(done, total)` after each; [`Control::Stop`] ends the
    /// job early and what was indexed stays indexed. A failing `progress` (a JS callback that
    /// threw) stops the job too, and its error is returned.
    pub fn index_files_with_progress(
        &mut self,
        files: &[FileInput],
        mut progress: impl FnMut(usize, usize) -> Result<Control, Error>,
    ) -> Result<WireBulkReport, Error> {
        let inputs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|f| (f.path.as_str(), f.text.as_bytes()))
            .collect();
        let mut failure = None;
        let report = self
            .workspace
            .index_files(&inputs, Some(&self.embedder), |done, total| {
                progress(done, total).unwrap_or_else(|error| {
                    failure = Some(error);
                    Control::Stop
                })
            })?;
        match failure {
            Some(error) => Err(error),
            None => Ok(report.into()),
        }
    }

    pub fn file_chunks(&self, path: &str) -> Option<Vec<WireChunk>> {
        let file = self.workspace.project().file(path)?;
        Some(wire::wire_chunks(file, self.encoding))
    }

    pub fn forget_file(&mut self, path: &str) -> bool {
        self.workspace.remove_file(path)
    }

    pub fn indexed_paths(&self) -> Vec<&str> {
        self.workspace.project().paths().collect()
    }

    pub fn index_stats(&self) -> WireStats {
        self.workspace.project().stats().into()
    }

    pub fn search_native(
        &self,
        query: &str,
        options: &WireSearchOptions,
    ) -> Result<Vec<WireSearchHit>, Error> {
        let hits =
            self.workspace
                .project()
                .search(query, Some(&self.embedder), &options.to_options()?)?;
        Ok(hits.iter().map(wire::wire_search_hit).collect())
    }

    /// Builds, rebuilds or drops the project's HNSW graph for its size (see
    /// `Project::maintain_ann`); returns whether vector search uses a graph.
    pub fn maintain_graph(&mut self, crossover: Option<usize>) -> bool {
        let defaults = HnswConfig::default();
        self.workspace.project_mut().maintain_ann(HnswConfig {
            crossover: crossover.unwrap_or(defaults.crossover),
            ..defaults
        })
    }

    /// The project as one snapshot (see `engine::snapshot`): files with their chunks and
    /// positions, keyword index, vectors and settings.
    pub fn snapshot_bytes(&self) -> Vec<u8> {
        engine::snapshot::write(self.workspace.project())
    }

    /// Replaces the project with a snapshot's, or changes nothing and says why not. The
    /// snapshot's vectors must come from the active embedder (load the same table first), and it
    /// must have been chunked with this engine's chunk options: adopting other settings would
    /// make later `indexFile` calls chunk differently from what the host asked for, and mixing
    /// two settings in one index is what one owner per file exists to prevent. Offsets are not
    /// stored, so any `positionEncoding` restores any snapshot.
    pub fn restore_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let project = engine::snapshot::read(bytes)?;
        if let Some(id) = project.embedder_id()
            && id != self.embedder.id()
        {
            return Err(Error::ForeignEmbedder {
                snapshot: id.to_string(),
                engine: self.embedder.id().to_string(),
            });
        }
        // The same id with other dimensions is a crafted or damaged snapshot: adopting it would
        // make every later search and edit fail on the vectors' length.
        if let Some(dims) = project.vector_dims()
            && dims != self.embedder.dimensions()
        {
            return Err(Error::ForeignDimensions {
                snapshot: dims,
                engine: self.embedder.dimensions(),
            });
        }
        let (theirs, ours) = (
            &project.config().chunk,
            &self.workspace.project().config().chunk,
        );
        if theirs != ours {
            return Err(Error::ChunkConfig {
                snapshot: describe_chunk_config(theirs),
                engine: describe_chunk_config(ours),
            });
        }
        // Search works at once; the tags are rebuilt from the snapshot's chunks a few files at a
        // time (`tagPending`, in the host's idle time) or all at once before the first prompt, so
        // a restored engine resolves definitions as one that indexed the files itself.
        self.workspace = Workspace::adopt(project);
        Ok(())
    }

    /// Tags up to `max_files` restored files; returns how many are still untagged.
    pub fn tag_pending(&mut self, max_files: usize) -> usize {
        self.workspace.tag_pending(max_files)
    }

    /// Switches to another embedder. Only an empty engine may switch: vectors of different
    /// embedders cannot share an index, and the engine does not keep file texts to re-embed.
    pub fn set_embedder(&mut self, embedder: ActiveEmbedder) -> Result<(), Error> {
        match self.workspace.project().files() {
            0 => {
                self.embedder = embedder;
                Ok(())
            }
            indexed => Err(Error::NotEmpty { indexed }),
        }
    }

    /// Loads a static table file (`.pfst`, as `pilotfish distill` writes it).
    pub fn load_static_table_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.set_embedder(ActiveEmbedder::static_table(bytes)?)
    }

    /// Loads the MiniLM transformer from the bytes of `model.safetensors`, `config.json` and
    /// `tokenizer.json`.
    #[cfg(feature = "local-model")]
    pub fn load_minilm_bytes(
        &mut self,
        safetensors: &[u8],
        config_json: &[u8],
        tokenizer_json: &[u8],
    ) -> Result<(), Error> {
        self.set_embedder(ActiveEmbedder::minilm(
            safetensors,
            config_json,
            tokenizer_json,
        )?)
    }

    pub fn embedder_info(&self) -> WireEmbedderInfo {
        wire::wire_embedder_info(self.embedder.kind(), &self.embedder)
    }

    /// Embeds texts with the active embedder, row after row in one flat vector.
    pub fn embed_flat(&self, texts: &[&str]) -> Result<Vec<f32>, Error> {
        Ok(self.embedder.embed(texts)?.into_iter().flatten().collect())
    }
}
