//! Fill-in-the-middle formats per model family, with each family's exact control tokens (from
//! the models' tokenizer configs and reference code):
//!
//! | family | format |
//! | --- | --- |
//! | StarCoder | `<fim_prefix>{context}{prefix}<fim_suffix>{suffix}<fim_middle>` |
//! | StarCoder2 | `<repo_name>{repo}<file_sep>{path}\n{code}…<file_sep><fim_prefix>{path}\n{prefix}<fim_suffix>{suffix}<fim_middle>` (repo-level form; plain form without context) |
//! | Qwen2.5-Coder | `<|repo_name|>{repo}\n<|file_sep|>{path}\n{code}\n…<|file_sep|>{path}\n<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>` (repo-level form; plain form without context) |
//! | DeepSeek-Coder | `<｜fim▁begin｜>{context}{prefix}<｜fim▁hole｜>{suffix}<｜fim▁end｜>` (full-width bars, U+2581) |
//! | CodeLlama | `<PRE> {context}{prefix} <SUF>{suffix} <MID>` |
//! | Codestral | `[SUFFIX]{suffix}[PREFIX]{context}{prefix}` (suffix first; the server adds BOS) |
//!
//! Families without a file separator get their context as commented-out blocks at the top of the
//! prefix (see [`super::fence`]).

use serde::Serialize;
use syntax::Language;

use super::fence;

/// A model family with a known FIM format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelFamily {
    StarCoder,
    StarCoder2,
    QwenCoder,
    DeepSeekCoder,
    CodeLlama,
    Codestral,
    /// No fill-in-the-middle: the context and the prefix, continued as plain text. For models
    /// trained without FIM tokens (small chat models like SmolLM2, which answer a FIM template
    /// with its own control tokens); the suffix still trims the suggestion afterwards.
    Plain,
}

/// One context block as rendered into the prompt.
#[derive(Debug, Clone)]
pub(crate) struct ContextFile<'a> {
    pub path: &'a str,
    pub start_line: usize,
    pub end_line: usize,
    pub text: &'a str,
}

/// Everything a FIM template places.
#[derive(Debug, Clone)]
pub(crate) struct Layout<'a> {
    pub repo_name: &'a str,
    pub path: &'a str,
    pub language: Option<Language>,
    /// `None`: the plain form. `Some(blocks)`: the repository form (even with no block).
    pub context: Option<&'a [ContextFile<'a>]>,
    pub prefix: &'a str,
    pub suffix: &'a str,
}

