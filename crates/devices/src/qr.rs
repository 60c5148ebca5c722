//! QR decoding of camera frames: a chain of passes over one 8-bit luma frame, each pass a
//! decoder (`rxing`, the pure-Rust port of ZXing, or `rqrr`, a port of quirc) run on the frame as
//! it is or on a preprocessed copy (inverted, smoothed, rescaled, binarised).
//!
//! Why a chain, and why `rxing` first: `rqrr` alone misses inverted, small, blurred, skewed and
//! noisy codes (platform.md); of the 245 codes of our two corpora it reads 102 at 4.5 ms p50,
//! where `rxing` reads 188 at 0.7 ms, so `rxing` is the fast path and `rqrr` a late retry. Cheap
//! retries (inversion, rescaling, smoothing, a local-mean binarisation) recover most of the
//! rest; each one kept is there for the codes it added, see [`DEFAULT_CHAIN`]. The chain stops at
//! the first pass that reads a code, so a frame with a code costs one or two passes; only a frame
//! with no readable code runs them all, which an optional time budget caps.
//!
//! What it must never do:
//! - report a payload that is not in the frame. Both decoders accept a code only after its
//!   Reed-Solomon error correction succeeded on every block and its format information passed
//!   its BCH check, so a misread is rejected, not reported. Decoders can still disagree in
//!   principle (a miscorrection, a charset guess): within a pass, two different texts found at
//!   overlapping places are both dropped (the camera sends another frame a moment later), and
//!   the chain never mixes passes (it stops at the first that reads anything). Measured with
//!   all 12 candidate passes run on every frame of both corpora (257 frames): no two passes
//!   disagreed, and none read a text that is not in the frame.
//! - panic, whatever the frame: empty, huge, or with fewer bytes than `width * height`. Frames
//!   are checked before any decoder sees them, and each decoder call is also wrapped in
//!   `catch_unwind`: rqrr 0.11 does panic on a real photo (an assertion in
//!   `geometry.rs:55`, zxing's `qrcode-6/7.png`, rqrr issue #54, open), and a panic there must
//!   cost one frame, not the terminal. This needs the default `panic = "unwind"`; the panic
//!   message still goes to the panic hook (standard error).
//! - log a payload: loyalty and pickup codes identify a customer. Logs say which pass ran and
//!   how long it took, never what it read.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use rxing::common::HybridBinarizer;
use rxing::multi::MultipleBarcodeReader;
use rxing::qrcode::QRCodeReader;
use rxing::qrcode::cpp_port::QrReader;
use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8Source, Reader};

/// Largest side, in pixels, of a frame the decoder accepts (a 16k-wide image is already far
/// beyond any camera or photo the terminal meets).
pub const MAX_FRAME_SIDE: u32 = 16_384;
/// Largest frame, in pixels, the decoder accepts: 64 MP, a 64 MB luma buffer.
pub const MAX_FRAME_PIXELS: u64 = 64_000_000;
/// Frames larger than this on either side are first reduced (box filter, integer factor) so
/// that a 12 MP phone photo costs what a camera frame costs; the full resolution is tried last.
const WORKING_SIDE: u32 = 1280;

/// One 8-bit grayscale frame, row-major, `width * height` bytes, 0 = black.
#[derive(Clone, PartialEq, Eq)]
pub struct LumaFrame {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl fmt::Debug for LumaFrame {
    // Never the pixels: a frame can show a customer's loyalty code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "LumaFrame {{ {}x{}, {} bytes }}",
            self.width,
            self.height,
            self.data.len()
        )
    }
}

/// Why a frame cannot be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("the frame is empty ({width}x{height})")]
    Empty { width: u32, height: u32 },
    #[error(
        "a {width}x{height} frame is larger than the decoder accepts \
         (at most {MAX_FRAME_SIDE} pixels a side and {MAX_FRAME_PIXELS} in all)"
    )]
    TooLarge { width: u32, height: u32 },
    #[error("a {width}x{height} frame needs {expected} bytes of luma, it has {actual}")]
    WrongLength {
        width: u32,
        height: u32,
        expected: u64,
        actual: usize,
    },
}

