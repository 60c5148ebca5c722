//! The receipt printer, played by a pseudo-terminal pair: `print` opens the slave side by its
//! path, exactly as it opens /dev/ttyUSB1, and a thread on the master side is the printer. It
//! records every byte it receives and answers the real-time status requests (DLE EOT n) with
//! the bytes an Epson printer sends, or stays silent like a printer that is switched off.
//!
//! What is checked is what the printer would get: the exact ESC/POS job for a realistic French
//! receipt (golden hex dump `tests/data/receipt-escpos.hex`), € and accents in code page PC858,
//! and the cashier's error for each state (paper out, cover open, offline, unplugged).

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use comptoir::devices::printer::{
    EncodeOptions, FlowControl, PrinterError, PrinterSettings, encode, print, print_receipt,
    to_pc858,
};
use comptoir::domain::basket::{Basket, BasketLine};
use comptoir::domain::money::{Cents, price_for_weight};
use comptoir::domain::payment::{Tender, settle};
use comptoir::domain::receipt::{Receipt, ReceiptLine, Shop, WIDTH_80MM, layout};
use comptoir::domain::vat::VatRate;
use serialport::{SerialPort, TTYPort};

/// Long enough for a loaded CI machine; a passing test never waits this long.
const PATIENCE: Duration = Duration::from_secs(10);

const STATUS_TIMEOUT_MS: u64 = 1_000;

/// DLE EOT status bytes as an Epson printer sends them (fixed bits 1 and 4 set).
const ONLINE: u8 = 0x12;
const OFFLINE: u8 = 0x1A;
const NO_CAUSE: u8 = 0x12;
const CAUSE_COVER_OPEN: u8 = 0x16;
const CAUSE_PAPER_END: u8 = 0x32;
const CAUSE_ERROR: u8 = 0x52;
const PAPER_OK: u8 = 0x12;
const PAPER_NEAR_END: u8 = 0x1E;
const PAPER_END: u8 = 0x72;

const ASK_PRINTER: [u8; 3] = [0x10, 0x04, 1];
const ASK_CAUSE: [u8; 3] = [0x10, 0x04, 2];
const ASK_PAPER: [u8; 3] = [0x10, 0x04, 4];

/// How the fake printer answers DLE EOT 1, 2 and 4; `None`: it never answers.
#[derive(Clone, Copy)]
struct Answers {
    printer: u8,
    cause: u8,
    paper: u8,
}

const READY: Answers = Answers {
    printer: ONLINE,
    cause: NO_CAUSE,
    paper: PAPER_OK,
};

/// A receipt printer on the master side of a pseudo-terminal pair.
struct PtyPrinter {
    path: String,
    /// Kept open: the master side fails with BrokenPipe while no slave descriptor is open.
    _slave: TTYPort,
    done: Arc<AtomicBool>,
    printer: JoinHandle<Vec<u8>>,
}

impl PtyPrinter {
    fn start(answers: Option<Answers>) -> PtyPrinter {
        let (mut master, slave) = TTYPort::pair().expect("pseudo-terminal pair");
        master
            .set_timeout(Duration::from_millis(20))
            .expect("master timeout");
        let path = slave.name().expect("a pair's slave has a name");
        let done = Arc::new(AtomicBool::new(false));
        let finished = Arc::clone(&done);
        let printer = thread::spawn(move || {
            let mut received = Vec::new();
            let mut scanned = 0;
            let mut buf = [0u8; 256];
            let started = Instant::now();
            while started.elapsed() < PATIENCE {
                match master.read(&mut buf) {
                    Ok(n) if n > 0 => received.extend_from_slice(&buf[..n]),
                    // Nothing more came: once the test is done, everything has arrived.
                    _ if finished.load(Ordering::SeqCst) => break,
                    _ => continue,
                }
                // Real-time commands are answered as soon as they arrive.
                while let Some(offset) = received[scanned..]
                    .windows(3)
                    .position(|w| w[0] == 0x10 && w[1] == 0x04)
                {
                    let n = received[scanned + offset + 2];
                    scanned += offset + 3;
                    if let Some(answers) = answers {
                        let answer = match n {
                            1 => answers.printer,
                            2 => answers.cause,
                            _ => answers.paper,
                        };
                        master.write_all(&[answer]).expect("printer answers");
                    }
                }
            }
            received
        });
        PtyPrinter {
            path,
            _slave: slave,
            done,
            printer,
        }
    }

