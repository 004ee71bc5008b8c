//! How long autocomplete waits after a keystroke before it asks the model, learned from the
//! person's own typing rhythm.
//!
//! The delay is a high quantile (by default the 90th percentile) of the person's recent
//! inter-keystroke gaps, clamped to `[min_ms, max_ms]`: while a fast typist is mid-word the next
//! key usually comes sooner than that, so no request is wasted; once no key has come for longer
//! than their usual gap they have most likely paused, and the request starts at once rather than
//! after a fixed delay tuned for someone else. A slow typist gets a longer delay for the same
//! reason.
//!
//! The quantile is computed exactly over a sliding window of the last `window` gaps (bounded
//! memory; a window rather than an exponentially weighted estimate because it is exact, easy to
//! reason about in tests and forgets an old rhythm in a known number of keystrokes).
//!
//! Pauses are not rhythm and are not learned: a gap is a pause when it is longer than
//! `pause_factor` times the person's median gap (and longer than `max_ms`, so a slow typist's
//! gaps up to the bound are always learned), or longer than `pause_ms` in any case. Without
//! that, someone who stops for most of a second after every few keys would push the quantile,
//! and so the delay, up to the bound. Time is an argument (milliseconds from any fixed origin);
//! nothing here reads a clock.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// Bounds and learning settings for [`Debouncer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DebounceConfig {
    /// The delay never goes below this.
    pub min_ms: u64,
    /// Nor above this.
    pub max_ms: u64,
    /// The delay until `min_samples` gaps have been learned.
    pub initial_ms: u64,
    /// Which quantile of the recent gaps the delay follows, in `[0, 1]`.
    pub quantile: f64,
    /// How many recent gaps are remembered.
    pub window: usize,
    /// How many gaps must be learned before the quantile replaces `initial_ms`.
    pub min_samples: usize,
    /// Gaps longer than this are always pauses (the person stopped to think), not rhythm.
    pub pause_ms: u64,
    /// Gaps longer than this many times the median learned gap (and than `max_ms`) are pauses.
    pub pause_factor: f64,
}

impl Default for DebounceConfig {
    fn default() -> DebounceConfig {
        DebounceConfig {
            min_ms: 50,
            max_ms: 400,
            initial_ms: 150,
            quantile: 0.9,
            window: 32,
            min_samples: 4,
            pause_ms: 1_500,
            pause_factor: 4.0,
        }
    }
}

/// The adaptive debounce timer of one editor.
#[derive(Debug, Clone)]
pub struct Debouncer {
    config: DebounceConfig,
    gaps: VecDeque<u64>,
    last_keystroke: Option<u64>,
    /// When the pending request should start; `None` when nothing is pending.
    deadline: Option<u64>,
}

impl Default for Debouncer {
    fn default() -> Debouncer {
        Debouncer::new(DebounceConfig::default())
    }
}

impl Debouncer {
    /// A debouncer with `config`, made consistent: `max_ms` is raised to `min_ms` if below it,
    /// the quantile is clamped to `[0, 1]`, the window holds at least one gap, and a pause factor
    /// below 1 (which would call ordinary gaps pauses) falls back to the default.
    pub fn new(mut config: DebounceConfig) -> Debouncer {
        config.max_ms = config.max_ms.max(config.min_ms);
        config.quantile = if config.quantile.is_nan() {
            DebounceConfig::default().quantile
        } else {
            config.quantile.clamp(0.0, 1.0)
        };
        config.window = config.window.max(1);
        config.min_samples = config.min_samples.clamp(1, config.window);
        if config.pause_factor.is_nan() || config.pause_factor < 1.0 {
            config.pause_factor = DebounceConfig::default().pause_factor;
        }
        Debouncer {
            gaps: VecDeque::with_capacity(config.window),
            config,
            last_keystroke: None,
            deadline: None,
        }
    }

    /// The settings in force (after [`Debouncer::new`] made them consistent).
    pub fn config(&self) -> &DebounceConfig {
        &self.config
    }

    /// A key was typed at `now_ms`: learns the gap since the previous one, (re)arms the timer and
    /// returns the delay until [`Debouncer::should_fire`] will say yes.
    pub fn on_keystroke(&mut self, now_ms: u64) -> u64 {
        if let Some(last) = self.last_keystroke {
            // A clock that went backwards gives no usable gap.
            if let Some(gap) = now_ms.checked_sub(last)
                && gap <= self.pause_cutoff()
            {
                if self.gaps.len() == self.config.window {
                    self.gaps.pop_front();
                }
                self.gaps.push_back(gap);
            }
        }
        self.last_keystroke = Some(now_ms);
        let delay = self.delay_ms();
        self.deadline = Some(now_ms.saturating_add(delay));
        delay
    }

    /// True once, when a request is pending and its delay has passed at `now_ms`; the pending
    /// request is then consumed (the next yes needs another keystroke).
    pub fn should_fire(&mut self, now_ms: u64) -> bool {
        match self.deadline {
            Some(d) if now_ms >= d => {
                self.deadline = None;
                true
            }
            _ => false,
        }
    }

    /// When the pending request is due, if one is pending (for a host that sets one timer).
    pub fn deadline(&self) -> Option<u64> {
        self.deadline
    }

    /// Drops the pending request (the editor lost focus, the suggestion was served from cache).
    pub fn cancel(&mut self) {
        self.deadline = None;
    }

    /// The delay the next keystroke would get: the configured quantile of the learned gaps,
    /// clamped to the bounds, or `initial_ms` (clamped) until enough gaps are learned.
    pub fn delay_ms(&self) -> u64 {
        let c = &self.config;
        let raw = if self.gaps.len() < c.min_samples {
            c.initial_ms
        } else {
            let mut sorted: Vec<u64> = self.gaps.iter().copied().collect();
            sorted.sort_unstable();
            // Nearest rank: the smallest gap with at least `quantile` of the gaps at or below it.
            let rank = (c.quantile * sorted.len() as f64).ceil() as usize;
            sorted[rank.clamp(1, sorted.len()) - 1]
        };
        raw.clamp(c.min_ms, c.max_ms)
    }

    /// The longest gap that still counts as typing rhythm.
    fn pause_cutoff(&self) -> u64 {
        let c = &self.config;
        if self.gaps.len() < c.min_samples {
            return c.pause_ms;
        }
        let mut sorted: Vec<u64> = self.gaps.iter().copied().collect();
        sorted.sort_unstable();
        let median = sorted[(sorted.len() - 1) / 2] as f64;
        let relative = (median * c.pause_factor).min(u64::MAX as f64) as u64;
        relative.max(c.max_ms).min(c.pause_ms)
    }

    /// How many gaps are learned (at most `window`).
    pub fn learned(&self) -> usize {
        self.gaps.len()
    }
}
