//! The response cache (bounds, TTL, keys, persistence) and autocomplete's prefix cache
//! (typing into a shown suggestion, with `$0` marking the cursor in each fixture).

use assist::cache::{
    CacheConfig, CacheError, CacheKey, ENTRY_OVERHEAD_BYTES, GenerationSettings, PrefixCache,
    ResponseCache, Stored,
};
use expect_test::{Expect, expect};

fn key(prompt: &str) -> CacheKey {
    CacheKey::new("chat", &[prompt], &GenerationSettings::default())
}

/// Bytes an entry of `text` under alias "chat" is charged.
fn cost(text: &str) -> usize {
    ENTRY_OVERHEAD_BYTES + "chat".len() + text.len()
}

fn config(max_entries: usize, max_bytes: usize, ttl_ms: Option<u64>) -> CacheConfig {
    CacheConfig {
        max_entries,
        max_bytes,
        ttl_ms,
    }
}

/// The prompts still cached, probed without disturbing the LRU order of a clone.
fn present(cache: &ResponseCache, prompts: &[&str], now_ms: u64) -> Vec<String> {
    let json = cache.to_json();
    let mut probe = ResponseCache::from_json(&json, cache.config().clone(), now_ms).unwrap();
    prompts
        .iter()
        .filter(|p| probe.get(&key(p), now_ms).is_some())
        .map(|p| p.to_string())
        .collect()
}

#[test]
fn count_bound_evicts_the_least_recently_used() {
    let mut cache = ResponseCache::new(config(3, usize::MAX, None));
    for p in ["a", "b", "c"] {
        cache.put(key(p), format!("answer {p}"), 0);
    }
    // Reading "a" makes "b" the least recently used.
    assert_eq!(cache.get(&key("a"), 1), Some("answer a"));
    assert_eq!(
        cache.put(key("d"), "answer d".into(), 2),
        Stored::Yes { evicted: 1 }
    );
    assert_eq!(present(&cache, &["a", "b", "c", "d"], 3), ["a", "c", "d"]);
    assert_eq!(cache.len(), 3);
}

#[test]
fn byte_bound_evicts_until_the_new_entry_fits() {
    let ten = "x".repeat(10);
    let big = "y".repeat(25);
    // Room for three 10-byte answers, not for a fourth.
    let mut cache = ResponseCache::new(config(100, 3 * cost(&ten) + 5, None));
    for p in ["a", "b", "c"] {
        cache.put(key(p), ten.clone(), 0);
    }
    assert_eq!(cache.bytes(), 3 * cost(&ten));
    // A 25-byte answer needs two 10-byte entries gone.
    assert_eq!(
        cache.put(key("big"), big.clone(), 1),
        Stored::Yes { evicted: 2 }
    );
    assert_eq!(present(&cache, &["a", "b", "c", "big"], 2), ["c", "big"]);
    assert_eq!(cache.bytes(), cost(&ten) + cost(&big));
    // Replacing an answer charges the new size, not both.
    cache.put(key("c"), String::new(), 3);
    assert_eq!(cache.bytes(), cost("") + cost(&big));
    // An answer larger than the whole bound is refused and changes nothing.
    let huge = "z".repeat(4 * cost(&ten));
    assert_eq!(cache.put(key("huge"), huge, 4), Stored::TooLarge);
    assert_eq!(cache.len(), 2);
    assert!(cache.remove(&key("big")));
    assert_eq!(cache.bytes(), cost(""));
}

#[test]
fn entries_expire_their_ttl_after_being_stored() {
    let mut cache = ResponseCache::new(config(10, usize::MAX, Some(1_000)));
    cache.put(key("a"), "A".into(), 5_000);
    cache.put(key("b"), "B".into(), 5_500);
    assert_eq!(cache.get(&key("a"), 5_999), Some("A"));
    // Reading does not extend the life of an entry.
    assert_eq!(cache.get(&key("a"), 6_000), None);
    assert_eq!(cache.len(), 1, "the expired entry is dropped when found");
    assert_eq!(cache.purge_expired(6_499), 0);
    assert_eq!(cache.purge_expired(6_500), 1);
    assert!(cache.is_empty());
    assert_eq!(cache.bytes(), 0);
}

