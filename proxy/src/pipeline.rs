//! The named steps every model request runs, in this order: authenticate → read the body
//! (size limit) → parse JSON → guard (SSRF) → parse the typed request → per-request caps (`n`,
//! `max_tokens`) → resolve the alias (the caller's allowed models) → admit (rate limit/budget,
//! reserving the request's estimate) → cache lookup → upstream call (retry/fallback) → settle
//! the reservation → cache store → metrics.
//!
//! From admission on, the reservation travels in a [`Charge`], which settles it on every path:
//! here for answers, failures and cache hits, in `stream` for streams, and on its own drop when
//! the client leaves before any answer.
//!
//! The edge steps are calls on `state.edge` (see `state::Edge`); they see the client's JSON body
//! as it came, while everything after the guard reads the typed [`ModelRequest`]. Streams finish
//! their last three steps in `stream` as they end.

use std::net::IpAddr;
use std::time::Instant;

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, header::CONTENT_LENGTH};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::Value;

use crate::charge::Charge;
use crate::error::AppError;
use crate::request::{Endpoint, ModelRequest};
use crate::retry;
use crate::state::{AppState, CachedReply, Observation, Outcome};
use crate::stream::{self, StreamJob};
use crate::usage;

/// The labels a failed request is observed under: as much as was known when it failed.
struct Labels {
    tenant: String,
    model: String,
}

/// Runs the steps; any error becomes its OpenAI error response and is observed. `peer` is the
/// client's address when the server was started with connect info.
pub async fn run(
    state: AppState,
    peer: Option<IpAddr>,
    headers: HeaderMap,
    body: Body,
    endpoint: Endpoint,
) -> Response {
    let started = Instant::now();
    let mut labels = Labels {
        tenant: "-".to_owned(),
        model: "-".to_owned(),
    };
    match steps(&state, &headers, body, endpoint, started, &mut labels).await {
        Ok(res) => res,
        Err(e) => {
            let e = refuse(&state, peer, e).await;
            let res = e.into_response();
            // part B: metrics for requests that failed before an answer.
            state.edge.observe(&Observation {
                route: endpoint.route(),
                model: labels.model,
                tenant: labels.tenant,
                status: res.status().as_u16(),
                latency: started.elapsed(),
                time_to_first_token: None,
                cache_hit: false,
            });
            res
        }
    }
}

/// 401 and 403 go through the edge, which rate-limits them per client address.
pub async fn refuse(state: &AppState, peer: Option<IpAddr>, e: AppError) -> AppError {
    match e {
        AppError::Unauthorized | AppError::TokenRejected { .. } | AppError::ModelNotAllowed(_) => {
            state.edge.refuse(peer, e).await
        }
        other => other,
    }
}

