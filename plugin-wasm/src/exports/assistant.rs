//! The assistant's `#[wasm_bindgen]` methods: `configureAssistant`, `complete`, `chat`,
//! `acceptSuggestion`, `metrics` and `flushCache`. The plans and their endings are native
//! (`assistant/`); what is here is the browser's part: the debounce timer, the one in-flight
//! autocomplete request and its `AbortController` (a newer `complete` aborts it, so a stale
//! answer is never shown and the proxy sees the abort), the host's `AbortSignal` and `onText`
//! callback, and persisting the response cache to IndexedDB after it changes.
//! Only in packages built with the feature `prompt`.

use std::cell::RefCell;
use std::rc::Rc;

use assist::complete::CallSettings;
use assist::metrics::Outcome;
use assist::sse::Flow;
use js_sys::{Function, Promise};
use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::future_to_promise;
use web_sys::{AbortController, AbortSignal};

use crate::assistant::Assistant;
use crate::assistant::chat::{ChatPlan, ChatSettings, PendingChat};
use crate::assistant::completion::{CompletionPlan, Ended, PendingCompletion};
use crate::assistant::options::AssistantOptions;
use crate::assistant::session::Session;
use crate::error::{Error, js_call};
use crate::js::{json_arg, output, reject_non_finite, string_arg};
use crate::net::{self, NetError, idb, performance_now, sleep, wall_ms};
use crate::options::PromptRequest;
use crate::project::Engine;

/// The IndexedDB key the response cache is kept under.
const CACHE_KEY: &str = "response-cache";

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn console_warn(message: &str);
}

#[wasm_bindgen(typescript_custom_section)]
const ASSISTANT_TS: &str = r#"
export interface AssistantOptions {
  /** The proxy's origin, e.g. "http://127.0.0.1:8787" (a trailing "/v1" is accepted). */
  proxyUrl: string;
  /** The client token the proxy knows this person by; sent as a bearer token, never logged. */
  token?: string;
  /** Task → proxy alias (or an escalation ladder), e.g. { chat: "chat-mini" }. */
  routes?: Record<string, string | string[]>;
  /** US dollars per million tokens, by alias, for the cost in metrics(). */
  prices?: Record<string, { input_usd_per_mtok: number; output_usd_per_mtok: number }>;
  /** Response cache bounds (defaults 512 entries, 4 MiB, 24 h). */
  cache?: { maxEntries?: number; maxBytes?: number; ttlMs?: number };
  /** The IndexedDB database the response cache persists in; absent: memory only. */
  persist?: string;
  /** Adaptive debounce bounds (defaults 50–400 ms, 150 ms until typing is learned). */
  debounce?: { minMs?: number; maxMs?: number; initialMs?: number };
}
export interface CallOptions {
  /** Aborting it cancels the request (e.g. Monaco's cancellation token). */
  signal?: AbortSignal;
  /** Called as text streams in: the new piece and everything so far. */
  onText?: (piece: string, soFar: string) => void;
  maxTokens?: number;
  temperature?: number;
  /** chat: which try this is (default 0); later tries use the task's next stronger alias
   * (`routes: { generate: ["generate", "strong"] }`), and a try past the ladder throws. */
  attempt?: number;
}
export interface Suggestion {
  /** The text to insert at the cursor; empty when nothing is worth showing. */
  text: string;
  mode: "single" | "multi";
  stop: "end_of_line" | "reached_suffix" | "end_of_block" | "repeated_lines" | null;
  verdict: string;
  source: "network" | "prefix_cache" | "response_cache";
  model: string;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  firstTextMs: number | null;
  totalMs: number | null;
  promptTokens: number | null;
}
export interface Citation { label: number; path: string; startLine: number; endLine: number; why: string; }
export interface Answer {
  text: string;
  task: "chat" | "explain" | "generate" | "refactor";
  model: string;
  source: "network" | "response_cache";
  /** The chunks the prompt labelled [n] path:start-end, which the answer may cite. */
  citations: Citation[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  firstTextMs: number | null;
  totalMs: number | null;
  promptTokens: number;
  redactions: Record<string, number>;
}
"#;

/// `CallOptions`, read field by field (it holds a signal and a function, which JSON cannot).
struct CallOptions {
    signal: Option<AbortSignal>,
    on_text: Option<Function>,
    max_tokens: Option<u32>,
    temperature: Option<f64>,
    attempt: usize,
}

impl CallOptions {
    fn from_js(value: &JsValue) -> Result<CallOptions, Error> {
        let field = |name: &str| {
            js_sys::Reflect::get(value, &name.into())
                .ok()
                .filter(|v| !v.is_undefined() && !v.is_null())
        };
        if value.is_undefined() || value.is_null() {
            return Ok(CallOptions {
                signal: None,
                on_text: None,
                max_tokens: None,
                temperature: None,
                attempt: 0,
            });
        }
        let wrong = |name: &'static str, expected: &str| Error::Argument {
            argument: name,
            message: format!("expected {expected}"),
        };
        let signal = match field("signal") {
            Some(v) => Some(
                v.dyn_into::<AbortSignal>()
                    .map_err(|_| wrong("options.signal", "an AbortSignal"))?,
            ),
            None => None,
        };
        let on_text = match field("onText") {
            Some(v) => Some(
                v.dyn_into::<Function>()
                    .map_err(|_| wrong("options.onText", "a function"))?,
            ),
            None => None,
        };
        let number = |name: &'static str| match field(name) {
            Some(v) => v
                .as_f64()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .map(Some)
                .ok_or_else(|| wrong(name, "a finite number ≥ 0")),
            None => Ok(None),
        };
        Ok(CallOptions {
            signal,
            on_text,
            max_tokens: number("maxTokens")?.map(|n| n.min(f64::from(u32::MAX)) as u32),
            temperature: number("temperature")?,
            attempt: number("attempt")?.map_or(0, |n| n.min(1e6) as usize),
        })
    }

    fn host_aborted(&self) -> bool {
        self.signal.as_ref().is_some_and(AbortSignal::aborted)
    }

    fn tell(&self, piece: &str, so_far: &str) {
        if let Some(f) = &self.on_text {
            // A throwing callback is the host's bug; it must not break the stream.
            let _ = f.call2(&JsValue::NULL, &piece.into(), &so_far.into());
        }
    }
}

