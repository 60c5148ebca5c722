//! The one entry point for everything a scanner, a keyboard wedge or the camera delivers:
//! [`parse_scan`] turns raw text into a [`Scan`] (a GTIN, a GS1 element string, a GS1 Digital
//! Link, a variable-measure in-store code, a Comptoir loyalty or pickup code), or says it is
//! unknown or invalid, with a reason a shop assistant can read.
//!
//! It reads the AIM symbology identifier (ISO/IEC 15424) when the scanner sends one, and
//! otherwise guesses from the content. It never guesses GS1 data out of a symbology that
//! cannot carry it (Code 128 without FNC1, Code 39 …).
//!
//! This module is pure: no I/O, no clock, and it must never panic on any input; anything it
//! cannot read is reported as unknown or invalid together with the raw text.

use serde::{Deserialize, Serialize};

use crate::digital_link::parse_digital_link;
use crate::gs1::{ElementString, GS, Gs1Error, clip, parse_element_string, parse_human_readable};
use crate::gtin::{Gtin, GtinError};
use crate::in_store::{InStoreCode, InStoreLayout, default_layouts, parse_in_store};

/// Prefix of Comptoir's own loyalty codes (payload verified elsewhere).
pub const LOYALTY_PREFIX: &str = "CPTL1:";
/// Prefix of Comptoir's own click-and-collect pickup codes (payload verified elsewhere).
pub const PICKUP_PREFIX: &str = "CPTP1:";

/// What the parser needs from the store's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct ScanConfig {
    /// Layouts of the variable-measure EAN-13 codes printed by the store's scales.
    pub in_store_layouts: Vec<InStoreLayout>,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            in_store_layouts: default_layouts(),
        }
    }
}

/// The symbology a scanner reported through its AIM identifier (`]` + code letter + modifier).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Symbology {
    /// `]E0`: EAN-13, UPC-A or UPC-E.
    Ean13,
    /// `]E4`: EAN-8.
    Ean8,
    /// `]E1`: a two-digit add-on alone.
    EanAddOn2,
    /// `]E2`: a five-digit add-on alone.
    EanAddOn5,
    /// `]C0`: Code 128 without FNC1 (not GS1).
    Code128,
    /// `]C1`: GS1-128.
    Gs1_128,
    /// `]d1`: Data Matrix without FNC1 (not GS1 element strings; may hold a Digital Link).
    DataMatrix,
    /// `]d2`: GS1 DataMatrix.
    Gs1DataMatrix,
    /// `]Q1`: QR Code (plain; a Digital Link URL usually).
    Qr,
    /// `]Q3`: GS1 QR Code.
    Gs1Qr,
    /// `]e0`: GS1 DataBar.
    Gs1DataBar,
    /// `]A0`: Code 39.
    Code39,
    /// `]I0`: ITF (Interleaved 2 of 5).
    Itf,
    /// `]I1`: ITF with its check digit verified by the scanner (ITF-14 carries a GTIN-14).
    ItfChecked,
    /// Any other well-formed identifier, kept as sent (e.g. `]E3`, `]L2`).
    Other(String),
}

impl Symbology {
    /// Reads an AIM identifier such as `]E0`; `None` when `id` is not `]` + letter + digit or
    /// letter.
    pub fn from_aim(id: &str) -> Option<Symbology> {
        let bytes = id.as_bytes();
        if !(bytes.len() == 3
            && bytes[0] == b']'
            && bytes[1].is_ascii_alphabetic()
            && bytes[2].is_ascii_alphanumeric())
        {
            return None;
        }
        Some(match id {
            "]E0" => Symbology::Ean13,
            "]E4" => Symbology::Ean8,
            "]E1" => Symbology::EanAddOn2,
            "]E2" => Symbology::EanAddOn5,
            "]C0" => Symbology::Code128,
            "]C1" => Symbology::Gs1_128,
            "]d1" => Symbology::DataMatrix,
            "]d2" => Symbology::Gs1DataMatrix,
            "]Q1" => Symbology::Qr,
            "]Q3" => Symbology::Gs1Qr,
            "]e0" => Symbology::Gs1DataBar,
            "]A0" => Symbology::Code39,
            "]I0" => Symbology::Itf,
            "]I1" => Symbology::ItfChecked,
            other => Symbology::Other(other.to_owned()),
        })
    }