async fn steps(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    endpoint: Endpoint,
    started: Instant,
    labels: &mut Labels,
) -> Result<Response, AppError> {
    // 1. authenticate (part B): before reading the body, so strangers cost nothing.
    let caller = state.edge.authenticate(headers)?;
    labels.tenant.clone_from(&caller.tenant);

    // 2. read the body within the size limit (413 before any upstream call).
    let bytes = read_body(
        headers,
        body,
        state.config.limits.max_body_bytes,
        state.config.limits.idle_timeout(),
    )
    .await?;

    // 3. parse JSON.
    let body: Value = serde_json::from_slice(&bytes)
        .map_err(|e| AppError::InvalidRequest(format!("request body is not valid JSON: {e}")))?;
    if !body.is_object() {
        return Err(AppError::InvalidRequest(
            "request body must be a JSON object".to_owned(),
        ));
    }

    // 4. guard (part B): no client-chosen upstream URLs or hosts (top-level fields, headers).
    state.edge.guard(headers, &body)?;

    // 5. the typed request, parsed once; everything below reads it.
    let request = ModelRequest::parse(endpoint, &body)
        .map_err(|e| AppError::InvalidRequest(format!("invalid request: {e}")))?;
    // 5b. per-request caps: no request may ask for more than the operator allows.
    request.check_caps(&state.config.limits)?;
    // Only a configured alias becomes a label; any other name the client chose is `other`.
    labels.model = match state.config.route(request.model()) {
        Some(route) => route.alias.clone(),
        None => "other".to_owned(),
    };

    // 6. resolve the alias (and fallbacks) against the caller's allowed models.
    let chain = state.resolve(&caller, request.model())?;
    let primary = &chain[0];
    labels.model.clone_from(&primary.alias);

    // 7. admit (part B): rate limits and budget, reserving the prompt plus n × max_tokens (the
    // alias's `default_max_tokens` when the client set none).
    let allowance = request.completions()?.saturating_mul(u64::from(
        request.max_tokens().unwrap_or(primary.default_max_tokens),
    ));
    let reservation = state.edge.admit(&caller, primary, &body, allowance).await?;
    let mut charge = Charge::new(
        state.edge.clone(),
        caller.clone(),
        primary.clone(),
        reservation,
    );

    // 8. cache lookup (part B); a hit of the other kind (stream vs JSON) is no answer.
    let is_stream = request.is_stream();
    if let Some(hit) = state
        .edge
        .cache_lookup(&caller, endpoint, primary, &body)
        .await
    {
        let res = match (hit, is_stream) {
            (CachedReply::Stream(chunks), true) => Some(stream::replay(chunks)),
            (CachedReply::Json(v), false) => {
                let mut r = Json(v).into_response();
                r.headers_mut()
                    .insert("x-cache", HeaderValue::from_static("hit"));
                Some(r)
            }
            _ => None,
        };
        if let Some(res) = res {
            charge.settle(Outcome::Nothing).await;
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
    // A failed upstream made nothing for the client, so it is charged nothing (providers do not
    // bill failed requests either). If the client leaves while this waits, the future is
    // dropped, and so is the charge: it settles as abandoned.
    if is_stream {
        let opened = match retry::open_stream(state, &chain, &request).await {
            Ok(opened) => opened,
            Err(e) => {
                charge.settle(Outcome::Nothing).await;
                return Err(e.into_app_error());
            }
        };
        charge.served_by(&opened.route);
        // 10–12 happen in the stream as it ends (usage, cache store, metrics).
        let job = StreamJob {
            state: state.clone(),
            caller,
            request,
            body,
            started,
        };
        return Ok(stream::respond(job, charge, opened));
    }
    let (answer, route) = match retry::call(state, &chain, &request).await {
        Ok(served) => served,
        Err(e) => {
            charge.settle(Outcome::Nothing).await;
            return Err(e.into_app_error());
        }
    };
    labels.model.clone_from(&route.alias);

    // 10. settle the reservation to what the upstream reported (or the estimate).
    let (usage, estimated) = usage::of_answer(&request, &answer);
    charge.served_by(&route);
    charge.settle(Outcome::Used { usage, estimated }).await;

    // 11. cache store (part B).
    state
        .edge
        .cache_store(
            &caller,
            endpoint,
            &route,
            &body,
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

/// Reads the body within the size limit. Done here rather than with tower-http's
/// `RequestBodyLimitLayer` so that it runs after authentication and answers 413 with the OpenAI
/// error body. (No global `TimeoutLayer` either: it would cut long streams; the upstream
/// first-byte and idle timeouts bound every request instead.)
///
/// An oversized body is read to its end and discarded (up to [`DRAIN_BYTES`], within the same
/// deadline) before the 413 is sent: answering and closing while the client is still sending
/// resets the connection, and a client that writes its whole body before reading (most HTTP/1
/// clients) then sees a broken pipe instead of the 413. The 413 closes the connection.
async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    idle: std::time::Duration,
) -> Result<bytes::Bytes, AppError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Too much to be worth reading only to refuse it: answer at once.
    if declared.is_some_and(|len| len > DRAIN_BYTES) {
        return Err(AppError::PayloadTooLarge);
    }
    // A declared length over the limit is refused without keeping a byte.
    let mut too_big = declared.is_some_and(|len| len > limit as u64);
    let mut kept = bytes::BytesMut::new();
    let mut seen: u64 = 0;
    let mut frames = body.into_data_stream();
    // A client that trickles its body must not hold the connection forever.
    let deadline = tokio::time::Instant::now() + idle;
    loop {
        let next = match tokio::time::timeout_at(deadline, frames.next()).await {
            Ok(next) => next,
            // Out of time while discarding: the answer is still the 413.
            Err(_) if too_big => break,
            Err(_) => return Err(AppError::RequestTimeout),
        };
        let chunk = match next {
            None => break,
            Some(Ok(chunk)) => chunk,
            Some(Err(_)) if too_big => break,
            Some(Err(_)) => {
                return Err(AppError::InvalidRequest(
                    "could not read the request body".to_owned(),
                ));
            }
        };
        seen += chunk.len() as u64;
        if too_big || seen > limit as u64 {
            too_big = true;
            kept = bytes::BytesMut::new();
            if seen > DRAIN_BYTES {
                break;
            }
            continue;
        }
        kept.extend_from_slice(&chunk);
    }
    if too_big {
        return Err(AppError::PayloadTooLarge);
    }
    Ok(kept.freeze())
}

/// How much of an oversized body is read (and thrown away) so the client can read its 413.
pub const DRAIN_BYTES: u64 = 16 * 1024 * 1024;
