//! The serial barcode scanner: a reader thread that owns the port, cuts the bytes into frames
//! ([`FrameAssembler`]), parses each frame ([`parse_scan`]) and sends every [`Scan`] to the app
//! over a channel the moment its line ending arrives, together with the reader's status
//! (connecting, connected, disconnected and retrying).
//!
//! A USB-serial scanner can be unplugged and plugged back at any time, and its port may not exist
//! when the terminal starts: the reader treats all of that as "disconnected, retrying" and reopens
//! the port with a growing delay until it is back. It must never crash, never stop because of
//! garbage on the line, never glue a frame cut by an unplug to the next one, never block the app
//! (the channel is unbounded and only the app's receiver reads it), and never write a scanned code
//! to the logs: a code may be a customer's loyalty or pickup code.

use std::fmt;
use std::io::{self, Read};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serialport::SerialPort;

use crate::frames::{FrameAssembler, FrameEncoding, FrameError, frame_text};
use comptoir_domain::scan::{Scan, ScanConfig, parse_scan};

/// Parity of the serial line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parity {
    #[default]
    None,
    Even,
    Odd,
}

impl Parity {
    fn letter(self) -> char {
        match self {
            Parity::None => 'N',
            Parity::Even => 'E',
            Parity::Odd => 'O',
        }
    }
}

/// How to reach the scanner: the port and the line settings configured on the scanner itself
/// (9600 8N1 by default, the factory setting of most serial scanners; some ship as 9600 7E1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SerialSettings {
    /// The device, e.g. `/dev/ttyACM0` or, stable across replugs and USB ports,
    /// `/dev/serial/by-id/usb-…`. A symbolic link is followed at every (re)open.
    pub path: String,
    /// Bits per second.
    pub baud: u32,
    pub parity: Parity,
    /// 7 or 8.
    pub data_bits: u8,
    /// 1 or 2.
    pub stop_bits: u8,
}

impl Default for SerialSettings {
    /// 9600 8N1 with no port: a port must be given before the settings are valid.
    fn default() -> Self {
        SerialSettings {
            path: String::new(),
            baud: 9600,
            parity: Parity::None,
            data_bits: 8,
            stop_bits: 1,
        }
    }
}

/// A serial setting that cannot work, named the way the configuration names it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("serial_port is empty: name the scanner's device, e.g. /dev/ttyACM0")]
    NoPath,
    #[error("serial_baud {0} is not a usable rate (use the scanner's, e.g. 9600 or 115200)")]
    Baud(u32),
    #[error("serial_data_bits must be 7 or 8, not {0}")]
    DataBits(u8),
    #[error("serial_stop_bits must be 1 or 2, not {0}")]
    StopBits(u8),
}

/// The highest rate accepted; USB-serial adapters reach 3–4 Mbit/s, scanners far less.
const MAX_BAUD: u32 = 4_000_000;

impl SerialSettings {
    /// 9600 8N1 on `path`.
    pub fn new(path: impl Into<String>) -> Self {
        SerialSettings {
            path: path.into(),
            ..SerialSettings::default()
        }
    }

    /// Checks every field; the reader refuses settings that fail this.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.path.trim().is_empty() {
            return Err(SettingsError::NoPath);
        }
        self.validate_line()
    }

    /// Checks the line settings only (all but the path): the configuration has them even when
    /// it names no port, for `comptoir listen --serial PATH`.
    pub fn validate_line(&self) -> Result<(), SettingsError> {
        if !(50..=MAX_BAUD).contains(&self.baud) {
            return Err(SettingsError::Baud(self.baud));
        }
        if !matches!(self.data_bits, 7 | 8) {
            return Err(SettingsError::DataBits(self.data_bits));
        }
        if !matches!(self.stop_bits, 1 | 2) {
            return Err(SettingsError::StopBits(self.stop_bits));
        }
        Ok(())
    }

    /// The line settings in the usual short form, e.g. "9600 8N1".
    pub fn line(&self) -> String {
        format!(
            "{} {}{}{}",
            self.baud,
            self.data_bits,
            self.parity.letter(),
            self.stop_bits
        )
    }
}

