//! Checking a push batch before anything of it is applied: its size, each event's id and
//! sequence, each fact against the protocol's bounds, and that every fact belongs to the
//! device's own store (atuin's rule: a host only writes its own records). Pure: no SQL, no I/O.
//! An event that fails here is refused alone: kept in the quarantine with its reason and
//! acknowledged, so it is never retried and never holds up the events after it (one bad event
//! must not stop a terminal's sync for ever). Only a batch too large, or an event that cannot be
//! placed in the device's series, is refused whole.
//!
//! Error messages go back to the terminal that sent the batch; they may quote its payload (serde
//! does), so they are never logged.

use crate::store::{Fact, IncomingEvent};
use comptoir_domain::basket::MAX_QUANTITY;
use comptoir_domain::gift_card;
use comptoir_domain::gtin::Gtin;
use comptoir_domain::vat::VatRate;
use comptoir_protocol::{
    AccessPayload, AisleOrderPayload, ConsentPayload, CustomerCreatedPayload, EReceiptPayload,
    EventKind, GiftCardPayload, HandoverPayload, JournalPayload, LoyaltyPayload, MAX_BATCH,
    NotePayload, OutboxEvent, PrivacyRequestPayload, ReturnPayload, SaleLinePayload, SalePayload,
};

/// A push request as the central reads it: each event parsed on its own, so that one event the
/// central cannot read is quarantined instead of failing the whole batch.
#[derive(serde::Deserialize)]
pub struct RawPush {
    pub events: Vec<serde_json::Value>,
}

/// The most points one movement may carry: far above any real ticket, and far enough from
/// `i64::MAX` that a balance can never overflow (SQLite would then fail the whole batch, forever).
pub const MAX_LOYALTY_POINTS: i64 = 100_000_000;

/// The most a ticket may come to: ten times the dearest basket a store of the chain has seen.
/// A total past it is a device gone wrong, not a sale.
pub const MAX_TICKET_CENTS: i64 = 100_000_000;
/// The most lines one ticket may carry.
pub const MAX_SALE_LINES: usize = 1_000;
/// Longest ticket number or terminal id (`T01-000042` is 10).
const MAX_ID_CHARS: usize = 64;
/// A line takes a seller's discount or one rule, rules that stack, and its share of the
/// basket's discount: a few, never dozens.
const MAX_DISCOUNTS_PER_LINE: usize = 16;

/// A sale must be one a till could have recorded: a ticket and terminal named, 1 to
/// [`MAX_SALE_LINES`] lines each a valid GTIN with a quantity the basket allows (1 to
/// [`MAX_QUANTITY`]), a non-negative amount and a French VAT rate; the lines add up to the
/// total, within [`MAX_TICKET_CENTS`]; the payments add up to the total. Anything else would
/// reach stock, revenue and loyalty figures of the whole chain.
fn check_sale(sale: &SalePayload) -> Result<(), String> {
    for (value, what) in [
        (&sale.ticket, "ticket number"),
        (&sale.terminal, "terminal"),
    ] {
        if value.trim().is_empty() || value.chars().count() > MAX_ID_CHARS {
            return Err(format!(
                "the sale's {what} must be 1 to {MAX_ID_CHARS} characters"
            ));
        }
    }
    if sale.lines.is_empty() || sale.lines.len() > MAX_SALE_LINES {
        return Err(format!(
            "a sale has 1 to {MAX_SALE_LINES} lines, this one {}",
            sale.lines.len()
        ));
    }
    let mut lines_total: i64 = 0;
    for line in &sale.lines {
        Gtin::parse(&line.gtin).map_err(|e| format!("a line of the sale: {e}"))?;
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            return Err(format!(
                "a line of the sale has quantity {}: it must be 1 to {MAX_QUANTITY}",
                line.quantity
            ));
        }
        if !(0..=MAX_TICKET_CENTS).contains(&line.amount_cents) {
            return Err(format!(
                "a line of the sale comes to {} cents: it must be 0 to {MAX_TICKET_CENTS}",
                line.amount_cents
            ));
        }
        VatRate::from_basis_points(line.vat_bp).map_err(|e| format!("a line of the sale: {e}"))?;
        check_discounts(line)?;
        // Bounded above, so no overflow: at most 1,000 × 10^8.
        lines_total += line.amount_cents;
    }
    if lines_total != sale.total_cents || sale.total_cents > MAX_TICKET_CENTS {
        return Err(format!(
            "the sale's total {} cents is not its lines' {lines_total} cents (at most {MAX_TICKET_CENTS})",
            sale.total_cents
        ));
    }
    let mut paid: i64 = 0;
    for payment in &sale.payments {
        if !(0..=MAX_TICKET_CENTS).contains(&payment.amount_cents) {
            return Err(format!(
                "a payment of {} cents: it must be 0 to {MAX_TICKET_CENTS}",
                payment.amount_cents
            ));
        }
        if let Some(code) = &payment.code {
            short(code, MAX_ID_CHARS, "credit code")?;
        }
        paid += payment.amount_cents;
    }
    if paid != sale.total_cents {
        return Err(format!(
            "the sale's payments come to {paid} cents, its total to {} cents",
            sale.total_cents
        ));
    }
    Ok(())
}

