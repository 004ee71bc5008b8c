//! The assistant's IO in the browser (wasm32 only): one streamed POST to the proxy with `fetch`,
//! read chunk by chunk from the body's `ReadableStream` through the engine's `AnswerReader`,
//! aborted through an `AbortController` (a newer completion, the host's `AbortSignal`, or the
//! early stop), which closes the connection so the proxy and the upstream stop too; a timer; the
//! clock. Bindings are the global `fetch`, `setTimeout` and `performance.now`, so the same code
//! runs in a page and in a Web Worker. `idb.rs` keeps the response cache in IndexedDB.

pub mod idb;

use assist::sse::{AnswerReader, Flow, StreamError, Streamed};
use js_sys::{Promise, Uint8Array};
use protocol::{ErrorBody, Usage};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Headers, Request, RequestInit, Response};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &Request) -> Promise;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> JsValue;
    /// Milliseconds with sub-millisecond resolution, for durations.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    pub fn performance_now() -> f64;
}

/// Wall-clock milliseconds (cache expiry across reloads).
pub fn wall_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: f64) {
    let promise = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms.max(0.0).min(i32::MAX as f64) as i32);
    });
    let _ = JsFuture::from(promise).await;
}

/// Why a streamed request did not complete.
#[derive(Debug)]
pub enum NetError {
    /// Aborted (a newer request, the host's signal); usage is what the stream reported before.
    Aborted { usage: Option<Usage> },
    /// The proxy answered with an error status.
    Refused { status: u16, message: String },
    /// The request never got an answer (offline, CORS, DNS, connection refused).
    Network(String),
    /// The stream broke or carried an error event.
    Stream(StreamError),
}

impl std::fmt::Display for NetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetError::Aborted { .. } => write!(f, "aborted"),
            NetError::Refused {
                status: 401,
                message,
            } => write!(
                f,
                "the proxy refused the client token (401: {message}); check configureAssistant's token"
            ),
            NetError::Refused { status, message } => {
                write!(f, "the proxy answered {status}: {message}")
            }
            NetError::Network(detail) => write!(f, "cannot reach the proxy: {detail}"),
            NetError::Stream(error) => write!(f, "{error}"),
        }
    }
}

/// Whether `value` is the `AbortError` a fetch or a read rejects with after `abort()`.
fn is_abort(value: &JsValue, signal: &AbortSignal) -> bool {
    signal.aborted()
        || js_sys::Reflect::get(value, &"name".into())
            .ok()
            .and_then(|n| n.as_string())
            .is_some_and(|n| n == "AbortError")
}

fn detail(value: &JsValue) -> String {
    crate::js::thrown_message(value)
}

/// POSTs the JSON `body` to `url` (with the bearer `token`) and streams the answer: `on_text`
/// gets choice 0's text as it arrives and says whether to go on. [`Flow::Enough`] aborts
/// `controller`, which closes the connection. Aborting `controller` from outside (a newer
/// request, the host's signal) ends it with [`NetError::Aborted`].
pub async fn stream_answer(
    url: &str,
    token: Option<&str>,
    body: &str,
    controller: &AbortController,
    on_text: impl FnMut(&str) -> Flow,
) -> Result<Streamed, NetError> {
    let signal = controller.signal();
    let network = |e: JsValue| NetError::Network(detail(&e));
    let headers = Headers::new().map_err(network)?;
    headers
        .set("Content-Type", "application/json")
        .map_err(network)?;
    if let Some(token) = token {
        headers
            .set("Authorization", &format!("Bearer {token}"))
            .map_err(network)?;
    }
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    init.set_signal(Some(&signal));
    let request = Request::new_with_str_and_init(url, &init).map_err(network)?;
    let started = performance_now();
    let response: Response = match JsFuture::from(global_fetch(&request)).await {
        Ok(r) => r.unchecked_into(),
        Err(e) if is_abort(&e, &signal) => return Err(NetError::Aborted { usage: None }),
        Err(e) => return Err(network(e)),
    };
    if !response.ok() {
        let status = response.status();
        let text = match response.text() {
            Ok(p) => JsFuture::from(p)
                .await
                .ok()
                .and_then(|t| t.as_string())
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        let message = serde_json::from_str::<ErrorBody>(&text)
            .map(|b| b.error.message)
            .unwrap_or_else(|_| text.chars().take(200).collect());
        return Err(NetError::Refused { status, message });
    }
    let stream = response
        .body()
        .ok_or_else(|| NetError::Network("the answer has no body".into()))?;
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut answer = AnswerReader::new(started);
    let mut on_text = on_text;
    loop {
        let chunk = match JsFuture::from(reader.read()).await {
            Ok(chunk) => chunk,
            Err(e) if is_abort(&e, &signal) => {
                return Err(NetError::Aborted {
                    usage: answer.streamed().usage,
                });
            }
            Err(e) => return Err(NetError::Network(detail(&e))),
        };
        let done = js_sys::Reflect::get(&chunk, &"done".into())
            .map(|d| d.is_truthy())
            .unwrap_or(true);
        if done {
            break;
        }
        let bytes = js_sys::Reflect::get(&chunk, &"value".into())
            .ok()
            .and_then(|v| v.dyn_into::<Uint8Array>().ok())
            .map(|a| a.to_vec())
            .unwrap_or_default();
        let flow = answer
            .feed(&bytes, performance_now(), &mut on_text)
            .map_err(NetError::Stream)?;
        if flow == Flow::Enough {
            break;
        }
    }
    let finished = answer.finish(performance_now()).map_err(NetError::Stream)?;
    // Done reading: closing the connection is what tells the proxy (and through it the
    // upstream) to stop generating an answer nobody reads.
    controller.abort();
    Ok(finished)
}
