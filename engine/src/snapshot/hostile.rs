//! Crafted snapshots that pass the checksum: a restore is a trust boundary (the bytes come from
//! IndexedDB, OPFS or a file a person opened), so a payload that is well-framed but wrong must be
//! a clear [`SnapshotError`], never a panic and never an allocation sized by a stored count.

use super::codec::Writer;
use super::*;
use crate::embed::hashed::HashedEmbedder;
use crate::search::fuse::FusionConfig;

const PY: &str = "def parse_config(path):\n    return open(path).read()\n\n\nclass Cache:\n    def get(self, key):\n        return self.data[\"naïve 🐍\"]\n";
const JS: &str =
    "export function add(a, b) {\n  return a + b;\n}\n\nexport const twice = (x) => add(x, x);\n";

/// Two files with vectors, and one removed so free slots exist.
fn project() -> Project {
    let embedder = HashedEmbedder::default();
    let mut project = Project::default();
    for (path, text) in [("src/config.py", PY), ("web/add.js", JS), ("gone.py", PY)] {
        project
            .index_file(path, text.as_bytes(), Some(&embedder))
            .unwrap();
    }
    assert!(project.remove_file("gone.py"));
    project
}

/// The snapshot of `project` with its keyword and vector parts replaced, checksummed.
fn crafted(
    project: &Project,
    terms: Vec<&str>,
    postings: Vec<(&[u32], &[u16])>,
    doc_len: &[Option<f32>],
    vectors: Option<VectorParts<'_>>,
) -> Vec<u8> {
    let parts = Bm25Parts {
        terms,
        postings,
        doc_len,
    };
    let mut w = Writer::default();
    write_payload(&mut w, project, &parts, vectors);
    seal(&w.buf)
}

/// The error restoring `bytes` gives, which must be `Invalid` or `Truncated` and say `what`.
fn refused(bytes: &[u8], what: &str) {
    match read(bytes) {
        Ok(_) => panic!("a snapshot with {what} was restored"),
        Err(error @ (SnapshotError::Invalid(_) | SnapshotError::Truncated(_))) => {
            assert!(error.to_string().contains(what), "{error}");
        }
        Err(other) => panic!("{what}: unexpected {other:?}"),
    }
}

/// The payload's bytes at `offset` set to `value`, re-framed with a matching checksum.
fn patched(bytes: &[u8], offset: usize, value: &[u8]) -> Vec<u8> {
    let mut payload = bytes[20..bytes.len() - 4].to_vec();
    payload[offset..offset + value.len()].copy_from_slice(value);
    seal(&payload)
}

/// Chunk options (3 × u64), BM25 settings (6 × f32, 2 flags) and the fusion tag come first.
const SLOT_COUNT_AT: usize = 3 * 8 + 6 * 4 + 2 + 1;

#[test]
fn a_huge_count_in_a_small_payload_is_refused_before_allocating() {
    for project in [Project::default(), project()] {
        let bytes = write(&project);
        assert!(bytes.len() < 16 * 1024);
        refused(
            &patched(&bytes, SLOT_COUNT_AT, &u32::MAX.to_le_bytes()),
            "slot count",
        );
    }
    // Vector dimensions size per-query buffers even when no vector is stored.
    let project = project();
    let parts = project.bm25.parts();
    let huge = ("hashed", (u32::MAX as usize, &[][..], &[][..]));
    refused(
        &crafted(
            &project,
            parts.terms.clone(),
            parts.postings.clone(),
            parts.doc_len,
            Some(huge),
        ),
        "vector dimensions",
    );
}

#[test]
fn duplicate_slots_terms_and_postings_are_refused() {
    let mut twice = project();
    let entry = twice.files.get_mut("src/config.py").unwrap();
    entry.slots[1] = entry.slots[0];
    refused(&write(&twice), "claimed twice");

    let mut across = project();
    let first = across.files["src/config.py"].slots[0];
    across.files.get_mut("web/add.js").unwrap().slots[0] = first;
    refused(&write(&across), "claimed twice");

    let project = project();
    let parts = project.bm25.parts();
    let mut terms = parts.terms.clone();
    terms[1] = terms[0];
    refused(
        &crafted(&project, terms, parts.postings.clone(), parts.doc_len, None),
        "stored twice",
    );
    let (docs, tfs) = parts.postings[0];
    let doubled_docs = [docs, &docs[..1]].concat();
    let doubled_tfs = [tfs, &tfs[..1]].concat();
    let mut postings = parts.postings.clone();
    postings[0] = (&doubled_docs, &doubled_tfs);
    refused(
        &crafted(&project, parts.terms.clone(), postings, parts.doc_len, None),
        "twice",
    );
}