/// How often the reader looks up from the port, and how it backs off while the port is away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReaderTiming {
    /// The longest a read waits for bytes before the reader checks for a stop request; also the
    /// longest [`ScannerHandle::stop`] waits. Bytes are handed over as soon as they arrive,
    /// whatever this is.
    pub poll_interval: Duration,
    /// The delay before the first attempt to reopen a lost port; it doubles at every failed
    /// attempt up to `max_retry`.
    pub first_retry: Duration,
    /// The longest delay between two attempts. A connection must also have lasted this long for
    /// the next disconnection to start again from `first_retry`: a port that opens and fails at
    /// once is then retried (and logged) at most once per `max_retry`, not ten times a second.
    pub max_retry: Duration,
}

impl ReaderTiming {
    /// The timing with its floors applied: a zero poll interval would spin on the port, and a
    /// zero retry delay (which doubling keeps at zero) would spin on `open`.
    fn with_floors(self) -> ReaderTiming {
        let floor = Duration::from_millis(1);
        let first_retry = self.first_retry.max(floor);
        ReaderTiming {
            poll_interval: self.poll_interval.max(floor),
            first_retry,
            max_retry: self.max_retry.max(first_retry),
        }
    }
}

impl Default for ReaderTiming {
    fn default() -> Self {
        ReaderTiming {
            poll_interval: Duration::from_millis(50),
            first_retry: Duration::from_millis(100),
            max_retry: Duration::from_secs(5),
        }
    }
}

/// Why the scanner's port is not usable right now.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Disconnection {
    /// The path does not exist (unplugged, or not plugged in yet).
    #[error("no such device")]
    Missing,
    /// The path exists but cannot be opened or configured (in use by another program, no
    /// permission, not a serial port).
    #[error("cannot open it: {0}")]
    Open(String),
    /// The device hung up (end of file or hang-up on the open port: the USB-serial adapter was
    /// unplugged, or the other side of a pseudo-terminal closed).
    #[error("the device hung up")]
    HungUp,
    /// Reading failed (EIO and the like from a device that went away).
    #[error("read error: {0}")]
    Read(String),
}

/// What the reader is doing, for the status line of the UI and for `comptoir listen`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScannerStatus {
    /// The reader started and is opening the port for the first time.
    Connecting { port: String },
    /// The port is open and configured. A serial scanner does not announce itself, so this
    /// says the port is there, not that a scanner answers on it (a wrong baud rate shows up as
    /// garbage scans).
    Connected { port: String },
    /// The port is not usable; the reader tries again in `retry_in`, then at growing intervals,
    /// without a new status until it is back ([`ScannerStatus::Connected`]).
    Disconnected {
        port: String,
        reason: Disconnection,
        retry_in: Duration,
    },
}

impl ScannerStatus {
    /// The configured port this status is about.
    pub fn port(&self) -> &str {
        match self {
            ScannerStatus::Connecting { port }
            | ScannerStatus::Connected { port }
            | ScannerStatus::Disconnected { port, .. } => port,
        }
    }
}

impl fmt::Display for ScannerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScannerStatus::Connecting { port } => write!(f, "scanner {port} connecting"),
            ScannerStatus::Connected { port } => write!(f, "scanner {port} connected"),
            ScannerStatus::Disconnected {
                port,
                reason,
                retry_in,
            } => write!(
                f,
                "scanner {port} disconnected, retrying in {} ({reason})",
                Delay(*retry_in)
            ),
        }
    }
}

/// A delay the way an operator reads it: "100 ms", "2 s", "1.6 s".
struct Delay(Duration);

impl fmt::Display for Delay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms < 1000 {
            write!(f, "{ms} ms")
        } else if ms.is_multiple_of(1000) {
            write!(f, "{} s", ms / 1000)
        } else {
            write!(f, "{:.1} s", self.0.as_secs_f64())
        }
    }
}

/// What the reader sends to the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScannerEvent {
    /// One frame, parsed; garbage arrives as an unknown or invalid scan with its reason.
    Scan(Scan),
    /// Bytes that could not become a frame (an over-long frame without a line ending).
    Discarded(FrameError),
    /// The reader's state changed.
    Status(ScannerStatus),
}

/// Why the reader could not start.
#[derive(Debug, thiserror::Error)]
pub enum ScannerError {
    #[error("the scanner's serial settings are not valid: {0}")]
    Settings(#[from] SettingsError),
    #[error("cannot start the reader thread of scanner {port}: {source}")]
    Spawn { port: String, source: io::Error },
}

/// The running reader. [`ScannerHandle::stop`], or dropping the handle, stops it within
/// [`ReaderTiming::poll_interval`] and closes the port; dropping the receiver of the events
/// also ends it, at the next event it tries to send.
#[derive(Debug)]
pub struct ScannerHandle {
    /// Dropping this sender is the stop request.
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ScannerHandle {
    /// Stops the reader and waits for its thread to end.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// True until the reader's thread has ended.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    fn shutdown(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the scanner reader thread panicked");
        }
    }
}

