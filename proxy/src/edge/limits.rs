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
//! Flow per request: [`Limiter::admit`] before the upstream call counts the request and
//! reserves its estimate (prompt + `n` × `max_tokens`) in this minute's tokens and today's
//! spend, refusing it (and taking the reservation back) when that would pass a limit; then
//! [`Limiter::settle`] once the request ended corrects both counters from the reservation to
//! what was used, in the windows the reservation was made in. Requests in flight therefore
//! count against the limits with their worst case, and a client cannot run many expensive
//! requests at once on a budget that covers one.
//!
//! Known slack: when the upstream reports more than was reserved (the 4-bytes-per-token prompt
//! estimate was low, or no `max_tokens` was sent and the alias's default was passed), the total
//! can overshoot by the difference.

use std::sync::Arc;
use std::time::Duration;

use super::store::{Store, StoreError};
use crate::state::{Client, Reservation};

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
    /// One request whose reservation alone is more than the whole daily budget: waiting does
    /// not help, only a smaller `max_tokens` (or `n`) does.
    #[error(
        "this request may cost up to ${cost_usd} (its prompt plus n × max_tokens), more than the \
         daily budget of ${budget_usd}; lower max_tokens or n"
    )]
    OverBudget { cost_usd: f64, budget_usd: f64 },
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
            LimitError::OverBudget { .. } | LimitError::Store(_) => None,
        }
    }

    /// The OpenAI error `code` for the body.
    pub fn code(&self) -> &'static str {
        match self {
            LimitError::Requests { .. } | LimitError::Tokens { .. } => "rate_limit_exceeded",
            LimitError::Budget { .. } => "budget_exceeded",
            LimitError::OverBudget { .. } => "request_over_budget",
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

    /// Admits one request of `client`, reserving `tokens` and `micro_usd` (its estimate), or
    /// says why not. The reservation is what [`Limiter::settle`] later corrects.
    pub async fn admit(
        &self,
        client: &Client,
        tokens: u64,
        micro_usd: u64,
        now_ms: u64,
    ) -> Result<Reservation, LimitError> {
        let (rpm_key, tpm_key, window_end) = minute_keys(&client.name, now_ms);
        let mut held = Reservation {
            at_ms: now_ms,
            ..Reservation::default()
        };
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
            let used = self
                .store
                .incr(&tpm_key, tokens, MINUTE_TTL, now_ms)
                .await?;
            let before = used - tokens;
            // A single request larger than the whole limit could never pass; let it through
            // on an empty window rather than reject it forever.
            if before >= client.tpm || (before > 0 && used > client.tpm) {
                self.store.release(&tpm_key, tokens, now_ms).await?;
                return Err(LimitError::Tokens {
                    limit: client.tpm,
                    retry_after_secs: secs_until(window_end, now_ms),
                });
            }
            held.tokens = tokens;
        }
        if client.daily_budget_micro_usd > 0 {
            let budget = client.daily_budget_micro_usd;
            let refused = if micro_usd > budget {
                Some(LimitError::OverBudget {
                    cost_usd: super::cost::micro_to_usd(micro_usd),
                    budget_usd: super::cost::micro_to_usd(budget),
                })
            } else {
                let (key, day_end) = budget_key(&client.name, now_ms);
                let spent = self.store.incr(&key, micro_usd, DAY_TTL, now_ms).await?;
                // Spent already, or this request's worst case does not fit in what is left.
                let over = spent - micro_usd >= budget || spent > budget;
                if over {
                    self.store.release(&key, micro_usd, now_ms).await?;
                }
                over.then(|| LimitError::Budget {
                    budget_usd: super::cost::micro_to_usd(budget),
                    retry_after_secs: secs_until(day_end, now_ms),
                })
            };
            if let Some(e) = refused {
                if held.tokens > 0 {
                    self.store.release(&tpm_key, held.tokens, now_ms).await?;
                }
                return Err(e);
            }
            held.micro_usd = micro_usd;
        }
        Ok(held)
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

    /// Settles what `held` reserved to what the request used (`tokens`, `micro_usd`), in the
    /// windows it was reserved in; returns that day's spend in micro-dollars.
    pub async fn settle(
        &self,
        client: &Client,
        held: Reservation,
        tokens: u64,
        micro_usd: u64,
    ) -> Result<u64, LimitError> {
        let at = held.at_ms;
        let (_, tpm_key, _) = minute_keys(&client.name, at);
        self.correct(&tpm_key, held.tokens, tokens, MINUTE_TTL, at)
            .await?;
        let (key, _) = budget_key(&client.name, at);
        self.correct(&key, held.micro_usd, micro_usd, DAY_TTL, at)
            .await
    }

    /// Moves a counter from `reserved` to `used`: one round trip either way.
    async fn correct(
        &self,
        key: &str,
        reserved: u64,
        used: u64,
        ttl: Duration,
        at_ms: u64,
    ) -> Result<u64, LimitError> {
        Ok(if used >= reserved {
            self.store.incr(key, used - reserved, ttl, at_ms).await?
        } else {
            self.store.release(key, reserved - used, at_ms).await?
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::store::MemoryStore;

    fn client(rpm: u64, tpm: u64, budget: u64) -> Client {
        Client {
            name: "demo".into(),
            label: "demo".into(),
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
        l.admit(&c, 0, 0, t0).await.unwrap();
        l.admit(&c, 0, 0, t0).await.unwrap();
        let e = l.admit(&c, 0, 0, t0).await.unwrap_err();
        assert_eq!(e.code(), "rate_limit_exceeded");
        assert_eq!(e.retry_after_secs(), Some(45)); // 44.5 s, rounded up
        l.admit(&c, 0, 0, 11 * MINUTE_MS).await.unwrap();
    }

    #[tokio::test]
    async fn tokens_per_minute_hold_reservations_until_settled() {
        let l = limiter();
        let c = client(0, 100, 0);
        // An oversize request on an empty window still goes through; it used 90.
        let big = l.admit(&c, 500, 0, 0).await.unwrap();
        assert_eq!(big.tokens, 500);
        assert_eq!(l.settle(&c, big, 90, 0).await.unwrap(), 0);
        // 10 more fit while reserved; one more does not.
        let held = l.admit(&c, 10, 0, 0).await.unwrap();
        let e = l.admit(&c, 1, 0, 1_000).await.unwrap_err();
        assert!(matches!(e, LimitError::Tokens { limit: 100, .. }), "{e:?}");
        assert_eq!(e.retry_after_secs(), Some(59));
        // Settled at nothing used, the reservation is free again.
        l.settle(&c, held, 0, 0).await.unwrap();
        l.admit(&c, 10, 0, 1_000).await.unwrap();
        l.admit(&c, 11, 0, MINUTE_MS).await.unwrap();
    }

    #[tokio::test]
    async fn budget_reservations_block_until_settled_or_the_next_utc_day() {
        let l = limiter();
        let c = client(0, 0, 1_000);
        let noon = 20_000 * DAY_MS + DAY_MS / 2;
        let first = l.admit(&c, 0, 600, noon).await.unwrap();
        assert_eq!(first.micro_usd, 600);
        // While it is in flight, a second worst case of 600 does not fit.
        let e = l.admit(&c, 0, 600, noon).await.unwrap_err();
        assert_eq!(e.code(), "budget_exceeded");
        // It used 300: settled, a second one fits, and uses 700.
        assert_eq!(l.settle(&c, first, 0, 300).await.unwrap(), 300);
        let second = l.admit(&c, 0, 600, noon).await.unwrap();
        assert_eq!(l.settle(&c, second, 0, 700).await.unwrap(), 1_000);
        let e = l.admit(&c, 0, 0, noon).await.unwrap_err();
        assert_eq!(e.code(), "budget_exceeded");
        assert_eq!(e.retry_after_secs(), Some(43_200));
        assert!(e.to_string().contains("$0.001 "), "{e}");
        // A worst case above the whole budget can never fit: no Retry-After, a 400's code.
        let e = l.admit(&c, 0, 1_001, noon + DAY_MS / 2).await.unwrap_err();
        assert_eq!(
            (e.code(), e.retry_after_secs()),
            ("request_over_budget", None)
        );
        l.admit(&c, 0, 1_000, noon + DAY_MS / 2).await.unwrap();
    }

    #[tokio::test]
    async fn a_reservation_settles_in_the_windows_it_was_made_in() {
        let l = limiter();
        let c = client(0, 100, 1_000);
        let held = l.admit(&c, 50, 500, MINUTE_MS - 1).await.unwrap();
        // Settled in the next minute: this minute's window is untouched by it.
        l.settle(&c, held, 40, 400).await.unwrap();
        let next = l.admit(&c, 100, 0, MINUTE_MS).await.unwrap();
        assert_eq!(next.tokens, 100);
    }

    #[tokio::test]
    async fn clients_do_not_share_windows() {
        let l = limiter();
        let a = client(1, 0, 0);
        let b = Client {
            name: "other".into(),
            ..a.clone()
        };
        l.admit(&a, 0, 0, 0).await.unwrap();
        l.admit(&b, 0, 0, 0).await.unwrap();
        assert!(l.admit(&a, 0, 0, 0).await.is_err());
    }
}
