//! The receipt printer: ESC/POS bytes for a laid-out receipt ([`encode`]) and sending them to an
//! Epson-compatible thermal printer on a serial port ([`print`]), after asking the printer
//! whether it can print (paper, cover).
//!
//! When to print is not decided here. Since 1 August 2023 a French shop must not print a
//! receipt unless the customer asks for it (Code de l'environnement art. L541-15-10 IV, from
//! the AGEC law n° 2020-105 art. 49; terms in art. D541-370 to D541-372, décret n° 2022-1565):
//! the checkout calls [`print`] only from the customer's « Imprimer le ticket » button or
//! `comptoir receipt --print`, and otherwise queues the e-receipt. A print error never undoes a sale: the sale and its journal entry are
//! committed before anything is printed, the error is shown to the cashier (the UI translates it
//! by variant), and the receipt can be printed again later as a duplicate.
//!
//! This module must never block the caller for long (every wait on the port has a deadline;
//! call [`print`] off the UI thread all the same, it can take seconds at 9600 baud), never
//! panic on what the port or the printer answers, never send a byte of text that could be read
//! as a command (text is transcoded to PC858 and control characters become "?"), and never log
//! what a receipt says (a receipt will carry customer data): only the port, byte counts and
//! the printer's state reach the logs.
//!
//! The command bytes are written by hand rather than with the `escpos` crate: a receipt needs
//! ten commands and a code page table, the tests compare exact bytes, and the status exchange
//! (DLE EOT) must share the port and its deadlines with the print job; a pre-1.0 dependency
//! with its own serial driver would own the port and bring more code than this module.
//! Sources: Epson ESC/POS Command Reference (ESC @, ESC t, ESC a, ESC E, GS !, ESC d, GS V,
//! DLE EOT) and the TM-T88 technical reference for the serial interface.

use std::io;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serialport::{ClearBuffer, SerialPort};

use comptoir_domain::receipt::{Align, PrintLine, Receipt, Style, layout};

const DLE: u8 = 0x10;
const EOT: u8 = 0x04;
const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;
const LF: u8 = 0x0A;

/// ESC t 19: character code table PC858 (PC850, "Multilingual Latin I", with € at 0xD5).
const CODE_PAGE_PC858: u8 = 19;

/// What the printer prints for a character its code page does not have.
const REPLACEMENT: u8 = b'?';

/// The upper half (0x80–0xFF) of code page 858, in byte order: IBM's PC850 with U+20AC "€" in
/// place of U+0131 "ı" at 0xD5. The lower half is ASCII. Every character of Latin-1 (U+00A0 to
/// U+00FF) is here, so French text never needs a "?".
const PC858_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', // 0x80
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', 'ø', '£', 'Ø', '×', 'ƒ', // 0x90
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '®', '¬', '½', '¼', '¡', '«', '»', // 0xA0
    '░', '▒', '▓', '│', '┤', 'Á', 'Â', 'À', '©', '╣', '║', '╗', '╝', '¢', '¥', '┐', // 0xB0
    '└', '┴', '┬', '├', '─', '┼', 'ã', 'Ã', '╚', '╔', '╩', '╦', '╠', '═', '╬', '¤', // 0xC0
    'ð', 'Ð', 'Ê', 'Ë', 'È', '€', 'Í', 'Î', 'Ï', '┘', '┌', '█', '▄', '¦', 'Ì', '▀', // 0xD0
    'Ó', 'ß', 'Ô', 'Ò', 'õ', 'Õ', 'µ', 'þ', 'Þ', 'Ú', 'Û', 'Ù', 'ý', 'Ý', '¯', '´', // 0xE0
    '\u{AD}', '±', '‗', '¾', '¶', '§', '÷', '¸', '°', '¨', '·', '¹', '³', '²', '■',
    '\u{A0}', // 0xF0
];

