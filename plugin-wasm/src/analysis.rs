//! `analyze`'s native entry point: what the analysis crate says about a file as the editor has
//! it, for markers — readable syntax errors, security findings, and secrets (which never leave
//! the tab in a prompt; a host may want to flag them where they are). One parse serves the syntax
//! diagnostics and the security rules; on a keystroke the rules re-query only the statements
//! that changed and the secret scan only the lines around the change. Ranges cross as offsets
//! in the engine's position encoding (the host turns them into positions, as it does for
//! chunks) plus 1-based lines.

use engine::{Language, LineIndex};
use serde::Serialize;

use crate::options::PositionEncoding;
use crate::project::Engine;

/// A range of the analysed text: offsets in the engine's encoding, 1-based inclusive lines.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireRange {
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub end_line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WireSyntaxError {
    pub message: String,
    pub range: WireRange,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WireFinding {
    pub rule: String,
    pub cwe: String,
    pub severity: &'static str,
    pub confidence: &'static str,
    pub message: String,
    pub fix: String,
    pub range: WireRange,
}

/// A secret: which rule, where; never its text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WireSecret {
    pub rule: String,
    pub range: WireRange,
}

/// What `analyze` returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WireAnalysis {
    /// `null` for a language the engine does not know (then only secrets are looked for).
    pub language: Option<&'static str>,
    pub syntax: Vec<WireSyntaxError>,
    pub findings: Vec<WireFinding>,
    pub secrets: Vec<WireSecret>,
}

impl Engine {
    /// Analyses `text` as the file at `path`.
    pub fn analyze_native(&self, path: &str, text: &str) -> WireAnalysis {
        let lines = LineIndex::new(text);
        let encoding = self.encoding;
        let range = |bytes: std::ops::Range<usize>| {
            let at = |offset: usize| match encoding {
                PositionEncoding::Utf8 => offset,
                PositionEncoding::Utf16 => lines.utf16_offset(offset),
            };
            WireRange {
                start: at(bytes.start),
                end: at(bytes.end),
                line: lines.line(bytes.start),
                end_line: lines
                    .line(bytes.end.max(bytes.start + 1) - 1)
                    .max(lines.line(bytes.start)),
            }
        };
        let language = Language::detect(path, text);
        let mut analysis = WireAnalysis {
            language: language.map(Language::name),
            syntax: Vec::new(),
            findings: Vec::new(),
            secrets: self
                .secrets
                .borrow_mut()
                .scan(analysis::Scanner::builtin(), path, text)
                .into_iter()
                .map(|s| WireSecret {
                    rule: s.rule_id.to_owned(),
                    range: range(s.range),
                })
                .collect(),
        };
        let Some(language) = language else {
            return analysis;
        };
        // The engine's remembered tree of this document when it has one (completions at this
        // path parsed it already, or an earlier `analyze` did): a keystroke then costs an
        // incremental re-parse, not a parse of the whole file, and the rules re-query only the
        // statements it changed.
        let tree = self.documents.borrow_mut().tree(path, language, text);
        let file = match tree {
            Some((tree, _)) => analysis::analyze_tree_cached(
                language,
                &tree,
                text,
                &mut self.findings.borrow_mut(),
            ),
            None => analysis::analyze(language, text),
        };
        analysis.syntax = file
            .syntax
            .into_iter()
            .map(|d| WireSyntaxError {
                message: d.message,
                range: range(d.range),
            })
            .collect();
        analysis.findings = file
            .findings
            .into_iter()
            .map(|f| WireFinding {
                rule: f.rule_id.to_owned(),
                cwe: f.cwe.to_owned(),
                severity: f.severity.name(),
                confidence: f.confidence.name(),
                message: f.message,
                fix: f.fix.to_owned(),
                range: range(f.range),
            })
            .collect();
        analysis
    }
}