    /// The AIM identifier, e.g. `]E0`.
    pub fn aim(&self) -> &str {
        match self {
            Symbology::Ean13 => "]E0",
            Symbology::Ean8 => "]E4",
            Symbology::EanAddOn2 => "]E1",
            Symbology::EanAddOn5 => "]E2",
            Symbology::Code128 => "]C0",
            Symbology::Gs1_128 => "]C1",
            Symbology::DataMatrix => "]d1",
            Symbology::Gs1DataMatrix => "]d2",
            Symbology::Qr => "]Q1",
            Symbology::Gs1Qr => "]Q3",
            Symbology::Gs1DataBar => "]e0",
            Symbology::Code39 => "]A0",
            Symbology::Itf => "]I0",
            Symbology::ItfChecked => "]I1",
            Symbology::Other(id) => id,
        }
    }
}

/// Why a scan was rejected, worded for a shop assistant or an operator.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// Nothing but whitespace, or an AIM identifier alone.
    #[error("the scan holds no data")]
    Empty,
    /// A control character other than the GS1 separator: line noise or a misconfigured
    /// scanner.
    #[error(
        "the scan contains control character {code:#04x} at position {position}; \
         only the GS1 separator (0x1d) may appear inside a code"
    )]
    ControlCharacter {
        /// The character's code point.
        code: u32,
        /// Its position in the scan, counting characters from 1.
        position: usize,
    },
    /// An EAN/UPC or GTIN that fails its check.
    #[error("not a valid product barcode: {source}")]
    Gtin {
        /// What is wrong with it.
        source: GtinError,
    },
    /// A UPC-E whose expansion to UPC-A fails its check (the check digit of a UPC-E is
    /// computed on the expanded number, GS1 General Specifications, UPC-E symbol).
    #[error("UPC-E barcode {upce} is not valid (expanded to {expanded}): {source}")]
    UpcE {
        /// The 8 digits scanned.
        upce: String,
        /// The UPC-A they expand to.
        expanded: String,
        /// What is wrong with it.
        source: GtinError,
    },
    /// An EAN/UPC symbology identifier with a content of the wrong length.
    #[error("an {symbology} barcode holds {expected}, but {content:?} has {len} characters")]
    EanLength {
        /// "EAN-13/UPC" or "EAN-8".
        symbology: &'static str,
        /// What it should hold.
        expected: &'static str,
        /// The content (shortened).
        content: String,
        /// Its length in characters.
        len: usize,
    },
    /// GS1 element strings that fail validation.
    #[error("not a valid GS1 barcode: {source}")]
    Gs1 {
        /// What is wrong with it.
        source: Gs1Error,
    },
    /// A GS1 Digital Link whose GS1 part fails validation.
    #[error("not a valid GS1 Digital Link: {source}")]
    DigitalLink {
        /// What is wrong with it.
        source: Gs1Error,
    },
    /// A Comptoir code with nothing after its prefix.
    #[error("the {what} code has nothing after {prefix}")]
    EmptyPayload {
        /// "loyalty" or "pickup".
        what: &'static str,
        /// The prefix.
        prefix: &'static str,
    },
}

/// What a scan turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanKind {
    /// A plain GTIN (EAN-13, EAN-8, UPC-A, UPC-E, ITF-14, or a bare 14-digit number).
    Gtin(Gtin),
    /// GS1 element strings (GS1-128, GS1 DataMatrix, GS1 QR, GS1 DataBar, or typed text).
    Gs1(ElementString),
    /// A GS1 Digital Link URI.
    DigitalLink(ElementString),
    /// A variable-measure EAN-13 of the store's scales.
    InStore(InStoreCode),
    /// A Comptoir loyalty code; the payload is verified by the loyalty module.
    Loyalty {
        /// The text after [`LOYALTY_PREFIX`].
        payload: String,
    },
    /// A Comptoir pickup code; the payload is verified by the pickup module.
    Pickup {
        /// The text after [`PICKUP_PREFIX`].
        payload: String,
    },
    /// Readable text that is none of the above.
    Unknown,
    /// Recognised as one of the above but malformed.
    Invalid(ScanError),
}

/// One parsed scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scan {
    /// The text as received, without surrounding whitespace and line ending (the AIM
    /// identifier, when sent, is kept).
    pub raw: String,
    /// The symbology the scanner reported, if it sent an AIM identifier.
    pub symbology: Option<Symbology>,
    /// What the content is.
    pub kind: ScanKind,
}