/// A line's discounts must be what a till gives: each positive, a manual one with a reason and
/// no promotion, a promotion's with its id; together `discount_cents`, and never more than the
/// line would have cost (so a line cannot pay below zero nor be inflated by a discount).
fn check_discounts(line: &SaleLinePayload) -> Result<(), String> {
    if line.discounts.len() > MAX_DISCOUNTS_PER_LINE {
        return Err(format!(
            "a line of the sale has {} discounts, at most {MAX_DISCOUNTS_PER_LINE}",
            line.discounts.len()
        ));
    }
    let mut total: i64 = 0;
    for discount in &line.discounts {
        if !(1..=MAX_TICKET_CENTS).contains(&discount.amount_cents) {
            return Err(format!(
                "a discount of {} cents: it must be 1 to {MAX_TICKET_CENTS}",
                discount.amount_cents
            ));
        }
        let text_ok = |text: &Option<String>, max: usize| {
            text.as_deref()
                .is_some_and(|t| !t.trim().is_empty() && t.chars().count() <= max)
        };
        match discount.kind.as_str() {
            "manual"
                if discount.promotion_id.is_none() && text_ok(&discount.reason, MAX_TEXT_CHARS) => {
            }
            "promotion"
                if discount.reason.is_none() && text_ok(&discount.promotion_id, MAX_ID_CHARS) => {}
            _ => {
                return Err(format!(
                    "a discount of kind {:?} must be `manual` with a reason or `promotion` with its id",
                    discount.kind
                ));
            }
        }
        total += discount.amount_cents;
    }
    if total != line.discount_cents {
        return Err(format!(
            "a line's discounts come to {total} cents, its discount to {} cents",
            line.discount_cents
        ));
    }
    if line.amount_cents + total > MAX_TICKET_CENTS {
        return Err(format!(
            "a line's amount and discounts come to more than {MAX_TICKET_CENTS} cents"
        ));
    }
    Ok(())
}

/// Reads a payload of a known kind, or says why not (`what` names it for the terminal).
fn payload<T: serde::de::DeserializeOwned>(
    value: &serde_json::Value,
    what: &str,
) -> Result<T, String> {
    serde_json::from_value(value.clone()).map_err(|e| format!("the {what} cannot be read: {e}"))
}

/// A customer reference must name someone: the chain's id or the terminal's local one.
fn named(customer: &str, what: &str) -> Result<(), String> {
    if customer.trim().is_empty() || customer.chars().count() > MAX_ID_CHARS {
        Err(format!("the {what} names no customer"))
    } else {
        Ok(())
    }
}

/// The lines of a pickup, a return or an order: at least one, each a valid GTIN with a positive
/// quantity. A zero or negative quantity would move counters backwards (a handover undone by a
/// later "handover"), which no counter ever means.
fn lines_of<'a>(
    lines: impl ExactSizeIterator<Item = (&'a str, i64)>,
    what: &str,
) -> Result<(), String> {
    if lines.len() == 0 {
        return Err(format!("the {what} has no line"));
    }
    if lines.len() > MAX_SALE_LINES {
        return Err(format!("the {what} has more than {MAX_SALE_LINES} lines"));
    }
    for (gtin, quantity) in lines {
        Gtin::parse(gtin).map_err(|e| format!("a line of the {what}: {e}"))?;
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            return Err(format!(
                "a line of the {what} has quantity {quantity}: it must be 1 to {MAX_QUANTITY}"
            ));
        }
    }
    Ok(())
}

/// An order reference must name an order.
fn order_named(id: &str, what: &str) -> Result<(), String> {
    if id.trim().is_empty() || id.chars().count() > MAX_ID_CHARS {
        Err(format!("the {what} names no order"))
    } else {
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("a push batch holds at most {MAX_BATCH} events, this one {count}")]
    TooLarge { count: usize },
    /// An event that cannot even be placed in the device's series: nothing of the batch is
    /// applied (a terminal's outbox never sends one; whatever sent it must be fixed).
    #[error("event {index} of the batch: {reason}")]
    Unplaceable { index: usize, reason: String },
}

/// Why one event of a batch is refused: it is kept in the quarantine with this reason, and the
/// events after it are applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Malformed(String),
    #[error("it is for store {0}, but this device belongs to another store")]
    ForeignStore(String),
    #[error("it is for terminal {0}, but this device enrolled as another terminal")]
    ForeignTerminal(String),
    #[error(
        "its kind {0:?} is unknown to this central (a newer terminal? upgrade the central, the event is kept in its quarantine)"
    )]
    UnknownKind(String),
    #[error("its payload is {0} bytes, the protocol allows {MAX_PAYLOAD_BYTES}")]
    TooBig(usize),
}

