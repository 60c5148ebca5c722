//! `comptoir listen --serial PATH [--baud N] [--json]`: reads a serial scanner until the process
//! is interrupted and prints one line per frame on standard output — with `--json`, one JSON
//! object per line with the fields of `comptoir parse --json` — and the scanner's status changes
//! ("scanner /dev/ttyUSB0 disconnected, retrying in 100 ms (…)") as plain lines on standard
//! error. It survives garbage on the line and keeps reading across an unplug and replug: all of
//! that is the reader's job ([`crate::devices::scanner`]); this file only prints.
//!
//! Interruption is the default Ctrl-C (SIGINT) or SIGTERM, with no handler: every line is
//! flushed as soon as it is written and the kernel closes the port (and releases its lock) when
//! the process ends, so there is nothing to clean up and no `ctrlc` dependency is needed.
//!
//! It must never print anything but scans on standard output (scripts read it), and never stop
//! because of what the scanner sends.

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver};

use anyhow::Context;

use super::parse::ParseOutput;
use crate::devices::scanner::{ScannerEvent, ScannerStatus, SerialSettings, spawn_scanner};
use crate::domain::scan::{Scan, ScanConfig};

/// Runs `comptoir listen`: `path` and `baud` come from the command line, the rest of the line
/// settings (parity, data and stop bits, and the baud rate when `--baud` is absent) from the
/// configuration. Runs until the process is interrupted; returns success when standard output
/// is closed (e.g. `comptoir listen | head -1`).
pub fn run(
    path: &str,
    baud: Option<u32>,
    configured: SerialSettings,
    scan_config: &ScanConfig,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let settings = settings_for(path, baud, configured);
    let (sender, events) = mpsc::channel();
    let scanner = spawn_scanner(settings, scan_config.clone(), sender)
        .with_context(|| format!("cannot listen to the scanner on {path}"))?;
    // Standard error is not locked for the whole run, unlike standard output: the reader thread
    // logs to it through `tracing`, and would block forever on a lock held here.
    let printed = print_events(
        &events,
        path,
        json,
        &mut io::stdout().lock(),
        &mut io::stderr(),
    );
    scanner.stop();
    match printed {
        // The reader only ends when told to, so a closed channel means it died.
        Ok(()) => anyhow::bail!("the reader of the scanner on {path} stopped unexpectedly"),
        // Whoever read our output has gone: that ends the command normally.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("cannot write the scans to standard output"),
    }
}

/// The configured serial settings with the command line's port and, when given, baud rate.
pub fn settings_for(path: &str, baud: Option<u32>, configured: SerialSettings) -> SerialSettings {
    SerialSettings {
        path: path.to_owned(),
        baud: baud.unwrap_or(configured.baud),
        ..configured
    }
}

/// Prints the reader's events until its channel closes (the reader ended) or `out` fails: one
/// line per scan on `out`, flushed at once; status changes and discarded frames on `status`,
/// whose write errors are ignored (a closed standard error must not stop the scans).
pub fn print_events(
    events: &Receiver<ScannerEvent>,
    port: &str,
    json: bool,
    out: &mut impl Write,
    status: &mut impl Write,
) -> io::Result<()> {
    // Until the port has opened once, a failure is most likely a wrong path: say so, and that
    // listen keeps waiting for it (a scanner plugged in later is the design), instead of a
    // « disconnected » that reads as if it had worked (issue 20).
    let mut opened_once = false;
    for event in events {
        match event {
            ScannerEvent::Status(ScannerStatus::Connected { .. }) if !opened_once => {
                opened_once = true;
                let _ = writeln!(status, "scanner {port} connected");
            }
            ScannerEvent::Status(ScannerStatus::Disconnected { reason, .. }) if !opened_once => {
                opened_once = true;
                let _ = writeln!(
                    status,
                    "scanner {port} cannot be opened ({reason}): check the path (ls \
                     /dev/serial/by-id/); listen keeps trying until it appears (Ctrl-C to stop)"
                );
            }
            ScannerEvent::Scan(scan) => {
                if json {
                    let line = serde_json::to_string(&ParseOutput::of(&scan))?;
                    writeln!(out, "{line}")?;
                } else {
                    writeln!(out, "{}", scan_line(&scan))?;
                }
                out.flush()?;
            }
            ScannerEvent::Status(change) => {
                let _ = writeln!(status, "{change}");
            }
            ScannerEvent::Discarded(reason) => {
                let _ = writeln!(status, "scanner {port}: {reason}");
            }
        }
    }
    Ok(())
}

