//! The adaptive debounce on scripted keystroke timelines: a fast and a slow typist, bounds,
//! pauses, and when requests fire while someone types words with pauses between them.

use assist::debounce::{DebounceConfig, Debouncer};
use expect_test::expect;

/// Keystroke times for `keys` keys whose gaps cycle through `gaps`, starting at `start`.
fn timeline(start: u64, keys: usize, gaps: &[u64]) -> Vec<u64> {
    let mut t = start;
    (0..keys)
        .map(|i| {
            if i > 0 {
                t += gaps[(i - 1) % gaps.len()];
            }
            t
        })
        .collect()
}

/// The delay after each keystroke of `times`.
fn delays(d: &mut Debouncer, times: &[u64]) -> Vec<u64> {
    times.iter().map(|&t| d.on_keystroke(t)).collect()
}

const FAST: &[u64] = &[60, 80, 70, 95, 65, 110, 75, 85];
const SLOW: &[u64] = &[240, 310, 280, 350, 260, 330, 300, 290];

#[test]
fn fast_and_slow_typists_get_their_own_delay() {
    let mut fast = Debouncer::default();
    let mut slow = Debouncer::default();
    let f = delays(&mut fast, &timeline(0, 24, FAST));
    let s = delays(&mut slow, &timeline(0, 24, SLOW));
    // Until four gaps are known the delay is the initial 150 ms; then it follows the 90th
    // percentile (nearest rank) of the gaps seen so far.
    expect![[r#"
        fast: [150, 150, 150, 150, 95, 95, 110, 110, 110, 110, 95, 95, 95, 95, 110, 110, 110, 110, 110, 110, 95, 95, 110, 110]
        slow: [150, 150, 150, 150, 350, 350, 350, 350, 350, 350, 330, 330, 350, 350, 350, 350, 350, 350, 350, 350, 350, 350, 350, 350]"#]]
    .assert_eq(&format!("fast: {f:?}\nslow: {s:?}"));
    assert!(f.last() < s.last());
}

#[test]
fn the_delay_stays_within_its_bounds() {
    let config = DebounceConfig {
        min_ms: 80,
        max_ms: 250,
        ..DebounceConfig::default()
    };
    let mut frantic = Debouncer::new(config.clone());
    let mut pondering = Debouncer::new(config.clone());
    let f = delays(&mut frantic, &timeline(0, 40, &[15, 20, 25]));
    let p = delays(&mut pondering, &timeline(0, 40, &[700, 900, 1_100]));
    assert!(f.iter().chain(&p).all(|d| (80..=250).contains(d)));
    assert_eq!((f.last(), p.last()), (Some(&80), Some(&250)));
    // Bounds given upside down are made consistent rather than trusted.
    let odd = Debouncer::new(DebounceConfig {
        min_ms: 300,
        max_ms: 100,
        ..DebounceConfig::default()
    });
    assert_eq!((odd.config().min_ms, odd.config().max_ms), (300, 300));
    assert_eq!(odd.delay_ms(), 300);
}

#[test]
fn pauses_and_clock_jumps_are_not_learned_and_old_rhythm_is_forgotten() {
    let mut d = Debouncer::default();
    delays(&mut d, &timeline(0, 9, FAST));
    let learned = d.learned();
    let before = d.delay_ms();
    // A 5 s pause to think, then a clock that went backwards: neither is a typing gap.
    d.on_keystroke(20_000);
    d.on_keystroke(19_000);
    assert_eq!((d.learned(), d.delay_ms()), (learned, before));
    // After a window (32 gaps) of slow typing the fast rhythm is gone entirely.
    delays(&mut d, &timeline(30_000, 33, SLOW));
    assert_eq!(d.learned(), 32);
    assert_eq!(d.delay_ms(), 350);
}

/// Types `words` (each `len` keys with `FAST` gaps, `pause` ms apart), polling `should_fire`
/// every 10 ms as a host timer would. Returns how long after each word's last key a request
/// fired, and how many requests fired inside words (to be cancelled by the next key).
fn session(d: &mut Debouncer, words: usize, len: usize, pause: u64) -> (Vec<u64>, usize) {
    let mut keys = Vec::new();
    let mut start = 0;
    for _ in 0..words {
        let word = timeline(start, len, FAST);
        start = word[len - 1] + pause;
        keys.extend(word);
    }
    let (mut at_word_end, mut inside_words) = (Vec::new(), 0);
    let mut typed = 0;
    let end = keys[keys.len() - 1] + 1_000;
    for now in (0..=end).step_by(10) {
        while typed < keys.len() && keys[typed] <= now {
            d.on_keystroke(keys[typed]);
            typed += 1;
        }
        if d.should_fire(now) {
            if typed % len == 0 {
                at_word_end.push(now - keys[typed - 1]);
            } else {
                inside_words += 1;
            }
        }
    }
    (at_word_end, inside_words)
}

#[test]
fn requests_fire_at_pauses_and_rarely_inside_words() {
    let mut adaptive = Debouncer::default();
    let (at_word_end, inside) = session(&mut adaptive, 6, 8, 800);
    // Every word end fires once, at the learned delay (95 or 110 ms) rounded up to the 10 ms
    // poll; the 800 ms pauses are not learned as rhythm (counted, they would be one gap in eight
    // and push the 90th percentile to the 400 ms bound). Inside words, only the gaps above that
    // quantile fire (and the next key cancels them).
    expect!["[115, 110, 115, 110, 115, 110], 2 inside words"]
        .assert_eq(&format!("{at_word_end:?}, {inside} inside words"));

    // A fixed 50 ms debounce, too short for this typist, fires inside words all the time.
    let mut fixed = Debouncer::new(DebounceConfig {
        min_ms: 50,
        max_ms: 50,
        ..DebounceConfig::default()
    });
    let (fixed_ends, fixed_inside) = session(&mut fixed, 6, 8, 800);
    assert_eq!(fixed_ends.len(), 6);
    assert!(
        fixed_inside >= 6 * 7 - 1,
        "fixed 50 ms fired {fixed_inside} times inside words"
    );
    assert!(inside * 5 < fixed_inside);
}

#[test]
fn should_fire_says_yes_once_per_pending_request() {
    let mut d = Debouncer::default();
    assert!(!d.should_fire(0), "nothing typed, nothing pending");
    let delay = d.on_keystroke(1_000);
    assert_eq!(d.deadline(), Some(1_000 + delay));
    assert!(!d.should_fire(1_000 + delay - 1));
    assert!(d.should_fire(1_000 + delay));
    assert!(!d.should_fire(1_000 + delay + 500));
    d.on_keystroke(5_000);
    d.cancel();
    assert!(!d.should_fire(9_000));
}
