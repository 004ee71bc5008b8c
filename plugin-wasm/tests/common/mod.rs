//! Test data shared by the native test (`native.rs`) and the browser test (`web.rs`): the same
//! fixtures are chunked on both sides and compared with the same committed snapshots in
//! `tests/expected/`, which is how we know the browser build behaves like the native one.

/// One small file per language the engine supports, as `(path, text)`. The order matches the
/// snapshot lists in `native.rs` and `web.rs`. Most carry non-ASCII text (CJK, emoji) so the
/// snapshots pin UTF-16 offsets too.
pub const FIXTURES: [(&str, &str); 10] = [
    ("src/shapes.py", include_str!("../fixtures/shapes.py")),
    ("src/cart.js", include_str!("../fixtures/cart.js")),
    ("src/queue.ts", include_str!("../fixtures/queue.ts")),
    ("src/Greeting.tsx", include_str!("../fixtures/Greeting.tsx")),
    ("src/stack.rs", include_str!("../fixtures/stack.rs")),
    ("src/server.go", include_str!("../fixtures/server.go")),
    ("src/Account.java", include_str!("../fixtures/Account.java")),
    ("src/vec.c", include_str!("../fixtures/vec.c")),
    ("src/matrix.cpp", include_str!("../fixtures/matrix.cpp")),
    ("src/Inventory.cs", include_str!("../fixtures/Inventory.cs")),
];

/// The language each fixture must be detected as, in `FIXTURES` order.
pub const LANGUAGES: [&str; 10] = [
    "python",
    "javascript",
    "typescript",
    "tsx",
    "rust",
    "go",
    "java",
    "c",
    "cpp",
    "csharp",
];

/// Text mixing 1-, 2-, 3- and 4-byte UTF-8 characters (4-byte ones are UTF-16 surrogate pairs),
/// for checks that offsets index the host's strings correctly.
pub const MIXED_WIDTH: (&str, &str) = (
    "notes/mixed.txt",
    "😀 first line: café 中文\n\nsecond 🎉🎉 paragraph — ünïcödé\nthird: 𝄞 clef\n",
);

/// `text[start..end]` with the offsets counted in UTF-16 code units, as JavaScript's
/// `String.prototype.slice` counts them (the browser test calls that instead). Tests assert a
/// chunk's text *ends with* this slice: a piece of a split unit is prefixed by its signature.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub fn utf16_slice(text: &str, start: usize, end: usize) -> String {
    let units: Vec<u16> = text.encode_utf16().collect();
    String::from_utf16(&units[start..end]).expect("offsets fall on character boundaries")
}

/// One Python function of ~1 KB: one chunk at the default `maxChunkBytes`, several at 200.
pub const LONG_FUNCTION: (&str, &str) = (
    "src/accumulate.py",
    "def accumulate(factor):\n    \"\"\"Sums the first forty multiples of factor.\"\"\"\n    total = 0\n    total += 0 * factor\n    total += 1 * factor\n    total += 2 * factor\n    total += 3 * factor\n    total += 4 * factor\n    total += 5 * factor\n    total += 6 * factor\n    total += 7 * factor\n    total += 8 * factor\n    total += 9 * factor\n    total += 10 * factor\n    total += 11 * factor\n    total += 12 * factor\n    total += 13 * factor\n    total += 14 * factor\n    total += 15 * factor\n    total += 16 * factor\n    total += 17 * factor\n    total += 18 * factor\n    total += 19 * factor\n    total += 20 * factor\n    total += 21 * factor\n    total += 22 * factor\n    total += 23 * factor\n    total += 24 * factor\n    total += 25 * factor\n    total += 26 * factor\n    total += 27 * factor\n    total += 28 * factor\n    total += 29 * factor\n    total += 30 * factor\n    total += 31 * factor\n    total += 32 * factor\n    total += 33 * factor\n    total += 34 * factor\n    total += 35 * factor\n    total += 36 * factor\n    total += 37 * factor\n    total += 38 * factor\n    total += 39 * factor\n    return total\n",
);

/// Queries and search modes for the one-owner test: every retriever, hits in every fixture.
pub const ONE_OWNER_QUERIES: [(&str, &str); 6] = [
    ("accumulate total factor", "hybrid"),
    ("total", "keyword"),
    ("sum the multiples of a factor", "vector"),
    ("cart total price of items", "hybrid"),
    ("push pop stack queue", "keyword"),
    ("account balance deposit withdraw", "vector"),
];
