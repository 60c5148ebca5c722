//! Camera decoding off the UI thread: a capture thread pulls frames from a [`FrameSource`] at a
//! bounded rate and hands each to a decoder thread through a channel that holds one frame; when
//! the decoder is still busy the new frame is dropped, so a slow decoder costs frames, never
//! memory or latency. Each payload is reported once while it stays in view (the dedup window),
//! over a `std::sync::mpsc::Sender<CameraEvent>`, together with the camera's status.
//!
//! What it must never do:
//! - queue frames without bound, or block the UI: the UI only receives events;
//! - loop on a missing camera: no camera is one `Status(NoCamera)` event, then the worker ends;
//!   a camera that keeps failing is one `Status(Failed)` event, then the worker ends;
//! - log a payload (loyalty and pickup codes are personal data): logs carry counts only.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender, SyncSender, TrySendError};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use crate::camera::{CameraError, FrameSource};
use crate::qr::{LumaFrame, QrDecoder};

/// What the worker tells the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CameraEvent {
    /// A payload newly in view.
    Code {
        text: String,
    },
    Status(CameraStatus),
    /// A small grey copy of a frame for the scan screen's preview (see
    /// [`WorkerConfig::preview_every`]). It may show a customer's code: never logged.
    Preview(LumaFrame),
}

/// Widest preview sent to the screen: the scan page shows the camera in a panel, and a smaller
/// copy costs the UI thread less to upload.
pub const PREVIEW_WIDTH: u32 = 320;

/// The frame scaled down by a whole factor so that it is at most [`PREVIEW_WIDTH`] wide
/// (nearest pixel: a preview only has to show where the code is).
pub fn thumbnail(frame: &LumaFrame) -> LumaFrame {
    let factor = frame.width.div_ceil(PREVIEW_WIDTH).max(1);
    let width = frame.width / factor;
    let height = frame.height / factor;
    let mut data = Vec::with_capacity((width * height) as usize);
    for y in 0..height {
        let row = (y * factor * frame.width) as usize;
        for x in 0..width {
            data.push(
                frame
                    .data
                    .get(row + (x * factor) as usize)
                    .copied()
                    .unwrap_or(0),
            );
        }
    }
    LumaFrame {
        width,
        height,
        data,
    }
}

/// The camera's state, for the status line of the scan screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CameraStatus {
    /// No camera on this device (or none in this build): the scan screen hides the camera.
    NoCamera,
    /// Frames are flowing from the named source.
    Running { name: String },
    /// The camera could not be opened or stopped giving frames; the worker has ended.
    Failed { reason: String },
    /// The worker ended: stop was asked, or the source has no more frames (image files).
    Stopped,
}

/// How the worker paces and filters.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Frames pulled per second at most. 10 reads a code held up to the camera within a
    /// tenth of a second and leaves the cores to the UI.
    pub fps: f64,
    /// A payload seen again within this time of its last sighting is not reported again: a
    /// code held in front of the camera for 5 s is one scan, not 50.
    pub dedup_window: Duration,
    /// Time the decoder may spend on one frame before giving up on it; `None` = the frame
    /// interval (no use spending longer on a frame than until the next one arrives).
    pub decode_budget: Option<Duration>,
    /// Consecutive capture errors after which the camera is declared failed.
    pub max_consecutive_errors: u32,
    /// Send a [`CameraEvent::Preview`] every this many captured frames; 0 sends none.
    pub preview_every: u32,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            fps: 10.0,
            dedup_window: Duration::from_secs(2),
            decode_budget: None,
            max_consecutive_errors: 10,
            preview_every: 0,
        }
    }
}

/// What the worker did, for tests and diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Frames the source delivered.
    pub captured: u64,
    /// Frames dropped because the decoder was busy.
    pub dropped: u64,
    /// Frames the decoder worked on.
    pub decoded: u64,
    /// Code events sent.
    pub reported: u64,
}

#[derive(Default)]
struct Counters {
    captured: AtomicU64,
    dropped: AtomicU64,
    decoded: AtomicU64,
    reported: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> WorkerStats {
        WorkerStats {
            captured: self.captured.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            decoded: self.decoded.load(Ordering::Relaxed),
            reported: self.reported.load(Ordering::Relaxed),
        }
    }
}

/// Asks a running worker to stop; cheap to clone and to send to another thread.
#[derive(Clone)]
pub struct StopHandle {
    stop: Arc<AtomicBool>,
    capture: Thread,
}

