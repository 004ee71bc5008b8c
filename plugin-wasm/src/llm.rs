//! The local language model in the tab (feature `llm`, package `pkg-llm/`): the model code of
//! `local-llm` (GGUF loading, tokenizer, chat template, sampling, stop sequences) behind two
//! classes. `LocalModel.load(bytes)` reads a GGUF from memory; `startChat`/`startCompletion`
//! prefill a prompt and return a `LocalGeneration`, whose `next()` samples one token at a time, so
//! the Web Worker that runs it (`llm-worker/`) can read a "stop" message between tokens; `chat` and
//! `complete` run a generation to its end with a callback per piece, for hosts that need no stop
//! from outside. Nothing here does IO: the bytes come from the host, and text goes back to it.
//! Errors are JS `Error`s worded `pilotfish: <method>: <what was wrong>`, like the engine's.

use std::io::Cursor;
use std::rc::Rc;

use local_llm::generate::{Finish, Generation};
use local_llm::sampler::SamplingParams;
use local_llm::template::Message;
use local_llm::{Model, Piece, Stream, prompt};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::js;

#[wasm_bindgen(typescript_custom_section)]
const LLM_TS: &str = r#"
/** One chat message; the model's own chat template (from its GGUF) renders them. */
export interface LocalMessage { role: "system" | "user" | "assistant"; content: string; }
/** Sampling settings; the defaults are the OpenAI API's (and `pilotfish-local`'s). */
export interface LocalGenerateOptions {
  /** Tokens to generate at most (default 512; cut to what the context window leaves). */
  maxTokens?: number;
  /** 0 is greedy (the same text as the native server's); default 1. */
  temperature?: number;
  topP?: number;
  /** One seed always gives one text at any temperature; default random. */
  seed?: number;
  /** Generation ends before the first of these strings (which is not returned). */
  stop?: string[];
  /** Keep going past end-of-text (benchmarks that need an exact length). */
  ignoreEos?: boolean;
}
/** How a generation ended, as OpenAI's `finish_reason` (plus "cancelled" when stopped). */
export interface LocalResult {
  text: string;
  finishReason: "stop" | "length" | "cancelled";
  promptTokens: number;
  completionTokens: number;
}
"#;

/// A loaded model. Generations share its weights, each with its own key-value cache.
#[wasm_bindgen]
pub struct LocalModel {
    model: Rc<Model>,
}

/// One generation in progress (its prompt already prefilled).
#[wasm_bindgen]
pub struct LocalGeneration {
    model: Rc<Model>,
    stream: Stream,
    /// Set once `next` returned the end (or `stop` was called).
    finish: Option<Finish>,
}

#[derive(Deserialize)]
struct MessageInput {
    role: String,
    content: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Options {
    max_tokens: Option<u32>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    seed: Option<f64>,
    stop: Option<Vec<String>>,
    ignore_eos: Option<bool>,
}

const OPTION_FIELDS: &[&str] = &[
    "maxTokens",
    "temperature",
    "topP",
    "seed",
    "stop",
    "ignoreEos",
];

/// `pilotfish-local`'s default when a request names no `max_tokens`.
const DEFAULT_MAX_TOKENS: usize = 512;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultOutput {
    text: String,
    finish_reason: &'static str,
    prompt_tokens: usize,
    completion_tokens: usize,
}

fn fail(method: &str, message: impl std::fmt::Display) -> JsError {
    JsError::new(&format!("pilotfish: {method}: {message}"))
}

#[wasm_bindgen]
impl LocalModel {
    /// Reads a GGUF (llama architecture) from its bytes. The bytes are copied into the module's
    /// memory once; the caller may drop its copy afterwards.
    pub fn load(bytes: &[u8]) -> Result<LocalModel, JsError> {
        let model = Model::load(&mut Cursor::new(bytes)).map_err(|e| fail("LocalModel.load", e))?;
        Ok(LocalModel {
            model: Rc::new(model),
        })
    }

    /// The GGUF's `general.name`.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.model.name.clone()
    }

