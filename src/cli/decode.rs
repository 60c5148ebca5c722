//! `comptoir decode [--json] IMAGE…` and `comptoir decode --camera [--json]`: QR codes in image
//! files or from the first camera, each payload classified by the scan parser.
//!
//! Contract (issue 4): with `--json`, one JSON object per line — for a file
//! `{"file": PATH, "codes": [{"text", "kind", "gtin"}], "ms": DECODE_MILLISECONDS}`, or
//! `{"file": PATH, "error": MESSAGE}` when it cannot be read; the other files go on. `gtin` is
//! left out when the code carries none (as in `comptoir parse --json`); `ms` is the decoder's
//! time on the frame, image loading excluded. Exit status 0 when every image was read, codes or
//! not; 1 when one could not be. For the camera: one line per new code, status messages on
//! standard error; exit 1 when there is no camera or it fails.
//!
//! This prints payloads because the operator asked for them; it never logs them.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Instant;

use serde::Serialize;

use crate::devices::camera::{CameraError, FrameSource, NokhwaCamera, read_luma_image};
use crate::devices::camera_worker::{CameraEvent, CameraStatus, CameraWorker, WorkerConfig};
use crate::devices::qr::QrDecoder;
use crate::domain::scan::{ScanConfig, parse_scan};

/// Exit status when an image could not be read, or there is no camera.
pub const EXIT_UNREADABLE: u8 = 1;

/// One code in the JSON output.
#[derive(Debug, Serialize)]
pub struct CodeOutput {
    pub text: String,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
}

impl CodeOutput {
    pub fn of(text: String, scan_config: &ScanConfig) -> CodeOutput {
        let scan = parse_scan(&text, scan_config);
        CodeOutput {
            kind: scan.kind_name(),
            gtin: scan.gtin().map(|g| g.as_str().to_owned()),
            text,
        }
    }
}

/// One line of `comptoir decode --json IMAGE…`.
#[derive(Debug, Serialize)]
pub struct FileOutput {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codes: Option<Vec<CodeOutput>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Decodes each image and prints one line per image on standard output (errors of the text
/// form on standard error).
pub fn run_files(
    paths: &[PathBuf],
    scan_config: &ScanConfig,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout();
    let stderr = io::stderr();
    let all_read = write_files(
        paths,
        scan_config,
        json,
        &mut stdout.lock(),
        &mut stderr.lock(),
    )?;
    Ok(if all_read {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_UNREADABLE)
    })
}

/// [`run_files`] on any writers; true when every image could be read.
pub fn write_files(
    paths: &[PathBuf],
    scan_config: &ScanConfig,
    json: bool,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<bool> {
    let decoder = QrDecoder::new();
    let mut all_read = true;
    for path in paths {
        let file = path.display().to_string();
        let line = match read_luma_image(path) {
            Err(error) => {
                all_read = false;
                FileOutput {
                    file,
                    codes: None,
                    ms: None,
                    error: Some(error.to_string()),
                }
            }
            Ok(frame) => {
                let start = Instant::now();
                let codes = decoder.decode(&frame);
                let ms = start.elapsed().as_secs_f64() * 1000.0;
                FileOutput {
                    file,
                    codes: Some(
                        codes
                            .into_iter()
                            .map(|c| CodeOutput::of(c.text, scan_config))
                            .collect(),
                    ),
                    ms: Some((ms * 100.0).round() / 100.0),
                    error: None,
                }
            }
        };
        if json {
            writeln!(out, "{}", serde_json::to_string(&line)?)?;
        } else {
            write_file_text(&line, out, err)?;
        }
    }
    out.flush()?;
    Ok(all_read)
}

fn write_file_text(
    line: &FileOutput,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<()> {
    if let Some(error) = &line.error {
        return writeln!(err, "{}: error: {error}", line.file);
    }
    let ms = line.ms.unwrap_or_default();
    match line.codes.as_deref() {
        None | Some([]) => writeln!(out, "{}: no QR code ({ms:.1} ms)", line.file),
        Some(codes) => {
            for code in codes {
                writeln!(out, "{}: {} ({ms:.1} ms)", line.file, describe_code(code))?;
            }
            Ok(())
        }
    }
}

fn describe_code(code: &CodeOutput) -> String {
    match &code.gtin {
        Some(gtin) => format!("{} [{}, GTIN {gtin}]", code.text, code.kind),
        None => format!("{} [{}]", code.text, code.kind),
    }
}

/// Decodes from the first camera until interrupted (Ctrl-C ends the process); no camera is a
/// message and exit status 1.
pub fn run_camera(scan_config: &ScanConfig, json: bool) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout();
    let stderr = io::stderr();
    let status = watch(
        NokhwaCamera::open_first,
        WorkerConfig::default(),
        scan_config,
        json,
        &mut stdout.lock(),
        &mut stderr.lock(),
    )?;
    Ok(status)
}

/// Runs a camera worker on any frame source and prints each new code until the source ends or
/// fails: the body of `decode --camera`, testable with image files.
pub fn watch<S, F>(
    open: F,
    config: WorkerConfig,
    scan_config: &ScanConfig,
    json: bool,
    out: &mut impl Write,
    err: &mut impl Write,
) -> anyhow::Result<ExitCode>
where
    S: FrameSource,
    F: FnOnce() -> Result<S, CameraError> + Send + 'static,
{
    let (events, inbox) = mpsc::channel();
    let worker = CameraWorker::spawn(open, config, events)?;
    let mut exit = ExitCode::SUCCESS;
    for event in inbox {
        match event {
            CameraEvent::Code { text } => {
                let code = CodeOutput::of(text, scan_config);
                if json {
                    writeln!(out, "{}", serde_json::to_string(&code)?)?;
                } else {
                    writeln!(out, "{}", describe_code(&code))?;
                }
                out.flush()?;
            }
            CameraEvent::Status(CameraStatus::Running { name }) => {
                writeln!(err, "decoding QR codes from {name}; Ctrl-C to stop")?;
            }
            CameraEvent::Status(CameraStatus::NoCamera) => {
                writeln!(err, "no camera found")?;
                exit = ExitCode::from(EXIT_UNREADABLE);
            }
            CameraEvent::Status(CameraStatus::Failed { reason }) => {
                writeln!(err, "camera failed: {reason}")?;
                exit = ExitCode::from(EXIT_UNREADABLE);
            }
            CameraEvent::Status(CameraStatus::Stopped) | CameraEvent::Preview(_) => {}
        }
    }
    worker.join();
    Ok(exit)
}