impl LumaFrame {
    /// A frame whose buffer is checked against its size.
    pub fn new(width: u32, height: u32, data: Vec<u8>) -> Result<LumaFrame, FrameError> {
        let frame = LumaFrame {
            width,
            height,
            data,
        };
        frame.check()?;
        Ok(frame)
    }

    /// Whether the decoder can work on this frame.
    pub fn check(&self) -> Result<(), FrameError> {
        let (width, height) = (self.width, self.height);
        if width == 0 || height == 0 {
            return Err(FrameError::Empty { width, height });
        }
        let pixels = u64::from(width) * u64::from(height);
        if width > MAX_FRAME_SIDE || height > MAX_FRAME_SIDE || pixels > MAX_FRAME_PIXELS {
            return Err(FrameError::TooLarge { width, height });
        }
        if self.data.len() as u64 != pixels {
            return Err(FrameError::WrongLength {
                width,
                height,
                expected: pixels,
                actual: self.data.len(),
            });
        }
        Ok(())
    }

    fn w(&self) -> usize {
        self.width as usize
    }

    fn h(&self) -> usize {
        self.height as usize
    }
}

/// The decoding library a pass uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    /// `rqrr` (a port of quirc): its own row-wise adaptive threshold, finder-pattern search.
    Rqrr,
    /// `rqrr` on a frame that is already black and white (after [`Preprocess::Binarise`]).
    RqrrBitmap,
    /// `rxing`: ZXing-C++'s QR detector (ported), then ZXing's Java one if that found nothing,
    /// both on ZXing's hybrid (local block) binariser, with "try harder".
    Rxing,
}

/// What is done to the frame before the engine sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Preprocess {
    /// The frame as captured.
    None,
    /// 255 - luma: light-on-dark codes (dark-mode phone screens, etched labels).
    Invert,
    /// 3x3 box filter: sensor noise in dim light.
    Smooth,
    /// Twice the size, bilinear: modules under ~2.5 px.
    Upscale2,
    /// Half the size, 2x2 average: heavy noise and blur, where fewer, cleaner pixels help.
    Downscale2,
    /// Local-mean threshold over a window of about 1/8 of the frame, to black and white.
    Binarise,
}

/// One step of the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pass {
    pub engine: Engine,
    pub preprocess: Preprocess,
}

impl Pass {
    pub const fn new(engine: Engine, preprocess: Preprocess) -> Pass {
        Pass { engine, preprocess }
    }

    /// A short stable name, e.g. `rqrr`, `rxing+invert`.
    pub fn name(&self) -> String {
        let engine = match self.engine {
            Engine::Rqrr => "rqrr",
            Engine::RqrrBitmap => "rqrr-bitmap",
            Engine::Rxing => "rxing",
        };
        let pre = match self.preprocess {
            Preprocess::None => return engine.to_owned(),
            Preprocess::Invert => "invert",
            Preprocess::Smooth => "smooth",
            Preprocess::Upscale2 => "upscale2",
            Preprocess::Downscale2 => "downscale2",
            Preprocess::Binarise => "binarise",
        };
        format!("{engine}+{pre}")
    }
}

