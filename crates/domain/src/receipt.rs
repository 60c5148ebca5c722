//! The customer's receipt (« ticket de caisse »): what it must say and how it is laid out in
//! columns of a fixed-pitch font, for the ESC/POS printer (42 columns on 80 mm paper, 32 on
//! 58 mm), for `comptoir receipt --text` and for the golden files of the tests.
//!
//! Mentions: shop name and address, SIRET, VAT number, date and time, ticket number, terminal,
//! every line (label, quantity × unit price, amount, VAT code letter), total including VAT,
//! VAT per rate (base excluding VAT, VAT, total, as CGI annexe II art. 242 nonies A asks of an
//! invoice, with the letters' legend), payments and change, and the link to the fiscal journal
//! that certified till software prints (CGI art. 286 I 3° bis, BOI-TVA-DECLA-30-10-30):
//! « Séquence n° N » and the first 16 hexadecimal characters of the entry's hash. A training
//! ticket is marked « MODE FORMATION » in big letters at the top and the bottom (it is not a
//! receipt), a reprint « DUPLICATA ».
//!
//! Time: the receipt stores UTC (`created_at`, Unix seconds, as the journal does) and shows the
//! shop's legal time, Europe/Paris (CET/CEST), because that is what the customer's watch says;
//! the daylight-saving rules come from the tz database (`chrono-tz`), not from hand-written dates.
//!
//! This module is pure: no I/O, no clock, no logging (a receipt will carry customer data one
//! day, and it must never reach the logs). It must never panic, whatever the receipt holds
//! (absurd quantities, `i64::MIN` amounts, labels of any length or script), and never produce a
//! line wider than the paper: every line is cut to `width` columns, counted in `char`s after
//! [`printable`] has folded typography the printer's code page lacks.

use chrono::DateTime;
use chrono_tz::Europe::Paris;
use serde::{Deserialize, Serialize};

use crate::basket::{BasketLine, VatBreakdownLine};
use crate::journal::DigestDiscount;
use crate::money::{Cents, MoneyError};
use crate::payment::PaymentMethod;
use crate::vat::VatRate;

/// Font A on 80 mm paper (Epson TM-T20, TM-T88).
pub const WIDTH_80MM: usize = 42;
/// Font A on 58 mm paper.
pub const WIDTH_58MM: usize = 32;

/// How many printed lines a label may take before it is cut with "...": enough for any real
/// catalogue label, and a corrupt 10 000-character label cannot unroll metres of paper.
const MAX_LABEL_LINES: usize = 3;

/// How many hexadecimal characters of the journal hash are printed: 64 bits, enough for an
/// auditor to match the paper to the journal entry without filling a line.
pub const HASH_PREFIX_LEN: usize = 16;

/// The shop that issues the receipt (configuration: `shop_name`, `shop_address`, `shop_siret`,
/// `shop_vat_number`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shop {
    pub name: String,
    /// Street, postcode and town, one printed line each.
    pub address_lines: Vec<String>,
    /// 14 digits; spaces are printed as given ("123 456 782 00010" reads better).
    pub siret: String,
    /// Intra-community VAT number, "FR" + 2-character key + SIREN.
    pub vat_number: String,
}

/// A shop identity that cannot go on a receipt, named as the configuration names it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShopError {
    #[error("shop_name is empty: the receipt must name the shop")]
    NoName,
    #[error("shop_address is empty: the receipt must give the shop's address")]
    NoAddress,
    #[error("shop_siret “{0}” is not a SIRET (14 digits with a valid check digit)")]
    Siret(String),
    #[error(
        "shop_vat_number “{vat_number}” is not the French VAT number of SIRET {siret} (expected FR{expected_key}{siren})"
    )]
    VatNumber {
        vat_number: String,
        siret: String,
        siren: String,
        expected_key: String,
    },
}

impl Shop {
    /// Checks what the receipt prints about the shop, so that a typo in the configuration is
    /// refused at start-up rather than printed on every ticket: a name and an address, a SIRET
    /// with its Luhn check digit (INSEE; La Poste's establishments, SIREN 356 000 000, use a
    /// digit sum divisible by 5 instead), and the VAT number that the SIREN gives:
    /// "FR" + key + SIREN, key = (12 + 3 × (SIREN mod 97)) mod 97, the French key of the
    /// intra-community VAT number. Spaces are allowed anywhere.
    pub fn validate(&self) -> Result<(), ShopError> {
        if self.name.trim().is_empty() {
            return Err(ShopError::NoName);
        }
        if self.address_lines.iter().all(|line| line.trim().is_empty()) {
            return Err(ShopError::NoAddress);
        }
        let siret: String = self.siret.chars().filter(|c| !c.is_whitespace()).collect();
        let digits: Option<Vec<u32>> = siret.chars().map(|c| c.to_digit(10)).collect();
        let Some(digits) = digits.filter(|d| d.len() == 14) else {
            return Err(ShopError::Siret(self.siret.clone()));
        };
        let siren = &siret[..9];
        let checks = if siren == "356000000" {
            digits.iter().sum::<u32>().is_multiple_of(5)
        } else {
            luhn_sum(&digits).is_multiple_of(10)
        };
        if !checks {
            return Err(ShopError::Siret(self.siret.clone()));
        }
        let siren_value: u64 = siren.parse().unwrap_or(0);
        let expected_key = format!("{:02}", (12 + 3 * (siren_value % 97)) % 97);
        let vat_number: String = self
            .vat_number
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if vat_number.to_ascii_uppercase() != format!("FR{expected_key}{siren}") {
            return Err(ShopError::VatNumber {
                vat_number: self.vat_number.clone(),
                siret: self.siret.clone(),
                siren: siren.to_owned(),
                expected_key,
            });
        }
        Ok(())
    }
}

/// The Luhn sum: every second digit from the right doubled, its digits added.
fn luhn_sum(digits: &[u32]) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(index, &digit)| match (index % 2 == 1, digit * 2) {
            (true, doubled) if doubled > 9 => doubled - 9,
            (true, doubled) => doubled,
            (false, _) => digit,
        })
        .sum()
}

/// What an exchange took back, printed on the new ticket's receipt above its articles: the
/// return's number, the sale it came from, and the units with what they were refunded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeNote {
    /// `T01-R000003`.
    pub return_ticket: String,
    /// "PAR-01/T01-000042".
    pub sale: String,
    /// (label, quantity, amount refunded).
    pub lines: Vec<(String, i64, Cents)>,
    pub total: Cents,
}