/// The PC858 byte for `c`: ASCII as is, the table above for the rest, "?" for a control
/// character or a character the code page lacks. A no-break space is sent as a plain space.
pub fn to_pc858(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{A0}' | '\u{202F}' => b' ',
        _ => PC858_HIGH
            .iter()
            .position(|&high| high == c)
            // position < 128, so 0x80 + position fits in a byte.
            .and_then(|position| u8::try_from(0x80 + position).ok())
            .unwrap_or(REPLACEMENT),
    }
}

/// How the job ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cut {
    /// No cut (a printer without a cutter ignores the cut command anyway).
    None,
    /// One point left uncut, so the receipt stays on the roll until taken: Epson's usual cut.
    #[default]
    Partial,
    Full,
}

/// Options of [`encode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Blank lines fed after the last line, before the cut (a margin under the text).
    pub feed_lines: u8,
    pub cut: Cut,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            feed_lines: 2,
            cut: Cut::Partial,
        }
    }
}

/// The ESC/POS job for `lines`: ESC @ (reset), ESC t 19 (PC858), then each line's text in
/// PC858 ended by LF, with the alignment (ESC a), bold (ESC E) and size (GS !) commands sent
/// only when they change; then the styles reset, the feed (ESC d) and the cut (GS V 66 0 or
/// GS V 65 0: feed to the cutter, then cut, so the last line is never cut through).
pub fn encode(lines: &[PrintLine], options: &EncodeOptions) -> Vec<u8> {
    encode_with_code(lines, None, options)
}

/// [`encode`], with `code` printed as a centred QR code after the last line and before the
/// feed: a receipt's code, read back by the scanner of any counter of the chain for a return.
pub fn encode_with_code(
    lines: &[PrintLine],
    code: Option<&str>,
    options: &EncodeOptions,
) -> Vec<u8> {
    let text_len: usize = lines.iter().map(|line| line.text.len() + 1).sum();
    let mut job = Vec::with_capacity(text_len + 64 + code.map_or(0, |c| c.len() + 40));
    job.extend_from_slice(&[ESC, b'@', ESC, b't', CODE_PAGE_PC858]);
    // ESC @ leaves the printer left-aligned, not bold, normal size.
    let mut current = Style::default();
    for line in lines {
        set_style(&mut job, &mut current, line.style);
        job.extend(line.text.chars().map(to_pc858));
        job.push(LF);
    }
    if let Some(code) = code {
        set_style(
            &mut job,
            &mut current,
            Style {
                align: Align::Center,
                ..Style::default()
            },
        );
        qr_code(&mut job, code);
    }
    set_style(&mut job, &mut current, Style::default());
    if options.feed_lines > 0 {
        job.extend_from_slice(&[ESC, b'd', options.feed_lines]);
    }
    match options.cut {
        Cut::None => {}
        Cut::Partial => job.extend_from_slice(&[GS, b'V', 66, 0]),
        Cut::Full => job.extend_from_slice(&[GS, b'V', 65, 0]),
    }
    job
}

/// Largest QR payload sent: a receipt's code is under 100 bytes, and the store-data length
/// must fit the command's two length bytes with room to spare.
const MAX_QR_BYTES: usize = 512;

/// GS ( k: a model 2 QR code, 6-dot modules, error correction level M, holding `data` (ASCII
/// only: anything else is left out rather than sent as a command), then printed with a line
/// feed. Epson ESC/POS Command Reference, « GS ( k <Function 165, 167, 169, 180, 181> ».
fn qr_code(job: &mut Vec<u8>, data: &str) {
    let data: Vec<u8> = data
        .bytes()
        .filter(|b| b.is_ascii_graphic())
        .take(MAX_QR_BYTES)
        .collect();
    if data.is_empty() {
        return;
    }
    // Function 165: model 2.
    job.extend_from_slice(&[GS, b'(', b'k', 4, 0, 49, 65, 50, 0]);
    // Function 167: module size 6 dots.
    job.extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 67, 6]);
    // Function 169: error correction level M (49).
    job.extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 69, 49]);
    // Function 180: store the data; the length counts the three bytes after pL pH.
    let len = data.len() + 3;
    job.extend_from_slice(&[
        GS,
        b'(',
        b'k',
        (len % 256) as u8,
        (len / 256) as u8,
        49,
        80,
        48,
    ]);
    job.extend_from_slice(&data);
    // Function 181: print the stored symbol.
    job.extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 81, 48]);
    job.push(LF);
}

