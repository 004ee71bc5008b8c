//! Caches that spare a request: the response cache for completions and chat answers, and
//! autocomplete's prefix cache ([`PrefixCache`]) that serves the rest of a shown suggestion while
//! the person types into it.
//!
//! The response cache is an LRU keyed by what decides the answer: the proxy alias, an xxh3-128
//! hash of the prompt, and a hash of the settings that change the output (temperature, top_p,
//! max_tokens, stop sequences, seed). It is bounded in entries and in bytes, and entries expire a
//! fixed time after they were stored; `now_ms` is always an argument. It serialises to JSON or to
//! a checksummed byte blob so the facade can keep it in IndexedDB; restoring drops expired
//! entries and refuses a blob that is not ours or is damaged, with an error, never a panic.

mod prefix;

pub use prefix::PrefixCache;

use lru::LruCache;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

/// Bytes charged per entry on top of its text and alias: the key's hashes, the timestamp and the
/// LRU's bookkeeping, so a flood of empty answers still counts against the byte bound.
pub const ENTRY_OVERHEAD_BYTES: usize = 64;

/// Bounds of a [`ResponseCache`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CacheConfig {
    /// At most this many entries.
    pub max_entries: usize,
    /// At most this many bytes of entries ([`ResponseCache::bytes`] counts them).
    pub max_bytes: usize,
    /// Entries expire this long after they were stored; `None` keeps them until evicted.
    pub ttl_ms: Option<u64>,
}

impl Default for CacheConfig {
    fn default() -> CacheConfig {
        CacheConfig {
            max_entries: 512,
            max_bytes: 4 << 20,
            ttl_ms: Some(24 * 60 * 60 * 1000),
        }
    }
}

/// The settings of a request that change what the model answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerationSettings {
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u32>,
    pub stop: Vec<String>,
    pub seed: Option<u64>,
}

impl GenerationSettings {
    /// A hash that is equal exactly when the settings are (up to hash collisions).
    fn fingerprint(&self) -> u64 {
        let mut h = Xxh3::new();
        let float = |h: &mut Xxh3, v: Option<f64>| match v {
            // 0.0 and -0.0 are the same temperature.
            Some(x) => h.update(&[&[1u8][..], &(x + 0.0).to_bits().to_le_bytes()].concat()),
            None => h.update(&[0u8]),
        };
        float(&mut h, self.temperature);
        float(&mut h, self.top_p);
        match self.max_tokens {
            Some(n) => h.update(&[&[1u8][..], &n.to_le_bytes()].concat()),
            None => h.update(&[0u8]),
        }
        match self.seed {
            Some(n) => h.update(&[&[1u8][..], &n.to_le_bytes()].concat()),
            None => h.update(&[0u8]),
        }
        h.update(&(self.stop.len() as u64).to_le_bytes());
        for s in &self.stop {
            update_part(&mut h, s);
        }
        h.digest()
    }
}

/// Length-prefixed, so that the parts `("ab", "c")` and `("a", "bc")` hash differently.
fn update_part(h: &mut Xxh3, part: &str) {
    h.update(&(part.len() as u64).to_le_bytes());
    h.update(part.as_bytes());
}

/// The xxh3-128 hash of a prompt given as its parts (e.g. a FIM prefix and suffix, or the
/// messages of a chat), each length-prefixed so part boundaries count.
pub fn prompt_hash(parts: &[&str]) -> u128 {
    let mut h = Xxh3::new();
    for p in parts {
        update_part(&mut h, p);
    }
    h.digest128()
}

/// What decides an answer: alias, prompt and settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CacheKey {
    pub model: String,
    /// [`prompt_hash`] of the prompt, as 32 hex digits (JSON numbers past 2^53 lose digits in JS).
    #[serde(with = "hex128")]
    pub prompt: u128,
    /// The settings' fingerprint, as 16 hex digits.
    #[serde(with = "hex64")]
    pub settings: u64,
}

