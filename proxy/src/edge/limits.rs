//! Per-client requests/minute, tokens/minute and daily dollar budgets over the shared
//! [`Store`], so that two proxy processes on one Redis enforce one limit.
//!
//! Why not tower_governor: it keeps its GCRA state in process memory and keys on what a tower
//! layer can see (peer IP, headers). Our limits are per authenticated client, must be shared
//! across processes through Redis, and the token limit and budget are only known after the
//! upstream answered. Fixed one-minute windows (`INCRBY` on a key named after the window) are
//! what a shared store can do atomically in one round trip, and their worst case (2× the limit
//! across a window edge) is acceptable for cost control.
//!
//! Flow per request: [`Limiter::admit`] before the upstream call (counts the request, checks
//! tokens already used this minute plus the prompt estimate, checks today's spend), then
//! [`Limiter::record`] once usage is known (adds tokens and cost).
//!
//! Known slack, accepted for one round trip per check: spend and tokens are charged when a
//! request ends, so requests already in flight when a budget or token limit runs out still
//! finish, and the total can overshoot by their cost.

use std::sync::Arc;
use std::time::Duration;

use super::store::{Store, StoreError};
use crate::state::Client;

const MINUTE_MS: u64 = 60_000;
const DAY_MS: u64 = 86_400_000;

/// Why a request may not go ahead.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    #[error("rate limit exceeded: {limit} requests per minute; retry after {retry_after_secs} s")]
    Requests { limit: u64, retry_after_secs: u64 },
    #[error("rate limit exceeded: {limit} tokens per minute; retry after {retry_after_secs} s")]
    Tokens { limit: u64, retry_after_secs: u64 },
    #[error("daily budget of ${budget_usd} exceeded; it resets at 00:00 UTC")]
    Budget {
        budget_usd: f64,
        retry_after_secs: u64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LimitError {
    /// Seconds for the `Retry-After` header, when the request may succeed later.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            LimitError::Requests {
                retry_after_secs, ..
            }
            | LimitError::Tokens {
                retry_after_secs, ..
            }
            | LimitError::Budget {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            LimitError::Store(_) => None,
        }
    }

    /// The OpenAI error `code` for the body.
    pub fn code(&self) -> &'static str {
        match self {
            LimitError::Requests { .. } | LimitError::Tokens { .. } => "rate_limit_exceeded",
            LimitError::Budget { .. } => "budget_exceeded",
            LimitError::Store(_) => "store_unavailable",
        }
    }
}

/// Applies limits for one process; cheap to clone.
#[derive(Debug, Clone)]
pub struct Limiter {
    store: Arc<dyn Store>,
}

fn secs_until(end_ms: u64, now_ms: u64) -> u64 {
    end_ms.saturating_sub(now_ms).div_ceil(1000).max(1)
}

fn minute_keys(client: &str, now_ms: u64) -> (String, String, u64) {
    let window = now_ms / MINUTE_MS;
    (
        format!("rpm:{client}:{window}"),
        format!("tpm:{client}:{window}"),
        (window + 1) * MINUTE_MS,
    )
}

fn budget_key(client: &str, now_ms: u64) -> (String, u64) {
    let day = now_ms / DAY_MS;
    (format!("spend:{client}:{day}"), (day + 1) * DAY_MS)
}

// Keys outlive their window a little so a clock skew between two processes cannot reset a
// counter early.
const MINUTE_TTL: Duration = Duration::from_secs(120);
const DAY_TTL: Duration = Duration::from_secs(2 * 86_400);

impl Limiter {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Admits one request of `client` with `prompt_tokens` estimated input, or says why not.
    pub async fn admit(
        &self,
        client: &Client,
        prompt_tokens: u64,
        now_ms: u64,
    ) -> Result<(), LimitError> {
        let (rpm_key, tpm_key, window_end) = minute_keys(&client.name, now_ms);
        if client.daily_budget_micro_usd > 0 {
            let (key, day_end) = budget_key(&client.name, now_ms);
            let spent = self.store.incr(&key, 0, DAY_TTL, now_ms).await?;
            if spent >= client.daily_budget_micro_usd {
                return Err(LimitError::Budget {
                    budget_usd: super::cost::micro_to_usd(client.daily_budget_micro_usd),
                    retry_after_secs: secs_until(day_end, now_ms),
                });
            }
        }
        if client.rpm > 0 {
            let n = self.store.incr(&rpm_key, 1, MINUTE_TTL, now_ms).await?;
            if n > client.rpm {
                return Err(LimitError::Requests {
                    limit: client.rpm,
                    retry_after_secs: secs_until(window_end, now_ms),
                });
            }
        }
        if client.tpm > 0 {
            let used = self.store.incr(&tpm_key, 0, MINUTE_TTL, now_ms).await?;
            // A single prompt larger than the whole limit could never pass; let it through
            // on an empty window rather than reject it forever.
            if used >= client.tpm || (used > 0 && used + prompt_tokens > client.tpm) {
                return Err(LimitError::Tokens {
                    limit: client.tpm,
                    retry_after_secs: secs_until(window_end, now_ms),
                });
            }
        }
        Ok(())
    }

