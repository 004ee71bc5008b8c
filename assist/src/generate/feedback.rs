//! What a round's code was found to get wrong, and the message that tells the model.
//!
//! Four sources feed a round's verdict: the sandbox's test results (passed to us as data, since
//! running code is the tab's IO), syntax diagnostics and security findings computed here from the
//! code with `analysis`, and diagnostics the host's own checkers reported (Monaco's TypeScript
//! worker, Pyright), passed in. The message lists them under headings with their lines, each error
//! cut to a few lines so that one runaway stack trace cannot eat the next prompt's budget.

use serde::{Deserialize, Serialize};
use syntax::Language;

/// One test's result, as the browser sandbox reports it (`runTests`' `tests[i]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TestResult {
    pub name: String,
    pub passed: bool,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub stdout: String,
    #[serde(default)]
    pub stderr: String,
    #[serde(default)]
    pub ms: f64,
}

/// A whole sandbox run (`runTests`' result): the tests, and what stopped the run if something
/// did (a syntax error before any test ran, the time limit, the output cap).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    #[serde(default)]
    pub tests: Vec<TestResult>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub timed_out: bool,
    #[serde(default)]
    pub truncated: bool,
}

/// A diagnostic from the host's own checker (a type error, an unresolved name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostDiagnostic {
    pub message: String,
    /// 1-based.
    pub line: usize,
    #[serde(default = "one")]
    pub column: usize,
    /// `error`, `warning`, ...; only errors count against a round.
    #[serde(default = "error")]
    pub severity: String,
    /// Who reported it (`ts`, `pyright`).
    #[serde(default)]
    pub source: Option<String>,
}

fn one() -> usize {
    1
}

fn error() -> String {
    "error".to_owned()
}

/// What `analysis` says about a piece of code: syntax errors and security findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CodeFindings {
    pub syntax: Vec<Note>,
    pub security: Vec<Note>,
}

/// One syntax diagnostic or security finding, owned (a round record outlives the rule table's
/// borrow) and serializable for the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The security rule's id, CWE, severity and fix hint; empty for syntax diagnostics.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub rule: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cwe: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub severity: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fix: String,
}

impl CodeFindings {
    /// Nothing to hold against the code.
    pub fn is_clean(&self) -> bool {
        self.syntax.is_empty() && self.security.is_empty()
    }
}

/// Syntax diagnostics and security findings of `code` in `language`.
pub fn check_code(language: Language, code: &str) -> CodeFindings {
    let syntax = analysis::diagnostics::diagnose(language, code)
        .into_iter()
        .map(|d| Note {
            line: d.line,
            column: d.column,
            message: d.message,
            rule: String::new(),
            cwe: String::new(),
            severity: String::new(),
            fix: String::new(),
        })
        .collect();
    let security = analysis::rules::check(language, code)
        .into_iter()
        .map(|f| Note {
            line: f.line,
            column: f.column,
            message: f.message,
            rule: f.rule_id.to_owned(),
            cwe: f.cwe.to_owned(),
            severity: f.severity.name().to_owned(),
            fix: f.fix.to_owned(),
        })
        .collect();
    CodeFindings { syntax, security }
}

/// Everything known about one round's code.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict<'a> {
    pub run: &'a RunReport,
    pub implementation: CodeFindings,
    pub tests: CodeFindings,
    pub host: &'a [HostDiagnostic],
    /// What parsing the answer had to guess ([`super::blocks::Generated::notes`]).
    pub notes: &'a [String],
    /// The least number of tests the answer must have.
    pub min_tests: usize,
}

impl Verdict<'_> {
    pub fn failing(&self) -> impl Iterator<Item = &TestResult> {
        self.run.tests.iter().filter(|t| !t.passed)
    }

    /// The round is good: enough tests, all passing, nothing stopped the run, no syntax error,
    /// no security finding and no host error.
    pub fn accepted(&self) -> bool {
        self.run.error.is_none()
            && !self.run.timed_out
            && self.run.tests.len() >= self.min_tests
            && self.failing().next().is_none()
            && self.implementation.is_clean()
            && self.tests.syntax.is_empty()
            && !self.host.iter().any(|d| d.severity == "error")
    }
}

/// At most this many failing tests are listed; the rest are counted.
const MAX_LISTED: usize = 8;
/// Each error, stdout or stderr shown is cut to this many lines and characters.
const MAX_LINES: usize = 6;
const MAX_CHARS: usize = 500;

