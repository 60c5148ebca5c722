//! Offline-first sync, terminal side: the wire protocol shared with the central
//! (`protocol`, the `comptoir-protocol` crate), the mapping of the store's queued facts to it
//! (`wire`), the HTTP client (`client`) and the engine (`engine`: rounds, the background
//! task, backoff). The terminal's SQLite file stays the source of truth for the device; nothing
//! here may block the UI.

pub mod client;
pub mod engine;
pub mod wire;
pub use comptoir_protocol as protocol;