    /// The default settings on this pair, with a status timeout long enough for a loaded CI
    /// machine to schedule the printer thread, short enough for the silent-printer test.
    fn settings(&self) -> PrinterSettings {
        PrinterSettings {
            status_timeout_ms: STATUS_TIMEOUT_MS,
            write_timeout_ms: 2_000,
            ..PrinterSettings::new(self.path.clone())
        }
    }

    /// Every byte the printer received.
    fn received(self) -> Vec<u8> {
        self.done.store(true, Ordering::SeqCst);
        self.printer.join().expect("printer thread")
    }
}

fn c(cents: i64) -> Cents {
    Cents::new(cents)
}

fn basket_line(label: &str, unit: i64, quantity: i64, rate: VatRate) -> BasketLine {
    BasketLine::new("3760000000000", label, c(unit), quantity, rate)
}

/// The demo store's sale of the layout golden file (`crates/domain/tests/data/receipt.txt`): four VAT rates,
/// a weighed item, cash with change.
fn sample_receipt() -> Receipt {
    let almonds = price_for_weight(c(2490), 250).expect("weighing");
    let mut basket = Basket::new();
    for line in [
        basket_line(
            "Pull col rond mérinos marine Étretat",
            5990,
            1,
            VatRate::Standard,
        ),
        basket_line(
            "Bougie parfumée « Figuier » cire végétale, coffret cadeau édition limitée",
            1450,
            2,
            VatRate::Standard,
        ),
        basket_line("Terreau universel 20 L", 790, 1, VatRate::Intermediate),
        BasketLine {
            amount_override: Some(almonds),
            ..basket_line("Amandes vrac 0,250 kg à 24,90 €/kg", 0, 1, VatRate::Reduced)
        },
        basket_line(
            "Quotidien régional — édition Île-de-France",
            150,
            1,
            VatRate::SuperReduced,
        ),
    ] {
        basket.add(line).expect("valid line");
    }
    let totals = basket.totals().expect("totals");
    let settlement = settle(
        totals.total,
        Tender::Cash {
            given: Some(c(11_000)),
        },
    )
    .expect("cash covers it");
    Receipt {
        shop: Shop {
            name: "Comptoir Paris Rivoli".to_owned(),
            address_lines: vec!["12 rue de Rivoli".to_owned(), "75004 Paris".to_owned()],
            siret: "123 456 782 00010".to_owned(),
            vat_number: "FR11123456782".to_owned(),
        },
        ticket_number: "T01-000042".to_owned(),
        terminal_id: "T01".to_owned(),
        operator: Some("camille".to_owned()),
        created_at: 1_795_617_727,
        lines: basket
            .lines()
            .iter()
            .map(|line| ReceiptLine::from_basket_line(line).expect("valid line"))
            .collect(),
        total: totals.total,
        vat: totals.per_rate,
        payments: settlement.payments,
        change: settlement.change,
        sequence: 42,
        hash: "3f2a9c0d1e4b5a67c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5".to_owned(),
        training: false,
        duplicate: false,
        code: None,
        exchange: None,
    }
}

fn sample_job() -> Vec<u8> {
    encode(
        &layout(&sample_receipt(), WIDTH_80MM),
        &EncodeOptions::default(),
    )
}

/// The character a PC858 byte stands for, for the right-hand column of the dump: ASCII, and
/// the Latin-1 letters and € found by asking the encoder itself.
fn shown(byte: u8) -> char {
    if byte.is_ascii_graphic() || byte == b' ' {
        return char::from(byte);
    }
    ('\u{A1}'..='\u{FF}')
        .chain(['€'])
        .find(|&c| to_pc858(c) == byte && byte >= 0x80)
        .unwrap_or('.')
}

