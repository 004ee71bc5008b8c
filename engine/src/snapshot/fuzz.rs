//! Structure-aware fuzzing of restore: valid snapshots of a few projects, mutated where it hurts
//! (the counts, lengths, flags and numbers the reader visits, found by recording its reads), plus
//! flipped, cut and inserted bytes, then re-framed with a matching checksum so every case reaches
//! the payload checks. Restore must answer `Ok` or `Err`, never panic; and a project it accepts
//! must survive use: stats, positions, search, indexing, removal, and a snapshot of its own that
//! restores again.
//!
//! CI runs the proptest default of 256 cases per property (a few seconds); `PROPTEST_CASES`
//! raises it, which `cargo xtask fuzz` does.

use std::sync::OnceLock;

use proptest::prelude::*;

use super::codec::{Reader, fields};
use super::*;
use crate::embed::Embedder;
use crate::embed::hashed::HashedEmbedder;
use crate::project::{ProjectConfig, SearchMode, SearchOptions};
use crate::search::fuse::FusionConfig;

const FILES: &[(&str, &str)] = &[
    (
        "src/config.py",
        "import json\n\ndef parse_config(path):\n    \"\"\"Read it.\"\"\"\n    return json.load(open(path))\n\n\nclass Cache:\n    def get(self, key):\n        return self.data[\"naïve 🐍\"]\n",
    ),
    (
        "web/add.ts",
        "export function add(a: number, b: number): number {\n  return a + b;\n}\n// 中文 comment\nexport const twice = (x: number) => add(x, x);\n",
    ),
    ("notes.txt", "plain\ntext\n\nwith 😀 emoji\n"),
    ("gone.rs", "fn gone() -> u32 {\n    42\n}\n"),
];

/// A valid snapshot and the `(offset, width)` of every fixed-width field its payload holds.
struct Seed {
    bytes: Vec<u8>,
    fields: Vec<(usize, usize)>,
}

/// Snapshots of an empty project, one with vectors and a freed slot, a keyword-only one, and
/// one with convex fusion settings.
fn seeds() -> &'static [Seed] {
    static SEEDS: OnceLock<Vec<Seed>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let embedder = HashedEmbedder::default();
        let mut with_vectors = Project::default();
        let mut keyword_only = Project::new(ProjectConfig {
            fusion: Some(FusionConfig::convex(0.3, 0.7, 20, Some(0.7))),
            ..ProjectConfig::default()
        });
        for (path, text) in FILES {
            with_vectors
                .index_file(path, text.as_bytes(), Some(&embedder))
                .unwrap();
            keyword_only
                .index_file(path, text.as_bytes(), None)
                .unwrap();
        }
        with_vectors.remove_file("gone.rs");
        [Project::default(), with_vectors, keyword_only]
            .iter()
            .map(|project| {
                let bytes = write(project);
                let payload = &bytes[20..bytes.len() - 4];
                let fields = fields::recorded(|| {
                    read_payload(&mut Reader::new(payload)).expect("seeds are valid");
                });
                Seed { bytes, fields }
            })
            .collect()
    })
}

/// One change to a payload.
#[derive(Debug, Clone)]
enum Mutation {
    /// Sets the `pick`-th recorded field (modulo their number) to a chosen value.
    Field { pick: usize, value: Value },
    /// XORs one byte.
    Flip { at: usize, mask: u8 },
    /// Drops the bytes from `at` on.
    Cut { at: usize },
    /// Inserts bytes at `at`.
    Insert { at: usize, bytes: Vec<u8> },
}

/// What a field becomes: values that sit on the edges of what readers check.
#[derive(Debug, Clone)]
enum Value {
    Zero,
    One,
    Max,
    HighBit,
    /// The stored value plus or minus a little.
    Nudge(i8),
    Nan,
    Infinity,
    MinusOne,
    Random(u64),
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Zero),
        Just(Value::One),
        Just(Value::Max),
        Just(Value::HighBit),
        any::<i8>().prop_map(Value::Nudge),
        Just(Value::Nan),
        Just(Value::Infinity),
        Just(Value::MinusOne),
        any::<u64>().prop_map(Value::Random),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => (any::<usize>(), value()).prop_map(|(pick, value)| Mutation::Field { pick, value }),
        2 => (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        1 => any::<usize>().prop_map(|at| Mutation::Cut { at }),
        1 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
    ]
}

