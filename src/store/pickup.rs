//! Click-and-collect orders pulled for this store, the handovers made here, online orders
//! fetched for a return, returns of online orders (stock back, journal entry, event, in one
//! transaction) and the orders taken at the counter (endless aisle).

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::facts::{
    AisleLine, AisleOrderFact, Fact, HandoverFact, PaymentFact, ReturnFact, ReturnLineFact,
    ReturnedSale,
};
use super::journal::{self, EntryDraft};
use super::received::{OnlineOrder, PulledPickupOrder};
use super::{Result, Store, StoreError, outbox};
use crate::domain::gtin::Gtin;
use crate::domain::journal::{EntryKind, PaymentAmount, VatAmount};
use crate::domain::money::Cents;
use crate::domain::pickup::{RefundLine, Units, remaining};
use crate::domain::vat::VatRate;

/// A click-and-collect order as this terminal knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickupOrder {
    pub id: String,
    pub store: String,
    pub customer: String,
    pub customer_first_name: Option<String>,
    /// As the central last said: "ready", "handed_over", "conflict"…
    pub status: String,
    pub created_at: i64,
    pub lines: Vec<Units>,
    /// Handed over, as the central knows it.
    pub handed_central: Vec<Units>,
    /// Handed over at this terminal.
    pub handed_here: Vec<Units>,
    /// The central's account of a conflict (handed over at two counters…), in English for the
    /// CLI.
    pub conflict: Option<String>,
    /// The same as the central's kind ("handed_twice"…) and the counters involved, for the
    /// screen to word. None from a central older than the kinds.
    pub conflict_kind: Option<String>,
    pub conflict_counters: Vec<String>,
}

impl PickupOrder {
    /// What is still to hand over.
    pub fn left(&self) -> Vec<Units> {
        remaining(&self.lines, &self.handed_central, &self.handed_here)
    }

    /// Handed over in part: something was handed and something is left.
    pub fn partly_handed(&self) -> bool {
        let left: i64 = self.left().iter().map(|u| u.quantity).sum();
        let ordered: i64 = self.lines.iter().map(|u| u.quantity).sum();
        left > 0 && left < ordered
    }
}

fn parse_units(json: &str, what: &str) -> Result<Vec<Units>> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn to_json(value: &impl serde::Serialize, what: &str) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Writes an order the central sent (pull).
pub(super) fn apply_order(tx: &Transaction<'_>, o: &PulledPickupOrder) -> Result<()> {
    let lines = to_json(&o.lines, "pickup lines")?;
    let handed = to_json(&o.handed, "handed lines")?;
    tx.prepare_cached(
        "INSERT INTO pickup_order (id, store, customer, status, created_at, lines_json,
                                   customer_first_name, handed_json, conflict, conflict_kind,
                                   conflict_counters)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status,
             lines_json = excluded.lines_json, customer = excluded.customer,
             customer_first_name = excluded.customer_first_name,
             handed_json = excluded.handed_json, conflict = excluded.conflict,
             conflict_kind = excluded.conflict_kind,
             conflict_counters = excluded.conflict_counters",
    )?
    .execute(params![
        o.id,
        o.store,
        o.customer,
        o.status,
        o.created_at,
        lines,
        o.customer_first_name,
        handed,
        o.conflict,
        o.conflict_kind,
        to_json(&o.conflict_counters, "conflict counters")?
    ])?;
    Ok(())
}

const ORDER_COLUMNS: &str = "id, store, customer, customer_first_name, status, created_at,
    lines_json, handed_json, conflict, conflict_kind, conflict_counters";

