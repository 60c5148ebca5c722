//! The e-mail of an e-receipt, and how the central reaches the chain's SMTP relay.
//!
//! The message is built from the sale the central holds (its lines, VAT, payments), in French,
//! as a text part and an HTML part of one `multipart/alternative` message, so that every mail
//! reader shows it. Building it is pure: no I/O, no clock, no logging — the message carries the
//! customer's address, which must never reach the logs. A relay's reply is kept for the
//! operator with every address taken out ([`scrub_reply`]): relays echo the recipient in their
//! refusals (`550 5.1.1 <…@…>: user unknown`).

use std::fmt::Write as _;
use std::time::Duration;

use chrono::DateTime;
use chrono_tz::Europe::Paris;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::{AsyncSmtpTransport, authentication::Credentials};
use lettre::{Message, Tokio1Executor};

use comptoir_domain::money::Cents;
use comptoir_domain::vat::VatRate;

/// How the central speaks TLS to its relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// STARTTLS, and the mail is not sent when the relay does not offer it or its certificate
    /// does not check out (the default: a receipt and an address travel in it).
    Required,
    /// STARTTLS when the relay offers it, in clear otherwise.
    Opportunistic,
    /// Never TLS: a relay on the same machine or a test server.
    None,
}

impl TlsMode {
    pub fn parse(text: &str) -> Result<TlsMode, MailConfigError> {
        match text {
            "required" => Ok(TlsMode::Required),
            "opportunistic" => Ok(TlsMode::Opportunistic),
            "none" => Ok(TlsMode::None),
            other => Err(MailConfigError::Tls(other.to_owned())),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("the SMTP relay {0:?} is not smtp://HOST[:PORT]")]
    Url(String),
    #[error("the SMTP TLS mode {0:?} is not one of required, opportunistic, none")]
    Tls(String),
    #[error("the sender address {0:?} is not an e-mail address: {1}")]
    From(String, String),
    #[error("an SMTP user name needs its password (COMPTOIR_CENTRAL_SMTP_PASSWORD), and back")]
    HalfCredentials,
    #[error("the TLS settings for {host} cannot be built: {error}")]
    TlsParameters { host: String, error: String },
}

/// When a delivery the relay did not take is tried again: `first` after the first failure,
/// doubling each time up to `max`; after `give_up_after` tries the delivery is `failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetrySchedule {
    pub first: Duration,
    pub max: Duration,
    pub give_up_after: u32,
}

impl Default for RetrySchedule {
    /// A minute, then doubling up to an hour: about three days of tries, as mail servers do
    /// before they give up (RFC 5321 § 4.5.4.1 suggests four to five days).
    fn default() -> RetrySchedule {
        RetrySchedule {
            first: Duration::from_secs(60),
            max: Duration::from_secs(3_600),
            give_up_after: 80,
        }
    }
}

impl RetrySchedule {
    /// How long to wait after the `attempts`-th failed try (1 for the first).
    pub fn delay(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(32);
        self.first
            .checked_mul(1u32 << doublings.min(31))
            .map_or(self.max, |d| d.min(self.max))
    }
}

/// The chain's SMTP relay, as `comptoir-central serve` is told it.
#[derive(Clone, Debug)]
pub struct RelaySettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    /// The sender, e.g. `Comptoir <tickets@example.fr>`.
    pub from: Mailbox,
    /// User name and password, when the relay asks for them (AUTH after STARTTLS).
    pub credentials: Option<(String, String)>,
    pub retry: RetrySchedule,
    /// How often the delivery task looks for mails due (a new one waits at most this long).
    pub poll: Duration,
    /// How long one exchange with the relay may take.
    pub timeout: Duration,
}

