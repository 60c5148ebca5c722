//! The keyboard-wedge scanner: a USB scanner that presents itself as a keyboard, types the code
//! and presses Enter. The scan field of the UI hands over its text when Enter comes, and that
//! text takes the same path as the bytes of a serial scanner — [`FrameAssembler`] then
//! [`parse_scan`] — so both scanners give the same `Scan` for the same code.
//!
//! Pure: no I/O, no UI. It must never lose what was typed: a field holding several lines (a
//! paste) gives one scan per line through [`scans_from_wedge`].

use crate::frames::{FrameAssembler, frame_text};
use comptoir_domain::scan::{Scan, ScanConfig, parse_scan};

/// The scan of a code typed into the scan field, with or without its Enter (`\r`, `\n` or
/// `\r\n`); `None` when nothing but line endings was typed. When the text holds several lines,
/// this is the first one's scan: use [`scans_from_wedge`] to get them all.
pub fn scan_from_wedge(text: &str, config: &ScanConfig) -> Option<Scan> {
    scans_from_wedge(text, config).into_iter().next()
}

/// One scan per line of the typed text, in order; empty and blank lines give nothing (Enter
/// pressed on an empty-looking field is not a scan).
pub fn scans_from_wedge(text: &str, config: &ScanConfig) -> Vec<Scan> {
    // The field's text is already in memory and bounded by the field, so the assembler's limit
    // is set to fit it: nothing typed is discarded. The Enter the UI may have kept is the frame's
    // end; a final line without one ends with the text.
    let mut assembler = FrameAssembler::with_limit(text.len());
    let mut frames = assembler.push(text.as_bytes());
    frames.extend(assembler.push(b"\n"));
    frames
        .into_iter()
        .flatten()
        .filter_map(|frame| {
            let (text, _) = frame_text(&frame);
            (!text.trim().is_empty()).then(|| parse_scan(&text, config))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_codes_table() {
        let config = ScanConfig::default();
        // (typed, kind, raw)
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            ("4006381333931\n", Some(("gtin", "4006381333931"))),
            ("4006381333931\r", Some(("gtin", "4006381333931"))),
            ("4006381333931\r\n", Some(("gtin", "4006381333931"))),
            ("4006381333931", Some(("gtin", "4006381333931"))),
            ("]E04006381333931\n", Some(("gtin", "]E04006381333931"))),
            ("4006381333932\n", Some(("invalid", "4006381333932"))),
            ("CPTL1:abc123\r", Some(("loyalty", "CPTL1:abc123"))),
            ("bonjour\n", Some(("unknown", "bonjour"))),
            ("  4006381333931 \n", Some(("gtin", "4006381333931"))),
            ("", None),
            ("\n", None),
            ("\r\n", None),
            (" \t \n", None),
        ];
        for (typed, expected) in cases {
            let got = scan_from_wedge(typed, &config);
            let got = got.as_ref().map(|s| (s.kind_name(), s.raw.as_str()));
            assert_eq!(got, *expected, "{typed:?}");
        }
    }

    #[test]
    fn a_pasted_block_gives_every_line() {
        let scans = scans_from_wedge("4006381333931\n\n02345673\r\n", &ScanConfig::default());
        let raws: Vec<&str> = scans.iter().map(|s| s.raw.as_str()).collect();
        assert_eq!(raws, ["4006381333931", "02345673"]);
    }
}
