//! Test data shared by the native embedder tests (`native.rs`) and the browser ones
//! (`embed_web.rs`): a tiny static table over a hand-written BERT-style WordPiece vocabulary
//! (`fixtures/tiny-tokenizer.json`, 142 tokens), so the browser can check in milliseconds that it
//! embeds exactly as the native build does.

use engine::embed::static_table::StaticTable;

pub const TOKENIZER: &str = include_str!("../fixtures/tiny-tokenizer.json");
pub const DIMS: usize = 8;

/// Texts covering known words, word pieces, punctuation, unknown words, digits and emptiness.
pub const TEXTS: [&str; 5] = [
    "def parse_config(path): return json.read(path)",
    "Merge the base settings with an override",
    "fn total(items: &[Item]) -> u32 { items.sum() }",
    "ÜNKNOWN zzz 42",
    "",
];

/// The table as `.pfst` bytes. Rows come from integer arithmetic only, so native and wasm build
/// bit-identical tables (no libm calls whose last bit could differ).
pub fn table_bytes() -> Vec<u8> {
    let vocab = 142;
    let rows: Vec<f32> = (0..vocab * DIMS)
        .map(|n| {
            let (token, dim) = (n / DIMS, n % DIMS);
            ((token * 37 + dim * 11 + token * dim) % 23) as f32 / 11.0 - 1.0
        })
        .collect();
    StaticTable::from_rows("tiny-test", TOKENIZER.as_bytes(), DIMS, &rows)
        .expect("the fixture table is valid")
        .to_bytes()
}

/// One line per text: its vector as the hex bit patterns of the floats, so equality is exact.
pub fn render(flat: &[f32]) -> String {
    flat.chunks(DIMS)
        .map(|row| {
            row.iter()
                .map(|x| format!("{:08x}", x.to_bits()))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}
