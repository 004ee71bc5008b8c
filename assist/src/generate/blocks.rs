//! Code blocks in a model's answer, and which of them is the implementation and which the tests.
//!
//! Models wrap code in Markdown fences, but not reliably: the language tag may be missing or
//! unusual (`py`, `python3`, `ts title="add.test.ts"`), prose sits between blocks, the answer may be
//! cut before the closing fence (a length limit, an early stop), a fence may be indented inside a
//! list, and small models sometimes put the implementation and the tests in one block. Parsing
//! never fails: whatever the answer holds becomes blocks, and [`split_answer`] says in `notes`
//! what it had to guess.

use syntax::Language;

/// One fenced (or, when the answer has no fence at all, unfenced) block of code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    /// The fence's info string as written, trimmed (`python`, `ts title="x.test.ts"`, or empty).
    pub info: String,
    /// The code, without the fences and without the fence's indentation.
    pub code: String,
    /// False when the answer ended before the closing fence.
    pub closed: bool,
    /// False when the answer had no fence and the whole text was taken as code.
    pub fenced: bool,
    /// 1-based line of the opening fence in the answer.
    pub line: usize,
    /// The last non-empty prose line before the block ("And the tests:"), trimmed.
    pub intro: String,
}

impl CodeBlock {
    /// The info string's first word in lower case: the language tag, if any.
    pub fn tag(&self) -> String {
        self.info
            .split(|c: char| c.is_whitespace() || c == '{' || c == ',')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    }
}

/// An opening fence: its character, its length and its indentation.
struct Fence {
    ch: char,
    len: usize,
    indent: usize,
}

/// The fence a line opens, if it is one: up to any indentation, then three or more backticks or
/// tildes. A backtick fence's info string may not contain a backtick (CommonMark), which keeps
/// inline code such as ```` ```x``` ```` from opening a block.
fn opening_fence(line: &str) -> Option<(Fence, &str)> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let ch = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = trimmed.chars().take_while(|c| *c == ch).count();
    if len < 3 {
        return None;
    }
    let info = trimmed[len..].trim();
    if ch == '`' && info.contains('`') {
        return None;
    }
    Some((Fence { ch, len, indent }, info))
}

/// True when `line` closes `fence`: the same character, at least as many, nothing after.
fn closes(fence: &Fence, line: &str) -> bool {
    let trimmed = line.trim();
    let len = trimmed.chars().take_while(|c| *c == fence.ch).count();
    len >= fence.len && trimmed.len() == len * fence.ch.len_utf8()
}

/// Removes up to `indent` leading spaces or tabs (a fence indented inside a list item indents
/// its content the same way).
fn dedent(line: &str, indent: usize) -> &str {
    let strip = line
        .bytes()
        .take(indent)
        .take_while(|b| *b == b' ' || *b == b'\t')
        .count();
    &line[strip..]
}

/// Every code block of `answer`, in order. An answer without any fence is one unfenced block
/// holding the whole text (a model that answered with bare code), or nothing when it is blank.
pub fn code_blocks(answer: &str) -> Vec<CodeBlock> {
    let mut blocks = Vec::new();
    let mut lines = answer.lines().enumerate();
    let mut last_prose = "";
    while let Some((index, line)) = lines.next() {
        let Some((fence, info)) = opening_fence(line) else {
            if !line.trim().is_empty() {
                last_prose = line.trim();
            }
            continue;
        };
        let mut code = String::new();
        let mut closed = false;
        for (_, inner) in lines.by_ref() {
            if closes(&fence, inner) {
                closed = true;
                break;
            }
            code.push_str(dedent(inner, fence.indent));
            code.push('\n');
        }
        blocks.push(CodeBlock {
            info: info.to_owned(),
            code,
            closed,
            fenced: true,
            line: index + 1,
            intro: last_prose.to_owned(),
        });
        last_prose = "";
    }
    if blocks.is_empty() && !answer.trim().is_empty() {
        blocks.push(CodeBlock {
            info: String::new(),
            code: format!("{}\n", answer.trim_matches('\n')),
            closed: true,
            fenced: false,
            line: 1,
            intro: String::new(),
        });
    }
    blocks
}

/// The tags a block for `language` may carry (an empty tag is accepted for every language).
fn tags_of(language: Language) -> &'static [&'static str] {
    match language {
        Language::Python => &["python", "py", "python3", "py3"],
        Language::JavaScript => &["javascript", "js", "jsx", "mjs", "cjs", "node"],
        // TypeScript answers often tag their tests `js` and the reverse: both run the same way.
        Language::TypeScript | Language::Tsx => {
            &["typescript", "ts", "tsx", "javascript", "js", "mjs"]
        }
        _ => &[],
    }
}

/// True when a block tagged `tag` can hold `language` code (untagged blocks always can; a shell
/// session, JSON or an expected-output block cannot).
pub fn tag_fits(language: Language, tag: &str) -> bool {
    tag.is_empty() || tags_of(language).contains(&tag) || tag == language.name()
}

/// Lines that start a test at the top level, per language: what makes a block "the tests".
fn starts_test(language: Language, line: &str) -> bool {
    if line.starts_with([' ', '\t']) {
        return false;
    }
    match language {
        Language::Python => {
            line.starts_with("class Test")
                || line.starts_with("def test_")
                || line.starts_with("def test(")
                || (line.starts_with("class ") && line.contains("TestCase"))
        }
        _ => ["test(", "it(", "describe(", "test.", "Deno.test("]
            .iter()
            .any(|p| line.starts_with(p)),
    }
}