impl CacheKey {
    /// The key for `model` answering the prompt made of `prompt_parts` with `settings`.
    pub fn new(model: &str, prompt_parts: &[&str], settings: &GenerationSettings) -> CacheKey {
        CacheKey {
            model: model.to_owned(),
            prompt: prompt_hash(prompt_parts),
            settings: settings.fingerprint(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    text: String,
    stored_ms: u64,
    bytes: usize,
}

fn entry_bytes(key: &CacheKey, text: &str) -> usize {
    ENTRY_OVERHEAD_BYTES + key.model.len() + text.len()
}

/// What [`ResponseCache::put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Stored (replacing an older answer under the same key, if any); `evicted` older entries
    /// were dropped to stay within bounds.
    Yes { evicted: usize },
    /// One entry would be larger than the whole byte bound; nothing changed.
    TooLarge,
}

/// The LRU of completions and chat answers.
#[derive(Debug)]
pub struct ResponseCache {
    config: CacheConfig,
    entries: LruCache<CacheKey, Entry>,
    bytes: usize,
}

impl Default for ResponseCache {
    fn default() -> ResponseCache {
        ResponseCache::new(CacheConfig::default())
    }
}

impl ResponseCache {
    /// An empty cache with `config`'s bounds.
    pub fn new(config: CacheConfig) -> ResponseCache {
        ResponseCache {
            config,
            // The entry bound is enforced by `shrink` together with the byte bound.
            entries: LruCache::unbounded(),
            bytes: 0,
        }
    }

    /// The bounds in force.
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    fn expired(&self, stored_ms: u64, now_ms: u64) -> bool {
        self.config
            .ttl_ms
            .is_some_and(|ttl| now_ms.saturating_sub(stored_ms) >= ttl)
    }

    /// The answer stored under `key`, if one is there and not expired at `now_ms`; a hit becomes
    /// the most recently used entry, an expired entry is dropped. O(1).
    pub fn get(&mut self, key: &CacheKey, now_ms: u64) -> Option<&str> {
        let stored_ms = self.entries.peek(key)?.stored_ms;
        if self.expired(stored_ms, now_ms) {
            if let Some(e) = self.entries.pop(key) {
                self.bytes -= e.bytes;
            }
            return None;
        }
        self.entries.get(key).map(|e| e.text.as_str())
    }

    /// Stores `text` under `key` at `now_ms`, evicting least recently used entries until both
    /// bounds hold. O(1) amortised (each eviction pays for an earlier insertion).
    pub fn put(&mut self, key: CacheKey, text: String, now_ms: u64) -> Stored {
        let bytes = entry_bytes(&key, &text);
        if bytes > self.config.max_bytes || self.config.max_entries == 0 {
            return Stored::TooLarge;
        }
        let entry = Entry {
            text,
            stored_ms: now_ms,
            bytes,
        };
        self.bytes += bytes;
        if let Some(old) = self.entries.put(key, entry) {
            self.bytes -= old.bytes;
        }
        Stored::Yes {
            evicted: self.shrink(),
        }
    }

    /// Drops least recently used entries until both bounds hold; returns how many.
    fn shrink(&mut self) -> usize {
        let mut evicted = 0;
        while self.entries.len() > self.config.max_entries || self.bytes > self.config.max_bytes {
            match self.entries.pop_lru() {
                Some((_, e)) => {
                    self.bytes -= e.bytes;
                    evicted += 1;
                }
                None => break,
            }
        }
        evicted
    }

    /// Forgets `key`'s answer; true if there was one.
    pub fn remove(&mut self, key: &CacheKey) -> bool {
        match self.entries.pop(key) {
            Some(e) => {
                self.bytes -= e.bytes;
                true
            }
            None => false,
        }
    }

    /// Drops every entry expired at `now_ms` (O(n); for a host that tidies before persisting).
    pub fn purge_expired(&mut self, now_ms: u64) -> usize {
        let expired: Vec<CacheKey> = self
            .entries
            .iter()
            .filter(|(_, e)| self.expired(e.stored_ms, now_ms))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &expired {
            self.remove(k);
        }
        expired.len()
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes charged for the entries: text, alias and [`ENTRY_OVERHEAD_BYTES`] each.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    fn persisted(&self) -> Persisted {
        Persisted {
            format: FORMAT.to_owned(),
            version: VERSION,
            // Least recently used first, so a restore that replays them keeps the order.
            entries: self
                .entries
                .iter()
                .rev()
                .map(|(k, e)| PersistedEntry {
                    key: k.clone(),
                    text: e.text.clone(),
                    stored_ms: e.stored_ms,
                })
                .collect(),
        }
    }

    /// The cache as JSON text (entries least recently used first).
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.persisted()).unwrap_or_default()
    }

    /// The cache as bytes: a magic tag, the format version, an xxh3-64 checksum of the payload,
    /// then the JSON payload, so a damaged or foreign blob is recognised before it is read.
    pub fn to_bytes(&self) -> Vec<u8> {
        let payload = self.to_json().into_bytes();
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&xxh3_64(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    /// A cache restored from [`ResponseCache::to_json`]'s text under `config` at `now_ms`:
    /// expired entries are dropped and the bounds of `config` (which may be smaller than the
    /// saved cache's) are enforced, least recently used first.
    pub fn from_json(json: &str, config: CacheConfig, now_ms: u64) -> Result<Self, CacheError> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| CacheError::Corrupt(e.to_string()))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(CacheError::Foreign);
        }
        let persisted: Persisted =
            serde_json::from_value(value).map_err(|e| CacheError::Corrupt(e.to_string()))?;
        if persisted.version != VERSION {
            return Err(CacheError::Version {
                found: persisted.version,
                supported: VERSION,
            });
        }
        let mut cache = ResponseCache::new(config);
        for e in persisted.entries {
            // A timestamp from the future (another clock) counts as stored now, so it cannot
            // outlive its TTL.
            let stored_ms = e.stored_ms.min(now_ms);
            if !cache.expired(stored_ms, now_ms) {
                cache.put(e.key, e.text, stored_ms);
            }
        }
        Ok(cache)
    }

