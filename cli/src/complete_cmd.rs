//! `pilotfish complete --index SNAPSHOT --file PATH --at LINE:COL`: the ghost text the tab would
//! show at a cursor. The FIM prompt is built as `pilotfish prompt` builds it, sent to the proxy's
//! `/v1/completions` as a stream, cut as soon as the engine's early stop says the suggestion is
//! complete (end of line, suffix reached, end of block, repeats, a template stop string) — which
//! closes the connection so the model stops too — then postprocessed (suffix overlap, parse
//! check) exactly as in the tab. Prints the suggestion, or one JSON object with `--json`.

use anyhow::Result;
use assist::complete::{CallSettings, CompletionCall, CursorContext};
use assist::routing::Task;
use serde_json::json;

use crate::prompt_cmd::{self, Mode, PromptInput};
use crate::stream_client::{ProxyArgs, ProxyClient, Streamed};

/// Complete the code at a cursor through the proxy.
#[derive(Debug, clap::Args)]
pub struct CompleteArgs {
    #[command(flatten)]
    pub input: PromptInput,
    #[command(flatten)]
    pub proxy: ProxyArgs,
    /// Print one JSON object (suggestion, why it stopped, the parse check, usage, timings).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: CompleteArgs) -> Result<()> {
    let built = prompt_cmd::build(&args.input, Mode::Fim, None)?;
    let client = ProxyClient::new(&args.proxy)?;
    let offset = built.file.offset;
    let context = CursorContext {
        prefix: &built.file.text[..offset],
        suffix: &built.file.text[offset..],
        language: Some(built.file.language),
        baseline: None,
    };
    let alias = args
        .proxy
        .alias
        .clone()
        .unwrap_or_else(|| Task::Autocomplete.default_alias().to_string());
    let settings = CallSettings {
        max_tokens: args.proxy.max_tokens,
        temperature: f64::from(args.proxy.temperature),
    };
    let stops = built.stop.clone().unwrap_or_default();
    let mut call = CompletionCall::new(&alias, &built.text, &stops, &context, &settings);
    let body = serde_json::to_value(call.body())?;
    let streamed = client.stream("/v1/completions", &body, |text| call.push(text))?;
    let suggestion = call.finish(&context);
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&json!({
                "suggestion": suggestion,
                "model": alias,
                "prompt_tokens_estimated": built.tokens,
                "stream": streamed,
            }))?
        );
    } else {
        print!("{}", suggestion.text);
        eprintln!("{}", summary(&streamed, &suggestion));
    }
    Ok(())
}

/// The one-line report on stderr.
fn summary(streamed: &Streamed, suggestion: &assist::complete::Suggestion) -> String {
    let first = streamed
        .first_text_ms
        .map_or("-".to_string(), |ms| format!("{ms:.0} ms"));
    let why = match (suggestion.stop, &streamed.finish_reason) {
        (Some(stop), _) => format!("{stop:?}"),
        (None, Some(reason)) => reason.clone(),
        (None, None) => "end of stream".to_string(),
    };
    format!(
        "\npilotfish: {} chars ({:?}, stopped: {why}, parse check: {:?}), first text {first}, total {:.0} ms",
        suggestion.text.chars().count(),
        suggestion.mode,
        suggestion.verdict,
        streamed.total_ms
    )
}