/// The most bytes one event's payload may take: a sale of [`MAX_SALE_LINES`] lines is about
/// 100 KiB; anything larger is not a till's fact.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;
/// How much of a refused event's payload the quarantine keeps: enough to see what it was.
pub const QUARANTINE_EXCERPT_BYTES: usize = 4 * 1024;
/// Longest name, staff login, order number, reason… a fact may carry.
pub const MAX_TEXT_CHARS: usize = 200;
/// Longest staff note about a customer.
pub const MAX_NOTE_CHARS: usize = 2_000;
/// Longest e-mail address (RFC 5321's 256-octet path less its angle brackets).
pub const MAX_EMAIL_BYTES: usize = 254;
/// Longest signed receipt code (`CPTR1:…`): its claims and a 64-byte signature in base64url.
const MAX_CODE_CHARS: usize = 1_024;
/// Longest canonical journal entry (the entry's JSON, lines digest included).
const MAX_CANONICAL_BYTES: usize = 64 * 1024;

/// A text of a fact: at most `max` characters.
fn short(value: &str, max: usize, what: &str) -> Result<(), String> {
    let chars = value.chars().count();
    if chars > max {
        Err(format!("its {what} is {chars} characters, at most {max}"))
    } else {
        Ok(())
    }
}

/// Each of `texts` within [`MAX_TEXT_CHARS`].
fn all_short<'a>(texts: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(), String> {
    texts
        .into_iter()
        .try_for_each(|(value, what)| short(value, MAX_TEXT_CHARS, what))
}

/// The batch's events, parsed, checked and sorted by sequence. An event that breaks the
/// protocol's bounds becomes a [`Fact::Refused`] (quarantined, acknowledged, not applied); only
/// a batch too large, or an event without an id or a sequence, is refused whole.
pub fn check_batch(
    events: Vec<serde_json::Value>,
    device_store: &str,
    device_terminal: &str,
) -> Result<Vec<IncomingEvent>, BatchError> {
    if events.len() > MAX_BATCH {
        return Err(BatchError::TooLarge {
            count: events.len(),
        });
    }
    let mut checked = Vec::with_capacity(events.len());
    for (index, raw) in events.into_iter().enumerate() {
        let unplaceable = |reason: &str| BatchError::Unplaceable {
            index: index + 1,
            reason: reason.to_owned(),
        };
        let seq = raw
            .get("seq")
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| unplaceable("it has no integer seq"))?;
        if seq < 1 {
            return Err(unplaceable("device sequences start at 1"));
        }
        let id = raw
            .get("id")
            .and_then(serde_json::Value::as_str)
            .and_then(|id| uuid::Uuid::parse_str(id).ok())
            .ok_or_else(|| unplaceable("its id is not a UUID"))?
            .hyphenated()
            .to_string();
        checked.push(check_event(id, seq, raw, device_store, device_terminal));
    }
    checked.sort_by_key(|e| e.seq);
    Ok(checked)
}

/// One event, checked: applied as its fact, or refused with the reason.
fn check_event(
    id: String,
    seq: i64,
    raw: serde_json::Value,
    device_store: &str,
    device_terminal: &str,
) -> IncomingEvent {
    let raw_kind = raw
        .get("kind")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
        .chars()
        .take(64)
        .collect::<String>();
    let created_at = raw
        .get("created_at")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0);
    let payload_text = raw
        .get("payload")
        .map(serde_json::Value::to_string)
        .unwrap_or_default();
    let outcome = if payload_text.len() > MAX_PAYLOAD_BYTES {
        Err(Refusal::TooBig(payload_text.len()))
    } else {
        serde_json::from_value::<OutboxEvent>(raw)
            .map_err(|e| Refusal::Malformed(format!("the event cannot be read: {e}")))
            .and_then(|event| {
                fact_of(&event, device_store, device_terminal).map(|fact| (event.kind, fact))
            })
            .map_err(|refusal| match refusal {
                Refusal::UnknownKind(_) => Refusal::UnknownKind(raw_kind.clone()),
                other => other,
            })
    };
    match outcome {
        Ok((kind, fact)) => IncomingEvent {
            id,
            seq,
            kind,
            created_at,
            // An address typed at the counter lives in the delivery queue until the mail is
            // sent, never in the event log, which keeps payloads for good.
            payload: match &fact {
                Fact::EReceipt(r) if r.email.is_some() => without_email(&payload_text),
                _ => payload_text,
            },
            fact,
        },
        Err(refusal) => IncomingEvent {
            id,
            seq,
            kind: EventKind::Other,
            created_at,
            payload: excerpt(&payload_text),
            fact: Fact::Refused {
                kind: raw_kind,
                reason: refusal.to_string(),
            },
        },
    }
}

/// `payload` (a JSON object) without its `email` field.
fn without_email(payload: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(payload) {
        Ok(serde_json::Value::Object(mut fields)) => {
            fields.remove("email");
            serde_json::Value::Object(fields).to_string()
        }
        // Only an object parses as an e-receipt: nothing else reaches here.
        _ => String::new(),
    }
}

