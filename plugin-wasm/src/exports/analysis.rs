//! `analyze`: syntax errors worded for a person, security findings and secrets in a file as the
//! editor has it, for markers. Only in packages built with the feature `assistant` (the default
//! package has no room for the rules).

use wasm_bindgen::prelude::*;

use crate::error::js_call;
use crate::js::{output, string_arg};
use crate::project::Engine;

#[wasm_bindgen(typescript_custom_section)]
const ANALYSIS_TS: &str = r#"
/** Offsets in the engine's positionEncoding, 1-based inclusive lines. */
export interface AnalysisRange { start: number; end: number; line: number; endLine: number; }
export interface FileAnalysis {
  /** null for a language the engine does not know (then only secrets are looked for). */
  language: string | null;
  /** e.g. "missing `)`", "unexpected `else`". */
  syntax: { message: string; range: AnalysisRange }[];
  findings: {
    rule: string; cwe: string; severity: "low" | "medium" | "high"; confidence: "low" | "medium" | "high";
    message: string; fix: string; range: AnalysisRange;
  }[];
  /** Where secrets are (never their text); prompts carry them as [REDACTED:rule]. */
  secrets: { rule: string; range: AnalysisRange }[];
}
"#;

#[wasm_bindgen]
impl Engine {
    /// Syntax errors, security findings and secrets in `text` as the file at `path`.
    #[wasm_bindgen(unchecked_return_type = "FileAnalysis")]
    pub fn analyze(&self, path: JsValue, text: JsValue) -> Result<JsValue, JsError> {
        js_call("analyze", || {
            let path = string_arg("path", &path)?;
            let text = string_arg("text", &text)?;
            output(&self.analyze_native(&path, &text))
        })
    }
}