/// The field's new bytes (little-endian, `width` 1, 2, 4, 8 or 16).
fn field_bytes(old: &[u8], value: &Value) -> Vec<u8> {
    let width = old.len();
    let mut buf = [0u8; 16];
    buf[..width].copy_from_slice(old);
    let stored = u128::from_le_bytes(buf);
    let float = |f32_bits: u32, f64_bits: u64| match width {
        4 => u128::from(f32_bits),
        8 => u128::from(f64_bits),
        _ => u128::MAX,
    };
    let new = match value {
        Value::Zero => 0,
        Value::One => 1,
        Value::Max => u128::MAX,
        Value::HighBit => 1 << (width * 8 - 1),
        Value::Nudge(d) => stored.wrapping_add(*d as i128 as u128),
        Value::Nan => float(f32::NAN.to_bits(), f64::NAN.to_bits()),
        Value::Infinity => float(f32::INFINITY.to_bits(), f64::INFINITY.to_bits()),
        Value::MinusOne => float((-1.0f32).to_bits(), u64::MAX),
        Value::Random(x) => u128::from(*x),
    };
    new.to_le_bytes()[..width].to_vec()
}

fn mutate(seed: &Seed, mutations: &[Mutation]) -> Vec<u8> {
    let mut payload = seed.bytes[20..seed.bytes.len() - 4].to_vec();
    for m in mutations {
        match m {
            Mutation::Field { pick, value } => {
                // Recorded offsets hold until a cut or insert moves the bytes; skip those past
                // the end then.
                let (at, width) = seed.fields[pick % seed.fields.len()];
                if at + width <= payload.len() {
                    let new = field_bytes(&payload[at..at + width], value);
                    payload[at..at + width].copy_from_slice(&new);
                }
            }
            Mutation::Flip { at, mask } if !payload.is_empty() => {
                let at = at % payload.len();
                payload[at] ^= mask;
            }
            Mutation::Cut { at } => payload.truncate(at % (payload.len() + 1)),
            Mutation::Insert { at, bytes } => {
                let at = at % (payload.len() + 1);
                payload.splice(at..at, bytes.iter().copied());
            }
            Mutation::Flip { .. } => {}
        }
    }
    seal(&payload)
}

/// Uses an accepted project the ways a host does; none of it may panic.
fn exercise(mut project: Project) {
    let embedder = HashedEmbedder::default();
    let stats = project.stats();
    assert_eq!(stats.files, project.files());
    let paths: Vec<String> = project.paths().map(str::to_string).collect();
    for path in &paths {
        let file = project.file(path).unwrap();
        for c in &file.chunked.chunks {
            let _ = (
                file.lines.utf16_offset(c.start_byte),
                file.lines.line(c.end_byte),
            );
            let _ = file.lines.line_start(c.end_line);
        }
    }
    let same_embedder = project.embedder_id() == Some(embedder.id());
    for mode in [SearchMode::Hybrid, SearchMode::Keyword, SearchMode::Vector] {
        let options = SearchOptions {
            mode,
            limit: 5,
            ..SearchOptions::default()
        };
        let e: Option<&dyn Embedder> = same_embedder.then_some(&embedder);
        let _ = project.search("parse config add", e, &options);
    }
    let _ = project.index_file("new.py", b"def fresh():\n    return 1\n", Some(&embedder));
    if let Some(path) = paths.first() {
        let _ = project.index_file(path, b"def changed():\n    pass\n", None);
    }
    if let Some(path) = paths.last() {
        project.remove_file(path);
    }
    // What a restored project writes must restore again: use cannot corrupt it.
    read(&write(&project)).expect("a restored project writes a valid snapshot");
}

proptest! {
    // No regression files beside the sources: a failure prints its minimal input instead.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn restore_of_mutated_snapshots_never_panics(
        seed in 0..3usize,
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let bytes = mutate(&seeds()[seed], &mutations);
        match read(&bytes) {
            Ok(project) => exercise(project),
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }

    #[test]
    fn restore_of_random_payloads_never_panics(
        payload in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        if let Ok(project) = read(&seal(&payload)) {
            exercise(project);
        }
    }
}