#[test]
fn keys_differ_by_alias_prompt_parts_and_settings() {
    let base = GenerationSettings {
        temperature: Some(0.0),
        max_tokens: Some(64),
        stop: vec!["\n\n".into()],
        ..GenerationSettings::default()
    };
    let k = |model: &str, parts: &[&str], s: &GenerationSettings| CacheKey::new(model, parts, s);
    let reference = k("autocomplete", &["ab", "c"], &base);
    assert_eq!(reference, k("autocomplete", &["ab", "c"], &base));
    // -0.0 and 0.0 are the same temperature.
    let negative_zero = GenerationSettings {
        temperature: Some(-0.0),
        ..base.clone()
    };
    assert_eq!(reference, k("autocomplete", &["ab", "c"], &negative_zero));
    let different = [
        k("chat", &["ab", "c"], &base),
        k("autocomplete", &["a", "bc"], &base),
        k("autocomplete", &["abc"], &base),
        k(
            "autocomplete",
            &["ab", "c"],
            &GenerationSettings {
                temperature: Some(0.2),
                ..base.clone()
            },
        ),
        k(
            "autocomplete",
            &["ab", "c"],
            &GenerationSettings {
                max_tokens: Some(65),
                ..base.clone()
            },
        ),
        k(
            "autocomplete",
            &["ab", "c"],
            &GenerationSettings {
                stop: vec!["\n".into(), "\n".into()],
                ..base.clone()
            },
        ),
        k(
            "autocomplete",
            &["ab", "c"],
            &GenerationSettings {
                max_tokens: None,
                ..base.clone()
            },
        ),
    ];
    for (i, d) in different.iter().enumerate() {
        assert_ne!(&reference, d, "variant {i}");
    }
    // Hashes cross to JS as hex strings, never as numbers beyond 2^53.
    let json = serde_json::to_value(&reference).unwrap();
    assert_eq!(json["prompt"].as_str().map(str::len), Some(32));
    assert_eq!(json["settings"].as_str().map(str::len), Some(16));
}

#[test]
fn round_trip_keeps_answers_order_and_drops_what_expired() {
    let mut cache = ResponseCache::new(config(10, usize::MAX, Some(10_000)));
    cache.put(key("old"), "stored at 0".into(), 0);
    for (i, p) in ["a", "b", "c"].iter().enumerate() {
        cache.put(key(p), format!("answer {p} ✓"), 5_000 + i as u64);
    }
    cache.get(&key("a"), 5_100); // "b" is now the least recently used live entry

    for (name, restored) in [
        (
            "json",
            ResponseCache::from_json(&cache.to_json(), cache.config().clone(), 12_000),
        ),
        (
            "bytes",
            ResponseCache::from_bytes(&cache.to_bytes(), cache.config().clone(), 12_000),
        ),
    ] {
        let mut restored = restored.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(restored.len(), 3, "{name}: the expired entry is gone");
        assert_eq!(
            restored.get(&key("c"), 12_000),
            Some("answer c ✓"),
            "{name}"
        );
        // A bound of two entries on restore keeps the two most recently used: c (just read), a.
        let small = config(2, usize::MAX, Some(10_000));
        let shrunk = ResponseCache::from_json(&restored.to_json(), small, 12_000).unwrap();
        assert_eq!(
            present(&shrunk, &["a", "b", "c"], 12_000),
            ["a", "c"],
            "{name}"
        );
        // Stored times survive: "a" expires 10 s after it was stored, not after the restore.
        assert_eq!(restored.get(&key("a"), 15_000), None, "{name}");
    }
}

