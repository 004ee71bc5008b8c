//! What JavaScript passes in: `new Engine(options)`, `search(query, options)` and the files of
//! `indexFiles`, as serde types in camelCase, and their conversion into the engine's settings.
//! Names are checked here (an unknown mode or fusion is an error, not a silent default); the
//! settings themselves are the engine's: search options become `engine::project::SearchOptions`
//! with `FusionOverrides` that the engine applies to the index's own fusion preset.

use assist::context::{HostState, OpenFile, RecentEdit};
use assist::prompt::ModelFamily;
use engine::ChunkConfig;
use engine::Language;
use engine::project::{SearchMode, SearchOptions};
use engine::search::{FusionKind, FusionOverrides};
use serde::{Deserialize, Serialize};

use crate::error::{Error, OptionsError};

/// How offsets are counted on the wire. Monaco and VS Code count UTF-16 code units (JavaScript
/// string indices); other hosts may want UTF-8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PositionEncoding {
    #[default]
    Utf16,
    Utf8,
}

impl PositionEncoding {
    /// The JavaScript name of the encoding.
    pub fn name(self) -> &'static str {
        match self {
            PositionEncoding::Utf16 => "utf16",
            PositionEncoding::Utf8 => "utf8",
        }
    }
}

/// `new Engine(options)`. Every field is optional; unknown fields are rejected so a typo such as
/// `maxChunkByte` is reported instead of silently ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EngineOptions {
    #[serde(default)]
    pub position_encoding: PositionEncoding,
    pub max_chunk_bytes: Option<usize>,
    pub max_parse_bytes: Option<usize>,
    pub fallback_window_lines: Option<usize>,
}

impl EngineOptions {
    /// The JavaScript names of the fields above.
    pub const FIELDS: &'static [&'static str] = &[
        "positionEncoding",
        "maxChunkBytes",
        "maxParseBytes",
        "fallbackWindowLines",
    ];

    /// The chunker configuration these options describe, defaults filled in.
    pub fn chunk_config(&self) -> Result<ChunkConfig, OptionsError> {
        let defaults = ChunkConfig::default();
        let positive = |value: Option<usize>, name: &'static str, default: usize| match value {
            Some(0) => Err(OptionsError::Zero(name)),
            Some(v) => Ok(v),
            None => Ok(default),
        };
        Ok(ChunkConfig {
            max_chunk_bytes: positive(
                self.max_chunk_bytes,
                "maxChunkBytes",
                defaults.max_chunk_bytes,
            )?,
            max_parse_bytes: positive(
                self.max_parse_bytes,
                "maxParseBytes",
                defaults.max_parse_bytes,
            )?,
            fallback_window_lines: positive(
                self.fallback_window_lines,
                "fallbackWindowLines",
                defaults.fallback_window_lines,
            )?,
        })
    }
}

/// A chunker configuration in the options' own words, for error messages.
pub fn describe_chunk_config(config: &ChunkConfig) -> String {
    format!(
        "{{ maxChunkBytes: {}, maxParseBytes: {}, fallbackWindowLines: {} }}",
        config.max_chunk_bytes, config.max_parse_bytes, config.fallback_window_lines
    )
}

/// One file of `indexFiles`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileInput {
    pub path: String,
    pub text: String,
}

/// `Engine.search` options as they arrive from JS.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WireSearchOptions {
    pub mode: Option<String>,
    pub limit: Option<usize>,
    pub max_per_file: Option<usize>,
    pub languages: Option<Vec<String>>,
    pub path_globs: Option<Vec<String>>,
    pub keyword_weight: Option<f32>,
    pub vector_weight: Option<f32>,
    /// `"rrf"` or `"convex"`; default: the index's preset method.
    pub fusion: Option<String>,
    pub rrf_k: Option<f32>,
    pub convex_depth: Option<u32>,
    /// Top vector score from which a convex fusion ignores the keyword list; a negative value
    /// turns the rule off.
    pub vector_confident_at: Option<f32>,
}

