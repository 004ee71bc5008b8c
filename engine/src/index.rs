//! The project index: every indexed file's chunks, keyed by path.

use std::collections::BTreeMap;

use crate::chunk::{ChunkConfig, ChunkedFile, chunk_file};

/// Chunks of every indexed file. Paths are kept in order so listings are deterministic.
#[derive(Debug, Default)]
pub struct FileIndex {
    config: ChunkConfig,
    files: BTreeMap<String, ChunkedFile>,
}

/// Counts a host can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndexStats {
    pub files: usize,
    pub chunks: usize,
    pub bytes: usize,
    pub diagnostics: usize,
}

impl FileIndex {
    pub fn new(config: ChunkConfig) -> Self {
        FileIndex {
            config,
            files: BTreeMap::new(),
        }
    }

    /// (Re)indexes one file, replacing what was indexed under `path`.
    pub fn index_file(&mut self, path: &str, bytes: &[u8]) -> &ChunkedFile {
        let chunked = chunk_file(path, bytes, &self.config);
        self.files.insert(path.to_string(), chunked);
        &self.files[path]
    }

    /// Forgets a file; returns whether it was indexed.
    pub fn remove_file(&mut self, path: &str) -> bool {
        self.files.remove(path).is_some()
    }

    pub fn file(&self, path: &str) -> Option<&ChunkedFile> {
        self.files.get(path)
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    pub fn stats(&self) -> IndexStats {
        let mut stats = IndexStats {
            files: self.files.len(),
            ..IndexStats::default()
        };
        for file in self.files.values() {
            stats.chunks += file.chunks.len();
            stats.bytes += file
                .chunks
                .iter()
                .map(|c| c.end_byte - c.start_byte)
                .sum::<usize>();
            stats.diagnostics += file.diagnostics.len();
        }
        stats
    }
}
