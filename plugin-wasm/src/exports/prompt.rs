//! The prompt for a cursor, built in the tab: `buildPrompt` (FIM or chat, under a token budget,
//! with what was included, why, and what was dropped) and `loadTokenizer` (exact token counts
//! from a model's `tokenizer.json`). Only in packages built with the feature `prompt`
//! (`pkg-assistant`; see `prompt.rs`). The request crosses as one JSON string (`json_arg`), so a
//! misspelt key anywhere in it is an error rather than silently ignored.

use wasm_bindgen::prelude::*;

use crate::error::js_call;
use crate::js::{json_arg, output, reject_non_finite};
use crate::options::PromptRequest;
use crate::project::Engine;

#[wasm_bindgen(typescript_custom_section)]
const PROMPT_TS: &str = r#"
/** A FIM template's model family. */
export type ModelFamily =
  | "starcoder" | "starcoder2" | "qwen2.5-coder" | "deepseek-coder" | "codellama" | "codestral" | "plain";
/** A file open in the editor; other files' text is read from the index. */
export interface OpenFileInput {
  path: string;
  /** 1-based inclusive lines on screen. */
  visible?: [number, number];
}
/** A range edited recently (1-based inclusive lines of the file's current text). */
export interface RecentEditInput {
  path: string;
  startLine: number;
  endLine: number;
  /** Host time of the edit in integer milliseconds; default `nowMs`. */
  atMs?: number;
}
export interface PromptRequest {
  path: string;
  /** The file as the editor has it now (it may differ from the indexed copy). */
  text: string;
  /** The cursor in `text`, in the engine's positionEncoding (UTF-16 code units by default, as editors count). */
  offset: number;
  /** Default "fim". */
  mode?: "fim" | "chat";
  /** The most tokens the prompt may cost, template included. Default 2048. */
  budget?: number;
  /** Default "qwen2.5-coder". */
  family?: ModelFamily;
  /** Chat: the question (default: explain the code at the cursor). */
  question?: string;
  openFiles?: OpenFileInput[];
  recentEdits?: RecentEditInput[];
  /** Host time in integer milliseconds, which `atMs` is compared with. */
  nowMs?: number;
  /** The repository's name, for templates that name it. */
  repoName?: string;
}
export type PromptPartKind =
  | "prefix" | "suffix" | "history" | "definition" | "recent_edit" | "search_hit" | "open_file" | "repo_map";
/** A part included in the prompt, and why (lines 1-based, inclusive). */
export interface PromptPart {
  kind: PromptPartKind; path: string; start_line: number; end_line: number;
  tokens: number; score: number; why: string;
}
/** A part left out, and the reason. */
export interface DroppedPart {
  kind: PromptPartKind; path: string; start_line: number; end_line: number;
  tokens: number; score: number; reason: string;
}
export interface PromptMessage { role: "system" | "user" | "assistant"; content: string; }
/** The fields `pilotfish prompt --json` prints, with its names. */
export interface BuiltPrompt {
  mode: "fim" | "chat";
  path: string;
  /** The cursor: 1-based line, 1-based column in characters. */
  line: number;
  col: number;
  /** The whole text a model receives (chat: the messages as ChatML). */
  prompt: string;
  /** Never above `budget`. */
  tokens: number;
  budget: number;
  /** True after `loadTokenizer`; otherwise `tokens` is a calibrated estimate. */
  exact_tokens: boolean;
  /** Chat only: the messages to send. */
  messages?: PromptMessage[];
  /** FIM only: the template's stop strings. */
  stop?: string[];
  parts: PromptPart[];
  dropped: DroppedPart[];
  /** Secrets replaced by `[REDACTED:rule-id]`, counted by rule; absent when none. */
  redactions?: Record<string, number>;
}
"#;

#[wasm_bindgen]
impl Engine {
    /// The prompt for a cursor in a file's current text, from the indexed files' context. Throws
    /// on an unknown mode or family, an offset outside the text or inside a character, and a
    /// budget too small for any context.
    #[wasm_bindgen(js_name = buildPrompt, unchecked_return_type = "BuiltPrompt")]
    pub fn build_prompt(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "PromptRequest")] request: JsValue,
    ) -> Result<JsValue, JsError> {
        js_call("buildPrompt", || {
            reject_non_finite("request", &request)?;
            let request: PromptRequest = json_arg("request", &request)?;
            // A prompt needs every file's tags; a restore leaves them to `tagPending`.
            self.tag_pending(usize::MAX);
            output(&self.build_prompt_native(&request)?)
        })
    }

    /// After `restore`, tags up to `maxFiles` of the restored files for prompts (search works
    /// without them); returns how many are left. Call it in idle time until it returns 0, or the
    /// first prompt tags all that are left.
    #[wasm_bindgen(js_name = tagPending)]
    pub fn tag_pending_js(&mut self, max_files: u32) -> u32 {
        self.tag_pending(max_files as usize).min(u32::MAX as usize) as u32
    }

    /// Counts prompt tokens exactly with a model's `tokenizer.json` (its bytes) from now on;
    /// throws on bytes that are not one.
    #[wasm_bindgen(js_name = loadTokenizer)]
    pub fn load_tokenizer(&mut self, tokenizer_json: &[u8]) -> Result<(), JsError> {
        js_call("loadTokenizer", || {
            self.load_tokenizer_bytes(tokenizer_json)
        })
    }
}