/// A top-level assertion line (plain `assert` tests without a harness).
fn is_assert(language: Language, line: &str) -> bool {
    match language {
        Language::Python => line.starts_with("assert ") || line.starts_with("assert("),
        _ => line.starts_with("assert(") || line.starts_with("assert."),
    }
}

/// How strongly a block looks like tests: its label or intro says so, or its code has
/// top-level tests, or it is mostly top-level assertions.
fn looks_like_tests(language: Language, block: &CodeBlock) -> bool {
    let labelled = block.info.to_ascii_lowercase().contains("test")
        || block.intro.to_ascii_lowercase().contains("test");
    let lines: Vec<&str> = block
        .code
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let tests = lines.iter().any(|l| starts_test(language, l));
    let asserts = lines.iter().filter(|l| is_assert(language, l)).count();
    let defines = lines.iter().any(|l| defines_code(language, l));
    tests || (labelled && !defines) || (labelled && asserts > 0) || (asserts > 0 && !defines)
}

/// A top-level definition that is not a test: what makes a block "the implementation".
fn defines_code(language: Language, line: &str) -> bool {
    if line.starts_with([' ', '\t']) || starts_test(language, line) {
        return false;
    }
    match language {
        Language::Python => ["def ", "async def ", "class "]
            .iter()
            .any(|p| line.starts_with(p)),
        _ => [
            "function ",
            "async function ",
            "export ",
            "class ",
            "const ",
            "let ",
            "var ",
            "interface ",
            "type ",
        ]
        .iter()
        .any(|p| line.starts_with(p)),
    }
}

/// Where the tests begin inside one block that holds both: the first top-level test, moved back
/// over the comments, blank lines and test-library imports just above it. `None` when the block
/// has no test, or when nothing would be left for the implementation.
fn test_boundary(language: Language, code: &str) -> Option<usize> {
    let lines: Vec<&str> = code.split_inclusive('\n').collect();
    let first = lines
        .iter()
        .position(|l| starts_test(language, l) || is_assert(language, l))?;
    let mut start = first;
    while start > 0 {
        let above = lines[start - 1].trim();
        let test_import = above.contains("unittest")
            || above.contains("assert")
            || above.contains("node:test")
            || above.contains("pytest");
        if above.is_empty() || above.starts_with('#') || above.starts_with("//") || test_import {
            start -= 1;
        } else {
            break;
        }
    }
    let offset: usize = lines[..start].iter().map(|l| l.len()).sum();
    (!code[..offset].trim().is_empty()).then_some(offset)
}

/// The implementation and the tests an answer holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Generated {
    pub implementation: String,
    pub tests: String,
    /// What parsing had to guess, in words a person (and the model, in the next round) can read.
    pub notes: Vec<String>,
}

/// Splits a model's answer for `language` into the implementation and the tests.
///
/// Blocks of another language (a shell session, expected output) are ignored. Blocks that look
/// like tests (labelled so, with top-level tests, or only assertions) are the tests; the others,
/// joined in order, are the implementation. One block holding both is cut where its first
/// top-level test begins.
pub fn split_answer(language: Language, answer: &str) -> Generated {
    let mut out = Generated::default();
    let blocks: Vec<CodeBlock> = code_blocks(answer)
        .into_iter()
        .filter(|b| tag_fits(language, &b.tag()))
        .collect();
    if blocks.is_empty() {
        out.notes
            .push(format!("the answer has no {} code block", language.name()));
        return out;
    }
    if blocks.iter().any(|b| !b.closed) {
        out.notes
            .push("the answer ended inside a code block (no closing fence)".to_owned());
    }
    if blocks.iter().any(|b| !b.fenced) {
        // Bare code is taken as code only when it parses: prose ("I cannot do that") is not.
        if !analysis::diagnostics::diagnose(language, &blocks[0].code).is_empty() {
            out.notes.push(format!(
                "the answer has no {} code block (and its text does not parse as code)",
                language.name()
            ));
            return out;
        }
        out.notes
            .push("the answer has no fenced code block; all of it was taken as code".to_owned());
    }
    let (tests, implementation): (Vec<&CodeBlock>, Vec<&CodeBlock>) =
        blocks.iter().partition(|b| looks_like_tests(language, b));
    if implementation.is_empty() {
        // Everything looks like tests: the first block may hold the implementation too.
        let first = tests[0];
        match test_boundary(language, &first.code) {
            Some(cut) => {
                out.implementation = first.code[..cut].to_owned();
                out.tests = join(
                    std::iter::once(&first.code[cut..])
                        .chain(tests[1..].iter().map(|b| b.code.as_str())),
                );
                out.notes.push(
                    "the implementation and the tests came in one block; split where the tests begin"
                        .to_owned(),
                );
            }
            None => {
                out.tests = join(tests.iter().map(|b| b.code.as_str()));
                out.notes
                    .push("the answer has tests but no implementation".to_owned());
            }
        }
        return out;
    }
    out.implementation = join(implementation.iter().map(|b| b.code.as_str()));
    out.tests = join(tests.iter().map(|b| b.code.as_str()));
    if tests.is_empty() {
        // One block with both: cut it where its tests begin.
        if let Some(cut) = test_boundary(language, &out.implementation) {
            out.tests = out.implementation[cut..].to_owned();
            out.implementation.truncate(cut);
            out.notes.push(
                "the implementation and the tests came in one block; split where the tests begin"
                    .to_owned(),
            );
        } else {
            out.notes.push("the answer has no tests".to_owned());
        }
    }
    out
}

/// Blocks joined with one blank line between them.
fn join<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for part in parts {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(part);
    }
    out
}
