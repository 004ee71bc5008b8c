//! `pilotfish`: the native command line over the engine (chunk, index, search, eval, bench).
fn main() {}