fn set_style(job: &mut Vec<u8>, current: &mut Style, wanted: Style) {
    if wanted.align != current.align {
        let n = match wanted.align {
            Align::Left => 0,
            Align::Center => 1,
            Align::Right => 2,
        };
        job.extend_from_slice(&[ESC, b'a', n]);
    }
    if wanted.bold != current.bold {
        job.extend_from_slice(&[ESC, b'E', u8::from(wanted.bold)]);
    }
    if wanted.double_size != current.double_size {
        // GS ! n: high nibble width multiplier − 1, low nibble height multiplier − 1.
        let n = if wanted.double_size { 0x11 } else { 0x00 };
        job.extend_from_slice(&[GS, b'!', n]);
    }
    *current = wanted;
}

/// Flow control on the serial line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowControl {
    None,
    /// XON/XOFF.
    Software,
    /// The printer's busy line: Epson printers signal BUSY on DTR, which Epson's serial cable
    /// wires to the computer's CTS, so RTS/CTS on this side.
    #[default]
    Hardware,
}

/// How to reach the receipt printer.
///
/// The defaults are an Epson TM-T20/TM-T88 with a serial interface as it leaves the factory:
/// 9600 baud, 8 data bits, no parity, 1 stop bit, DTR/DSR handshake (hardware flow control here),
/// 42 columns of font A on 80 mm paper. For exact status messages (paper out, cover open) while
/// the printer is offline, set its DIP switch 2-1 to ON ("BUSY only when the receive buffer is
/// full"): otherwise an offline printer holds BUSY, the status request cannot reach it, and the
/// cashier is told "offline" instead of "out of paper".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrinterSettings {
    /// The device: `/dev/ttyUSB1`, or better the stable `/dev/serial/by-id/usb-…` link.
    pub path: String,
    pub baud: u32,
    pub flow_control: FlowControl,
    /// Characters per line: 42 on 80 mm paper, 32 on 58 mm.
    pub columns: usize,
    /// Ask the printer for its status (DLE EOT) before printing. Turn off only for a printer
    /// that does not answer status requests, which would otherwise always be "offline".
    pub check_status: bool,
    /// How long the printer has to answer a status request.
    pub status_timeout_ms: u64,
    /// How long the printer may hold the line busy before the job is abandoned, on top of the
    /// time the bytes take at `baud`.
    pub write_timeout_ms: u64,
}

impl Default for PrinterSettings {
    fn default() -> Self {
        PrinterSettings {
            path: String::new(),
            baud: 9600,
            flow_control: FlowControl::Hardware,
            columns: comptoir_domain::receipt::WIDTH_80MM,
            check_status: true,
            status_timeout_ms: 500,
            write_timeout_ms: 5_000,
        }
    }
}

/// The longest any single wait may last, whatever the settings say: a checkout must get its
/// answer, and `Instant + Duration` must not overflow.
const MAX_WAIT_MS: u64 = 60_000;

/// A printer setting that cannot work, named as the configuration names it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("printer_port is empty: name the receipt printer's device, e.g. /dev/ttyUSB1")]
    NoPath,
    #[error("printer_baud {0} is not a usable rate (Epson printers use 9600, 19200 or 38400)")]
    Baud(u32),
    #[error("printer_columns {0} is not a receipt width (42 on 80 mm paper, 32 on 58 mm)")]
    Columns(usize),
}

