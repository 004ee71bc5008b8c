//! The FIM builder: fits prefix, suffix and snippets into a budget and renders them with a
//! family's template.

use syntax::Language;

use super::template::{ContextFile, Layout, ModelFamily};
use super::{BuildError, Dropped, Part, PartKind, Prompt, Redactor, secret_path_drop};
use crate::snippet::Snippet;
use crate::tokens::TokenCounter;

/// The cursor and its context.
#[derive(Debug, Clone, Copy)]
pub struct FimRequest<'a> {
    /// The current file's path (relative to the repository).
    pub path: &'a str,
    pub language: Option<Language>,
    /// The file's text before the cursor.
    pub prefix: &'a str,
    /// The file's text after the cursor.
    pub suffix: &'a str,
    /// 1-based line of the cursor (the line `prefix`'s last line and `suffix`'s first line are
    /// on).
    pub cursor_line: usize,
    /// Candidates from context gathering, in any order.
    pub snippets: &'a [Snippet],
    /// The repository's name, for the repository-level forms (StarCoder2, Qwen2.5-Coder).
    pub repo_name: &'a str,
}

/// Budget and shares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FimConfig {
    pub family: ModelFamily,
    /// The most tokens the prompt may cost, template tokens included.
    pub budget: usize,
    /// Shares of the budget left after the template's own tokens that the prefix and the suffix
    /// get first; snippets get the rest, and what they leave unused goes back to the prefix,
    /// then the suffix.
    pub prefix_share: f64,
    pub suffix_share: f64,
}

impl Default for FimConfig {
    fn default() -> Self {
        FimConfig {
            family: ModelFamily::QwenCoder,
            budget: 2048,
            prefix_share: 0.4,
            suffix_share: 0.15,
        }
    }
}

/// The prefix split at line starts: `kept(j)` is the text from the `j`-th line start to the end.
struct PrefixLines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> PrefixLines<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        PrefixLines { text, starts }
    }
    /// Index of the cursor line's start (keeping only the cursor line's part).
    fn last(&self) -> usize {
        self.starts.len() - 1
    }
    fn kept(&self, from: Option<usize>) -> &'a str {
        from.map_or("", |j| &self.text[self.starts[j]..])
    }
    fn line(&self, j: usize) -> &'a str {
        let end = self.starts.get(j + 1).copied().unwrap_or(self.text.len());
        &self.text[self.starts[j]..end]
    }
}

/// The suffix split after line ends: `kept(j)` is the text up to the end of its `j`-th line.
struct SuffixLines<'a> {
    text: &'a str,
    ends: Vec<usize>,
}

impl<'a> SuffixLines<'a> {
    fn new(text: &'a str) -> Self {
        let mut ends: Vec<usize> = text
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        if ends.last() != Some(&text.len()) {
            ends.push(text.len());
        }
        SuffixLines { text, ends }
    }
    fn kept(&self, to: Option<usize>) -> &'a str {
        to.map_or("", |j| &self.text[..self.ends[j]])
    }
    fn line(&self, j: usize) -> &'a str {
        let start = if j == 0 { 0 } else { self.ends[j - 1] };
        &self.text[start..self.ends[j]]
    }
}

/// A snippet after redaction, ready to place.
struct Candidate<'s> {
    snippet: &'s Snippet,
    path: String,
    text: String,
    cost: usize,
}

