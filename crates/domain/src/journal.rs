//! The fiscal journal's hash chain (CGI art. 286 I 3° bis: inalterability). Pure: the entry, its
//! canonical serialisation, its SHA-256, and the verification of a chain. The store persists
//! entries; it never computes a hash itself.
//!
//! # Canonical serialisation (what an auditor recomputes)
//!
//! An entry is serialised as JSON with its keys in alphabetical order, no spaces, integers for
//! money (euro cents) and VAT rates (basis points: 2000 = 20 %), `null` for an absent value:
//!
//! ```text
//! {"count":null,"created_at":1764000000,"detail":null,"grand_total":null,"kind":"ticket",
//!  "lines_digest":"…","operator":"camille","payments":[{"amount":1250,"method":"card"}],
//!  "previous_hash":"000…0","reference":"T01-000001","sequence":1,"terminal":"T01",
//!  "total":1250,"training":false,"vat":[{"base":1042,"rate":2000,"total":1250,"vat":208}],
//!  "version":1}
//! ```
//!
//! (on one line). `hash = hex(SHA-256(canonical))`; `previous_hash` is the hash of the entry
//! before it on the same terminal, 64 zeros for the first. Because each hash covers the previous
//! one, changing, removing or inserting any entry breaks every hash after it. The same rule as
//! Odoo's certified French POS (`l10n_fr_pos_cert`): SHA-256 over sorted-key JSON.

use crate::discount::{DiscountSource, LineDiscount};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The previous hash of a terminal's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The version of the canonical serialisation, part of every entry.
pub const FORMAT_VERSION: i64 = 1;

/// What an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A completed sale.
    Ticket,
    /// Goods taken back (a negative ticket).
    Return,
    /// A ticket cancelled by a new entry (the old one stays).
    Cancellation,
    /// A day, month or year closing (Z ticket).
    Closing,
    /// A receipt printed again.
    Duplicate,
    /// Start, training mode on/off, export: `detail` says which.
    Technical,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Ticket => "ticket",
            EntryKind::Return => "return",
            EntryKind::Cancellation => "cancellation",
            EntryKind::Closing => "closing",
            EntryKind::Duplicate => "duplicate",
            EntryKind::Technical => "technical",
        }
    }

    pub fn parse(text: &str) -> Option<EntryKind> {
        Some(match text {
            "ticket" => EntryKind::Ticket,
            "return" => EntryKind::Return,
            "cancellation" => EntryKind::Cancellation,
            "closing" => EntryKind::Closing,
            "duplicate" => EntryKind::Duplicate,
            "technical" => EntryKind::Technical,
            _ => return None,
        })
    }
}

/// VAT of one rate in an entry, in cents; `rate` in basis points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct VatAmount {
    pub base: i64,
    pub rate: i64,
    pub total: i64,
    pub vat: i64,
}

/// What one means of payment received, in cents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PaymentAmount {
    pub amount: i64,
    pub method: String,
}

/// One journal entry. Field order is the canonical (alphabetical) key order: do not reorder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JournalEntry {
    /// Closings: the number of tickets in the period.
    pub count: Option<i64>,
    /// Unix seconds, UTC.
    pub created_at: i64,
    /// Technical events ("start", "training_on", "export") and closing periods ("day 2026-11-25").
    pub detail: Option<String>,
    /// Closings: the perpetual grand total after this closing (never reset).
    pub grand_total: Option<i64>,
    pub kind: EntryKind,
    /// Tickets: SHA-256 over the ticket's lines (see [`lines_digest`]), so that editing a line's
    /// label, quantity or price is caught too.
    pub lines_digest: Option<String>,
    /// The staff member's login, or "cli".
    pub operator: Option<String>,
    pub payments: Vec<PaymentAmount>,
    pub previous_hash: String,
    /// The ticket number, or the sequence of the entry this one corrects or reprints.
    pub reference: Option<String>,
    pub sequence: i64,
    pub terminal: String,
    /// VAT-inclusive total in cents (negative for a return).
    pub total: i64,
    pub training: bool,
    pub vat: Vec<VatAmount>,
    pub version: i64,
}

impl JournalEntry {
    /// The canonical serialisation (module doc).
    pub fn canonical(&self) -> String {
        // Serialising plain integers, strings and booleans cannot fail; an empty string would
        // hash to a value no stored entry has, so verification would still catch it.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `hex(SHA-256(canonical))`.
    pub fn hash(&self) -> String {
        hex(&Sha256::digest(self.canonical().as_bytes()))
    }
}

/// One line of a ticket as the digest covers it. Fields are in alphabetical order: the digest
/// is taken over serde's JSON and `journal verify` rebuilds the same text with SQLite's
/// `json_object`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DigestLine {
    /// What the line paid, discounts taken off.
    pub amount: i64,
    /// What was taken off the shelf price, and why. Absent when nothing was, so a line without
    /// a discount digests exactly as before discounts existed (issue 15).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discounts: Vec<DigestDiscount>,
    pub gtin: String,
    pub label: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub vat_rate: i64,
}

