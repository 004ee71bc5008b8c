//! Shared state behind one trait: windowed counters (rate limits, daily budgets) and a
//! key/value space with a TTL (the response cache).
//!
//! Two implementations: [`MemoryStore`] for a single process, and [`RedisStore`], chosen when
//! `cache.redis_url` is set, so that several proxy processes share one limit, one budget and
//! one cache. Time never comes from inside this module: callers pass `now_ms` (from a
//! [`Clock`]), so expiry is testable without sleeping. Redis still gets a real TTL on each key,
//! but only as garbage collection; correctness comes from window indexes in the key names.
//!
//! Redis trouble is bounded: every command waits at most `cache.redis_response_timeout_ms`
//! (a stopped server answers nothing, so without a bound a request would hang with it), and a
//! failed command opens a short circuit breaker during which commands fail at once instead of
//! each waiting out the timeout again. Callers turn failures into a 503 or admit uncounted,
//! as `limits.on_store_failure` says.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

/// Why the shared store could not answer. The text never contains the Redis URL (which may
/// carry a password).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("shared store unavailable: {0}")]
    Unavailable(String),
}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        // Only the kind and category: a RedisError's Display can echo connection details.
        StoreError::Unavailable(format!("redis error ({:?})", e.kind()))
    }
}

/// The one source of "now" for limits, budgets and cache expiry, in Unix milliseconds.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now_ms(&self) -> u64;
}

/// Wall-clock time; what the binary uses.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to; tests use it to cross window boundaries instantly.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    pub fn new(start_ms: u64) -> Self {
        Self(AtomicU64::new(start_ms))
    }
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }
    pub fn set(&self, ms: u64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Shared state used by limits, budgets and the cache.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Atomically adds `delta` to the counter `key` and returns the new total. A counter that
    /// does not exist (or has expired at `now_ms`) starts at zero and lives for `ttl`.
    /// `delta = 0` reads the counter.
    async fn incr(
        &self,
        key: &str,
        delta: u64,
        ttl: Duration,
        now_ms: u64,
    ) -> Result<u64, StoreError>;
    /// Atomically takes up to `amount` back from the counter `key` (never below zero) and
    /// returns the new total. A counter that does not exist (or has expired) stays absent: a
    /// reservation released after its window ended must not open a new one.
    async fn release(&self, key: &str, amount: u64, now_ms: u64) -> Result<u64, StoreError>;
    /// The value stored under `key`, unless absent or expired at `now_ms`.
    async fn get(&self, key: &str, now_ms: u64) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores `value` under `key` for `ttl`.
    async fn set(
        &self,
        key: &str,
        value: Vec<u8>,
        ttl: Duration,
        now_ms: u64,
    ) -> Result<(), StoreError>;
}

/// The config's bounds on a store: size for memory, time for Redis.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub max_entries: u64,
    pub max_bytes: u64,
    pub connect_timeout: Duration,
    pub response_timeout: Duration,
}

/// Opens the store the config asks for: Redis when a URL is given, memory otherwise (holding
/// at most `max_entries` values and `max_bytes` bytes).
pub async fn open(redis_url: Option<&str>, bounds: Bounds) -> Result<Arc<dyn Store>, StoreError> {
    match redis_url {
        Some(url) => Ok(Arc::new(
            RedisStore::connect_with(url, bounds.connect_timeout, bounds.response_timeout).await?,
        )),
        None => Ok(Arc::new(MemoryStore::bounded(
            bounds.max_entries,
            bounds.max_bytes,
        ))),
    }
}

/// In-process store. Counters live in a mutex-guarded map (a handful of keys per client and
/// minute, pruned as windows expire); values live in a moka cache bounded by bytes and entries.
#[derive(Debug)]
pub struct MemoryStore {
    counters: Mutex<HashMap<String, (u64, u64)>>,
    values: moka::future::Cache<String, (Vec<u8>, u64)>,
}

/// The byte bound of [`MemoryStore::new`] (the config's `cache.max_bytes` default).
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Prune expired counters once the map grows past this many keys, so that memory stays bounded
/// by the number of live windows rather than by uptime.
const PRUNE_AT: usize = 4096;

