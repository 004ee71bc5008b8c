//! The keyword index: BM25 over chunks with per-field boosts (a simplified BM25F).
//!
//! A chunk has four fields: symbol name, qualified name, path and body. Each field's term
//! frequencies are multiplied by its boost and summed, and so are the field lengths, before the
//! usual BM25 saturation; a query word found in a function's name therefore weighs more than one
//! buried in its body. Postings are struct-of-arrays per term (`u32` document slot + `u16`
//! fixed-point weighted frequency, 6 bytes a posting) so the index stays small in the tab.
//! Documents are slots chosen by the caller; adding and removing one touches only its own terms,
//! which keeps re-indexing an edited file cheap.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use super::tokenize::{TokenizerConfig, for_each_token};

/// Weighted frequencies are stored as fixed point with this many steps per unit.
const TF_SCALE: f32 = 8.0;

/// Boost of each field over the body (1.0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldBoosts {
    pub name: f32,
    pub qualified_name: f32,
    pub path: f32,
    pub body: f32,
}

impl Default for FieldBoosts {
    fn default() -> Self {
        FieldBoosts {
            name: 3.0,
            qualified_name: 1.0,
            path: 0.5,
            body: 1.0,
        }
    }
}

/// BM25 parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25Config {
    pub k1: f32,
    pub b: f32,
    pub boosts: FieldBoosts,
    pub tokenizer: TokenizerConfig,
}

impl Default for Bm25Config {
    fn default() -> Self {
        Bm25Config {
            k1: 1.2,
            b: 0.75,
            boosts: FieldBoosts::default(),
            tokenizer: TokenizerConfig::default(),
        }
    }
}

/// The text of one document, by field.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bm25Doc<'a> {
    pub name: &'a str,
    pub qualified_name: &'a str,
    pub path: &'a str,
    pub body: &'a str,
}

#[derive(Debug, Default, Clone)]
struct Postings {
    docs: Vec<u32>,
    tfs: Vec<u16>,
}

/// A scored document slot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub doc: u32,
    pub score: f32,
}

/// The BM25 index.
#[derive(Debug, Clone)]
pub struct Bm25Index {
    config: Bm25Config,
    term_ids: FxHashMap<Box<str>, u32>,
    postings: Vec<Postings>,
    /// Weighted length per slot; `None` marks a free slot.
    doc_len: Vec<Option<f32>>,
    /// Term ids per slot, so removal touches only the document's own postings.
    doc_terms: Vec<Vec<u32>>,
    live: usize,
    total_len: f64,
    /// Each slot's length normalisation `k1 · (1 − b + b · len / avg_len)`, computed on the first
    /// search after a change: the average moves with every insert, so it cannot be kept per
    /// document, but recomputing it per posting was a fifth of a search over a 13k-chunk index.
    norms: OnceLock<Vec<f32>>,
}

impl Default for Bm25Index {
    fn default() -> Self {
        Bm25Index::new(Bm25Config::default())
    }
}

impl Bm25Index {
    pub fn new(config: Bm25Config) -> Self {
        Bm25Index {
            config,
            term_ids: FxHashMap::default(),
            postings: Vec::new(),
            doc_len: Vec::new(),
            doc_terms: Vec::new(),
            live: 0,
            total_len: 0.0,
            norms: OnceLock::new(),
        }
    }

    pub fn config(&self) -> &Bm25Config {
        &self.config
    }

    /// Number of live documents.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Number of distinct terms ever seen.
    pub fn terms(&self) -> usize {
        self.term_ids.len()
    }

    /// Number of stored postings (for size reporting).
    pub fn postings(&self) -> usize {
        self.postings.iter().map(|p| p.docs.len()).sum()
    }