/// One discount of a ticket line: its amount, its kind (`manual` or `promotion`), the
/// promotion's id and name or the manual discount's reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DigestDiscount {
    pub amount: i64,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl DigestDiscount {
    pub fn of(discount: &LineDiscount) -> DigestDiscount {
        let (name, promotion_id, reason) = match &discount.source {
            DiscountSource::Manual { reason } => (None, None, Some(reason.clone())),
            DiscountSource::Promotion { id, name } => (Some(name.clone()), Some(id.clone()), None),
        };
        DigestDiscount {
            amount: discount.amount.get(),
            kind: discount.source.kind().to_owned(),
            name,
            promotion_id,
            reason,
        }
    }
}

/// SHA-256 over the canonical JSON array of a ticket's lines, in line order.
pub fn lines_digest(lines: &[DigestLine]) -> String {
    let json = serde_json::to_string(lines).unwrap_or_default();
    sha256_hex(json.as_bytes())
}

/// Lower-case hexadecimal SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    // Two table lookups a byte: `journal verify` hex-encodes two digests per entry, and a
    // `format!` per byte was a sixth of its time.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// What is wrong with a ticket compared with its journal entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TicketProblem {
    #[error("entry {sequence}: ticket {ticket} is missing (it was deleted)")]
    Missing { sequence: i64, ticket: String },
    #[error("entry {sequence}: the {what} of ticket {ticket} no longer match the journal")]
    Mismatch {
        sequence: i64,
        ticket: String,
        what: &'static str,
    },
    #[error("ticket {ticket} has no journal entry (it was added outside the till)")]
    Unjournaled { ticket: String },
    #[error("closing {closing}: it no longer matches its journal entry {sequence}")]
    Closing { closing: i64, sequence: i64 },
}

/// The first thing `journal verify` finds wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JournalProblem {
    #[error(transparent)]
    Chain(#[from] ChainBreak),
    #[error(transparent)]
    Ticket(#[from] TicketProblem),
    #[error("entry {sequence} cannot be read: {reason}")]
    Unreadable { sequence: i64, reason: String },
    /// The central found a break this database no longer shows (a tail deleted and written
    /// anew chains again locally): it stands until an auditor acknowledges it at the central.
    #[error(
        "the central found a break in this terminal's journal{}: {kind} (its break {id}, not acknowledged); keep this database untouched for the auditor, who acknowledges it at the central with `comptoir-central journal-breaks ack {id} --auditor NAME`",
        central_break_place(*sequence, ticket.as_deref())
    )]
    CentralBreak {
        id: i64,
        sequence: Option<i64>,
        ticket: Option<String>,
        /// What the central saw, in words.
        kind: &'static str,
    },
}

fn central_break_place(sequence: Option<i64>, ticket: Option<&str>) -> String {
    match (sequence, ticket) {
        (Some(sequence), _) => format!(" at entry {sequence}"),
        (None, Some(ticket)) => format!(" at ticket {ticket}"),
        (None, None) => String::new(),
    }
}

impl JournalProblem {
    /// The sequence number of the first broken entry, when the problem has one.
    pub fn sequence(&self) -> Option<i64> {
        match self {
            JournalProblem::Chain(c) => Some(c.sequence()),
            JournalProblem::Ticket(TicketProblem::Missing { sequence, .. })
            | JournalProblem::Ticket(TicketProblem::Mismatch { sequence, .. })
            | JournalProblem::Ticket(TicketProblem::Closing { sequence, .. })
            | JournalProblem::Unreadable { sequence, .. } => Some(*sequence),
            JournalProblem::Ticket(TicketProblem::Unjournaled { .. }) => None,
            JournalProblem::CentralBreak { sequence, .. } => *sequence,
        }
    }

    /// A short machine-readable name for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            JournalProblem::Chain(ChainBreak::HashMismatch { .. }) => "hash_mismatch",
            JournalProblem::Chain(ChainBreak::BrokenLink { .. }) => "broken_link",
            JournalProblem::Chain(ChainBreak::Gap { .. }) => "gap",
            JournalProblem::Chain(ChainBreak::MissingTail { .. }) => "missing_tail",
            JournalProblem::Ticket(TicketProblem::Missing { .. }) => "missing_ticket",
            JournalProblem::Ticket(TicketProblem::Mismatch { .. }) => "ticket_mismatch",
            JournalProblem::Ticket(TicketProblem::Unjournaled { .. }) => "unjournaled_ticket",
            JournalProblem::Ticket(TicketProblem::Closing { .. }) => "closing_mismatch",
            JournalProblem::Unreadable { .. } => "unreadable",
            JournalProblem::CentralBreak { .. } => "central_break",
        }
    }
}

