//! The output of `eval`: one cell per (data set, retriever) with its quality, printed as a
//! Markdown table (rows retrievers, columns data sets, for reading side by side) or as JSON (for
//! scripts comparing runs).

use anyhow::Result;
use lab::eval::Quality;

use super::dataset::Dataset;

/// One cell of the table.
pub(super) struct Cell {
    pub(super) dataset: String,
    pub(super) retriever: String,
    pub(super) quality: Quality,
}

/// The cells as a pretty-printed JSON array.
pub(super) fn print_json(cells: &[Cell]) -> Result<()> {
    let json: Vec<serde_json::Value> = cells
        .iter()
        .map(|c| {
            serde_json::json!({"dataset": c.dataset, "retriever": c.retriever,
                "queries": c.quality.queries, "mrr_at_10": c.quality.mrr_at_10,
                "recall_at_1": c.quality.recall_at_1, "recall_at_10": c.quality.recall_at_10})
        })
        .collect();
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}

/// Markdown table: one row per retriever, one column per data set, cells "MRR@10 / R@10".
pub(super) fn print(datasets: &[Dataset], cells: &[Cell]) {
    let mut rows: Vec<&str> = Vec::new();
    for c in cells {
        if !rows.contains(&c.retriever.as_str()) {
            rows.push(&c.retriever);
        }
    }
    print!("| retriever (MRR@10 / R@10) |");
    for d in datasets {
        print!(" {} |", d.name);
    }
    print!("\n| --- |");
    for _ in datasets {
        print!(" --- |");
    }
    println!();
    for row in rows {
        print!("| {row} |");
        for d in datasets {
            match cells
                .iter()
                .find(|c| c.retriever == row && c.dataset == d.name)
            {
                Some(c) => print!(
                    " {:.3} / {:.3} |",
                    c.quality.mrr_at_10, c.quality.recall_at_10
                ),
                None => print!(" – |"),
            }
        }
        println!();
    }
}