impl Scan {
    /// A stable name of the kind: "gtin", "gs1", "digital_link", "in_store", "loyalty",
    /// "pickup", "unknown" or "invalid".
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ScanKind::Gtin(_) => "gtin",
            ScanKind::Gs1(_) => "gs1",
            ScanKind::DigitalLink(_) => "digital_link",
            ScanKind::InStore(_) => "in_store",
            ScanKind::Loyalty { .. } => "loyalty",
            ScanKind::Pickup { .. } => "pickup",
            ScanKind::Unknown => "unknown",
            ScanKind::Invalid(_) => "invalid",
        }
    }

    /// The product's GTIN: the code itself, AI 01 of GS1 data, or the in-store EAN-13.
    pub fn gtin(&self) -> Option<Gtin> {
        match &self.kind {
            ScanKind::Gtin(gtin) => Some(*gtin),
            ScanKind::Gs1(es) | ScanKind::DigitalLink(es) => es.gtin(),
            ScanKind::InStore(code) => Some(code.gtin),
            _ => None,
        }
    }

    /// The (AI, value) pairs of GS1 data, in scan order (AI 01 included when present); empty
    /// for every other kind, a plain GTIN included.
    pub fn ais(&self) -> Vec<(String, String)> {
        self.element_string()
            .map(|es| es.ais.clone())
            .unwrap_or_default()
    }

    /// The element string of GS1 data or of a Digital Link.
    pub fn element_string(&self) -> Option<&ElementString> {
        match &self.kind {
            ScanKind::Gs1(es) | ScanKind::DigitalLink(es) => Some(es),
            _ => None,
        }
    }

    /// True unless the scan is unknown or invalid.
    pub fn is_recognised(&self) -> bool {
        !matches!(self.kind, ScanKind::Unknown | ScanKind::Invalid(_))
    }

    /// Why the scan is invalid.
    pub fn error(&self) -> Option<&ScanError> {
        match &self.kind {
            ScanKind::Invalid(error) => Some(error),
            _ => None,
        }
    }
}

/// Parses one scan.
///
/// Surrounding whitespace and the line ending (CR, LF, CRLF) are removed; GS separators
/// inside are kept. An AIM identifier is read and stripped. Then:
/// - `]E0`/`]E4`: must be a GTIN (`]E0` with 8 digits is a UPC-E, expanded to UPC-A);
/// - `]C1`, `]d2`, `]Q3`, `]e0`: GS1 element strings, raw (or human-readable when they start
///   with `(`);
/// - `]I0`/`]I1`: a 14-digit content is an ITF-14 GTIN; anything else is unknown;
/// - `]Q1`, `]d1` and no identifier: guessed from the content (see below; `]d1` only as a
///   Digital Link or a Comptoir code, since a Data Matrix without FNC1 carries no element
///   strings);
/// - any other identifier (`]C0`, `]A0`, add-ons …): a Comptoir code, or unknown.
///
/// The guess: a Comptoir prefix → loyalty/pickup; `http(s)://` → Digital Link when its path
/// holds a GS1 primary key (unknown otherwise); `(` → human-readable element string; a GS
/// inside → raw element string; 8, 12, 13 or 14 digits → GTIN (in-store when an EAN-13
/// matches a configured layout); other text starting with AI 00, 01, 02 or 03 that parses
/// completely as element strings → GS1 (a scanner without AIM identifiers sends a GS1-128
/// or DataBar that way); anything else → unknown.
pub fn parse_scan(raw: &str, config: &ScanConfig) -> Scan {
    // `str::trim` removes Unicode whitespace (CR and LF included); GS (U+001D) is not
    // whitespace, so it stays.
    let text = raw.trim();
    let (symbology, content) = split_aim(text);
    let kind = classify(text, symbology.as_ref(), content, config);
    Scan {
        raw: text.to_owned(),
        symbology,
        kind,
    }
}

/// Separates a leading AIM identifier from the content.
fn split_aim(text: &str) -> (Option<Symbology>, &str) {
    match text.get(..3).and_then(Symbology::from_aim) {
        // The identifier is 3 ASCII characters, so index 3 is a character boundary.
        Some(symbology) => (Some(symbology), text.get(3..).unwrap_or("")),
        None => (None, text),
    }
}