    /// Indexes `doc` in slot `slot`, replacing whatever the slot held.
    pub fn insert(&mut self, slot: u32, doc: &Bm25Doc<'_>) {
        self.remove(slot);
        let boosts = self.config.boosts;
        let mut weighted: FxHashMap<u32, f32> = FxHashMap::default();
        let mut length = 0.0f32;
        let fields = [
            (doc.name, boosts.name),
            (doc.qualified_name, boosts.qualified_name),
            (doc.path, boosts.path),
            (doc.body, boosts.body),
        ];
        for (text, boost) in fields {
            if boost <= 0.0 || text.is_empty() {
                continue;
            }
            let tokenizer = self.config.tokenizer;
            for_each_token(text, &tokenizer, |token| {
                let id = self.term_id(token);
                *weighted.entry(id).or_default() += boost;
                length += boost;
            });
        }
        let mut terms: Vec<u32> = weighted.keys().copied().collect();
        terms.sort_unstable();
        for &term in &terms {
            let tf = (weighted[&term] * TF_SCALE)
                .round()
                .clamp(1.0, f32::from(u16::MAX));
            let postings = &mut self.postings[term as usize];
            postings.docs.push(slot);
            // The clamp above keeps the value inside u16.
            postings.tfs.push(tf as u16);
        }
        let index = slot as usize;
        if self.doc_len.len() <= index {
            self.doc_len.resize(index + 1, None);
            self.doc_terms.resize(index + 1, Vec::new());
        }
        self.doc_len[index] = Some(length);
        self.doc_terms[index] = terms;
        self.live += 1;
        self.total_len += f64::from(length);
        self.norms = OnceLock::new();
    }

    /// Removes the document in `slot`; returns whether there was one.
    pub fn remove(&mut self, slot: u32) -> bool {
        let index = slot as usize;
        let Some(length) = self.doc_len.get(index).copied().flatten() else {
            return false;
        };
        for term in std::mem::take(&mut self.doc_terms[index]) {
            let postings = &mut self.postings[term as usize];
            if let Some(at) = postings.docs.iter().position(|&d| d == slot) {
                postings.docs.swap_remove(at);
                postings.tfs.swap_remove(at);
            }
        }
        self.doc_len[index] = None;
        self.live -= 1;
        self.total_len -= f64::from(length);
        self.norms = OnceLock::new();
        true
    }

    fn term_id(&mut self, token: &str) -> u32 {
        if let Some(&id) = self.term_ids.get(token) {
            return id;
        }
        let id = u32::try_from(self.postings.len()).unwrap_or(u32::MAX);
        self.term_ids.insert(token.into(), id);
        self.postings.push(Postings::default());
        id
    }

    /// Top `limit` documents for `query` among those `accept` lets through, best first; ties go to
    /// the lower slot so results are deterministic.
    pub fn search(&self, query: &str, limit: usize, accept: impl Fn(u32) -> bool) -> Vec<Scored> {
        if self.live == 0 || limit == 0 {
            return Vec::new();
        }
        let mut terms: Vec<u32> = Vec::new();
        for_each_token(query, &self.config.tokenizer, |token| {
            if let Some(&id) = self.term_ids.get(token)
                && !terms.contains(&id)
            {
                terms.push(id);
            }
        });
        let n = self.live as f32;
        let k1 = self.config.k1;
        let norms = self.norms.get_or_init(|| self.length_norms());
        let mut scores = vec![0.0f32; self.doc_len.len()];
        let mut touched: Vec<u32> = Vec::new();
        for term in terms {
            let postings = &self.postings[term as usize];
            let df = postings.docs.len() as f32;
            if df == 0.0 {
                continue;
            }
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for (&doc, &tf) in postings.docs.iter().zip(&postings.tfs) {
                let tf = f32::from(tf) / TF_SCALE;
                let norm = norms[doc as usize];
                let slot = &mut scores[doc as usize];
                if *slot == 0.0 {
                    touched.push(doc);
                }
                *slot += idf * tf * (k1 + 1.0) / (tf + norm);
            }
        }
        let mut hits: Vec<Scored> = touched
            .into_iter()
            .filter(|&doc| accept(doc))
            .map(|doc| Scored {
                doc,
                score: scores[doc as usize],
            })
            .collect();
        top_k(&mut hits, limit);
        hits
    }

