//! CoSQA dev (see `../shared/data/cosqa/README.md`): 6,267 Python functions and 500 real web
//! queries, each with one relevant function. The one loader every evaluation, benchmark and test
//! reads it with. Its queries are split like every set's ([`crate::split`]): fusion is tuned on
//! one half and asserted and reported on the other.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::split::{Half, half_of};

/// The corpus file: a JSON object from function source to its id.
pub const CODE_FILE: &str = "code_idx_map.txt";
/// The query file: a JSON array of `{doc, retrieval_idx}`.
pub const QUERY_FILE: &str = "cosqa-retrieval-dev-500.json";

/// CoSQA dev in memory.
#[derive(Debug, Clone)]
pub struct Cosqa {
    /// Function source by id.
    pub code: Vec<String>,
    /// Each query's text and the id of its relevant function.
    pub queries: Vec<(String, usize)>,
}

#[derive(Debug, Error)]
pub enum CosqaError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("parsing {file}: {source}")]
    Parse {
        file: &'static str,
        source: serde_json::Error,
    },
    #[error("{CODE_FILE}: function id {id} is out of range (or given twice) for {count} functions")]
    BadId { id: usize, count: usize },
    #[error("{QUERY_FILE}: query {query} names function {id}, which the corpus does not have")]
    BadTarget { query: usize, id: usize },
}

#[derive(Deserialize)]
struct RawQuery {
    doc: String,
    retrieval_idx: usize,
}

impl Cosqa {
    /// Reads the two files from `dir`.
    pub fn load(dir: &Path) -> Result<Self, CosqaError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|source| CosqaError::Read { path, source })
        };
        Self::parse(&read(CODE_FILE)?, &read(QUERY_FILE)?)
    }

    /// Builds the set from the two files' bytes, checking that every id is in range, every
    /// function slot is filled once and every query points at a function.
    pub fn parse(code_map: &[u8], queries: &[u8]) -> Result<Self, CosqaError> {
        let map: std::collections::HashMap<String, usize> = serde_json::from_slice(code_map)
            .map_err(|source| CosqaError::Parse {
                file: CODE_FILE,
                source,
            })?;
        let count = map.len();
        let mut code: Vec<Option<String>> = vec![None; count];
        for (text, id) in map {
            match code.get_mut(id) {
                Some(slot @ None) => *slot = Some(text),
                _ => return Err(CosqaError::BadId { id, count }),
            }
        }
        let code: Vec<String> = code.into_iter().map(Option::unwrap_or_default).collect();
        let raw: Vec<RawQuery> =
            serde_json::from_slice(queries).map_err(|source| CosqaError::Parse {
                file: QUERY_FILE,
                source,
            })?;
        let mut queries = Vec::with_capacity(raw.len());
        for (query, q) in raw.into_iter().enumerate() {
            if q.retrieval_idx >= code.len() {
                return Err(CosqaError::BadTarget {
                    query,
                    id: q.retrieval_idx,
                });
            }
            queries.push((q.doc, q.retrieval_idx));
        }
        Ok(Cosqa { code, queries })
    }
}

impl Cosqa {
    /// The queries of one half (text and relevant function id), in file order.
    pub fn half(&self, half: Half) -> Vec<(String, usize)> {
        self.queries
            .iter()
            .filter(|(text, _)| half_of(text) == half)
            .cloned()
            .collect()
    }
}

/// The function name of a Python `def` (what the keyword index boosts), or `""`.
pub fn function_name(code: &str) -> &str {
    code.split_once("def ")
        .and_then(|(_, rest)| rest.split(|c: char| c == '(' || c.is_whitespace()).next())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_two_files_and_checks_ids() {
        let code = br#"{"def add(a, b): return a + b": 1, "def read_file(p): ...": 0}"#;
        let queries = br#"[{"doc": "add two numbers", "retrieval_idx": 1, "extra": true}]"#;
        let set = Cosqa::parse(code, queries).unwrap();
        assert_eq!(set.code[0], "def read_file(p): ...");
        assert_eq!(set.queries, vec![("add two numbers".to_string(), 1)]);
        assert_eq!(function_name(&set.code[1]), "add");

        let gap = Cosqa::parse(br#"{"a": 0, "b": 2}"#, b"[]").unwrap_err();
        assert!(gap.to_string().contains("function id 2"), "{gap}");
        let dangling =
            Cosqa::parse(br#"{"a": 0}"#, br#"[{"doc": "q", "retrieval_idx": 5}]"#).unwrap_err();
        assert!(dangling.to_string().contains("function 5"), "{dangling}");
        let broken = Cosqa::parse(b"{", b"[]").unwrap_err();
        assert!(broken.to_string().contains(CODE_FILE), "{broken}");
    }

    #[test]
    fn the_halves_split_the_queries() {
        let code = br#"{"def a(): pass": 0, "def b(): pass": 1}"#;
        let queries = br#"[{"doc": "python read json file", "retrieval_idx": 0},
            {"doc": "Do the first thing now.", "retrieval_idx": 1},
            {"doc": "how to sort a list in python", "retrieval_idx": 1}]"#;
        let set = Cosqa::parse(code, queries).unwrap();
        assert_eq!(
            set.half(Half::Tune),
            vec![
                ("python read json file".to_string(), 0),
                ("Do the first thing now.".to_string(), 1)
            ]
        );
        assert_eq!(
            set.half(Half::Report),
            vec![("how to sort a list in python".to_string(), 1)]
        );
    }
}