impl StopHandle {
    /// The worker stops after the frame it is capturing, then sends `Status(Stopped)`.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.capture.unpark();
    }
}

/// A running camera worker (two threads).
pub struct CameraWorker {
    handle: StopHandle,
    capture: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl CameraWorker {
    /// Starts the worker. `open` runs on the capture thread (a camera handle may have to stay
    /// on the thread that opened it); its error becomes the first and last status event.
    pub fn spawn<S, F>(
        open: F,
        config: WorkerConfig,
        events: Sender<CameraEvent>,
    ) -> std::io::Result<CameraWorker>
    where
        S: FrameSource,
        F: FnOnce() -> Result<S, CameraError> + Send + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let capture = {
            let stop = Arc::clone(&stop);
            let counters = Arc::clone(&counters);
            thread::Builder::new()
                .name("camera-capture".into())
                .spawn(move || capture_loop(open, config, events, stop, counters))?
        };
        Ok(CameraWorker {
            handle: StopHandle {
                stop,
                capture: capture.thread().clone(),
            },
            capture: Some(capture),
            counters,
        })
    }

    pub fn stop_handle(&self) -> StopHandle {
        self.handle.clone()
    }

    /// The counters so far.
    pub fn stats(&self) -> WorkerStats {
        self.counters.snapshot()
    }

    /// Stops the worker and waits for both threads.
    pub fn stop(mut self) -> WorkerStats {
        self.handle.stop();
        self.wait()
    }

    /// Waits until the worker ends by itself (source exhausted, no camera, failure).
    pub fn join(mut self) -> WorkerStats {
        self.wait()
    }

    fn wait(&mut self) -> WorkerStats {
        if let Some(capture) = self.capture.take()
            && capture.join().is_err()
        {
            tracing::error!("camera capture thread panicked");
        }
        self.counters.snapshot()
    }
}

impl Drop for CameraWorker {
    fn drop(&mut self) {
        self.handle.stop();
        // Not joined here: dropping the worker from the UI thread must not wait for a camera.
    }
}

fn capture_loop<S, F>(
    open: F,
    config: WorkerConfig,
    events: Sender<CameraEvent>,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
) where
    S: FrameSource,
    F: FnOnce() -> Result<S, CameraError>,
{
    let mut source = match open() {
        Ok(source) => source,
        Err(error) => {
            let status = match error {
                CameraError::NoCamera | CameraError::NotBuilt => CameraStatus::NoCamera,
                other => CameraStatus::Failed {
                    reason: other.to_string(),
                },
            };
            tracing::info!(status = ?status, "camera not started");
            let _ = events.send(CameraEvent::Status(status));
            return;
        }
    };
    let name = source.describe();
    tracing::info!(camera = %name, fps = config.fps, "camera started");
    if events
        .send(CameraEvent::Status(CameraStatus::Running { name }))
        .is_err()
    {
        return;
    }

    // An infinite (or nonsensical) rate means no pacing; the slowest pace is one frame in 100 s,
    // which keeps every later `Instant + interval` far from overflowing.
    let interval = if config.fps.is_finite() && config.fps > 0.0 {
        Duration::from_secs_f64(1.0 / config.fps.max(0.01))
    } else {
        Duration::ZERO
    };
    let budget = config.decode_budget.unwrap_or(interval);
    let decoder = if budget.is_zero() {
        QrDecoder::new()
    } else {
        QrDecoder::new().with_time_budget(budget)
    };

    // Capacity 1: at most one frame waits while another is decoded.
    let (frames, inbox) = mpsc::sync_channel::<LumaFrame>(1);
    let decoder_thread = {
        let events = events.clone();
        let counters = Arc::clone(&counters);
        let stop = Arc::clone(&stop);
        let window = config.dedup_window;
        thread::Builder::new()
            .name("camera-decode".into())
            .spawn(move || decode_loop(decoder, inbox, events, window, counters, stop))
    };
    let decoder_thread = match decoder_thread {
        Ok(thread) => thread,
        Err(error) => {
            let _ = events.send(CameraEvent::Status(CameraStatus::Failed {
                reason: format!("cannot start the decoder thread: {error}"),
            }));
            return;
        }
    };

    let failure = pump(
        &mut source,
        &frames,
        &events,
        &config,
        interval,
        &stop,
        &counters,
    );
    drop(frames); // ends the decoder thread once it has finished the frame in hand
    drop(source); // releases the camera
    if decoder_thread.join().is_err() {
        tracing::error!("camera decode thread panicked");
    }
    let stats = counters.snapshot();
    tracing::info!(
        captured = stats.captured,
        dropped = stats.dropped,
        decoded = stats.decoded,
        reported = stats.reported,
        "camera stopped"
    );
    let status = match failure {
        Some(reason) => CameraStatus::Failed { reason },
        None => CameraStatus::Stopped,
    };
    let _ = events.send(CameraEvent::Status(status));
}