impl RelaySettings {
    /// Settings from `smtp://HOST[:PORT]` (port 25 when not given, as the scheme says), the
    /// sender address and the TLS mode; the other fields take their defaults.
    pub fn new(
        url: &str,
        from: &str,
        tls: TlsMode,
        credentials: Option<(String, String)>,
    ) -> Result<RelaySettings, MailConfigError> {
        let bad = || MailConfigError::Url(url.to_owned());
        let rest = url.strip_prefix("smtp://").ok_or_else(bad)?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => {
                (host, port.parse::<u16>().map_err(|_| bad())?)
            }
            _ => (rest, 25),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(['/', '@', '?', '#', ' ']) {
            return Err(bad());
        }
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| MailConfigError::From(from.to_owned(), e.to_string()))?;
        Ok(RelaySettings {
            host: host.to_owned(),
            port,
            tls,
            from,
            credentials,
            retry: RetrySchedule::default(),
            poll: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
        })
    }

    /// The transport to the relay: one connection per round of deliveries.
    pub fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailConfigError> {
        let parameters = || {
            TlsParameters::new(self.host.clone()).map_err(|e| MailConfigError::TlsParameters {
                host: self.host.clone(),
                error: e.to_string(),
            })
        };
        let tls = match self.tls {
            TlsMode::Required => Tls::Required(parameters()?),
            TlsMode::Opportunistic => Tls::Opportunistic(parameters()?),
            TlsMode::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .tls(tls)
            .timeout(Some(self.timeout));
        if let Some((user, password)) = &self.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(builder.build())
    }
}

/// A line of the receipt, as the mail shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailLine {
    /// The product's name, or its GTIN when the central does not know it.
    pub label: String,
    pub quantity: i64,
    /// What the line paid, discounts taken off, VAT included.
    pub amount_cents: i64,
    pub vat_bp: i64,
    pub discount_cents: i64,
}

/// Everything the mail says: the sale as the central holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptMail {
    pub store_code: String,
    pub store_name: String,
    pub terminal: String,
    pub ticket: String,
    /// Unix seconds, UTC; shown in Paris time.
    pub created_at: i64,
    pub training: bool,
    pub lines: Vec<MailLine>,
    pub total_cents: i64,
    /// Method (`card`, `cash`, `loyalty`…) and amount.
    pub payments: Vec<(String, i64)>,
    /// The signed receipt code (`CPTR1:…`), when the terminal sent one.
    pub code: Option<String>,
}

/// VAT of one rate: base excluding VAT, VAT, total including VAT (cents).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VatLine {
    pub vat_bp: i64,
    pub base: i64,
    pub vat: i64,
    pub total: i64,
}

/// The VAT per rate of `lines`, highest rate first, computed as the till does: the base of each
/// rate's VAT-inclusive total, the VAT the rest.
pub fn vat_per_rate(lines: &[MailLine]) -> Vec<VatLine> {
    let mut totals: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
    for line in lines {
        let total = totals.entry(line.vat_bp).or_insert(0);
        *total = total.saturating_add(line.amount_cents);
    }
    totals
        .into_iter()
        .rev()
        .map(|(vat_bp, total)| {
            let base = VatRate::from_basis_points(vat_bp).map_or(total, |rate| {
                rate.base_of_inclusive(Cents::new(total)).get()
            });
            VatLine {
                vat_bp,
                base,
                vat: total - base,
                total,
            }
        })
        .collect()
}

/// `2000` → « 20 % », `550` → « 5,5 % ».
fn rate_fr(vat_bp: i64) -> String {
    let whole = vat_bp / 100;
    match vat_bp % 100 {
        0 => format!("{whole}\u{a0}%"),
        hundredths if hundredths % 10 == 0 => format!("{whole},{}\u{a0}%", hundredths / 10),
        hundredths => format!("{whole},{hundredths:02}\u{a0}%"),
    }
}

fn euros(cents: i64) -> String {
    Cents::new(cents).format_fr()
}

fn method_fr(method: &str) -> &str {
    match method {
        "card" => "Carte bancaire",
        "cash" => "Espèces",
        "loyalty" => "Points fidélité",
        "credit" => "Avoir",
        other => other,
    }
}