impl WireSearchOptions {
    /// The engine's search options; unset fields keep the engine's defaults and the index's
    /// fusion preset.
    pub fn to_options(&self) -> Result<SearchOptions, OptionsError> {
        let defaults = SearchOptions::default();
        let mode = match self.mode.as_deref() {
            None | Some("hybrid") => SearchMode::Hybrid,
            Some("keyword") => SearchMode::Keyword,
            Some("vector") => SearchMode::Vector,
            Some(other) => return Err(unknown("mode", other, "hybrid, keyword or vector")),
        };
        let languages = self
            .languages
            .iter()
            .flatten()
            .map(|name| {
                Language::from_name(name).ok_or_else(|| {
                    unknown(
                        "language",
                        name,
                        "python, javascript, typescript, tsx, rust, go, java, c, cpp or csharp",
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(SearchOptions {
            mode,
            limit: self.limit.unwrap_or(defaults.limit),
            max_per_file: self.max_per_file.unwrap_or(defaults.max_per_file),
            languages,
            path_globs: self.path_globs.clone().unwrap_or_default(),
            fusion: self.fusion_overrides()?,
        })
    }

    fn fusion_overrides(&self) -> Result<FusionOverrides, OptionsError> {
        let method = match self.fusion.as_deref() {
            None => None,
            Some("rrf") => Some(FusionKind::Rrf),
            Some("convex") => Some(FusionKind::Convex),
            Some(other) => return Err(unknown("fusion", other, "\"rrf\" or \"convex\"")),
        };
        Ok(FusionOverrides {
            keyword_weight: self.keyword_weight,
            vector_weight: self.vector_weight,
            method,
            rrf_k: self.rrf_k,
            convex_depth: self.convex_depth,
            // JSON has no way to say "set to none", so a negative level stands for it.
            vector_confident_at: self
                .vector_confident_at
                .map(|level| (level >= 0.0).then_some(level)),
        })
    }
}

/// `Engine.buildPrompt`'s request. It crosses as one JSON string (`json_arg`), so unknown keys
/// are errors at every depth, an `openFiles` entry with a `text` included: gathering reads other
/// files from the index, never from the request.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PromptRequest {
    pub path: String,
    /// The file as the editor has it now, which may differ from its indexed copy.
    pub text: String,
    /// The cursor in `text`, in the engine's position encoding.
    pub offset: usize,
    /// `"fim"` (default) or `"chat"`.
    pub mode: Option<String>,
    pub budget: Option<usize>,
    /// A FIM template's model family (default `"qwen2.5-coder"`); the chat template is ChatML.
    pub family: Option<String>,
    /// Chat: the question (default: explain the code at the cursor).
    pub question: Option<String>,
    /// Chat: the conversation so far, oldest first (trimmed to the budget oldest-first).
    #[serde(default)]
    pub history: Vec<assist::prompt::ChatMessage>,
    /// Chat: what is asked, `"chat"` (default), `"explain"`, `"generate"` or `"refactor"`: it
    /// picks the instructions and the proxy alias.
    pub task: Option<String>,
    #[serde(default)]
    pub open_files: Vec<OpenFileInput>,
    #[serde(default)]
    pub recent_edits: Vec<RecentEditInput>,
    /// Host time in milliseconds, which the edits' `atMs` are compared with.
    #[serde(default)]
    pub now_ms: u64,
    /// The repository's name, for the families whose template names it.
    #[serde(default)]
    pub repo_name: String,
}

/// A file open in the editor, as [`OpenFile`] takes it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenFileInput {
    pub path: String,
    /// 1-based inclusive lines on screen.
    pub visible: Option<(usize, usize)>,
}

/// A range edited recently, as [`RecentEdit`] takes it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecentEditInput {
    pub path: String,
    pub start_line: usize,
    pub end_line: usize,
    /// Default: `nowMs` (just now).
    pub at_ms: Option<u64>,
}

/// What `buildPrompt` builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptMode {
    Fim,
    Chat,
}

impl PromptMode {
    pub fn name(self) -> &'static str {
        match self {
            PromptMode::Fim => "fim",
            PromptMode::Chat => "chat",
        }
    }
}

impl PromptRequest {
    /// `pilotfish prompt`'s default budget.
    pub const DEFAULT_BUDGET: usize = 2048;

    pub fn mode(&self) -> Result<PromptMode, OptionsError> {
        match self.mode.as_deref() {
            None | Some("fim") => Ok(PromptMode::Fim),
            Some("chat") => Ok(PromptMode::Chat),
            Some(other) => Err(unknown("mode", other, "\"fim\" or \"chat\"")),
        }
    }

    pub fn family(&self) -> Result<ModelFamily, Error> {
        let Some(name) = self.family.as_deref() else {
            return Ok(ModelFamily::QwenCoder);
        };
        ModelFamily::from_name(name).ok_or_else(|| Error::UnknownFamily {
            got: name.to_string(),
            known: ModelFamily::ALL.map(ModelFamily::name).join(", "),
        })
    }

    /// Chat's task; autocomplete is not one (`complete` is its own method).
    pub fn chat_task(&self) -> Result<assist::routing::Task, OptionsError> {
        use assist::routing::Task;
        match self.task.as_deref() {
            None | Some("chat") => Ok(Task::Chat),
            Some("explain") => Ok(Task::Explain),
            Some("generate") => Ok(Task::Generate),
            Some("refactor") => Ok(Task::Refactor),
            Some(other) => Err(unknown(
                "task",
                other,
                "\"chat\", \"explain\", \"generate\" or \"refactor\"",
            )),
        }
    }