/// Builds a FIM prompt that never costs more than `config.budget` under `counter`.
pub fn build_fim(
    request: &FimRequest,
    config: &FimConfig,
    counter: &dyn TokenCounter,
    redactor: &dyn Redactor,
) -> Result<Prompt, BuildError> {
    let family = config.family;
    let clean = |text: &str| family.sanitize(&redactor.redact(text)).into_owned();
    let prefix_text = clean(request.prefix);
    let suffix_text = clean(request.suffix);
    let path = clean(request.path);
    let repo_name = clean(request.repo_name);
    let language = request.language;
    let render = |context: Option<&[ContextFile]>, prefix: &str, suffix: &str| {
        family.render(&Layout {
            repo_name: &repo_name,
            path: &path,
            language,
            context,
            prefix,
            suffix,
        })
    };

    let overhead = counter.count(&render(None, "", ""));
    if overhead > config.budget {
        return Err(BuildError::BudgetTooSmall {
            budget: config.budget,
            needed: overhead,
        });
    }
    // The repository form's header (repo name, the current file's separator) is paid by the
    // first snippet placed in it.
    let repo_header = if family.has_file_separator() {
        counter
            .count(&render(Some(&[]), "", ""))
            .saturating_sub(overhead)
    } else {
        0
    };
    let avail = config.budget - overhead;

    let prefix = PrefixLines::new(&prefix_text);
    let suffix = SuffixLines::new(&suffix_text);
    // Lines are counted lazily, nearest the cursor first: a long file's far lines cost nothing.
    let mut prefix_costs = Costs::new(
        counter,
        (0..prefix.starts.len()).map(|j| prefix.line(j)).collect(),
    );
    let mut suffix_costs = Costs::new(
        counter,
        (0..suffix.ends.len()).map(|j| suffix.line(j)).collect(),
    );

    // 1. Prefix and suffix shares, nearest lines first.
    let share = |s: f64| ((avail as f64) * s.clamp(0.0, 1.0)).floor() as usize;
    let (mut prefix_from, mut prefix_cost) =
        grow_prefix(&mut prefix_costs, None, 0, share(config.prefix_share), 0);
    let cursor_line_cost = prefix_costs.get(prefix.last());
    if prefix_from.is_none() && cursor_line_cost <= avail {
        // The cursor line is the one piece of the prefix the model cannot do without.
        prefix_from = Some(prefix.last());
        prefix_cost = cursor_line_cost;
    }
    // The plain template has no place for the suffix: its share goes to the context.
    let suffix_cap = match family {
        ModelFamily::Plain => 0,
        _ => share(config.suffix_share).min(avail - prefix_cost),
    };
    let (mut suffix_to, suffix_cost) =
        grow_suffix(&mut suffix_costs, None, 0, suffix_cap, usize::MAX);

    // 2. Snippets by priority, de-duplicated.
    let mut order: Vec<&Snippet> = request.snippets.iter().collect();
    order.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then(b.score.total_cmp(&a.score))
            .then(a.path.cmp(&b.path))
            .then(a.start_line.cmp(&b.start_line))
    });
    let window = |from: Option<usize>, to: Option<usize>| {
        let first = from.map_or(request.cursor_line, |j| {
            request.cursor_line.saturating_sub(prefix.last() - j)
        });
        let last = to.map_or(request.cursor_line, |j| request.cursor_line + j);
        (first, last)
    };
    let (window_first, window_last) = window(prefix_from, suffix_to);
    let mut included: Vec<Candidate> = Vec::new();
    let mut dropped: Vec<Dropped> = Vec::new();
    let mut remaining = avail - prefix_cost - suffix_cost;
    for snippet in order {
        let drop = |tokens: usize, reason: String| Dropped {
            kind: snippet.kind.into(),
            path: snippet.path.clone(),
            start_line: snippet.start_line,
            end_line: snippet.end_line,
            tokens,
            score: snippet.score,
            reason,
        };
        if let Some(reason) = secret_path_drop(&snippet.path) {
            dropped.push(drop(0, reason));
            continue;
        }
        let text = clean(&snippet.text);
        let trimmed = text.trim();
        if trimmed.is_empty() {
            dropped.push(drop(0, "empty after redaction".into()));
            continue;
        }
        if snippet.path == request.path
            && snippet.start_line >= window_first
            && snippet.end_line <= window_last
        {
            dropped.push(drop(
                0,
                format!("inside the prefix/suffix window (lines {window_first}-{window_last})"),
            ));
            continue;
        }
        if prefix.kept(prefix_from).contains(trimmed) || suffix.kept(suffix_to).contains(trimmed) {
            dropped.push(drop(0, "its text is already in the prefix/suffix".into()));
            continue;
        }
        if let Some(same) = included.iter().find(|c| c.text.trim() == trimmed) {
            dropped.push(drop(
                0,
                format!(
                    "same text as {}:{}-{}",
                    same.snippet.path, same.snippet.start_line, same.snippet.end_line
                ),
            ));
            continue;
        }
        if let Some(over) = included.iter().find(|c| {
            c.snippet.path == snippet.path
                && c.snippet.start_line <= snippet.end_line
                && snippet.start_line <= c.snippet.end_line
        }) {
            dropped.push(drop(
                0,
                format!(
                    "overlaps {}:{}-{}, already included",
                    over.snippet.path, over.snippet.start_line, over.snippet.end_line
                ),
            ));
            continue;
        }
        // The gatherer's own count of the text is a floor for the labelled block: a snippet
        // that cannot fit is dropped without counting it again (an exact tokenizer is the
        // builder's main cost).
        if snippet.tokens > remaining {
            dropped.push(drop(
                snippet.tokens,
                format!(
                    "over budget: needs at least {} tokens, {remaining} left",
                    snippet.tokens
                ),
            ));
            continue;
        }
        let path = clean(&snippet.path);
        let block = family.context_block(
            language,
            &ContextFile {
                path: &path,
                start_line: snippet.start_line,
                end_line: snippet.end_line,
                text: &text,
            },
        );
        let cost = counter.count(&block);
        let charge = cost + if included.is_empty() { repo_header } else { 0 };
        if charge > remaining {
            dropped.push(drop(
                cost,
                format!("over budget: needs {charge} tokens, {remaining} left"),
            ));
            continue;
        }
        remaining -= charge;
        included.push(Candidate {
            snippet,
            path,
            text,
            cost,
        });
    }

    // 3. What the snippets left goes back to the prefix, then the suffix, but never so far that
    // the window swallows an included snippet of the current file.
    let own: Vec<(usize, usize)> = included
        .iter()
        .filter(|c| c.snippet.path == request.path)
        .map(|c| (c.snippet.start_line, c.snippet.end_line))
        .collect();
    let before_cursor_limit = own
        .iter()
        .filter(|(_, end)| *end < request.cursor_line)
        .map(|(_, end)| *end + 1)
        .max()
        .unwrap_or(1);
    let after_cursor_limit = own
        .iter()
        .filter(|(start, _)| *start > request.cursor_line)
        .map(|(start, _)| *start - 1)
        .min()
        .unwrap_or(usize::MAX);
    let min_prefix_j = prefix
        .last()
        .saturating_sub(request.cursor_line.saturating_sub(before_cursor_limit));
    if prefix_from.is_some() {
        let floor = min_prefix_j.min(prefix_from.unwrap_or(0));
        let (from, cost) = grow_prefix(
            &mut prefix_costs,
            prefix_from,
            prefix_cost,
            prefix_cost + remaining,
            floor,
        );
        remaining -= cost - prefix_cost;
        prefix_from = from;
    }
    if family != ModelFamily::Plain {
        let max_suffix_j = after_cursor_limit.saturating_sub(request.cursor_line);
        let ceil = max_suffix_j.max(suffix_to.unwrap_or(0));
        (suffix_to, _) = grow_suffix(
            &mut suffix_costs,
            suffix_to,
            suffix_cost,
            suffix_cost + remaining,
            ceil,
        );
    }

    // 4. Count the assembled text whole and drop until it fits: a BPE may count the whole
    // differently from the sum of its parts.
    let assemble = |included: &[Candidate], from: Option<usize>, to: Option<usize>| {
        let files: Vec<ContextFile> = included
            .iter()
            .map(|c| ContextFile {
                path: &c.path,
                start_line: c.snippet.start_line,
                end_line: c.snippet.end_line,
                text: &c.text,
            })
            .collect();
        // No block, no repository form: the plain template is the cheapest.
        let context = (!files.is_empty()).then_some(&files[..]);
        render(context, prefix.kept(from), suffix.kept(to))
    };
    let mut text = assemble(&included, prefix_from, suffix_to);
    let mut tokens = counter.count(&text);
    while tokens > config.budget {
        if let Some(last) = included.pop() {
            dropped.push(Dropped {
                kind: last.snippet.kind.into(),
                path: last.snippet.path.clone(),
                start_line: last.snippet.start_line,
                end_line: last.snippet.end_line,
                tokens: last.cost,
                score: last.snippet.score,
                reason: "over budget once the whole prompt was counted".into(),
            });
        } else if let Some(j) = prefix_from.filter(|&j| j < prefix.last()) {
            prefix_from = Some(j + 1);
        } else if let Some(j) = suffix_to.filter(|&j| j > 0) {
            suffix_to = Some(j - 1);
        } else if prefix_from.is_some() {
            prefix_from = None;
        } else if suffix_to.is_some() {
            suffix_to = None;
        } else {
            // Unreachable in practice: the empty layout costs `overhead`, checked above.
            break;
        }
        text = assemble(&included, prefix_from, suffix_to);
        tokens = counter.count(&text);
    }

    // 5. Explain.
    let (first, last) = window(prefix_from, suffix_to);
    let mut parts = Vec::new();
    let kept_prefix = prefix.kept(prefix_from);
    if !kept_prefix.is_empty() {
        parts.push(Part {
            kind: PartKind::Prefix,
            path: request.path.to_string(),
            start_line: first,
            end_line: request.cursor_line,
            tokens: counter.count(kept_prefix),
            score: 0.0,
            why: format!(
                "code before the cursor ({} of {} lines)",
                request.cursor_line - first + 1,
                prefix.starts.len()
            ),
        });
    }
    if first > request.cursor_line + 1 - prefix.starts.len().min(request.cursor_line) {
        dropped.push(Dropped {
            kind: PartKind::Prefix,
            path: request.path.to_string(),
            start_line: request.cursor_line + 1 - prefix.starts.len().min(request.cursor_line),
            end_line: first.saturating_sub(1),
            tokens: 0,
            score: 0.0,
            reason: "beyond the prefix share (the lines nearest the cursor were kept)".into(),
        });
    }
    let kept_suffix = suffix.kept(suffix_to);
    if !kept_suffix.is_empty() {
        parts.push(Part {
            kind: PartKind::Suffix,
            path: request.path.to_string(),
            start_line: request.cursor_line,
            end_line: last,
            tokens: counter.count(kept_suffix),
            score: 0.0,
            why: format!(
                "code after the cursor ({} of {} lines)",
                last - request.cursor_line + 1,
                suffix.ends.len()
            ),
        });
    }
    let suffix_last_line = request.cursor_line + suffix.ends.len() - 1;
    if kept_suffix.len() < suffix_text.len() {
        dropped.push(Dropped {
            kind: PartKind::Suffix,
            path: request.path.to_string(),
            start_line: if kept_suffix.is_empty() {
                request.cursor_line
            } else {
                last + 1
            },
            end_line: suffix_last_line,
            tokens: 0,
            score: 0.0,
            reason: match family {
                ModelFamily::Plain => {
                    "the plain template has no suffix (the model continues the prefix)".into()
                }
                _ => "beyond the suffix share (the lines nearest the cursor were kept)".into(),
            },
        });
    }
    for c in &included {
        parts.push(Part {
            kind: c.snippet.kind.into(),
            path: c.snippet.path.clone(),
            start_line: c.snippet.start_line,
            end_line: c.snippet.end_line,
            tokens: c.cost,
            score: c.snippet.score,
            why: c.snippet.why.clone(),
        });
    }
    let redactions = redactor.redactions(&text);
    Ok(Prompt {
        redactions,
        text,
        tokens,
        budget: config.budget,
        parts,
        dropped,
        stop: family
            .special_tokens()
            .iter()
            .map(|s| s.to_string())
            .collect(),
    })
}