/// `text` cut to [`MAX_LINES`] lines and [`MAX_CHARS`] characters, with a mark when it was cut.
fn excerpt(text: &str) -> String {
    let text = text.trim_end();
    let mut out: String = text.lines().take(MAX_LINES).collect::<Vec<_>>().join("\n");
    if out.chars().count() > MAX_CHARS {
        out = out.chars().take(MAX_CHARS).collect();
    }
    if out.len() < text.len() {
        out.push_str(" …(cut)");
    }
    out
}

/// Indents every line after the first so a multi-line error stays under its bullet.
fn indented(text: &str) -> String {
    text.replace('\n', "\n    ")
}

/// The refinement message: what went wrong with the last answer and what to send back.
pub fn feedback_message(language: Language, verdict: &Verdict<'_>) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("Your previous answer did not pass validation.\n");
    let run = verdict.run;
    if run.timed_out {
        out.push_str("\nThe test run was stopped at the time limit: look for an endless loop or very slow code.\n");
    }
    if let Some(error) = &run.error {
        let _ = write!(
            out,
            "\nThe run failed before or between tests:\n    {}\n",
            indented(&excerpt(error))
        );
    }
    if run.truncated {
        out.push_str(
            "\nThe output passed the sandbox's cap and was cut: do not print that much.\n",
        );
    }
    let failing: Vec<&TestResult> = verdict.failing().collect();
    if !failing.is_empty() {
        let _ = writeln!(
            out,
            "\nFailing tests ({} of {}):",
            failing.len(),
            run.tests.len()
        );
        for test in failing.iter().take(MAX_LISTED) {
            let error = test.error.as_deref().unwrap_or("failed");
            let _ = writeln!(out, "- `{}`: {}", test.name, indented(&excerpt(error)));
            if !test.stdout.trim().is_empty() {
                let _ = writeln!(out, "  stdout: {}", indented(&excerpt(&test.stdout)));
            }
            if !test.stderr.trim().is_empty() {
                let _ = writeln!(out, "  stderr: {}", indented(&excerpt(&test.stderr)));
            }
        }
        if failing.len() > MAX_LISTED {
            let _ = writeln!(out, "- and {} more", failing.len() - MAX_LISTED);
        }
    }
    if run.error.is_none() && !run.timed_out && run.tests.len() < verdict.min_tests {
        let _ = writeln!(
            out,
            "\nOnly {} test(s) ran; write at least {}.",
            run.tests.len(),
            verdict.min_tests
        );
    }
    for (what, findings) in [
        ("implementation", &verdict.implementation),
        ("tests", &verdict.tests),
    ] {
        if !findings.syntax.is_empty() {
            let _ = writeln!(out, "\nSyntax errors in the {what}:");
            for n in findings.syntax.iter().take(MAX_LISTED) {
                let _ = writeln!(out, "- line {}:{}: {}", n.line, n.column, n.message);
            }
        }
    }
    if !verdict.implementation.security.is_empty() {
        out.push_str(
            "\nSecurity findings in the implementation (rewrite the code so they go away):\n",
        );
        for n in verdict.implementation.security.iter().take(MAX_LISTED) {
            let _ = writeln!(
                out,
                "- line {} [{}, {}, {}]: {}. Fix: {}",
                n.line,
                n.rule,
                n.cwe,
                n.severity,
                n.message.trim_end_matches('.'),
                n.fix
            );
        }
    }
    let host_errors: Vec<&HostDiagnostic> = verdict
        .host
        .iter()
        .filter(|d| d.severity == "error")
        .collect();
    if !host_errors.is_empty() {
        out.push_str("\nType checker errors:\n");
        for d in host_errors.iter().take(MAX_LISTED) {
            let source = d
                .source
                .as_deref()
                .map(|s| format!(" [{s}]"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- line {}:{}{}: {}",
                d.line,
                d.column,
                source,
                excerpt(&d.message)
            );
        }
    }
    if !verdict.notes.is_empty() {
        out.push_str("\nAbout the shape of your answer:\n");
        for note in verdict.notes {
            let _ = writeln!(out, "- {note}");
        }
    }
    let tag = super::request::fence_tag(language);
    let _ = write!(
        out,
        "\nFix the implementation (or a test, if the test itself is wrong) and answer again with \
         both blocks: the implementation fenced as ```{tag} and the tests fenced as ```{tag} tests."
    );
    out
}
