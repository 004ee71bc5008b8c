//! What the engine keeps between calls in the tab: the assistant's session and what only the
//! browser has, the autocomplete request in flight (its `AbortController`, aborted by the next
//! `complete`) and whether the response cache is being written to IndexedDB.

use web_sys::AbortController;

use super::Assistant;

/// The assistant's session and what only the browser has: the in-flight request's controller.
#[derive(Debug)]
pub struct Session {
    pub assistant: Assistant,
    /// The autocomplete request on the wire, aborted by the next `complete`.
    pub inflight: Option<AbortController>,
    /// A write of the response cache to IndexedDB is under way.
    pub saving: bool,
}