impl Drop for ScannerHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts the reader of `settings.path` with the default [`ReaderTiming`].
pub fn spawn_scanner(
    settings: SerialSettings,
    scan_config: ScanConfig,
    events: Sender<ScannerEvent>,
) -> Result<ScannerHandle, ScannerError> {
    spawn_scanner_with(settings, scan_config, ReaderTiming::default(), events)
}

/// Starts the reader on a thread named `scanner`. It reports [`ScannerStatus::Connecting`],
/// then [`ScannerStatus::Connected`] or [`ScannerStatus::Disconnected`] (a missing port is not
/// an error: it is retried), then one [`ScannerEvent::Scan`] per frame.
pub fn spawn_scanner_with(
    settings: SerialSettings,
    scan_config: ScanConfig,
    timing: ReaderTiming,
    events: Sender<ScannerEvent>,
) -> Result<ScannerHandle, ScannerError> {
    settings.validate()?;
    let (stop_sender, stop) = mpsc::channel();
    let port = settings.path.clone();
    let reader = Reader {
        settings,
        scan_config,
        timing: timing.with_floors(),
        events,
        stop,
        assembler: FrameAssembler::new(),
    };
    let thread = thread::Builder::new()
        .name("scanner".to_owned())
        .spawn(move || reader.run())
        .map_err(|source| ScannerError::Spawn { port, source })?;
    Ok(ScannerHandle {
        stop: Some(stop_sender),
        thread: Some(thread),
    })
}

/// The reader should end: a stop was requested or nobody listens any more.
struct Ended;

struct Reader {
    settings: SerialSettings,
    scan_config: ScanConfig,
    timing: ReaderTiming,
    events: Sender<ScannerEvent>,
    stop: Receiver<()>,
    assembler: FrameAssembler,
}

impl Reader {
    fn run(mut self) {
        let span = tracing::info_span!("scanner", port = %self.settings.path);
        let _entered = span.enter();
        let _ = self.connect_loop();
        tracing::debug!("scanner reader ended");
    }

    fn connect_loop(&mut self) -> Result<(), Ended> {
        self.emit(ScannerEvent::Status(ScannerStatus::Connecting {
            port: self.settings.path.clone(),
        }))?;
        let mut retry = self.timing.first_retry;
        // True from a reported disconnection until the next connection: one log line and one
        // status per disconnection, however many attempts it takes.
        let mut reported = false;
        loop {
            let reason = match self.open() {
                Ok(port) => {
                    reported = false;
                    tracing::info!(line = %self.settings.line(), "scanner connected");
                    self.emit(ScannerEvent::Status(ScannerStatus::Connected {
                        port: self.settings.path.clone(),
                    }))?;
                    let since = Instant::now();
                    let reason = self.read_until_lost(port)?;
                    if since.elapsed() >= self.timing.max_retry {
                        retry = self.timing.first_retry;
                    }
                    reason
                }
                Err(reason) => reason,
            };
            // The frame cut by the unplug is incomplete: its tail will never come, and the
            // device's first bytes after a replug start a new frame.
            let dropped_bytes = self.assembler.reset();
            if reported {
                tracing::debug!(%reason, "scanner still unavailable");
            } else {
                reported = true;
                tracing::warn!(
                    %reason,
                    dropped_bytes,
                    retry_in_ms = u64::try_from(retry.as_millis()).unwrap_or(u64::MAX),
                    "scanner disconnected"
                );
                self.emit(ScannerEvent::Status(ScannerStatus::Disconnected {
                    port: self.settings.path.clone(),
                    reason,
                    retry_in: retry,
                }))?;
            }
            // No jitter, unlike the sync client's backoff: one terminal retrying its own local
            // device has no crowd of clients to spread out.
            self.wait(retry)?;
            retry = (retry * 2).min(self.timing.max_retry);
        }
    }

