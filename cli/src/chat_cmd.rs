//! `pilotfish chat --index SNAPSHOT --file PATH --at LINE:COL "question"`: a question about the
//! code at a cursor, answered through the proxy's `/v1/chat/completions` and streamed to stdout
//! as it arrives. The messages are the ones `pilotfish prompt --mode chat` prints: the code
//! around the cursor and the gathered context, each labelled with its path and lines, under the
//! token budget. The context the answer could cite is listed on stderr afterwards.

use std::io::Write;

use anyhow::{Context, Result};
use assist::prompt::PartKind;
use assist::routing::Task;
use serde_json::json;

use crate::prompt_cmd::{self, Mode, PromptInput};
use crate::stream_client::{Flow, ProxyArgs, ProxyClient};

/// Ask about the code at a cursor through the proxy.
#[derive(Debug, clap::Args)]
pub struct ChatArgs {
    /// The question (default: explain the code at the cursor).
    pub question: Option<String>,
    #[command(flatten)]
    pub input: PromptInput,
    #[command(flatten)]
    pub proxy: ProxyArgs,
}

pub fn run(args: ChatArgs) -> Result<()> {
    let built = prompt_cmd::build(&args.input, Mode::Chat, args.question.as_deref())?;
    let client = ProxyClient::new(&args.proxy)?;
    let alias = args
        .proxy
        .alias
        .clone()
        .unwrap_or_else(|| Task::Chat.default_alias().to_string());
    let mut body = json!({
        "model": alias,
        "messages": built.messages,
        "temperature": args.proxy.temperature,
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    if let Some(max_tokens) = args.proxy.max_tokens {
        body["max_tokens"] = json!(max_tokens);
    }

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut write_error = None;
    let streamed = client.stream("/v1/chat/completions", &body, |text| {
        // A closed pipe (`| head`) ends the answer, and the request with it.
        match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => Flow::More,
            Err(error) => {
                write_error = Some(error);
                Flow::Enough
            }
        }
    })?;
    if let Some(error) = write_error {
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(error).context("writing the answer");
        }
        return Ok(());
    }
    writeln!(out)?;

    let cited: Vec<String> = built
        .parts
        .iter()
        .filter(|part| !matches!(part.kind, PartKind::History))
        .map(|part| {
            format!(
                "  {}:{}-{}  {}",
                part.path, part.start_line, part.end_line, part.why
            )
        })
        .collect();
    eprintln!(
        "pilotfish: {} prompt tokens{}, {} completion tokens, first text {}, total {:.0} ms; context:\n{}",
        streamed
            .usage
            .map_or_else(|| built.tokens.to_string(), |u| u.prompt_tokens.to_string()),
        if streamed.usage.is_some() {
            ""
        } else {
            " (estimated)"
        },
        streamed
            .usage
            .map_or("?".to_string(), |u| u.completion_tokens.to_string()),
        streamed
            .first_text_ms
            .map_or("-".to_string(), |ms| format!("{ms:.0} ms")),
        streamed.total_ms,
        cited.join("\n")
    );
    Ok(())
}