/// What is wrong with a chain, at the first broken entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {sequence}: its hash does not match its content (the entry was altered)")]
    HashMismatch { sequence: i64 },
    #[error(
        "entry {sequence}: it does not follow entry {previous}'s hash (an entry was removed or replaced)"
    )]
    BrokenLink { sequence: i64, previous: i64 },
    #[error("entry {expected} is missing: the sequence jumps to {found}")]
    Gap { expected: i64, found: i64 },
    #[error(
        "the journal ends at entry {last}, but entry {expected} with hash {hash_prefix}… was recorded (the tail was removed)"
    )]
    MissingTail {
        last: i64,
        expected: i64,
        hash_prefix: String,
    },
}

impl ChainBreak {
    /// The sequence number of the first broken entry.
    pub fn sequence(&self) -> i64 {
        match self {
            ChainBreak::HashMismatch { sequence } | ChainBreak::BrokenLink { sequence, .. } => {
                *sequence
            }
            ChainBreak::Gap { expected, .. } | ChainBreak::MissingTail { expected, .. } => {
                *expected
            }
        }
    }
}

/// Walks a terminal's chain in sequence order, entry by entry, keeping only what the next step
/// needs, so a million entries verify in constant memory.
#[derive(Debug)]
pub struct ChainVerifier {
    next_sequence: i64,
    previous_hash: String,
    checked: i64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            next_sequence: 1,
            previous_hash: GENESIS_HASH.to_owned(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// Checks the next entry, whose stored hash is `stored_hash`.
    pub fn check(&mut self, entry: &JournalEntry, stored_hash: &str) -> Result<(), ChainBreak> {
        if entry.sequence != self.next_sequence {
            return Err(ChainBreak::Gap {
                expected: self.next_sequence,
                found: entry.sequence,
            });
        }
        if entry.hash() != stored_hash {
            return Err(ChainBreak::HashMismatch {
                sequence: entry.sequence,
            });
        }
        if entry.previous_hash != self.previous_hash {
            return Err(ChainBreak::BrokenLink {
                sequence: entry.sequence,
                previous: entry.sequence - 1,
            });
        }
        self.next_sequence += 1;
        self.previous_hash = stored_hash.to_owned();
        self.checked += 1;
        Ok(())
    }

    /// After the last entry: the chain must reach the anchor (an entry known to exist, from the
    /// last closing or the central's acknowledgement).
    pub fn finish(&self, anchor: Option<(i64, &str)>) -> Result<i64, ChainBreak> {
        if let Some((sequence, hash)) = anchor
            && sequence >= self.next_sequence
        {
            return Err(ChainBreak::MissingTail {
                last: self.next_sequence - 1,
                expected: sequence,
                hash_prefix: hash.chars().take(12).collect(),
            });
        }
        Ok(self.checked)
    }
}

/// A closing's figures, computed from the entries of its period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeriodTotals {
    pub ticket_count: i64,
    pub total: i64,
    pub vat: Vec<VatAmount>,
    pub payments: Vec<PaymentAmount>,
}

impl PeriodTotals {
    /// Adds a ticket or return entry; training entries and other kinds do not count.
    pub fn add(&mut self, entry: &JournalEntry) {
        self.add_parts(
            entry.kind,
            entry.training,
            entry.total,
            &entry.vat,
            &entry.payments,
        );
    }

    /// [`PeriodTotals::add`] from an entry's parts, as the store reads them.
    pub fn add_parts(
        &mut self,
        kind: EntryKind,
        training: bool,
        total: i64,
        vat: &[VatAmount],
        payments: &[PaymentAmount],
    ) {
        if training || !matches!(kind, EntryKind::Ticket | EntryKind::Return) {
            return;
        }
        if kind == EntryKind::Ticket {
            self.ticket_count += 1;
        }
        self.total += total;
        for v in vat {
            match self.vat.iter_mut().find(|x| x.rate == v.rate) {
                Some(x) => {
                    x.base += v.base;
                    x.vat += v.vat;
                    x.total += v.total;
                }
                None => self.vat.push(v.clone()),
            }
        }
        for p in payments {
            match self.payments.iter_mut().find(|x| x.method == p.method) {
                Some(x) => x.amount += p.amount,
                None => self.payments.push(p.clone()),
            }
        }
        self.vat.sort_by_key(|v| std::cmp::Reverse(v.rate));
        self.payments.sort_by(|a, b| a.method.cmp(&b.method));
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ticket(sequence: i64, previous_hash: &str, total: i64) -> JournalEntry {
        JournalEntry {
            count: None,
            created_at: 1_764_000_000 + sequence,
            detail: None,
            grand_total: None,
            kind: EntryKind::Ticket,
            lines_digest: Some(lines_digest(&[])),
            operator: Some("camille".into()),
            payments: vec![PaymentAmount {
                amount: total,
                method: "card".into(),
            }],
            previous_hash: previous_hash.into(),
            reference: Some(format!("T01-{sequence:06}")),
            sequence,
            terminal: "T01".into(),
            total,
            training: false,
            vat: vec![VatAmount {
                base: total * 10_000 / 12_000,
                rate: 2000,
                total,
                vat: total - total * 10_000 / 12_000,
            }],
            version: FORMAT_VERSION,
        }
    }

    fn chain(n: i64) -> Vec<(JournalEntry, String)> {
        let mut previous = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|s| {
                let e = ticket(s, &previous, 100 * s);
                previous = e.hash();
                let h = previous.clone();
                (e, h)
            })
            .collect()
    }