impl fmt::Display for Pass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The chain, in order, chosen by measurement (`cargo bench --bench qr -- --passes`, release
/// build, 2-core build machine) on 245 frames with a code: the 108 generated 640x480 frames of
/// `tests/data/qr`, and zxing-cpp's 137 QR sample photos (`test/samples/qrcode-*`, measured
/// locally, not shipped). Codes read by each pass alone (generated + photos), its p50 per frame,
/// and what it adds after the passes before it:
///
/// | pass               | alone        | p50    | adds                                 |
/// |--------------------|--------------|--------|--------------------------------------|
/// | `rxing`            | 70 + 118     | 0.7 ms | 188                                  |
/// | `rxing+invert`     | 12 + 3       | 0.6 ms | +15 (every light-on-dark code)       |
/// | `rxing+downscale2` | 41 + 71      | 0.6 ms | +7 (noise, low contrast, photos)     |
/// | `rxing+binarise`   | 77 + 115     | 1.3 ms | +7 (low contrast, glare)             |
/// | `rxing+smooth`     | 58 + 100     | 0.7 ms | +3 (noise)                           |
/// | `rxing+upscale2`   | 74 + 120     | 2.9 ms | +4 (blur, noise, a photo)            |
/// | `rqrr+smooth`      | 23 + 36      | 3.7 ms | +1 (a photo)                         |
///
/// 225 of 245 in all (zbar reads 148, zxing-cpp 219, on the same files). `rqrr` alone reads
/// 45 + 57 at 4.5 ms p50: slower than `rxing` and reading half as much, so it is not the fast
/// path; of its variants only the one above still adds a code after the `rxing` passes
/// (plain `rqrr` +1 and `rqrr+upscale2` +2 at 12 ms were left out for the time they cost on
/// every frame without a code). The order is by codes added per millisecond: a frame with a
/// code is read by the first or second pass (p50 0.9 ms), a frame without one costs the whole
/// chain (p50 15–19 ms on 640x480, depending on the machine's load).
pub const DEFAULT_CHAIN: &[Pass] = &[
    Pass::new(Engine::Rxing, Preprocess::None),
    Pass::new(Engine::Rxing, Preprocess::Invert),
    Pass::new(Engine::Rxing, Preprocess::Downscale2),
    Pass::new(Engine::Rxing, Preprocess::Binarise),
    Pass::new(Engine::Rxing, Preprocess::Smooth),
    Pass::new(Engine::Rxing, Preprocess::Upscale2),
    Pass::new(Engine::Rqrr, Preprocess::Smooth),
];

/// A code read in a frame.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedCode {
    /// The payload (Reed-Solomon corrected and verified).
    pub text: String,
    /// The pass that read it.
    pub pass: Pass,
    /// Where it is, in frame pixels: the corners or finder-pattern centres the engine reports.
    pub points: Vec<(f32, f32)>,
}

/// The decoder chain. Cheap to build; `decode` takes `&self`, so one decoder can serve a thread.
#[derive(Clone, Debug)]
pub struct QrDecoder {
    passes: Vec<Pass>,
    budget: Option<Duration>,
}

impl Default for QrDecoder {
    fn default() -> Self {
        QrDecoder::new()
    }
}

impl QrDecoder {
    /// The measured default chain ([`DEFAULT_CHAIN`]), with no time budget.
    pub fn new() -> QrDecoder {
        QrDecoder::with_passes(DEFAULT_CHAIN.to_vec())
    }

    /// Another chain (the bench uses it to measure each pass).
    pub fn with_passes(passes: Vec<Pass>) -> QrDecoder {
        QrDecoder {
            passes,
            budget: None,
        }
    }

    /// Stops starting new passes once `budget` has been spent on a frame (a pass already
    /// running finishes). For the camera, where the next frame is on its way anyway.
    pub fn with_time_budget(mut self, budget: Duration) -> QrDecoder {
        self.budget = Some(budget);
        self
    }

    pub fn passes(&self) -> &[Pass] {
        &self.passes
    }

    /// Every code the first successful pass reads in the frame; empty when none does or when the
    /// frame is not decodable (see [`LumaFrame::check`]).
    pub fn decode(&self, frame: &LumaFrame) -> Vec<DecodedCode> {
        if let Err(error) = frame.check() {
            tracing::debug!(%error, "frame not decoded");
            return Vec::new();
        }
        let start = Instant::now();
        let (working, scale) = fit(frame);
        let base = working.as_ref().unwrap_or(frame);
        let mut cache = Vec::new();
        for pass in &self.passes {
            if self.budget.is_some_and(|b| start.elapsed() >= b) {
                tracing::debug!(
                    elapsed_ms = start.elapsed().as_millis() as u64,
                    "QR time budget spent"
                );
                return Vec::new();
            }
            let codes = run_cached(*pass, base, scale, &mut cache);
            if !codes.is_empty() {
                return codes;
            }
        }
        // A reduced frame may have lost a small code: one last try at full resolution.
        if working.is_some() && self.budget.is_none_or(|b| start.elapsed() < b) {
            return run_pass(Pass::new(Engine::Rxing, Preprocess::None), frame, 1.0);
        }
        Vec::new()
    }