impl PrinterSettings {
    /// The default settings on `path`.
    pub fn new(path: impl Into<String>) -> Self {
        PrinterSettings {
            path: path.into(),
            ..PrinterSettings::default()
        }
    }

    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.path.trim().is_empty() {
            return Err(SettingsError::NoPath);
        }
        if !(1200..=921_600).contains(&self.baud) {
            return Err(SettingsError::Baud(self.baud));
        }
        if !(24..=80).contains(&self.columns) {
            return Err(SettingsError::Columns(self.columns));
        }
        Ok(())
    }

    fn status_timeout(&self) -> Duration {
        Duration::from_millis(self.status_timeout_ms.clamp(1, MAX_WAIT_MS))
    }

    fn write_timeout(&self) -> Duration {
        Duration::from_millis(self.write_timeout_ms.clamp(1, MAX_WAIT_MS))
    }

    /// The time `len` bytes take on the line: 10 bits each (start, 8 data, stop).
    fn transfer_time(&self, len: usize) -> Duration {
        let bits = u64::try_from(len).unwrap_or(u64::MAX).saturating_mul(10);
        Duration::from_millis(bits.saturating_mul(1000) / u64::from(self.baud.max(1)))
    }
}

/// Why a receipt was not printed. The messages are for the cashier; the sale is complete
/// whatever happens here.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PrinterError {
    #[error("printer settings: {0}")]
    Settings(#[from] SettingsError),
    #[error("receipt printer {port} not found: check that it is plugged in and switched on")]
    NotFound { port: String },
    #[error("receipt printer {port} cannot be opened ({reason}): another program may be using it")]
    Unavailable { port: String, reason: String },
    #[error(
        "receipt printer {port} is offline or does not answer: check that it is switched on, its cover closed and its cable plugged in"
    )]
    Offline { port: String },
    #[error("receipt printer {port} is out of paper: put in a new roll, then print again")]
    PaperOut { port: String },
    #[error("receipt printer {port} has its cover open: close it, then print again")]
    CoverOpen { port: String },
    #[error(
        "receipt printer {port} reports an error (paper jam or cutter): open the cover, clear the paper, close it, then print again"
    )]
    Fault { port: String },
    #[error(
        "receipt printer {port} gave an unexpected answer ({answer:#04x}): check its baud rate (printer_baud)"
    )]
    UnexpectedAnswer { port: String, answer: u8 },
    #[error(
        "sending the receipt to printer {port} failed ({reason}): check the cable, then print again"
    )]
    WriteFailed { port: String, reason: String },
}

impl PrinterError {
    /// The port the printer is configured on, when the error is about it: a name a screen may
    /// show beside its own words for the kind.
    pub fn port(&self) -> Option<&str> {
        match self {
            PrinterError::Settings(_) => None,
            PrinterError::NotFound { port }
            | PrinterError::Unavailable { port, .. }
            | PrinterError::Offline { port }
            | PrinterError::PaperOut { port }
            | PrinterError::CoverOpen { port }
            | PrinterError::Fault { port }
            | PrinterError::UnexpectedAnswer { port, .. }
            | PrinterError::WriteFailed { port, .. } => Some(port),
        }
    }
}

/// Lays `receipt` out for the printer's width, encodes it and prints it (see [`print`]).
pub fn print_receipt(settings: &PrinterSettings, receipt: &Receipt) -> Result<(), PrinterError> {
    let job = encode_with_code(
        &layout(receipt, settings.columns),
        receipt.code.as_deref(),
        &EncodeOptions::default(),
    );
    print(settings, &job)
}