/// The job as a hex dump, one block per printed line (cut after each LF), 16 bytes a row, the
/// text shown on the right (`.` for a command byte): a change to the receipt's bytes is a
/// readable diff.
fn hex_dump(bytes: &[u8]) -> String {
    let mut dump = String::from(
        "# ESC/POS job of crates/domain/tests/data/receipt.txt (80 mm, PC858): hex bytes, then `|` and the text.\n",
    );
    for segment in bytes.split_inclusive(|&b| b == b'\n') {
        for row in segment.chunks(16) {
            let hex: Vec<String> = row.iter().map(|b| format!("{b:02x}")).collect();
            let text: String = row.iter().map(|&b| shown(b)).collect();
            dump.push_str(&format!("{:<48}| {text}\n", hex.join(" ")));
        }
    }
    dump
}

fn parse_hex_dump(dump: &str) -> Vec<u8> {
    dump.lines()
        .filter(|line| !line.starts_with('#'))
        .flat_map(|line| line.split('|').next().unwrap_or("").split_whitespace())
        .map(|hex| u8::from_str_radix(hex, 16).expect("hex byte"))
        .collect()
}

/// Compares with the golden hex dump; `UPDATE_GOLDEN=1 cargo test` rewrites it.
fn assert_golden_bytes(name: &str, actual: &[u8]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, hex_dump(actual)).expect("write golden file");
    }
    let dump = std::fs::read_to_string(&path).expect("golden file (UPDATE_GOLDEN=1)");
    assert_eq!(
        hex_dump(actual),
        hex_dump(&parse_hex_dump(&dump)),
        "{} differs",
        path.display()
    );
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn printer_receives_the_golden_job_after_the_status_check() {
    let printer = PtyPrinter::start(Some(READY));
    let settings = printer.settings();
    assert_eq!(print_receipt(&settings, &sample_receipt()), Ok(()));
    let received = printer.received();

    let job = sample_job();
    assert_eq!(received, [&ASK_PRINTER[..], &ASK_PAPER, &job].concat());
    assert_golden_bytes("receipt-escpos.hex", &job);
}

#[test]
fn euro_and_accents_arrive_in_pc858() {
    let printer = PtyPrinter::start(Some(READY));
    assert_eq!(print(&printer.settings(), &sample_job()), Ok(()));
    let received = printer.received();
    // ESC t 19 selects PC858 before any text.
    assert_eq!(&received[6..11], [0x1B, 0x40, 0x1B, 0x74, 19]);
    let cases: [(&str, &[u8]); 9] = [
        ("€", b"104,53 \xD5"),
        ("é", b"S\x82quence n\xF8 42"),
        ("è", b"Esp\x8Aces"),
        ("É", b"\x90tretat"),
        ("à", b"\x85 24,90 \xD5/kg"),
        ("Î", b"\xD7le-de-France"),
        ("« »", b"\xAE Figuier \xAF"),
        ("×", b"2 \x9E 14,50 \xD5"),
        ("—", b"r\x82gional - \x82dition"),
    ];
    for (what, bytes) in cases {
        assert!(contains(&received, bytes), "{what}: {bytes:x?} not sent");
    }
    assert!(
        !received.iter().any(|&b| b == 0xC3 || b == 0xE2),
        "no UTF-8 lead byte reaches the printer"
    );
}

#[test]
fn paper_out_is_reported_and_nothing_is_printed() {
    let cases = [
        // Stopped at the paper end: offline, and the cause says why.
        Answers {
            printer: OFFLINE,
            cause: CAUSE_PAPER_END,
            paper: PAPER_END,
        },
        // Online but the roll sensor sees no paper.
        Answers {
            paper: PAPER_END,
            ..READY
        },
    ];
    for answers in cases {
        let printer = PtyPrinter::start(Some(answers));
        let port = printer.path.clone();
        let result = print(&printer.settings(), &sample_job());
        let received = printer.received();
        assert_eq!(result, Err(PrinterError::PaperOut { port }));
        assert!(
            received == [&ASK_PRINTER[..], &ASK_CAUSE].concat()
                || received == [&ASK_PRINTER[..], &ASK_PAPER].concat(),
            "only status requests were sent: {received:x?}"
        );
    }
}

