//! French VAT rates and the split of a VAT-inclusive amount into base and VAT.
//!
//! Only the four rates of mainland France exist here (CGI art. 278 for 20 %, art. 279 for 10 %,
//! art. 278-0 bis for 5.5 %, art. 281 quater ff. for 2.1 %); a rate is a closed enum, so an
//! unknown rate cannot reach a ticket. Corsica and the overseas departments have their own rates
//! (CGI art. 296, 297) and would be new variants, never a free-form percentage.
//!
//! This module must never use floating point, never do I/O, and never panic on a rate that came
//! from outside (catalogue, server, operator).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::money::{Cents, mul_ratio_round_half_up};

/// One basis point is 1/100 of a percent, so 5.5 % is 550 and every French rate is an integer.
const BASIS_POINTS_PER_UNIT: i64 = 10_000;

/// A French VAT rate.
///
/// Declared from the highest rate to the lowest: the derived `Ord` follows that order, so
/// sorting rates ascending lists them as a ticket does, 20 % first.
///
/// Serialised as its basis points (`2000`, `1000`, `550`, `210`): an integer compares and
/// stores exactly, unlike "5.5" or "5,5", and deserialising any other number fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "i64", try_from = "i64")]
pub enum VatRate {
    /// Taux normal, 20 % (CGI art. 278).
    Standard,
    /// Taux intermédiaire, 10 % (CGI art. 279).
    Intermediate,
    /// Taux réduit, 5.5 % (CGI art. 278-0 bis): most food, energy, books.
    Reduced,
    /// Taux particulier, 2.1 % (CGI art. 281 quater ff.): reimbursed medicines, press.
    SuperReduced,
}

/// A VAT rate that is not one of the four French rates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VatError {
    #[error("“{input}” is not a French VAT rate: expected 20%, 10%, 5.5% or 2.1%")]
    UnknownRate { input: String },
    #[error(
        "{basis_points} basis points is not a French VAT rate: expected 2000, 1000, 550 or 210 (20%, 10%, 5.5% or 2.1%)"
    )]
    UnknownBasisPoints { basis_points: i64 },
}

impl VatRate {
    /// Every rate, from the highest to the lowest: the order of the VAT lines on a ticket.
    pub const ALL: [VatRate; 4] = [
        VatRate::Standard,
        VatRate::Intermediate,
        VatRate::Reduced,
        VatRate::SuperReduced,
    ];

    /// The rate in hundredths of a percent: 2000, 1000, 550, 210.
    pub const fn basis_points(self) -> i64 {
        match self {
            VatRate::Standard => 2000,
            VatRate::Intermediate => 1000,
            VatRate::Reduced => 550,
            VatRate::SuperReduced => 210,
        }
    }

    /// The rate whose basis points are `basis_points`, or an error naming the legal ones.
    pub fn from_basis_points(basis_points: i64) -> Result<VatRate, VatError> {
        VatRate::ALL
            .into_iter()
            .find(|rate| rate.basis_points() == basis_points)
            .ok_or(VatError::UnknownBasisPoints { basis_points })
    }

    /// Reads a rate as a percentage, with or without "%" and with a comma or a dot:
    /// "20", "20%", "20 %", "10", "5.5", "5,5", "2.1", "2,1" (also "5,50", "20.0").
    /// Anything that is not one of the four rates, such as the former 19.6 %, is refused.
    pub fn parse(input: &str) -> Result<VatRate, VatError> {
        let unknown = || VatError::UnknownRate {
            input: input.to_owned(),
        };
        let trimmed = input.trim();
        let number = match trimmed.strip_suffix('%') {
            Some(rest) => rest.trim_end(),
            None => trimmed,
        };
        let (whole, fraction) = number.split_once([',', '.']).unwrap_or((number, "00"));
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        // Bounded lengths keep the arithmetic below far from overflow; no rate has more than
        // two digits on either side.
        if !all_digits(whole) || !all_digits(fraction) || whole.len() > 3 || fraction.len() > 2 {
            return Err(unknown());
        }
        let basis_points = whole
            .bytes()
            .chain(fraction.bytes())
            .chain(std::iter::repeat_n(b'0', 2 - fraction.len()))
            .fold(0_i64, |acc, b| acc * 10 + i64::from(b - b'0'));
        VatRate::from_basis_points(basis_points).map_err(|_| unknown())
    }

