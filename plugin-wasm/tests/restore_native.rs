//! Restoring a snapshot whose vectors claim the engine's embedder but have other dimensions (a
//! crafted or damaged snapshot that passes its checksum): `restore` refuses it and keeps the
//! engine as it was, rather than adopting an index every later search and edit would fail on.
#![cfg(not(target_arch = "wasm32"))]

use engine::embed::hashed::HashedEmbedder;
use engine::embed::{EmbedError, Embedder};
use engine::project::Project;
use plugin_wasm::Engine;
use plugin_wasm::options::{EngineOptions, WireSearchOptions};

/// The engine's default embedder's id with vectors of another length.
struct Impostor {
    id: String,
}

impl Embedder for Impostor {
    fn id(&self) -> &str {
        &self.id
    }
    fn dimensions(&self) -> usize {
        7
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts.iter().map(|_| vec![0.5; 7]).collect())
    }
}

#[test]
fn vectors_of_other_dimensions_are_refused() {
    let mut engine = Engine::with_options(&EngineOptions::default()).unwrap();
    engine
        .index_text("src/app.py", "def parse(path):\n    return open(path)\n")
        .unwrap();
    let impostor = Impostor {
        id: HashedEmbedder::default().id().to_string(),
    };
    assert_eq!(engine.embedder_info().id, impostor.id);
    let mut project = Project::default();
    project
        .index_file("src/other.py", b"def other():\n    pass\n", Some(&impostor))
        .unwrap();
    let error = engine
        .restore_bytes(&engine::snapshot::write(&project))
        .unwrap_err()
        .to_string();
    assert!(error.contains("7 dimensions"), "{error}");
    // Nothing changed: the engine's own file is still what it finds.
    assert_eq!(engine.indexed_paths(), vec!["src/app.py"]);
    let hits = engine
        .search_native("parse", &WireSearchOptions::default())
        .unwrap();
    assert_eq!(hits[0].path, "src/app.py");
}