#[test]
fn cover_open_and_faults_are_reported() {
    let cases = [
        (CAUSE_COVER_OPEN, "cover open"),
        (CAUSE_ERROR, "error"),
        (NO_CAUSE, "offline"),
    ];
    for (cause, what) in cases {
        let printer = PtyPrinter::start(Some(Answers {
            printer: OFFLINE,
            cause,
            paper: PAPER_OK,
        }));
        let port = printer.path.clone();
        let result = print(&printer.settings(), &sample_job());
        let received = printer.received();
        let expected = match cause {
            CAUSE_COVER_OPEN => PrinterError::CoverOpen { port },
            CAUSE_ERROR => PrinterError::Fault { port },
            _ => PrinterError::Offline { port },
        };
        assert_eq!(result, Err(expected), "{what}");
        assert_eq!(received, [&ASK_PRINTER[..], &ASK_CAUSE].concat(), "{what}");
    }
}

#[test]
fn a_printer_that_does_not_answer_is_offline() {
    let printer = PtyPrinter::start(None);
    let port = printer.path.clone();
    let started = Instant::now();
    let result = print(&printer.settings(), &sample_job());
    let waited = started.elapsed();
    let received = printer.received();
    assert_eq!(result, Err(PrinterError::Offline { port: port.clone() }));
    let bound = Duration::from_millis(STATUS_TIMEOUT_MS) + Duration::from_secs(3);
    assert!(
        waited < bound,
        "the status timeout bounds the wait: {waited:?}"
    );
    assert_eq!(
        received, ASK_PRINTER,
        "the job is not sent to a silent printer"
    );
    let message = PrinterError::Offline { port }.to_string();
    assert!(
        message.contains("is offline or does not answer"),
        "{message}"
    );
}

#[test]
fn garbage_instead_of_a_status_points_at_the_baud_rate() {
    let printer = PtyPrinter::start(Some(Answers {
        printer: 0xFF,
        ..READY
    }));
    let port = printer.path.clone();
    let result = print(&printer.settings(), &sample_job());
    printer.received();
    assert_eq!(
        result,
        Err(PrinterError::UnexpectedAnswer { port, answer: 0xFF })
    );
}

#[test]
fn near_end_paper_still_prints() {
    let printer = PtyPrinter::start(Some(Answers {
        paper: PAPER_NEAR_END,
        ..READY
    }));
    let job = sample_job();
    assert_eq!(print(&printer.settings(), &job), Ok(()));
    assert!(printer.received().ends_with(&job));
}

#[test]
fn without_status_check_the_job_alone_is_sent() {
    let printer = PtyPrinter::start(None);
    let settings = PrinterSettings {
        check_status: false,
        flow_control: FlowControl::None,
        ..printer.settings()
    };
    let job = sample_job();
    assert_eq!(print(&settings, &job), Ok(()));
    assert_eq!(printer.received(), job);
}

#[test]
fn a_missing_port_is_not_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ttyUSB1").display().to_string();
    let result = print(&PrinterSettings::new(path.clone()), &sample_job());
    assert_eq!(result, Err(PrinterError::NotFound { port: path.clone() }));
    let message = result.map_err(|e| e.to_string()).unwrap_err();
    assert_eq!(
        message,
        format!("receipt printer {path} not found: check that it is plugged in and switched on")
    );
}

#[test]
fn a_path_that_is_not_a_serial_port_is_unavailable() {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    let path = file.path().display().to_string();
    let result = print(&PrinterSettings::new(path.clone()), &sample_job());
    assert!(
        matches!(&result, Err(PrinterError::Unavailable { port, .. }) if *port == path),
        "{result:?}"
    );
}

#[test]
fn a_port_in_use_is_unavailable() {
    let printer = PtyPrinter::start(Some(READY));
    // serialport opens ports exclusively (TIOCEXCL): a second opener is refused.
    let holder = serialport::new(&printer.path, 9600)
        .open()
        .expect("first opener");
    let result = print(&printer.settings(), &sample_job());
    drop(holder);
    let port = printer.path.clone();
    printer.received();
    assert!(
        matches!(&result, Err(PrinterError::Unavailable { port: p, .. }) if *p == port),
        "{result:?}"
    );
}

#[test]
fn unusable_settings_are_refused_before_opening_anything() {
    let result = print(&PrinterSettings::default(), &sample_job());
    assert!(
        matches!(result, Err(PrinterError::Settings(_))),
        "{result:?}"
    );
}
