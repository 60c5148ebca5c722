//! GS1 Digital Link URIs (what a product QR code usually holds): turns
//! `https://<any domain>/<any prefix>/01/<gtin>/10/<lot>?17=261231` into the same
//! [`ElementString`] a GS1 DataMatrix would give.
//!
//! Follows the GS1 Digital Link URI Syntax standard, version 1.4: the domain and any path
//! before the primary key are free; the primary key and its key qualifiers are path
//! elements, in the order the standard fixes; data attributes are query parameters whose
//! names are numeric AIs; other query parameters and the fragment are ignored. Compressed
//! Digital Link URIs and the alphabetic AI short names (`/gtin/…`) are not read.
//!
//! This module is pure: it never resolves a URI or touches the network, and it must never
//! panic on any input.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

use crate::gs1::{ElementString, Gs1Error, ai_spec, clip};
use crate::gtin::{Gtin, GtinError};

/// A primary key AI and the sequences of qualifier AIs that may follow it in the path
/// (GS1 Digital Link URI Syntax 1.4, "dlpkey" attributes of the GS1 Barcode Syntax
/// Dictionary). Each inner list is one allowed order; a path uses a subsequence of one.
struct PrimaryKey {
    ai: &'static str,
    qualifiers: &'static [&'static [&'static str]],
}

/// Primary keys accepted in a Digital Link path.
static PRIMARY_KEYS: &[PrimaryKey] = &[
    PrimaryKey {
        ai: "00",
        qualifiers: &[],
    },
    PrimaryKey {
        ai: "01",
        qualifiers: &[&["22", "10", "21"], &["235"]],
    },
    PrimaryKey {
        ai: "253",
        qualifiers: &[],
    },
    PrimaryKey {
        ai: "255",
        qualifiers: &[],
    },
    PrimaryKey {
        ai: "401",
        qualifiers: &[],
    },
    PrimaryKey {
        ai: "402",
        qualifiers: &[],
    },
    PrimaryKey {
        ai: "414",
        qualifiers: &[&["254"], &["7040"]],
    },
    PrimaryKey {
        ai: "415",
        qualifiers: &[&["8020"]],
    },
    PrimaryKey {
        ai: "417",
        qualifiers: &[&["7040"]],
    },
    PrimaryKey {
        ai: "8003",
        qualifiers: &[],
    },
    PrimaryKey {
        ai: "8004",
        qualifiers: &[&["7040"]],
    },
    PrimaryKey {
        ai: "8006",
        qualifiers: &[&["22", "10", "21"]],
    },
    PrimaryKey {
        ai: "8010",
        qualifiers: &[&["8011"]],
    },
    PrimaryKey {
        ai: "8013",
        qualifiers: &[],
    },
    PrimaryKey {
        ai: "8017",
        qualifiers: &[&["8019"]],
    },
    PrimaryKey {
        ai: "8018",
        qualifiers: &[&["8019"]],
    },
];

fn primary_key(ai: &str) -> Option<&'static PrimaryKey> {
    PRIMARY_KEYS.iter().find(|key| key.ai == ai)
}

impl PrimaryKey {
    /// The allowed orders as text, e.g. "22, 10, 21 or 235".
    fn order(&self) -> String {
        self.qualifiers
            .iter()
            .map(|sequence| sequence.join(", "))
            .collect::<Vec<_>>()
            .join(" or ")
    }

    /// Checks that `found` (the qualifier AIs of a path, in order) is a subsequence of one
    /// allowed order.
    fn check_qualifiers(&self, found: &[&str]) -> Result<(), Gs1Error> {
        // Each state: (index of an allowed order, position after the last match in it).
        let mut states: Vec<(usize, usize)> = (0..self.qualifiers.len()).map(|i| (i, 0)).collect();
        let mut previous: Option<&str> = None;
        for &ai in found {
            let next: Vec<(usize, usize)> = states
                .iter()
                .filter_map(|&(sequence, from)| {
                    let rest = self.qualifiers.get(sequence)?.get(from..)?;
                    let offset = rest.iter().position(|q| *q == ai)?;
                    Some((sequence, from + offset + 1))
                })
                .collect();
            if next.is_empty() {
                let known = self.qualifiers.iter().any(|s| s.contains(&ai));
                return Err(match previous {
                    Some(previous) if known => Gs1Error::QualifierOrder {
                        key: self.ai.to_owned(),
                        ai: ai.to_owned(),
                        previous: previous.to_owned(),
                        order: self.order(),
                    },
                    _ => Gs1Error::NotAQualifier {
                        key: self.ai.to_owned(),
                        ai: clip(ai),
                    },
                });
            }
            states = next;
            previous = Some(ai);
        }
        Ok(())
    }
}

