//! CodeSearchNet-style evaluation sets from real code: the query is the first sentence of a
//! function's docstring (Python docstring, JSDoc/TSDoc block or Go doc comment above the function),
//! the target is that function with its docstring removed. Every other function of the set, with
//! its docstring removed too, is a distractor in the corpus, so a retriever can never match a query
//! against the text it was cut from.
//!
//! Functions come from the project's own chunker (the unit a search returns); the pieces of a
//! function the chunker split are joined back into one document. Docstrings are located with the
//! tree-sitter syntax tree: Python's first string statement of a body, and the run of comment
//! nodes a chunk starts with (the chunker attaches a comment run directly above a unit to it).
//!
//! Trivial docstrings (under three words, TODO/FIXME notes, deprecation-only notes) give no query,
//! and a first sentence shared by several functions (generated wrappers, overloads) is ambiguous,
//! so none of those functions get a query; they stay in the corpus. Identical documents are kept
//! once. Everything here is pure: the caller reads the files.

use rustc_hash::{FxHashMap, FxHashSet};

use syntax::Language;
use syntax::{ChunkConfig, ChunkKind, chunk_file};

use crate::split::half_of;

/// One function of a source file, ready to be a document (and maybe a query target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub path: String,
    pub language: Language,
    pub name: String,
    pub qualified_name: String,
    /// The function's source with its docstring (and any leading doc comment) removed.
    pub text: String,
    /// The first sentence of its docstring, when that makes a usable query.
    pub query: Option<String>,
}

/// A query and the index of its target document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocQuery {
    pub text: String,
    pub target: usize,
}

/// A corpus of functions and the queries that each point at one of them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocstringSet {
    pub documents: Vec<Function>,
    pub queries: Vec<DocQuery>,
}

/// Which half of a set's queries (see [`crate::split`]); every set is split the same way.
pub use crate::split::Half;

impl DocstringSet {
    /// Builds a set from extracted functions: drops duplicate documents and ambiguous or empty
    /// queries (see the module docs).
    pub fn from_functions(functions: impl IntoIterator<Item = Function>) -> Self {
        let mut set = DocstringSet::default();
        let mut by_text: FxHashMap<String, usize> = FxHashMap::default();
        let mut candidates: Vec<(String, usize)> = Vec::new();
        for function in functions {
            let query = function.query.clone();
            let index = match by_text.get(&function.text) {
                Some(&i) => i,
                None => {
                    by_text.insert(function.text.clone(), set.documents.len());
                    set.documents.push(function);
                    set.documents.len() - 1
                }
            };
            if let Some(q) = query {
                candidates.push((q, index));
            }
        }
        // A sentence seen on two different documents has two right answers: drop it.
        let mut targets: FxHashMap<String, FxHashSet<usize>> = FxHashMap::default();
        for (q, i) in &candidates {
            targets.entry(normalize(q)).or_default().insert(*i);
        }
        let mut emitted: FxHashSet<String> = FxHashSet::default();
        for (q, target) in candidates {
            let key = normalize(&q);
            if targets[&key].len() == 1 && emitted.insert(key) {
                set.queries.push(DocQuery { text: q, target });
            }
        }
        set
    }

    /// The queries of one half, split by a hash of the query text ([`half_of`]).
    pub fn half(&self, half: Half) -> Vec<DocQuery> {
        self.queries
            .iter()
            .filter(|q| half_of(&q.text) == half)
            .cloned()
            .collect()
    }
}