/// Sends `job` (from [`encode`]) to the printer: opens the port, asks the printer's status when
/// `check_status` is on, writes the job and waits until it has left the computer. Every step has
/// a deadline; on failure the bytes still queued are discarded, so that half a receipt does not
/// come out later when the printer is back, and so that closing the port does not wait for them.
pub fn print(settings: &PrinterSettings, job: &[u8]) -> Result<(), PrinterError> {
    settings.validate()?;
    let port_name = settings.path.clone();
    let mut port = open(settings)?;
    let result = send(settings, port.as_mut(), job);
    if result.is_err() {
        // Best effort: the port may be gone, and there is nothing more to tell the cashier.
        let _ = port.clear(ClearBuffer::All);
    }
    match &result {
        Ok(()) => {
            tracing::debug!(port = %port_name, bytes = job.len(), "receipt sent to the printer")
        }
        Err(error) => tracing::warn!(port = %port_name, %error, "receipt not printed"),
    }
    result
}

/// ESC p 0 25 250: a pulse on the drawer kick-out connector's pin 2, on for 50 ms and off for
/// 500 ms (times in units of 2 ms). Epson ESC/POS Command Reference, « ESC p: Generate pulse ».
pub const DRAWER_KICK: [u8; 5] = [ESC, b'p', 0, 25, 250];

/// Opens the cash drawer wired to the receipt printer: sends [`DRAWER_KICK`] without asking the
/// printer's status first, since a drawer must open even when the printer is out of paper.
pub fn open_drawer(settings: &PrinterSettings) -> Result<(), PrinterError> {
    let mut settings = settings.clone();
    settings.check_status = false;
    print(&settings, &DRAWER_KICK)
}

fn open(settings: &PrinterSettings) -> Result<Box<dyn SerialPort>, PrinterError> {
    let port = settings.path.clone();
    let flow_control = match settings.flow_control {
        FlowControl::None => serialport::FlowControl::None,
        FlowControl::Software => serialport::FlowControl::Software,
        FlowControl::Hardware => serialport::FlowControl::Hardware,
    };
    serialport::new(&settings.path, settings.baud)
        .data_bits(serialport::DataBits::Eight)
        .parity(serialport::Parity::None)
        .stop_bits(serialport::StopBits::One)
        .flow_control(flow_control)
        .timeout(settings.status_timeout())
        .open()
        .map_err(|error| {
            // Asked of the path rather than of the error: serialport reports a port in use
            // (EBUSY) with the same kind as a missing device, and a USB adapter that vanished
            // can leave ENODEV. `exists` follows a /dev/serial/by-id link.
            if Path::new(&settings.path).exists() {
                PrinterError::Unavailable {
                    port,
                    reason: error.description,
                }
            } else {
                PrinterError::NotFound { port }
            }
        })
}

fn send(
    settings: &PrinterSettings,
    port: &mut dyn SerialPort,
    job: &[u8],
) -> Result<(), PrinterError> {
    let name = settings.path.as_str();
    // Bytes left from an earlier exchange (a late status answer) would be read as this one's.
    let _ = port.clear(ClearBuffer::Input);
    if settings.check_status {
        check_status(settings, port)?;
    }
    port.set_timeout(settings.write_timeout())
        .map_err(|e| write_failed(name, &e.description))?;
    port.write_all(job).map_err(|error| match error.kind() {
        // With hardware flow control an offline printer holds the line busy.
        io::ErrorKind::TimedOut => PrinterError::Offline {
            port: name.to_owned(),
        },
        _ => lost_or_failed(name, &error),
    })?;
    drain(settings, port, job.len())
}

/// Waits until the kernel has sent every byte, with a deadline. `flush` (tcdrain) would wait
/// forever for a printer that holds its busy line.
fn drain(
    settings: &PrinterSettings,
    port: &mut dyn SerialPort,
    len: usize,
) -> Result<(), PrinterError> {
    let name = settings.path.as_str();
    let wait = settings
        .transfer_time(len)
        .saturating_add(settings.write_timeout())
        .min(Duration::from_millis(MAX_WAIT_MS * 10));
    let deadline = Instant::now() + wait;
    loop {
        match port.bytes_to_write() {
            Ok(0) => return Ok(()),
            Ok(_) if Instant::now() >= deadline => {
                return Err(PrinterError::Offline {
                    port: name.to_owned(),
                });
            }
            Ok(_) => thread::sleep(Duration::from_millis(10)),
            Err(error) => {
                return Err(lost_or_failed(name, &io::Error::other(error.description)));
            }
        }
    }
}

