//! The serial scanner on screen: scans from the configured port, parsed once by the reader's
//! thread, go to whichever window the mode shows (`app::scan_route` decides where), and the device's state is reported as it changes
//! (connected, disconnected).

use std::sync::mpsc;
use std::thread;

use slint::ComponentHandle;

use crate::config::Config;
use crate::devices::scanner::{ScannerEvent, ScannerHandle, ScannerStatus, spawn_scanner};

use super::worker::Worker;
use super::{AppWindow, DeviceState, StatusAdapter, scan};

/// Starts the reader when a port is configured; the handle stops it when dropped. `on_scan`
/// receives each code as the reader's thread parsed it and `on_state` the port's state, both on the reader's event
/// thread (never the UI thread).
pub fn start(
    config: &Config,
    on_scan: impl Fn(crate::app::scan_route::Scan) + Send + 'static,
    on_state: impl Fn(DeviceState) + Send + 'static,
) -> Option<ScannerHandle> {
    let settings = config.serial_scanner()?;
    let (events_tx, events) = mpsc::channel();
    let handle = match spawn_scanner(settings, config.scan_config(), events_tx) {
        Ok(handle) => handle,
        Err(error) => {
            tracing::error!(%error, "cannot start the serial scanner");
            return None;
        }
    };
    let forwarder = thread::Builder::new()
        .name("scanner-events".to_owned())
        .spawn(move || {
            for event in events {
                match event {
                    ScannerEvent::Scan(scanned) => on_scan(scanned),
                    ScannerEvent::Status(status) => on_state(match status {
                        ScannerStatus::Connected { .. } => DeviceState::Connected,
                        ScannerStatus::Connecting { .. } => DeviceState::Absent,
                        ScannerStatus::Disconnected { .. } => DeviceState::Disconnected,
                    }),
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

/// The staff window's scanner: scans open the product page, the status bar shows the port.
pub fn start_for_staff(
    window: &AppWindow,
    worker: &Worker,
    config: &Config,
) -> Option<ScannerHandle> {
    let weak = window.as_weak();
    let worker = worker.clone();
    let status_window = window.as_weak();
    start(
        config,
        move |scan| scan::from_device(&weak, &worker, scan),
        move |state| {
            let _ = status_window.upgrade_in_event_loop(move |window| {
                window.global::<StatusAdapter>().set_scanner(state);
            });
        },
    )
}