/// Strips `prefix` from the start of `text`, ignoring ASCII case.
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        text.get(prefix.len()..)
    } else {
        None
    }
}

/// Percent-decodes one path element or query component.
fn decode(element: &str) -> Result<Cow<'_, str>, Gs1Error> {
    percent_decode_str(element)
        .decode_utf8()
        .map_err(|_| Gs1Error::PercentEncoding {
            element: clip(element),
        })
}

fn is_numeric(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A GTIN-8, -12 or -13 in a Digital Link is left-padded to 14 digits once its check digit
/// is verified (GS1 Digital Link URI Syntax 1.4); anything else is left for the AI 01 validation.
fn pad_gtin(value: &str) -> Result<Cow<'_, str>, Gs1Error> {
    if !(is_numeric(value) && matches!(value.len(), 8 | 12 | 13)) {
        return Ok(Cow::Borrowed(value));
    }
    match Gtin::parse(value) {
        Ok(gtin) => Ok(Cow::Owned(gtin.as_str().to_owned())),
        Err(GtinError::WrongCheckDigit { expected, .. }) => Err(Gs1Error::WrongCheckDigit {
            ai: "01".to_owned(),
            value: value.to_owned(),
            expected,
        }),
        // All digits and a GTIN length: no other error can occur; let AI 01 validation
        // report whatever it is.
        Err(_) => Ok(Cow::Borrowed(value)),
    }
}

fn push(element_string: &mut ElementString, ai: &str, value: &str) -> Result<(), Gs1Error> {
    if ai == "01" {
        element_string.push_validated(ai, &pad_gtin(value)?)
    } else {
        element_string.push_validated(ai, value)
    }
}