fn normalize(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Extracts the functions and methods of one file. Files in languages without a grammar give
/// nothing.
pub fn extract_functions(path: &str, bytes: &[u8], config: &ChunkConfig) -> Vec<Function> {
    let chunked = chunk_file(path, bytes, config);
    let Some(language) = chunked.language else {
        return Vec::new();
    };
    let Some(grammar) = syntax::grammar::grammar(language) else {
        return Vec::new();
    };
    // The chunker's byte offsets are into the lossily decoded text; parse that same text.
    let text = String::from_utf8_lossy(bytes);
    let mut parser = tree_sitter::Parser::new();
    if parser.set_language(&grammar).is_err() {
        return Vec::new();
    }
    let Some(tree) = parser.parse(text.as_bytes(), None) else {
        return Vec::new();
    };
    let marks = doc_marks(tree.root_node(), language);

    // Join the pieces of split functions: consecutive function chunks with the same name.
    let mut units: Vec<(usize, usize, &syntax::Chunk)> = Vec::new();
    for chunk in &chunked.chunks {
        if !matches!(chunk.kind, ChunkKind::Function | ChunkKind::Method) {
            continue;
        }
        match units.last_mut() {
            Some((_, end, first))
                if first.qualified_name == chunk.qualified_name
                    && first.kind == chunk.kind
                    && chunk.start_byte >= *end =>
            {
                *end = chunk.end_byte;
            }
            _ => units.push((chunk.start_byte, chunk.end_byte, chunk)),
        }
    }

    let mut out = Vec::new();
    for (start, end, chunk) in units {
        let (removed, python_docstring) = removals(&text, &marks, start, end);
        let mut body = String::new();
        let mut at = start;
        for (s, e) in removed {
            body.push_str(&text[at..s]);
            at = e;
        }
        body.push_str(&text[at..end]);
        let body = body.trim().to_string();
        if body.is_empty() {
            continue;
        }
        // Python's query comes from the real docstring only, never from a `#` comment above.
        let docstring = if language == Language::Python && !python_docstring {
            None
        } else {
            chunk.docstring.as_deref()
        };
        let name = chunk.name.clone().unwrap_or_default();
        out.push(Function {
            path: path.to_string(),
            language,
            qualified_name: chunk.qualified_name.clone().unwrap_or_else(|| name.clone()),
            name,
            text: body,
            query: docstring.and_then(first_sentence),
        });
    }
    out
}

/// Byte ranges in the syntax tree that are documentation.
struct Marks {
    /// Comment nodes, in source order.
    comments: Vec<(usize, usize)>,
    /// Starts of Python function definitions.
    defs: Vec<usize>,
    /// Python docstring statements (the first string statement of a function body), with the
    /// start of their function definition.
    docstrings: Vec<(usize, usize, usize)>,
}

fn doc_marks(root: tree_sitter::Node<'_>, language: Language) -> Marks {
    let mut marks = Marks {
        comments: Vec::new(),
        defs: Vec::new(),
        docstrings: Vec::new(),
    };
    let mut cursor = root.walk();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.kind().ends_with("comment") {
            marks.comments.push((node.start_byte(), node.end_byte()));
            continue;
        }
        if language == Language::Python && node.kind() == "function_definition" {
            marks.defs.push(node.start_byte());
        }
        if language == Language::Python
            && node.kind() == "function_definition"
            && let Some(first) = node
                .child_by_field_name("body")
                .and_then(|b| b.named_child(0))
            && first.kind() == "expression_statement"
            && first.named_child(0).is_some_and(|s| s.kind() == "string")
        {
            marks
                .docstrings
                .push((node.start_byte(), first.start_byte(), first.end_byte()));
        }
        stack.extend(node.named_children(&mut cursor));
    }
    marks.comments.sort_unstable();
    marks.defs.sort_unstable();
    marks.docstrings.sort_unstable();
    marks
}