fn read_order(conn: &Connection, row: &rusqlite::Row<'_>) -> Result<PickupOrder> {
    let id: String = row.get(0)?;
    let lines: String = row.get(6)?;
    let handed: String = row.get(7)?;
    Ok(PickupOrder {
        handed_here: handed_here(conn, &id)?,
        id,
        store: row.get(1)?,
        customer: row.get(2)?,
        customer_first_name: row.get(3)?,
        status: row.get(4)?,
        created_at: row.get(5)?,
        lines: parse_units(&lines, "pickup lines")?,
        handed_central: parse_units(&handed, "handed lines")?,
        conflict: row.get(8)?,
        conflict_kind: row.get(9)?,
        conflict_counters: match row.get::<_, Option<String>>(10)? {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("conflict counters: {e}")))?,
            None => Vec::new(),
        },
    })
}

/// Everything handed over at this terminal for `order_id`.
fn handed_here(conn: &Connection, order_id: &str) -> Result<Vec<Units>> {
    let mut stmt = conn.prepare_cached("SELECT lines_json FROM handover WHERE order_id = ?1")?;
    let rows = stmt.query_map(params![order_id], |row| row.get::<_, String>(0))?;
    let mut all = Vec::new();
    for json in rows {
        all.extend(parse_units(&json?, "handover lines")?);
    }
    Ok(all)
}

/// A return to record (already checked by the domain).
#[derive(Clone, Debug)]
pub struct NewReturn<'a> {
    pub order_id: &'a str,
    pub customer: Option<&'a str>,
    pub lines: &'a [RefundLine],
    /// "card", "cash" or "credit"; with `refunds`, the first of them.
    pub refund: &'a str,
    /// A refund split over several methods (a sale paid by card and cash refunded to both):
    /// each method and its amount, positive, adding up to the lines'; empty when `refund` takes
    /// it all.
    pub refunds: &'a [(String, i64)],
    /// The in-store sale the goods came from; `None` for an online order.
    pub sale: Option<&'a ReturnedSale>,
    pub terminal: &'a str,
    pub here_code: &'a str,
    pub staff: &'a str,
    pub training: bool,
    pub at: i64,
}

/// What recording a return gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedReturn {
    pub number: String,
    /// The method the refund went to (the first, when split).
    pub refund: String,
    /// Each method and its part, when the refund was split; empty otherwise.
    pub refunds: Vec<(String, i64)>,
    pub refund_cents: i64,
    pub credit_code: Option<String>,
    pub journal_sequence: i64,
    pub journal_hash: String,
}

