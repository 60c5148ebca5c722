//! Cuts the byte stream of a serial (or keyboard-wedge) barcode scanner into frames, one frame per
//! scanned code, and turns a frame into the text the scan parser reads.
//!
//! A scanner ends every code with a suffix that is configured on the scanner itself: CR (the
//! factory setting of most serial scanners), LF, or CRLF. The bytes reach us in whatever
//! fragments the UART, the USB-serial adapter and the kernel's tty buffer happen to cut, so a
//! frame may arrive in several reads and one read may hold several frames, or a CR at the end of
//! one read and its LF at the start of the next.
//!
//! This module is pure (no I/O, no clock, no logging) and must never panic, never lose the bytes
//! of a complete frame, and never grow without bound: a scanner set to send no suffix, or line
//! noise with no line ending, is cut off at [`MAX_FRAME_LEN`] and reported.

use std::borrow::Cow;

/// The longest frame kept, in bytes. The largest codes a terminal meets are QR codes holding a
/// GS1 Digital Link or a signed Comptoir code, a few hundred bytes; a QR code holds at most
/// 2,953 bytes (ISO/IEC 18004, version 40-L), so 4 KiB keeps every real code and bounds memory.
pub const MAX_FRAME_LEN: usize = 4096;

const CR: u8 = b'\r';
const LF: u8 = b'\n';

/// Why bytes were discarded instead of becoming a frame.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// More than `limit` bytes arrived without a line ending. Everything up to the next line
    /// ending is discarded, so the tail of the over-long frame is not read as a scan of its own.
    #[error(
        "the scanner sent more than {limit} bytes without a line ending; they were discarded \
         (is the scanner set to end each code with CR or LF?)"
    )]
    TooLong {
        /// The limit that was exceeded.
        limit: usize,
    },
}

/// One result of [`FrameAssembler::push`]: a complete frame (without its line ending), or the
/// report that an over-long frame was discarded.
pub type Assembled = Result<Vec<u8>, FrameError>;

/// Assembles frames from byte fragments. A frame ends at CR, at LF, or at CRLF; empty frames
/// (the LF of a CRLF, blank lines) are dropped; every other byte, the GS1 separator GS (0x1D)
/// included, stays in the frame for the parser to judge.
#[derive(Clone, Debug)]
pub struct FrameAssembler {
    /// The bytes of the frame being received; never longer than `limit`.
    partial: Vec<u8>,
    limit: usize,
    /// True after an over-long frame was reported, until its line ending arrives.
    discarding: bool,
}

impl Default for FrameAssembler {
    fn default() -> Self {
        FrameAssembler::new()
    }
}

impl FrameAssembler {
    /// An assembler that keeps frames of up to [`MAX_FRAME_LEN`] bytes.
    pub fn new() -> Self {
        FrameAssembler::with_limit(MAX_FRAME_LEN)
    }

    /// An assembler that keeps frames of up to `limit` bytes (at least 1).
    pub fn with_limit(limit: usize) -> Self {
        FrameAssembler {
            partial: Vec::new(),
            limit: limit.max(1),
            discarding: false,
        }
    }

    /// Feeds the next bytes received and returns the frames they complete, in order, with a
    /// [`FrameError`] where an over-long frame was discarded.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Assembled> {
        let mut out = Vec::new();
        // A CRLF needs no memory of the CR: its LF closes an empty frame, and empty frames are
        // dropped, so a CR at the end of one fragment and its LF at the start of the next give
        // one frame, as when both arrive together.
        for chunk in bytes.split_inclusive(|&b| b == CR || b == LF) {
            let (body, ended) = match chunk.split_last() {
                Some((&last, body)) if last == CR || last == LF => (body, true),
                _ => (chunk, false),
            };
            if !self.discarding {
                let room = self.limit - self.partial.len();
                if body.len() > room {
                    self.partial.clear();
                    self.discarding = true;
                    out.push(Err(FrameError::TooLong { limit: self.limit }));
                } else {
                    self.partial.extend_from_slice(body);
                }
            }
            if ended {
                if !self.discarding && !self.partial.is_empty() {
                    out.push(Ok(std::mem::take(&mut self.partial)));
                }
                self.discarding = false;
            }
        }
        out
    }

    /// Drops a half-received frame, e.g. when the port went away: the next bytes start a new
    /// frame instead of being glued to the old one. Returns how many bytes were dropped.
    pub fn reset(&mut self) -> usize {
        let dropped = self.partial.len();
        self.partial.clear();
        self.discarding = false;
        dropped
    }

    /// How many bytes of an unfinished frame are held.
    pub fn pending(&self) -> usize {
        self.partial.len()
    }
}

/// How [`frame_text`] decoded a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameEncoding {
    /// Valid UTF-8 (plain ASCII included).
    Utf8,
    /// Not UTF-8: every byte was taken as the ISO-8859-1 character of the same value.
    Latin1,
}

