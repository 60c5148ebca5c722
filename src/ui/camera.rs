//! The camera on screen: QR codes it reads go to whichever window the mode shows (like any
//! scan), a live grey preview is offered to it, and its state is reported. No camera (the usual
//! case on a counter tablet with a scanner) is one state, not an error loop.

use std::sync::mpsc;
use std::thread;

use slint::{ComponentHandle, Image, Rgb8Pixel, SharedPixelBuffer};

use crate::devices::camera::NokhwaCamera;
use crate::devices::camera_worker::{CameraEvent, CameraStatus, CameraWorker, WorkerConfig};

use super::worker::Worker;
use super::{AppWindow, DeviceState, ScanPageAdapter, StatusAdapter, scan};

/// Where the camera's findings go; each is called on the camera's event thread, never the UI
/// thread, so each posts to its window with `upgrade_in_event_loop`.
pub struct CameraFeed {
    /// A decoded QR code's text.
    pub code: Box<dyn Fn(String) + Send>,
    /// A grey preview frame, already in RGB.
    pub preview: Box<dyn Fn(SharedPixelBuffer<Rgb8Pixel>) + Send>,
    /// The camera's state; `false` in the second value means no preview is coming any more.
    pub state: Box<dyn Fn(DeviceState, bool) + Send>,
}

/// Starts the camera worker on the first camera; it stops when the returned value is dropped.
pub fn start(feed: CameraFeed) -> Option<CameraWorker> {
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
    let forwarder = thread::Builder::new()
        .name("camera-events".to_owned())
        .spawn(move || {
            for event in events {
                match event {
                    CameraEvent::Code { text } => (feed.code)(text),
                    CameraEvent::Preview(frame) => {
                        // Grey to RGB here, off the UI thread; the image itself is made there.
                        let mut buffer =
                            SharedPixelBuffer::<Rgb8Pixel>::new(frame.width, frame.height);
                        for (pixel, &luma) in buffer.make_mut_slice().iter_mut().zip(&frame.data) {
                            *pixel = Rgb8Pixel::new(luma, luma, luma);
                        }
                        (feed.preview)(buffer);
                    }
                    CameraEvent::Status(status) => {
                        let running = matches!(status, CameraStatus::Running { .. });
                        let state = match status {
                            CameraStatus::Running { .. } => DeviceState::Connected,
                            CameraStatus::NoCamera | CameraStatus::Stopped => DeviceState::Absent,
                            CameraStatus::Failed { .. } => DeviceState::Disconnected,
                        };
                        (feed.state)(state, running);
                    }
                }
            }
        });
    if let Err(error) = forwarder {
        tracing::error!(%error, "cannot start the camera event thread");
    }
    Some(camera)
}

/// The staff window's camera: codes open the product page, the scan page shows the preview and
/// the status bar the camera's state.
pub fn start_for_staff(
    window: &AppWindow,
    worker: &Worker,
    config: crate::app::scan_route::ScanConfig,
) -> Option<CameraWorker> {
    let (code_window, preview_window, state_window) =
        (window.as_weak(), window.as_weak(), window.as_weak());
    let worker = worker.clone();
    start(CameraFeed {
        code: Box::new(move |text| {
            let parsed = crate::app::scan_route::parse(&text, &config);
            scan::from_device(&code_window, &worker, parsed);
        }),
        preview: Box::new(move |buffer| {
            let _ = preview_window.upgrade_in_event_loop(move |window| {
                let page = window.global::<ScanPageAdapter>();
                page.set_camera_frame(Image::from_rgb8(buffer));
                page.set_has_camera_frame(true);
            });
        }),
        state: Box::new(move |state, running| {
            let _ = state_window.upgrade_in_event_loop(move |window| {
                window.global::<StatusAdapter>().set_camera(state);
                if !running {
                    window
                        .global::<ScanPageAdapter>()
                        .set_has_camera_frame(false);
                }
            });
        }),
    })
}
