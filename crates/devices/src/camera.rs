//! Where camera frames come from: the [`FrameSource`] seam, with the real camera
//! ([`NokhwaCamera`], V4L2 on Linux through `nokhwa`) on one side and image files
//! ([`ImageFilesSource`]) on the other, so that tests and `comptoir decode IMAGE…` feed the same
//! decoder the camera feeds. Every source hands out 8-bit luma frames ([`LumaFrame`]).
//!
//! What it must never do:
//! - panic or loop on a missing or failing device: no camera is [`CameraError::NoCamera`], said
//!   once, and the caller decides what to show;
//! - trust a file: sizes are bounded before decoding (no decompression bomb), and a truncated
//!   JPEG is an error, not a half-grey frame;
//! - log what a frame shows (a loyalty code is personal data): errors name files and devices,
//!   never pixels or payloads.

use std::path::{Path, PathBuf};

use crate::qr::{FrameError, LumaFrame, MAX_FRAME_SIDE};

/// Why a frame could not be had.
#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    /// No capture device at all (none plugged in, or none the system lists).
    #[error("no camera found")]
    NoCamera,
    /// This build has no camera support (the `camera` feature is off).
    #[error("no camera support in this build (Cargo feature `camera`)")]
    NotBuilt,
    /// A device is listed but cannot be opened or started.
    #[error("cannot open camera {name}: {reason}")]
    Open { name: String, reason: String },
    /// An open device stopped delivering frames (unplugged, busy, driver error).
    #[error("camera {name} gave no frame: {reason}")]
    Capture { name: String, reason: String },
    /// A frame in a pixel format we do not convert.
    #[error("camera {name} sends {format} frames, which Comptoir cannot read")]
    Format { name: String, format: String },
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a readable PNG or JPEG image: {reason}", path.display())]
    Image { path: PathBuf, reason: String },
    #[error("{} is a truncated JPEG (no end-of-image marker after its image data)", path.display())]
    TruncatedJpeg { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Frame { path: PathBuf, source: FrameError },
}

impl CameraError {
    /// True when trying again cannot help (no device, no support, device refuses to open):
    /// the camera worker reports it once and stops instead of looping.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            CameraError::NoCamera | CameraError::NotBuilt | CameraError::Open { .. }
        )
    }
}

/// A source of luma frames.
pub trait FrameSource {
    /// The next frame; `Ok(None)` when the source has no more (end of a file list).
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, CameraError>;
    /// A name for status lines and logs ("Integrated Camera (/dev/video0)", "3 image files").
    fn describe(&self) -> String;
}

/// Reads an image file (PNG or JPEG) into a luma frame.
pub fn read_luma_image(path: &Path) -> Result<LumaFrame, CameraError> {
    let bytes = std::fs::read(path).map_err(|source| CameraError::Io {
        path: path.to_owned(),
        source,
    })?;
    decode_luma_image(&bytes).map_err(|e| match e {
        ImageProblem::Truncated => CameraError::TruncatedJpeg {
            path: path.to_owned(),
        },
        ImageProblem::Decode(reason) => CameraError::Image {
            path: path.to_owned(),
            reason,
        },
        ImageProblem::Frame(source) => CameraError::Frame {
            path: path.to_owned(),
            source,
        },
    })
}

enum ImageProblem {
    Truncated,
    Decode(String),
    Frame(FrameError),
}

/// The most memory one image may take while decoding (an RGBA 8k x 8k image is 256 MB).
const MAX_IMAGE_ALLOC: u64 = 512 * 1024 * 1024;