/// The head of a refused payload, cut on a character boundary.
fn excerpt(text: &str) -> String {
    if text.len() <= QUARANTINE_EXCERPT_BYTES {
        return text.to_owned();
    }
    let mut end = QUARANTINE_EXCERPT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// What an event of a known kind means, checked against the protocol's bounds.
pub fn fact_of(
    event: &OutboxEvent,
    device_store: &str,
    device_terminal: &str,
) -> Result<Fact, Refusal> {
    let malformed = Refusal::Malformed;
    // Any fact that names a store must name this device's, and any that names a terminal the
    // one it enrolled as: whatever its kind, so that a newer terminal's facts are held to the
    // same rule. One device cannot write another terminal's tickets (nor blame it for a
    // ticket number seen twice).
    if let Some(store) = event.payload.get("store").and_then(|s| s.as_str())
        && store != device_store
    {
        return Err(Refusal::ForeignStore(
            store.chars().take(MAX_ID_CHARS).collect(),
        ));
    }
    if let Some(terminal) = event.payload.get("terminal").and_then(|s| s.as_str())
        && terminal != device_terminal
    {
        return Err(Refusal::ForeignTerminal(
            terminal.chars().take(MAX_ID_CHARS).collect(),
        ));
    }
    let fact = match event.kind {
        EventKind::Sale => {
            let sale: SalePayload = payload(&event.payload, "sale").map_err(malformed)?;
            check_sale(&sale).map_err(malformed)?;
            if let Some(customer) = &sale.customer {
                short(customer, MAX_ID_CHARS, "customer").map_err(malformed)?;
            }
            Fact::Sale(sale)
        }
        EventKind::JournalEntry => {
            let entry: JournalPayload =
                payload(&event.payload, "journal entry").map_err(malformed)?;
            all_short([(entry.terminal.as_str(), "terminal"), (&entry.hash, "hash")])
                .map_err(malformed)?;
            if entry.sequence < 1 || entry.canonical.len() > MAX_CANONICAL_BYTES {
                return Err(malformed(format!(
                    "a journal entry has a sequence from 1 and a canonical form of at most {MAX_CANONICAL_BYTES} bytes"
                )));
            }
            Fact::Journal(entry)
        }
        EventKind::CustomerCreated => {
            let c: CustomerCreatedPayload =
                payload(&event.payload, "customer creation").map_err(malformed)?;
            if c.local_id.trim().is_empty() {
                return Err(malformed("the new customer has no local id".into()));
            }
            if c.first_name.trim().is_empty() && c.last_name.trim().is_empty() {
                return Err(malformed("the new customer has no name".into()));
            }
            all_short([
                (c.local_id.as_str(), "local id"),
                (&c.first_name, "first name"),
                (&c.last_name, "last name"),
                (c.email.as_deref().unwrap_or(""), "e-mail"),
                (c.phone.as_deref().unwrap_or(""), "phone"),
            ])
            .map_err(malformed)?;
            Fact::CustomerCreated(c)
        }
        EventKind::Consent => {
            let c: ConsentPayload = payload(&event.payload, "consent").map_err(malformed)?;
            named(&c.customer, "consent").map_err(malformed)?;
            all_short([(c.customer.as_str(), "customer"), (&c.staff, "staff")])
                .map_err(malformed)?;
            Fact::Consent(c)
        }
        EventKind::CustomerNote => {
            let n: NotePayload = payload(&event.payload, "note").map_err(malformed)?;
            named(&n.customer, "note").map_err(malformed)?;
            all_short([(n.customer.as_str(), "customer"), (&n.author, "author")])
                .map_err(malformed)?;
            short(&n.text, MAX_NOTE_CHARS, "note").map_err(malformed)?;
            Fact::Note(n)
        }
        EventKind::CustomerAccess => {
            let a: AccessPayload = payload(&event.payload, "access record").map_err(malformed)?;
            named(&a.customer, "access record").map_err(malformed)?;
            all_short([
                (a.customer.as_str(), "customer"),
                (&a.staff, "staff"),
                (&a.terminal, "terminal"),
            ])
            .map_err(malformed)?;
            Fact::Access(a)
        }
        EventKind::PrivacyRequest => {
            let r: PrivacyRequestPayload =
                payload(&event.payload, "privacy request").map_err(malformed)?;
            named(&r.customer, "privacy request").map_err(malformed)?;
            all_short([(r.customer.as_str(), "customer"), (&r.staff, "staff")])
                .map_err(malformed)?;
            Fact::PrivacyRequest(r)
        }
        EventKind::Loyalty => {
            let l: LoyaltyPayload =
                payload(&event.payload, "loyalty movement").map_err(malformed)?;
            named(&l.customer, "loyalty movement").map_err(malformed)?;
            all_short([
                (l.customer.as_str(), "customer"),
                (&l.ticket, "ticket"),
                (&l.terminal, "terminal"),
            ])
            .map_err(malformed)?;
            if l.points.unsigned_abs() > MAX_LOYALTY_POINTS.unsigned_abs() {
                return Err(malformed(format!(
                    "a loyalty movement carries at most {MAX_LOYALTY_POINTS} points, this one {}",
                    l.points
                )));
            }
            Fact::Loyalty(l)
        }
        // What needs the central's data (is the order known, are these its products) is
        // decided when applied: a handover or a return is a fact of the counter and is kept
        // whatever the central makes of it. Here only what no data can fix is refused.
        EventKind::Handover => {
            let h: HandoverPayload = payload(&event.payload, "handover").map_err(malformed)?;
            order_named(&h.order_id, "handover").map_err(malformed)?;
            if h.handover_id.trim().is_empty() {
                return Err(malformed("the handover has no handover_id".into()));
            }
            all_short([
                (h.handover_id.as_str(), "handover id"),
                (&h.order_id, "order"),
                (&h.terminal, "terminal"),
                (&h.staff, "staff"),
            ])
            .map_err(malformed)?;
            lines_of(
                h.lines.iter().map(|l| (l.gtin.as_str(), l.quantity)),
                "handover",
            )
            .map_err(malformed)?;
            Fact::Handover(h)
        }
        EventKind::Return => {
            let r: ReturnPayload = payload(&event.payload, "return").map_err(malformed)?;
            order_named(&r.order_id, "return").map_err(malformed)?;
            all_short([
                (r.ticket.as_str(), "ticket"),
                (&r.order_id, "order"),
                (&r.terminal, "terminal"),
                (&r.staff, "staff"),
                (&r.refund, "refund method"),
                (r.credit_code.as_deref().unwrap_or(""), "credit code"),
                (r.customer.as_deref().unwrap_or(""), "customer"),
                (
                    r.sale.as_ref().map_or("", |s| s.store.as_str()),
                    "sale's store",
                ),
                (
                    r.sale.as_ref().map_or("", |s| s.ticket.as_str()),
                    "sale's ticket",
                ),
            ])
            .map_err(malformed)?;
            lines_of(
                r.lines.iter().map(|l| (l.gtin.as_str(), l.quantity)),
                "return",
            )
            .map_err(malformed)?;
            let in_bounds = |cents: i64| (0..=MAX_TICKET_CENTS).contains(&cents);
            if !in_bounds(r.refund_cents) || r.lines.iter().any(|l| !in_bounds(l.amount_cents)) {
                return Err(malformed(format!(
                    "a return's refund and line amounts are 0 to {MAX_TICKET_CENTS} cents"
                )));
            }
            Fact::Return(r)
        }
        EventKind::AisleOrder => {
            let o: AisleOrderPayload = payload(&event.payload, "aisle order").map_err(malformed)?;
            order_named(&o.order_number, "aisle order").map_err(malformed)?;
            named(&o.customer, "aisle order").map_err(malformed)?;
            all_short([
                (o.order_number.as_str(), "order number"),
                (&o.customer, "customer"),
                (&o.terminal, "terminal"),
                (&o.staff, "staff"),
                (o.ship_from.as_deref().unwrap_or(""), "shipping location"),
            ])
            .map_err(malformed)?;
            lines_of(
                o.lines.iter().map(|l| (l.gtin.as_str(), l.quantity)),
                "aisle order",
            )
            .map_err(malformed)?;
            if o.lines
                .iter()
                .any(|l| !(0..=MAX_TICKET_CENTS).contains(&l.price_cents))
            {
                return Err(malformed(format!(
                    "an aisle order line's price is 0 to {MAX_TICKET_CENTS} cents"
                )));
            }
            match (o.delivery.as_str(), o.pickup_store.as_deref()) {
                ("home", _) => {}
                ("pickup", Some(store))
                    if !store.trim().is_empty() && store.chars().count() <= MAX_ID_CHARS => {}
                ("pickup", _) => {
                    return Err(malformed(
                        "an aisle order for pickup names no pickup_store".into(),
                    ));
                }
                (other, _) => {
                    return Err(malformed(format!(
                        "an aisle order's delivery is \"home\" or \"pickup\", not {:?}",
                        other.chars().take(MAX_ID_CHARS).collect::<String>()
                    )));
                }
            }
            Fact::AisleOrder(o)
        }
        EventKind::EReceipt
            if event.payload.get("delivery").and_then(|d| d.as_str()) == Some("email") =>
        {
            let r: EReceiptPayload = payload(&event.payload, "e-receipt").map_err(malformed)?;
            all_short([
                (r.ticket.as_str(), "ticket"),
                (&r.terminal, "terminal"),
                (r.customer.as_deref().unwrap_or(""), "customer"),
            ])
            .map_err(malformed)?;
            if r.ticket.trim().is_empty() {
                return Err(malformed("the e-receipt names no ticket".into()));
            }
            // RFC 5321 § 4.5.3.1.3: a path is at most 256 octets, so an address at most 254.
            // Whether it is one is the delivery's to say (a refusal there is kept and shown).
            if r.email.as_ref().is_some_and(|e| e.len() > MAX_EMAIL_BYTES) {
                return Err(malformed(format!(
                    "the e-receipt's address is longer than {MAX_EMAIL_BYTES} bytes"
                )));
            }
            short(
                r.code.as_deref().unwrap_or(""),
                MAX_CODE_CHARS,
                "receipt code",
            )
            .map_err(malformed)?;
            Fact::EReceipt(r)
        }
        EventKind::GiftCard => {
            let g: GiftCardPayload = payload(&event.payload, "gift card").map_err(malformed)?;
            all_short([
                (g.code.as_str(), "gift card code"),
                (&g.ticket, "ticket"),
                (&g.terminal, "terminal"),
            ])
            .map_err(malformed)?;
            if g.code.trim().is_empty() || g.ticket.trim().is_empty() {
                return Err(malformed("a gift card names no code or no ticket".into()));
            }
            let paid: i64 = g.payments.iter().map(|p| p.amount_cents).sum();
            if !(gift_card::MIN_CENTS..=gift_card::MAX_CENTS).contains(&g.amount_cents)
                || paid != g.amount_cents
                || g.payments
                    .iter()
                    .any(|p| p.amount_cents <= 0 || p.method == "credit")
            {
                return Err(malformed(format!(
                    "a gift card is sold for {} to {} cents, paid in full by card or cash",
                    gift_card::MIN_CENTS,
                    gift_card::MAX_CENTS
                )));
            }
            Fact::GiftCard(g)
        }
        EventKind::Closing | EventKind::EReceipt | EventKind::StockCount => Fact::Recorded,
        EventKind::Other => return Err(Refusal::UnknownKind(String::new())),
    };
    Ok(fact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn batch(events: Vec<OutboxEvent>) -> Vec<serde_json::Value> {
        events
            .into_iter()
            .map(|e| serde_json::to_value(e).expect("json"))
            .collect()
    }

    /// The reason `event` is quarantined for, or None when it is applied.
    fn refusal(event: OutboxEvent) -> Option<String> {
        let checked = check_batch(batch(vec![event]), "PAR-01", "T01").expect("placeable");
        match &checked[0].fact {
            Fact::Refused { reason, .. } => Some(reason.clone()),
            _ => None,
        }
    }

    fn event(seq: i64, kind: EventKind, payload: serde_json::Value) -> OutboxEvent {
        OutboxEvent {
            id: uuid::Uuid::new_v4().to_string(),
            seq,
            kind,
            created_at: 1,
            payload,
        }
    }

    fn sale(store: &str) -> serde_json::Value {
        json!({"ticket": "T1", "terminal": "T01", "store": store, "created_at": 1,
               "training": false, "total_cents": 100,
               "lines": [{"gtin": "03760000000017", "quantity": 2, "amount_cents": 100,
                          "vat_bp": 2000}],
               "payments": [{"method": "card", "amount_cents": 100}]})
    }

    /// Issue 19: a sale no till could have recorded is refused before anything is applied.
    #[test]
    fn a_sale_no_till_could_record_is_refused() {
        type Spoil = fn(&mut serde_json::Value);
        let hostile: Vec<(&str, Spoil)> = vec![
            ("negative quantity", |s| {
                s["lines"][0]["quantity"] = json!(-1_000)
            }),
            ("zero quantity", |s| s["lines"][0]["quantity"] = json!(0)),
            ("10^12 units", |s| {
                s["lines"][0]["quantity"] = json!(1_000_000_000_000i64)
            }),
            ("i64::MAX units", |s| {
                s["lines"][0]["quantity"] = json!(i64::MAX)
            }),
            ("not a GTIN", |s| {
                s["lines"][0]["gtin"] = json!("not-a-gtin")
            }),
            ("bad check digit", |s| {
                s["lines"][0]["gtin"] = json!("03760000000018")
            }),
            ("a total over its lines", |s| {
                s["total_cents"] = json!(999_999_999_999i64);
                s["payments"][0]["amount_cents"] = json!(999_999_999_999i64);
            }),
            ("payments short of the total", |s| {
                s["payments"][0]["amount_cents"] = json!(1)
            }),
            ("a negative line", |s| {
                s["lines"][0]["amount_cents"] = json!(-100)
            }),
            ("an unknown VAT rate", |s| {
                s["lines"][0]["vat_bp"] = json!(1234)
            }),
            ("no line", |s| {
                s["lines"] = json!([]);
                s["total_cents"] = json!(0);
                s["payments"] = json!([]);
            }),
            ("a 1 MB ticket number", |s| {
                s["ticket"] = json!("T".repeat(1 << 20))
            }),
        ];
        for (what, spoil) in hostile {
            let mut payload = sale("PAR-01");
            spoil(&mut payload);
            assert!(
                refusal(event(1, EventKind::Sale, payload)).is_some(),
                "{what} was accepted"
            );
        }
        assert_eq!(refusal(event(1, EventKind::Sale, sale("PAR-01"))), None);
    }

    /// Issue 16: an e-receipt asking for e-mail is queued, with the typed address kept out of
    /// the payload the event log stores; the receipt every sale makes is only recorded.
    #[test]
    fn an_emailed_receipt_is_queued_without_its_address_in_the_log() {
        let asked = json!({"ticket": "T01-000001", "terminal": "T01", "delivery": "email",
                           "email": "zoe.testeuse@example.org", "code": "CPTR1:x"});
        let checked = check_batch(
            batch(vec![event(1, EventKind::EReceipt, asked)]),
            "PAR-01",
            "T01",
        )
        .expect("placeable");
        assert!(matches!(&checked[0].fact, Fact::EReceipt(r)
                if r.email.as_deref() == Some("zoe.testeuse@example.org")
                    && r.code.as_deref() == Some("CPTR1:x")));
        assert!(!checked[0].payload.contains('@'), "{}", checked[0].payload);
        assert!(checked[0].payload.contains("T01-000001"));
        let plain = json!({"ticket": "T01-000001", "terminal": "T01"});
        let checked = check_batch(
            batch(vec![event(1, EventKind::EReceipt, plain)]),
            "PAR-01",
            "T01",
        )
        .expect("placeable");
        assert!(matches!(checked[0].fact, Fact::Recorded));
        for bad in [
            json!({"ticket": 42, "terminal": "T01", "delivery": "email"}),
            json!({"ticket": "", "terminal": "T01", "delivery": "email"}),
            json!({"ticket": "T1", "terminal": "T01", "delivery": "email",
                   "email": format!("{}@example.org", "a".repeat(300))}),
        ] {
            assert!(refusal(event(1, EventKind::EReceipt, bad)).is_some());
        }
    }

    #[test]
    fn events_come_out_in_sequence_order() {
        let request = batch(vec![
            event(3, EventKind::Closing, json!({})),
            event(1, EventKind::Sale, sale("PAR-01")),
            event(2, EventKind::Other, json!({"x": 1})),
        ]);
        let events = check_batch(request, "PAR-01", "T01").expect("valid");
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
        assert!(matches!(events[0].fact, Fact::Sale(_)));
        // The unknown kind is refused alone, named in its reason; the others stand.
        assert!(
            matches!(&events[1].fact, Fact::Refused { reason, .. } if reason.contains("\"other\"")),
            "{:?}",
            events[1].fact
        );
        assert!(matches!(events[2].fact, Fact::Recorded));
    }

    #[test]
    fn refusals() {
        type Expected = fn(&str) -> bool;
        let cases: Vec<(OutboxEvent, Expected)> = vec![
            (event(1, EventKind::Sale, sale("LYO-01")), |e| {
                e.contains("another store")
            }),
            (
                event(
                    1,
                    EventKind::Sale,
                    json!({"ticket": "T02-000001", "terminal": "T02", "store": "PAR-01"}),
                ),
                |e| e.contains("another terminal"),
            ),
            (
                event(1, EventKind::Return, json!({"store": "LYO-01"})),
                |e| e.contains("another store"),
            ),
            (event(1, EventKind::Sale, json!({"ticket": 3})), |e| {
                !e.is_empty()
            }),
            // Clienteling facts: read and checked like sales, held to the store rule.
            (
                event(
                    1,
                    EventKind::CustomerCreated,
                    json!({"local_id": "L-1", "first_name": "Léa", "last_name": "Martin",
                           "store": "LYO-01", "created_at": 1}),
                ),
                |e| e.contains("another store"),
            ),
            (
                event(
                    1,
                    EventKind::CustomerCreated,
                    json!({"local_id": " ", "first_name": "Léa", "last_name": "Martin",
                           "store": "PAR-01", "created_at": 1}),
                ),
                |e| !e.is_empty(),
            ),
            (
                event(
                    1,
                    EventKind::Consent,
                    json!({"customer": "C1", "channel": "fax", "granted": true, "at": 1,
                           "staff": "camille"}),
                ),
                |e| !e.is_empty(),
            ),
            (
                event(
                    1,
                    EventKind::CustomerNote,
                    json!({"customer": "", "text": "x", "author": "camille", "at": 1}),
                ),
                |e| !e.is_empty(),
            ),
            (
                event(
                    1,
                    EventKind::Loyalty,
                    json!({"customer": "C1", "points": i64::MIN, "ticket": "T", "terminal": "T01",
                           "at": 1}),
                ),
                |e| !e.is_empty(),
            ),
            (
                event(
                    1,
                    EventKind::PrivacyRequest,
                    json!({"customer": "C1", "kind": "forget_me", "staff": "camille",
                           "store": "PAR-01", "at": 1}),
                ),
                |e| !e.is_empty(),
            ),
            // Issue 9: what no data at the central can make sense of.
            (
                event(
                    1,
                    EventKind::Handover,
                    json!({"handover_id": "h", "order_id": "CC1", "store": "PAR-01",
                           "terminal": "T01", "staff": "camille", "at": 1, "complete": true,
                           "lines": [{"gtin": "03760000000017", "quantity": 0}]}),
                ),
                |e| !e.is_empty(),
            ),
            (
                event(
                    1,
                    EventKind::Handover,
                    json!({"handover_id": "h", "order_id": "CC1", "store": "LYO-01",
                           "terminal": "T01", "staff": "camille", "at": 1, "complete": true,
                           "lines": [{"gtin": "03760000000017", "quantity": 1}]}),
                ),
                |e| e.contains("another store"),
            ),
            (
                event(
                    1,
                    EventKind::Return,
                    json!({"ticket": "R1", "order_id": "W1", "store": "PAR-01",
                           "terminal": "T01", "staff": "camille", "at": 1, "lines": [],
                           "refund": "card", "refund_cents": 0}),
                ),
                |e| !e.is_empty(),
            ),
            (
                event(
                    1,
                    EventKind::AisleOrder,
                    json!({"order_number": "A1", "customer": "C1", "store": "PAR-01",
                           "terminal": "T01", "staff": "camille", "at": 1, "delivery": "pickup",
                           "lines": [{"gtin": "03760000000017", "quantity": 1,
                                      "price_cents": 100}]}),
                ),
                |e| !e.is_empty(),
            ),
        ];
        for (event, expected) in cases {
            let reason = refusal(event.clone()).expect("refused");
            assert!(expected(&reason), "{event:?} gave {reason:?}");
        }
        // What cannot be placed in the device's series refuses the batch.
        for unplaceable in [
            event(0, EventKind::Closing, json!({})),
            OutboxEvent {
                id: "not-a-uuid".into(),
                ..event(1, EventKind::Closing, json!({}))
            },
        ] {
            assert!(matches!(
                check_batch(batch(vec![unplaceable]), "PAR-01", "T01"),
                Err(BatchError::Unplaceable { index: 1, .. })
            ));
        }
        let too_many = batch(
            (1..=MAX_BATCH as i64 + 1)
                .map(|s| event(s, EventKind::Other, json!({})))
                .collect(),
        );
        assert!(matches!(
            check_batch(too_many, "PAR-01", "T01"),
            Err(BatchError::TooLarge { .. })
        ));
    }

    /// Issue 19, finding 3: what one enrolled device pushed and the central took.
    #[test]
    fn hostile_facts_of_every_kind_are_refused_alone() {
        let megabyte = "x".repeat(1 << 20);
        let cases = vec![
            (
                "an aisle order of 10^15 units",
                event(
                    1,
                    EventKind::AisleOrder,
                    json!({"order_number": "EA-1", "customer": "C1", "store": "PAR-01",
                           "terminal": "T01", "staff": "camille", "at": 1, "delivery": "home",
                           "ship_from": "LYO-01",
                           "lines": [{"gtin": "03760000000017", "quantity": 1_000_000_000_000_000i64,
                                      "price_cents": 100}]}),
                ),
            ),
            (
                "a return of 10^15 units",
                event(
                    1,
                    EventKind::Return,
                    json!({"ticket": "R1", "order_id": "W-404", "store": "PAR-01",
                           "terminal": "T01", "staff": "camille", "at": 1,
                           "lines": [{"gtin": "03760000000017", "quantity": 1_000_000_000_000_000i64,
                                      "amount_cents": 100, "vat_bp": 2000}],
                           "refund": "card", "refund_cents": 100}),
                ),
            ),
            (
                "+100,000,001 loyalty points",
                event(
                    1,
                    EventKind::Loyalty,
                    json!({"customer": "C1", "points": 100_000_001, "ticket": "T01-000001",
                           "terminal": "T01", "at": 1}),
                ),
            ),
            (
                "a 1 MB first name",
                event(
                    1,
                    EventKind::CustomerCreated,
                    json!({"local_id": "L-1", "first_name": megabyte, "last_name": "Martin",
                           "store": "PAR-01", "created_at": 1}),
                ),
            ),
            (
                "a 3,000-character note",
                event(
                    1,
                    EventKind::CustomerNote,
                    json!({"customer": "C1", "text": "n".repeat(3_000), "author": "camille",
                           "at": 1}),
                ),
            ),
            (
                "a 300 KiB payload of a kept-only kind",
                event(
                    1,
                    EventKind::Closing,
                    json!({"blob": "b".repeat(300 * 1024)}),
                ),
            ),
        ];
        for (what, hostile) in cases {
            assert!(refusal(hostile).is_some(), "{what} was accepted");
        }
        // An unknown kind is refused, named, with its payload's head kept.
        let mut unknown =
            serde_json::to_value(event(1, EventKind::Other, json!({"x": 1}))).expect("json");
        unknown["kind"] = json!("parcel_locker");
        let checked = check_batch(vec![unknown], "PAR-01", "T01").expect("placeable");
        match &checked[0].fact {
            Fact::Refused { kind, reason } => {
                assert_eq!(kind, "parcel_locker");
                assert!(reason.contains("parcel_locker"), "{reason}");
            }
            other => panic!("applied: {other:?}"),
        }
        // A refused payload is kept short.
        let big = event(
            1,
            EventKind::Closing,
            json!({"blob": "b".repeat(300 * 1024)}),
        );
        let checked = check_batch(batch(vec![big]), "PAR-01", "T01").expect("placeable");
        assert!(checked[0].payload.len() <= QUARANTINE_EXCERPT_BYTES + "…".len());
        // An event whose shape is wrong (a string for a number) is refused alone too.
        let mut odd = serde_json::to_value(event(2, EventKind::Closing, json!({}))).expect("json");
        odd["created_at"] = json!("yesterday");
        let checked = check_batch(
            vec![
                serde_json::to_value(event(1, EventKind::Sale, sale("PAR-01"))).expect("json"),
                odd,
            ],
            "PAR-01",
            "T01",
        )
        .expect("placeable");
        assert!(matches!(checked[0].fact, Fact::Sale(_)));
        assert!(matches!(checked[1].fact, Fact::Refused { .. }));
    }
}
