//! Values in the user's language: prices (12,50 € or €12.50), VAT rates, dates, weights, and the
//! age of a figure as the UI's `Age` struct (the words themselves are in the .slint files).

use chrono::NaiveDate;
use slint::SharedString;

use crate::domain::age::Age as DomainAge;
use crate::domain::money::Cents;
use crate::domain::vat::VatRate;

use super::{Age, AgeUnit};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    /// `en` is English; anything else is French, the default.
    pub fn of(locale: &str) -> Lang {
        if locale == "en" { Lang::En } else { Lang::Fr }
    }
}

pub fn money(cents: Cents, lang: Lang) -> SharedString {
    match lang {
        Lang::Fr => cents.format_fr(),
        Lang::En => cents.format_en(),
    }
    .into()
}

pub fn vat(rate: VatRate, lang: Lang) -> SharedString {
    match lang {
        Lang::Fr => rate.label_fr(),
        Lang::En => rate.label_en(),
    }
    .into()
}

pub fn date(date: NaiveDate, lang: Lang) -> SharedString {
    match lang {
        Lang::Fr => date.format("%d/%m/%Y").to_string(),
        Lang::En => date.format("%Y-%m-%d").to_string(),
    }
    .into()
}

/// Grams as kilograms with three decimals ("1,500 kg").
pub fn weight(grams: i64, lang: Lang) -> SharedString {
    let text = format!("{}.{:03} kg", grams / 1000, (grams % 1000).abs());
    match lang {
        Lang::Fr => text.replace('.', ","),
        Lang::En => text,
    }
    .into()
}

/// The age of something known at `as_of`, seen at `now` (Unix seconds, UTC).
pub fn age(as_of: i64, now: i64) -> Age {
    let (unit, n) = match DomainAge::between(as_of, now) {
        DomainAge::JustNow => (AgeUnit::JustNow, 0),
        DomainAge::Minutes(n) => (AgeUnit::Minutes, n),
        DomainAge::Hours(n) => (AgeUnit::Hours, n),
        DomainAge::Yesterday => (AgeUnit::Yesterday, 1),
        DomainAge::Days(n) => (AgeUnit::Days, n),
    };
    Age {
        unit,
        n: i32::try_from(n).unwrap_or(i32::MAX),
    }
}

/// "Never": what the status bar shows before the first sync.
pub fn never() -> Age {
    Age {
        unit: AgeUnit::Unknown,
        n: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_follow_the_language() {
        assert_eq!(weight(1500, Lang::Fr), "1,500 kg");
        assert_eq!(weight(75, Lang::En), "0.075 kg");
        let d = NaiveDate::from_ymd_opt(2026, 12, 31).expect("date");
        assert_eq!(date(d, Lang::Fr), "31/12/2026");
        assert_eq!(age(0, 3 * 60).unit, AgeUnit::Minutes);
        assert_eq!(Lang::of("de"), Lang::Fr);
    }
}