impl ModelFamily {
    /// `text` without this family's control strings (a file holding `<|fim_middle|>` must not
    /// steer the model).
    pub fn sanitize(self, text: &str) -> std::borrow::Cow<'_, str> {
        fence::sanitize(text, self.special_tokens())
    }

    pub const ALL: [ModelFamily; 7] = [
        ModelFamily::StarCoder,
        ModelFamily::StarCoder2,
        ModelFamily::QwenCoder,
        ModelFamily::DeepSeekCoder,
        ModelFamily::CodeLlama,
        ModelFamily::Codestral,
        ModelFamily::Plain,
    ];

    /// The stable name used on the command line and the wire.
    pub fn name(self) -> &'static str {
        match self {
            ModelFamily::StarCoder => "starcoder",
            ModelFamily::StarCoder2 => "starcoder2",
            ModelFamily::QwenCoder => "qwen2.5-coder",
            ModelFamily::DeepSeekCoder => "deepseek-coder",
            ModelFamily::CodeLlama => "codellama",
            ModelFamily::Codestral => "codestral",
            ModelFamily::Plain => "plain",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        ModelFamily::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The family's control strings: removed from untrusted text, and the stop sequences.
    pub fn special_tokens(self) -> &'static [&'static str] {
        match self {
            ModelFamily::StarCoder | ModelFamily::StarCoder2 => &[
                "<fim_prefix>",
                "<fim_suffix>",
                "<fim_middle>",
                "<fim_pad>",
                "<file_sep>",
                "<repo_name>",
                "<filename>",
                "<reponame>",
                "<gh_stars>",
                "<|endoftext|>",
            ],
            ModelFamily::QwenCoder => &[
                "<|fim_prefix|>",
                "<|fim_suffix|>",
                "<|fim_middle|>",
                "<|fim_pad|>",
                "<|repo_name|>",
                "<|file_sep|>",
                "<|endoftext|>",
                "<|im_start|>",
                "<|im_end|>",
            ],
            ModelFamily::DeepSeekCoder => &[
                "<｜fim▁begin｜>",
                "<｜fim▁hole｜>",
                "<｜fim▁end｜>",
                "<｜end▁of▁sentence｜>",
                "<｜begin▁of▁sentence｜>",
            ],
            ModelFamily::CodeLlama => &["<PRE>", "<SUF>", "<MID>", "<EOT>"],
            ModelFamily::Codestral => &["[PREFIX]", "[SUFFIX]", "[MIDDLE]"],
            // The end-of-text and chat turn markers most small models share: no file text may
            // open a chat turn, and the model stops at them.
            ModelFamily::Plain => &["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        }
    }

    /// Whether the family has a native file separator (the repository form).
    pub fn has_file_separator(self) -> bool {
        matches!(self, ModelFamily::StarCoder2 | ModelFamily::QwenCoder)
    }

    /// One context block as it appears in this family's prompt.
    pub(crate) fn context_block(self, language: Option<Language>, file: &ContextFile) -> String {
        match self {
            ModelFamily::StarCoder2 => format!("<file_sep>{}\n{}", file.path, file.text),
            ModelFamily::QwenCoder => {
                let newline = if file.text.ends_with('\n') { "" } else { "\n" };
                format!("<|file_sep|>{}\n{}{newline}", file.path, file.text)
            }
            _ => fence::comment_block(
                language,
                file.path,
                file.start_line,
                file.end_line,
                file.text,
            ),
        }
    }

    pub(crate) fn render(self, layout: &Layout) -> String {
        let context: String = layout
            .context
            .unwrap_or(&[])
            .iter()
            .map(|file| self.context_block(layout.language, file))
            .collect();
        let (prefix, suffix, path) = (layout.prefix, layout.suffix, layout.path);
        match self {
            ModelFamily::StarCoder => {
                format!("<fim_prefix>{context}{prefix}<fim_suffix>{suffix}<fim_middle>")
            }
            ModelFamily::StarCoder2 => match layout.context {
                None => format!("<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>"),
                Some(_) => format!(
                    "<repo_name>{}{context}<file_sep><fim_prefix>{path}\n{prefix}<fim_suffix>{suffix}<fim_middle>",
                    layout.repo_name
                ),
            },
            ModelFamily::QwenCoder => match layout.context {
                None => format!("<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>"),
                Some(_) => format!(
                    "<|repo_name|>{}\n{context}<|file_sep|>{path}\n<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>",
                    layout.repo_name
                ),
            },
            ModelFamily::DeepSeekCoder => {
                format!("<｜fim▁begin｜>{context}{prefix}<｜fim▁hole｜>{suffix}<｜fim▁end｜>")
            }
            ModelFamily::CodeLlama => format!("<PRE> {context}{prefix} <SUF>{suffix} <MID>"),
            ModelFamily::Codestral => format!("[SUFFIX]{suffix}[PREFIX]{context}{prefix}"),
            ModelFamily::Plain => format!("{context}{prefix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::ModelFamily;

    #[test]
    fn sanitize_removes_control_tokens_even_when_nested() {
        let qwen = ModelFamily::QwenCoder;
        assert_eq!(qwen.sanitize("a<|fim_<|fim_middle|>middle|>b"), "ab");
        assert_eq!(ModelFamily::DeepSeekCoder.sanitize("<｜fim▁hole｜>x"), "x");
        assert_eq!(qwen.sanitize("a[SUFFIX]"), "a[SUFFIX]");
        assert_eq!(ModelFamily::Codestral.sanitize("a[SUFFIX]"), "a");
        assert!(matches!(qwen.sanitize("plain"), Cow::Borrowed("plain")));
    }
}
