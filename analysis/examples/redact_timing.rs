//! Timing of scan + redact over about 100 KB of code: this crate's own sources (full of
//! "secret", "token" and "key", so most rules' keywords fire) with the fixture settings file
//! (a dozen real-looking fake secrets) mixed in. Run with
//! `cargo run --release -p pilotfish-analysis --example redact_timing`.

use std::time::Instant;

fn main() {
    let parts = [
        include_str!("../src/secrets/mod.rs"),
        include_str!("../src/secrets/filter.rs"),
        include_str!("../src/secrets/rules.rs"),
        include_str!("../src/paths.rs"),
        include_str!("../tests/fixtures/settings.py"),
    ];
    let mut text = String::new();
    while text.len() < 100 * 1024 {
        for p in parts {
            text.push_str(p);
        }
    }
    // The first call compiles the rules.
    let start = Instant::now();
    let first = analysis::redact(&text).count();
    let compile = start.elapsed();
    let rounds = 50;
    let start = Instant::now();
    let mut found = 0;
    for _ in 0..rounds {
        found = analysis::redact(std::hint::black_box(&text)).count();
    }
    let each = start.elapsed() / rounds;
    println!(
        "{} bytes: {found} secrets redacted ({first} on the first call); first call (rules compiled) {compile:?}, then {each:?} per scan+redact",
        text.len()
    );
}
