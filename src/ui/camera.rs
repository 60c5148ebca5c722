//! The camera on screen: QR codes it reads open the product page like any scan, and the status
//! bar says whether there is a camera. No camera (the usual case on a counter tablet with a
//! scanner) is one status, not an error loop.

use std::sync::mpsc;
use std::thread;

use slint::ComponentHandle;

use crate::devices::camera::NokhwaCamera;
use crate::devices::camera_worker::{CameraEvent, CameraStatus, CameraWorker, WorkerConfig};

use super::worker::Worker;
use super::{AppWindow, DeviceState, StatusAdapter, scan};

/// Starts the camera worker on the first camera; it stops when the returned value is dropped.
pub fn start(window: &AppWindow, worker: &Worker) -> Option<CameraWorker> {
    let (events_tx, events) = mpsc::channel();
    let camera =
        match CameraWorker::spawn(NokhwaCamera::open_first, WorkerConfig::default(), events_tx) {
            Ok(camera) => camera,
            Err(error) => {
                tracing::error!(%error, "cannot start the camera worker");
                return None;
            }
        };
    let weak = window.as_weak();
    let worker = worker.clone();
    let forwarder = thread::Builder::new()
        .name("camera-events".to_owned())
        .spawn(move || {
            for event in events {
                match event {
                    CameraEvent::Code { text } => scan::from_device(&weak, &worker, text),
                    CameraEvent::Status(status) => {
                        let state = match status {
                            CameraStatus::Running { .. } => DeviceState::Connected,
                            CameraStatus::NoCamera | CameraStatus::Stopped => DeviceState::Absent,
                            CameraStatus::Failed { .. } => DeviceState::Disconnected,
                        };
                        let _ = weak.upgrade_in_event_loop(move |window| {
                            window.global::<StatusAdapter>().set_camera(state);
                        });
                    }
                }
            }
        });
    if let Err(error) = forwarder {
        tracing::error!(%error, "cannot start the camera event thread");
    }
    Some(camera)
}
