//! The cash drawer (issue 16, item 5): the opening float, cash put in and taken out with a
//! reason, the euro denominations of a blind count, and the cash the drawer should hold.
//! Pure: amounts are integer cents, nothing here reads a clock, a file or a device.
//!
//! A movement is journaled as a technical entry whose `detail` is [`Movement::detail`] and
//! whose `total` is the amount, so the journal's hash covers every fact of it and no side
//! table can drift from it.

use crate::money::{Cents, parse_euros};

/// The most cash a single movement may carry (a drawer is not a vault): 100 000 €.
pub const MAX_MOVEMENT_CENTS: i64 = 10_000_000;

/// The most pieces of one denomination a count may claim.
pub const MAX_PIECES: i64 = 10_000;

/// The euro notes and coins, in cents, largest first.
pub const DENOMINATIONS: [i64; 15] = [
    50_000, 20_000, 10_000, 5_000, 2_000, 1_000, 500, 200, 100, 50, 20, 10, 5, 2, 1,
];

/// What a movement does to the drawer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// The opening float.
    Float,
    /// Cash put in (a change top-up…).
    In,
    /// Cash taken out (a bank deposit, a paid-out…).
    Out,
}

impl MovementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Float => "float",
            MovementKind::In => "in",
            MovementKind::Out => "out",
        }
    }
}

/// The reasons the screen offers for cash in and out, journaled as their [`CashReason::key`]
/// (the words a shop would type at the command line, so both read alike in the journal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CashReason {
    /// « Apport de monnaie »: change brought to the drawer.
    ChangeTopUp,
    /// « Dépôt en banque »: cash taken to the bank.
    BankDeposit,
    /// « Sortie de caisse »: cash paid out of the drawer (a delivery, a small purchase).
    PaidOut,
}

impl CashReason {
    pub const ALL: [CashReason; 3] = [
        CashReason::ChangeTopUp,
        CashReason::BankDeposit,
        CashReason::PaidOut,
    ];

    pub fn key(self) -> &'static str {
        match self {
            CashReason::ChangeTopUp => "change top-up",
            CashReason::BankDeposit => "bank deposit",
            CashReason::PaidOut => "paid-out",
        }
    }

    /// Cash in or cash out.
    pub fn kind(self) -> MovementKind {
        match self {
            CashReason::ChangeTopUp => MovementKind::In,
            CashReason::BankDeposit | CashReason::PaidOut => MovementKind::Out,
        }
    }

    /// The reason a journaled `reason` names, if it is one of these.
    pub fn of_key(reason: &str) -> Option<CashReason> {
        CashReason::ALL.into_iter().find(|r| r.key() == reason)
    }
}

/// The prefix of a movement's journal `detail`.
pub const DETAIL_PREFIX: &str = "drawer_";

/// The prefix of a blind count's journal `detail`.
pub const COUNT_DETAIL: &str = "drawer_count";

/// A cash movement as the journal records it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Movement {
    pub kind: MovementKind,
    pub amount_cents: i64,
    /// Empty for a float.
    pub reason: String,
}

/// Why a movement or a count is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DrawerError {
    #[error("the amount must be more than 0,00 €")]
    NotPositive,
    #[error("{0} is more than a drawer movement may carry (100 000,00 € at most)")]
    TooLarge(String),
    #[error(
        "a cash {0} needs a reason (--reason \"bank deposit\", \"paid-out\", \"change top-up\"…)"
    )]
    NoReason(&'static str),
    #[error("the reason must be at most 200 characters and on one line")]
    BadReason,
    #[error(
        "“{0}” is not a euro note or coin (500, 200, 100, 50, 20, 10, 5, 2, 1, 0.50, 0.20, 0.10, 0.05, 0.02, 0.01)"
    )]
    UnknownDenomination(String),
    #[error("“{0}” is not a count of pieces (expected DENOMINATION=COUNT, e.g. 50=2)")]
    BadCount(String),
    #[error("{count} pieces of {denomination} is not a count a drawer can hold (at most 10 000)")]
    AbsurdCount { denomination: String, count: String },
    #[error("{0} is counted twice")]
    Repeated(String),
    #[error("the count is empty (expected e.g. 50=2,20=5,0.50=6)")]
    Empty,
}