/// While alive, the host's signal aborting aborts `controller` too.
struct Bridge {
    signal: Option<AbortSignal>,
    listener: Option<Closure<dyn FnMut()>>,
}

impl Bridge {
    fn new(signal: Option<&AbortSignal>, controller: &AbortController) -> Bridge {
        let Some(signal) = signal else {
            return Bridge {
                signal: None,
                listener: None,
            };
        };
        let ours = controller.clone();
        let listener = Closure::<dyn FnMut()>::new(move || ours.abort());
        let _ = signal.add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        Bridge {
            signal: Some(signal.clone()),
            listener: Some(listener),
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let (Some(signal), Some(listener)) = (&self.signal, &self.listener) {
            let _ = signal
                .remove_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        }
    }
}

fn js_error(method: &str, error: impl std::fmt::Display) -> JsValue {
    JsError::new(&format!("pilotfish: {method}: {error}")).into()
}

impl Engine {
    /// The routing table and prices `configureAssistant` set.
    pub(crate) fn routes_and_prices(
        &self,
    ) -> Result<(assist::routing::Routes, assist::metrics::PriceTable), Error> {
        let session = self.session()?;
        let s = session.borrow();
        Ok((s.assistant.routes.clone(), s.assistant.prices.clone()))
    }

    fn session(&self) -> Result<Rc<RefCell<Session>>, Error> {
        self.session.clone().ok_or_else(|| Error::Argument {
            argument: "this",
            message: "call configureAssistant({ proxyUrl, token }) first".into(),
        })
    }
}

#[wasm_bindgen]
impl Engine {
    /// Sets up the assistant: proxy, token, routing, prices, cache, debounce. With `persist`,
    /// restores the response cache from IndexedDB (a damaged or foreign one is discarded with a
    /// console warning). Resolves to `{ restoredEntries }`. Aborts a request of the previous
    /// configuration still in flight.
    #[wasm_bindgen(js_name = configureAssistant)]
    pub fn configure_assistant(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "AssistantOptions")] options: JsValue,
    ) -> Result<Promise, JsError> {
        js_call("configureAssistant", || {
            let options: AssistantOptions = json_arg("options", &options)?;
            let session = Rc::new(RefCell::new(Session {
                assistant: Assistant::new(&options)?,
                inflight: None,
                saving: false,
            }));
            if let Some(old) = self.session.replace(session.clone())
                && let Some(controller) = old.borrow_mut().inflight.take()
            {
                controller.abort();
            }
            Ok(future_to_promise(restore(session)))
        })
    }

    /// The ghost text for the cursor in `request` (as `buildPrompt` takes it, mode FIM). Debounced
    /// by the learned typing rhythm; a newer `complete` makes this one resolve to `null` (aborting
    /// its request if it was sent). Served with no request when the person is typing into the
    /// suggestion shown last, or from the response cache.
    #[wasm_bindgen(unchecked_return_type = "Promise<Suggestion | null>")]
    pub fn complete(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "PromptRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CallOptions | undefined")] options: JsValue,
    ) -> Result<Promise, JsError> {
        js_call("complete", || {
            let called_at = performance_now();
            reject_non_finite("request", &request)?;
            let request: PromptRequest = json_arg("request", &request)?;
            self.tag_pending(usize::MAX);
            let call = CallOptions::from_js(&options)?;
            let session = self.session()?;
            let plan = {
                let mut s = session.borrow_mut();
                // The person typed on: whatever is on the wire is stale now.
                if let Some(previous) = s.inflight.take() {
                    previous.abort();
                }
                let settings = CallSettings {
                    max_tokens: call.max_tokens,
                    temperature: call.temperature.unwrap_or(0.0),
                };
                let plan =
                    self.plan_completion(&mut s.assistant, &request, &settings, wall_ms())?;
                s.assistant.plan_ms.record(performance_now() - called_at);
                plan
            };
            match plan {
                CompletionPlan::Ready(suggestion) => Ok(Promise::resolve(&output(&suggestion)?)),
                CompletionPlan::Fetch(pending) => Ok(future_to_promise(run_completion(
                    session, pending, call, called_at,
                ))),
            }
        })
    }

    /// Asks the proxy about the code at `request`'s cursor (`task`: chat, explain, generate,
    /// refactor), grounded in the indexed project; streams through `options.onText`; resolves to
    /// the answer with the citations its prompt offered (`null` if `options.signal` aborted it).
    #[wasm_bindgen(unchecked_return_type = "Promise<Answer | null>")]
    pub fn chat(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "PromptRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "CallOptions | undefined")] options: JsValue,
    ) -> Result<Promise, JsError> {
        js_call("chat", || {
            reject_non_finite("request", &request)?;
            let request: PromptRequest = json_arg("request", &request)?;
            self.tag_pending(usize::MAX);
            let call = CallOptions::from_js(&options)?;
            let session = self.session()?;
            let settings = ChatSettings {
                max_tokens: call.max_tokens,
                temperature: call.temperature,
                attempt: call.attempt,
            };
            let plan = self.plan_chat(
                &mut session.borrow_mut().assistant,
                &request,
                &settings,
                wall_ms(),
            )?;
            match plan {
                ChatPlan::Ready(answer) => Ok(Promise::resolve(&output(&answer)?)),
                ChatPlan::Fetch(pending) => Ok(future_to_promise(run_chat(session, pending, call))),
            }
        })
    }

    /// The person accepted the suggestion shown in `path` (counted in the acceptance rate).
    #[wasm_bindgen(js_name = acceptSuggestion)]
    pub fn accept_suggestion(&self, path: JsValue) -> Result<(), JsError> {
        js_call("acceptSuggestion", || {
            let path = string_arg("path", &path)?;
            self.session()?.borrow_mut().assistant.accepted(&path);
            Ok(())
        })
    }

    /// Latency p50/p95/p99 and time to first token per task, cache hit rate, acceptance rate,
    /// tokens and cost this session, the engine's own overheads and the learned debounce.
    pub fn metrics(&self) -> Result<JsValue, JsError> {
        js_call("metrics", || {
            output(&self.session()?.borrow().assistant.snapshot())
        })
    }

    /// Writes the response cache to IndexedDB now (it is written after changes anyway); resolves
    /// once committed.
    #[wasm_bindgen(js_name = flushCache)]
    pub fn flush_cache(&self) -> Result<Promise, JsError> {
        js_call("flushCache", || {
            let session = self.session()?;
            Ok(future_to_promise(async move {
                save(&session).await?;
                Ok(JsValue::UNDEFINED)
            }))
        })
    }
}