fn decode_luma_image(bytes: &[u8]) -> Result<LumaFrame, ImageProblem> {
    use image::ImageFormat;
    let format = image::guess_format(bytes).map_err(|e| ImageProblem::Decode(e.to_string()))?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg) {
        return Err(ImageProblem::Decode(format!(
            "{format:?} images are not supported (PNG or JPEG only)"
        )));
    }
    // The JPEG decoder fills a truncated file's missing rows with grey and reports success;
    // a frame that is partly invented must not be decoded as if it were whole.
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(ImageProblem::Truncated);
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_FRAME_SIDE);
    limits.max_image_height = Some(MAX_FRAME_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_ALLOC);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| ImageProblem::Decode(e.to_string()))?;
    let luma = image.into_luma8();
    let (width, height) = luma.dimensions();
    LumaFrame::new(width, height, luma.into_raw()).map_err(ImageProblem::Frame)
}

/// Whether a JPEG stream has an end-of-image marker after the start of its image data: walks
/// the marker segments up to the first start-of-scan (skipping APPn segments, which may hold a
/// thumbnail with its own markers), then looks for FF D9 in the rest.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut i = 2; // after SOI (FF D8), which guess_format checked
    loop {
        // Markers may be padded with any number of FF bytes.
        while bytes.get(i) == Some(&0xFF) && bytes.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(i), bytes.get(i + 1)) else {
            return false;
        };
        let Some(len) = bytes
            .get(i + 2..i + 4)
            .map(|l| usize::from(l[0]) << 8 | usize::from(l[1]))
        else {
            return false;
        };
        let next = i + 2 + len;
        if marker == 0xDA {
            return bytes
                .get(next..)
                .is_some_and(|scan| scan.windows(2).any(|w| w == [0xFF, 0xD9]));
        }
        if len < 2 || next > bytes.len() {
            return false;
        }
        i = next;
    }
}

/// Image files played as camera frames, in order: the seam the tests and
/// `comptoir decode IMAGE…` use.
pub struct ImageFilesSource {
    paths: Vec<PathBuf>,
    next: usize,
    rounds_left: usize,
}

impl ImageFilesSource {
    pub fn new(paths: impl IntoIterator<Item = PathBuf>) -> ImageFilesSource {
        ImageFilesSource {
            paths: paths.into_iter().collect(),
            next: 0,
            rounds_left: 1,
        }
    }

    /// Plays the list `rounds` times in all (a code held in front of the camera: the same
    /// frame again and again).
    pub fn repeat(mut self, rounds: usize) -> ImageFilesSource {
        self.rounds_left = rounds;
        self
    }
}

impl FrameSource for ImageFilesSource {
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, CameraError> {
        if self.paths.is_empty() || self.rounds_left == 0 {
            return Ok(None);
        }
        let path = &self.paths[self.next];
        self.next += 1;
        if self.next == self.paths.len() {
            self.next = 0;
            self.rounds_left -= 1;
        }
        read_luma_image(path).map(Some)
    }

    fn describe(&self) -> String {
        match self.paths.as_slice() {
            [one] => one.display().to_string(),
            many => format!("{} image files", many.len()),
        }
    }
}

/// Converts one captured buffer to luma. `format` is the camera's FOURCC family.
pub fn luma_from_capture(
    format: CaptureFormat,
    width: u32,
    height: u32,
    data: &[u8],
) -> Result<LumaFrame, String> {
    let pixels = (width as usize)
        .checked_mul(height as usize)
        .ok_or_else(|| format!("{width}x{height} is too large"))?;
    let need = |n: usize| -> Result<(), String> {
        if data.len() < n {
            Err(format!(
                "{} bytes for a {width}x{height} frame, expected {n}",
                data.len()
            ))
        } else {
            Ok(())
        }
    };
    let luma = match format {
        CaptureFormat::Gray => {
            need(pixels)?;
            data[..pixels].to_vec()
        }
        // YUYV 4:2:2 packs Y0 U Y1 V: luma is every other byte.
        CaptureFormat::Yuyv => {
            need(pixels * 2)?;
            data[..pixels * 2].iter().step_by(2).copied().collect()
        }
        // NV12 starts with the full-resolution Y plane.
        CaptureFormat::Nv12 => {
            need(pixels)?;
            data[..pixels].to_vec()
        }
        CaptureFormat::Rgb | CaptureFormat::Bgr => {
            need(pixels * 3)?;
            let (r, b) = if format == CaptureFormat::Rgb {
                (0, 2)
            } else {
                (2, 0)
            };
            data[..pixels * 3]
                .chunks_exact(3)
                .map(|p| {
                    // ITU-R BT.601 weights, in 1/256.
                    ((77 * u32::from(p[r]) + 150 * u32::from(p[1]) + 29 * u32::from(p[b]) + 128)
                        >> 8) as u8
                })
                .collect()
        }
        CaptureFormat::Mjpeg => {
            let frame = decode_luma_image(data).map_err(|e| match e {
                ImageProblem::Truncated => "truncated MJPEG frame".to_owned(),
                ImageProblem::Decode(reason) => reason,
                ImageProblem::Frame(error) => error.to_string(),
            })?;
            return Ok(frame);
        }
    };
    LumaFrame::new(width, height, luma).map_err(|e| e.to_string())
}

