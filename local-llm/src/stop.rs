//! Stop sequences matched on the decoded text, not on tokens: a stop string such as `"\n\n"` may
//! arrive split over two tokens, or inside one token with text before it. The matcher holds back
//! exactly the tail that could still grow into a stop sequence, so nothing past a stop is ever
//! emitted and nothing before one is delayed longer than needed.

/// What one piece of new text produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Text that is safe to emit now (possibly empty); no stop sequence was met.
    Emit(String),
    /// A stop sequence was met: the text before it, and generation ends.
    Stop(String),
}

/// Finds the first occurrence of any stop sequence in a stream of text pieces.
#[derive(Debug, Default)]
pub struct StopMatcher {
    stops: Vec<String>,
    held: String,
}

impl StopMatcher {
    /// A matcher for these stop sequences; empty strings are ignored (they would stop at once).
    pub fn new(stops: &[String]) -> Self {
        StopMatcher {
            stops: stops.iter().filter(|s| !s.is_empty()).cloned().collect(),
            held: String::new(),
        }
    }

    /// Adds newly decoded text and says what can be emitted.
    pub fn push(&mut self, text: &str) -> Step {
        self.held.push_str(text);
        if let Some(at) = self.stops.iter().filter_map(|s| self.held.find(s)).min() {
            let before = self.held[..at].to_owned();
            self.held.clear();
            return Step::Stop(before);
        }
        let keep = self
            .stops
            .iter()
            .map(|s| partial_stop_len(&self.held, s))
            .max()
            .unwrap_or(0);
        let cut = self.held.len() - keep;
        let emit = self.held[..cut].to_owned();
        self.held.drain(..cut);
        Step::Emit(emit)
    }

    /// The text still held back when generation ends for another reason (length, end of text).
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.held)
    }
}

/// The length of the longest end of `text` that is a proper start of `stop`.
fn partial_stop_len(text: &str, stop: &str) -> usize {
    (1..stop.len())
        .rev()
        .filter(|&k| stop.is_char_boundary(k))
        .find(|&k| text.ends_with(&stop[..k]))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `pieces` and returns everything emitted, with `|` where generation stopped.
    fn check(stops: &[&str], pieces: &[&str], expect: &str) {
        let stops: Vec<String> = stops.iter().map(|s| s.to_string()).collect();
        let mut m = StopMatcher::new(&stops);
        let mut out = String::new();
        for piece in pieces {
            match m.push(piece) {
                Step::Emit(t) => out.push_str(&t),
                Step::Stop(t) => {
                    out.push_str(&t);
                    out.push('|');
                    assert_eq!(out, expect);
                    return;
                }
            }
        }
        out.push_str(&m.finish());
        assert_eq!(out, expect);
    }

    #[test]
    fn stop_inside_one_piece_keeps_the_text_before_it() {
        check(&["END"], &["abc", "dEND tail"], "abcd|");
    }

    #[test]
    fn stop_split_over_pieces_is_found() {
        check(&["\n\n"], &["one\n", "\ntwo"], "one|");
        check(&["<|end|>"], &["x<|", "en", "d|>y"], "x|");
    }

    #[test]
    fn a_false_start_is_released_once_it_cannot_match() {
        let stops = vec!["abc".to_string()];
        let mut m = StopMatcher::new(&stops);
        assert_eq!(m.push("xab"), Step::Emit("x".into()));
        assert_eq!(m.push("d"), Step::Emit("abd".into()));
    }

    #[test]
    fn earliest_stop_wins_and_empty_stops_are_ignored() {
        check(&["", "zz", "b"], &["abzz"], "a|");
    }

    #[test]
    fn held_text_is_flushed_at_the_end() {
        check(&["STOP"], &["go ST"], "go ST");
    }

    #[test]
    fn multibyte_stops_split_only_on_char_boundaries() {
        check(&["é!"], &["caf", "é", "!"], "caf|");
    }
}