async fn restore(session: Rc<RefCell<Session>>) -> Result<JsValue, JsValue> {
    let name = session.borrow().assistant.persist.clone();
    let Some(name) = name else {
        return output(&json!({"restoredEntries": 0}))
            .map_err(|e| js_error("configureAssistant", e));
    };
    let bytes = idb::get(&name, CACHE_KEY)
        .await
        .map_err(|e| js_error("configureAssistant", crate::js::thrown_message(&e)))?;
    let mut s = session.borrow_mut();
    let restored = match bytes {
        None => 0,
        Some(bytes) => {
            let config = s.assistant.responses.config().clone();
            match assist::cache::ResponseCache::from_bytes(&bytes, config, wall_ms()) {
                Ok(cache) => {
                    s.assistant.responses = cache;
                    s.assistant.responses.len()
                }
                Err(error) => {
                    console_warn(&format!(
                        "pilotfish: the response cache in IndexedDB {name:?} is unreadable and was discarded: {error}"
                    ));
                    0
                }
            }
        }
    };
    output(&json!({"restoredEntries": restored})).map_err(|e| js_error("configureAssistant", e))
}

/// Writes the response cache now.
async fn save(session: &Rc<RefCell<Session>>) -> Result<(), JsValue> {
    let (name, bytes) = {
        let mut s = session.borrow_mut();
        let Some(name) = s.assistant.persist.clone() else {
            return Ok(());
        };
        s.assistant.cache_dirty = false;
        (name, s.assistant.responses.to_bytes())
    };
    idb::put(&name, CACHE_KEY, &bytes)
        .await
        .map_err(|e| js_error("flushCache", crate::js::thrown_message(&e)))
}