    /// Counts one refused (401/403) request from `address` and fails once that address was
    /// refused more than `limit` times this minute. Keyed by address rather than by the
    /// presented token: a stranger can send a fresh token every time, but not a fresh address.
    pub async fn refusal(&self, address: &str, limit: u64, now_ms: u64) -> Result<(), LimitError> {
        let window = now_ms / MINUTE_MS;
        let key = format!("refused:{address}:{window}");
        let n = self.store.incr(&key, 1, MINUTE_TTL, now_ms).await?;
        if n > limit {
            return Err(LimitError::Requests {
                limit,
                retry_after_secs: secs_until((window + 1) * MINUTE_MS, now_ms),
            });
        }
        Ok(())
    }

    /// Records what a finished request used; returns today's spend in micro-dollars.
    pub async fn record(
        &self,
        client: &Client,
        tokens: u64,
        cost_micro_usd: u64,
        now_ms: u64,
    ) -> Result<u64, LimitError> {
        let (_, tpm_key, _) = minute_keys(&client.name, now_ms);
        if tokens > 0 {
            self.store
                .incr(&tpm_key, tokens, MINUTE_TTL, now_ms)
                .await?;
        }
        let (key, _) = budget_key(&client.name, now_ms);
        Ok(self
            .store
            .incr(&key, cost_micro_usd, DAY_TTL, now_ms)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::store::MemoryStore;

    fn client(rpm: u64, tpm: u64, budget: u64) -> Client {
        Client {
            name: "demo".into(),
            models: vec!["chat".into()],
            rpm,
            tpm,
            daily_budget_micro_usd: budget,
        }
    }

    fn limiter() -> Limiter {
        Limiter::new(Arc::new(MemoryStore::new(100)))
    }

    #[tokio::test]
    async fn requests_per_minute_with_retry_after_and_window_reset() {
        let l = limiter();
        let c = client(2, 0, 0);
        let t0 = 10 * MINUTE_MS + 15_500; // 15.5 s into a minute
        l.admit(&c, 0, t0).await.unwrap();
        l.admit(&c, 0, t0).await.unwrap();
        let e = l.admit(&c, 0, t0).await.unwrap_err();
        assert_eq!(e.code(), "rate_limit_exceeded");
        assert_eq!(e.retry_after_secs(), Some(45)); // 44.5 s, rounded up
        l.admit(&c, 0, 11 * MINUTE_MS).await.unwrap();
    }

    #[tokio::test]
    async fn tokens_per_minute_counts_recorded_usage() {
        let l = limiter();
        let c = client(0, 100, 0);
        // An oversize prompt on an empty window still goes through.
        l.admit(&c, 500, 0).await.unwrap();
        l.record(&c, 90, 0, 0).await.unwrap();
        l.admit(&c, 10, 0).await.unwrap();
        let e = l.admit(&c, 11, 1_000).await.unwrap_err();
        assert!(matches!(e, LimitError::Tokens { limit: 100, .. }), "{e:?}");
        assert_eq!(e.retry_after_secs(), Some(59));
        l.admit(&c, 11, MINUTE_MS).await.unwrap();
    }

    #[tokio::test]
    async fn budget_blocks_until_the_next_utc_day() {
        let l = limiter();
        let c = client(0, 0, 1_000);
        let noon = 20_000 * DAY_MS + DAY_MS / 2;
        l.admit(&c, 0, noon).await.unwrap();
        assert_eq!(l.record(&c, 0, 600, noon).await.unwrap(), 600);
        l.admit(&c, 0, noon).await.unwrap();
        assert_eq!(l.record(&c, 0, 600, noon).await.unwrap(), 1_200);
        let e = l.admit(&c, 0, noon).await.unwrap_err();
        assert_eq!(e.code(), "budget_exceeded");
        assert_eq!(e.retry_after_secs(), Some(43_200));
        assert!(e.to_string().contains("$0.001 "), "{e}");
        l.admit(&c, 0, noon + DAY_MS / 2).await.unwrap();
    }

    #[tokio::test]
    async fn clients_do_not_share_windows() {
        let l = limiter();
        let a = client(1, 0, 0);
        let b = Client {
            name: "other".into(),
            ..a.clone()
        };
        l.admit(&a, 0, 0).await.unwrap();
        l.admit(&b, 0, 0).await.unwrap();
        assert!(l.admit(&a, 0, 0).await.is_err());
    }
}