    fn verify(
        entries: &[(JournalEntry, String)],
        anchor: Option<(i64, &str)>,
    ) -> Result<i64, ChainBreak> {
        let mut v = ChainVerifier::default();
        for (e, h) in entries {
            v.check(e, h)?;
        }
        v.finish(anchor)
    }

    #[test]
    fn the_canonical_form_is_sorted_compact_json() {
        let e = ticket(1, GENESIS_HASH, 1250);
        let c = e.canonical();
        assert!(
            c.starts_with("{\"count\":null,\"created_at\":1764000001,\"detail\":null,"),
            "{c}"
        );
        assert!(
            c.ends_with(
                "\"vat\":[{\"base\":1041,\"rate\":2000,\"total\":1250,\"vat\":209}],\"version\":1}"
            ),
            "{c}"
        );
        // The hash is SHA-256 of exactly these bytes (any auditor tool gives the same).
        assert_eq!(e.hash(), hex(&Sha256::digest(c.as_bytes())));
        assert_eq!(e.hash().len(), 64);
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(5), None), Ok(5));
        let c = chain(5);
        assert_eq!(verify(&c, Some((5, &c[4].1))), Ok(5));
    }

    #[test]
    fn every_kind_of_tampering_names_the_first_broken_entry() {
        let mut edited = chain(5);
        edited[2].0.total += 1;
        assert_eq!(
            verify(&edited, None),
            Err(ChainBreak::HashMismatch { sequence: 3 })
        );

        let mut removed = chain(5);
        removed.remove(1);
        assert_eq!(
            verify(&removed, None),
            Err(ChainBreak::Gap {
                expected: 2,
                found: 3
            })
        );

        // Removed and renumbered, with the hash recomputed: the link to the previous one breaks.
        let mut forged = chain(5);
        forged.remove(1);
        forged[1].0.sequence = 2;
        forged[1].1 = forged[1].0.hash();
        assert_eq!(
            verify(&forged, None),
            Err(ChainBreak::BrokenLink {
                sequence: 2,
                previous: 1
            })
        );

        let full = chain(5);
        let anchor = (5, full[4].1.as_str());
        assert!(matches!(
            verify(&full[..3], Some(anchor)),
            Err(ChainBreak::MissingTail {
                last: 3,
                expected: 5,
                ..
            })
        ));
    }

    #[test]
    fn period_totals_leave_training_out() {
        let mut totals = PeriodTotals::default();
        let mut training = ticket(2, GENESIS_HASH, 999);
        training.training = true;
        totals.add(&ticket(1, GENESIS_HASH, 1250));
        totals.add(&training);
        let mut refund = ticket(3, GENESIS_HASH, -250);
        refund.kind = EntryKind::Return;
        totals.add(&refund);
        assert_eq!(totals.ticket_count, 1);
        assert_eq!(totals.total, 1000);
        assert_eq!(totals.payments[0].amount, 1000);
    }

    proptest! {
        /// Any sequence of sales and returns: the grand total is the sum of the period totals.
        #[test]
        fn the_grand_total_is_the_sum_of_everything(amounts in prop::collection::vec(-5_000i64..50_000, 0..60), cut in 0usize..60) {
            let entries: Vec<JournalEntry> = amounts.iter().enumerate().map(|(i, &a)| {
                let mut e = ticket(i as i64 + 1, GENESIS_HASH, a);
                if a < 0 { e.kind = EntryKind::Return; }
                e
            }).collect();
            let cut = cut.min(entries.len());
            let (mut first, mut second, mut all) = (PeriodTotals::default(), PeriodTotals::default(), PeriodTotals::default());
            for e in &entries[..cut] { first.add(e); all.add(e); }
            for e in &entries[cut..] { second.add(e); all.add(e); }
            prop_assert_eq!(first.total + second.total, amounts.iter().sum::<i64>());
            prop_assert_eq!(all.total, first.total + second.total);
            let vat_sum: i64 = all.vat.iter().map(|v| v.total).sum();
            prop_assert_eq!(vat_sum, all.total);
        }
    }
}
