//! The code a receipt carries (printed as a QR code and in clear under it) so that a return
//! finds its sale by a scan: `CPTR1:` + store + `:` + ticket number + `:` + check.
//!
//! The check is the first [`CHECK_LEN`] hexadecimal digits of the sale's fiscal journal entry
//! hash. Nobody can compute it without the journal, so a code made up from a ticket number, or
//! a real code whose ticket number was changed, does not match the sale the journal holds and is
//! refused; the central keeps each sale's check for returns at another store. No key to share,
//! and a code stays valid as long as the journal it was printed from.

use std::fmt;

/// Prefix of a receipt's code.
pub const RECEIPT_PREFIX: &str = "CPTR1:";

/// Hexadecimal digits of the journal hash a code carries: 64 bits, beyond guessing at a counter.
pub const CHECK_LEN: usize = 16;

/// A store code or a ticket number longer than this is not one of ours.
const MAX_PART_CHARS: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptCodeError {
    #[error("this is not a Comptoir receipt code (it should start with {RECEIPT_PREFIX})")]
    WrongPrefix,
    #[error("the receipt code is damaged or incomplete: {0}")]
    Malformed(&'static str),
    #[error(
        "the receipt code does not match ticket {ticket} in the journal: it was altered or forged"
    )]
    Forged { ticket: String },
}

/// A receipt's code, read or to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptCode {
    /// The store's location code (e.g. PAR-01).
    pub store: String,
    /// The ticket number as printed (e.g. T01-000042).
    pub ticket: String,
    /// Lower-case hexadecimal, [`CHECK_LEN`] digits.
    pub check: String,
}

impl ReceiptCode {
    /// The code of the sale `ticket` of `store` whose journal entry has `journal_hash`.
    pub fn of(store: &str, ticket: &str, journal_hash: &str) -> Self {
        ReceiptCode {
            store: store.to_owned(),
            ticket: ticket.to_owned(),
            check: check_of(journal_hash),
        }
    }

    /// Reads a scanned or typed code (surrounding spaces and the check's case do not matter).
    pub fn parse(text: &str) -> Result<Self, ReceiptCodeError> {
        let rest = text
            .trim()
            .strip_prefix(RECEIPT_PREFIX)
            .ok_or(ReceiptCodeError::WrongPrefix)?;
        let mut parts = rest.split(':');
        let (Some(store), Some(ticket), Some(check), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ReceiptCodeError::Malformed(
                "it should hold a store, a ticket number and a check",
            ));
        };
        let fits = |part: &str| {
            !part.is_empty()
                && part.chars().count() <= MAX_PART_CHARS
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        if !fits(store) {
            return Err(ReceiptCodeError::Malformed("its store is not a store code"));
        }
        if !fits(ticket) {
            return Err(ReceiptCodeError::Malformed(
                "its ticket is not a ticket number",
            ));
        }
        if check.len() != CHECK_LEN || !check.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ReceiptCodeError::Malformed(
                "its check is not 16 hexadecimal digits",
            ));
        }
        Ok(ReceiptCode {
            store: store.to_owned(),
            ticket: ticket.to_owned(),
            check: check.to_ascii_lowercase(),
        })
    }

    /// `Ok` when the code was printed from the journal entry whose hash is `journal_hash`.
    pub fn verify(&self, journal_hash: &str) -> Result<(), ReceiptCodeError> {
        if check_of(journal_hash) == self.check {
            Ok(())
        } else {
            Err(ReceiptCodeError::Forged {
                ticket: self.ticket.clone(),
            })
        }
    }
}

impl fmt::Display for ReceiptCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{RECEIPT_PREFIX}{}:{}:{}",
            self.store, self.ticket, self.check
        )
    }
}

/// The check a code carries for a journal entry's hash.
pub fn check_of(journal_hash: &str) -> String {
    journal_hash
        .chars()
        .take(CHECK_LEN)
        .collect::<String>()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn a_printed_code_reads_back_and_matches_its_journal_entry() {
        let code = ReceiptCode::of("PAR-01", "T01-000042", HASH);
        let text = code.to_string();
        assert_eq!(text, "CPTR1:PAR-01:T01-000042:9f86d081884c7d65");
        // A scanner in caps lock sends the check upper-cased: still the same code.
        let shouted = ReceiptCode::parse(&text.replace("9f86d081884c7d65", "9F86D081884C7D65"))
            .expect("reads");
        assert_eq!(shouted, code);
        let read = ReceiptCode::parse(&format!("  {text} \n")).expect("reads");
        assert_eq!(read, code);
        assert_eq!(read.verify(HASH), Ok(()));
    }

    #[test]
    fn a_changed_ticket_or_check_is_refused_as_forged() {
        let code = ReceiptCode::of("PAR-01", "T01-000042", HASH);
        let other = "0".repeat(64);
        assert_eq!(
            code.verify(&other),
            Err(ReceiptCodeError::Forged {
                ticket: "T01-000042".into()
            })
        );
        let mut tampered = ReceiptCode::parse(&code.to_string()).expect("reads");
        tampered.check.replace_range(0..1, "0");
        assert!(tampered.verify(HASH).is_err());
    }

    #[test]
    fn damaged_codes_say_what_is_wrong() {
        for (text, expected) in [
            ("T01-000042", ReceiptCodeError::WrongPrefix),
            (
                "CPTR1:PAR-01:T01-000042",
                ReceiptCodeError::Malformed("it should hold a store, a ticket number and a check"),
            ),
            (
                "CPTR1::T01-000042:9f86d081884c7d65",
                ReceiptCodeError::Malformed("its store is not a store code"),
            ),
            (
                "CPTR1:PAR-01:T01 42:9f86d081884c7d65",
                ReceiptCodeError::Malformed("its ticket is not a ticket number"),
            ),
            (
                "CPTR1:PAR-01:T01-000042:9f86d081",
                ReceiptCodeError::Malformed("its check is not 16 hexadecimal digits"),
            ),
            (
                "CPTR1:PAR-01:T01-000042:9f86d081884c7d6z",
                ReceiptCodeError::Malformed("its check is not 16 hexadecimal digits"),
            ),
        ] {
            assert_eq!(ReceiptCode::parse(text), Err(expected), "{text}");
        }
    }
}