    /// What the host reported besides the cursor, in gathering's terms.
    pub fn host_state(&self) -> HostState {
        HostState {
            recent_edits: self
                .recent_edits
                .iter()
                .map(|edit| RecentEdit {
                    path: edit.path.clone(),
                    start_line: edit.start_line,
                    end_line: edit.end_line,
                    at_ms: edit.at_ms.unwrap_or(self.now_ms),
                })
                .collect(),
            open_files: self
                .open_files
                .iter()
                .map(|open| OpenFile {
                    path: open.path.clone(),
                    visible: open.visible,
                })
                .collect(),
            now_ms: self.now_ms,
        }
    }
}

fn unknown(field: &'static str, got: &str, expected: &'static str) -> OptionsError {
    OptionsError::Unknown {
        field,
        got: got.to_string(),
        expected,
    }
}

#[cfg(test)]
mod tests {
    use engine::search::FusionConfig;
    use engine::search::presets::{DENSE_FUSION, HASHED_FUSION};

    use super::*;

    fn options(json: &str) -> WireSearchOptions {
        serde_json::from_str(json).unwrap()
    }

    /// The fusion a search runs with on an index whose preset is `preset`.
    fn fusion(preset: FusionConfig, json: &str) -> FusionConfig {
        preset.with_overrides(&options(json).to_options().unwrap().fusion)
    }

    #[test]
    fn fusion_overrides_start_from_the_index_preset() {
        // The hashed preset is RRF 3/1, k 5.
        assert_eq!(fusion(HASHED_FUSION, "{}"), HASHED_FUSION);
        assert_eq!(
            fusion(HASHED_FUSION, r#"{"keywordWeight": 0.5}"#),
            FusionConfig::rrf(0.5, 1.0, 5.0)
        );
        assert_eq!(
            fusion(
                HASHED_FUSION,
                r#"{"fusion": "convex", "vectorConfidentAt": 0.7}"#
            ),
            FusionConfig::convex(3.0, 1.0, 20, Some(0.7))
        );
        assert_eq!(
            fusion(HASHED_FUSION, r#"{"fusion": "rrf", "rrfK": 60}"#),
            FusionConfig::rrf(3.0, 1.0, 60.0)
        );
    }

    #[test]
    fn a_negative_confidence_level_turns_the_rule_off() {
        // The dense preset is convex 0.35/0.65 over the top 50, vector alone from 0.7.
        assert_eq!(
            fusion(
                DENSE_FUSION,
                r#"{"vectorConfidentAt": -1, "convexDepth": 30}"#
            ),
            FusionConfig::convex(0.35, 0.65, 30, None)
        );
    }

    #[test]
    fn unknown_names_are_clear_errors() {
        for (json, message) in [
            (
                r#"{"fusion": "max"}"#,
                r#"unknown fusion "max", expected "rrf" or "convex""#,
            ),
            (
                r#"{"mode": "fuzzy"}"#,
                r#"unknown mode "fuzzy", expected hybrid, keyword or vector"#,
            ),
            (
                r#"{"languages": ["rust", "cobol"]}"#,
                "unknown language \"cobol\"",
            ),
        ] {
            let error = options(json).to_options().unwrap_err().to_string();
            assert!(error.starts_with(message), "{json}: {error}");
        }
        let set = options(r#"{"mode": "keyword", "languages": ["rust"], "limit": 3}"#)
            .to_options()
            .unwrap();
        assert_eq!(
            (set.mode, set.languages, set.limit),
            (SearchMode::Keyword, vec![Language::Rust], 3)
        );
    }

    #[test]
    fn fields_list_matches_the_serde_names() {
        for field in EngineOptions::FIELDS {
            let value = if *field == "positionEncoding" {
                "\"utf8\""
            } else {
                "7"
            };
            let json = format!("{{\"{field}\": {value}}}");
            let options: EngineOptions = serde_json::from_str(&json).unwrap();
            assert_ne!(options, EngineOptions::default(), "{field} was not read");
        }
    }

    #[test]
    fn options_reject_zero_and_fill_defaults() {
        let zero = EngineOptions {
            max_chunk_bytes: Some(0),
            ..EngineOptions::default()
        };
        assert_eq!(
            zero.chunk_config(),
            Err(OptionsError::Zero("maxChunkBytes"))
        );
        let set = EngineOptions {
            max_chunk_bytes: Some(300),
            ..EngineOptions::default()
        };
        let config = set.chunk_config().unwrap();
        assert_eq!(config.max_chunk_bytes, 300);
        assert_eq!(
            config.max_parse_bytes,
            ChunkConfig::default().max_parse_bytes
        );
    }
}