    /// French label, as on a ticket: "20 %", "5,5 %" (no-break space before "%", so the sign
    /// never wraps alone).
    pub const fn label_fr(self) -> &'static str {
        match self {
            VatRate::Standard => "20\u{A0}%",
            VatRate::Intermediate => "10\u{A0}%",
            VatRate::Reduced => "5,5\u{A0}%",
            VatRate::SuperReduced => "2,1\u{A0}%",
        }
    }

    /// English label: "20%", "5.5%".
    pub const fn label_en(self) -> &'static str {
        match self {
            VatRate::Standard => "20%",
            VatRate::Intermediate => "10%",
            VatRate::Reduced => "5.5%",
            VatRate::SuperReduced => "2.1%",
        }
    }

    /// The VAT-exclusive base of a VAT-inclusive amount: `total × 10000 / (10000 + basis
    /// points)`, rounded half up to the cent. The VAT is then `total − base`, so that base and
    /// VAT always add up to the total exactly (computing the VAT separately and rounding it
    /// too could leave a cent unaccounted for).
    pub fn base_of_inclusive(self, total: Cents) -> Cents {
        let base = mul_ratio_round_half_up(
            total.get(),
            BASIS_POINTS_PER_UNIT,
            BASIS_POINTS_PER_UNIT + self.basis_points(),
        );
        // The divisor is positive and larger than the multiplier, so |base| ≤ |total|: the
        // result always fits where the total did. The tests check this on i64::MIN and MAX.
        Cents::new(base.expect("the VAT-exclusive base is never larger than its total"))
    }
}

impl From<VatRate> for i64 {
    fn from(rate: VatRate) -> i64 {
        rate.basis_points()
    }
}

impl TryFrom<i64> for VatRate {
    type Error = VatError;

    fn try_from(basis_points: i64) -> Result<VatRate, VatError> {
        VatRate::from_basis_points(basis_points)
    }
}

impl FromStr for VatRate {
    type Err = VatError;

