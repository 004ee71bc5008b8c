//! Early stop while streaming: fed the model's text chunk by chunk (split anywhere, even inside
//! a character's line), it decides line by line, so the same text gives the same result however
//! it was chunked.

use super::{CursorContext, LineMode, opens_block};

/// Why a stream was cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Single-line mode reached the end of its line.
    EndOfLine,
    /// A line equal to the suffix's next line: the model is rewriting what follows.
    ReachedSuffix,
    /// A line indented less than the cursor's block: the block is finished.
    EndOfBlock,
    /// The model started repeating itself (a line or a block of up to four lines).
    RepeatedLines,
}

/// The incremental stopper.
#[derive(Debug, Clone)]
pub struct StreamStop {
    mode: LineMode,
    /// Lines after the first indented less than this are outside the cursor's block.
    base_indent: usize,
    /// The cursor line's text before the cursor (the first streamed line continues it).
    line_before: String,
    /// The suffix's next non-blank line, indentation kept (a `}` closing an inner block is not
    /// the `}` closing the function).
    next_suffix_line: Option<String>,
    accepted: String,
    /// Start of each complete line in `accepted`, with its trimmed text (the first line
    /// includes the cursor line's text before the cursor).
    lines: Vec<(usize, String)>,
    pending_start: usize,
    stopped: Option<StopReason>,
}

/// Indentation width (a tab counts four).
fn indent(line: &str) -> usize {
    line.chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum()
}

fn is_closer_line(trimmed: &str) -> bool {
    trimmed
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '}' | ')' | ']'))
}

/// What to do with a complete line.
enum Decision {
    Keep,
    /// Cut before this line (or before the start of a repeated block).
    CutAt(usize, StopReason),
    /// Keep this line, then stop.
    KeepThenStop(StopReason),
}

impl StreamStop {
    pub fn new(context: &CursorContext, mode: LineMode) -> Self {
        let before = context.line_before();
        let base_indent = if before.trim().is_empty() {
            indent(before)
        } else {
            indent(before) + usize::from(opens_block(before, context.language))
        };
        StreamStop {
            mode,
            base_indent,
            line_before: before.to_string(),
            next_suffix_line: context
                .following_lines()
                .map(str::trim_end)
                .find(|l| !l.trim().is_empty())
                .map(str::to_string),
            accepted: String::new(),
            lines: Vec::new(),
            pending_start: 0,
            stopped: None,
        }
    }

    /// Feeds a chunk; returns why to stop once the stream should end (then the host aborts the
    /// request and ignores further chunks).
    pub fn push(&mut self, chunk: &str) -> Option<StopReason> {
        if self.stopped.is_some() {
            return self.stopped;
        }
        self.accepted.push_str(chunk);
        while let Some(offset) = self.accepted[self.pending_start..].find('\n') {
            let end = self.pending_start + offset;
            if self.settle(end) {
                return self.stopped;
            }
            self.pending_start = end + 1;
        }
        None
    }

    /// The text accepted so far (what can be shown while streaming).
    pub fn text(&self) -> &str {
        &self.accepted
    }

    pub fn stopped(&self) -> Option<StopReason> {
        self.stopped
    }

    /// Ends the stream: the last, unterminated line is judged too.
    pub fn finish(mut self) -> (String, Option<StopReason>) {
        if self.stopped.is_none() && self.pending_start < self.accepted.len() {
            let end = self.accepted.len();
            self.settle(end);
        }
        (self.accepted, self.stopped)
    }

    /// Judges the line `pending_start..end`; true when the stream stopped.
    fn settle(&mut self, end: usize) -> bool {
        let start = self.pending_start;
        let index = self.lines.len();
        let raw = &self.accepted[start..end];
        if self.mode == LineMode::Single {
            self.accepted.truncate(end);
            self.stopped = Some(StopReason::EndOfLine);
            return true;
        }
        let full = if index == 0 {
            format!("{}{raw}", self.line_before)
        } else {
            raw.to_string()
        };
        let trimmed = full.trim().to_string();
        match self.decide(index, &full, &trimmed) {
            Decision::Keep => {
                self.lines.push((start, trimmed));
                false
            }
            Decision::CutAt(at, reason) => {
                self.accepted.truncate(at);
                self.stopped = Some(reason);
                true
            }
            Decision::KeepThenStop(reason) => {
                self.accepted.truncate(end);
                self.stopped = Some(reason);
                true
            }
        }
    }

    fn decide(&self, index: usize, full: &str, trimmed: &str) -> Decision {
        let start = self.pending_start;
        if trimmed.is_empty() {
            return Decision::Keep;
        }
        if index > 0 {
            if self.next_suffix_line.as_deref() == Some(full.trim_end()) {
                return Decision::CutAt(start, StopReason::ReachedSuffix);
            }
            if indent(full) < self.base_indent {
                // A closing bracket the suffix does not already have completes the block.
                let suffix_closes = self
                    .next_suffix_line
                    .as_deref()
                    .is_some_and(|l| is_closer_line(l.trim()));
                if is_closer_line(trimmed) && !suffix_closes {
                    return Decision::KeepThenStop(StopReason::EndOfBlock);
                }
                return Decision::CutAt(start, StopReason::EndOfBlock);
            }
        }
        let meaningful = trimmed.chars().any(char::is_alphanumeric);
        if meaningful && self.lines.last().is_some_and(|(_, l)| l == trimmed) {
            return Decision::CutAt(start, StopReason::RepeatedLines);
        }
        // A block of k lines (this one last) equal to the k lines before it.
        let n = self.lines.len();
        for k in 2..=4 {
            if n + 1 < 2 * k {
                break;
            }
            let second = &self.lines[n + 1 - k..];
            let first = &self.lines[n + 1 - 2 * k..n + 1 - k];
            let same = first
                .iter()
                .map(|(_, l)| l.as_str())
                .eq(second.iter().map(|(_, l)| l.as_str()).chain([trimmed]));
            let block_has_code = first
                .iter()
                .any(|(_, l)| l.chars().any(char::is_alphanumeric));
            if same && block_has_code {
                let cut = second.first().map_or(start, |(s, _)| *s);
                return Decision::CutAt(cut, StopReason::RepeatedLines);
            }
        }
        Decision::Keep
    }
}