/// DLE EOT status bytes: bits 0 and 7 are always 0, bits 1 and 4 always 1 (Epson ESC/POS
/// reference, "Transmit real-time status"); anything else is not a status byte.
const STATUS_FIXED_MASK: u8 = 0b1001_0011;
const STATUS_FIXED_BITS: u8 = 0b0001_0010;
/// n = 1, printer status: bit 3, offline.
const OFFLINE: u8 = 0x08;
/// n = 2, offline cause: bit 2 cover open, bit 5 stopped at the paper end, bit 6 error.
const COVER_OPEN: u8 = 0x04;
const PAPER_END_STOP: u8 = 0x20;
const ERROR: u8 = 0x40;
/// n = 4, roll paper sensor: bits 2–3 near end, bits 5–6 paper end.
const NEAR_END: u8 = 0x0C;
const PAPER_END: u8 = 0x60;

/// What the printer says about itself, asked in real time (DLE EOT 1, then 2 when it is offline,
/// then 4 for the paper roll). A printer that does not answer within `status_timeout` is offline.
fn check_status(settings: &PrinterSettings, port: &mut dyn SerialPort) -> Result<(), PrinterError> {
    let name = settings.path.as_str();
    let printer = ask_status(settings, port, 1)?;
    if printer & OFFLINE != 0 {
        let cause = ask_status(settings, port, 2)?;
        let port = name.to_owned();
        return Err(if cause & COVER_OPEN != 0 {
            PrinterError::CoverOpen { port }
        } else if cause & PAPER_END_STOP != 0 {
            PrinterError::PaperOut { port }
        } else if cause & ERROR != 0 {
            PrinterError::Fault { port }
        } else {
            PrinterError::Offline { port }
        });
    }
    let paper = ask_status(settings, port, 4)?;
    if paper & PAPER_END != 0 {
        return Err(PrinterError::PaperOut {
            port: name.to_owned(),
        });
    }
    if paper & NEAR_END != 0 {
        tracing::warn!(port = %name, "receipt printer paper roll nearly empty");
    }
    Ok(())
}

fn ask_status(
    settings: &PrinterSettings,
    port: &mut dyn SerialPort,
    n: u8,
) -> Result<u8, PrinterError> {
    let name = settings.path.as_str();
    let offline = || PrinterError::Offline {
        port: name.to_owned(),
    };
    port.set_timeout(settings.status_timeout())
        .map_err(|e| write_failed(name, &e.description))?;
    port.write_all(&[DLE, EOT, n])
        .map_err(|error| match error.kind() {
            io::ErrorKind::TimedOut => offline(),
            _ => lost_or_failed(name, &error),
        })?;
    let mut answer = [0u8; 1];
    match port.read(&mut answer) {
        Ok(1) if answer[0] & STATUS_FIXED_MASK == STATUS_FIXED_BITS => Ok(answer[0]),
        Ok(1) => Err(PrinterError::UnexpectedAnswer {
            port: name.to_owned(),
            answer: answer[0],
        }),
        // Nothing within the timeout (or end of file): nobody answers.
        Ok(_) => Err(offline()),
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            ) =>
        {
            Err(offline())
        }
        Err(error) => Err(lost_or_failed(name, &error)),
    }
}

/// NotFound when the device went away (unplugged during the job), WriteFailed otherwise.
fn lost_or_failed(port: &str, error: &io::Error) -> PrinterError {
    if Path::new(port).exists() {
        write_failed(port, &error.to_string())
    } else {
        PrinterError::NotFound {
            port: port.to_owned(),
        }
    }
}