impl MemoryStore {
    /// A store of at most `max_entries` values within the default byte bound.
    pub fn new(max_entries: u64) -> Self {
        Self::bounded(max_entries, DEFAULT_MAX_BYTES)
    }

    /// A store of at most `max_entries` values and `max_bytes` bytes (keys and values).
    ///
    /// moka bounds one weight only, so both bounds become one: each entry weighs its bytes but
    /// never less than `max_bytes / max_entries`, so the bytes can never pass `max_bytes` and
    /// the count can never pass `max_entries`.
    pub fn bounded(max_entries: u64, max_bytes: u64) -> Self {
        let max_entries = max_entries.max(1);
        let max_bytes = max_bytes.max(1);
        let floor = u32::try_from(max_bytes / max_entries).unwrap_or(u32::MAX);
        Self {
            counters: Mutex::new(HashMap::new()),
            values: moka::future::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(move |key: &String, (value, _): &(Vec<u8>, u64)| {
                    u32::try_from(key.len() + value.len())
                        .unwrap_or(u32::MAX)
                        .max(floor)
                })
                .build(),
        }
    }

    /// Bytes of the values held now (with the per-entry floor), for tests and metrics.
    pub async fn value_bytes(&self) -> u64 {
        self.values.run_pending_tasks().await;
        self.values.weighted_size()
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn incr(
        &self,
        key: &str,
        delta: u64,
        ttl: Duration,
        now_ms: u64,
    ) -> Result<u64, StoreError> {
        let mut map = self
            .counters
            .lock()
            .map_err(|_| StoreError::Unavailable("counter map poisoned".into()))?;
        if map.len() >= PRUNE_AT {
            map.retain(|_, (_, expires)| *expires > now_ms);
        }
        let entry = map
            .entry(key.to_owned())
            .or_insert((0, now_ms + ttl.as_millis() as u64));
        if entry.1 <= now_ms {
            *entry = (0, now_ms + ttl.as_millis() as u64);
        }
        entry.0 = entry.0.saturating_add(delta);
        Ok(entry.0)
    }

    async fn release(&self, key: &str, amount: u64, now_ms: u64) -> Result<u64, StoreError> {
        let mut map = self
            .counters
            .lock()
            .map_err(|_| StoreError::Unavailable("counter map poisoned".into()))?;
        Ok(match map.get_mut(key) {
            Some(entry) if entry.1 > now_ms => {
                entry.0 = entry.0.saturating_sub(amount);
                entry.0
            }
            _ => 0,
        })
    }

    async fn get(&self, key: &str, now_ms: u64) -> Result<Option<Vec<u8>>, StoreError> {
        match self.values.get(key).await {
            Some((value, expires)) if expires > now_ms => Ok(Some(value)),
            Some(_) => {
                self.values.invalidate(key).await;
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn set(
        &self,
        key: &str,
        value: Vec<u8>,
        ttl: Duration,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let expires = now_ms + ttl.as_millis() as u64;
        // The weight counts the length; what is kept is the capacity, which a growing buffer
        // may have doubled.
        let mut value = value;
        value.shrink_to_fit();
        self.values.insert(key.to_owned(), (value, expires)).await;
        // moka evicts in batches when it gets round to it; a burst of large answers would sit
        // above the byte bound until then. Writes are rare (cache misses of temperature-0
        // requests), so evict now and keep the bound exact.
        self.values.run_pending_tasks().await;
        Ok(())
    }
}

/// Redis-backed store shared by several proxy processes.
#[derive(Clone)]
pub struct RedisStore {
    conn: redis::aio::ConnectionManager,
    incr_script: Arc<redis::Script>,
    release_script: Arc<redis::Script>,
    /// The longest one command may take, ours on top of the client's own timeouts: it also
    /// covers a reconnection in the middle of a command.
    response_timeout: Duration,
    /// Until when commands fail at once (a `tokio` instant as nanoseconds since `epoch`; 0 =
    /// closed). Set by a failed command, for [`RedisStore::cooldown`].
    open_until: Arc<AtomicU64>,
    epoch: tokio::time::Instant,
}

/// Circuit breaker: how long after a failed command the store fails at once. Long enough
/// that a burst of requests during an outage does not each wait out the response timeout,
/// short enough that service resumes about as soon as Redis does.
const COOLDOWN: Duration = Duration::from_secs(1);

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connection info may hold a password; never print it.
        f.write_str("RedisStore")
    }
}

/// INCRBY and the first PEXPIRE in one atomic step, so a crash between them can never leave
/// a counter without expiry (which would turn a one-minute window into a permanent ban).
const INCR_LUA: &str = r"
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return v
";

/// DECRBY on an existing key only (DECRBY keeps its expiry; creating it would leave a negative
/// counter with none), clamped at zero, in one atomic step.
const RELEASE_LUA: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local v = redis.call('DECRBY', KEYS[1], ARGV[1])
if v < 0 then
  v = redis.call('INCRBY', KEYS[1], -v)
end
return v
";

/// All keys live under this prefix so a shared Redis can hold other data too.
const PREFIX: &str = "pilotfish:";

impl RedisStore {
    /// Connects with the client's default timeouts (1 s to connect, 500 ms per command).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, Duration::from_secs(1), Duration::from_millis(500)).await
    }

    /// Connects, waiting at most `connect_timeout` for a connection (now and on every
    /// reconnection) and `response_timeout` for each command.
    pub async fn connect_with(
        url: &str,
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)
            .map_err(|_| StoreError::Unavailable("invalid redis_url".into()))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(connect_timeout))
            .set_response_timeout(Some(response_timeout))
            // One quick retry of the first connection, then the error: a proxy that cannot
            // reach its store at start says so instead of retrying for long.
            .set_number_of_retries(1);
        let conn = tokio::time::timeout(
            connect_timeout.saturating_mul(3),
            redis::aio::ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| StoreError::Unavailable("redis connect timed out".into()))??;
        Ok(Self {
            conn,
            incr_script: Arc::new(redis::Script::new(INCR_LUA)),
            release_script: Arc::new(redis::Script::new(RELEASE_LUA)),
            response_timeout,
            open_until: Arc::new(AtomicU64::new(0)),
            epoch: tokio::time::Instant::now(),
        })
    }

    fn now_nanos(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Runs one command within the response timeout, failing at once while the breaker is
    /// open and opening it when the command fails.
    async fn bounded<T>(
        &self,
        command: impl std::future::Future<Output = Result<T, redis::RedisError>>,
    ) -> Result<T, StoreError> {
        if self.now_nanos() < self.open_until.load(Ordering::Relaxed) {
            return Err(StoreError::Unavailable(
                "redis failed just now; not retried until the cooldown ends".into(),
            ));
        }
        let (error, unhealthy) = match tokio::time::timeout(self.response_timeout, command).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) => {
                let unhealthy = e.is_io_error()
                    || e.is_timeout()
                    || e.is_connection_dropped()
                    || e.is_connection_refusal();
                (StoreError::from(e), unhealthy)
            }
            Err(_) => (
                StoreError::Unavailable("redis command timed out".into()),
                true,
            ),
        };
        // A command refused by the server (a script error, a wrong type) says nothing about
        // its health; only IO trouble and timeouts open the breaker.
        if unhealthy {
            self.cooldown();
        }
        Err(error)
    }

    /// Opens the breaker for [`COOLDOWN`].
    fn cooldown(&self) {
        let until = self.now_nanos() + COOLDOWN.as_nanos() as u64;
        self.open_until.store(until, Ordering::Relaxed);
    }
}

