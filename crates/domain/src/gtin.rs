//! GTIN: the Global Trade Item Number that identifies a product, as read from an EAN/UPC
//! barcode, a GS1 element string (AI 01) or a GS1 Digital Link.
//!
//! A [`Gtin`] can only be built by a parser that checked it: 8, 12, 13 or 14 digits with a
//! correct GS1 mod-10 check digit, normalised to 14 digits (GS1 General Specifications, GTIN
//! data structures; check digit §7.9.1). The check-digit helpers are shared with the other
//! GS1 keys that use the same algorithm (SSCC, GSIN, GLN, GDTI, GCN, GSRN …).
//!
//! This module is pure: no I/O, and it must never panic on any input.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Number of digits of a normalised GTIN (GTIN-14).
const GTIN_LEN: usize = 14;

/// The largest value a 14-digit GTIN can hold, plus one.
const GTIN_LIMIT: u64 = 100_000_000_000_000;

/// Why a text or a number is not a GTIN. Each message names the code so that an operator can
/// compare it with the label.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GtinError {
    /// Nothing to parse.
    #[error("the code is empty; a GTIN has 8, 12, 13 or 14 digits")]
    Empty,
    /// A character other than an ASCII digit.
    #[error("code {code} contains a non-digit")]
    NonDigit {
        /// The code as given.
        code: String,
    },
    /// Not 8, 12, 13 or 14 digits.
    #[error("code {code} has {len} digits; a GTIN has 8, 12, 13 or 14")]
    WrongLength {
        /// The code as given.
        code: String,
        /// Its number of digits.
        len: usize,
    },
    /// The last digit does not match the GS1 mod-10 check digit of the others.
    #[error("code {code} has a wrong check digit (expected {expected})")]
    WrongCheckDigit {
        /// The code as given.
        code: String,
        /// The check digit the body calls for.
        expected: u8,
    },
    /// A database key too large for 14 digits.
    #[error("number {number} has more than 14 digits and cannot be a GTIN")]
    TooLarge {
        /// The number as given.
        number: u64,
    },
}

/// A verified Global Trade Item Number, always held as 14 ASCII digits (GTIN-8, GTIN-12 and
/// GTIN-13 are left-padded with zeros, as the GS1 General Specifications do for AI 01).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gtin([u8; GTIN_LEN]);

impl Gtin {
    /// Parses 8, 12, 13 or 14 ASCII digits whose last digit is the GS1 mod-10 check digit,
    /// and normalises to 14 digits: `4006381333931` gives `04006381333931`.
    pub fn parse(code: &str) -> Result<Gtin, GtinError> {
        if code.is_empty() {
            return Err(GtinError::Empty);
        }
        if !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GtinError::NonDigit {
                code: code.to_owned(),
            });
        }
        let len = code.len();
        if !matches!(len, 8 | 12 | 13 | 14) {
            return Err(GtinError::WrongLength {
                code: code.to_owned(),
                len,
            });
        }
        // All bytes are ASCII digits, so byte slicing cannot split a character.
        let (body, check) = code.split_at(len - 1);
        let expected = check_digit(body).ok_or_else(|| GtinError::NonDigit {
            code: code.to_owned(),
        })?;
        if check.as_bytes() != [b'0' + expected] {
            return Err(GtinError::WrongCheckDigit {
                code: code.to_owned(),
                expected,
            });
        }
        let mut digits = [b'0'; GTIN_LEN];
        digits[GTIN_LEN - len..].copy_from_slice(code.as_bytes());
        Ok(Gtin(digits))
    }

    /// Builds a GTIN from its numeric value (as stored in a database key), verifying the check
    /// digit.
    pub fn from_u64(number: u64) -> Result<Gtin, GtinError> {
        if number >= GTIN_LIMIT {
            return Err(GtinError::TooLarge { number });
        }
        Gtin::parse(&format!("{number:014}"))
    }

    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        // Only built from ASCII digits, so this never fails; the fallback keeps the function
        // total without a panic path.
        std::str::from_utf8(&self.0).unwrap_or("00000000000000")
    }

    /// The numeric value of the 14 digits (leading zeros vanish), for database keys.
    pub fn to_u64(&self) -> u64 {
        self.0
            .iter()
            .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'))
    }

    /// The 13 digits of the EAN-13 this GTIN was printed as, when its indicator digit is 0.
    pub fn as_ean13(&self) -> Option<&str> {
        self.as_str().strip_prefix('0')
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Gtin({})", self.as_str())
    }
}