/// One article line of the receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLine {
    pub label: String,
    pub quantity: i64,
    /// VAT-inclusive price of one unit; for a label-priced item, the amount on its label.
    pub unit_price: Cents,
    /// VAT-inclusive amount the line paid, discounts taken off.
    pub amount: Cents,
    /// What was taken off the line's price, each with what the customer reads (a promotion's
    /// name, or « Remise » and the seller's reason).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discounts: Vec<ReceiptDiscount>,
    pub vat_rate: VatRate,
    /// Weighed or priced in store: the price comes from the item's own label. Put the weight and
    /// the price per kilogram in `label` when they are known ("Amandes vrac 0,250 kg à 24,90 €/kg").
    pub label_priced: bool,
}

/// One discount as the receipt prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptDiscount {
    pub label: String,
    pub amount: Cents,
}

impl ReceiptDiscount {
    /// A discount as the journal keeps it: a promotion shows its name, a seller's discount
    /// « Remise » and its reason.
    pub fn of(discount: &DigestDiscount) -> Self {
        let label = match (&discount.name, &discount.reason) {
            (Some(name), _) if discount.kind == "promotion" => name.clone(),
            (_, Some(reason)) => format!("Remise : {reason}"),
            _ => "Remise".to_owned(),
        };
        ReceiptDiscount {
            label,
            amount: Cents::new(discount.amount),
        }
    }
}

impl ReceiptLine {
    /// The receipt line of a basket line; fails only where [`BasketLine::line_total`] does.
    pub fn from_basket_line(line: &BasketLine) -> Result<ReceiptLine, MoneyError> {
        Ok(ReceiptLine {
            label: line.label.clone(),
            quantity: line.quantity,
            unit_price: line.amount_override.unwrap_or(line.unit_price),
            amount: line.line_total()?,
            discounts: line
                .discounts
                .iter()
                .map(|d| ReceiptDiscount::of(&DigestDiscount::of(d)))
                .collect(),
            vat_rate: line.vat_rate,
            label_priced: line.amount_override.is_some(),
        })
    }

    /// What the discounts took off the line.
    fn discount(&self) -> Option<Cents> {
        Cents::checked_sum(self.discounts.iter().map(|d| d.amount))
    }
}

impl Receipt {
    /// What the customer saved on the whole ticket (« Vous avez économisé … »).
    pub fn savings(&self) -> Option<Cents> {
        self.lines
            .iter()
            .try_fold(Cents::ZERO, |sum, line| sum.checked_add(line.discount()?))
    }
}

/// Everything a receipt shows. Built by the checkout from the recorded sale and its journal
/// entry; printed again, with `duplicate`, by `comptoir receipt`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub shop: Shop,
    pub ticket_number: String,
    pub terminal_id: String,
    /// The staff login, when the sale had one.
    pub operator: Option<String>,
    /// Unix seconds, UTC; shown in Europe/Paris time.
    pub created_at: i64,
    pub lines: Vec<ReceiptLine>,
    /// VAT-inclusive total.
    pub total: Cents,
    /// Per rate, from the highest rate to the lowest (as [`crate::basket::Basket::totals`]
    /// gives them).
    pub vat: Vec<VatBreakdownLine>,
    /// What each means of payment received.
    pub payments: Vec<(PaymentMethod, Cents)>,
    /// Cash handed back.
    pub change: Cents,
    /// The journal sequence of the sale's entry.
    pub sequence: i64,
    /// The journal entry's hash, hexadecimal SHA-256.
    pub hash: String,
    /// Rung up in training mode: not a sale, not a receipt.
    pub training: bool,
    /// A reprint.
    pub duplicate: bool,
    /// The receipt's code ([`crate::receipt_code::ReceiptCode`]), printed as a QR code
    /// and in clear so that a return finds the sale; none on a training ticket.
    #[serde(default)]
    pub code: Option<String>,
    /// An exchange: what came back, its value paying this ticket first (as a store credit).
    #[serde(default)]
    pub exchange: Option<ExchangeNote>,
}

/// Horizontal position of a printed line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// How a line is printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Style {
    pub bold: bool,
    /// Double width and double height: each character takes two columns.
    pub double_size: bool,
    pub align: Align,
}

impl Style {
    const PLAIN: Style = Style {
        bold: false,
        double_size: false,
        align: Align::Left,
    };
    const CENTER: Style = Style {
        align: Align::Center,
        ..Style::PLAIN
    };
    const BOLD: Style = Style {
        bold: true,
        ..Style::PLAIN
    };
    const BIG: Style = Style {
        bold: true,
        double_size: true,
        align: Align::Center,
    };
}

/// One printed line: text already cut to the paper's width, without a line ending.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PrintLine {
    pub text: String,
    pub style: Style,
}

impl PrintLine {
    /// The columns the line takes on paper: its characters, twice over in double size.
    pub fn columns(&self) -> usize {
        let chars = self.text.chars().count();
        if self.style.double_size {
            chars.saturating_mul(2)
        } else {
            chars
        }
    }
}

/// The letter that ties a line to its VAT rate in the table at the bottom of the receipt.
pub const fn vat_code(rate: VatRate) -> char {
    match rate {
        VatRate::Standard => 'A',
        VatRate::Intermediate => 'B',
        VatRate::Reduced => 'C',
        VatRate::SuperReduced => 'D',
    }
}

/// Lays `receipt` out in lines of at most `width` columns (42 on 80 mm paper, 32 on 58 mm; any
/// width works, a width of 0 gives no lines).
pub fn layout(receipt: &Receipt, width: usize) -> Vec<PrintLine> {
    if width == 0 {
        return Vec::new();
    }
    let mut sheet = Sheet {
        width,
        lines: Vec::new(),
    };
    sheet.marks(receipt);
    sheet.header(&receipt.shop);
    sheet.rule();
    sheet.ticket_identity(receipt);
    sheet.rule();
    if let Some(exchange) = &receipt.exchange {
        sheet.exchange(exchange);
    }
    for line in &receipt.lines {
        sheet.article(line);
    }
    sheet.rule();
    sheet.totals(receipt);
    sheet.payments(receipt);
    sheet.rule();
    sheet.vat_table(&receipt.vat);
    sheet.rule();
    sheet.fiscal_footer(receipt);
    sheet.marks(receipt);
    sheet.lines
}