fn write_failed(port: &str, reason: &str) -> PrinterError {
    PrinterError::WriteFailed {
        port: port.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, style: Style) -> PrintLine {
        PrintLine {
            text: text.to_owned(),
            style,
        }
    }

    #[test]
    fn pc858_has_every_latin1_character_and_the_euro() {
        for code in 0xA0..=0xFF_u32 {
            let c = char::from_u32(code).expect("Latin-1 is all valid chars");
            let byte = to_pc858(c);
            assert!(byte >= 0x80 || c == '\u{A0}', "{c:?} has no PC858 byte");
        }
        for byte in 0x80..=0xFF_u8 {
            let c = PC858_HIGH[usize::from(byte - 0x80)];
            if c != '\u{A0}' {
                assert_eq!(to_pc858(c), byte, "{c:?} round trip");
            }
        }
    }

    #[test]
    fn french_characters_take_their_pc858_bytes() {
        // (character, byte) from the IBM code page 858 chart.
        let cases = [
            ('é', 0x82),
            ('è', 0x8A),
            ('ê', 0x88),
            ('à', 0x85),
            ('â', 0x83),
            ('ç', 0x87),
            ('ô', 0x93),
            ('ù', 0x97),
            ('û', 0x96),
            ('î', 0x8C),
            ('ï', 0x8B),
            ('É', 0x90),
            ('È', 0xD4),
            ('Ê', 0xD2),
            ('À', 0xB7),
            ('Ç', 0x80),
            ('Î', 0xD7),
            ('Ô', 0xE2),
            ('€', 0xD5),
            ('°', 0xF8),
            ('«', 0xAE),
            ('»', 0xAF),
            ('×', 0x9E),
            ('A', b'A'),
            (' ', b' '),
            ('\u{A0}', b' '),
            ('\u{202F}', b' '),
        ];
        for (c, byte) in cases {
            assert_eq!(to_pc858(c), byte, "{c:?}");
        }
    }

    #[test]
    fn what_pc858_lacks_and_control_characters_become_question_marks() {
        for c in [
            'ı', 'œ', '日', '🙂', '\u{1B}', '\u{1D}', '\u{10}', '\n', '\r', '\u{7F}', '\u{85}',
        ] {
            assert_eq!(to_pc858(c), b'?', "{c:?}");
        }
    }

    #[test]
    fn styles_are_sent_only_when_they_change() {
        let bold = Style {
            bold: true,
            ..Style::default()
        };
        let big = Style {
            bold: true,
            double_size: true,
            align: Align::Center,
        };
        let lines = [
            line("Café", Style::default()),
            line("MODE", big),
            line("FORM", big),
            line("Total 9,50 €", bold),
        ];
        let job = encode(&lines, &EncodeOptions::default());
        let expected: Vec<u8> = [
            &[ESC, b'@', ESC, b't', 19][..],
            b"Caf\x82\n",
            &[ESC, b'a', 1, ESC, b'E', 1, GS, b'!', 0x11],
            b"MODE\nFORM\n",
            &[ESC, b'a', 0, GS, b'!', 0],
            b"Total 9,50 \xD5\n",
            &[ESC, b'E', 0],
            &[ESC, b'd', 2, GS, b'V', 66, 0],
        ]
        .concat();
        assert_eq!(job, expected);
    }

    #[test]
    fn cut_options() {
        let full = encode(
            &[],
            &EncodeOptions {
                feed_lines: 0,
                cut: Cut::Full,
            },
        );
        assert_eq!(full, [ESC, b'@', ESC, b't', 19, GS, b'V', 65, 0]);
        let none = encode(
            &[],
            &EncodeOptions {
                feed_lines: 3,
                cut: Cut::None,
            },
        );
        assert_eq!(none, [ESC, b'@', ESC, b't', 19, ESC, b'd', 3]);
    }

    #[test]
    fn a_receipt_code_is_a_centred_model_2_qr_after_the_text_and_before_the_cut() {
        let code = "CPTR1:PAR-01:T01-000042:0123456789abcdef";
        let job = encode_with_code(
            &[line("Merci", Style::default())],
            Some(code),
            &EncodeOptions::default(),
        );
        let at = |needle: &[u8]| {
            job.windows(needle.len())
                .position(|w| w == needle)
                .unwrap_or_else(|| panic!("{needle:?} not in {job:?}"))
        };
        let text = at(b"Merci\n");
        let centre = at(&[ESC, b'a', 1]);
        let model = at(&[GS, b'(', b'k', 4, 0, 49, 65, 50, 0]);
        let level_m = at(&[GS, b'(', b'k', 3, 0, 49, 69, 49]);
        // Store: pL pH count the data and the three bytes cn fn m.
        let len = u8::try_from(code.len() + 3).expect("short");
        let store = at(&[GS, b'(', b'k', len, 0, 49, 80, 48]);
        let data = at(code.as_bytes());
        let print = at(&[GS, b'(', b'k', 3, 0, 49, 81, 48]);
        let cut = at(&[GS, b'V']);
        assert!(text < centre && centre < model && model < level_m && level_m < store);
        assert_eq!(data, store + 8);
        assert!(data < print && print < cut);
        // Without a code, no QR command at all; a code of control bytes only prints nothing.
        let plain = encode(
            &[line("Merci", Style::default())],
            &EncodeOptions::default(),
        );
        assert!(!plain.windows(3).any(|w| w == [GS, b'(', b'k']));
        let hostile = encode_with_code(&[], Some("\u{1B}\u{1D}\n"), &EncodeOptions::default());
        assert!(!hostile.windows(3).any(|w| w == [GS, b'(', b'k']));
    }

    #[test]
    fn text_can_never_inject_a_command() {
        let hostile = line("\u{1B}@\u{1D}V\u{41}\u{10}\u{4}\u{1}x", Style::default());
        let job = encode(&[hostile], &EncodeOptions::default());
        let text = &job[5..job.len() - 7];
        assert_eq!(text, b"?@?VA???x\n");
    }

    #[test]
    fn settings_are_checked() {
        let cases = [
            (PrinterSettings::new("/dev/ttyUSB1"), Ok(())),
            (PrinterSettings::default(), Err(SettingsError::NoPath)),
            (
                PrinterSettings {
                    baud: 0,
                    ..PrinterSettings::new("/dev/ttyUSB1")
                },
                Err(SettingsError::Baud(0)),
            ),
            (
                PrinterSettings {
                    columns: 8,
                    ..PrinterSettings::new("/dev/ttyUSB1")
                },
                Err(SettingsError::Columns(8)),
            ),
        ];
        for (settings, expected) in cases {
            assert_eq!(settings.validate(), expected, "{settings:?}");
        }
    }

    #[test]
    fn transfer_time_counts_ten_bits_a_byte() {
        let settings = PrinterSettings::new("/dev/ttyUSB1");
        assert_eq!(settings.transfer_time(960), Duration::from_secs(1));
        assert_eq!(
            settings.transfer_time(usize::MAX),
            Duration::from_millis(u64::MAX / 9600)
        );
    }

    #[test]
    fn errors_tell_the_cashier_what_to_do() {
        let port = "/dev/ttyUSB1".to_owned();
        assert_eq!(
            PrinterError::NotFound { port: port.clone() }.to_string(),
            "receipt printer /dev/ttyUSB1 not found: check that it is plugged in and switched on"
        );
        assert_eq!(
            PrinterError::PaperOut { port }.to_string(),
            "receipt printer /dev/ttyUSB1 is out of paper: put in a new roll, then print again"
        );
    }
}