fn classify(
    text: &str,
    symbology: Option<&Symbology>,
    content: &str,
    config: &ScanConfig,
) -> ScanKind {
    if content.is_empty() {
        return ScanKind::Invalid(ScanError::Empty);
    }
    if let Some((index, c)) = text
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && *c != GS)
    {
        return ScanKind::Invalid(ScanError::ControlCharacter {
            code: u32::from(c),
            position: index + 1,
        });
    }
    match symbology {
        Some(Symbology::Ean13) => ean_upc(content, config),
        Some(Symbology::Ean8) => ean8(content, config),
        Some(
            Symbology::Gs1_128
            | Symbology::Gs1DataMatrix
            | Symbology::Gs1Qr
            | Symbology::Gs1DataBar,
        ) => {
            let parsed = if content.starts_with('(') {
                parse_human_readable(content)
            } else {
                parse_element_string(content)
            };
            match parsed {
                Ok(es) => ScanKind::Gs1(es),
                Err(source) => ScanKind::Invalid(ScanError::Gs1 { source }),
            }
        }
        Some(Symbology::Itf | Symbology::ItfChecked) => {
            if content.len() == 14 && content.bytes().all(|b| b.is_ascii_digit()) {
                gtin_kind(Gtin::parse(content), config)
            } else {
                ScanKind::Unknown
            }
        }
        Some(Symbology::Qr) | None => guess(content, config),
        Some(Symbology::DataMatrix) => comptoir_code(content)
            .or_else(|| digital_link(content))
            .unwrap_or(ScanKind::Unknown),
        Some(_) => comptoir_code(content).unwrap_or(ScanKind::Unknown),
    }
}

/// A GTIN, or the in-store code it encodes.
fn gtin_kind(parsed: Result<Gtin, GtinError>, config: &ScanConfig) -> ScanKind {
    match parsed {
        Ok(gtin) => match parse_in_store(&gtin, &config.in_store_layouts) {
            Some(code) => ScanKind::InStore(code),
            None => ScanKind::Gtin(gtin),
        },
        Err(source) => ScanKind::Invalid(ScanError::Gtin { source }),
    }
}

/// `]E0`: EAN-13, UPC-A (12 digits), a GTIN-14 from scanners set to send one, or a UPC-E
/// (8 digits starting with number system 0 or 1).
fn ean_upc(content: &str, config: &ScanConfig) -> ScanKind {
    if !content.bytes().all(|b| b.is_ascii_digit()) {
        return gtin_kind(Gtin::parse(content), config);
    }
    match content.len() {
        8 => match expand_upce(content) {
            Some(expanded) => match Gtin::parse(&expanded) {
                Ok(gtin) => gtin_kind(Ok(gtin), config),
                Err(source) => ScanKind::Invalid(ScanError::UpcE {
                    upce: content.to_owned(),
                    expanded,
                    source,
                }),
            },
            // Not a UPC-E: some scanners report EAN-8 as ]E0 too.
            None => gtin_kind(Gtin::parse(content), config),
        },
        12..=14 => gtin_kind(Gtin::parse(content), config),
        len => ScanKind::Invalid(ScanError::EanLength {
            symbology: "EAN-13/UPC",
            expected: "12, 13 or 14 digits (8 for a UPC-E)",
            content: clip(content),
            len,
        }),
    }
}

/// `]E4`: exactly 8 digits.
fn ean8(content: &str, config: &ScanConfig) -> ScanKind {
    let len = content.chars().count();
    if len != 8 && content.bytes().all(|b| b.is_ascii_digit()) {
        return ScanKind::Invalid(ScanError::EanLength {
            symbology: "EAN-8",
            expected: "8 digits",
            content: clip(content),
            len,
        });
    }
    gtin_kind(Gtin::parse(content), config)
}

/// Expands an 8-digit UPC-E (number system, 6 digits, check digit) to its 12-digit UPC-A
/// (GS1 General Specifications, UPC-E symbol: zero suppression by the sixth digit).
fn expand_upce(code: &str) -> Option<String> {
    let digits = code.as_bytes();
    if digits.len() != 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let system = digits[0];
    if system != b'0' && system != b'1' {
        return None;
    }
    let d = &digits[1..7];
    let middle: [u8; 10] = match d[5] {
        b'0'..=b'2' => [d[0], d[1], d[5], b'0', b'0', b'0', b'0', d[2], d[3], d[4]],
        b'3' => [d[0], d[1], d[2], b'0', b'0', b'0', b'0', b'0', d[3], d[4]],
        b'4' => [d[0], d[1], d[2], d[3], b'0', b'0', b'0', b'0', b'0', d[4]],
        _ => [d[0], d[1], d[2], d[3], d[4], b'0', b'0', b'0', b'0', d[5]],
    };
    let mut expanded = Vec::with_capacity(12);
    expanded.push(system);
    expanded.extend_from_slice(&middle);
    expanded.push(digits[7]);
    String::from_utf8(expanded).ok()
}