/// Token costs of lines, counted on first use.
struct Costs<'a> {
    counter: &'a dyn TokenCounter,
    lines: Vec<&'a str>,
    memo: Vec<Option<usize>>,
}

impl<'a> Costs<'a> {
    fn new(counter: &'a dyn TokenCounter, lines: Vec<&'a str>) -> Self {
        let memo = vec![None; lines.len()];
        Costs {
            counter,
            lines,
            memo,
        }
    }
    fn len(&self) -> usize {
        self.lines.len()
    }
    fn get(&mut self, j: usize) -> usize {
        *self.memo[j].get_or_insert_with(|| self.counter.count(self.lines[j]))
    }
}

/// Extends the kept prefix towards the file's start while the total stays within `cap` and the
/// first kept line index stays at or above `floor`. `from` is the current first kept line
/// (`None`: nothing kept yet, start at the cursor line).
fn grow_prefix(
    costs: &mut Costs,
    mut from: Option<usize>,
    mut cost: usize,
    cap: usize,
    floor: usize,
) -> (Option<usize>, usize) {
    loop {
        let next = match from {
            None => costs.len() - 1,
            Some(j) if j <= floor => return (from, cost),
            Some(j) => j - 1,
        };
        let line = costs.get(next);
        if cost + line > cap {
            return (from, cost);
        }
        cost += line;
        from = Some(next);
    }
}

/// Extends the kept suffix towards the file's end while the total stays within `cap` and the
/// last kept line index stays at or below `ceil`.
fn grow_suffix(
    costs: &mut Costs,
    mut to: Option<usize>,
    mut cost: usize,
    cap: usize,
    ceil: usize,
) -> (Option<usize>, usize) {
    loop {
        let next = to.map_or(0, |j| j + 1);
        if next >= costs.len() || next > ceil {
            return (to, cost);
        }
        let line = costs.get(next);
        if cost + line > cap {
            return (to, cost);
        }
        cost += line;
        to = Some(next);
    }
}