/// `at` in Paris time, « 06/12/2026 à 08:15 ».
fn paris_time(at: i64) -> String {
    DateTime::from_timestamp(at, 0).map_or_else(
        || at.to_string(),
        |t| {
            t.with_timezone(&Paris)
                .format("%d/%m/%Y à %H:%M")
                .to_string()
        },
    )
}

/// The subject: the store and the ticket.
pub fn subject(mail: &ReceiptMail) -> String {
    format!("Votre ticket {} — {}", mail.ticket, mail.store_name)
}

/// The ticket's reference as the receipt prints it: « PAR-01 T01-000042 ».
fn ticket_ref(mail: &ReceiptMail) -> String {
    format!("{} {}", mail.store_code, mail.ticket)
}

/// The text part.
pub fn text_body(mail: &ReceiptMail) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Bonjour,\n");
    let _ = writeln!(
        out,
        "Voici le ticket de votre achat chez {}, envoyé à votre demande.\n",
        mail.store_name
    );
    if mail.training {
        let _ = writeln!(
            out,
            "*** MODE FORMATION : ce ticket n'est pas une vente ***\n"
        );
    }
    let _ = writeln!(out, "{} ({})", mail.store_name, mail.store_code);
    let _ = writeln!(out, "Ticket : {}", ticket_ref(mail));
    let _ = writeln!(
        out,
        "Date : {} (heure de Paris)",
        paris_time(mail.created_at)
    );
    let _ = writeln!(out, "Caisse : {}\n", mail.terminal);
    for line in &mail.lines {
        let _ = writeln!(
            out,
            "{} × {}  {}  (TVA {})",
            line.quantity,
            line.label,
            euros(line.amount_cents),
            rate_fr(line.vat_bp)
        );
        if line.discount_cents > 0 {
            let _ = writeln!(out, "    dont remise : -{}", euros(line.discount_cents));
        }
    }
    let _ = writeln!(out, "\nTotal TTC : {}\n", euros(mail.total_cents));
    let _ = writeln!(out, "TVA par taux (base HT, TVA, TTC) :");
    for v in vat_per_rate(&mail.lines) {
        let _ = writeln!(
            out,
            "  {} : {}, {}, {}",
            rate_fr(v.vat_bp),
            euros(v.base),
            euros(v.vat),
            euros(v.total)
        );
    }
    if !mail.payments.is_empty() {
        let _ = writeln!(out, "\nPaiement :");
        for (method, amount) in &mail.payments {
            let _ = writeln!(out, "  {} : {}", method_fr(method), euros(*amount));
        }
    }
    if let Some(code) = &mail.code {
        let _ = writeln!(out, "\nCode du ticket : {code}");
    }
    let _ = writeln!(
        out,
        "\nMerci de votre visite.\n{} — ce courriel n'appelle pas de réponse.",
        mail.store_name
    );
    out
}