/// One scan on one line for a person: the kind first, then `key=value` pairs. Text that comes
/// from the scanner is quoted and escaped (`"]C1…\u{1d}99…"`), so a control character in
/// garbage can neither break the line nor drive the terminal.
pub fn scan_line(scan: &Scan) -> String {
    let output = ParseOutput::of(scan);
    let mut line = output.kind.to_owned();
    if let Some(gtin) = &output.gtin {
        line.push_str(&format!(" gtin={gtin}"));
    }
    if let Some(symbology) = &output.symbology {
        line.push_str(&format!(" symbology={symbology}"));
    }
    if !output.ais.is_empty() {
        let ais: String = output
            .ais
            .iter()
            .map(|(ai, value)| format!("({ai}){value}"))
            .collect();
        line.push_str(&format!(" ais={ais:?}"));
    }
    if let Some(in_store) = &output.in_store {
        line.push_str(&format!(" item_code={:?}", in_store.item_code));
        if let Some(grams) = in_store.weight_grams {
            line.push_str(&format!(" weight_grams={grams}"));
        }
        if let Some(cents) = in_store.price_cents {
            line.push_str(&format!(" price_cents={cents}"));
        }
    }
    line.push_str(&format!(" raw={:?}", output.raw));
    if let Some(error) = &output.error {
        line.push_str(&format!(" error={error:?}"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::frames::FrameError;
    use crate::devices::scanner::{Disconnection, ScannerStatus};
    use crate::domain::scan::parse_scan;

    #[test]
    fn text_lines_table() {
        let config = ScanConfig::default();
        let cases = [
            (
                "]E04006381333931",
                r#"gtin gtin=04006381333931 symbology=]E0 raw="]E04006381333931""#,
            ),
            (
                "]C1011231231231233310ABC123\x1d99TESTING",
                r#"gs1 gtin=12312312312333 symbology=]C1 ais="(01)12312312312333(10)ABC123(99)TESTING" raw="]C1011231231231233310ABC123\u{1d}99TESTING""#,
            ),
            (
                "2112345015002",
                r#"in_store gtin=02112345015002 item_code="12345" weight_grams=1500 raw="2112345015002""#,
            ),
            (
                "\x1b[2J",
                r#"invalid raw="\u{1b}[2J" error="the scan contains control character 0x1b at position 1; only the GS1 separator (0x1d) may appear inside a code""#,
            ),
            ("bonjour", r#"unknown raw="bonjour""#),
        ];
        for (raw, line) in cases {
            assert_eq!(scan_line(&parse_scan(raw, &config)), line);
        }
    }

    #[test]
    fn events_go_to_the_right_stream() {
        let (sender, events) = mpsc::channel();
        let port = "/dev/ttyUSB0";
        let config = ScanConfig::default();
        let sent = [
            ScannerEvent::Status(ScannerStatus::Connected { port: port.into() }),
            ScannerEvent::Scan(parse_scan("4006381333931", &config)),
            ScannerEvent::Discarded(FrameError::TooLong { limit: 4096 }),
            ScannerEvent::Status(ScannerStatus::Disconnected {
                port: port.into(),
                reason: Disconnection::HungUp,
                retry_in: std::time::Duration::from_secs(1),
            }),
            ScannerEvent::Scan(parse_scan("CPTL1:abc", &config)),
        ];
        for event in sent {
            sender.send(event).expect("receiver alive");
        }
        drop(sender);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        print_events(&events, port, true, &mut out, &mut err).expect("in memory");
        let out = String::from_utf8(out).expect("utf-8");
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["kind"], "gtin");
        assert_eq!(lines[0]["gtin"], "04006381333931");
        assert_eq!(lines[1]["kind"], "loyalty");
        assert_eq!(
            String::from_utf8(err).expect("utf-8"),
            "scanner /dev/ttyUSB0 connected\n\
             scanner /dev/ttyUSB0: the scanner sent more than 4096 bytes without a line ending; \
             they were discarded (is the scanner set to end each code with CR or LF?)\n\
             scanner /dev/ttyUSB0 disconnected, retrying in 1 s (the device hung up)\n"
        );
    }

    #[test]
    fn command_line_overrides_the_configuration() {
        let configured = SerialSettings {
            path: "/dev/ttyS0".into(),
            baud: 19_200,
            data_bits: 7,
            ..SerialSettings::default()
        };
        let s = settings_for("/dev/ttyACM0", None, configured.clone());
        assert_eq!(
            (s.path.as_str(), s.line().as_str()),
            ("/dev/ttyACM0", "19200 7N1")
        );
        let s = settings_for("/dev/ttyACM0", Some(115_200), configured);
        assert_eq!(s.line(), "115200 7N1");
    }
}
