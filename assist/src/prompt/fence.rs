//! Labelling and fencing of repository text. Files in a repository are written by anyone (a
//! dependency, a pull request, a downloaded sample), so their text is data, never instructions:
//! a file saying "ignore previous instructions" or containing the model's own control tokens
//! (`<|fim_middle|>`, `<|im_start|>`) must not be able to steer the model or break the prompt's
//! structure. Three defences, used by every template:
//! - control tokens of every supported family are removed from untrusted text ([`sanitize`]),
//!   so a file can never open or close a section of the prompt;
//! - in FIM prompts of families without a file separator, snippets are commented out line by
//!   line with the current file's comment syntax ([`comment_block`]), so they can only ever be
//!   read as comments, under a header naming their path and lines;
//! - in chat prompts each snippet sits in a Markdown fence longer than any backtick run inside
//!   it ([`markdown_block`]), under a numbered label the answer can cite, and the system
//!   message says that fenced file content is untrusted data.

use std::borrow::Cow;

use syntax::Language;

/// The control strings of the chat format (ChatML, which the chat template renders).
pub const CHAT_CONTROL: &[&str] = &["<|im_start|>", "<|im_end|>", "<|endoftext|>"];

/// `text` without any of `controls` (removed until none is left, so that removing one cannot
/// join two halves into another). Only the target family's strings are removed: `[PREFIX]` is a
/// control token for Codestral but ordinary C for everyone else.
pub fn sanitize<'a>(text: &'a str, controls: &[&str]) -> Cow<'a, str> {
    if !controls.iter().any(|token| text.contains(token)) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    while let Some(token) = controls.iter().find(|token| out.contains(*token)) {
        out = out.replace(token, "");
    }
    Cow::Owned(out)
}

/// The line-comment marker of `language` (`//` when unknown: most languages read it).
pub fn line_comment(language: Option<Language>) -> &'static str {
    match language {
        Some(Language::Python) => "#",
        _ => "//",
    }
}

/// A snippet commented out line by line under a header naming its path and lines.
pub fn comment_block(
    language: Option<Language>,
    path: &str,
    start_line: usize,
    end_line: usize,
    text: &str,
) -> String {
    let c = line_comment(language);
    let mut out = format!("{c} Path: {path} (lines {start_line}-{end_line})\n");
    for line in text.lines() {
        if line.is_empty() {
            out.push_str(c);
        } else {
            out.push_str(c);
            out.push(' ');
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// A snippet in a Markdown fence that its own text cannot close, under a label to cite.
pub fn markdown_block(
    number: usize,
    path: &str,
    start_line: usize,
    end_line: usize,
    why: &str,
    text: &str,
) -> String {
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest_run + 1).max(3));
    let info = Language::detect(path, "").map(Language::name).unwrap_or("");
    let mut out = format!("[{number}] {path}:{start_line}-{end_line}");
    if !why.is_empty() {
        out.push_str(" (");
        out.push_str(why);
        out.push(')');
    }
    out.push('\n');
    out.push_str(&fence);
    out.push_str(info);
    out.push('\n');
    out.push_str(text);
    if !text.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&fence);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_fence_outlasts_backticks_inside() {
        let block = markdown_block(1, "a.py", 1, 2, "", "x = '````'\n");
        assert!(block.contains("`````python\n"), "{block}");
    }
}