    /// One pass alone on a frame (for measurements); empty for a frame that fails its check.
    pub fn run_pass(pass: Pass, frame: &LumaFrame) -> Vec<DecodedCode> {
        if frame.check().is_err() {
            return Vec::new();
        }
        let (working, scale) = fit(frame);
        run_pass(pass, working.as_ref().unwrap_or(frame), scale)
    }
}

/// What an engine found, before positions are mapped back to the frame.
struct Found {
    text: String,
    points: Vec<(f32, f32)>,
}

fn run_cached(
    pass: Pass,
    frame: &LumaFrame,
    scale: f32,
    cache: &mut Vec<(Preprocess, LumaFrame)>,
) -> Vec<DecodedCode> {
    if pass.preprocess == Preprocess::None {
        return run_engine(pass, frame, scale, 1.0);
    }
    let index = match cache.iter().position(|(p, _)| *p == pass.preprocess) {
        Some(index) => index,
        None => {
            cache.push((pass.preprocess, preprocess(frame, pass.preprocess)));
            cache.len() - 1
        }
    };
    run_engine(pass, &cache[index].1, scale, factor(pass.preprocess))
}

fn run_pass(pass: Pass, frame: &LumaFrame, scale: f32) -> Vec<DecodedCode> {
    if pass.preprocess == Preprocess::None {
        return run_engine(pass, frame, scale, 1.0);
    }
    let prepared = preprocess(frame, pass.preprocess);
    run_engine(pass, &prepared, scale, factor(pass.preprocess))
}

/// Runs one engine, maps positions back to the caller's frame, and drops disagreements.
fn run_engine(pass: Pass, frame: &LumaFrame, scale: f32, prep_factor: f32) -> Vec<DecodedCode> {
    let start = Instant::now();
    let found = catch_unwind(AssertUnwindSafe(|| match pass.engine {
        Engine::Rqrr => rqrr_decode(frame, false),
        Engine::RqrrBitmap => rqrr_decode(frame, true),
        Engine::Rxing => rxing_decode(frame),
    }));
    let found = match found {
        Ok(found) => found,
        Err(_) => {
            tracing::warn!(pass = %pass, "QR decoder panicked on a frame; frame skipped");
            Vec::new()
        }
    };
    tracing::trace!(pass = %pass, found = found.len(), us = start.elapsed().as_micros() as u64, "QR pass");
    // Positions in the preprocessed frame -> working frame -> captured frame.
    let k = scale / prep_factor;
    let codes: Vec<DecodedCode> = found
        .into_iter()
        .map(|f| DecodedCode {
            text: f.text,
            pass,
            points: f.points.iter().map(|&(x, y)| (x * k, y * k)).collect(),
        })
        .collect();
    resolve(codes)
}

/// Same text twice (two detections of one code): kept once. Two different texts at overlapping
/// places: one symbol read two ways, so neither can be trusted and both are dropped.
fn resolve(codes: Vec<DecodedCode>) -> Vec<DecodedCode> {
    let mut kept: Vec<DecodedCode> = Vec::with_capacity(codes.len());
    let mut conflicted = vec![false; codes.len()];
    for (i, code) in codes.iter().enumerate() {
        for (j, other) in codes.iter().enumerate().skip(i + 1) {
            if code.text != other.text && overlap(&code.points, &other.points) {
                conflicted[i] = true;
                conflicted[j] = true;
            }
        }
    }
    for (code, conflict) in codes.into_iter().zip(conflicted) {
        if conflict {
            tracing::warn!(pass = %code.pass, "two readings of one QR code disagree; neither reported");
            continue;
        }
        if !kept.iter().any(|k| k.text == code.text) {
            kept.push(code);
        }
    }
    kept
}