/// Pulls frames until stop, end of source or failure; returns the failure, if any.
fn pump<S: FrameSource>(
    source: &mut S,
    frames: &SyncSender<LumaFrame>,
    events: &Sender<CameraEvent>,
    config: &WorkerConfig,
    interval: Duration,
    stop: &AtomicBool,
    counters: &Counters,
) -> Option<String> {
    let mut next = Instant::now();
    let mut errors = 0u32;
    while !stop.load(Ordering::SeqCst) {
        // Pace: wait for the next slot (park returns early when stop unparks us).
        loop {
            let now = Instant::now();
            if now >= next || stop.load(Ordering::SeqCst) {
                break;
            }
            thread::park_timeout(next - now);
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
        // The next slot one interval on; when capture itself took longer, right away (no burst
        // to catch up).
        next = (next + interval).max(Instant::now());
        // A driver that panics is a failed camera, not a silent dead thread.
        let frame = catch_unwind(AssertUnwindSafe(|| source.next_frame())).unwrap_or_else(|_| {
            Err(CameraError::Capture {
                name: source.describe(),
                reason: "the camera driver panicked".into(),
            })
        });
        match frame {
            Ok(Some(frame)) => {
                errors = 0;
                let captured = counters.captured.fetch_add(1, Ordering::Relaxed) + 1;
                if config.preview_every > 0
                    && captured.is_multiple_of(u64::from(config.preview_every))
                    && events
                        .send(CameraEvent::Preview(thumbnail(&frame)))
                        .is_err()
                {
                    return None;
                }
                match frames.try_send(frame) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => {
                        counters.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(TrySendError::Disconnected(_)) => return None,
                }
            }
            Ok(None) => return None,
            Err(error) => {
                errors += 1;
                tracing::debug!(%error, consecutive = errors, "no frame");
                if error.is_permanent() || errors >= config.max_consecutive_errors.max(1) {
                    return Some(error.to_string());
                }
            }
        }
    }
    None
}

fn decode_loop(
    decoder: QrDecoder,
    inbox: mpsc::Receiver<LumaFrame>,
    events: Sender<CameraEvent>,
    window: Duration,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) {
    let mut dedup = Dedup::new(window);
    for frame in inbox {
        counters.decoded.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        for code in decoder.decode(&frame) {
            if !dedup.is_new(&code.text, now) {
                continue;
            }
            tracing::debug!(pass = %code.pass, "QR code read");
            counters.reported.fetch_add(1, Ordering::Relaxed);
            if events.send(CameraEvent::Code { text: code.text }).is_err() {
                // Nobody listens any more: stop capturing.
                stop.store(true, Ordering::SeqCst);
                return;
            }
        }
    }
}

/// Remembers when each payload was last seen. A payload is new when it was not seen within the
/// window; every sighting restarts its window, so a code that stays in view is reported once
/// and a code shown again after the window is reported again.
pub struct Dedup {
    window: Duration,
    last_seen: HashMap<String, Instant>,
}

impl Dedup {
    pub fn new(window: Duration) -> Dedup {
        Dedup {
            window,
            last_seen: HashMap::new(),
        }
    }

    pub fn is_new(&mut self, text: &str, now: Instant) -> bool {
        let window = self.window;
        self.last_seen
            .retain(|_, seen| now.saturating_duration_since(*seen) <= window);
        self.last_seen.insert(text.to_owned(), now).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_in_view_is_new_once_and_again_after_the_window() {
        let t0 = Instant::now();
        let s = Duration::from_millis;
        let mut dedup = Dedup::new(s(2000));
        assert!(dedup.is_new("A", t0));
        // Held in view: seen every 100 ms for 5 s, never new again.
        for i in 1..50 {
            assert!(!dedup.is_new("A", t0 + s(100 * i)));
        }
        // Another code meanwhile is new.
        assert!(dedup.is_new("B", t0 + s(5000)));
        // A away for more than the window: new again.
        assert!(dedup.is_new("A", t0 + s(4900 + 2001)));
    }
}