/// The ranges to cut from `text[start..end]` (each widened to whole lines when nothing else is on
/// them), and whether the unit's own Python docstring was among them.
fn removals(text: &str, marks: &Marks, start: usize, end: usize) -> (Vec<(usize, usize)>, bool) {
    let mut ranges = Vec::new();
    // The leading run of comments: skip whitespace, take a comment that starts there, repeat.
    let mut at = start;
    loop {
        let next = at + (text[at..end].len() - text[at..end].trim_start().len());
        match marks.comments.iter().find(|c| c.0 == next) {
            Some(&(s, e)) if e <= end => {
                ranges.push((s, e));
                at = e;
            }
            _ => break,
        }
    }
    // Python docstrings inside the unit (nested functions' too); the unit's own is the one of
    // the first function definition it contains.
    let first_def = marks.defs.iter().find(|&&d| d >= start && d < end);
    let mut own = false;
    for &(def, s, e) in &marks.docstrings {
        if s >= start && e <= end {
            own |= Some(&def) == first_def;
            ranges.push((s, e));
        }
    }
    ranges.sort_unstable();
    let widened = ranges
        .into_iter()
        .map(|(s, e)| widen_to_lines(text, s, e, start, end))
        .collect::<Vec<_>>();
    // Merge overlaps created by widening.
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in widened {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    (merged, own)
}

/// Widens `s..e` to cover its whole lines when only blanks share them, so removing a docstring
/// leaves no empty line behind.
fn widen_to_lines(text: &str, s: usize, e: usize, lo: usize, hi: usize) -> (usize, usize) {
    let before = &text[lo..s];
    let line_start = before.rfind('\n').map_or(lo, |i| lo + i + 1);
    let after = &text[e..hi];
    let line_end = after.find('\n').map_or(hi, |i| e + i + 1);
    let blank = |t: &str| t.chars().all(|c| c == ' ' || c == '\t' || c == '\r');
    let s2 = if blank(&text[line_start..s]) {
        line_start
    } else {
        s
    };
    let e2 = if blank(text[e..line_end].trim_end_matches('\n')) {
        line_end
    } else {
        e
    };
    (s2, e2)
}

/// The first sentence of a docstring as a search query, or `None` when it is trivial: fewer than
/// three words, a TODO/FIXME note, or a deprecation notice. The sentence ends at the first period
/// followed by a space, at a blank line, or where tags or sections start (`@param`, `:param`,
/// `Args:`, `---`).
pub fn first_sentence(doc: &str) -> Option<String> {
    let mut paragraph: Vec<&str> = Vec::new();
    for line in doc.lines() {
        let line = line.trim();
        if line.is_empty() {
            if paragraph.is_empty() {
                continue;
            }
            break;
        }
        let starts_section = line.starts_with('@')
            || line.starts_with(':')
            || line.starts_with(">>>")
            || line.starts_with("```")
            || line.chars().all(|c| c == '-' || c == '=')
            || (line.ends_with(':') && !line.contains(' '));
        if starts_section {
            break;
        }
        paragraph.push(line);
    }
    let joined = paragraph.join(" ");
    let sentence = cut_sentence(&joined).trim();
    let words = sentence.split_whitespace().count();
    let lower = sentence.to_lowercase();
    let trivial = words < 3
        || lower.contains("todo")
        || lower.contains("fixme")
        || lower.starts_with("deprecated")
        || lower.starts_with("@deprecated")
        || lower.starts_with("(deprecated");
    (!trivial).then(|| sentence.to_string())
}

/// Cuts at the first `. ` that is not part of an abbreviation such as "e.g." or "i.e.".
fn cut_sentence(text: &str) -> &str {
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices(". ") {
        let word_start = text[..i].rfind(' ').map_or(0, |p| p + 1);
        let word = text[word_start..i].to_lowercase();
        if matches!(word.as_str(), "e.g" | "i.e" | "etc" | "vs" | "cf") {
            continue;
        }
        // Keep "v1. 2"-style numbers joined only when a digit follows; otherwise end here.
        if bytes.get(i + 2).is_some_and(u8::is_ascii_digit) {
            continue;
        }
        return &text[..=i];
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check(path: &str, source: &str, expect: Expect) {
        let functions = extract_functions(path, source.as_bytes(), &ChunkConfig::default());
        let mut out = String::new();
        for f in &functions {
            out.push_str(&format!(
                "== {} query={:?}\n{}\n",
                f.qualified_name, f.query, f.text
            ));
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn python_docstrings_become_queries_and_leave_the_body() {
        check(
            "m.py",
            r#"
# A helper comment that is not a docstring.
def parse_header(value):
    """Parse a comma-separated HTTP header into a list.

    Args:
        value: the raw header.
    """
    return [v.strip() for v in value.split(",")]


class Session:
    def close(self):
        '''Closes all adapters and as such the session.'''
        for a in self.adapters:
            a.close()

    def short(self):
        """Returns it."""
        return 1

    def todo(self):
        """TODO: write a real implementation here."""
        pass

    def undocumented(self):
        return None
"#,
            expect![[r#"
                == parse_header query=Some("Parse a comma-separated HTTP header into a list.")
                def parse_header(value):
                    return [v.strip() for v in value.split(",")]
                == Session.close query=Some("Closes all adapters and as such the session.")
                def close(self):
                        for a in self.adapters:
                            a.close()
                == Session.short query=None
                def short(self):
                        return 1
                == Session.todo query=None
                def todo(self):
                        pass
                == Session.undocumented query=None
                def undocumented(self):
                        return None
            "#]],
        );
    }

    #[test]
    fn jsdoc_and_go_doc_comments_are_cut_from_the_function() {
        check(
            "a.js",
            r#"
/**
 * Creates an array of elements split into groups the length of `size`.
 * If `array` can't be split evenly, the final chunk will be the remaining elements.
 *
 * @param {Array} array The array to process.
 * @returns {Array} Returns the new array of chunks.
 */
function chunk(array, size) {
  // Inner comments stay: they are code, not the docstring.
  return slice(array, 0, size);
}

/** @deprecated use chunk */
function oldChunk(array) { return chunk(array, 1); }
"#,
            expect![[r#"
                == chunk query=Some("Creates an array of elements split into groups the length of `size`.")
                function chunk(array, size) {
                  // Inner comments stay: they are code, not the docstring.
                  return slice(array, 0, size);
                }
                == oldChunk query=None
                function oldChunk(array) { return chunk(array, 1); }
            "#]],
        );
        check(
            "assert.go",
            r#"package assert

// Equal asserts that two objects are equal, e.g. after a round trip.
//
//	assert.Equal(t, 123, 123)
func Equal(t TestingT, expected, actual interface{}) bool {
	return ObjectsAreEqual(expected, actual)
}
"#,
            expect![[r#"
                == Equal query=Some("Equal asserts that two objects are equal, e.g. after a round trip.")
                func Equal(t TestingT, expected, actual interface{}) bool {
                	return ObjectsAreEqual(expected, actual)
                }
            "#]],
        );
    }

    #[test]
    fn first_sentence_skips_trivial_and_stops_at_sections() {
        let cases = [
            ("Return the sum. Then more.", Some("Return the sum.")),
            (
                "Build a map\nfrom the given pairs.\n\nDetails.",
                Some("Build a map from the given pairs."),
            ),
            (
                "Split a string, i.e. cut it on commas",
                Some("Split a string, i.e. cut it on commas"),
            ),
            ("Returns it.", None),
            ("Deprecated: use the new API instead.", None),
            ("FIXME this does not handle unicode", None),
            ("@private\n@param x", None),
            (
                "Gets the value\n:param key: the key",
                Some("Gets the value"),
            ),
            ("", None),
        ];
        for (doc, want) in cases {
            assert_eq!(first_sentence(doc).as_deref(), want, "{doc:?}");
        }
    }

    #[test]
    fn sets_dedupe_documents_and_drop_ambiguous_queries() {
        let f = |name: &str, text: &str, query: Option<&str>| Function {
            path: format!("{name}.py"),
            language: Language::Python,
            name: name.into(),
            qualified_name: name.into(),
            text: text.into(),
            query: query.map(str::to_string),
        };
        let set = DocstringSet::from_functions([
            f("a", "def a(): pass", Some("Do the first thing now.")),
            f("b", "def b(): pass", Some("Shared sentence for two.")),
            f("c", "def c(): pass", Some("shared  sentence for two.")),
            f("a2", "def a(): pass", None),
            f("d", "def d(): pass", Some("Do the last thing now.")),
        ]);
        assert_eq!(set.documents.len(), 4);
        let queries: Vec<(&str, usize)> = set
            .queries
            .iter()
            .map(|q| (q.text.as_str(), q.target))
            .collect();
        assert_eq!(
            queries,
            vec![
                ("Do the first thing now.", 0),
                ("Do the last thing now.", 3)
            ]
        );
        let tune = set.half(Half::Tune);
        let report = set.half(Half::Report);
        assert_eq!(tune.len() + report.len(), 2);
        assert!(tune.iter().all(|q| !report.contains(q)));
    }
}