#[test]
fn foreign_or_damaged_blobs_are_refused_without_panicking() {
    let mut cache = ResponseCache::default();
    cache.put(key("a"), "answer".into(), 0);
    let cfg = CacheConfig::default();
    let bytes = cache.to_bytes();

    assert_eq!(
        ResponseCache::from_bytes(b"not a cache at all", cfg.clone(), 0).unwrap_err(),
        CacheError::Foreign
    );
    assert_eq!(
        ResponseCache::from_json(
            r#"{"format":"something-else","entries":[]}"#,
            cfg.clone(),
            0
        )
        .unwrap_err(),
        CacheError::Foreign
    );
    let newer = cache.to_json().replace(r#""version":1"#, r#""version":2"#);
    assert_eq!(
        ResponseCache::from_json(&newer, cfg.clone(), 0).unwrap_err(),
        CacheError::Version {
            found: 2,
            supported: 1
        }
    );
    let bad_hash = cache.to_json().replace(r#""prompt":""#, r#""prompt":"zz"#);
    assert!(matches!(
        ResponseCache::from_json(&bad_hash, cfg.clone(), 0),
        Err(CacheError::Corrupt(_))
    ));
    // Every truncation and every single flipped byte is an error, never a panic or a wrong cache.
    for len in 0..bytes.len() {
        assert!(
            ResponseCache::from_bytes(&bytes[..len], cfg.clone(), 0).is_err(),
            "truncated to {len}"
        );
    }
    for at in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x20;
        assert!(
            ResponseCache::from_bytes(&damaged, cfg.clone(), 0).is_err(),
            "byte {at} flipped"
        );
    }
    let mut back = ResponseCache::from_bytes(&bytes, cfg, 0).unwrap();
    assert_eq!(back.get(&key("a"), 0), Some("answer"));
}

/// Splits a fixture at its `$0` cursor marker into the text before and after the cursor.
fn cursor(fixture: &str) -> (&str, &str) {
    fixture.split_once("$0").expect("fixture needs a $0 cursor")
}

/// Shows `suggestion` for the cursor in `request` in document "a.py", then renders what each of
/// `steps` (the same document later, its cursor marked) gets from the prefix cache.
fn check(request: &str, suggestion: &str, steps: &[&str], expect: Expect) {
    let mut cache = PrefixCache::default();
    let (before, after) = cursor(request);
    cache.remember("a.py", before, after, suggestion);
    let lines: Vec<String> = steps
        .iter()
        .map(|s| {
            let (before, after) = cursor(s);
            let got = cache.lookup("a.py", before, after).map(str::to_owned);
            format!("{:<28} -> {got:?}", s.replace('\n', "⏎"))
        })
        .collect();
    expect.assert_eq(&(lines.join("\n") + "\n"));
}

#[test]
fn typing_into_a_suggestion_serves_the_rest() {
    check(
        "def add(a, b):\n    ret$0\n",
        "urn a + b",
        &[
            "def add(a, b):\n    ret$0\n",
            "def add(a, b):\n    retu$0\n",
            "def add(a, b):\n    return a$0\n",
            // Deleting back towards the request's cursor reuses it too.
            "def add(a, b):\n    retur$0\n",
            "def add(a, b):\n    return a + b$0\n",
            // Typing the whole suggestion leaves nothing to show, but deleting back still works.
            "def add(a, b):\n    return $0\n",
        ],
        expect![[r#"
            def add(a, b):⏎    ret$0⏎    -> Some("urn a + b")
            def add(a, b):⏎    retu$0⏎   -> Some("rn a + b")
            def add(a, b):⏎    return a$0⏎ -> Some(" + b")
            def add(a, b):⏎    retur$0⏎  -> Some("n a + b")
            def add(a, b):⏎    return a + b$0⏎ -> None
            def add(a, b):⏎    return $0⏎ -> Some("a + b")
        "#]],
    );
}

#[test]
fn a_mismatch_forgets_the_suggestion() {
    check(
        "x = [$0]\n",
        "1, 2, 3",
        &[
            "x = [1, 2,$0]\n",
            // A character the suggestion does not have: forgotten, also if the person deletes it.
            "x = [1, 2,4$0]\n",
            "x = [1, 2,$0]\n",
        ],
        expect![[r#"
            x = [1, 2,$0]⏎               -> Some(" 3")
            x = [1, 2,4$0]⏎              -> None
            x = [1, 2,$0]⏎               -> None
        "#]],
    );
    check(
        "x = [$0]\n",
        "1, 2, 3",
        &[
            // Deleting past the request's cursor.
            "x = $0]\n",
        ],
        expect![[r#"
            x = $0]⏎                     -> None
        "#]],
    );
    check(
        "x = [$0]\n",
        "1, 2, 3",
        // An edit after the cursor forgets it (undoing the edit does not bring it back).
        &["x = [1$0])\n", "x = [1$0]\n"],
        expect![[r#"
            x = [1$0])⏎                  -> None
            x = [1$0]⏎                   -> None
        "#]],
    );
    check(
        "x = [$0]\n",
        "1, 2, 3",
        // So does an edit before the request's cursor.
        &["y = [1$0]\n"],
        expect![[r#"
            y = [1$0]⏎                   -> None
        "#]],
    );
}

#[test]
fn suggestions_are_per_document_and_bounded() {
    let mut cache = PrefixCache::new(2);
    cache.remember("a.rs", "let a = ", "", "1;");
    cache.remember("b.rs", "let b = ", "", "2;");
    assert_eq!(cache.lookup("b.rs", "let a = ", ""), None);
    cache.remember("b.rs", "let b = ", "", "2;");
    cache.remember("c.rs", "let c = ", "", "3;");
    // a.rs was the least recently used of three documents in a cache for two.
    assert_eq!(cache.lookup("a.rs", "let a = ", ""), None);
    assert_eq!(cache.lookup("c.rs", "let c = 3", ""), Some(";"));
    // Multi-byte text: the rest starts on a character boundary.
    cache.remember("c.rs", "s = \"", "\"", "héllo wörld");
    assert_eq!(cache.lookup("c.rs", "s = \"hé", "\""), Some("llo wörld"));
    cache.forget("c.rs");
    assert_eq!(cache.lookup("c.rs", "s = \"hé", "\""), None);
}
