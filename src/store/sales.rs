//! Completed sales: the sale, its lines, VAT per rate, payments and this store's stock movements,
//! written in one transaction so that a power cut leaves all of a sale or none of it.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::facts::{DiscountFact, EReceiptFact, Fact, PaymentFact, SaleFact, SaleLineFact};
use super::journal::{self, EntryDraft};
use super::{Result, Store, StoreError};
use crate::domain::basket::{BasketLine, BasketTotals, CancelledLine, VatBreakdownLine};
use crate::domain::gtin::Gtin;
use crate::domain::journal::{
    DigestDiscount, DigestLine, EntryKind, PaymentAmount, VatAmount, lines_digest,
};
use crate::domain::money::Cents;
use crate::domain::payment::PaymentMethod;
use crate::domain::payment::Settlement;
use crate::domain::receipt::{ExchangeNote, ReceiptDiscount, ReceiptLine};
use crate::domain::vat::VatRate;

/// A sale ready to be recorded.
#[derive(Debug)]
pub struct NewSale<'a> {
    pub terminal_id: &'a str,
    pub staff_id: Option<i64>,
    /// Who sold, as the journal names them (a staff login, or "cli").
    pub operator: Option<&'a str>,
    /// Training mode: journaled as such, left out of real totals and closings.
    pub training: bool,
    /// The location the sale happens in: its stock goes down.
    pub here_code: &'a str,
    pub created_at: i64,
    pub lines: &'a [BasketLine],
    pub totals: &'a BasketTotals,
    pub settlement: &'a Settlement,
    /// The customer who identified themselves, and their points on this ticket.
    pub customer: Option<SaleCustomer<'a>>,
    /// Units taken out of the basket before payment: kept in the ticket's journal entry.
    pub cancelled: &'a [CancelledLine],
    /// The open basket this sale pays: dropped in the sale's own transaction, so that a power
    /// cut cannot leave a paid basket open to be paid again.
    pub open_basket: Option<i64>,
    /// Entries journaled with the sale, just before its ticket and referencing it (a manager's
    /// override of an expired or recalled product): the sale and its overrides commit together.
    pub journal_before: &'a [EntryDraft],
    /// The store credit or gift card behind the settlement's `credit` payment.
    pub credit_code: Option<&'a str>,
}

/// The customer of a sale and the loyalty points it moves.
#[derive(Clone, Copy, Debug)]
pub struct SaleCustomer<'a> {
    pub id: &'a str,
    pub points_redeemed: i64,
    pub points_earned: i64,
}

/// What recording a sale gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedSale {
    pub id: i64,
    /// Gap-free per terminal.
    pub seq: i64,
    pub ticket_number: String,
    /// The sale's journal entry: its sequence and hash (printed on the receipt).
    pub journal_sequence: i64,
    pub journal_hash: String,
}

/// What asking for a receipt by e-mail gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailReceipt {
    Queued,
    UnknownTicket,
    /// The sale has no identified customer and no address was typed: nobody to send it to.
    NoCustomer,
    /// What was typed at the counter is not an e-mail address.
    BadAddress,
}

/// An address typed at the counter for one e-receipt: the central uses it for this mail and
/// forgets it afterwards, unless the customer asked to `keep` it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypedEmail<'a> {
    pub address: &'a str,
    pub keep: bool,
}

/// The ticket number printed for a terminal's `seq`-th sale.
pub fn ticket_number(terminal_id: &str, seq: i64) -> String {
    format!("{terminal_id}-{seq:06}")
}

