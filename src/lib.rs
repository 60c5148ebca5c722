//! Comptoir: an offline-first in-store clienteling and point-of-sale terminal.
//!
//! Layers, from the inside out: `domain` (pure rules, no I/O), `store` (the only SQL), `devices`
//! (scanners, camera, printer), `sync` and `central` (the sync protocol's two sides), `app` (one use
//! case per function over the store), `ui` (Slint glue) and `cli` (the headless commands).

pub mod app;
pub mod central;
pub mod cli;
pub mod config;
pub mod devices;
pub mod domain;
pub mod logging;
pub mod private_files;
pub mod store;
pub mod sync;
pub mod ui;