/// Lays out the X report (the drawer's figures since the last day closing, nothing reset) as
/// a ticket of at most `width` columns: the shop, « RAPPORT X », when and which terminal, the
/// tickets, the VAT per rate and the payments, then the float, each cash movement and the cash
/// the drawer should hold. `at` is when it is printed (Unix seconds, UTC).
pub fn layout_x_report(
    report: &crate::drawer::DrawerReport,
    shop: &Shop,
    terminal: &str,
    at: i64,
    width: usize,
) -> Vec<PrintLine> {
    use crate::drawer::MovementKind;
    if width == 0 {
        return Vec::new();
    }
    let mut sheet = Sheet {
        width,
        lines: Vec::new(),
    };
    sheet.header(shop);
    sheet.rule();
    sheet.big("RAPPORT X");
    sheet.text("Lecture sans remise à zéro", Style::CENTER);
    sheet.text(&paris_time(at), Style::PLAIN);
    sheet.columns(
        &format!(
            "Écritures {}–{}",
            report.from_sequence + 1,
            report.to_sequence
        ),
        &format!("Caisse {terminal}"),
        Style::PLAIN,
    );
    sheet.rule();
    sheet.columns("Tickets", &report.ticket_count.to_string(), Style::PLAIN);
    for payment in &report.payments {
        let label = match PaymentMethod::parse(&payment.method) {
            Some(method) => payment_label(method),
            None if payment.method == "credit" => "Avoir",
            None => payment.method.as_str(),
        };
        sheet.columns(label, &money(Cents::new(payment.amount)), Style::PLAIN);
    }
    sheet.columns(
        "TOTAL TTC",
        &money(Cents::new(report.total_cents)),
        Style::BOLD,
    );
    sheet.rule();
    let vat: Vec<VatBreakdownLine> = report
        .vat
        .iter()
        .filter_map(|v| {
            Some(VatBreakdownLine {
                rate: VatRate::from_basis_points(v.rate).ok()?,
                base: Cents::new(v.base),
                vat: Cents::new(v.vat),
                total: Cents::new(v.total),
            })
        })
        .collect();
    if !vat.is_empty() {
        sheet.vat_table(&vat);
        sheet.rule();
    }
    sheet.columns(
        "Fond de caisse",
        &money(Cents::new(report.float_cents)),
        Style::PLAIN,
    );
    sheet.columns(
        "Espèces encaissées",
        &money(Cents::new(report.cash_sales_cents)),
        Style::PLAIN,
    );
    if report.gift_cards_sold_cents != 0 {
        sheet.columns(
            "Cartes cadeaux (hors TVA)",
            &money(Cents::new(report.gift_cards_sold_cents)),
            Style::PLAIN,
        );
        sheet.columns(
            "dont espèces",
            &money(Cents::new(report.gift_cards_cash_cents)),
            Style::PLAIN,
        );
    }
    for movement in &report.movements {
        let (label, sign) = match movement.kind {
            MovementKind::Float => continue,
            MovementKind::In => ("Entrée", ""),
            MovementKind::Out => ("Sortie", "-"),
        };
        sheet.columns(
            &format!("{label} : {}", movement.reason),
            &format!("{sign}{}", money(Cents::new(movement.amount_cents))),
            Style::PLAIN,
        );
    }
    sheet.columns(
        "Espèces attendues",
        &money(Cents::new(report.expected_cash_cents)),
        Style::BOLD,
    );
    sheet.rule();
    sheet.lines
}