    fn open(&self) -> Result<Box<dyn SerialPort>, Disconnection> {
        let s = &self.settings;
        // `validate` allowed only these values.
        let data_bits = match s.data_bits {
            7 => serialport::DataBits::Seven,
            _ => serialport::DataBits::Eight,
        };
        let stop_bits = match s.stop_bits {
            2 => serialport::StopBits::Two,
            _ => serialport::StopBits::One,
        };
        let parity = match s.parity {
            Parity::None => serialport::Parity::None,
            Parity::Even => serialport::Parity::Even,
            Parity::Odd => serialport::Parity::Odd,
        };
        // serialport opens in exclusive mode (TIOCEXCL and flock): a second program reading the
        // same scanner would steal part of its bytes. On Linux the kernel raises DTR on open,
        // which CDC-ACM scanners wait for before they send anything.
        serialport::new(&s.path, s.baud)
            .data_bits(data_bits)
            .parity(parity)
            .stop_bits(stop_bits)
            .flow_control(serialport::FlowControl::None)
            .timeout(self.timing.poll_interval)
            .open()
            .map_err(|e| {
                // Asked of the path rather than of the error: serialport reports EBUSY (port in
                // use) with the same kind as a missing device. `exists` follows a symbolic link,
                // so a dangling /dev/serial/by-id link is "missing" too.
                if Path::new(&s.path).exists() {
                    Disconnection::Open(e.description)
                } else {
                    Disconnection::Missing
                }
            })
    }

    /// Reads frames until the device goes away (the reason is returned) or the reader must end.
    fn read_until_lost(&mut self, mut port: Box<dyn SerialPort>) -> Result<Disconnection, Ended> {
        let mut buf = [0u8; 1024];
        loop {
            self.check_stop()?;
            match port.read(&mut buf) {
                // End of file: a tty that was hung up reads as EOF.
                Ok(0) => return Ok(Disconnection::HungUp),
                Ok(n) => {
                    for assembled in self.assembler.push(&buf[..n]) {
                        self.deliver(assembled)?;
                    }
                }
                Err(e) => match e.kind() {
                    // Nothing arrived within poll_interval: look for a stop request and go on.
                    io::ErrorKind::TimedOut
                    | io::ErrorKind::WouldBlock
                    | io::ErrorKind::Interrupted => {}
                    // serialport turns POLLHUP into BrokenPipe before reading (and then drops
                    // bytes still in the buffer); that is how an unplugged adapter or a closed
                    // pseudo-terminal master shows up.
                    io::ErrorKind::BrokenPipe | io::ErrorKind::UnexpectedEof => {
                        return Ok(Disconnection::HungUp);
                    }
                    // EIO and the rest: the device is gone or broken; reopening tells which.
                    _ => return Ok(Disconnection::Read(e.to_string())),
                },
            }
        }
    }

    fn deliver(&mut self, assembled: Result<Vec<u8>, FrameError>) -> Result<(), Ended> {
        match assembled {
            Ok(frame) => {
                let (text, encoding) = frame_text(&frame);
                let scan = parse_scan(&text, &self.scan_config);
                // Sizes and kinds only: the text may be a customer's code.
                let bytes = frame.len();
                let kind = scan.kind_name();
                // Sent before anything is logged: the app's latency budget is 1 ms.
                self.emit(ScannerEvent::Scan(scan))?;
                if encoding == FrameEncoding::Latin1 {
                    tracing::debug!(bytes, kind, "frame is not UTF-8, read as ISO-8859-1");
                } else {
                    tracing::trace!(bytes, kind, "frame");
                }
                Ok(())
            }
            Err(error) => {
                tracing::warn!(%error, "scanner frame discarded");
                self.emit(ScannerEvent::Discarded(error))
            }
        }
    }

    fn emit(&self, event: ScannerEvent) -> Result<(), Ended> {
        self.events.send(event).map_err(|_| {
            tracing::debug!("nobody receives the scanner's events any more");
            Ended
        })
    }

    fn check_stop(&self) -> Result<(), Ended> {
        match self.stop.try_recv() {
            Err(TryRecvError::Empty) => Ok(()),
            Ok(()) | Err(TryRecvError::Disconnected) => Err(Ended),
        }
    }