    fn from_str(input: &str) -> Result<VatRate, VatError> {
        VatRate::parse(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as ValueError, I64Deserializer};

    #[test]
    fn rates_and_labels() {
        // (rate, basis points, French label, English label)
        let cases = [
            (VatRate::Standard, 2000, "20\u{A0}%", "20%"),
            (VatRate::Intermediate, 1000, "10\u{A0}%", "10%"),
            (VatRate::Reduced, 550, "5,5\u{A0}%", "5.5%"),
            (VatRate::SuperReduced, 210, "2,1\u{A0}%", "2.1%"),
        ];
        for (rate, basis_points, fr, en) in cases {
            assert_eq!(rate.basis_points(), basis_points);
            assert_eq!(VatRate::from_basis_points(basis_points), Ok(rate));
            assert_eq!(rate.label_fr(), fr);
            assert_eq!(rate.label_en(), en);
            assert_eq!(VatRate::parse(fr), Ok(rate), "French label reads back");
            assert_eq!(VatRate::parse(en), Ok(rate), "English label reads back");
        }
        assert_eq!(
            VatRate::from_basis_points(1960),
            Err(VatError::UnknownBasisPoints { basis_points: 1960 })
        );
    }

    #[test]
    fn all_is_ordered_from_highest_rate_and_matches_ord() {
        let mut sorted = VatRate::ALL;
        sorted.sort();
        assert_eq!(sorted, VatRate::ALL);
        assert!(
            VatRate::ALL
                .windows(2)
                .all(|pair| pair[0].basis_points() > pair[1].basis_points())
        );
    }

    #[test]
    fn parse_accepts_the_usual_spellings() {
        let cases = [
            ("20", VatRate::Standard),
            ("20%", VatRate::Standard),
            ("20 %", VatRate::Standard),
            (" 20.0 % ", VatRate::Standard),
            ("10", VatRate::Intermediate),
            ("5.5", VatRate::Reduced),
            ("5,5", VatRate::Reduced),
            ("5,50%", VatRate::Reduced),
            ("2.1", VatRate::SuperReduced),
            ("2,1", VatRate::SuperReduced),
            ("02,10", VatRate::SuperReduced),
        ];
        for (input, rate) in cases {
            assert_eq!(VatRate::parse(input), Ok(rate), "input {input:?}");
            assert_eq!(input.parse::<VatRate>(), Ok(rate), "FromStr {input:?}");
        }
    }

    #[test]
    fn parse_refuses_anything_else_and_lists_the_legal_rates() {
        for input in [
            "", "%", "19.6", "7", "0", "5.", ".5", "5,5,5", "20 %%", "2000", "5.555", "-20", "+20",
            "abc", "20 % TTC", "1e1",
        ] {
            assert_eq!(
                VatRate::parse(input),
                Err(VatError::UnknownRate {
                    input: input.to_owned()
                }),
                "input {input:?}"
            );
        }
        assert_eq!(
            VatRate::parse("19,6").map_err(|e| e.to_string()),
            Err("“19,6” is not a French VAT rate: expected 20%, 10%, 5.5% or 2.1%".to_owned())
        );
    }

    #[test]
    fn base_of_inclusive_rounds_half_up_to_the_cent() {
        // (rate, total incl. VAT, expected base); the VAT is the difference.
        let cases = [
            (VatRate::Standard, 1200, 1000), // 12,00 € → 10,00 + 2,00
            (VatRate::Reduced, 100, 95),     // 1,00 € → 0,947 9… → 0,95 + 0,05
            (VatRate::Standard, 1, 1),       // 0,01 € → 0,008 3… → 0,01 + 0,00
            (VatRate::Standard, 3, 3),       // 0,025 → 0,03 (half up) + 0,00
            (VatRate::Standard, 6, 5),       // 0,05 + 0,01
            (VatRate::Intermediate, 1100, 1000),
            (VatRate::SuperReduced, 10_210, 10_000),
            (VatRate::Reduced, 0, 0),
            (VatRate::Standard, -1200, -1000), // symmetric for refunds
        ];
        for (rate, total, base) in cases {
            assert_eq!(
                rate.base_of_inclusive(Cents::new(total)),
                Cents::new(base),
                "{total} cents at {}",
                rate.label_en()
            );
        }
    }

    #[test]
    fn serialises_as_basis_points() {
        for rate in VatRate::ALL {
            assert_eq!(i64::from(rate), rate.basis_points());
            let deserializer: I64Deserializer<ValueError> = rate.basis_points().into_deserializer();
            assert_eq!(VatRate::deserialize(deserializer), Ok(rate));
        }
        let deserializer: I64Deserializer<ValueError> = 1960_i64.into_deserializer();
        assert!(VatRate::deserialize(deserializer).is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics(input in any::<String>()) {
            let _ = VatRate::parse(&input);
        }

        #[test]
        fn parse_never_panics_on_near_misses(input in "[-+ 0-9,.%\u{A0}]{0,12}") {
            if let Ok(rate) = VatRate::parse(&input) {
                prop_assert!(VatRate::ALL.contains(&rate));
            }
        }

        #[test]
        fn base_and_vat_split_any_total(total in any::<i64>(), rate_index in 0..4_usize) {
            let rate = VatRate::ALL[rate_index];
            let total = Cents::new(total);
            let base = rate.base_of_inclusive(total);
            prop_assert!(base.get().unsigned_abs() <= total.get().unsigned_abs());
            if !total.is_negative() {
                let vat = total.checked_sub(base);
                prop_assert!(vat.is_some_and(|vat| Cents::ZERO <= vat && vat <= total));
            }
        }
    }
}