/// The lines cancelled before payment, as the ticket's journal entry keeps them in its `detail`
/// (covered by the entry's hash): `{"cancelled_lines":[…]}` with each line as the lines digest
/// has it, plus who cancelled it and when. `None` when nothing was cancelled, so a ticket without
/// cancellations is journaled exactly as before.
pub(super) fn cancelled_detail(cancelled: &[CancelledLine]) -> Result<Option<String>> {
    if cancelled.is_empty() {
        return Ok(None);
    }
    #[derive(serde::Serialize)]
    struct Cancelled<'a> {
        at: i64,
        #[serde(flatten)]
        line: DigestLine,
        operator: &'a str,
    }
    let lines = cancelled
        .iter()
        .map(|c| {
            let amount = c
                .line
                .line_total()
                .map_err(|e| StoreError::Corrupt(format!("cancelled line amount: {e}")))?;
            Ok(Cancelled {
                at: c.at,
                line: DigestLine {
                    amount: amount.get(),
                    discounts: Vec::new(),
                    gtin: c.line.gtin.clone(),
                    label: c.line.label.clone(),
                    quantity: c.line.quantity,
                    unit_price: c.line.unit_price.get(),
                    vat_rate: c.line.vat_rate.basis_points(),
                },
                operator: &c.operator,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    serde_json::to_string(&serde_json::json!({ "cancelled_lines": lines }))
        .map(Some)
        .map_err(|e| StoreError::Corrupt(format!("cancelled lines: {e}")))
}

impl Store {
    /// Records a completed sale in one transaction (sale, lines, VAT, payments, stock).
    pub fn record_sale(&mut self, sale: &NewSale<'_>) -> Result<RecordedSale> {
        let location_id = self.location_id(sale.here_code)?.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "this store's location {} is not in the database",
                sale.here_code
            ))
        })?;
        // IMMEDIATE takes the write lock first, so the next sequence number cannot be taken by
        // another writer between reading it and using it.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seq: i64 = tx.query_row(
            "SELECT coalesce(max(seq), 0) + 1 FROM sale WHERE terminal_id = ?1",
            params![sale.terminal_id],
            |row| row.get(0),
        )?;
        let ticket = ticket_number(sale.terminal_id, seq);
        tx.execute(
            "INSERT INTO sale (terminal_id, seq, ticket_number, staff_id, location_id, created_at,
                               total_cents, cash_given_cents, change_cents, training, customer)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                sale.terminal_id,
                seq,
                ticket,
                sale.staff_id,
                location_id,
                sale.created_at,
                sale.totals.total.get(),
                sale.settlement.cash_given.map(|c| c.get()),
                sale.settlement.change.get(),
                sale.training,
                sale.customer.map(|c| c.id),
            ],
        )?;
        let sale_id = tx.last_insert_rowid();
        let mut digest_lines = Vec::with_capacity(sale.lines.len());
        {
            let mut line_stmt = tx.prepare_cached(
                "INSERT INTO sale_line (sale_id, line_no, gtin, label, quantity,
                                        unit_price_cents, vat_bp, amount_cents, label_amount,
                                        discount_cents, discounts_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            let mut stock_stmt = tx.prepare_cached(
                "INSERT INTO stock_movement (gtin, location_id, delta, reason, sale_id, created_at)
                 VALUES (?1, ?2, ?3, 'sale', ?4, ?5)",
            )?;
            for (index, line) in sale.lines.iter().enumerate() {
                let gtin = Gtin::parse(&line.gtin)
                    .map_err(|e| StoreError::Corrupt(format!("sale line GTIN: {e}")))?;
                let key = super::catalog::gtin_key(&gtin)?;
                let amount = line
                    .line_total()
                    .map_err(|e| StoreError::Corrupt(format!("sale line amount: {e}")))?;
                let discounts: Vec<DigestDiscount> =
                    line.discounts.iter().map(DigestDiscount::of).collect();
                let discount = line
                    .discount_total()
                    .map_err(|e| StoreError::Corrupt(format!("sale line discount: {e}")))?;
                let discounts_json =
                    if discounts.is_empty() {
                        None
                    } else {
                        Some(serde_json::to_string(&discounts).map_err(|e| {
                            StoreError::Corrupt(format!("sale line discounts: {e}"))
                        })?)
                    };
                digest_lines.push(DigestLine {
                    amount: amount.get(),
                    discounts,
                    gtin: gtin.as_str().to_owned(),
                    label: line.label.clone(),
                    quantity: line.quantity,
                    unit_price: line.unit_price.get(),
                    vat_rate: line.vat_rate.basis_points(),
                });
                line_stmt.execute(params![
                    sale_id,
                    index as i64 + 1,
                    key,
                    line.label,
                    line.quantity,
                    line.unit_price.get(),
                    line.vat_rate.basis_points(),
                    amount.get(),
                    line.amount_override.is_some(),
                    discount.get(),
                    discounts_json,
                ])?;
                stock_stmt.execute(params![
                    key,
                    location_id,
                    -line.quantity,
                    sale_id,
                    sale.created_at
                ])?;
            }
            let mut vat_stmt = tx.prepare_cached(
                "INSERT INTO sale_vat (sale_id, vat_bp, base_cents, vat_cents, total_cents)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for rate in &sale.totals.per_rate {
                vat_stmt.execute(params![
                    sale_id,
                    rate.rate.basis_points(),
                    rate.base.get(),
                    rate.vat.get(),
                    rate.total.get(),
                ])?;
            }
            let mut payment_stmt = tx.prepare_cached(
                "INSERT INTO sale_payment (sale_id, method, amount_cents) VALUES (?1, ?2, ?3)",
            )?;
            for (method, amount) in &sale.settlement.payments {
                payment_stmt.execute(params![sale_id, method.as_str(), amount.get()])?;
            }
        }
        let sale_event = super::outbox::enqueue(
            &tx,
            sale.created_at,
            &Fact::Sale(SaleFact {
                ticket: ticket.clone(),
                terminal: sale.terminal_id.to_owned(),
                store: sale.here_code.to_owned(),
                created_at: sale.created_at,
                training: sale.training,
                total_cents: sale.totals.total.get(),
                lines: digest_lines
                    .iter()
                    .map(|l| SaleLineFact {
                        gtin: l.gtin.clone(),
                        quantity: l.quantity,
                        amount_cents: l.amount,
                        vat_bp: l.vat_rate,
                        discount_cents: l.discounts.iter().map(|d| d.amount).sum(),
                        discounts: l
                            .discounts
                            .iter()
                            .map(|d| DiscountFact {
                                kind: d.kind.clone(),
                                amount_cents: d.amount,
                                promotion_id: d.promotion_id.clone(),
                                reason: d.reason.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
                payments: sale
                    .settlement
                    .payments
                    .iter()
                    .map(|(method, amount)| PaymentFact {
                        method: method.as_str().to_owned(),
                        amount_cents: amount.get(),
                        code: (*method == PaymentMethod::Credit)
                            .then(|| sale.credit_code.map(str::to_owned))
                            .flatten(),
                    })
                    .collect(),
                customer: sale.customer.map(|c| c.id.to_owned()),
            }),
        )?;
        let credit_paid = sale
            .settlement
            .payments
            .iter()
            .find(|(method, _)| *method == PaymentMethod::Credit);
        match (credit_paid, sale.credit_code) {
            (None, _) => {}
            (Some((_, amount)), Some(code)) => super::credit::record_spend(
                &tx,
                sale_id,
                code,
                amount.get(),
                sale_event,
                sale.training,
            )?,
            (Some(_), None) => {
                return Err(StoreError::Corrupt(
                    "a sale paid by credit names no credit code".into(),
                ));
            }
        }
        if let Some(customer) = sale.customer {
            // Redeemed then earned: two movements, each its own event, so the central can
            // arbitrate a redemption without losing what the rest of the ticket earned.
            for points in [-customer.points_redeemed, customer.points_earned] {
                if points != 0 && !sale.training {
                    super::customers::record_loyalty(
                        &tx,
                        customer.id,
                        points,
                        &ticket,
                        sale.terminal_id,
                        sale.created_at,
                    )?;
                }
            }
        }
        // The customer did not ask for paper (French law since 2023): the receipt goes to the
        // central, which makes it available in the customer's account.
        super::outbox::enqueue(
            &tx,
            sale.created_at,
            &Fact::EReceipt(EReceiptFact::of_sale(&ticket, sale.terminal_id)),
        )?;
        for draft in sale.journal_before {
            let mut draft = draft.clone();
            draft.reference = Some(ticket.clone());
            journal::append(&tx, draft)?;
        }
        let (entry, journal_hash) = journal::append(
            &tx,
            EntryDraft {
                terminal: sale.terminal_id.to_owned(),
                created_at: sale.created_at,
                operator: sale.operator.map(str::to_owned),
                kind: EntryKind::Ticket,
                reference: Some(ticket.clone()),
                training: sale.training,
                total: sale.totals.total.get(),
                vat: sale
                    .totals
                    .per_rate
                    .iter()
                    .map(|r| VatAmount {
                        base: r.base.get(),
                        rate: r.rate.basis_points(),
                        total: r.total.get(),
                        vat: r.vat.get(),
                    })
                    .collect(),
                payments: {
                    let mut payments: Vec<PaymentAmount> = sale
                        .settlement
                        .payments
                        .iter()
                        .map(|(method, amount)| PaymentAmount {
                            amount: amount.get(),
                            method: method.as_str().to_owned(),
                        })
                        .collect();
                    payments.sort_by(|a, b| a.method.cmp(&b.method));
                    payments
                },
                detail: cancelled_detail(sale.cancelled)?,
                count: None,
                grand_total: None,
                lines_digest: Some(lines_digest(&digest_lines)),
            },
        )?;
        if let Some(basket) = sale.open_basket {
            super::baskets::delete_paid(&tx, basket)?;
        }
        tx.commit()?;
        Ok(RecordedSale {
            id: sale_id,
            seq,
            ticket_number: ticket,
            journal_sequence: entry.sequence,
            journal_hash,
        })
    }

    /// The total of the sale with this ticket number, if there is one (for checks and tests).
    pub fn sale_total(&self, ticket_number: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT total_cents FROM sale WHERE ticket_number = ?1")?
            .query_row(params![ticket_number], |row| row.get(0))
            .optional()?)
    }

    /// How many sales this database holds.
    pub fn sale_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM sale", [], |row| row.get(0))?)
    }

    /// Queues the request that the central e-mails the receipt of `ticket` to the sale's
    /// customer, at the address the central holds, or to the address `typed` at the counter
    /// (the terminal never sends, nor logs, it; it leaves the outbox once the central has it).
    /// Refused (`Ok` with the reason) when there is no such sale, or it has no customer and no
    /// address was typed, or what was typed is no address.
    pub fn queue_email_receipt(
        &mut self,
        ticket: &str,
        typed: Option<TypedEmail<'_>>,
        now: i64,
    ) -> Result<EmailReceipt> {
        let typed = typed.map(|t| TypedEmail {
            address: t.address.trim(),
            keep: t.keep,
        });
        if typed
            .is_some_and(|t| t.address.len() > 254 || t.address.parse::<lettre::Address>().is_err())
        {
            return Ok(EmailReceipt::BadAddress);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let sale: Option<(String, Option<String>)> = tx
            .query_row(
                "SELECT terminal_id, customer FROM sale WHERE ticket_number = ?1",
                params![ticket],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let (terminal, customer) = match sale {
            None => return Ok(EmailReceipt::UnknownTicket),
            Some((_, None)) if typed.is_none() => return Ok(EmailReceipt::NoCustomer),
            Some((terminal, customer)) => (terminal, customer),
        };
        // The same kind as the receipt every sale makes available in the customer's account,
        // with the delivery asked for: a central that predates it keeps it as an e-receipt.
        let receipt = EReceiptFact {
            ticket: ticket.to_owned(),
            terminal,
            customer,
            delivery: Some("email".to_owned()),
            email: typed.map(|t| t.address.to_owned()),
            keep_email: typed.is_some_and(|t| t.keep),
            code: None,
        };
        super::outbox::enqueue(&tx, now, &Fact::EReceipt(receipt))?;
        tx.commit()?;
        Ok(EmailReceipt::Queued)
    }
}

/// A recorded sale, read back whole (to print its receipt again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSale {
    pub ticket_number: String,
    /// The code of the store (location) where it was sold.
    pub store_code: String,
    pub terminal_id: String,
    pub operator: Option<String>,
    pub created_at: i64,
    pub training: bool,
    pub total: Cents,
    pub change: Cents,
    pub lines: Vec<ReceiptLine>,
    pub vat: Vec<VatBreakdownLine>,
    pub payments: Vec<(PaymentMethod, Cents)>,
    pub journal_sequence: i64,
    pub journal_hash: String,
    /// When the sale is the new ticket of an exchange: what came back.
    pub exchange: Option<ExchangeNote>,
}

impl Store {
    /// Links the new ticket of an exchange to the return that paid it.
    pub fn record_exchange(&self, sale_ticket: &str, return_number: &str, at: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO exchange (sale_ticket, return_number, at) VALUES (?1, ?2, ?3)",
            params![sale_ticket, return_number, at],
        )?;
        Ok(())
    }

    /// What the exchange of `sale_ticket` took back, if the sale is one.
    fn exchange_of(&self, sale_ticket: &str) -> Result<Option<ExchangeNote>> {
        // The return's id, number, sale (store, ticket) and refund.
        type Head = (i64, String, Option<String>, Option<String>, i64);
        let head: Option<Head> = self
            .conn
            .prepare_cached(
                "SELECT r.id, r.number, r.sale_store, r.sale_ticket, r.refund_cents
                 FROM exchange x JOIN order_return r ON r.number = x.return_number
                 WHERE x.sale_ticket = ?1",
            )?
            .query_row(params![sale_ticket], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })
            .optional()?;
        let Some((id, number, store, ticket, total)) = head else {
            return Ok(None);
        };
        let units: Vec<(String, i64, i64)> = self
            .conn
            .prepare_cached(
                "SELECT gtin, quantity, amount_cents FROM order_return_line WHERE return_id = ?1
                 ORDER BY rowid",
            )?
            .query_map(params![id], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut lines = Vec::with_capacity(units.len());
        for (gtin, quantity, amount) in units {
            let name = crate::domain::gtin::Gtin::parse(&gtin)
                .ok()
                .map(|g| self.product(&g))
                .transpose()?
                .flatten()
                .map_or(gtin, |p| p.name);
            lines.push((name, quantity, Cents::new(amount)));
        }
        Ok(Some(ExchangeNote {
            return_ticket: number,
            sale: match (store, ticket) {
                (Some(store), Some(ticket)) => format!("{store}/{ticket}"),
                _ => String::new(),
            },
            lines,
            total: Cents::new(total),
        }))
    }

    /// The sale with this ticket number, with its journal entry's sequence and hash.
    pub fn stored_sale(&self, ticket_number: &str) -> Result<Option<StoredSale>> {
        let head = self
            .conn
            .query_row(
                "SELECT s.id, s.terminal_id, e.operator, s.created_at, s.training, s.total_cents,
                        s.change_cents, e.sequence, e.hash, l.code
                 FROM sale s JOIN journal_entry e ON e.kind = 'ticket'
                      AND e.reference = s.ticket_number AND e.terminal_id = s.terminal_id
                      JOIN location l ON l.id = s.location_id
                 WHERE s.ticket_number = ?1",
                params![ticket_number],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, Option<String>>(2)?,
                        row.get::<_, i64>(3)?,
                        row.get::<_, bool>(4)?,
                        row.get::<_, i64>(5)?,
                        row.get::<_, i64>(6)?,
                        row.get::<_, i64>(7)?,
                        (row.get::<_, String>(8)?, row.get::<_, String>(9)?),
                    ))
                },
            )
            .optional()?;
        let Some((
            id,
            terminal_id,
            operator,
            created_at,
            training,
            total,
            change,
            seq,
            (hash, store_code),
        )) = head
        else {
            return Ok(None);
        };
        let vat_of = |bp: i64| {
            VatRate::from_basis_points(bp).map_err(|e| StoreError::Corrupt(e.to_string()))
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT label, quantity, unit_price_cents, amount_cents, vat_bp, label_amount,
                    discount_cents, discounts_json
             FROM sale_line WHERE sale_id = ?1 ORDER BY line_no",
        )?;
        let rows = stmt.query_map(params![id], |row| {
            Ok((
                (
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, bool>(5)?,
                ),
                (row.get::<_, i64>(6)?, row.get::<_, Option<String>>(7)?),
            ))
        })?;
        let mut lines = Vec::new();
        for row in rows {
            let ((label, quantity, unit_price, amount, vat_bp, label_priced), (off, discounts)) =
                row?;
            let discounts: Vec<DigestDiscount> = match discounts {
                Some(json) => serde_json::from_str(&json)
                    .map_err(|e| StoreError::Corrupt(format!("sale line discounts: {e}")))?,
                None => Vec::new(),
            };
            lines.push(ReceiptLine {
                label,
                quantity,
                // A label's amount is the price before any discount.
                unit_price: Cents::new(if label_priced {
                    amount + off
                } else {
                    unit_price
                }),
                amount: Cents::new(amount),
                discounts: discounts.iter().map(ReceiptDiscount::of).collect(),
                vat_rate: vat_of(vat_bp)?,
                label_priced,
            });
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT vat_bp, base_cents, vat_cents, total_cents FROM sale_vat WHERE sale_id = ?1
             ORDER BY vat_bp DESC",
        )?;
        let rows = stmt.query_map(params![id], |row| {
            Ok((row.get::<_, i64>(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?;
        let mut vat = Vec::new();
        for row in rows {
            let (bp, base, v, t) = row?;
            vat.push(VatBreakdownLine {
                rate: vat_of(bp)?,
                base: Cents::new(base),
                vat: Cents::new(v),
                total: Cents::new(t),
            });
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT method, amount_cents FROM sale_payment WHERE sale_id = ?1 ORDER BY method",
        )?;
        let rows = stmt.query_map(params![id], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })?;
        let mut payments = Vec::new();
        for row in rows {
            let (method, amount) = row?;
            let method = PaymentMethod::parse(&method)
                .ok_or_else(|| StoreError::Corrupt(format!("payment method {method:?}")))?;
            payments.push((method, Cents::new(amount)));
        }
        Ok(Some(StoredSale {
            ticket_number: ticket_number.to_owned(),
            store_code,
            terminal_id,
            operator,
            created_at,
            training,
            total: Cents::new(total),
            change: Cents::new(change),
            lines,
            vat,
            payments,
            journal_sequence: seq,
            journal_hash: hash,
            exchange: self.exchange_of(ticket_number)?,
        }))
    }
}

/// A recorded sale as a return needs it: per line the product, what it paid and its VAT rate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleForReturn {
    pub store_code: String,
    pub terminal_id: String,
    pub training: bool,
    pub customer: Option<String>,
    pub journal_hash: String,
    /// (GTIN-14, label, quantity, amount paid in cents, VAT basis points), in line order.
    pub lines: Vec<(String, String, i64, i64, i64)>,
    /// (method, cents), as paid.
    pub payments: Vec<(String, i64)>,
}

impl Store {
    /// The sale `ticket_number` recorded here, for a return.
    pub fn sale_for_return(&self, ticket_number: &str) -> Result<Option<SaleForReturn>> {
        let head = self
            .conn
            .query_row(
                "SELECT s.id, l.code, s.terminal_id, s.training, s.customer, e.hash
                 FROM sale s JOIN location l ON l.id = s.location_id
                      JOIN journal_entry e ON e.kind = 'ticket'
                      AND e.reference = s.ticket_number AND e.terminal_id = s.terminal_id
                 WHERE s.ticket_number = ?1",
                params![ticket_number],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, bool>(3)?,
                        row.get::<_, Option<String>>(4)?,
                        row.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((id, store_code, terminal_id, training, customer, journal_hash)) = head else {
            return Ok(None);
        };
        let lines = self
            .conn
            .prepare_cached(
                "SELECT printf('%014d', gtin), label, quantity, amount_cents, vat_bp
                 FROM sale_line WHERE sale_id = ?1 ORDER BY line_no",
            )?
            .query_map(params![id], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let payments = self
            .conn
            .prepare_cached(
                "SELECT method, amount_cents FROM sale_payment WHERE sale_id = ?1 ORDER BY method",
            )?
            .query_map(params![id], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Some(SaleForReturn {
            store_code,
            terminal_id,
            training,
            customer,
            journal_hash,
            lines,
            payments,
        }))
    }

    /// The lowest price one unit of `gtin` was sold for here since `since` (Unix seconds),
    /// discounts taken off; `None` when it was not sold here then. Training tickets do not count.
    pub fn lowest_unit_price_since(&self, gtin: &Gtin, since: i64) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT min(l.amount_cents / l.quantity) FROM sale_line l
                   JOIN sale s ON s.id = l.sale_id
                  WHERE l.gtin = ?1 AND s.created_at >= ?2 AND s.training = 0",
            )?
            .query_row(params![super::catalog::gtin_key(gtin)?, since], |row| {
                row.get(0)
            })?)
    }
}