/// The text of a frame, for [`comptoir_domain::scan::parse_scan`].
///
/// UTF-8 when the frame is valid UTF-8. Otherwise each byte becomes the ISO-8859-1 (Latin-1)
/// character of the same value instead of U+FFFD, so that nothing is lost: many scanners pass
/// the 8-bit bytes of a code through unchanged, and ISO-8859-1 is the default character set of
/// QR codes (ISO/IEC 18004) and of Code 128's extended range, so an accented word still reads as
/// written; line noise reads as the bytes it was. The parser then says what it is: bytes 0x80 to
/// 0x9F become C1 control characters, which it refuses as invalid with their position; NUL and
/// the other C0 controls likewise; anything else is reported as unknown with the raw text.
pub fn frame_text(frame: &[u8]) -> (Cow<'_, str>, FrameEncoding) {
    match std::str::from_utf8(frame) {
        Ok(text) => (Cow::Borrowed(text), FrameEncoding::Utf8),
        Err(_) => (
            Cow::Owned(frame.iter().map(|&b| char::from(b)).collect()),
            FrameEncoding::Latin1,
        ),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use comptoir_domain::scan::{ScanConfig, parse_scan};

    fn frames(assembled: Vec<Assembled>) -> Vec<Result<String, FrameError>> {
        assembled
            .into_iter()
            .map(|a| a.map(|f| String::from_utf8_lossy(&f).into_owned()))
            .collect()
    }

    fn ok(texts: &[&str]) -> Vec<Result<String, FrameError>> {
        texts.iter().map(|t| Ok((*t).to_owned())).collect()
    }

    #[test]
    fn line_endings_table() {
        let cases: &[(&[&[u8]], &[&str])] = &[
            (&[b"4006381333931\r"], &["4006381333931"]),
            (&[b"4006381333931\n"], &["4006381333931"]),
            (&[b"4006381333931\r\n"], &["4006381333931"]),
            // CR at the end of one read, its LF at the start of the next: one frame.
            (
                &[b"4006381333931\r", b"\n02345673\r", b"\n"],
                &["4006381333931", "02345673"],
            ),
            // Several frames in one read, mixed endings.
            (&[b"A\rB\nC\r\nD\n\rE\r"], &["A", "B", "C", "D", "E"]),
            // A frame cut anywhere.
            (
                &[b"]E040063", b"8133", b"3931", b"\r\n"],
                &["]E04006381333931"],
            ),
            // Blank lines and lone line endings give nothing.
            (&[b"\r\n\r\n", b"\n\n\r\r"], &[]),
            // No terminator yet: nothing.
            (&[b"4006381333931"], &[]),
            // GS stays inside the frame.
            (
                &[b"]C1011231231231233310ABC123\x1d", b"99TESTING\r\n"],
                &["]C1011231231231233310ABC123\x1d99TESTING"],
            ),
            // Other bytes stay too; the parser judges them.
            (&[b"\x00\x07 \t\x1b[A\r"], &["\x00\x07 \t\x1b[A"]),
        ];
        for (fragments, expected) in cases {
            let mut assembler = FrameAssembler::new();
            let got: Vec<_> = fragments
                .iter()
                .flat_map(|f| frames(assembler.push(f)))
                .collect();
            assert_eq!(got, ok(expected), "{fragments:?}");
        }
    }

    #[test]
    fn overlong_frames_are_discarded_and_reported_once() {
        let mut assembler = FrameAssembler::with_limit(8);
        // Exactly the limit is kept.
        assert_eq!(frames(assembler.push(b"12345678\r")), ok(&["12345678"]));
        // One more byte is reported once, the rest of the line is discarded, and the next line
        // is read normally.
        assert_eq!(
            frames(assembler.push(b"123456789")),
            vec![Err(FrameError::TooLong { limit: 8 })]
        );
        assert_eq!(assembler.pending(), 0);
        assert_eq!(frames(assembler.push(&[b'x'; 100])), vec![]);
        assert_eq!(frames(assembler.push(b"tail\r\nnext\r")), ok(&["next"]));
        // A frame that crosses the limit over several reads.
        let mut got = frames(assembler.push(b"12345"));
        got.extend(frames(assembler.push(b"6789\rok\r")));
        assert_eq!(
            got,
            vec![Err(FrameError::TooLong { limit: 8 }), Ok("ok".to_owned())]
        );
    }

    #[test]
    fn memory_stays_bounded_without_line_endings() {
        let mut assembler = FrameAssembler::new();
        let mut reports = 0;
        for _ in 0..1000 {
            reports += assembler.push(&[b'7'; 1000]).len();
            assert!(assembler.pending() <= MAX_FRAME_LEN);
        }
        assert_eq!(reports, 1);
        let message = FrameError::TooLong {
            limit: MAX_FRAME_LEN,
        }
        .to_string();
        assert!(
            message.contains("4096 bytes without a line ending"),
            "{message}"
        );
    }

    #[test]
    fn reset_drops_the_half_frame() {
        let mut assembler = FrameAssembler::new();
        assert!(assembler.push(b"40063").is_empty());
        assert_eq!(assembler.reset(), 5);
        assert_eq!(frames(assembler.push(b"02345673\r")), ok(&["02345673"]));
        // Reset also ends the discarding of an over-long frame.
        let mut assembler = FrameAssembler::with_limit(4);
        assert_eq!(assembler.push(b"123456").len(), 1);
        assembler.reset();
        assert_eq!(frames(assembler.push(b"1234\r")), ok(&["1234"]));
    }

    #[test]
    fn frame_text_table() {
        let config = ScanConfig::default();
        // (bytes, text, encoding, kind, error contains)
        let cases: &[(&[u8], &str, FrameEncoding, &str, &str)] = &[
            (
                b"4006381333931",
                "4006381333931",
                FrameEncoding::Utf8,
                "gtin",
                "",
            ),
            (
                "Caf\u{e9}".as_bytes(),
                "Caf\u{e9}",
                FrameEncoding::Utf8,
                "unknown",
                "",
            ),
            // An ISO-8859-1 scanner: the word still reads as written.
            (
                b"Caf\xe9",
                "Caf\u{e9}",
                FrameEncoding::Latin1,
                "unknown",
                "",
            ),
            // Line noise in the C1 range is refused with its position.
            (
                b"4006\x85381333931",
                "4006\u{85}381333931",
                FrameEncoding::Latin1,
                "invalid",
                "control character 0x85 at position 5",
            ),
            (
                b"\xff\xfe",
                "\u{ff}\u{fe}",
                FrameEncoding::Latin1,
                "unknown",
                "",
            ),
            (
                b"\x00\x00",
                "\x00\x00",
                FrameEncoding::Utf8,
                "invalid",
                "control character 0x00 at position 1",
            ),
        ];
        for (bytes, text, encoding, kind, error) in cases {
            let (decoded, got_encoding) = frame_text(bytes);
            assert_eq!(decoded, *text, "{bytes:?}");
            assert_eq!(got_encoding, *encoding, "{bytes:?}");
            let scan = parse_scan(&decoded, &config);
            assert_eq!(scan.kind_name(), *kind, "{bytes:?}");
            let message = scan.error().map(ToString::to_string).unwrap_or_default();
            assert!(message.contains(error), "{bytes:?}: {message}");
        }
    }

    /// What the assembler must give for a whole stream: the stream cut at every CR and LF,
    /// empty pieces dropped, over-long pieces (the unfinished last one included) reported.
    fn reference(stream: &[u8], limit: usize) -> Vec<Assembled> {
        let mut pieces: Vec<&[u8]> = stream.split(|&b| b == CR || b == LF).collect();
        let unfinished = pieces.pop().unwrap_or_default();
        let mut out: Vec<Assembled> = pieces
            .into_iter()
            .filter(|p| !p.is_empty())
            .map(|p| {
                if p.len() > limit {
                    Err(FrameError::TooLong { limit })
                } else {
                    Ok(p.to_vec())
                }
            })
            .collect();
        if unfinished.len() > limit {
            out.push(Err(FrameError::TooLong { limit }));
        }
        out
    }

    /// Scanner-like streams: codes, separators, line endings and noise.
    fn stream() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"\r".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\x1d".to_vec()),
            Just(b"]C1".to_vec()),
            "[0-9]{1,14}".prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..20),
        ];
        proptest::collection::vec(piece, 0..30).prop_map(|p| p.concat())
    }

    proptest! {
        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000),
                                 limit in 1usize..64) {
            let mut assembler = FrameAssembler::with_limit(limit);
            for frame in assembler.push(&bytes).into_iter().flatten() {
                prop_assert!(!frame.is_empty() && frame.len() <= limit);
                prop_assert!(!frame.contains(&CR) && !frame.contains(&LF));
                let (text, _) = frame_text(&frame);
                let _ = parse_scan(&text, &ScanConfig::default()).kind_name();
            }
            prop_assert!(assembler.pending() <= limit);
        }

        #[test]
        fn fragments_give_the_same_frames_as_the_whole_stream(
            stream in stream(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
            limit in prop_oneof![Just(MAX_FRAME_LEN), 1usize..40],
        ) {
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
            cuts.sort_unstable();
            let mut assembler = FrameAssembler::with_limit(limit);
            let mut got = Vec::new();
            let mut start = 0;
            for cut in cuts.into_iter().chain([stream.len()]) {
                got.extend(assembler.push(&stream[start..cut]));
                start = cut;
            }
            prop_assert_eq!(&got, &reference(&stream, limit));
            let mut whole = FrameAssembler::with_limit(limit);
            prop_assert_eq!(got, whole.push(&stream));
        }

        #[test]
        fn latin1_fallback_loses_no_byte(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let (text, encoding) = frame_text(&bytes);
            let back: Vec<u8> = match encoding {
                FrameEncoding::Utf8 => text.as_bytes().to_vec(),
                FrameEncoding::Latin1 => text.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(0)).collect(),
            };
            prop_assert_eq!(back, bytes);
        }
    }
}
