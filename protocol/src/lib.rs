//! Wire types shared by the browser plugin and the proxy: the OpenAI-compatible request and
//! response bodies Pilotfish speaks. Depends on serde only; knows nothing of engines or servers.