/// `at` in Paris time as the tickets print it.
fn paris_time(at: i64) -> String {
    DateTime::from_timestamp(at, 0)
        .map(|utc| {
            utc.with_timezone(&Paris)
                .format("Le %d/%m/%Y à %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|| format!("Horodatage UTC {at}"))
}

/// The lines as plain text, one per line, alignment applied within the widest line (the rules
/// span the whole width) and double-size text spaced out so that it takes its two columns per
/// character: what `comptoir receipt --text` shows and the golden files hold.
pub fn to_text(lines: &[PrintLine]) -> String {
    let width = lines.iter().map(PrintLine::columns).max().unwrap_or(0);
    let mut text = String::new();
    for line in lines {
        let shown: String = if line.style.double_size {
            line.text.chars().flat_map(|c| [c, ' ']).collect()
        } else {
            line.text.clone()
        };
        let free = width.saturating_sub(line.columns());
        let indent = match line.style.align {
            Align::Left => 0,
            Align::Center => free / 2,
            Align::Right => free,
        };
        let row = format!("{}{shown}", " ".repeat(indent));
        text.push_str(row.trim_end());
        text.push('\n');
    }
    text
}

/// `text` as the receipt prints it: typography the printer's code page (PC858) lacks is folded
/// to what it has (’ → ', « » kept, œ → oe, – → -, … → ..., no-break spaces → spaces), a letter
/// followed by a combining accent is composed (é from e + U+0301, as macOS exports write it),
/// and control characters become spaces, so that a label can never smuggle a printer command or
/// break a line. Other characters are kept; the printer shows those it cannot print as "?".
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if let Some(composed) = compose_with_previous(&out, c) {
            out.pop();
            out.push(composed);
            continue;
        }
        match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => out.push('\''),
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => out.push('"'),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            '\u{2026}' => out.push_str("..."),
            '\u{0153}' => out.push_str("oe"),
            '\u{0152}' => out.push_str("OE"),
            '\u{0178}' => out.push('Y'),
            '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => {
                out.push(' ')
            }
            // Zero-width characters and the soft hyphen would count as a column here and print
            // as nothing or as "?" there.
            '\u{00AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The precomposed letter for the last character of `previous` followed by the combining
/// `mark`, for the accents French (and its neighbours in the code page) use.
fn compose_with_previous(previous: &str, mark: char) -> Option<char> {
    // Pairs of (base letter, composed letter).
    let pairs = match mark {
        '\u{0300}' => "aàeèiìoòuùAÀEÈIÌOÒUÙ",
        '\u{0301}' => "aáeéiíoóuúyýAÁEÉIÍOÓUÚYÝ",
        '\u{0302}' => "aâeêiîoôuûAÂEÊIÎOÔUÛ",
        '\u{0303}' => "aãnñoõAÃNÑOÕ",
        '\u{0308}' => "aäeëiïoöuüyÿAÄEËIÏOÖUÜ",
        '\u{0327}' => "cçCÇ",
        _ => return None,
    };
    let base = previous.chars().next_back()?;
    let pairs: Vec<char> = pairs.chars().collect();
    pairs
        .chunks_exact(2)
        .find(|pair| pair[0] == base)
        .map(|pair| pair[1])
}

/// An amount as the receipt prints it: "12,50 €", "1 234,56 €". The no-break spaces of
/// [`Cents::format_fr`] become plain spaces: the layout never breaks an amount that fits, and a
/// plain space is what every code page has.
fn money(amount: Cents) -> String {
    printable(&amount.format_fr())
}

/// The French label of a rate with the layout's plain spaces: "20 %", "5,5 %".
fn rate_label(rate: VatRate) -> String {
    printable(rate.label_fr())
}

fn payment_label(method: PaymentMethod) -> &'static str {
    match method {
        PaymentMethod::Card => "Carte bancaire",
        PaymentMethod::Cash => "Espèces",
        PaymentMethod::Loyalty => "Points fidélité",
        PaymentMethod::Credit => "Avoir / carte cadeau",
    }
}

/// The receipt being laid out: helpers that never emit a line wider than `width`.
struct Sheet {
    width: usize,
    lines: Vec<PrintLine>,
}

impl Sheet {
    fn push(&mut self, text: String, style: Style) {
        self.lines.push(PrintLine { text, style });
    }

    /// `text`, wrapped at spaces to the width (cut inside a word only when a word is longer than
    /// a line).
    fn text(&mut self, text: &str, style: Style) {
        for row in wrap(&printable(text), self.width) {
            self.push(row, style);
        }
    }

    /// Big letters (double width and height, bold, centred) when every word fits in half the
    /// width and the whole fits in two lines; otherwise bold, centred, normal size.
    fn big(&mut self, text: &str) {
        let text = printable(text);
        let half = self.width / 2;
        let rows = wrap(&text, half.max(1));
        let words_fit = text.split(' ').all(|word| word.chars().count() <= half);
        if half > 0 && words_fit && rows.len() <= 2 {
            for row in rows {
                self.push(row, Style::BIG);
            }
        } else {
            let style = Style {
                double_size: false,
                ..Style::BIG
            };
            for row in wrap(&text, self.width) {
                self.push(row, style);
            }
        }
    }

    /// A dashed rule across the paper.
    fn rule(&mut self) {
        self.push("-".repeat(self.width), Style::PLAIN);
    }

    /// `left` and `right` on one line, `right` against the right edge. When they do not fit
    /// together, `left` wraps (keeping its indentation) and `right` goes right-aligned on the
    /// last line that has room, or on its own line(s).
    fn columns(&mut self, left: &str, right: &str, style: Style) {
        let mut rows = wrap_indented(&printable(left), self.width);
        let right_rows = wrap(&printable(right), self.width);
        if let ([right], Some(last)) = (right_rows.as_slice(), rows.last_mut()) {
            let used = last.chars().count();
            let right_len = right.chars().count();
            if used == 0 || used + 1 + right_len <= self.width {
                let gap = self.width.saturating_sub(used + right_len);
                last.push_str(&" ".repeat(gap));
                last.push_str(right);
                for row in rows {
                    self.push(row, style);
                }
                return;
            }
        }
        for row in rows {
            self.push(row, style);
        }
        for row in right_rows {
            let gap = self.width.saturating_sub(row.chars().count());
            self.push(format!("{}{row}", " ".repeat(gap)), style);
        }
    }

    /// « MODE FORMATION » and « DUPLICATA », at the top and again at the bottom, so that a torn
    /// half still says it.
    fn marks(&mut self, receipt: &Receipt) {
        if receipt.training {
            self.big("MODE FORMATION");
            self.text("Ticket de formation, sans valeur", Style::CENTER);
        }
        if receipt.duplicate {
            self.big("DUPLICATA");
        }
    }

    fn header(&mut self, shop: &Shop) {
        self.big(&shop.name);
        for line in &shop.address_lines {
            self.text(line, Style::CENTER);
        }
        self.text(&format!("SIRET {}", shop.siret), Style::CENTER);
        self.text(
            &format!("N° TVA intracom. {}", shop.vat_number),
            Style::CENTER,
        );
    }

    fn ticket_identity(&mut self, receipt: &Receipt) {
        // Out of chrono's range (year beyond ±262 143) only from a corrupt record: print what
        // was stored rather than nothing.
        self.text(&paris_time(receipt.created_at), Style::PLAIN);
        self.columns(
            &format!("Ticket n° {}", receipt.ticket_number),
            &format!("Caisse {}", receipt.terminal_id),
            Style::PLAIN,
        );
        if let Some(operator) = &receipt.operator {
            self.text(&format!("Opérateur : {operator}"), Style::PLAIN);
        }
    }

    /// Label on its own line(s), then quantity × unit price with the amount and the VAT code.
    fn article(&mut self, line: &ReceiptLine) {
        let label = wrap(&printable(&line.label), self.width);
        let shown = label.len().min(MAX_LABEL_LINES);
        for (index, row) in label.iter().take(shown).enumerate() {
            if index + 1 == shown && label.len() > shown {
                self.push(ellipsis(row, self.width), Style::PLAIN);
            } else {
                self.push(row.clone(), Style::PLAIN);
            }
        }
        let detail = if line.label_priced && line.quantity == 1 {
            "  Prix étiquette".to_owned()
        } else {
            format!("  {} × {}", line.quantity, money(line.unit_price))
        };
        // A discounted line shows its shelf amount, then what was taken off: the amounts
        // column still adds up to the total.
        let shelf = line
            .discount()
            .and_then(|off| line.amount.checked_add(off))
            .unwrap_or(line.amount);
        let amount = format!("{} {}", money(shelf), vat_code(line.vat_rate));
        self.columns(&detail, &amount, Style::PLAIN);
        for discount in &line.discounts {
            let label = format!("  {}", printable(&discount.label));
            let off = format!("-{}  ", money(discount.amount));
            self.columns(&label, &off, Style::PLAIN);
        }
    }

    fn totals(&mut self, receipt: &Receipt) {
        // Label-priced lines count one item each, as they are scanned one by one.
        let items = receipt
            .lines
            .iter()
            .try_fold(0_i64, |sum, line| sum.checked_add(line.quantity));
        if let Some(items) = items {
            let noun = if items.unsigned_abs() > 1 {
                "articles"
            } else {
                "article"
            };
            self.text(&format!("{items} {noun}"), Style::PLAIN);
        }
        self.columns("TOTAL TTC", &money(receipt.total), Style::BOLD);
        if let Some(saved) = receipt.savings().filter(|s| s.get() > 0) {
            self.text(
                &format!("Vous avez économisé {}", money(saved)),
                Style::BOLD,
            );
        }
    }

    /// « ÉCHANGE »: the units taken back (negative), their total, then « Articles » for what
    /// the customer takes instead.
    fn exchange(&mut self, exchange: &ExchangeNote) {
        self.text("ÉCHANGE", Style::BOLD);
        self.text(
            &format!(
                "Reprise {} (ticket {})",
                exchange.return_ticket, exchange.sale
            ),
            Style::PLAIN,
        );
        for (label, quantity, amount) in &exchange.lines {
            self.columns(
                &format!("{label} x{quantity}"),
                &money(Cents::new(-amount.get())),
                Style::PLAIN,
            );
        }
        self.columns(
            "Total repris (en avoir)",
            &money(Cents::new(-exchange.total.get())),
            Style::BOLD,
        );
        self.rule();
        self.text("Articles", Style::BOLD);
    }

    fn payments(&mut self, receipt: &Receipt) {
        for (method, amount) in &receipt.payments {
            self.columns(payment_label(*method), &money(*amount), Style::PLAIN);
        }
        let paid_cash = receipt
            .payments
            .iter()
            .any(|(method, _)| *method == PaymentMethod::Cash);
        if paid_cash || receipt.change != Cents::ZERO {
            self.columns("Rendu monnaie", &money(receipt.change), Style::PLAIN);
        }
    }

    /// VAT per rate: a table of four columns when it fits with the "€" signs, else with the
    /// unit in the title, else (tiny widths, huge amounts) one block per rate.
    fn vat_table(&mut self, vat: &[VatBreakdownLine]) {
        if vat.is_empty() {
            return;
        }
        let header = ["Taux", "Base HT", "TVA", "TTC"];
        let row_of = |line: &VatBreakdownLine, format: &dyn Fn(Cents) -> String| {
            [
                format!("{} {}", vat_code(line.rate), rate_label(line.rate)),
                format(line.base),
                format(line.vat),
                format(line.total),
            ]
        };
        let without_sign = |amount: Cents| {
            let text = money(amount);
            text.strip_suffix(" €").unwrap_or(&text).to_owned()
        };
        let attempts: [(&str, &dyn Fn(Cents) -> String); 2] = [
            ("Détail de la TVA", &money),
            ("Détail de la TVA (en €)", &without_sign),
        ];
        for (title, format) in attempts {
            let mut rows = vec![header.map(str::to_owned)];
            rows.extend(vat.iter().map(|line| row_of(line, format)));
            if let Some(table) = table_rows(&rows, self.width) {
                self.text(title, Style::PLAIN);
                for row in table {
                    self.push(row, Style::PLAIN);
                }
                return;
            }
        }
        self.text("Détail de la TVA", Style::PLAIN);
        for line in vat {
            let rate = format!("{} {}", vat_code(line.rate), rate_label(line.rate));
            self.text(&rate, Style::PLAIN);
            self.columns("  Base HT", &money(line.base), Style::PLAIN);
            self.columns("  TVA", &money(line.vat), Style::PLAIN);
            self.columns("  TTC", &money(line.total), Style::PLAIN);
        }
    }

    /// The link between the paper and the fiscal journal (CGI art. 286 I 3° bis): the entry's
    /// sequence and the start of its hash, which an auditor looks up with `journal verify`.
    fn fiscal_footer(&mut self, receipt: &Receipt) {
        self.text(&format!("Séquence n° {}", receipt.sequence), Style::PLAIN);
        let hash: String = printable(&receipt.hash)
            .chars()
            .take(HASH_PREFIX_LEN)
            .collect();
        self.text(&format!("Empreinte {hash}"), Style::PLAIN);
        if let Some(code) = &receipt.code {
            // In clear under the QR code, for a counter whose scanner cannot read it.
            for part in wrap(&printable(code), self.width) {
                self.text(&part, Style::CENTER);
            }
        }
        self.text("Merci de votre visite !", Style::CENTER);
    }
}

/// The first cell of each row left-aligned in its own column, the three others right-aligned
/// in equal slots up to the right edge; `None` when a cell would touch its neighbour.
fn table_rows(rows: &[[String; 4]], width: usize) -> Option<Vec<String>> {
    let first = rows.iter().map(|r| r[0].chars().count()).max()?;
    let widest = rows
        .iter()
        .flat_map(|r| r[1..].iter().map(|cell| cell.chars().count()))
        .max()?;
    let slot = width.checked_sub(first)? / 3;
    if slot < widest + 1 {
        return None;
    }
    // The first column takes the remainder, so that the last one ends at the right edge.
    let first = width - 3 * slot;
    let rendered = rows
        .iter()
        .map(|row| {
            let mut text = format!("{:<first$}", row[0]);
            for cell in &row[1..] {
                text.push_str(&format!("{cell:>slot$}"));
            }
            text
        })
        .collect();
    Some(rendered)
}

/// Cuts `text` into lines of at most `width` characters, at spaces (runs of spaces collapse),
/// inside a word only when the word alone is longer than a line. Always at least one line.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut row = String::new();
    let mut row_len = 0;
    for word in text.split(' ').filter(|word| !word.is_empty()) {
        let mut rest: Vec<char> = word.chars().collect();
        loop {
            let needed = if row_len == 0 {
                rest.len()
            } else {
                row_len + 1 + rest.len()
            };
            if needed <= width {
                if row_len > 0 {
                    row.push(' ');
                }
                row.extend(rest.iter());
                row_len = needed;
                break;
            }
            if row_len > 0 {
                rows.push(std::mem::take(&mut row));
                row_len = 0;
                continue;
            }
            let tail = rest.split_off(width);
            rows.push(rest.into_iter().collect());
            rest = tail;
        }
    }
    if row_len > 0 || rows.is_empty() {
        rows.push(row);
    }
    rows
}