fn bounding_box(points: &[(f32, f32)]) -> Option<(f32, f32, f32, f32)> {
    let first = points.first()?;
    Some(points.iter().fold(
        (first.0, first.1, first.0, first.1),
        |(x0, y0, x1, y1), &(x, y)| (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
    ))
}

fn overlap(a: &[(f32, f32)], b: &[(f32, f32)]) -> bool {
    match (bounding_box(a), bounding_box(b)) {
        (Some(a), Some(b)) => a.0 <= b.2 && b.0 <= a.2 && a.1 <= b.3 && b.1 <= a.3,
        // Without a position, two different texts cannot be told apart: treat as one place.
        _ => true,
    }
}

fn rqrr_decode(frame: &LumaFrame, bitmap: bool) -> Vec<Found> {
    let (w, h) = (frame.w(), frame.h());
    let data = &frame.data;
    let mut image = if bitmap {
        rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| data[y * w + x] < 128)
    } else {
        rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| data[y * w + x])
    };
    image
        .detect_grids()
        .into_iter()
        .filter_map(|grid| {
            let (_meta, text) = grid.decode().ok()?;
            let points = grid
                .bounds
                .iter()
                .map(|p| (p.x as f32, p.y as f32))
                .collect();
            Some(Found { text, points })
        })
        .collect()
}

fn rxing_decode(frame: &LumaFrame) -> Vec<Found> {
    let Ok(source) = Luma8Source::new_with_slice(&frame.data, frame.width, frame.height) else {
        return Vec::new();
    };
    let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
    let hints = DecodeHints {
        PossibleFormats: Some([BarcodeFormat::QR_CODE].into_iter().collect()),
        TryHarder: Some(true),
        ..DecodeHints::default()
    };
    let found = |r: &rxing::RXingResult| Found {
        text: r.getText().to_owned(),
        points: r.getPoints().iter().map(|p| (p.x, p.y)).collect(),
    };
    let results = QrReader
        .decode_multiple_with_hints(&mut bitmap, &hints)
        .unwrap_or_default();
    if !results.is_empty() {
        return results.iter().map(found).collect();
    }
    // ZXing's older Java detector finds some codes the C++ one misses (and the reverse).
    match QRCodeReader.decode_with_hints(&mut bitmap, &hints) {
        Ok(result) => vec![found(&result)],
        Err(_) => Vec::new(),
    }
}

/// How many preprocessed pixels per frame pixel.
fn factor(p: Preprocess) -> f32 {
    match p {
        Preprocess::Upscale2 => 2.0,
        Preprocess::Downscale2 => 0.5,
        _ => 1.0,
    }
}

/// Reduces a frame larger than [`WORKING_SIDE`] by an integer factor; returns it and the factor
/// that maps its coordinates back.
fn fit(frame: &LumaFrame) -> (Option<LumaFrame>, f32) {
    let side = frame.width.max(frame.height);
    if side <= WORKING_SIDE {
        return (None, 1.0);
    }
    let k = side.div_ceil(WORKING_SIDE) as usize;
    (Some(box_reduce(frame, k)), k as f32)
}

fn preprocess(frame: &LumaFrame, p: Preprocess) -> LumaFrame {
    match p {
        Preprocess::None => frame.clone(),
        Preprocess::Invert => LumaFrame {
            width: frame.width,
            height: frame.height,
            data: frame.data.iter().map(|v| 255 - v).collect(),
        },
        Preprocess::Smooth => box_blur3(frame),
        Preprocess::Upscale2 => upscale2(frame),
        Preprocess::Downscale2 => box_reduce(frame, 2),
        Preprocess::Binarise => binarise(frame),
    }
}

/// Average of k x k blocks (the last partial row/column of blocks is averaged over what exists).
fn box_reduce(frame: &LumaFrame, k: usize) -> LumaFrame {
    let (w, h) = (frame.w(), frame.h());
    let (nw, nh) = (w.div_ceil(k).max(1), h.div_ceil(k).max(1));
    let mut sums = vec![0u32; nw * nh];
    let mut counts = vec![0u32; nw * nh];
    for y in 0..h {
        let row = &frame.data[y * w..(y + 1) * w];
        let base = (y / k) * nw;
        for (x, &v) in row.iter().enumerate() {
            sums[base + x / k] += u32::from(v);
            counts[base + x / k] += 1;
        }
    }
    let data = sums
        .iter()
        .zip(&counts)
        .map(|(&s, &c)| (s / c.max(1)) as u8)
        .collect();
    LumaFrame {
        width: nw as u32,
        height: nh as u32,
        data,
    }
}