/// Persists the response cache in the background when it changed; one write at a time, and a
/// change during a write is written after it.
fn persist_soon(session: &Rc<RefCell<Session>>) {
    {
        let mut s = session.borrow_mut();
        if s.saving || !s.assistant.cache_dirty || s.assistant.persist.is_none() {
            return;
        }
        s.saving = true;
    }
    let session = session.clone();
    wasm_bindgen_futures::spawn_local(async move {
        loop {
            if let Err(error) = save(&session).await {
                console_warn(&crate::js::thrown_message(&error));
                break;
            }
            if !session.borrow().assistant.cache_dirty {
                break;
            }
        }
        session.borrow_mut().saving = false;
    });
}

async fn run_completion(
    session: Rc<RefCell<Session>>,
    mut pending: Box<PendingCompletion>,
    call: CallOptions,
    called_at: f64,
) -> Result<JsValue, JsValue> {
    let deadline = called_at + pending.debounce_ms as f64;
    sleep(deadline - performance_now()).await;
    if !session.borrow().assistant.is_current(&pending) || call.host_aborted() {
        // Superseded while waiting: nothing was sent, nothing to record.
        return Ok(JsValue::NULL);
    }
    let controller =
        AbortController::new().map_err(|e| js_error("complete", crate::js::thrown_message(&e)))?;
    let (url, body, token) = {
        let mut s = session.borrow_mut();
        if let Some(previous) = s.inflight.replace(controller.clone()) {
            previous.abort();
        }
        let overhead = (performance_now() - deadline).max(0.0);
        s.assistant.request_overhead.record(overhead);
        (
            pending.url.clone(),
            pending.body.clone(),
            s.assistant.proxy.token.clone(),
        )
    };
    let _bridge = Bridge::new(call.signal.as_ref(), &controller);
    let sent_at = performance_now();
    let result = net::stream_answer(&url, token.as_deref(), &body, &controller, |piece| {
        let flow = pending.push(piece);
        call.tell(piece, pending.partial());
        flow
    })
    .await;
    let elapsed_ms = performance_now() - sent_at;
    let mut s = session.borrow_mut();
    if s.inflight.as_ref().is_some_and(|c| c == &controller) {
        s.inflight = None;
    }
    let (ended, failure) = match result {
        Ok(streamed) => (Ended::Streamed(streamed), None),
        Err(NetError::Aborted { usage }) => (Ended::Aborted { usage, elapsed_ms }, None),
        Err(error) => (Ended::Failed { elapsed_ms }, Some(error)),
    };
    let suggestion = s.assistant.finish_completion(*pending, ended, wall_ms());
    drop(s);
    persist_soon(&session);
    if let Some(error) = failure {
        return Err(js_error("complete", error));
    }
    match suggestion {
        Some(suggestion) => output(&suggestion).map_err(|e| js_error("complete", e)),
        None => Ok(JsValue::NULL),
    }
}

async fn run_chat(
    session: Rc<RefCell<Session>>,
    mut pending: Box<PendingChat>,
    call: CallOptions,
) -> Result<JsValue, JsValue> {
    if call.host_aborted() {
        return Ok(JsValue::NULL);
    }
    let controller =
        AbortController::new().map_err(|e| js_error("chat", crate::js::thrown_message(&e)))?;
    let _bridge = Bridge::new(call.signal.as_ref(), &controller);
    let token = session.borrow().assistant.proxy.token.clone();
    let (url, body) = (pending.url.clone(), pending.body.clone());
    let sent_at = performance_now();
    let mut so_far = String::new();
    let result = net::stream_answer(&url, token.as_deref(), &body, &controller, |piece| {
        pending.push(piece);
        so_far.push_str(piece);
        call.tell(piece, &so_far);
        Flow::More
    })
    .await;
    let elapsed_ms = performance_now() - sent_at;
    let (ended, failure) = match result {
        Ok(streamed) => (Ok(streamed), None),
        Err(NetError::Aborted { .. }) => (Err((Outcome::Cancelled, elapsed_ms)), None),
        Err(error) => (Err((Outcome::Failed, elapsed_ms)), Some(error)),
    };
    let answer = session
        .borrow_mut()
        .assistant
        .finish_chat(*pending, ended, wall_ms());
    persist_soon(&session);
    if let Some(error) = failure {
        return Err(js_error("chat", error));
    }
    match answer {
        Some(answer) => output(&answer).map_err(|e| js_error("chat", e)),
        None => Ok(JsValue::NULL),
    }
}