/// A Comptoir loyalty or pickup code (an empty payload is invalid; the payload itself is
/// verified by the loyalty and pickup modules).
fn comptoir_code(content: &str) -> Option<ScanKind> {
    let empty = |what, prefix| ScanKind::Invalid(ScanError::EmptyPayload { what, prefix });
    if let Some(payload) = content.strip_prefix(LOYALTY_PREFIX) {
        return Some(if payload.is_empty() {
            empty("loyalty", LOYALTY_PREFIX)
        } else {
            ScanKind::Loyalty {
                payload: payload.to_owned(),
            }
        });
    }
    let payload = content.strip_prefix(PICKUP_PREFIX)?;
    Some(if payload.is_empty() {
        empty("pickup", PICKUP_PREFIX)
    } else {
        ScanKind::Pickup {
            payload: payload.to_owned(),
        }
    })
}

/// A Digital Link, an invalid one, or `None` when the text is not an http(s) URI with a GS1
/// primary key (then it is an ordinary URL).
fn digital_link(content: &str) -> Option<ScanKind> {
    match parse_digital_link(content) {
        Ok(Some(es)) => Some(ScanKind::DigitalLink(es)),
        Ok(None) => None,
        Err(source) => Some(ScanKind::Invalid(ScanError::DigitalLink { source })),
    }
}