/// 3x3 mean, edges replicated.
fn box_blur3(frame: &LumaFrame) -> LumaFrame {
    let (w, h) = (frame.w(), frame.h());
    let src = &frame.data;
    let mut horizontal = vec![0u16; w * h];
    for y in 0..h {
        let row = &src[y * w..(y + 1) * w];
        for x in 0..w {
            let l = row[x.saturating_sub(1)];
            let r = row[(x + 1).min(w - 1)];
            horizontal[y * w + x] = u16::from(l) + u16::from(row[x]) + u16::from(r);
        }
    }
    let mut data = vec![0u8; w * h];
    for y in 0..h {
        let up = y.saturating_sub(1) * w;
        let down = (y + 1).min(h - 1) * w;
        for x in 0..w {
            let s = horizontal[up + x] + horizontal[y * w + x] + horizontal[down + x];
            data[y * w + x] = ((s + 4) / 9) as u8;
        }
    }
    LumaFrame {
        width: frame.width,
        height: frame.height,
        data,
    }
}

/// Twice the size, bilinear, pixel centres aligned: new pixel 2m sits at source m - 1/4 and
/// 2m + 1 at m + 1/4, so each is 3/4 of its nearest source pixel and 1/4 of the next one.
fn upscale2(frame: &LumaFrame) -> LumaFrame {
    let (w, h) = (frame.w(), frame.h());
    let (nw, nh) = (w * 2, h * 2);
    // (near, far) source indices of each new index along one axis.
    let taps = |n: usize, len: usize| -> (usize, usize) {
        let m = n / 2;
        if n.is_multiple_of(2) {
            (m, m.saturating_sub(1))
        } else {
            (m, (m + 1).min(len - 1))
        }
    };
    let src = &frame.data;
    let mut data = vec![0u8; nw * nh];
    for ny in 0..nh {
        let (yn, yf) = taps(ny, h);
        for nx in 0..nw {
            let (xn, xf) = taps(nx, w);
            let near_row = 3 * u32::from(src[yn * w + xn]) + u32::from(src[yn * w + xf]);
            let far_row = 3 * u32::from(src[yf * w + xn]) + u32::from(src[yf * w + xf]);
            data[ny * nw + nx] = ((3 * near_row + far_row + 8) / 16) as u8;
        }
    }
    LumaFrame {
        width: nw as u32,
        height: nh as u32,
        data,
    }
}

