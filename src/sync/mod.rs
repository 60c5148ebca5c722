//! Offline-first sync, terminal side: the wire protocol shared with the central
//! (`protocol`, the `comptoir-protocol` crate), the HTTP client (`client`) and the engine (`engine`: rounds, the background
//! task, backoff). The terminal's SQLite file stays the source of truth for the device; nothing
//! here may block the UI.

pub mod client;
pub mod engine;
pub use comptoir_protocol as protocol;