    /// [`Bm25Index::norms`] for the current lengths (a free slot counts as average length).
    fn length_norms(&self) -> Vec<f32> {
        let avg_len = (self.total_len / self.live.max(1) as f64) as f32;
        let Bm25Config { k1, b, .. } = self.config;
        self.doc_len
            .iter()
            .map(|len| {
                let len = len.unwrap_or(avg_len);
                k1 * (1.0 - b + b * len / avg_len.max(f32::EPSILON))
            })
            .collect()
    }

    /// The raw parts a snapshot stores: config, terms in id order, postings, per-slot lengths.
    pub(crate) fn parts(&self) -> Bm25Parts<'_> {
        let mut terms: Vec<(&str, u32)> = self.term_ids.iter().map(|(t, &i)| (&**t, i)).collect();
        terms.sort_unstable_by_key(|&(_, i)| i);
        Bm25Parts {
            terms: terms.into_iter().map(|(t, _)| t).collect(),
            postings: self
                .postings
                .iter()
                .map(|p| (p.docs.as_slice(), p.tfs.as_slice()))
                .collect(),
            doc_len: &self.doc_len,
        }
    }

    /// Rebuilds an index from snapshot parts; the per-slot term lists are derived from postings.
    pub(crate) fn from_parts(
        config: Bm25Config,
        terms: Vec<String>,
        postings: Vec<(Vec<u32>, Vec<u16>)>,
        doc_len: Vec<Option<f32>>,
    ) -> Result<Self, String> {
        if terms.len() != postings.len() {
            return Err("term and postings counts differ".into());
        }
        // Lengths feed every score (the average length too), so one NaN would poison them all.
        if let Some(len) = doc_len
            .iter()
            .flatten()
            .find(|l| !l.is_finite() || **l < 0.0)
        {
            return Err(format!("a document length is {len}"));
        }
        let mut doc_terms = vec![Vec::new(); doc_len.len()];
        let mut term_ids = FxHashMap::default();
        let mut lists = Vec::with_capacity(postings.len());
        for (id, (term, (docs, tfs))) in terms.into_iter().zip(postings).enumerate() {
            if docs.len() != tfs.len() {
                return Err(format!("postings of term {term:?} are inconsistent"));
            }
            for &doc in &docs {
                match doc_len.get(doc as usize) {
                    // A term's documents arrive in term order, so a repeat is this term again.
                    Some(Some(_)) if doc_terms[doc as usize].last() == Some(&(id as u32)) => {
                        return Err(format!("term {term:?} lists document {doc} twice"));
                    }
                    Some(Some(_)) => doc_terms[doc as usize].push(id as u32),
                    _ => return Err(format!("term {term:?} points at missing document {doc}")),
                }
            }
            if term_ids.contains_key(term.as_str()) {
                return Err(format!("term {term:?} is stored twice"));
            }
            term_ids.insert(term.into_boxed_str(), id as u32);
            lists.push(Postings { docs, tfs });
        }
        let live = doc_len.iter().flatten().count();
        let total_len = doc_len.iter().flatten().map(|&l| f64::from(l)).sum();
        Ok(Bm25Index {
            config,
            term_ids,
            postings: lists,
            doc_len,
            doc_terms,
            live,
            total_len,
            norms: OnceLock::new(),
        })
    }
}

/// Borrowed view of an index for serialisation.
#[derive(Debug)]
pub(crate) struct Bm25Parts<'a> {
    pub terms: Vec<&'a str>,
    pub postings: Vec<(&'a [u32], &'a [u16])>,
    pub doc_len: &'a [Option<f32>],
}