/// Black where a pixel is darker than 92 % of the mean of a window about 1/8 of the frame's
/// smaller side (integral image), white elsewhere; output 0 or 255.
fn binarise(frame: &LumaFrame) -> LumaFrame {
    let (w, h) = (frame.w(), frame.h());
    let radius = (w.min(h) / 16).max(4);
    let mut integral = vec![0u64; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row_sum = 0u64;
        for x in 0..w {
            row_sum += u64::from(frame.data[y * w + x]);
            integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row_sum;
        }
    }
    let mut data = vec![0u8; w * h];
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(radius), (y + radius + 1).min(h));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(radius), (x + radius + 1).min(w));
            let sum = integral[y1 * (w + 1) + x1] + integral[y0 * (w + 1) + x0]
                - integral[y0 * (w + 1) + x1]
                - integral[y1 * (w + 1) + x0];
            let count = ((y1 - y0) * (x1 - x0)) as u64;
            let v = u64::from(frame.data[y * w + x]);
            data[y * w + x] = if v * 100 * count < sum * 92 { 0 } else { 255 };
        }
    }
    LumaFrame {
        width: frame.width,
        height: frame.height,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn frames_that_cannot_be_decoded_give_nothing() {
        let decoder = QrDecoder::new();
        let cases = [
            LumaFrame {
                width: 0,
                height: 0,
                data: vec![],
            },
            LumaFrame {
                width: 0,
                height: 480,
                data: vec![],
            },
            LumaFrame {
                width: 640,
                height: 480,
                data: vec![0; 100],
            },
            LumaFrame {
                width: 640,
                height: 480,
                data: vec![0; 640 * 480 + 1],
            },
            LumaFrame {
                width: u32::MAX,
                height: u32::MAX,
                data: vec![0; 16],
            },
            LumaFrame {
                width: MAX_FRAME_SIDE + 1,
                height: 1,
                data: vec![0; MAX_FRAME_SIDE as usize + 1],
            },
        ];
        for frame in cases {
            assert!(frame.check().is_err(), "{frame:?}");
            assert!(decoder.decode(&frame).is_empty(), "{frame:?}");
        }
    }

    #[test]
    fn tiny_and_uniform_frames_give_nothing() {
        let decoder = QrDecoder::new();
        for (w, h) in [(1, 1), (1, 7), (7, 1), (2, 2), (21, 21), (3, 1000)] {
            for fill in [0u8, 128, 255] {
                let frame = LumaFrame::new(w, h, vec![fill; (w * h) as usize]).unwrap();
                assert!(decoder.decode(&frame).is_empty());
            }
        }
    }

    #[test]
    fn new_checks_the_buffer() {
        assert_eq!(
            LumaFrame::new(4, 2, vec![0; 7]),
            Err(FrameError::WrongLength {
                width: 4,
                height: 2,
                expected: 8,
                actual: 7
            })
        );
        assert!(LumaFrame::new(4, 2, vec![0; 8]).is_ok());
    }

    #[test]
    fn preprocessing_keeps_sizes_consistent() {
        let frame = LumaFrame::new(5, 3, (0..15).map(|v| v * 17).collect()).unwrap();
        for p in [
            Preprocess::Invert,
            Preprocess::Smooth,
            Preprocess::Upscale2,
            Preprocess::Downscale2,
            Preprocess::Binarise,
        ] {
            let out = preprocess(&frame, p);
            out.check().unwrap();
        }
        assert_eq!(upscale2(&frame).width, 10);
        assert_eq!(box_reduce(&frame, 2).width, 3);
        assert_eq!(box_reduce(&frame, 2).height, 2);
    }

    #[test]
    fn disagreeing_readings_of_one_place_are_dropped() {
        let pass = Pass::new(Engine::Rqrr, Preprocess::None);
        let at = |x: f32| vec![(x, 0.0), (x + 10.0, 0.0), (x + 10.0, 10.0), (x, 10.0)];
        let code = |text: &str, x: f32| DecodedCode {
            text: text.into(),
            pass,
            points: at(x),
        };
        // Same place, two texts: neither.
        assert!(resolve(vec![code("A", 0.0), code("B", 5.0)]).is_empty());
        // Two places, two texts: both.
        assert_eq!(resolve(vec![code("A", 0.0), code("B", 50.0)]).len(), 2);
        // One code seen twice: once.
        assert_eq!(resolve(vec![code("A", 0.0), code("A", 1.0)]).len(), 1);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// No frame makes the chain panic: any size (zero included), any buffer length, any
        /// bytes. Small sizes keep each case fast; large ones are covered by the checks above.
        #[test]
        fn decoding_never_panics(
            width in 0u32..96,
            height in 0u32..96,
            extra in -3i64..3,
            seed in any::<u64>(),
            pattern in 0u8..4,
        ) {
            let len = (i64::from(width) * i64::from(height) + extra).max(0) as usize;
            let mut state = seed | 1;
            let data: Vec<u8> = (0..len)
                .map(|i| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    match pattern {
                        0 => state as u8,
                        1 => if state & 1 == 0 { 0 } else { 255 },
                        2 => ((i / 3 + i / (width.max(1) as usize * 3)) % 2 * 255) as u8,
                        _ => (i % 251) as u8,
                    }
                })
                .collect();
            let frame = LumaFrame { width, height, data };
            let _ = QrDecoder::new().decode(&frame);
            for p in [Preprocess::Upscale2, Preprocess::Binarise, Preprocess::Downscale2] {
                let _ = QrDecoder::run_pass(Pass::new(Engine::RqrrBitmap, p), &frame);
            }
        }
    }
}