impl Serialize for Gtin {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Gtin {
    /// Deserialising goes through [`Gtin::parse`], so a stored GTIN is verified again.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Gtin::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The GS1 mod-10 check digit of `body` (the digits left of the check digit), or `None` when
/// `body` is empty or holds a non-digit.
///
/// GS1 General Specifications §7.9.1: weights 3 and 1 alternate starting with 3 on the
/// rightmost digit of the body; the check digit brings the weighted sum to a multiple of 10.
/// The same algorithm serves GTIN, SSCC, GLN, GSIN, GDTI, GCN and GSRN.
pub fn check_digit(body: &str) -> Option<u8> {
    if body.is_empty() {
        return None;
    }
    let mut sum: u32 = 0;
    for (i, b) in body.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        let weight = if i % 2 == 0 { 3 } else { 1 };
        sum += u32::from(b - b'0') * weight;
    }
    // `sum % 10` is below 10, so the result fits in a u8.
    Some(((10 - sum % 10) % 10) as u8)
}

/// True when `digits` (at least 2 ASCII digits) ends with the GS1 mod-10 check digit of the
/// digits before it.
pub fn has_valid_check_digit(digits: &str) -> bool {
    if digits.len() < 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (body, check) = digits.split_at(digits.len() - 1);
    check_digit(body).is_some_and(|d| check.as_bytes() == [b'0' + d])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_table() {
        // (input, Ok(14 digits) or Err(message))
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("2112345678900", Ok("02112345678900")),
            (
                "2112345678901",
                Err("code 2112345678901 has a wrong check digit (expected 0)"),
            ),
            ("4006381333931", Ok("04006381333931")),
            (
                "4006381333932",
                Err("code 4006381333932 has a wrong check digit (expected 1)"),
            ),
            ("00416000336108", Ok("00416000336108")),
            ("02345673", Ok("00000002345673")),
            (
                "02345674",
                Err("code 02345674 has a wrong check digit (expected 3)"),
            ),
            ("036000291452", Ok("00036000291452")),
            ("09520123456788", Ok("09520123456788")),
            (
                "40063813339",
                Err("code 40063813339 has 11 digits; a GTIN has 8, 12, 13 or 14"),
            ),
            (
                "400638133393100",
                Err("code 400638133393100 has 15 digits; a GTIN has 8, 12, 13 or 14"),
            ),
            (
                "40063813339X1",
                Err("code 40063813339X1 contains a non-digit"),
            ),
            (
                "4006381333931 ",
                Err("code 4006381333931  contains a non-digit"),
            ),
            (
                "٤٠٠٦٣٨١٣٣٣٩٣١",
                Err("code ٤٠٠٦٣٨١٣٣٣٩٣١ contains a non-digit"),
            ),
            (
                "",
                Err("the code is empty; a GTIN has 8, 12, 13 or 14 digits"),
            ),
        ];
        for (input, expected) in cases {
            let got = Gtin::parse(input)
                .map(|g| g.as_str().to_owned())
                .map_err(|e| e.to_string());
            let expected = expected.map(str::to_owned).map_err(str::to_owned);
            assert_eq!(got, expected, "input {input:?}");
        }
    }

    #[test]
    fn numeric_round_trip() {
        let gtin = Gtin::parse("4006381333931").unwrap();
        assert_eq!(gtin.to_u64(), 4_006_381_333_931);
        assert_eq!(Gtin::from_u64(4_006_381_333_931), Ok(gtin));
        assert_eq!(
            Gtin::from_u64(4_006_381_333_932).unwrap_err().to_string(),
            "code 04006381333932 has a wrong check digit (expected 1)"
        );
        assert!(matches!(
            Gtin::from_u64(GTIN_LIMIT),
            Err(GtinError::TooLarge { .. })
        ));
    }

    #[test]
    fn display_serde_and_ean13() {
        let gtin = Gtin::parse("4006381333931").unwrap();
        assert_eq!(gtin.to_string(), "04006381333931");
        assert_eq!(gtin.as_ean13(), Some("4006381333931"));
        assert_eq!(format!("{gtin:?}"), "Gtin(04006381333931)");
        let value =
            serde::de::value::StrDeserializer::<serde::de::value::Error>::new("4006381333932");
        assert!(Gtin::deserialize(value).is_err());
        let value =
            serde::de::value::StrDeserializer::<serde::de::value::Error>::new("4006381333931");
        assert_eq!(Gtin::deserialize(value), Ok(gtin));
    }

    #[test]
    fn check_digit_helpers() {
        let cases: &[(&str, Option<u8>)] = &[
            ("211234567890", Some(0)),
            ("400638133393", Some(1)),
            ("0234567", Some(3)),
            // SSCC body (17 digits)
            ("10614141123456789", Some(7)),
            ("", None),
            ("12a", None),
        ];
        for (body, expected) in cases {
            assert_eq!(check_digit(body), *expected, "body {body:?}");
        }
        assert!(has_valid_check_digit("106141411234567897"));
        assert!(!has_valid_check_digit("106141411234567890"));
        assert!(!has_valid_check_digit("0"));
        assert!(!has_valid_check_digit("é0"));
    }

    proptest! {
        #[test]
        fn body_plus_check_digit_parses(body in prop_oneof![
            "[0-9]{7}", "[0-9]{11}", "[0-9]{12}", "[0-9]{13}"
        ]) {
            let check = check_digit(&body).unwrap();
            let code = format!("{body}{check}");
            let gtin = Gtin::parse(&code).unwrap();
            prop_assert_eq!(gtin.as_str().len(), 14);
            prop_assert!(gtin.as_str().ends_with(&code));
            prop_assert!(has_valid_check_digit(gtin.as_str()));
            prop_assert_eq!(Gtin::from_u64(gtin.to_u64()), Ok(gtin));
        }

        #[test]
        fn parse_never_panics(text in "\\PC*") {
            let _ = Gtin::parse(&text);
            let _ = check_digit(&text);
            let _ = has_valid_check_digit(&text);
        }
    }
}