    /// Sleeps for `delay` unless a stop is requested meanwhile.
    fn wait(&self, delay: Duration) -> Result<(), Ended> {
        match self.stop.recv_timeout(delay) {
            Err(RecvTimeoutError::Timeout) => Ok(()),
            Ok(()) | Err(RecvTimeoutError::Disconnected) => Err(Ended),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_defaults_and_serde() {
        let settings: SerialSettings =
            serde_json::from_str(r#"{"path": "/dev/ttyACM0"}"#).expect("defaults");
        assert_eq!(settings, SerialSettings::new("/dev/ttyACM0"));
        assert_eq!(settings.line(), "9600 8N1");
        assert_eq!(settings.validate(), Ok(()));
        let settings: SerialSettings = serde_json::from_str(
            r#"{"path": "/dev/ttyS0", "baud": 19200, "parity": "even", "data_bits": 7, "stop_bits": 2}"#,
        )
        .expect("all fields");
        assert_eq!(settings.line(), "19200 7E2");
        assert!(serde_json::from_str::<SerialSettings>(r#"{"parity": "mark"}"#).is_err());
        assert!(serde_json::from_str::<SerialSettings>(r#"{"speed": 9600}"#).is_err());
    }

    #[test]
    fn settings_validation_table() {
        let base = SerialSettings::new("/dev/ttyUSB0");
        let cases = [
            (SerialSettings::default(), Some(SettingsError::NoPath)),
            (
                SerialSettings {
                    path: "  ".into(),
                    ..base.clone()
                },
                Some(SettingsError::NoPath),
            ),
            (
                SerialSettings {
                    baud: 0,
                    ..base.clone()
                },
                Some(SettingsError::Baud(0)),
            ),
            (
                SerialSettings {
                    baud: 115_200,
                    ..base.clone()
                },
                None,
            ),
            (
                SerialSettings {
                    data_bits: 5,
                    ..base.clone()
                },
                Some(SettingsError::DataBits(5)),
            ),
            (
                SerialSettings {
                    stop_bits: 3,
                    ..base.clone()
                },
                Some(SettingsError::StopBits(3)),
            ),
        ];
        for (settings, expected) in cases {
            assert_eq!(settings.validate().err(), expected, "{settings:?}");
        }
        let no_path = SerialSettings {
            stop_bits: 3,
            ..SerialSettings::default()
        };
        assert_eq!(no_path.validate_line(), Err(SettingsError::StopBits(3)));
        assert_eq!(SerialSettings::default().validate_line(), Ok(()));
        assert!(
            SettingsError::DataBits(5)
                .to_string()
                .contains("serial_data_bits")
        );
    }

    #[test]
    fn status_messages() {
        let port = "/dev/ttyUSB0".to_owned();
        let cases = [
            (
                ScannerStatus::Disconnected {
                    port: port.clone(),
                    reason: Disconnection::HungUp,
                    retry_in: Duration::from_secs(2),
                },
                "scanner /dev/ttyUSB0 disconnected, retrying in 2 s (the device hung up)",
            ),
            (
                ScannerStatus::Disconnected {
                    port: port.clone(),
                    reason: Disconnection::Missing,
                    retry_in: Duration::from_millis(100),
                },
                "scanner /dev/ttyUSB0 disconnected, retrying in 100 ms (no such device)",
            ),
            (
                ScannerStatus::Disconnected {
                    port: port.clone(),
                    reason: Disconnection::Open("Device or resource busy".into()),
                    retry_in: Duration::from_millis(1600),
                },
                "scanner /dev/ttyUSB0 disconnected, retrying in 1.6 s \
                 (cannot open it: Device or resource busy)",
            ),
            (
                ScannerStatus::Connected { port: port.clone() },
                "scanner /dev/ttyUSB0 connected",
            ),
            (
                ScannerStatus::Connecting { port },
                "scanner /dev/ttyUSB0 connecting",
            ),
        ];
        for (status, text) in cases {
            assert_eq!(status.to_string(), text);
            assert_eq!(status.port(), "/dev/ttyUSB0");
        }
    }

    #[test]
    fn zero_timings_get_floors() {
        let zero = ReaderTiming {
            poll_interval: Duration::ZERO,
            first_retry: Duration::ZERO,
            max_retry: Duration::ZERO,
        };
        let ms = Duration::from_millis(1);
        assert_eq!(
            zero.with_floors(),
            ReaderTiming {
                poll_interval: ms,
                first_retry: ms,
                max_retry: ms
            }
        );
        assert_eq!(
            ReaderTiming::default().with_floors(),
            ReaderTiming::default()
        );
    }

    #[test]
    fn invalid_settings_do_not_start_a_thread() {
        let (sender, _events) = mpsc::channel();
        let err = spawn_scanner(
            SerialSettings::default(),
            ScanConfig::default(),
            sender.clone(),
        )
        .expect_err("no path");
        assert!(err.to_string().contains("serial_port is empty"), "{err}");
    }
}