/// Parses a GS1 Digital Link URI.
///
/// Returns `Ok(None)` when `uri` is not an `http://` or `https://` URI whose path holds a GS1
/// primary key followed by its value (and optional qualifiers): such a URL is simply not GS1
/// data. Returns an error when it does hold one but the GS1 part is malformed (wrong check
/// digit, qualifiers out of order, invalid query attribute …). The element string starts with
/// the primary key, then the path qualifiers, then the query attributes, in order.
pub fn parse_digital_link(uri: &str) -> Result<Option<ElementString>, Gs1Error> {
    let Some(after_scheme) = strip_prefix_ignore_case(uri, "https://")
        .or_else(|| strip_prefix_ignore_case(uri, "http://"))
    else {
        return Ok(None);
    };
    let without_fragment = after_scheme
        .split_once('#')
        .map_or(after_scheme, |(before, _)| before);
    let (authority_and_path, query) = match without_fragment.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (without_fragment, None),
    };
    let Some((authority, path)) = authority_and_path.split_once('/') else {
        return Ok(None);
    };
    if authority.is_empty() {
        return Ok(None);
    }
    let mut raw_segments: Vec<&str> = path.split('/').collect();
    // A trailing slash leaves an empty last element; it carries nothing.
    if raw_segments.last().is_some_and(|s| s.is_empty()) {
        raw_segments.pop();
    }
    // Undecodable elements cannot be keys; their error matters only if they hold a value.
    let decoded: Vec<Option<Cow<'_, str>>> = raw_segments.iter().map(|s| decode(s).ok()).collect();
    let numeric_at = |i: usize| -> Option<&str> {
        decoded
            .get(i)
            .and_then(|s| s.as_deref())
            .filter(|s| is_numeric(s))
    };

    // The primary key is the path element from which the rest of the path is a sequence of
    // (AI, value) pairs (URI Syntax 1.4: anything before it is a free prefix). Prefer the
    // first such element whose qualifiers are valid; otherwise report the first that has the
    // shape, so that a misordered link is an error rather than "not a Digital Link".
    let count = raw_segments.len();
    let mut shaped: Option<(usize, &PrimaryKey)> = None;
    let mut chosen: Option<(usize, &PrimaryKey)> = None;
    for i in 0..count {
        let Some(key) = numeric_at(i).and_then(primary_key) else {
            continue;
        };
        if !(count - i).is_multiple_of(2) {
            continue;
        }
        let qualifiers: Option<Vec<&str>> = (i + 2..count).step_by(2).map(numeric_at).collect();
        let Some(qualifiers) = qualifiers else {
            continue;
        };
        shaped.get_or_insert((i, key));
        if key.check_qualifiers(&qualifiers).is_ok() {
            chosen = Some((i, key));
            break;
        }
    }
    let Some((start, key)) = chosen.or(shaped) else {
        return Ok(None);
    };

    let qualifiers: Vec<&str> = (start + 2..count)
        .step_by(2)
        .filter_map(numeric_at)
        .collect();
    key.check_qualifiers(&qualifiers)?;

    let mut element_string = ElementString::default();
    for pair_start in (start..count).step_by(2) {
        let ai = numeric_at(pair_start).unwrap_or("");
        let raw_value = raw_segments.get(pair_start + 1).copied().unwrap_or("");
        let value = decode(raw_value)?;
        push(&mut element_string, ai, &value)?;
    }

    for parameter in query.unwrap_or("").split('&') {
        let (raw_name, raw_value) = parameter.split_once('=').unwrap_or((parameter, ""));
        // Non-numeric names (linkType, utm_source …) are not GS1 data (URI Syntax 1.4).
        let Ok(name) = decode(raw_name) else {
            continue;
        };
        if !is_numeric(&name) {
            continue;
        }
        let spec = ai_spec(&name).ok_or_else(|| Gs1Error::UnknownAi { ai: clip(&name) })?;
        if !spec.dl_data_attribute {
            return Err(Gs1Error::NotADataAttribute {
                ai: name.into_owned(),
            });
        }
        let value = decode(raw_value)?;
        push(&mut element_string, &name, &value)?;
    }
    Ok(Some(element_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Expected<'a> = Result<Option<&'a [(&'a str, &'a str)]>, &'a str>;

    #[test]
    fn digital_links() {
        let cases: &[(&str, Expected<'_>)] = &[
            (
                "https://example.com/01/12312312312333?99=TEST",
                Ok(Some(&[("01", "12312312312333"), ("99", "TEST")])),
            ),
            (
                "https://brand.example/01/09520123456788/10/ABC%2F1",
                Ok(Some(&[("01", "09520123456788"), ("10", "ABC/1")])),
            ),
            (
                "https://id.gs1.org/01/09520123456788/22/2A/10/ABC123/21/12345?17=261231&3103=000195",
                Ok(Some(&[
                    ("01", "09520123456788"),
                    ("22", "2A"),
                    ("10", "ABC123"),
                    ("21", "12345"),
                    ("17", "261231"),
                    ("3103", "000195"),
                ])),
            ),
            (
                "https://brand.example/some/prefix/01/09520123456788/21/S1",
                Ok(Some(&[("01", "09520123456788"), ("21", "S1")])),
            ),
            (
                "HTTP://Brand.Example/01/09520123456788/",
                Ok(Some(&[("01", "09520123456788")])),
            ),
            (
                "https://example.com/01/09520123456788?linkType=all&10=X",
                Ok(Some(&[("01", "09520123456788"), ("10", "X")])),
            ),
            (
                "https://example.com/01/09520123456788?utm_source=qr&&17=270100#section",
                Ok(Some(&[("01", "09520123456788"), ("17", "270100")])),
            ),
            // Short GTINs are padded once their check digit is verified.
            (
                "https://example.com/01/4006381333931",
                Ok(Some(&[("01", "04006381333931")])),
            ),
            (
                "https://example.com/01/036000291452",
                Ok(Some(&[("01", "00036000291452")])),
            ),
            (
                "https://example.com/01/02345673/10/L1",
                Ok(Some(&[("01", "00000002345673"), ("10", "L1")])),
            ),
            (
                "https://example.com/01/09520123456788/235/TPX1",
                Ok(Some(&[("01", "09520123456788"), ("235", "TPX1")])),
            ),
            // The same value in path and query is the same datum.
            (
                "https://example.com/01/09520123456788/10/A?10=A",
                Ok(Some(&[("01", "09520123456788"), ("10", "A")])),
            ),
            // A prefix element that looks like a key does not confuse the search.
            (
                "https://example.com/01/x/01/09520123456788/10/A",
                Ok(Some(&[("01", "09520123456788"), ("10", "A")])),
            ),
            (
                "https://example.com/00/106141411234567897",
                Ok(Some(&[("00", "106141411234567897")])),
            ),
            (
                "https://example.com/414/4000001000005/254/A1",
                Ok(Some(&[("414", "4000001000005"), ("254", "A1")])),
            ),
            // Not Digital Links: Ok(None).
            ("https://example.com/", Ok(None)),
            ("https://example.com", Ok(None)),
            ("https://example.com/products/123?ref=qr", Ok(None)),
            ("https://example.com/01", Ok(None)),
            ("https:///01/09520123456788", Ok(None)),
            ("ftp://example.com/01/09520123456788", Ok(None)),
            ("CPTL1:abc", Ok(None)),
            ("https://é.example/é/01", Ok(None)),
            // Malformed GS1 data: errors.
            (
                "https://example.com/01/09520123456789",
                Err("AI 01 value \"09520123456789\" has a wrong check digit (expected 8)"),
            ),
            (
                "https://example.com/01/4006381333932",
                Err("AI 01 value \"4006381333932\" has a wrong check digit (expected 1)"),
            ),
            (
                "https://example.com/01/09520123456788/21/S1/10/L1",
                Err(
                    "AI 10 cannot come after AI 21 in a Digital Link path; the qualifiers of AI 01 go in the order 22, 10, 21 or 235",
                ),
            ),
            (
                "https://example.com/01/09520123456788/10/L1/235/T",
                Err(
                    "AI 235 cannot come after AI 10 in a Digital Link path; the qualifiers of AI 01 go in the order 22, 10, 21 or 235",
                ),
            ),
            (
                "https://example.com/01/09520123456788/17/261231",
                Err("AI 17 cannot qualify primary key AI 01 in a Digital Link path"),
            ),
            (
                "https://example.com/01/09520123456788/10/%FF",
                Err("Digital Link element \"%FF\" is not valid percent-encoded text"),
            ),
            (
                "https://example.com/01/09520123456788?17=261332",
                Err("AI 17 value \"261332\" is not a valid date (YYMMDD)"),
            ),
            (
                "https://example.com/01/09520123456788?21=S1",
                Err("AI 21 is not allowed as a Digital Link query parameter"),
            ),
            (
                "https://example.com/01/09520123456788?89=X",
                Err("AI 89 is not in the GS1 table"),
            ),
            (
                "https://example.com/01/09520123456788/10/A?10=B",
                Err("AI 10 appears twice with different values (\"A\" and \"B\")"),
            ),
            (
                "https://example.com/01/09520123456788/10/A%20B",
                Err(
                    "AI 10 value \"A B\" contains ' ', which GS1 does not allow (character set 82)",
                ),
            ),
            (
                "https://example.com/01/09520123456788?10=",
                Err("AI 10 has no data"),
            ),
            (
                "https://example.com/01/0952012345678",
                Err("AI 01 value \"0952012345678\" has a wrong check digit (expected 2)"),
            ),
            (
                "https://example.com/01/123",
                Err("AI 01 value \"123\" has 3 characters; it must have exactly 14"),
            ),
        ];
        for (input, expected) in cases {
            let got = parse_digital_link(input);
            let got: Result<Option<Vec<(&str, &str)>>, String> = match &got {
                Ok(Some(es)) => Ok(Some(
                    es.ais
                        .iter()
                        .map(|(a, v)| (a.as_str(), v.as_str()))
                        .collect(),
                )),
                Ok(None) => Ok(None),
                Err(e) => Err(e.to_string()),
            };
            let expected = expected
                .map(|o| o.map(<[_]>::to_vec))
                .map_err(str::to_owned);
            assert_eq!(got, expected, "input {input:?}");
        }
    }

    #[test]
    fn primary_key_comes_first_and_gtin_is_available() {
        let es = parse_digital_link("https://example.com/x/01/9520123456788?17=261231")
            .unwrap()
            .unwrap();
        assert_eq!(es.ais.first().map(|(a, _)| a.as_str()), Some("01"));
        assert_eq!(
            es.gtin().map(|g| g.to_string()).as_deref(),
            Some("09520123456788")
        );
        assert_eq!(es.expiry(), chrono::NaiveDate::from_ymd_opt(2026, 12, 31));
    }
}