/// Keeps the best `limit` hits, sorted by descending score then ascending slot.
pub(crate) fn top_k(hits: &mut Vec<Scored>, limit: usize) {
    let order = |a: &Scored, b: &Scored| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc));
    if hits.len() > limit {
        hits.select_nth_unstable_by(limit, order);
        hits.truncate(limit);
    }
    hits.sort_unstable_by(order);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc<'a>(name: &'a str, body: &'a str) -> Bm25Doc<'a> {
        Bm25Doc {
            name,
            qualified_name: name,
            path: "src/lib.py",
            body,
        }
    }

    fn index() -> Bm25Index {
        let mut index = Bm25Index::default();
        index.insert(
            0,
            &doc(
                "read_config",
                "def read_config(path): return toml.load(path)",
            ),
        );
        index.insert(
            1,
            &doc(
                "write_file",
                "def write_file(path, data): open(path).write(data)",
            ),
        );
        index.insert(
            2,
            &doc(
                "parse_header",
                "def parse_header(raw): config = raw.split(':')",
            ),
        );
        index
    }

    #[test]
    fn ranks_name_matches_above_body_matches() {
        let index = index();
        let hits = index.search("config", 10, |_| true);
        let docs: Vec<u32> = hits.iter().map(|h| h.doc).collect();
        assert_eq!(docs, vec![0, 2]);
        assert!(hits[0].score > hits[1].score);
    }

    /// The length norms are cached between searches: a search after an insert or a removal must
    /// score as a fresh index of the same documents does.
    #[test]
    fn scores_after_changes_equal_a_fresh_index() {
        let mut changed = index();
        let before = changed.search("path config", 10, |_| true);
        changed.insert(
            3,
            &doc(
                "load_config_from_a_very_long_path",
                "def load_config_from_a_very_long_path(path): return read(path, path, path)",
            ),
        );
        assert!(changed.remove(1));
        let mut fresh = index();
        fresh.remove(1);
        fresh.insert(
            3,
            &doc(
                "load_config_from_a_very_long_path",
                "def load_config_from_a_very_long_path(path): return read(path, path, path)",
            ),
        );
        let after = changed.search("path config", 10, |_| true);
        assert_eq!(after, fresh.search("path config", 10, |_| true));
        let score_of = |hits: &[Scored], doc| hits.iter().find(|h| h.doc == doc).map(|h| h.score);
        assert_ne!(score_of(&before, 0), score_of(&after, 0));
    }

    #[test]
    fn removal_and_reinsertion_update_postings() {
        let mut index = index();
        assert!(index.remove(0));
        assert!(!index.remove(0));
        assert_eq!(index.len(), 2);
        let docs: Vec<u32> = index
            .search("config", 10, |_| true)
            .iter()
            .map(|h| h.doc)
            .collect();
        assert_eq!(docs, vec![2]);
        index.insert(0, &doc("load_settings", "def load_settings(): pass"));
        assert!(
            index
                .search("read config", 10, |_| true)
                .iter()
                .all(|h| h.doc != 0)
        );
        assert_eq!(index.search("settings", 10, |_| true)[0].doc, 0);
    }

    #[test]
    fn filters_limits_and_empty_queries() {
        let index = index();
        assert!(index.search("", 10, |_| true).is_empty());
        assert!(index.search("nonexistentword", 10, |_| true).is_empty());
        assert_eq!(index.search("path", 1, |_| true).len(), 1);
        assert!(
            index
                .search("config", 10, |d| d != 0)
                .iter()
                .all(|h| h.doc != 0)
        );
    }

    #[test]
    fn k1_and_b_change_scores() {
        let mut other = Bm25Index::new(Bm25Config {
            k1: 2.0,
            b: 0.0,
            ..Bm25Config::default()
        });
        let base = index();
        other.insert(
            0,
            &doc(
                "read_config",
                "def read_config(path): return toml.load(path)",
            ),
        );
        other.insert(
            1,
            &doc(
                "write_file",
                "def write_file(path, data): open(path).write(data)",
            ),
        );
        other.insert(
            2,
            &doc(
                "parse_header",
                "def parse_header(raw): config = raw.split(':')",
            ),
        );
        let a = base.search("config", 10, |_| true)[0].score;
        let b = other.search("config", 10, |_| true)[0].score;
        assert!((a - b).abs() > 1e-3, "{a} vs {b}");
    }
}