#[test]
fn non_finite_vectors_lengths_and_settings_are_refused() {
    let project = project();
    let parts = project.bm25.parts();
    let (_, index) = project.vectors.as_ref().unwrap();
    let (dims, data, live) = index.parts();
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut poisoned = data.to_vec();
        poisoned[dims + 1] = bad;
        let vectors = Some(("hashed", (dims, &poisoned[..], live)));
        refused(
            &crafted(
                &project,
                parts.terms.clone(),
                parts.postings.clone(),
                parts.doc_len,
                vectors,
            ),
            "finite",
        );
        let mut lengths = parts.doc_len.to_vec();
        let at = lengths.iter().position(Option::is_some).unwrap();
        lengths[at] = Some(bad);
        refused(
            &crafted(
                &project,
                parts.terms.clone(),
                parts.postings.clone(),
                &lengths,
                None,
            ),
            "document length",
        );
    }
    let mut lengths = parts.doc_len.to_vec();
    let at = lengths.iter().position(Option::is_some).unwrap();
    lengths[at] = Some(-1.0);
    refused(
        &crafted(
            &project,
            parts.terms.clone(),
            parts.postings.clone(),
            &lengths,
            None,
        ),
        "document length",
    );

    let mut settings = Project::default();
    settings.config.bm25.k1 = f32::NAN;
    refused(&write(&settings), "finite");
    for fusion in [
        FusionConfig::rrf(1.0, 1.0, -1.0),
        FusionConfig::rrf(f32::NAN, 1.0, 60.0),
        FusionConfig::convex(1.0, f32::INFINITY, 20, None),
    ] {
        let mut settings = Project::default();
        settings.config.fusion = Some(fusion);
        refused(&write(&settings), "finite");
    }
    let mut zero = Project::default();
    zero.config.chunk.max_chunk_bytes = 0;
    refused(&write(&zero), "is 0");
}

#[test]
fn keyword_documents_and_vectors_must_belong_to_chunks() {
    let project = project();
    let parts = project.bm25.parts();
    let free = project.free[0] as usize;
    let used = project.chunks.iter().position(Option::is_some).unwrap();
    // Same count of documents, but one sits in a free slot.
    let mut lengths = parts.doc_len.to_vec();
    lengths[free] = lengths[used];
    lengths[used] = None;
    let postings: Vec<(Vec<u32>, Vec<u16>)> = parts
        .postings
        .iter()
        .map(|(docs, tfs)| {
            let docs = docs
                .iter()
                .map(|&d| if d as usize == used { free as u32 } else { d })
                .collect();
            (docs, tfs.to_vec())
        })
        .collect();
    let postings = postings.iter().map(|(d, t)| (&d[..], &t[..])).collect();
    refused(
        &crafted(&project, parts.terms.clone(), postings, &lengths, None),
        "without a chunk",
    );

    let (_, index) = project.vectors.as_ref().unwrap();
    let (dims, data, live) = index.parts();
    let mut orphan = live.to_vec();
    orphan[free] = true;
    let vectors = Some(("hashed", (dims, data, &orphan[..])));
    refused(
        &crafted(
            &project,
            parts.terms.clone(),
            parts.postings.clone(),
            parts.doc_len,
            vectors,
        ),
        "has no chunk",
    );
}

#[test]
fn chunk_lines_and_bytes_outside_the_file_are_refused() {
    type Edit = fn(&mut syntax::Chunk);
    let edits: [(Edit, &str); 5] = [
        (|c| c.start_line = 0, "chunk lines"),
        (|c| c.end_line = 10_000, "chunk lines"),
        (|c| c.start_line = c.end_line + 1, "chunk lines"),
        (|c| c.end_byte = 1 << 20, "outside the file"),
        (|c| c.start_byte = c.end_byte + 1, "outside the file"),
    ];
    for (edit, what) in edits {
        let mut project = project();
        let entry = project.files.get_mut("src/config.py").unwrap();
        edit(&mut entry.indexed.chunked.chunks[0]);
        refused(&write(&project), what);
    }
}

#[test]
fn diagnostic_lines_outside_the_file_are_refused() {
    for lines in [(0, 1), (3, 2), (1, 10_000)] {
        let mut project = Project::default();
        project
            .index_file("broken.py", b"def f(:\n    return\n", None)
            .unwrap();
        let entry = project.files.get_mut("broken.py").unwrap();
        let diagnostic = &mut entry.indexed.chunked.diagnostics[0];
        assert!(diagnostic.lines.is_some());
        diagnostic.lines = Some(lines);
        refused(&write(&project), "diagnostic lines");
    }
}

#[test]
fn a_wide_character_at_the_end_of_the_offsets_is_refused() {
    use syntax::line_index::WideChar;
    let wide = WideChar {
        start: u32::MAX - 1,
        len_utf8: 4,
        len_utf16: 2,
        saved_before: 0,
    };
    let error = syntax::LineIndex::from_parts(vec![0], vec![wide], u32::MAX).unwrap_err();
    assert!(error.to_string().contains("past the end"), "{error}");
}

#[test]
fn valid_snapshots_still_restore() {
    let project = project();
    let restored = read(&write(&project)).unwrap();
    assert_eq!(restored.files, project.files);
    assert_eq!(restored.free.len(), project.free.len());
}
