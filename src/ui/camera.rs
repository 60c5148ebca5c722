//! The camera on screen: QR codes it reads open the product page like any scan, the scan page
//! shows a live grey preview, and the status bar says whether there is a camera. No camera (the
//! usual case on a counter tablet with a scanner) is one status, not an error loop.

use std::sync::mpsc;
use std::thread;

use slint::{ComponentHandle, Image, Rgb8Pixel, SharedPixelBuffer};

use crate::devices::camera::NokhwaCamera;
use crate::devices::camera_worker::{CameraEvent, CameraStatus, CameraWorker, WorkerConfig};

use super::worker::Worker;
use super::{AppWindow, DeviceState, ScanPageAdapter, StatusAdapter, scan};

/// Starts the camera worker on the first camera; it stops when the returned value is dropped.
pub fn start(window: &AppWindow, worker: &Worker) -> Option<CameraWorker> {
    let (events_tx, events) = mpsc::channel();
    // A preview every other frame: 5 images a second at the default 10 fps.
    let config = WorkerConfig {
        preview_every: 2,
        ..WorkerConfig::default()
    };
    let camera = match CameraWorker::spawn(NokhwaCamera::open_first, config, events_tx) {
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
                    CameraEvent::Preview(frame) => {
                        // Grey to RGB here, off the UI thread; the image itself is made there.
                        let mut buffer =
                            SharedPixelBuffer::<Rgb8Pixel>::new(frame.width, frame.height);
                        for (pixel, &luma) in buffer.make_mut_slice().iter_mut().zip(&frame.data) {
                            *pixel = Rgb8Pixel::new(luma, luma, luma);
                        }
                        let _ = weak.upgrade_in_event_loop(move |window| {
                            let page = window.global::<ScanPageAdapter>();
                            page.set_camera_frame(Image::from_rgb8(buffer));
                            page.set_has_camera_frame(true);
                        });
                    }
                    CameraEvent::Status(status) => {
                        let running = matches!(status, CameraStatus::Running { .. });
                        let state = match status {
                            CameraStatus::Running { .. } => DeviceState::Connected,
                            CameraStatus::NoCamera | CameraStatus::Stopped => DeviceState::Absent,
                            CameraStatus::Failed { .. } => DeviceState::Disconnected,
                        };
                        let _ = weak.upgrade_in_event_loop(move |window| {
                            window.global::<StatusAdapter>().set_camera(state);
                            if !running {
                                window
                                    .global::<ScanPageAdapter>()
                                    .set_has_camera_frame(false);
                            }
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