/// Pixel layouts cameras deliver (nokhwa's `FrameFormat`, kept here so that conversion is
/// tested without a camera or the `camera` feature).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureFormat {
    Mjpeg,
    Yuyv,
    Nv12,
    Gray,
    Rgb,
    Bgr,
}

/// The first camera the system lists, through nokhwa. Open it on the thread that will read it.
pub struct NokhwaCamera {
    #[cfg(feature = "camera")]
    camera: nokhwa::Camera,
    name: String,
}

/// The frame size asked of the camera: what the decoder is measured on (p50 ≤ 10 ms).
pub const CAPTURE_WIDTH: u32 = 640;
pub const CAPTURE_HEIGHT: u32 = 480;

impl NokhwaCamera {
    /// Opens the first camera and starts its stream; [`CameraError::NoCamera`] when the system
    /// lists none (on Linux, V4L2 answers an empty list when no /dev/video* exists).
    #[cfg(feature = "camera")]
    pub fn open_first() -> Result<NokhwaCamera, CameraError> {
        use nokhwa::pixel_format::LumaFormat;
        use nokhwa::utils::{
            ApiBackend, CameraFormat, FrameFormat, RequestedFormat, RequestedFormatType, Resolution,
        };

        let backend = nokhwa::native_api_backend().unwrap_or(ApiBackend::Auto);
        let cameras = nokhwa::query(backend).map_err(|e| {
            tracing::debug!(error = %e, "camera query failed");
            CameraError::NoCamera
        })?;
        let Some(info) = cameras.first() else {
            return Err(CameraError::NoCamera);
        };
        let name = format!("{} ({})", info.human_name(), info.index());
        let requested =
            RequestedFormat::new::<LumaFormat>(RequestedFormatType::Closest(CameraFormat::new(
                Resolution::new(CAPTURE_WIDTH, CAPTURE_HEIGHT),
                FrameFormat::YUYV,
                30,
            )));
        let open = |e: nokhwa::NokhwaError| CameraError::Open {
            name: name.clone(),
            reason: e.to_string(),
        };
        let mut camera = nokhwa::Camera::new(info.index().clone(), requested).map_err(open)?;
        camera.open_stream().map_err(open)?;
        Ok(NokhwaCamera { camera, name })
    }

    /// Without the `camera` feature there is nothing to open.
    #[cfg(not(feature = "camera"))]
    pub fn open_first() -> Result<NokhwaCamera, CameraError> {
        Err(CameraError::NotBuilt)
    }
}

/// The names of the cameras the system lists, without opening any (a camera in use by the
/// running terminal stays undisturbed). Empty when there is none.
#[cfg(feature = "camera")]
pub fn list_cameras() -> Result<Vec<String>, CameraError> {
    let backend = nokhwa::native_api_backend().unwrap_or(nokhwa::utils::ApiBackend::Auto);
    match nokhwa::query(backend) {
        Ok(cameras) => Ok(cameras
            .iter()
            .map(|info| format!("{} ({})", info.human_name(), info.index()))
            .collect()),
        // V4L2 answers an error rather than an empty list on some systems without /dev/video*.
        Err(error) => {
            tracing::debug!(error = %error, "camera query failed");
            Ok(Vec::new())
        }
    }
}

