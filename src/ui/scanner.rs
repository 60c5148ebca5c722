//! The serial scanner on screen: scans from the configured port open the product page like a
//! scan typed in the field, and the status bar follows the port (connected, disconnected).

use std::sync::mpsc;
use std::thread;

use slint::ComponentHandle;

use crate::config::Config;
use crate::devices::scanner::{ScannerEvent, ScannerHandle, ScannerStatus, spawn_scanner};

use super::worker::Worker;
use super::{AppWindow, DeviceState, StatusAdapter, scan};

/// Starts the reader when a port is configured; the handle stops it when dropped.
pub fn start(window: &AppWindow, worker: &Worker, config: &Config) -> Option<ScannerHandle> {
    let settings = config.serial_scanner()?;
    let (events_tx, events) = mpsc::channel();
    let handle = match spawn_scanner(settings, config.scan_config(), events_tx) {
        Ok(handle) => handle,
        Err(error) => {
            tracing::error!(%error, "cannot start the serial scanner");
            return None;
        }
    };
    let weak = window.as_weak();
    let worker = worker.clone();
    let forwarder = thread::Builder::new()
        .name("scanner-events".to_owned())
        .spawn(move || {
            for event in events {
                match event {
                    ScannerEvent::Scan(scanned) => scan::from_device(&weak, &worker, scanned.raw),
                    ScannerEvent::Status(status) => {
                        let state = match status {
                            ScannerStatus::Connected { .. } => DeviceState::Connected,
                            ScannerStatus::Connecting { .. } => DeviceState::Absent,
                            ScannerStatus::Disconnected { .. } => DeviceState::Disconnected,
                        };
                        let _ = weak.upgrade_in_event_loop(move |window| {
                            window.global::<StatusAdapter>().set_scanner(state);
                        });
                    }
                    ScannerEvent::Discarded(_) => {}
                }
            }
        });
    if let Err(error) = forwarder {
        tracing::error!(%error, "cannot start the scanner event thread");
        return None;
    }
    Some(handle)
}
