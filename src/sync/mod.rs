//! Offline-first sync, terminal side: the wire protocol shared with the central
//! (`protocol`, the `comptoir-protocol` crate), the mapping of the store's queued facts to it
//! (`wire`) and of what the central sends to the store's records (`wire_in`), the HTTP client
//! (`client`) and the engine (`engine`: rounds, the background task, backoff). The terminal's SQLite file stays the source of truth for the device; nothing
//! here may block the UI.

pub mod client;
pub mod engine;
pub mod wire;
pub mod wire_in;
pub use comptoir_protocol as protocol;