/// [`wrap`], every line keeping the leading spaces of `text` (the indent of a detail line),
/// unless the indent leaves no room for a character.
fn wrap_indented(text: &str, width: usize) -> Vec<String> {
    let body = text.trim_start_matches(' ');
    let indent = text.len() - body.len();
    if indent >= width {
        return wrap(body, width);
    }
    let pad = " ".repeat(indent);
    wrap(body, width - indent)
        .into_iter()
        .map(|row| {
            if row.is_empty() {
                row
            } else {
                format!("{pad}{row}")
            }
        })
        .collect()
}

/// `row` cut so that "..." fits after it within `width`.
fn ellipsis(row: &str, width: usize) -> String {
    let kept: String = row.chars().take(width.saturating_sub(3)).collect();
    let mut cut = format!("{}...", kept.trim_end());
    while cut.chars().count() > width {
        cut.pop();
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::basket::Basket;
    use crate::money::price_for_weight;
    use crate::payment::{Tender, settle};
    use proptest::prelude::*;

    fn c(cents: i64) -> Cents {
        Cents::new(cents)
    }

    fn shop() -> Shop {
        Shop {
            name: "Comptoir Paris Rivoli".to_owned(),
            address_lines: vec!["12 rue de Rivoli".to_owned(), "75004 Paris".to_owned()],
            siret: "123 456 782 00010".to_owned(),
            vat_number: "FR11123456782".to_owned(),
        }
    }

    fn basket_line(label: &str, unit: i64, quantity: i64, rate: VatRate) -> BasketLine {
        BasketLine::new("3760000000000", label, c(unit), quantity, rate)
    }

    /// A realistic sale at the demo store: four VAT rates, a weighed item, a long label with
    /// accents, cash with change. Totals come from the real basket and payment rules.
    fn sample() -> Receipt {
        sample_priced(|_| {}, |_| {})
    }

    /// [`sample`] with its lines changed by `prepare`, then its basket by `change` before it is
    /// paid.
    fn sample_priced(
        prepare: impl FnOnce(&mut [BasketLine]),
        change: impl FnOnce(&mut Basket),
    ) -> Receipt {
        let almonds = price_for_weight(c(2490), 250).expect("weighing"); // 6,23 €
        let mut lines = [
            basket_line(
                "Pull col rond mérinos marine Étretat",
                5990,
                1,
                VatRate::Standard,
            ),
            basket_line(
                "Bougie parfumée « Figuier » cire végétale, coffret cadeau édition limitée",
                1450,
                2,
                VatRate::Standard,
            ),
            basket_line("Terreau universel 20 L", 790, 1, VatRate::Intermediate),
            BasketLine {
                amount_override: Some(almonds),
                ..basket_line("Amandes vrac 0,250 kg à 24,90 €/kg", 0, 1, VatRate::Reduced)
            },
            basket_line(
                "Quotidien régional — édition Île-de-France",
                150,
                1,
                VatRate::SuperReduced,
            ),
        ];
        prepare(&mut lines);
        let mut basket = Basket::new();
        for line in &lines {
            basket.add(line.clone()).expect("valid line");
        }
        change(&mut basket);
        let totals = basket.totals().expect("totals");
        let settlement = settle(
            totals.total,
            Tender::Cash {
                given: Some(c(11_000)),
            },
        )
        .expect("cash covers it");
        Receipt {
            shop: shop(),
            ticket_number: "T01-000042".to_owned(),
            terminal_id: "T01".to_owned(),
            operator: Some("camille".to_owned()),
            // 2026-11-25 14:42:07 UTC, 15:42:07 in Paris (CET, UTC+1).
            created_at: 1_795_617_727,
            lines: basket
                .lines()
                .iter()
                .map(|line| ReceiptLine::from_basket_line(line).expect("valid line"))
                .collect(),
            total: totals.total,
            vat: totals.per_rate,
            payments: settlement.payments,
            change: settlement.change,
            sequence: 42,
            hash: "3f2a9c0d1e4b5a67c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5".to_owned(),
            training: false,
            duplicate: false,
            code: None,
            exchange: None,
        }
    }

    fn golden_path(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name)
    }

    /// Compares with the golden file; `UPDATE_GOLDEN=1 cargo test` rewrites it (then review
    /// the diff: a receipt is something other people read).
    fn assert_golden(name: &str, actual: &str) {
        let path = golden_path(name);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, actual).expect("write golden file");
        }
        let expected = std::fs::read_to_string(&path).expect("golden file (UPDATE_GOLDEN=1)");
        assert_eq!(actual, expected, "{} differs", path.display());
    }

    fn text_of(receipt: &Receipt, width: usize) -> String {
        to_text(&layout(receipt, width))
    }

    /// Issue 15: a promotion on the candles (« 2e à -50 % »), a seller's 10 % on the pullover:
    /// each line shows its shelf amount and what was taken off, and the ticket what was saved.
    #[test]
    fn golden_receipt_with_discounts_80mm() {
        use crate::discount::{Adjustment, Discount, ManualLine};
        use crate::pricing::{PricingContext, PromotionBook};
        use crate::promotion::{Offer, Promotion, Target};
        let at =
            |t: &str| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M").expect("date");
        let candles = Promotion {
            id: "BOUGIES-2E50".into(),
            name: "Bougies : 2e à -50 %".into(),
            starts: at("2026-11-01T00:00"),
            ends: at("2026-12-01T00:00"),
            target: Target {
                categories: vec!["Bougies".into()],
                ..Target::default()
            },
            offer: Offer::NthPercentOff {
                nth: 2,
                basis_points: 5000,
            },
            tiers: Vec::new(),
            stores: Vec::new(),
            stacks: false,
        };
        let prepare = |lines: &mut [BasketLine]| {
            lines[0].manual = Some(ManualLine {
                adjustment: Adjustment::Discount {
                    discount: Discount::Percent { basis_points: 1000 },
                },
                reason: "Article abîmé".into(),
            });
            lines[1].category = "Bougies".into();
        };
        let receipt = sample_priced(prepare, |basket| {
            let context = PricingContext {
                local_now: at("2026-11-25T15:42"),
                store: "PAR-01",
                tier: None,
            };
            basket
                .reprice(&PromotionBook::new(vec![candles]), &context)
                .expect("priced");
        });
        assert_eq!(receipt.savings(), Some(c(599 + 725)));
        let text = text_of(&receipt, WIDTH_80MM);
        assert!(text.contains("Vous avez économisé 13,24 €"), "{text}");
        assert_golden("receipt-discounts.txt", &text);
    }

    #[test]
    fn golden_receipt_80mm() {
        assert_golden("receipt.txt", &text_of(&sample(), WIDTH_80MM));
    }

    #[test]
    fn golden_receipt_58mm() {
        assert_golden("receipt-58mm.txt", &text_of(&sample(), WIDTH_58MM));
    }

    #[test]
    fn sample_adds_up_as_the_ticket_says() {
        let receipt = sample();
        assert_eq!(receipt.total, c(5990 + 2900 + 790 + 623 + 150));
        assert_eq!(receipt.change, c(11_000 - 10_453));
    }

    #[test]
    fn every_mandatory_mention_is_printed() {
        let receipt = sample();
        for width in [WIDTH_80MM, WIDTH_58MM] {
            // The texts themselves: to_text spaces out the big letters of the shop's name.
            let lines = layout(&receipt, width);
            let text: Vec<&str> = lines.iter().map(|line| line.text.as_str()).collect();
            let text = text.join("\n");
            for mention in [
                // On 58 mm the big letters put "Rivoli" on a line of its own.
                "Comptoir Paris",
                "12 rue de Rivoli",
                "75004 Paris",
                "SIRET 123 456 782 00010",
                "FR11123456782",
                // 14:42 UTC is 15:42 in Paris in November (CET).
                "25/11/2026 à 15:42:07",
                "Ticket n° T01-000042",
                "Caisse T01",
                "Pull col rond",
                "1 × 59,90 €",
                "59,90 € A",
                "2 × 14,50 €",
                "29,00 € A",
                "7,90 € B",
                "Prix étiquette",
                "6,23 € C",
                "1,50 € D",
                "TOTAL TTC",
                "104,53 €",
                "A 20 %",
                "B 10 %",
                "C 5,5 %",
                "D 2,1 %",
                "Base HT",
                "Espèces",
                "Rendu monnaie",
                "Séquence n° 42",
                "Empreinte 3f2a9c0d1e4b5a67",
            ] {
                assert!(
                    text.contains(mention),
                    "{width} columns: {mention:?} missing\n{text}"
                );
            }
            assert!(
                !text.contains("3f2a9c0d1e4b5a67c"),
                "only 16 hash characters"
            );
            assert!(!text.contains("FORMATION") && !text.contains("DUPLICATA"));
        }
    }

    #[test]
    fn summer_time_is_shown_as_cest() {
        let receipt = Receipt {
            // 2026-07-14 10:00:00 UTC is 12:00 in Paris (CEST, UTC+2).
            created_at: 1_784_023_200,
            ..sample()
        };
        assert!(text_of(&receipt, WIDTH_80MM).contains("Le 14/07/2026 à 12:00:00"));
    }

    #[test]
    fn training_is_marked_big_at_top_and_bottom() {
        let receipt = Receipt {
            training: true,
            ..sample()
        };
        for width in [WIDTH_80MM, WIDTH_58MM] {
            let lines = layout(&receipt, width);
            let big = |line: &PrintLine| {
                line.text == "MODE FORMATION" && line.style.double_size && line.style.bold
            };
            assert!(big(&lines[0]), "first line at {width}: {:?}", lines[0]);
            let last_big = lines.iter().rposition(big);
            assert!(
                last_big.is_some_and(|i| i + 3 >= lines.len()),
                "bottom mark at {width}"
            );
            assert_eq!(lines.iter().filter(|l| big(l)).count(), 2);
        }
        assert_golden("receipt-training.txt", &text_of(&receipt, WIDTH_58MM));
    }

    #[test]
    fn duplicate_is_marked_at_top_and_bottom() {
        let receipt = Receipt {
            duplicate: true,
            ..sample()
        };
        let lines = layout(&receipt, WIDTH_80MM);
        let marks: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.text == "DUPLICATA" && l.style.double_size)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(marks, [0, lines.len() - 1]);
    }

    #[test]
    fn training_duplicate_carries_both_marks() {
        let receipt = Receipt {
            training: true,
            duplicate: true,
            ..sample()
        };
        let text = text_of(&receipt, WIDTH_58MM);
        assert_eq!(text.matches("M O D E   F O R M A T I O N").count(), 2);
        assert_eq!(text.matches("D U P L I C A T A").count(), 2);
    }

    #[test]
    fn columns_are_right_aligned_and_lines_fit() {
        for width in [WIDTH_80MM, WIDTH_58MM] {
            let lines = layout(&sample(), width);
            for line in &lines {
                assert!(line.columns() <= width, "{line:?} wider than {width}");
            }
            let amounts: Vec<&PrintLine> = lines
                .iter()
                .filter(|l| l.text.ends_with(" A") || l.text.ends_with(" €"))
                .collect();
            assert!(amounts.len() >= 6);
            for line in amounts {
                assert_eq!(
                    line.text.chars().count(),
                    width,
                    "{line:?} reaches the edge"
                );
            }
        }
    }

    #[test]
    fn vat_table_falls_back_when_amounts_are_wide() {
        let huge = VatBreakdownLine {
            rate: VatRate::Reduced,
            base: c(i64::MAX / 2),
            vat: c(i64::MAX / 4),
            total: c(i64::MAX),
        };
        let receipt = Receipt {
            vat: vec![huge],
            ..sample()
        };
        let text = text_of(&receipt, WIDTH_58MM);
        assert!(text.contains("C 5,5 %\n"), "one block per rate\n{text}");
        let small = text_of(
            &Receipt {
                vat: vec![VatBreakdownLine {
                    rate: VatRate::Standard,
                    base: c(12_345_600),
                    vat: c(2_469_120),
                    total: c(14_814_720),
                }],
                ..sample()
            },
            WIDTH_80MM,
        );
        assert!(small.contains("Détail de la TVA (en €)"), "{small}");
    }

    #[test]
    fn printable_folds_what_pc858_lacks() {
        let cases = [
            ("Huile d’olive « vierge »", "Huile d'olive « vierge »"),
            ("Bœuf — Œufs…", "Boeuf - OEufs..."),
            ("Cafe\u{0301} cre\u{0300}me", "Café crème"),
            ("1\u{202F}234,56\u{A0}€", "1 234,56 €"),
            ("a\tb\nc\u{1B}d", "a b c d"),
            ("in\u{AD}vi\u{200B}sible", "invisible"),
            ("\u{0301}accent seul", "\u{0301}accent seul"),
            ("日本", "日本"),
        ];
        for (input, expected) in cases {
            assert_eq!(printable(input), expected, "{input:?}");
        }
    }

    #[test]
    fn wrap_cuts_at_spaces_then_inside_words() {
        let cases: [(&str, usize, &[&str]); 6] = [
            ("", 10, &[""]),
            ("un deux trois", 7, &["un deux", "trois"]),
            ("abcdefghij", 4, &["abcd", "efgh", "ij"]),
            ("a  b", 10, &["a b"]),
            ("éééé éé", 4, &["éééé", "éé"]),
            ("x", 0, &["x"]),
        ];
        for (text, width, expected) in cases {
            assert_eq!(wrap(text, width), expected, "{text:?} at {width}");
        }
    }

    #[test]
    fn long_labels_stop_after_three_lines() {
        let receipt = Receipt {
            lines: vec![ReceiptLine {
                label: "Très long libellé ".repeat(40),
                quantity: 1,
                unit_price: c(100),
                amount: c(100),
                discounts: Vec::new(),
                vat_rate: VatRate::Standard,
                label_priced: false,
            }],
            ..sample()
        };
        let lines = layout(&receipt, WIDTH_58MM);
        let start = lines
            .iter()
            .position(|l| l.text.starts_with("Très long"))
            .expect("label printed");
        assert!(
            lines[start + 2].text.ends_with("..."),
            "{:?}",
            lines[start + 2]
        );
        assert!(lines[start + 3].text.starts_with("  1 × 1,00 €"));
    }

    #[test]
    fn shop_identity_is_checked() {
        assert_eq!(shop().validate(), Ok(()));
        let with = |change: &dyn Fn(&mut Shop)| {
            let mut shop = shop();
            change(&mut shop);
            shop.validate()
        };
        assert_eq!(with(&|s| s.name = " ".to_owned()), Err(ShopError::NoName));
        assert_eq!(
            with(&|s| s.address_lines.clear()),
            Err(ShopError::NoAddress)
        );
        for siret in [
            "123 456 782 00011",
            "1234567820001",
            "123456782000100",
            "12345678200O10",
        ] {
            assert_eq!(
                with(&|s| s.siret = siret.to_owned()),
                Err(ShopError::Siret(siret.to_owned())),
                "{siret}"
            );
        }
        // La Poste: digit sum divisible by 5, not Luhn.
        assert_eq!(
            with(&|s| {
                s.siret = "356 000 000 00047".to_owned();
                s.vat_number = "FR 39 356000000".to_owned();
            }),
            Ok(())
        );
        let wrong = with(&|s| s.vat_number = "FR32123456782".to_owned());
        assert_eq!(
            wrong.map_err(|e| e.to_string()),
            Err("shop_vat_number “FR32123456782” is not the French VAT number of SIRET 123 456 782 00010 (expected FR11123456782)".to_owned())
        );
    }

    #[test]
    fn odd_receipts_still_lay_out() {
        let huge = ReceiptLine {
            label: "日本🙂é".repeat(500),
            quantity: i64::MAX,
            unit_price: c(i64::MIN),
            amount: c(i64::MIN),
            discounts: Vec::new(),
            vat_rate: VatRate::SuperReduced,
            label_priced: true,
        };
        let cases = [
            (
                "no lines",
                Receipt {
                    lines: vec![],
                    vat: vec![],
                    payments: vec![],
                    ..sample()
                },
            ),
            (
                "huge line",
                Receipt {
                    lines: vec![huge.clone(), huge],
                    ..sample()
                },
            ),
            (
                "date out of range",
                Receipt {
                    created_at: i64::MAX,
                    ..sample()
                },
            ),
            (
                "empty hash",
                Receipt {
                    hash: String::new(),
                    operator: None,
                    ..sample()
                },
            ),
        ];
        for (what, receipt) in cases {
            for width in [WIDTH_80MM, WIDTH_58MM] {
                let lines = layout(&receipt, width);
                assert!(
                    lines.iter().all(|l| l.columns() <= width),
                    "{what} at {width}"
                );
                let text = to_text(&lines);
                assert!(text.contains("TOTAL TTC"), "{what} at {width}");
            }
        }
        let text = text_of(
            &Receipt {
                created_at: i64::MAX,
                ..sample()
            },
            WIDTH_80MM,
        );
        assert!(
            text.contains("Horodatage UTC 9223372036854775807"),
            "{text}"
        );
    }

    #[test]
    fn width_zero_gives_nothing() {
        assert!(layout(&sample(), 0).is_empty());
        assert_eq!(to_text(&[]), "");
    }

    fn odd_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-zéèàçœ€«» \u{202F}\u{0301}\u{1B}\n日本🙂]{0,200}",
            Just(String::new()),
        ]
    }

    fn any_rate() -> impl Strategy<Value = VatRate> {
        prop::sample::select(VatRate::ALL.to_vec())
    }

    fn any_line() -> impl Strategy<Value = ReceiptLine> {
        (
            odd_text(),
            any::<i64>(),
            any::<i64>(),
            any::<i64>(),
            any_rate(),
            any::<bool>(),
        )
            .prop_map(|(label, quantity, unit, amount, vat_rate, label_priced)| {
                ReceiptLine {
                    label,
                    quantity,
                    unit_price: c(unit),
                    amount: c(amount),
                    discounts: Vec::new(),
                    vat_rate,
                    label_priced,
                }
            })
    }

    fn any_receipt() -> impl Strategy<Value = Receipt> {
        let shop = (
            odd_text(),
            prop::collection::vec(odd_text(), 0..3),
            odd_text(),
            odd_text(),
        )
            .prop_map(|(name, address_lines, siret, vat_number)| Shop {
                name,
                address_lines,
                siret,
                vat_number,
            });
        let vat_line = (any_rate(), any::<i64>(), any::<i64>(), any::<i64>()).prop_map(
            |(rate, base, vat, total)| VatBreakdownLine {
                rate,
                base: c(base),
                vat: c(vat),
                total: c(total),
            },
        );
        let payment = (
            prop::sample::select(vec![PaymentMethod::Card, PaymentMethod::Cash]),
            any::<i64>(),
        )
            .prop_map(|(method, amount)| (method, c(amount)));
        (
            (
                shop,
                odd_text(),
                odd_text(),
                prop::option::of(odd_text()),
                any::<i64>(),
            ),
            prop::collection::vec(any_line(), 0..6),
            (any::<i64>(), prop::collection::vec(vat_line, 0..5)),
            (prop::collection::vec(payment, 0..3), any::<i64>()),
            (any::<i64>(), odd_text(), any::<bool>(), any::<bool>()),
        )
            .prop_map(
                |(
                    (shop, ticket_number, terminal_id, operator, created_at),
                    lines,
                    (total, vat),
                    (payments, change),
                    (sequence, hash, training, duplicate),
                )| Receipt {
                    shop,
                    ticket_number,
                    terminal_id,
                    operator,
                    created_at,
                    lines,
                    total: c(total),
                    vat,
                    payments,
                    change: c(change),
                    sequence,
                    hash,
                    training,
                    duplicate,
                    code: None,
                    exchange: None,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn no_line_is_wider_than_the_paper(receipt in any_receipt(), width in 1..64_usize) {
            for w in [width, WIDTH_80MM, WIDTH_58MM] {
                let lines = layout(&receipt, w);
                prop_assert!(!lines.is_empty());
                for line in &lines {
                    prop_assert!(line.columns() <= w, "{:?} wider than {}", line, w);
                    let controls = ['\n', '\r', '\u{1B}', '\u{1D}'];
                    prop_assert!(!line.text.contains(controls), "control character in {:?}", line);
                }
                let text = to_text(&lines);
                prop_assert_eq!(text.lines().count(), lines.len());
            }
        }

        #[test]
        fn the_total_and_the_hash_prefix_are_always_there(receipt in any_receipt()) {
            let text = to_text(&layout(&receipt, WIDTH_80MM));
            prop_assert!(text.contains("TOTAL TTC"));
            let sequence = format!("Séquence n° {}", receipt.sequence);
            prop_assert!(text.contains(&sequence), "{} missing", sequence);
        }
    }
}
