//! HTTP handlers. Every model endpoint runs the same named steps, in this order:
//! read body (size limit) → authenticate → parse JSON → guard (SSRF) → validate the typed request
//! → resolve alias (the caller's allowed models) → admit (rate limit/budget) → cache lookup →
//! upstream call (retry/fallback) → usage accounting → cache store → metrics.
//! The edge steps are calls on `state.edge` (see `app::Edge`).

use std::time::Instant;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header::CONTENT_LENGTH};
use axum::response::{IntoResponse, Response};
use protocol::{
    ChatCompletionRequest, CompletionRequest, EmbeddingRequest, ModelInfo, ModelList, Usage,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::app::{AppState, CachedReply, Caller, Observation};
use crate::error::AppError;
use crate::retry;
use crate::stream::{self, StreamJob, estimate_tokens, prompt_chars};
use crate::upstream::Endpoint;

/// `POST /v1/chat/completions`.
pub async fn chat_completions(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    model_request::<ChatCompletionRequest>(state, headers, body, Endpoint::Chat).await
}

/// `POST /v1/completions` (fill-in-the-middle with `prompt` + `suffix`).
pub async fn completions(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    model_request::<CompletionRequest>(state, headers, body, Endpoint::Completions).await
}

/// `POST /v1/embeddings`.
pub async fn embeddings(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    model_request::<EmbeddingRequest>(state, headers, body, Endpoint::Embeddings).await
}

/// `GET /v1/models`: the aliases this caller may use.
pub async fn models(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<ModelList>, AppError> {
    // part B: authenticate (same seam as the model endpoints).
    let caller = state.edge.authenticate(&headers)?;
    let data = state
        .config
        .models
        .iter()
        .filter(|m| caller.allows(&m.alias))
        .map(|m| ModelInfo {
            id: m.alias.clone(),
            object: "model".to_owned(),
            created: 0,
            owned_by: "pilotfish".to_owned(),
        })
        .collect();
    Ok(Json(ModelList {
        object: "list".to_owned(),
        data,
    }))
}

/// `GET /healthz`: liveness, no upstream contact.
pub async fn healthz() -> Json<Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// Unknown paths get an OpenAI-shaped 404.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// A known path with the wrong method gets an OpenAI-shaped 405 (axum's default has no body).
pub async fn method_not_allowed() -> Response {
    let body = protocol::ErrorBody::new(
        "method not allowed",
        "invalid_request_error",
        Some("method_not_allowed"),
    );
    (axum::http::StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}

/// Runs the pipeline; any error becomes its OpenAI error response and is observed.
async fn model_request<T: DeserializeOwned>(
    state: AppState,
    headers: HeaderMap,
    body: Body,
    endpoint: Endpoint,
) -> Response {
    let started = Instant::now();
    let mut tenant = String::from("-");
    let mut model = String::from("-");
    match pipeline::<T>(
        &state,
        &headers,
        body,
        endpoint,
        started,
        &mut tenant,
        &mut model,
    )
    .await
    {
        Ok(res) => res,
        Err(e) => {
            let res = e.into_response();
            // part B: metrics for requests that failed before an answer.
            state.edge.observe(&Observation {
                route: endpoint.route(),
                model,
                tenant,
                status: res.status().as_u16(),
                latency: started.elapsed(),
                time_to_first_token: None,
                cache_hit: false,
            });
            res
        }
    }
}

/// Reads the body within the size limit. Done here rather than with tower-http's
/// `RequestBodyLimitLayer` so that it runs after authentication and answers 413 with the OpenAI
/// error body. (No global `TimeoutLayer` either: it would cut long streams; the upstream
/// first-byte and idle timeouts bound every request instead.)
async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    idle: std::time::Duration,
) -> Result<bytes::Bytes, AppError> {
    // A declared length over the limit is refused before reading a byte.
    if let Some(len) = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit as u64
    {
        return Err(AppError::PayloadTooLarge);
    }
    // A client that trickles its body must not hold the connection forever.
    let read = tokio::time::timeout(idle, axum::body::to_bytes(body, limit))
        .await
        .map_err(|_| AppError::RequestTimeout)?;
    read.map_err(|e| {
        let too_big = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            || e.to_string().contains("length limit");
        if too_big {
            AppError::PayloadTooLarge
        } else {
            AppError::InvalidRequest("could not read the request body".to_owned())
        }
    })
}

async fn pipeline<T: DeserializeOwned>(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    endpoint: Endpoint,
    started: Instant,
    tenant_out: &mut String,
    model_out: &mut String,
) -> Result<Response, AppError> {
    // 1. authenticate (part B): before reading the body, so strangers cost nothing.
    let caller: Caller = state.edge.authenticate(headers)?;
    *tenant_out = caller.tenant.clone();

    // 2. read the body within the size limit (413 before any upstream call).
    let bytes = read_body(
        headers,
        body,
        state.config.limits.max_body_bytes,
        state.config.limits.idle_timeout(),
    )
    .await?;

    // 3. parse JSON.
    let request: Value = serde_json::from_slice(&bytes)
        .map_err(|e| AppError::InvalidRequest(format!("request body is not valid JSON: {e}")))?;
    if !request.is_object() {
        return Err(AppError::InvalidRequest(
            "request body must be a JSON object".to_owned(),
        ));
    }

    // 4. guard (part B): no client-chosen upstream URLs or hosts.
    state.edge.guard(headers, &request)?;

    // 5. validate the shape against the typed request.
    serde_json::from_value::<T>(request.clone())
        .map_err(|e| AppError::InvalidRequest(format!("invalid request: {e}")))?;
    let requested = request
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    *model_out = requested.clone();

    // 6. resolve the alias (and fallbacks) against the caller's allowed models.
    let chain = state.resolve(&caller, &requested)?;
    let primary = &chain[0];
    *model_out = primary.alias.clone();

    // 7. admit (part B): rate limits and budget.
    state.edge.admit(&caller, primary, &request).await?;

    let is_stream = endpoint != Endpoint::Embeddings
        && request.get("stream").and_then(Value::as_bool) == Some(true);

    // 8. cache lookup (part B).
    if let Some(hit) = state
        .edge
        .cache_lookup(&caller, endpoint, primary, &request)
        .await
    {
        let res = match (hit, is_stream) {
            (CachedReply::Stream(chunks), true) => Some(stream::replay(chunks)),
            (CachedReply::Json(v), false) => {
                let mut r = Json(v).into_response();
                r.headers_mut()
                    .insert("x-cache", axum::http::HeaderValue::from_static("hit"));
                Some(r)
            }
            _ => None,
        };
        if let Some(res) = res {
            state.edge.observe(&Observation {
                route: endpoint.route(),
                model: primary.alias.clone(),
                tenant: caller.tenant.clone(),
                status: 200,
                latency: started.elapsed(),
                time_to_first_token: None,
                cache_hit: true,
            });
            return Ok(res);
        }
    }

    // 9. upstream call with retries and fallbacks (before the first byte only).
    if is_stream {
        let opened = retry::open_stream(state, &chain, endpoint, &request)
            .await
            .map_err(|e| e.into_app_error())?;
        let include_usage = request
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            == Some(true);
        // 10–12 happen in the stream as it ends (usage, cache store, metrics).
        let job = StreamJob {
            state: state.clone(),
            caller,
            endpoint,
            request,
            include_usage,
            started,
        };
        return Ok(stream::respond(job, opened));
    }
    let (answer, route) = retry::call(state, &chain, endpoint, &request)
        .await
        .map_err(|e| e.into_app_error())?;
    *model_out = route.alias.clone();

    // 10. usage and cost accounting (part B).
    let (usage, estimated) = match answer
        .get("usage")
        .and_then(|u| serde_json::from_value::<Usage>(u.clone()).ok())
    {
        Some(u) => (u, false),
        None => {
            let out: usize = answer
                .get("choices")
                .and_then(Value::as_array)
                .map(|cs| {
                    cs.iter()
                        .map(|c| {
                            c.pointer("/message/content")
                                .or_else(|| c.get("text"))
                                .and_then(Value::as_str)
                                .map_or(0, str::len)
                        })
                        .sum()
                })
                .unwrap_or(0);
            (
                Usage::new(
                    estimate_tokens(prompt_chars(&request)),
                    estimate_tokens(out),
                ),
                true,
            )
        }
    };
    state
        .edge
        .record_usage(&caller, &route, usage, estimated)
        .await;

    // 11. cache store (part B).
    state
        .edge
        .cache_store(
            &caller,
            endpoint,
            &route,
            &request,
            CachedReply::Json(answer.clone()),
        )
        .await;

    // 12. metrics (part B).
    state.edge.observe(&Observation {
        route: endpoint.route(),
        model: route.alias.clone(),
        tenant: caller.tenant.clone(),
        status: 200,
        latency: started.elapsed(),
        time_to_first_token: None,
        cache_hit: false,
    });
    Ok(Json(answer).into_response())
}