impl Movement {
    /// A movement of `amount`, checked: positive, bounded, and (for cash in or out) a reason on
    /// one line.
    pub fn new(kind: MovementKind, amount: Cents, reason: &str) -> Result<Movement, DrawerError> {
        let amount_cents = amount.get();
        if amount_cents <= 0 {
            return Err(DrawerError::NotPositive);
        }
        if amount_cents > MAX_MOVEMENT_CENTS {
            return Err(DrawerError::TooLarge(amount.format_fr()));
        }
        let reason = reason.trim();
        if reason.chars().count() > 200 || reason.contains(['\n', '\r']) {
            return Err(DrawerError::BadReason);
        }
        if kind != MovementKind::Float && reason.is_empty() {
            return Err(DrawerError::NoReason(kind.as_str()));
        }
        Ok(Movement {
            kind,
            amount_cents,
            reason: reason.to_owned(),
        })
    }

    /// The journal `detail`: `drawer_float`, `drawer_in: REASON`, `drawer_out: REASON`.
    pub fn detail(&self) -> String {
        if self.reason.is_empty() {
            format!("{DETAIL_PREFIX}{}", self.kind.as_str())
        } else {
            format!("{DETAIL_PREFIX}{}: {}", self.kind.as_str(), self.reason)
        }
    }

    /// Reads back a movement from a technical entry's `detail` and `total`; `None` for any
    /// other technical entry.
    pub fn from_entry(detail: &str, total: i64) -> Option<Movement> {
        let rest = detail.strip_prefix(DETAIL_PREFIX)?;
        let (kind, reason) = match rest.split_once(": ") {
            Some((kind, reason)) => (kind, reason),
            None => (rest, ""),
        };
        let kind = match kind {
            "float" => MovementKind::Float,
            "in" => MovementKind::In,
            "out" => MovementKind::Out,
            _ => return None,
        };
        Some(Movement {
            kind,
            amount_cents: total,
            reason: reason.to_owned(),
        })
    }

    /// What the movement does to the cash in the drawer.
    pub fn signed_cents(&self) -> i64 {
        match self.kind {
            MovementKind::Float | MovementKind::In => self.amount_cents,
            MovementKind::Out => -self.amount_cents,
        }
    }
}

/// The X report: what the terminal took since the last day closing, and the drawer's cash.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DrawerReport {
    /// Journal entries covered: after `from_sequence` (the last day closing), up to `to_sequence`.
    pub from_sequence: i64,
    pub to_sequence: i64,
    pub ticket_count: i64,
    pub total_cents: i64,
    pub vat: Vec<crate::journal::VatAmount>,
    pub payments: Vec<crate::journal::PaymentAmount>,
    pub float_cents: i64,
    pub movements: Vec<Movement>,
    /// What the tickets and returns kept in cash (change already given back).
    pub cash_sales_cents: i64,
    /// Gift cards sold: not turnover (no VAT), but money taken, the cash part in the drawer.
    pub gift_cards_sold_cents: i64,
    pub gift_cards_cash_cents: i64,
    pub expected_cash_cents: i64,
}

/// Pieces of one denomination in a count.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CountedPieces {
    pub denomination_cents: i64,
    pub count: i64,
}

/// A blind count of the drawer, by denomination.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DrawerCount {
    pub pieces: Vec<CountedPieces>,
}

impl DrawerCount {
    /// What the count adds up to, in cents (bounded: 15 denominations × 10 000 pieces).
    pub fn total_cents(&self) -> i64 {
        self.pieces
            .iter()
            .map(|p| p.denomination_cents * p.count)
            .sum()
    }

    /// A count from (denomination in cents, pieces) pairs as a screen keeps them: pieces of 0
    /// dropped, largest denomination first; an unknown denomination, a repeated one or an
    /// absurd number of pieces is refused as [`parse_count`] refuses it.
    pub fn from_pieces(
        pieces: impl IntoIterator<Item = (i64, i64)>,
    ) -> Result<DrawerCount, DrawerError> {
        let mut counted: Vec<CountedPieces> = Vec::new();
        for (denomination_cents, count) in pieces {
            let name = euros_text(denomination_cents);
            if !DENOMINATIONS.contains(&denomination_cents) {
                return Err(DrawerError::UnknownDenomination(name));
            }
            if !(0..=MAX_PIECES).contains(&count) {
                return Err(DrawerError::AbsurdCount {
                    denomination: name,
                    count: count.to_string(),
                });
            }
            if counted
                .iter()
                .any(|p| p.denomination_cents == denomination_cents)
            {
                return Err(DrawerError::Repeated(name));
            }
            if count > 0 {
                counted.push(CountedPieces {
                    denomination_cents,
                    count,
                });
            }
        }
        counted.sort_by_key(|p| std::cmp::Reverse(p.denomination_cents));
        Ok(DrawerCount { pieces: counted })
    }

