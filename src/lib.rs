//! Comptoir: an offline-first in-store clienteling and point-of-sale terminal.
//!
//! Layers, from the inside out, each its own crate where the compiler can hold it: `domain`
//! (`comptoir-domain`: pure rules, no I/O), the sync protocol's wire types
//! (`comptoir-protocol`, as `sync::protocol`), `devices` (`comptoir-devices`: scanners, camera,
//! printer), and in this crate `store` (the terminal's only SQL), `sync` (the client side of the
//! protocol), `app` (one use case per function over the store), `ui` (Slint glue) and `cli` (the
//! headless commands). The central is its own crate, `comptoir-central`, which shares only the
//! domain and the protocol with the terminal.

pub use comptoir_devices as devices;
pub use comptoir_domain as domain;
pub use comptoir_host::{logging, private_files};

pub mod app;
pub mod cli;
pub mod config;
pub mod store;
pub mod sync;
pub mod ui;
