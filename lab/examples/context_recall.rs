//! `cargo run --release -p pilotfish-lab --example context_recall -- [--budget N]
//! [--max-samples N] LANGUAGE[:NAME]=DIR...`: the context-recall benchmark (see
//! `lab::context_recall`) on real packages unpacked in DIR, one table row per package and one
//! per language, with the token counter the prompt builder uses without a tokenizer (the
//! calibrated per-language estimate).

use std::path::Path;
use std::time::Instant;

use assist::tokens::EstimatedTokens;
use lab::context_recall::{METHODS, Recall, RecallConfig, context_recall};
use syntax::Language;

fn main() {
    let mut config = RecallConfig::default();
    let mut packages: Vec<(Language, String, String)> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let number = |v: Option<String>| v.and_then(|v| v.parse::<usize>().ok());
        match arg.as_str() {
            "--budget" => config.budget = number(args.next()).expect("--budget N"),
            "--max-samples" => config.max_samples = number(args.next()).expect("--max-samples N"),
            spec => {
                let (label, dir) = spec.split_once('=').expect("LANGUAGE[:NAME]=DIR");
                let (language, name) = label.split_once(':').unwrap_or((label, dir));
                let language = Language::from_name(language).expect("a known language name");
                packages.push((language, name.to_string(), dir.to_string()));
            }
        }
    }
    println!(
        "| language | package | lines | functions | targets | {} | context tokens (mean) | gather + build p50 / p95 ms |",
        METHODS.join(" | ")
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut totals: Vec<(Language, usize, Recall)> = Vec::new();
    for (language, name, dir) in &packages {
        let files = read_files(Path::new(dir));
        let lines: usize = files.iter().map(|(_, t)| t.lines().count()).sum();
        let counter = EstimatedTokens::for_language(Some(*language));
        let origin = Instant::now();
        let clock = || origin.elapsed().as_secs_f64() * 1e3;
        let recall = context_recall(&files, *language, &config, &counter, &clock);
        row(language.name(), name, lines, &recall);
        match totals.iter_mut().find(|(l, _, _)| l == language) {
            Some((_, total_lines, total)) => {
                *total_lines += lines;
                total.add(&recall);
            }
            None => totals.push((*language, lines, recall)),
        }
    }
    for (language, lines, total) in &totals {
        row(language.name(), "**all**", *lines, total);
    }
    costs(&packages);
}

/// What the one-owner index costs on all packages together: indexing every file (chunks, BM25
/// and tags), the repo map's ranks from scratch, then re-indexing one edited file and the ranks
/// again (warm-started from the previous ones).
fn costs(packages: &[(Language, String, String)]) {
    // Three copies of every package (under `copy1/` .. `copy3/`) make a project past 100k lines.
    let mut all: Vec<(String, String)> = Vec::new();
    for copy in 1..=3 {
        for (_, name, dir) in packages {
            for (path, text) in read_files(Path::new(dir)) {
                all.push((format!("copy{copy}/{name}/{path}"), text));
            }
        }
    }
    let lines: usize = all.iter().map(|(_, t)| t.lines().count()).sum();
    let ms = |since: Instant| since.elapsed().as_secs_f64() * 1e3;
    let mut workspace = assist::context::Workspace::new(engine::ProjectConfig::default());
    let started = Instant::now();
    for (path, text) in &all {
        let _ = workspace.index_file(path, text.as_bytes(), None);
    }
    let index_ms = ms(started);
    let started = Instant::now();
    let cold = workspace.tags().ranks().sweeps;
    let cold_ms = ms(started);
    let Some((path, text)) = all.iter().max_by_key(|(_, t)| t.len()) else {
        return;
    };
    let edited = format!("{text}\n\ndef added_by_the_benchmark():\n    return 1\n");
    let started = Instant::now();
    let _ = workspace.index_file(path, edited.as_bytes(), None);
    let edit_ms = ms(started);
    let started = Instant::now();
    let warm = workspace.tags().ranks().sweeps;
    let warm_ms = ms(started);

    // Gathering plus prompt building at the middle line of every 5th file, ranks fresh.
    let counter = EstimatedTokens::default();
    let mut timings: Vec<f64> = Vec::new();
    for (path, text) in all.iter().step_by(5) {
        let middle = text.lines().count() / 2 + 1;
        let Some(cursor) = assist::context::Cursor::at_line_col(path, text, middle, 1) else {
            continue;
        };
        let started = Instant::now();
        let Ok(gathered) = workspace.gather(
            &cursor,
            &assist::context::HostState::default(),
            &assist::context::GatherConfig::default(),
            assist::context::Retrieval::Keyword,
            &counter,
        ) else {
            continue;
        };
        let request = assist::prompt::FimRequest {
            path,
            language: gathered.window.language,
            prefix: &text[..cursor.offset],
            suffix: &text[cursor.offset..],
            cursor_line: cursor.line(),
            snippets: &gathered.snippets,
            repo_name: "bench",
        };
        let _ = assist::prompt::build_fim(
            &request,
            &assist::prompt::FimConfig::default(),
            &counter,
            &assist::prompt::NoRedaction,
        );
        timings.push(ms(started));
    }
    timings.sort_by(f64::total_cmp);
    let quantile = |q: f64| {
        let rank = ((q * timings.len() as f64).ceil() as usize).clamp(1, timings.len().max(1));
        timings.get(rank - 1).copied().unwrap_or(f64::NAN)
    };
    println!(
        "\n| files | lines | index all (chunks + BM25 + tags) ms | ranks from scratch ms (sweeps) | re-index the largest file ms | ranks after that edit ms (sweeps) | gather + build p50 / p95 ms ({} cursors) |",
        timings.len()
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    println!(
        "| {} | {lines} | {index_ms:.0} | {cold_ms:.1} ({cold}) | {edit_ms:.1} | {warm_ms:.1} ({warm}) | {:.2} / {:.2} |",
        all.len(),
        quantile(0.5),
        quantile(0.95)
    );
}

fn row(language: &str, package: &str, lines: usize, r: &Recall) {
    let tokens: Vec<String> = (0..3)
        .map(|i| format!("{}", r.context_tokens[i] / r.samples.max(1)))
        .collect();
    println!(
        "| {language} | {package} | {lines} | {} | {} | {:.3} | {:.3} | {:.3} | {} | {:.2} / {:.2} |",
        r.samples,
        r.targets,
        r.recall(0),
        r.recall(1),
        r.recall(2),
        tokens.join(" / "),
        r.prompt_ms_quantile(0.5),
        r.prompt_ms_quantile(0.95),
    );
}

/// Every source file under `dir` in a language the grammars know, skipping `node_modules`,
/// build output and type declarations. Paths are relative to `dir`'s parent, so they keep the
/// package's own folder (`httpcore/_models.py`), which absolute imports name.
fn read_files(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if path.is_dir() {
                if !matches!(name.as_str(), "node_modules" | "dist" | "build" | ".git") {
                    stack.push(path);
                }
                continue;
            }
            if name.ends_with(".d.ts") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let relative = path
                .strip_prefix(dir.parent().unwrap_or(dir))
                .unwrap_or(&path)
                .to_string_lossy()
                .to_string();
            if Language::detect(&relative, &text).is_some() {
                files.push((relative, text));
            }
        }
    }
    files.sort();
    files
}