/// `text` with HTML's special characters escaped.
fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML part: the same content as [`text_body`], in tables.
pub fn html_body(mail: &ReceiptMail) -> String {
    let e = |text: &str| html_escape(text);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family: sans-serif\">\n",
        e(&subject(mail))
    );
    let _ = writeln!(
        out,
        "<p>Bonjour,</p><p>Voici le ticket de votre achat chez {}, envoyé à votre demande.</p>",
        e(&mail.store_name)
    );
    if mail.training {
        let _ = writeln!(
            out,
            "<p><strong>MODE FORMATION : ce ticket n'est pas une vente</strong></p>"
        );
    }
    let _ = writeln!(
        out,
        "<p><strong>{} ({})</strong><br>Ticket : {}<br>Date : {} (heure de Paris)<br>Caisse : {}</p>",
        e(&mail.store_name),
        e(&mail.store_code),
        e(&ticket_ref(mail)),
        e(&paris_time(mail.created_at)),
        e(&mail.terminal)
    );
    let _ = writeln!(
        out,
        "<table><tr><th align=\"left\">Article</th><th>Qté</th><th align=\"right\">Montant</th><th>TVA</th></tr>"
    );
    for line in &mail.lines {
        let discount = if line.discount_cents > 0 {
            format!(
                "<br><small>dont remise : -{}</small>",
                e(&euros(line.discount_cents))
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<tr><td>{}{discount}</td><td align=\"center\">{}</td><td align=\"right\">{}</td><td>{}</td></tr>",
            e(&line.label),
            line.quantity,
            e(&euros(line.amount_cents)),
            e(&rate_fr(line.vat_bp))
        );
    }
    let _ = writeln!(
        out,
        "</table>\n<p><strong>Total TTC : {}</strong></p>",
        e(&euros(mail.total_cents))
    );
    let _ = writeln!(
        out,
        "<table><tr><th align=\"left\">TVA</th><th align=\"right\">Base HT</th><th align=\"right\">TVA</th><th align=\"right\">TTC</th></tr>"
    );
    for v in vat_per_rate(&mail.lines) {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td align=\"right\">{}</td><td align=\"right\">{}</td><td align=\"right\">{}</td></tr>",
            e(&rate_fr(v.vat_bp)),
            e(&euros(v.base)),
            e(&euros(v.vat)),
            e(&euros(v.total))
        );
    }
    let _ = writeln!(out, "</table>");
    if !mail.payments.is_empty() {
        let _ = write!(out, "<p>Paiement :");
        for (method, amount) in &mail.payments {
            let _ = write!(out, "<br>{} : {}", e(method_fr(method)), e(&euros(*amount)));
        }
        let _ = writeln!(out, "</p>");
    }
    if let Some(code) = &mail.code {
        let _ = writeln!(out, "<p>Code du ticket : <code>{}</code></p>", e(code));
    }
    let _ = writeln!(
        out,
        "<p>Merci de votre visite.<br><small>{} — ce courriel n'appelle pas de réponse.</small></p>\n</body></html>",
        e(&mail.store_name)
    );
    out
}

/// The whole message, from `from` to `to`.
pub fn message(
    from: &Mailbox,
    to: &Mailbox,
    mail: &ReceiptMail,
) -> Result<Message, lettre::error::Error> {
    Message::builder()
        .from(from.clone())
        .to(to.clone())
        .subject(subject(mail))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text_body(mail)),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html_body(mail)),
                ),
        )
}

/// Longest relay reply kept for the operator.
const MAX_REPLY_CHARS: usize = 300;