    /// A cache restored from [`ResponseCache::to_bytes`]'s blob; see [`ResponseCache::from_json`].
    pub fn from_bytes(bytes: &[u8], config: CacheConfig, now_ms: u64) -> Result<Self, CacheError> {
        if bytes.len() < HEADER_LEN || &bytes[..MAGIC.len()] != MAGIC {
            return Err(CacheError::Foreign);
        }
        let word = |at: usize, n: usize| &bytes[at..at + n];
        let version = u32::from_le_bytes(word(8, 4).try_into().unwrap_or_default());
        if version != VERSION {
            return Err(CacheError::Version {
                found: version,
                supported: VERSION,
            });
        }
        let checksum = u64::from_le_bytes(word(12, 8).try_into().unwrap_or_default());
        let payload = &bytes[HEADER_LEN..];
        if xxh3_64(payload) != checksum {
            return Err(CacheError::Corrupt("checksum mismatch".to_owned()));
        }
        let json = std::str::from_utf8(payload).map_err(|e| CacheError::Corrupt(e.to_string()))?;
        ResponseCache::from_json(json, config, now_ms)
    }
}

const FORMAT: &str = "pilotfish-response-cache";
const VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"PFRCACHE";
const HEADER_LEN: usize = 8 + 4 + 8;

#[derive(Serialize, Deserialize)]
struct Persisted {
    format: String,
    version: u32,
    entries: Vec<PersistedEntry>,
}

#[derive(Serialize, Deserialize)]
struct PersistedEntry {
    key: CacheKey,
    text: String,
    stored_ms: u64,
}

/// A saved cache that cannot be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    #[error("not a Pilotfish response cache")]
    Foreign,
    #[error("response cache format version {found}; this build reads version {supported}")]
    Version { found: u32, supported: u32 },
    #[error("damaged response cache: {0}")]
    Corrupt(String),
}

mod hex128 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:032x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let s = String::deserialize(d)?;
        u128::from_str_radix(&s, 16).map_err(D::Error::custom)
    }
}

mod hex64 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:016x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        u64::from_str_radix(&s, 16).map_err(D::Error::custom)
    }
}