    /// Tokens of prompt plus completion the model can attend to.
    #[wasm_bindgen(getter, js_name = contextLength)]
    pub fn context_length(&self) -> usize {
        self.model.context_length
    }

    /// Renders `messages` with the model's chat template and prefills them.
    #[wasm_bindgen(js_name = startChat, unchecked_return_type = "LocalGeneration")]
    pub fn start_chat(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LocalMessage[]")] messages: JsValue,
        #[wasm_bindgen(unchecked_param_type = "LocalGenerateOptions | undefined")] options: JsValue,
    ) -> Result<LocalGeneration, JsError> {
        self.start("startChat", options, |model| {
            let messages: Vec<MessageInput> =
                js::arg("messages", messages).map_err(|e| e.to_string())?;
            let messages: Vec<Message> = messages
                .into_iter()
                .map(|m| Message {
                    role: m.role,
                    content: m.content,
                })
                .collect();
            prompt::chat(model, &messages).map_err(|e| e.to_string())
        })
    }

    /// Prefills `prompt` as plain text (no template): a completion.
    #[wasm_bindgen(js_name = startCompletion, unchecked_return_type = "LocalGeneration")]
    pub fn start_completion(
        &self,
        prompt: String,
        #[wasm_bindgen(unchecked_param_type = "LocalGenerateOptions | undefined")] options: JsValue,
    ) -> Result<LocalGeneration, JsError> {
        self.start("startCompletion", options, |model| {
            prompt::completion(model, &prompt, None).map_err(|e| e.to_string())
        })
    }

    /// Runs a chat to its end, calling `onToken(text)` with each non-empty piece; `onToken`
    /// returning `false` stops it.
    #[wasm_bindgen(unchecked_return_type = "LocalResult")]
    pub fn chat(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LocalMessage[]")] messages: JsValue,
        #[wasm_bindgen(unchecked_param_type = "LocalGenerateOptions | undefined")] options: JsValue,
        #[wasm_bindgen(js_name = onToken, unchecked_param_type = "(text: string) => boolean | void")]
        on_token: &js_sys::Function,
    ) -> Result<JsValue, JsError> {
        self.start_chat(messages, options)?.run("chat", on_token)
    }

    /// Runs a completion to its end, like [`LocalModel::chat`].
    #[wasm_bindgen(unchecked_return_type = "LocalResult")]
    pub fn complete(
        &self,
        prompt: String,
        #[wasm_bindgen(unchecked_param_type = "LocalGenerateOptions | undefined")] options: JsValue,
        #[wasm_bindgen(js_name = onToken, unchecked_param_type = "(text: string) => boolean | void")]
        on_token: &js_sys::Function,
    ) -> Result<JsValue, JsError> {
        self.start_completion(prompt, options)?
            .run("complete", on_token)
    }
}

impl LocalModel {
    fn start(
        &self,
        method: &str,
        options: JsValue,
        prompt: impl FnOnce(&Model) -> Result<Vec<u32>, String>,
    ) -> Result<LocalGeneration, JsError> {
        let options = generation_options(options).map_err(|e| fail(method, e))?;
        let prompt = prompt(&self.model).map_err(|e| fail(method, e))?;
        let job = options
            .into_generation(prompt)
            .map_err(|e| fail(method, e))?;
        let stream = Stream::start(&self.model, &job).map_err(|e| fail(method, e))?;
        Ok(LocalGeneration {
            model: Rc::clone(&self.model),
            stream,
            finish: None,
        })
    }
}

#[wasm_bindgen]
impl LocalGeneration {
    /// Samples one token and returns the text it released (often `""`: half a character, or text
    /// held back as a possible stop sequence), or `undefined` once generation has ended.
    #[wasm_bindgen(js_name = next)]
    pub fn next_piece(&mut self) -> Result<Option<String>, JsError> {
        if self.finish.is_some() {
            return Ok(None);
        }
        match self
            .stream
            .step(&self.model)
            .map_err(|e| fail("LocalGeneration.next", e))?
        {
            Piece::Text(text) => Ok(Some(text)),
            Piece::End(text, finish) => {
                self.finish = Some(finish);
                // The last piece comes now; the next call says it ended.
                Ok(Some(text))
            }
        }
    }