/// Without the `camera` feature there is nothing to list.
#[cfg(not(feature = "camera"))]
pub fn list_cameras() -> Result<Vec<String>, CameraError> {
    Err(CameraError::NotBuilt)
}

impl FrameSource for NokhwaCamera {
    #[cfg(feature = "camera")]
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, CameraError> {
        use nokhwa::utils::FrameFormat;
        let buffer = self.camera.frame().map_err(|e| CameraError::Capture {
            name: self.name.clone(),
            reason: e.to_string(),
        })?;
        let format = match buffer.source_frame_format() {
            FrameFormat::MJPEG => CaptureFormat::Mjpeg,
            FrameFormat::YUYV => CaptureFormat::Yuyv,
            FrameFormat::NV12 => CaptureFormat::Nv12,
            FrameFormat::GRAY => CaptureFormat::Gray,
            FrameFormat::RAWRGB => CaptureFormat::Rgb,
            FrameFormat::RAWBGR => CaptureFormat::Bgr,
        };
        let resolution = buffer.resolution();
        luma_from_capture(
            format,
            resolution.width(),
            resolution.height(),
            buffer.buffer(),
        )
        .map(Some)
        .map_err(|reason| CameraError::Capture {
            name: self.name.clone(),
            reason,
        })
    }

    #[cfg(not(feature = "camera"))]
    fn next_frame(&mut self) -> Result<Option<LumaFrame>, CameraError> {
        Err(CameraError::NotBuilt)
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

#[cfg(feature = "camera")]
impl Drop for NokhwaCamera {
    fn drop(&mut self) {
        // Releases the device for the next opener; an error here has no one to tell.
        let _ = self.camera.stop_stream();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_layouts_become_luma() {
        // 2x1 frames.
        let yuyv = [10, 128, 20, 128];
        assert_eq!(
            luma_from_capture(CaptureFormat::Yuyv, 2, 1, &yuyv)
                .unwrap()
                .data,
            [10, 20]
        );
        let rgb = [255, 255, 255, 0, 0, 0];
        assert_eq!(
            luma_from_capture(CaptureFormat::Rgb, 2, 1, &rgb)
                .unwrap()
                .data,
            [255, 0]
        );
        let nv12 = [7, 9, 128];
        assert_eq!(
            luma_from_capture(CaptureFormat::Nv12, 2, 1, &nv12)
                .unwrap()
                .data,
            [7, 9]
        );
        assert!(luma_from_capture(CaptureFormat::Yuyv, 2, 1, &yuyv[..3]).is_err());
        assert!(luma_from_capture(CaptureFormat::Gray, u32::MAX, u32::MAX, &[]).is_err());
        assert!(luma_from_capture(CaptureFormat::Mjpeg, 2, 1, b"not a jpeg").is_err());
    }

    #[test]
    fn jpeg_completeness() {
        // SOI, APP0 (len 4), SOS (len 2), data, EOI.
        let whole = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 1, 2, 0xFF, 0xDA, 0, 2, 5, 6, 0xFF, 0xD9,
        ];
        assert!(jpeg_is_complete(&whole));
        assert!(!jpeg_is_complete(&whole[..14]));
        assert!(!jpeg_is_complete(&whole[..7]));
        // An EOI inside an APP segment (a thumbnail) does not count.
        let thumb = [
            0xFF, 0xD8, 0xFF, 0xE1, 0, 4, 0xFF, 0xD9, 0xFF, 0xDA, 0, 2, 5, 6,
        ];
        assert!(!jpeg_is_complete(&thumb));
    }

    #[test]
    fn an_empty_file_list_ends_at_once() {
        let mut source = ImageFilesSource::new(Vec::new());
        assert!(source.next_frame().unwrap().is_none());
    }
}