/// The guess for content without a GS1-specific symbology identifier.
fn guess(content: &str, config: &ScanConfig) -> ScanKind {
    if let Some(kind) = comptoir_code(content) {
        return kind;
    }
    if let Some(kind) = digital_link(content) {
        return kind;
    }
    if content.starts_with('(') {
        return match parse_human_readable(content) {
            Ok(es) => ScanKind::Gs1(es),
            Err(source) => ScanKind::Invalid(ScanError::Gs1 { source }),
        };
    }
    if content.contains(GS) {
        return match parse_element_string(content) {
            Ok(es) => ScanKind::Gs1(es),
            Err(source) => ScanKind::Invalid(ScanError::Gs1 { source }),
        };
    }
    let all_digits = content.bytes().all(|b| b.is_ascii_digit());
    if all_digits && matches!(content.len(), 8 | 12 | 13 | 14) {
        return gtin_kind(Gtin::parse(content), config);
    }
    // Element strings sent without identifier nor GS (one variable field at most, last).
    // Only a GS1 key in first position makes this a safe guess: "10ABC" or a 7-digit number
    // are more likely some other code than a lone lot number or due date.
    let starts_with_key = ["00", "01", "02", "03"]
        .iter()
        .any(|key| content.starts_with(key));
    if starts_with_key && let Ok(es) = parse_element_string(content) {
        return ScanKind::Gs1(es);
    }
    ScanKind::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Expected outcome: kind name, GTIN, AIs, error message.
    struct Case {
        raw: &'static str,
        kind: &'static str,
        aim: Option<&'static str>,
        gtin: Option<&'static str>,
        ais: &'static [(&'static str, &'static str)],
        error: Option<&'static str>,
    }

    const fn case(raw: &'static str, kind: &'static str) -> Case {
        Case {
            raw,
            kind,
            aim: None,
            gtin: None,
            ais: &[],
            error: None,
        }
    }

    impl Case {
        const fn aim(self, aim: &'static str) -> Case {
            Case {
                aim: Some(aim),
                ..self
            }
        }
        const fn gtin(self, gtin: &'static str) -> Case {
            Case {
                gtin: Some(gtin),
                ..self
            }
        }
        const fn ais(self, ais: &'static [(&'static str, &'static str)]) -> Case {
            Case { ais, ..self }
        }
        const fn error(self, error: &'static str) -> Case {
            Case {
                error: Some(error),
                ..self
            }
        }
    }

    const GS1_128: &[(&str, &str)] = &[
        ("01", "12312312312333"),
        ("10", "ABC123"),
        ("99", "TESTING"),
    ];

    fn cases() -> Vec<Case> {
        vec![
            // gs1.md: check digits.
            case("2112345678900", "in_store").gtin("02112345678900"),
            case("2112345678901", "invalid")
                .error("not a valid product barcode: code 2112345678901 has a wrong check digit (expected 0)"),
            case("4006381333931", "gtin").gtin("04006381333931"),
            case("4006381333932", "invalid")
                .error("not a valid product barcode: code 4006381333932 has a wrong check digit (expected 1)"),
            case("]E00416000336108", "gtin").aim("]E0").gtin("00416000336108"),
            case("]E402345673", "gtin").aim("]E4").gtin("00000002345673"),
            case("]E402345674", "invalid")
                .aim("]E4")
                .error("not a valid product barcode: code 02345674 has a wrong check digit (expected 3)"),
            // gs1.md: element strings behind GS1 symbologies.
            case("]C1011231231231233310ABC123\x1d99TESTING", "gs1")
                .aim("]C1")
                .gtin("12312312312333")
                .ais(GS1_128),
            case("]d2011231231231233310ABC123\x1d99TESTING", "gs1")
                .aim("]d2")
                .gtin("12312312312333")
                .ais(GS1_128),
            case("]Q3011231231231233310ABC123\x1d99TESTING", "gs1")
                .aim("]Q3")
                .gtin("12312312312333")
                .ais(GS1_128),
            case("]C1\x1d011231231231233310ABC123\x1d99TESTING\r\n", "gs1")
                .aim("]C1")
                .gtin("12312312312333")
                .ais(GS1_128),
            case("]C1(01)09520123456788(10)LOT7", "gs1")
                .aim("]C1")
                .gtin("09520123456788")
                .ais(&[("01", "09520123456788"), ("10", "LOT7")]),
            case("]e00109520123456788", "gs1")
                .aim("]e0")
                .gtin("09520123456788")
                .ais(&[("01", "09520123456788")]),
            case("(01)09520123456788(17)261231(10)LOT7", "gs1")
                .gtin("09520123456788")
                .ais(&[("01", "09520123456788"), ("17", "261231"), ("10", "LOT7")]),
            // gs1.md: Digital Link.
            case("]Q1https://example.com/01/12312312312333?99=TEST", "digital_link")
                .aim("]Q1")
                .gtin("12312312312333")
                .ais(&[("01", "12312312312333"), ("99", "TEST")]),
            case("https://brand.example/01/09520123456788/10/ABC%2F1", "digital_link")
                .gtin("09520123456788")
                .ais(&[("01", "09520123456788"), ("10", "ABC/1")]),
            case("]d1https://brand.example/01/09520123456788", "digital_link")
                .aim("]d1")
                .gtin("09520123456788")
                .ais(&[("01", "09520123456788")]),
            case("https://brand.example/01/09520123456788/21/S/10/L", "invalid").error(
                "not a valid GS1 Digital Link: AI 10 cannot come after AI 21 in a Digital Link path; \
                 the qualifiers of AI 01 go in the order 22, 10, 21 or 235",
            ),
            case("https://www.example.com/about", "unknown"),
            // gs1.md: in-store.
            case("2112345015002", "in_store").gtin("02112345015002"),
            case("]E02112345015002", "in_store").aim("]E0").gtin("02112345015002"),
            case("2012345015005", "gtin").gtin("02012345015005"),
            // Comptoir codes.
            case("CPTL1:abc123", "loyalty"),
            case("CPTP1:order-42.sig", "pickup"),
            case("]C0CPTL1:abc123", "loyalty").aim("]C0"),
            case("]Q1CPTP1:xyz", "pickup").aim("]Q1"),
            case("CPTL1:", "invalid").error("the loyalty code has nothing after CPTL1:"),
            case("CPTP1:\r\n", "invalid").error("the pickup code has nothing after CPTP1:"),
            // Trimming.
            case("4006381333931\r\n", "gtin").gtin("04006381333931"),
            case("  4006381333931\n", "gtin").gtin("04006381333931"),
            case("\x1d0109520123456788\x1d10L1\r", "gs1")
                .gtin("09520123456788")
                .ais(&[("01", "09520123456788"), ("10", "L1")]),
            // GTIN lengths without identifier.
            case("02345673", "gtin").gtin("00000002345673"),
            case("036000291452", "gtin").gtin("00036000291452"),
            case("09520123456788", "gtin").gtin("09520123456788"),
            case("1234567", "unknown"),
            case("40063813339", "unknown"),
            // A GS1 key in first position without GS: element strings.
            case("0109520123456788", "gs1")
                .gtin("09520123456788")
                .ais(&[("01", "09520123456788")]),
            case("010952012345678817261231", "gs1")
                .gtin("09520123456788")
                .ais(&[("01", "09520123456788"), ("17", "261231")]),
            case("0109520123456789", "unknown"),
            // An 18-digit number is not guessed as an SSCC without its AI.
            case("106141411234567897", "unknown"),
            case("00106141411234567897", "gs1").ais(&[("00", "106141411234567897")]),
            case("10ABC", "unknown"),
            // Symbology identifiers that do not carry GS1 data.
            case("]C04006381333931", "unknown").aim("]C0"),
            case("]A0ABC-123", "unknown").aim("]A0"),
            case("]d10109520123456788", "unknown").aim("]d1"),
            case("]E112", "unknown").aim("]E1"),
            case("]E312345", "unknown").aim("]E3"),
            case("]I110095201234567885", "unknown").aim("]I1"),
            case("]I119520123456785", "gtin").aim("]I1").gtin("19520123456785"),
            // EAN/UPC identifiers demand a GTIN.
            case("]E0042100005264", "gtin").aim("]E0").gtin("00042100005264"),
            case("]E004252614", "gtin").aim("]E0").gtin("00042100005264"),
            case("]E004252615", "invalid").aim("]E0").error(
                "UPC-E barcode 04252615 is not valid (expanded to 042100005265): \
                 code 042100005265 has a wrong check digit (expected 4)",
            ),
            case("]E0ABC", "invalid")
                .aim("]E0")
                .error("not a valid product barcode: code ABC contains a non-digit"),
            case("]E012345", "invalid").aim("]E0").error(
                "an EAN-13/UPC barcode holds 12, 13 or 14 digits (8 for a UPC-E), \
                 but \"12345\" has 5 characters",
            ),
            case("]E44006381333931", "invalid")
                .aim("]E4")
                .error("an EAN-8 barcode holds 8 digits, but \"4006381333931\" has 13 characters"),
            // GS1 errors.
            case("(01)09520123456788(17)261332", "invalid")
                .error("not a valid GS1 barcode: AI 17 value \"261332\" is not a valid date (YYMMDD)"),
            case("(23)1", "invalid").error("not a valid GS1 barcode: AI 23 is not in the GS1 table"),
            case("]C10109520123456788\x1d3103ABCDEF", "invalid")
                .aim("]C1")
                .error("not a valid GS1 barcode: AI 3103 value \"ABCDEF\" must contain only digits but contains 'A'"),
            case("]C1", "invalid").aim("]C1").error("the scan holds no data"),
            // Control characters and empty input.
            case("40063\x0781333931", "invalid").error(
                "the scan contains control character 0x07 at position 6; \
                 only the GS1 separator (0x1d) may appear inside a code",
            ),
            case("ABC\u{85}D", "invalid").error(
                "the scan contains control character 0x85 at position 4; \
                 only the GS1 separator (0x1d) may appear inside a code",
            ),
            case(" \r\n", "invalid").error("the scan holds no data"),
            // Anything else.
            case("Bonjour ça va ?", "unknown"),
            case("]", "unknown"),
            case("]E", "unknown"),
            case("]ÉÉ", "unknown"),
            case("]X9hello", "unknown").aim("]X9"),
        ]
    }

    #[test]
    fn scan_table() {
        let config = ScanConfig::default();
        for case in cases() {
            let scan = parse_scan(case.raw, &config);
            let raw = case.raw;
            assert_eq!(scan.kind_name(), case.kind, "{raw:?}: {:?}", scan.kind);
            assert_eq!(
                scan.symbology.as_ref().map(Symbology::aim),
                case.aim,
                "{raw:?}"
            );
            assert_eq!(
                scan.gtin().map(|g| g.to_string()).as_deref(),
                case.gtin,
                "{raw:?}"
            );
            let expected: Vec<(String, String)> = case
                .ais
                .iter()
                .map(|(a, v)| ((*a).to_owned(), (*v).to_owned()))
                .collect();
            assert_eq!(scan.ais(), expected, "{raw:?}");
            assert_eq!(
                scan.error().map(ToString::to_string).as_deref(),
                case.error,
                "{raw:?}"
            );
            assert_eq!(
                scan.is_recognised(),
                !matches!(case.kind, "unknown" | "invalid")
            );
            assert_eq!(scan.raw, raw.trim());
        }
    }

    #[test]
    fn payloads_and_details() {
        let config = ScanConfig::default();
        let scan = parse_scan("CPTL1:abc123\r\n", &config);
        assert_eq!(
            scan.kind,
            ScanKind::Loyalty {
                payload: "abc123".to_owned()
            }
        );
        let scan = parse_scan("2112345015002", &config);
        let ScanKind::InStore(code) = &scan.kind else {
            panic!("{scan:?}")
        };
        assert_eq!(code.item_code, "12345");
        assert_eq!(code.measure, crate::in_store::Measure::WeightGrams(1500));
        assert!(scan.ais().is_empty());

        let scan = parse_scan("4006381333931", &config);
        assert!(scan.ais().is_empty());
        assert!(scan.element_string().is_none());

        let scan = parse_scan("(01)09520123456788(17)260200(3103)000195", &config);
        let es = scan.element_string().unwrap();
        assert_eq!(es.expiry(), chrono::NaiveDate::from_ymd_opt(2026, 2, 28));
        assert_eq!(es.net_weight_grams(), Some(195));

        // No layout configured: an in-store-looking EAN-13 is a plain GTIN.
        let bare = ScanConfig {
            in_store_layouts: Vec::new(),
        };
        assert_eq!(parse_scan("2112345015002", &bare).kind_name(), "gtin");
    }

    #[test]
    fn symbology_identifiers() {
        let known = [
            "]E0", "]E4", "]E1", "]E2", "]C0", "]C1", "]d1", "]d2", "]Q1", "]Q3", "]e0", "]A0",
            "]I0", "]I1",
        ];
        for id in known {
            let symbology = Symbology::from_aim(id).unwrap();
            assert!(!matches!(symbology, Symbology::Other(_)), "{id}");
            assert_eq!(symbology.aim(), id);
        }
        assert_eq!(
            Symbology::from_aim("]L2"),
            Some(Symbology::Other("]L2".to_owned()))
        );
        for bad in ["]", "]E", "E0]", "]0E", "]E-", "]É0", "]E00"] {
            assert_eq!(Symbology::from_aim(bad), None, "{bad}");
        }
    }

    #[test]
    fn upce_expansion() {
        let cases: &[(&str, Option<&str>)] = &[
            ("04252614", Some("042100005264")),
            ("01234505", Some("012000003455")),
            ("01234531", Some("012300000451")),
            ("01234541", Some("012340000051")),
            ("01234565", Some("012345000065")),
            ("24252614", None),
            ("0425261", None),
        ];
        for (upce, expected) in cases {
            assert_eq!(expand_upce(upce).as_deref(), *expected, "{upce}");
        }
    }

    fn scan_alphabet() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[0-9]{1,14}",
            Just("(".to_owned()),
            Just(")".to_owned()),
            Just("\x1d".to_owned()),
            Just("/".to_owned()),
            Just("%".to_owned()),
            Just("?".to_owned()),
            Just("&".to_owned()),
            Just("=".to_owned()),
            Just("https://x.example/".to_owned()),
            Just("01/".to_owned()),
            Just("%2F".to_owned()),
            Just("%FF".to_owned()),
            Just("]C1".to_owned()),
            Just("]E0".to_owned()),
            Just("]Q1".to_owned()),
            Just("]d2".to_owned()),
            Just("CPTL1:".to_owned()),
            Just("é".to_owned()),
            Just("\r\n".to_owned()),
            "[A-Za-z]{1,3}",
        ];
        proptest::collection::vec(piece, 0..12).prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn never_panics_on_unicode(text in any::<String>()) {
            let scan = parse_scan(&text, &ScanConfig::default());
            let _ = (scan.kind_name(), scan.gtin(), scan.ais(), scan.error().map(ToString::to_string));
        }

        #[test]
        fn never_panics_on_scanner_like_text(text in scan_alphabet()) {
            let scan = parse_scan(&text, &ScanConfig::default());
            let _ = (scan.kind_name(), scan.gtin(), scan.ais(), scan.error().map(ToString::to_string));
            // An invalid scan always explains itself.
            prop_assert_eq!(scan.kind_name() == "invalid", scan.error().is_some());
        }

        #[test]
        fn valid_gtins_are_recognised(body in "[1-9][0-9]{11}") {
            let check = crate::gtin::check_digit(&body).unwrap_or(0);
            let code = format!("{body}{check}");
            let scan = parse_scan(&code, &ScanConfig::default());
            prop_assert!(scan.is_recognised());
            let gtin = scan.gtin().map(|g| g.to_string());
            prop_assert_eq!(gtin, Some(format!("0{code}")));
        }
    }
}
