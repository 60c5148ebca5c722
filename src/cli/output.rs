//! Small formatting helpers shared by the commands' text and JSON output.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::domain::money::Cents;
use crate::domain::vat::VatRate;

/// Unix seconds as an RFC 3339 UTC timestamp ("2026-11-25T06:30:00Z").
pub fn rfc3339(seconds: i64) -> String {
    DateTime::<Utc>::from_timestamp(seconds, 0)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| seconds.to_string())
}

/// A VAT rate as a JSON number of percent: 20, 10, 5.5, 2.1.
pub fn vat_percent(rate: VatRate) -> serde_json::Value {
    let bp = rate.basis_points();
    if bp % 100 == 0 {
        serde_json::Value::from(bp / 100)
    } else {
        serde_json::Value::from(bp as f64 / 100.0)
    }
}

/// A price in the configured locale's format.
pub fn money(cents: Cents, locale: &str) -> String {
    if locale == "en" {
        cents.format_en()
    } else {
        cents.format_fr()
    }
}

/// Prints a value as pretty JSON on standard output. A reader that went away (`| head`) is not
/// an error.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    let text = serde_json::to_string_pretty(value)?;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// The lines of an X or Z report for the VAT rates and the payment methods of a period.
pub fn print_period_lines(
    vat: &[crate::domain::journal::VatAmount],
    payments: &[crate::domain::journal::PaymentAmount],
    locale: &str,
) {
    let m = |c: i64| money(Cents::new(c), locale);
    for v in vat {
        println!(
            "  VAT {:>5}: base {} + VAT {} = {}",
            format!("{}%", v.rate as f64 / 100.0),
            m(v.base),
            m(v.vat),
            m(v.total)
        );
    }
    for p in payments {
        println!("  {:<6} {}", p.method, m(p.amount));
    }
}