/// A relay's reply (or a connection error) as the operator may see it: one line, every word
/// holding an `@` (an address, however bracketed) replaced by `<adresse>`, at most
/// [`MAX_REPLY_CHARS`] characters.
pub fn scrub_reply(text: &str) -> String {
    let scrubbed = text
        .split_whitespace()
        .map(|word| {
            if word.contains('@') {
                "<adresse>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    scrubbed.chars().take(MAX_REPLY_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> ReceiptMail {
        ReceiptMail {
            store_code: "PAR-01".into(),
            store_name: "Comptoir Paris <Rivoli> & Cie".into(),
            terminal: "T01".into(),
            ticket: "T01-000042".into(),
            // 2026-07-14 10:30 UTC: 12:30 in Paris (CEST).
            created_at: 1_784_025_000,
            training: false,
            lines: vec![
                MailLine {
                    label: "Chemise lin".into(),
                    quantity: 2,
                    amount_cents: 5_900,
                    vat_bp: 2000,
                    discount_cents: 1_000,
                },
                MailLine {
                    label: "Thé vert".into(),
                    quantity: 1,
                    amount_cents: 1_055,
                    vat_bp: 550,
                    discount_cents: 0,
                },
            ],
            total_cents: 6_955,
            payments: vec![("card".into(), 6_955)],
            code: Some("CPTR1:abc".into()),
        }
    }

    #[test]
    fn the_text_says_what_a_receipt_says_in_french() {
        let text = text_body(&mail());
        for needle in [
            "Ticket : PAR-01 T01-000042",
            "Date : 14/07/2026 à 12:30 (heure de Paris)",
            "2 × Chemise lin  59,00\u{a0}€  (TVA 20\u{a0}%)",
            "dont remise : -10,00\u{a0}€",
            "Total TTC : 69,55\u{a0}€",
            "20\u{a0}% : 49,17\u{a0}€, 9,83\u{a0}€, 59,00\u{a0}€",
            "5,5\u{a0}% : 10,00\u{a0}€, 0,55\u{a0}€, 10,55\u{a0}€",
            "Carte bancaire : 69,55\u{a0}€",
            "Code du ticket : CPTR1:abc",
        ] {
            assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
        }
        assert!(!text.contains("FORMATION"));
    }

    #[test]
    fn the_html_escapes_what_it_shows() {
        let html = html_body(&mail());
        assert!(html.contains("Comptoir Paris &lt;Rivoli&gt; &amp; Cie"));
        assert!(!html.contains("<Rivoli>"));
        assert!(html.contains("Ticket : PAR-01 T01-000042"));
        assert!(html.contains("<code>CPTR1:abc</code>"));
    }

    #[test]
    fn vat_rates_read_the_french_way() {
        for (bp, shown) in [
            (2000, "20\u{a0}%"),
            (1000, "10\u{a0}%"),
            (550, "5,5\u{a0}%"),
            (210, "2,1\u{a0}%"),
            (1234, "12,34\u{a0}%"),
        ] {
            assert_eq!(rate_fr(bp), shown);
        }
    }

    #[test]
    fn the_message_is_multipart_alternative_with_both_parts() {
        let from: Mailbox = "Comptoir <tickets@example.fr>".parse().expect("from");
        let to: Mailbox = "client@example.org".parse().expect("to");
        let formatted =
            String::from_utf8(message(&from, &to, &mail()).expect("message").formatted())
                .expect("utf-8");
        assert!(formatted.contains("multipart/alternative"));
        assert!(formatted.contains("text/plain"));
        assert!(formatted.contains("text/html"));
    }

    #[test]
    fn retries_double_up_to_the_cap() {
        let schedule = RetrySchedule {
            first: Duration::from_secs(60),
            max: Duration::from_secs(3_600),
            give_up_after: 80,
        };
        let delays: Vec<u64> = (1..=9).map(|n| schedule.delay(n).as_secs()).collect();
        assert_eq!(delays, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(schedule.delay(u32::MAX).as_secs(), 3_600);
        assert_eq!(schedule.delay(0).as_secs(), 60);
    }

    #[test]
    fn replies_lose_their_addresses() {
        for (reply, kept) in [
            (
                "permanent error (550): 5.1.1 <jane.doe@example.org>: user unknown",
                "permanent error (550): 5.1.1 <adresse> user unknown",
            ),
            ("250 OK queued as 1234", "250 OK queued as 1234"),
            ("refused for\njane@x.fr\r\nbye", "refused for <adresse> bye"),
        ] {
            assert_eq!(scrub_reply(reply), kept);
        }
        assert_eq!(scrub_reply(&"x".repeat(5_000)).chars().count(), 300);
    }

    #[test]
    fn relay_urls_are_read_or_refused() {
        let from = "tickets@example.fr";
        let relay =
            RelaySettings::new("smtp://relay.example.fr:587", from, TlsMode::Required, None)
                .expect("relay");
        assert_eq!((relay.host.as_str(), relay.port), ("relay.example.fr", 587));
        let relay =
            RelaySettings::new("smtp://127.0.0.1", from, TlsMode::None, None).expect("relay");
        assert_eq!((relay.host.as_str(), relay.port), ("127.0.0.1", 25));
        for bad in ["http://x", "smtp://", "smtp://x:port", "smtp://u@x:25"] {
            assert!(
                RelaySettings::new(bad, from, TlsMode::None, None).is_err(),
                "{bad}"
            );
        }
        assert!(RelaySettings::new("smtp://x", "not an address", TlsMode::None, None).is_err());
        assert!(TlsMode::parse("sometimes").is_err());
    }
}