    /// Ends the generation: no further token is computed.
    pub fn stop(&mut self) {
        self.finish.get_or_insert(Finish::Cancelled);
    }

    /// `true` once the last piece was returned or `stop` was called.
    #[wasm_bindgen(getter)]
    pub fn done(&self) -> bool {
        self.finish.is_some()
    }

    /// "stop", "length" or "cancelled" once done, else `undefined`.
    #[wasm_bindgen(getter, js_name = finishReason)]
    pub fn finish_reason(&self) -> Option<String> {
        self.finish.map(|f| f.as_str().to_owned())
    }

    #[wasm_bindgen(getter, js_name = promptTokens)]
    pub fn prompt_tokens(&self) -> usize {
        self.outcome().prompt_tokens
    }

    /// Tokens sampled so far (the end-of-text token included once it ended generation).
    #[wasm_bindgen(getter, js_name = completionTokens)]
    pub fn completion_tokens(&self) -> usize {
        self.outcome().completion_tokens
    }
}

impl LocalGeneration {
    fn outcome(&self) -> local_llm::Outcome {
        self.stream.outcome(self.finish.unwrap_or(Finish::Length))
    }

    fn run(mut self, method: &str, on_token: &js_sys::Function) -> Result<JsValue, JsError> {
        let mut text = String::new();
        while let Some(piece) = self.next_piece()? {
            if piece.is_empty() {
                continue;
            }
            text.push_str(&piece);
            let keep = on_token
                .call1(&JsValue::NULL, &JsValue::from_str(&piece))
                .map_err(|e| fail(method, format!("onToken threw: {}", js::thrown_message(&e))))?;
            if keep == JsValue::FALSE {
                self.stop();
            }
        }
        let outcome = self.outcome();
        js::output(&ResultOutput {
            text,
            finish_reason: outcome.finish.as_str(),
            prompt_tokens: outcome.prompt_tokens,
            completion_tokens: outcome.completion_tokens,
        })
        .map_err(|e| fail(method, e))
    }
}

fn generation_options(options: JsValue) -> Result<Options, crate::Error> {
    if options.is_undefined() || options.is_null() {
        return Ok(Options::default());
    }
    js::reject_unknown_fields("options", &options, OPTION_FIELDS)?;
    js::arg("options", options)
}

impl Options {
    /// The same checks and defaults as `pilotfish-local`'s request handling, so one request
    /// means one generation in the tab and on the server.
    fn into_generation(self, prompt: Vec<u32>) -> Result<Generation, String> {
        let temperature = self.temperature.unwrap_or(1.0);
        if !(0.0..=2.0).contains(&temperature) {
            return Err("options.temperature must be between 0 and 2".into());
        }
        let top_p = self.top_p.unwrap_or(1.0);
        if !(top_p > 0.0 && top_p <= 1.0) {
            return Err("options.topP must be above 0 and at most 1".into());
        }
        if self.max_tokens == Some(0) {
            return Err("options.maxTokens must be at least 1".into());
        }
        let seed = match self.seed {
            Some(seed) if seed >= 0.0 && seed.fract() == 0.0 => seed as u64,
            Some(seed) => return Err(format!("options.seed must be an integer, got {seed}")),
            // A random seed, as the server picks one when the request names none.
            None => (js_sys::Math::random() * 2f64.powi(53)) as u64,
        };
        Ok(Generation {
            prompt,
            max_tokens: self.max_tokens.map_or(DEFAULT_MAX_TOKENS, |n| n as usize),
            sampling: SamplingParams {
                temperature,
                top_p,
                seed,
            },
            stop: self.stop.unwrap_or_default(),
            ignore_eos: self.ignore_eos.unwrap_or(false),
        })
    }
}
