//! A cursor given on the command line (`--at LINE:COL`, both 1-based, COL counting characters as
//! an editor's status bar does) and the file on disk it points into, checked before anything is
//! built: a missing, binary or non-UTF-8 file, an unknown language or a cursor outside the file is
//! a one-line error, never a panic or a prompt built on the wrong text.

use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result, bail};
use syntax::Language;

/// `LINE:COL`, both 1-based; COL counts characters (Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

impl FromStr for LineCol {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (line, col) = text
            .split_once(':')
            .ok_or_else(|| format!("expected LINE:COL (1-based), got {text:?}"))?;
        let number = |what: &str, value: &str| -> Result<usize, String> {
            match value.trim().parse::<usize>() {
                Ok(0) => Err(format!("{what} is 1-based, got 0")),
                Ok(n) => Ok(n),
                Err(_) => Err(format!("{what} must be a positive number, got {value:?}")),
            }
        };
        Ok(LineCol {
            line: number("LINE", line)?,
            col: number("COL", col)?,
        })
    }
}

/// The file under the cursor, read from disk and checked.
#[derive(Debug)]
pub struct CursorFile {
    pub text: String,
    pub language: Language,
    /// UTF-8 byte offset of the cursor in `text`.
    pub offset: usize,
}

/// Reads `path` and places `at` in it.
pub fn open(path: &Path, at: LineCol) -> Result<CursorFile> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.contains(&0) {
        bail!("{}: a binary file (it contains NUL bytes)", path.display());
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        anyhow::anyhow!(
            "{}: not UTF-8 (invalid byte at offset {})",
            path.display(),
            error.utf8_error().valid_up_to()
        )
    })?;
    let language = Language::detect(&path.to_string_lossy(), &text).with_context(|| {
        format!(
            "{}: unknown language (supported: {})",
            path.display(),
            supported()
        )
    })?;
    let offset = offset_of(&text, at)
        .with_context(|| format!("{}: cursor {}:{}", path.display(), at.line, at.col))?;
    Ok(CursorFile {
        text,
        language,
        offset,
    })
}

/// The byte offset of `at` in `text`: COL may be one past the line's last character (the end of
/// the line), never beyond it, and LINE may be one past a final newline (an empty last line).
pub fn offset_of(text: &str, at: LineCol) -> Result<usize> {
    let mut line_start = 0;
    for _ in 1..at.line {
        match text[line_start..].find('\n') {
            Some(newline) => line_start += newline + 1,
            None => bail!(
                "is outside the file: it has {} lines",
                text.lines().count().max(1)
            ),
        }
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |newline| line_start + newline);
    let line = text[line_start..line_end].trim_end_matches('\r');
    let chars = line.chars().count();
    if at.col > chars + 1 {
        bail!(
            "is outside the line: line {} has {chars} characters",
            at.line
        );
    }
    let within = line
        .char_indices()
        .nth(at.col - 1)
        .map_or(line.len(), |(byte, _)| byte);
    Ok(line_start + within)
}

fn supported() -> String {
    Language::ALL
        .iter()
        .map(|language| language.name())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, col: usize) -> LineCol {
        LineCol { line, col }
    }

    #[test]
    fn line_col_parses_and_rejects_what_an_editor_would_not_show() {
        assert_eq!("3:7".parse::<LineCol>(), Ok(at(3, 7)));
        assert!("0:1".parse::<LineCol>().unwrap_err().contains("1-based"));
        assert!("3".parse::<LineCol>().unwrap_err().contains("LINE:COL"));
        assert!("a:1".parse::<LineCol>().unwrap_err().contains("LINE"));
        assert!("1:-2".parse::<LineCol>().unwrap_err().contains("COL"));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "héllo\n→ x = 1\r\nend";
        assert_eq!(offset_of(text, at(1, 1)).unwrap(), 0);
        assert_eq!(offset_of(text, at(1, 3)).unwrap(), "hé".len());
        assert_eq!(offset_of(text, at(1, 6)).unwrap(), "héllo".len());
        assert_eq!(
            offset_of(text, at(2, 3)).unwrap(),
            "héllo\n".len() + "→ ".len()
        );
        // The end of a CRLF line is before its `\r`.
        assert_eq!(offset_of(text, at(2, 8)).unwrap(), "héllo\n→ x = 1".len());
        assert_eq!(offset_of(text, at(3, 4)).unwrap(), text.len());
    }

    #[test]
    fn a_cursor_outside_the_file_is_an_error_that_says_where_it_is() {
        let text = "one\ntwo\n";
        assert!(
            offset_of(text, at(2, 5))
                .unwrap_err()
                .to_string()
                .contains("line 2 has 3 characters")
        );
        assert!(
            offset_of(text, at(9, 1))
                .unwrap_err()
                .to_string()
                .contains("outside the file")
        );
        // The empty line after the final newline is a place a cursor can be.
        assert_eq!(offset_of(text, at(3, 1)).unwrap(), text.len());
    }
}