fn ttl_ms(ttl: Duration) -> u64 {
    (ttl.as_millis() as u64).max(1)
}

#[async_trait]
impl Store for RedisStore {
    async fn incr(
        &self,
        key: &str,
        delta: u64,
        ttl: Duration,
        _now_ms: u64,
    ) -> Result<u64, StoreError> {
        let mut conn = self.conn.clone();
        let mut call = self.incr_script.key(format!("{PREFIX}{key}"));
        call.arg(delta).arg(ttl_ms(ttl));
        self.bounded(call.invoke_async::<u64>(&mut conn)).await
    }

    async fn release(&self, key: &str, amount: u64, _now_ms: u64) -> Result<u64, StoreError> {
        let mut conn = self.conn.clone();
        let mut call = self.release_script.key(format!("{PREFIX}{key}"));
        call.arg(amount);
        self.bounded(call.invoke_async::<u64>(&mut conn)).await
    }

    async fn get(&self, key: &str, _now_ms: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn.clone();
        let mut cmd = redis::cmd("GET");
        cmd.arg(format!("{PREFIX}{key}"));
        self.bounded(cmd.query_async::<Option<Vec<u8>>>(&mut conn))
            .await
    }

    async fn set(
        &self,
        key: &str,
        value: Vec<u8>,
        ttl: Duration,
        _now_ms: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let mut cmd = redis::cmd("SET");
        cmd.arg(format!("{PREFIX}{key}"))
            .arg(value)
            .arg("PX")
            .arg(ttl_ms(ttl));
        self.bounded(cmd.query_async::<()>(&mut conn)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn memory_counter_accumulates_then_expires() {
        let s = MemoryStore::new(10);
        assert_eq!(s.incr("a", 1, MIN, 1_000).await.unwrap(), 1);
        assert_eq!(s.incr("a", 2, MIN, 2_000).await.unwrap(), 3);
        assert_eq!(s.incr("a", 0, MIN, 60_999).await.unwrap(), 3);
        // The window opened at 1_000 ends at 61_000: the counter restarts.
        assert_eq!(s.incr("a", 1, MIN, 61_000).await.unwrap(), 1);
        assert_eq!(s.incr("b", 0, MIN, 61_000).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn memory_release_never_goes_below_zero_nor_revives_a_window() {
        let s = MemoryStore::new(10);
        s.incr("a", 10, MIN, 0).await.unwrap();
        assert_eq!(s.release("a", 4, 1).await.unwrap(), 6);
        assert_eq!(s.release("a", 40, 1).await.unwrap(), 0);
        assert_eq!(s.release("missing", 4, 1).await.unwrap(), 0);
        s.incr("b", 10, MIN, 0).await.unwrap();
        // After its window the counter is gone: releasing does not bring it back.
        assert_eq!(s.release("b", 4, 60_000).await.unwrap(), 0);
        assert_eq!(s.incr("b", 0, MIN, 60_000).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn memory_values_respect_ttl_from_the_callers_clock() {
        let s = MemoryStore::new(10);
        s.set("k", b"v".to_vec(), Duration::from_secs(5), 0)
            .await
            .unwrap();
        assert_eq!(s.get("k", 4_999).await.unwrap(), Some(b"v".to_vec()));
        assert_eq!(s.get("k", 5_000).await.unwrap(), None);
        assert_eq!(s.get("missing", 0).await.unwrap(), None);
    }

    #[tokio::test]
    async fn memory_counters_are_pruned_once_expired() {
        let s = MemoryStore::new(10);
        for i in 0..PRUNE_AT {
            s.incr(&format!("k{i}"), 1, MIN, 0).await.unwrap();
        }
        s.incr("fresh", 1, MIN, 120_000).await.unwrap();
        assert_eq!(s.counters.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn memory_values_are_bounded_by_bytes_and_by_count() {
        // 10 kB, or 10 entries: a 4 kB value weighs 4 kB, a 10-byte one weighs the 1 kB floor.
        let s = MemoryStore::bounded(10, 10_000);
        for i in 0..5 {
            s.set(&format!("big{i}"), vec![0; 4_000], MIN, 0)
                .await
                .unwrap();
        }
        assert!(s.value_bytes().await <= 10_000);
        let s = MemoryStore::bounded(10, 10_000);
        for i in 0..30 {
            s.set(&format!("small{i}"), vec![0; 10], MIN, 0)
                .await
                .unwrap();
        }
        assert!(s.value_bytes().await <= 10_000);
        s.values.run_pending_tasks().await;
        assert!(s.values.entry_count() <= 10, "{}", s.values.entry_count());
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(10);
        assert_eq!(c.now_ms(), 10);
        c.advance(Duration::from_secs(1));
        assert_eq!(c.now_ms(), 1_010);
        c.set(5);
        assert_eq!(c.now_ms(), 5);
    }
}