    /// `50=2,20=5` with denominations in euros, as the journal keeps it.
    pub fn canonical(&self) -> String {
        self.pieces
            .iter()
            .map(|p| format!("{}={}", euros_text(p.denomination_cents), p.count))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// `50`, `0.50`, `0.01`: a denomination as an operator types it.
fn euros_text(cents: i64) -> String {
    if cents % 100 == 0 {
        (cents / 100).to_string()
    } else {
        format!("{}.{:02}", cents / 100, cents % 100)
    }
}

/// Reads `50=2,20=5,10=3,2=4,0.50=6` (denomination in euros = number of pieces). A
/// denomination may be written `0.50`, `0,50` or `0.5`; a count of 0 is allowed and dropped.
/// Pieces come back largest denomination first.
pub fn parse_count(input: &str) -> Result<DrawerCount, DrawerError> {
    let mut pieces: Vec<CountedPieces> = Vec::new();
    for part in input
        .split([',', ';', ' '])
        .filter(|p| !p.trim().is_empty())
    {
        // "0,50=6" would be split at its comma: the comma is a list separator here, so a
        // decimal denomination is written with a point.
        let (denomination, count) = part
            .split_once('=')
            .ok_or_else(|| DrawerError::BadCount(part.to_owned()))?;
        let denomination = denomination.trim();
        let cents = parse_euros(denomination)
            .ok()
            .map(|c| c.get())
            .filter(|c| DENOMINATIONS.contains(c))
            .ok_or_else(|| DrawerError::UnknownDenomination(denomination.to_owned()))?;
        let count_text = count.trim();
        let count: i64 = match count_text.parse::<i64>() {
            Ok(n) if (0..=MAX_PIECES).contains(&n) => n,
            Ok(_) => {
                return Err(DrawerError::AbsurdCount {
                    denomination: denomination.to_owned(),
                    count: count_text.to_owned(),
                });
            }
            Err(_)
                if count_text.starts_with('-')
                    || count_text.chars().all(|c| c.is_ascii_digit()) && !count_text.is_empty() =>
            {
                return Err(DrawerError::AbsurdCount {
                    denomination: denomination.to_owned(),
                    count: count_text.to_owned(),
                });
            }
            Err(_) => return Err(DrawerError::BadCount(part.to_owned())),
        };
        if pieces.iter().any(|p| p.denomination_cents == cents) {
            return Err(DrawerError::Repeated(denomination.to_owned()));
        }
        if count > 0 {
            pieces.push(CountedPieces {
                denomination_cents: cents,
                count,
            });
        }
    }
    if pieces.is_empty() && !input.contains('=') {
        return Err(DrawerError::Empty);
    }
    pieces.sort_by_key(|p| std::cmp::Reverse(p.denomination_cents));
    Ok(DrawerCount { pieces })
}

/// What the period's payments took in cash (a ticket's `cash` is what it kept, change given
/// back; a cash refund is negative).
pub fn cash_payments(payments: &[crate::journal::PaymentAmount]) -> i64 {
    payments
        .iter()
        .filter(|p| p.method == "cash")
        .map(|p| p.amount)
        .sum()
}

/// The cash the drawer should hold: the float, plus the cash the tickets took net of the
/// change given back (a ticket's `cash` payment is what it kept, a cash refund is negative),
/// plus cash in, minus cash out.
pub fn expected_cash(cash_payments_cents: i64, movements: &[Movement]) -> i64 {
    cash_payments_cents + movements.iter().map(Movement::signed_cents).sum::<i64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(cents: i64) -> Cents {
        Cents::new(cents)
    }

    #[test]
    fn a_count_reads_every_denomination_and_adds_up() {
        let count = parse_count("50=2,20=5,10=3,2=4,0.50=6").unwrap();
        assert_eq!(count.total_cents(), 10_000 + 10_000 + 3_000 + 800 + 300);
        assert_eq!(count.canonical(), "50=2,20=5,10=3,2=4,0.50=6");
        let all = parse_count(
            "500=1,200=1,100=1,50=1,20=1,10=1,5=1,2=1,1=1,0.5=1,0.20=1,0.1=1,0.05=1,0.02=1,0.01=1",
        )
        .unwrap();
        assert_eq!(all.total_cents(), 88_888);
        assert_eq!(parse_count("0.01=3,5=0").unwrap().total_cents(), 3);
    }

    #[test]
    fn a_bad_count_says_what_is_wrong() {
        for (input, expected) in [
            ("3=1", DrawerError::UnknownDenomination("3".into())),
            ("1000=1", DrawerError::UnknownDenomination("1000".into())),
            ("0.03=1", DrawerError::UnknownDenomination("0.03".into())),
            ("abc=1", DrawerError::UnknownDenomination("abc".into())),
            (
                "50=-2",
                DrawerError::AbsurdCount {
                    denomination: "50".into(),
                    count: "-2".into(),
                },
            ),
            (
                "50=99999999999999999999",
                DrawerError::AbsurdCount {
                    denomination: "50".into(),
                    count: "99999999999999999999".into(),
                },
            ),
            (
                "50=10001",
                DrawerError::AbsurdCount {
                    denomination: "50".into(),
                    count: "10001".into(),
                },
            ),
            ("50=two", DrawerError::BadCount("50=two".into())),
            ("50", DrawerError::BadCount("50".into())),
            ("50=1,50=2", DrawerError::Repeated("50".into())),
            ("", DrawerError::Empty),
        ] {
            assert_eq!(parse_count(input), Err(expected), "{input}");
        }
    }

    #[test]
    fn a_movement_is_checked_and_reads_back_from_its_entry() {
        let out = Movement::new(MovementKind::Out, c(5000), " bank deposit ").unwrap();
        assert_eq!(out.detail(), "drawer_out: bank deposit");
        assert_eq!(Movement::from_entry(&out.detail(), 5000), Some(out.clone()));
        let float = Movement::new(MovementKind::Float, c(15000), "").unwrap();
        assert_eq!(float.detail(), "drawer_float");
        assert_eq!(
            Movement::from_entry("drawer_float", 15000),
            Some(float.clone())
        );
        assert_eq!(Movement::from_entry("start", 0), None);
        assert_eq!(
            Movement::new(MovementKind::In, c(100), ""),
            Err(DrawerError::NoReason("in"))
        );
        assert_eq!(
            Movement::new(MovementKind::In, c(0), "x"),
            Err(DrawerError::NotPositive)
        );
        assert_eq!(
            Movement::new(MovementKind::Out, c(-100), "x"),
            Err(DrawerError::NotPositive)
        );
        assert!(matches!(
            Movement::new(MovementKind::In, c(MAX_MOVEMENT_CENTS + 1), "x"),
            Err(DrawerError::TooLarge(_))
        ));
        assert_eq!(
            Movement::new(MovementKind::In, c(100), "a\nb"),
            Err(DrawerError::BadReason)
        );
        let top_up = Movement::new(MovementKind::In, c(2000), "change top-up").unwrap();
        // float 150 + cash kept 42,30 + in 20 − out 50
        assert_eq!(
            expected_cash(4230, &[float, top_up, out]),
            15000 + 4230 + 2000 - 5000
        );
    }

    #[test]
    fn a_count_from_a_screen_drops_zeros_and_refuses_what_a_drawer_cannot_hold() {
        let count =
            DrawerCount::from_pieces([(1, 3), (5_000, 2), (200, 0), (50, 6)]).expect("count");
        assert_eq!(count.canonical(), "50=2,0.50=6,0.01=3");
        assert_eq!(count.total_cents(), 10_303);
        assert_eq!(
            DrawerCount::from_pieces([(300, 1)]),
            Err(DrawerError::UnknownDenomination("3".into()))
        );
        assert!(matches!(
            DrawerCount::from_pieces([(100, MAX_PIECES + 1)]),
            Err(DrawerError::AbsurdCount { .. })
        ));
        assert_eq!(
            DrawerCount::from_pieces([(100, 1), (100, 2)]),
            Err(DrawerError::Repeated("1".into()))
        );
        assert_eq!(DrawerCount::from_pieces([]).map(|c| c.total_cents()), Ok(0));
    }
}