impl Store {
    /// Adds an order as a pull would (the demo store's orders, with no central).
    pub fn add_pickup_order(&mut self, order: &PulledPickupOrder) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        apply_order(&tx, order)?;
        tx.commit()?;
        Ok(())
    }

    /// This store's click-and-collect orders: waiting ones first (conflicts, then the oldest).
    pub fn pickup_orders(&self, store_code: &str) -> Result<Vec<PickupOrder>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM pickup_order WHERE store = ?1
             ORDER BY conflict IS NULL, status <> 'ready', created_at"
        ))?;
        let mut rows = stmt.query(params![store_code])?;
        let mut orders = Vec::new();
        while let Some(row) = rows.next()? {
            orders.push(read_order(&self.conn, row)?);
        }
        Ok(orders)
    }

    pub fn pickup_order(&self, id: &str) -> Result<Option<PickupOrder>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM pickup_order WHERE id = ?1"
        ))?;
        let mut rows = stmt.query(params![id])?;
        match rows.next()? {
            Some(row) => Ok(Some(read_order(&self.conn, row)?)),
            None => Ok(None),
        }
    }

    /// Records a handover (checked by the app) and its event, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub fn record_handover(
        &mut self,
        order_id: &str,
        lines: &[Units],
        complete: bool,
        staff: &str,
        terminal: &str,
        store_code: &str,
        at: i64,
    ) -> Result<String> {
        let handover_id = uuid::Uuid::new_v4().to_string();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO handover (handover_id, order_id, staff, at, lines_json, complete)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                handover_id,
                order_id,
                staff,
                at,
                to_json(&lines, "handover lines")?,
                complete
            ],
        )?;
        outbox::enqueue(
            &tx,
            at,
            &Fact::Handover(HandoverFact {
                handover_id: handover_id.clone(),
                order_id: order_id.to_owned(),
                store: store_code.to_owned(),
                terminal: terminal.to_owned(),
                staff: staff.to_owned(),
                at,
                lines: lines.to_vec(),
                complete,
            }),
        )?;
        tx.commit()?;
        Ok(handover_id)
    }

    /// Keeps an online order the central described, for a return (offline too, later).
    pub fn cache_online_order(&self, order: &OnlineOrder, at: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO online_order_cache (id, answer_json, fetched_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET answer_json = excluded.answer_json,
                     fetched_at = excluded.fetched_at",
            )?
            .execute(params![order.id, to_json(order, "online order")?, at])?;
        Ok(())
    }

    pub fn cached_online_order(&self, id: &str) -> Result<Option<OnlineOrder>> {
        let json: Option<String> = self
            .conn
            .prepare_cached("SELECT answer_json FROM online_order_cache WHERE id = ?1")?
            .query_row(params![id], |row| row.get(0))
            .optional()?;
        json.map(|j| {
            serde_json::from_str(&j)
                .map_err(|e| StoreError::Corrupt(format!("cached online order: {e}")))
        })
        .transpose()
    }

    /// Units of `order_id` returned at this terminal, per product.
    pub fn returned_here(&self, order_id: &str) -> Result<Vec<Units>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT l.gtin, sum(l.quantity) FROM order_return r
                   JOIN order_return_line l ON l.return_id = r.id
                  WHERE r.order_id = ?1 GROUP BY l.gtin",
            )?
            .query_map(params![order_id], |row| {
                Ok(Units {
                    gtin: row.get(0)?,
                    quantity: row.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Records a return in one transaction: the return and its lines, the stock back here, the
    /// journal entry (negative totals, VAT per rate), and its event for the central.
    pub fn record_return(&mut self, r: &NewReturn<'_>) -> Result<RecordedReturn> {
        let location_id = self.location_id(r.here_code)?.ok_or_else(|| {
            StoreError::Corrupt(format!("this store's location {} is unknown", r.here_code))
        })?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seq: i64 = tx.query_row(
            "SELECT count(*) + 1 FROM order_return WHERE number LIKE ?1 || '-R%'",
            params![r.terminal],
            |row| row.get(0),
        )?;
        let number = format!("{}-R{seq:06}", r.terminal);
        let refund_cents: i64 = r.lines.iter().map(|l| l.amount_cents).sum();
        // What goes on a store credit: all of it, or the credit part of a split refund.
        let credit_cents: i64 = if r.refunds.is_empty() {
            if r.refund == "credit" {
                refund_cents
            } else {
                0
            }
        } else {
            r.refunds
                .iter()
                .filter(|(method, _)| method == "credit")
                .map(|(_, cents)| cents)
                .sum()
        };
        let credit_code = (credit_cents > 0 || (r.refunds.is_empty() && r.refund == "credit"))
            .then(|| {
                // Random, not the return's number: whoever holds the code holds the money.
                // A v4 UUID's bytes 0-5 and 10-15 are random (6 and 8 hold its version and
                // variant); the system's random source either way, as every event id.
                let random = *uuid::Uuid::new_v4().as_bytes();
                let mut bits = [0u8; 8];
                bits[..6].copy_from_slice(&random[..6]);
                bits[6..].copy_from_slice(&random[10..12]);
                crate::domain::gift_card::credit_code_from(bits)
            });
        let refunds_json = if r.refunds.is_empty() {
            None
        } else {
            Some(to_json(&r.refunds, "refunds")?)
        };
        tx.execute(
            "INSERT INTO order_return (number, order_id, refund, refund_cents, credit_code, staff,
                                       at, sale_store, sale_ticket, refunds_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                number,
                r.order_id,
                r.refund,
                refund_cents,
                credit_code,
                r.staff,
                r.at,
                r.sale.map(|s| s.store.as_str()),
                r.sale.map(|s| s.ticket.as_str()),
                refunds_json
            ],
        )?;
        if let (Some(code), false) = (&credit_code, r.training) {
            super::credit::record_issue(&tx, code, "credit", credit_cents, r.at)?;
        }
        let return_id = tx.last_insert_rowid();
        let mut per_rate: Vec<(i64, i64)> = Vec::new();
        for line in r.lines {
            tx.execute(
                "INSERT INTO order_return_line (return_id, gtin, quantity, amount_cents, vat_bp)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    return_id,
                    line.gtin,
                    line.quantity,
                    line.amount_cents,
                    line.vat_bp
                ],
            )?;
            let gtin = Gtin::parse(&line.gtin)
                .map_err(|e| StoreError::Corrupt(format!("returned GTIN: {e}")))?;
            tx.execute(
                "INSERT INTO stock_movement (gtin, location_id, delta, reason, return_id,
                                             created_at)
                 VALUES (?1, ?2, ?3, 'return', ?4, ?5)",
                params![
                    super::catalog::gtin_key(&gtin)?,
                    location_id,
                    line.quantity,
                    return_id,
                    r.at
                ],
            )?;
            match per_rate.iter_mut().find(|(rate, _)| *rate == line.vat_bp) {
                Some((_, total)) => *total += line.amount_cents,
                None => per_rate.push((line.vat_bp, line.amount_cents)),
            }
        }
        per_rate.sort_by_key(|(rate, _)| std::cmp::Reverse(*rate));
        let vat = per_rate
            .iter()
            .map(|&(rate, total)| {
                let base = VatRate::from_basis_points(rate)
                    .map(|v| v.base_of_inclusive(Cents::new(total)).get())
                    .map_err(|e| StoreError::Corrupt(format!("returned VAT rate: {e}")))?;
                // A refund: every figure negative.
                Ok(VatAmount {
                    base: -base,
                    rate,
                    total: -total,
                    vat: -(total - base),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        outbox::enqueue(
            &tx,
            r.at,
            &Fact::Return(ReturnFact {
                ticket: number.clone(),
                order_id: r.order_id.to_owned(),
                store: r.here_code.to_owned(),
                terminal: r.terminal.to_owned(),
                staff: r.staff.to_owned(),
                at: r.at,
                lines: r
                    .lines
                    .iter()
                    .map(|l| ReturnLineFact {
                        gtin: l.gtin.clone(),
                        quantity: l.quantity,
                        amount_cents: l.amount_cents,
                        vat_bp: l.vat_bp,
                    })
                    .collect(),
                refund: r.refund.to_owned(),
                refund_cents,
                credit_code: credit_code.clone(),
                customer: r.customer.map(str::to_owned),
                sale: r.sale.cloned(),
                refunds: r
                    .refunds
                    .iter()
                    .map(|(method, cents)| PaymentFact {
                        method: method.clone(),
                        amount_cents: *cents,
                        code: None,
                    })
                    .collect(),
            }),
        )?;
        let (entry, journal_hash) = journal::append(
            &tx,
            EntryDraft {
                terminal: r.terminal.to_owned(),
                created_at: r.at,
                operator: Some(r.staff.to_owned()),
                kind: EntryKind::Return,
                reference: Some(number.clone()),
                training: r.training,
                total: -refund_cents,
                vat,
                payments: if r.refunds.is_empty() {
                    vec![PaymentAmount {
                        amount: -refund_cents,
                        method: r.refund.to_owned(),
                    }]
                } else {
                    let mut payments: Vec<PaymentAmount> = r
                        .refunds
                        .iter()
                        .map(|(method, cents)| PaymentAmount {
                            amount: -cents,
                            method: method.clone(),
                        })
                        .collect();
                    payments.sort_by(|a, b| a.method.cmp(&b.method));
                    payments
                },
                detail: Some(match r.sale {
                    Some(sale) => format!("sale {} {}", sale.store, sale.ticket),
                    None => format!("order {}", r.order_id),
                }),
                count: None,
                grand_total: None,
                lines_digest: None,
            },
        )?;
        tx.commit()?;
        Ok(RecordedReturn {
            number,
            refund: r.refund.to_owned(),
            refunds: r.refunds.to_vec(),
            refund_cents,
            credit_code,
            journal_sequence: entry.sequence,
            journal_hash,
        })
    }

    /// Records an order taken at the counter (endless aisle) and its event; returns its number,
    /// made here so the customer has it even offline.
    #[allow(clippy::too_many_arguments)]
    pub fn record_aisle_order(
        &mut self,
        customer: &str,
        lines: &[AisleLine],
        delivery: &str,
        pickup_store: Option<&str>,
        ship_from: Option<&str>,
        staff: &str,
        terminal: &str,
        store_code: &str,
        at: i64,
    ) -> Result<String> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seq: i64 =
            tx.query_row("SELECT count(*) + 1 FROM aisle_order", [], |row| row.get(0))?;
        let number = format!("EA-{store_code}-{terminal}-{seq:06}");
        tx.execute(
            "INSERT INTO aisle_order (number, customer, delivery, pickup_store, ship_from,
                                      lines_json, staff, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                number,
                customer,
                delivery,
                pickup_store,
                ship_from,
                to_json(&lines, "order lines")?,
                staff,
                at
            ],
        )?;
        outbox::enqueue(
            &tx,
            at,
            &Fact::AisleOrder(AisleOrderFact {
                order_number: number.clone(),
                customer: customer.to_owned(),
                store: store_code.to_owned(),
                terminal: terminal.to_owned(),
                staff: staff.to_owned(),
                at,
                lines: lines.to_vec(),
                delivery: delivery.to_owned(),
                pickup_store: pickup_store.map(str::to_owned),
                ship_from: ship_from.map(str::to_owned),
            }),
        )?;
        tx.commit()?;
        Ok(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::received::OnlineOrderLine;

    /// Issue 18: an online order cached by an older build (the protocol's answer as JSON) reads
    /// as the store's order, and caching it again writes the very same JSON.
    #[test]
    fn an_online_order_cached_by_an_older_build_is_read_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("t.db")).expect("store");
        let cached = r#"{"id":"W-7","customer":"C-1","status":"delivered","store":null,"created_at":1796032800,"paid_with":"card","lines":[{"gtin":"03760000000017","name":"Pull","quantity":2,"amount_cents":9980,"vat_bp":2000,"returned":1}]}"#;
        store
            .conn
            .execute(
                "INSERT INTO online_order_cache (id, answer_json, fetched_at) VALUES ('W-7', ?1, 1)",
                params![cached],
            )
            .expect("an older build's row");
        let order = store
            .cached_online_order("W-7")
            .expect("read")
            .expect("cached");
        assert_eq!(
            order,
            OnlineOrder {
                id: "W-7".into(),
                customer: "C-1".into(),
                status: "delivered".into(),
                store: None,
                created_at: 1_796_032_800,
                paid_with: "card".into(),
                lines: vec![OnlineOrderLine {
                    gtin: "03760000000017".into(),
                    name: "Pull".into(),
                    quantity: 2,
                    amount_cents: 9980,
                    vat_bp: 2000,
                    returned: 1,
                }],
            }
        );
        store.cache_online_order(&order, 2).expect("cache again");
        let written: String = store
            .conn
            .query_row(
                "SELECT answer_json FROM online_order_cache WHERE id = 'W-7'",
                [],
                |row| row.get(0),
            )
            .expect("the row");
        assert_eq!(written, cached);
    }
}
