//! Click-and-collect and online orders on the central (issue 9), store side: handovers at a
//! counter, returns of online orders, orders taken at a counter (endless aisle), and the order
//! lookups terminals make. Part of the storage layer: with `store`, the only code under `central`
//! that speaks SQL. The `record_*` functions run inside a push's transaction, so a fact and all
//! its effects (counters, stock, change log) land together or not at all.
//!
//! The rule for what counters report (DESIGN.md, "Conflicts"): a handover or a return is a fact
//! of the counter — the goods left or came back — so it is never refused. What does not add up
//! (an order handed over at two offline counters, a line returned twice) is kept, flagged on the
//! order in words staff can read, counted for the operator, and sent to the order's store.
//!
//! Never logged: customers, credit codes, payloads. An order is its id.

use std::collections::{BTreeMap, BTreeSet};

use crate::sql::{OptionalExtension, Tx, params};

use super::store::{Result, Store, StoreError, bump, log_change, move_stock, resolve_customer};
use comptoir_domain::gtin::Gtin;
use comptoir_protocol::{
    AisleOrderPayload, Change, HandoverPayload, OrderAnswer, OrderLine, PickupLineChange,
    PickupOrderChange, ReturnPayload,
};

/// Counter of handovers that handed units over a second time (two offline counters).
pub const PICKUP_CONFLICTS: &str = "pickup.conflicts";
/// Counter of returns of a line beyond what was ordered or handed over.
pub const DUPLICATE_RETURNS: &str = "returns.duplicate";
/// Counter of handovers and returns naming an order the central does not have.
pub const UNKNOWN_ORDERS: &str = "orders.unknown";

/// How an order's web payment is named in an [`OrderAnswer`]: the web shop takes cards only, and
/// an endless-aisle order is paid at the counter by card too (the terminal's own sale records
/// the real payment).
const PAID_ONLINE: &str = "card";

/// The `order_id` of goods taken back without a receipt (`app::sale_return::NO_RECEIPT`).
const NO_RECEIPT: &str = "no-receipt";

/// Orders listed for one customer: the latest ones.
pub const CUSTOMER_ORDERS: i64 = 50;

/// A click-and-collect order as `comptoir-central sign pickup` needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickupToSign {
    pub store: String,
    pub status: String,
    /// Lines with units still to hand over.
    pub lines_left: i64,
}

/// An order's conflict, settled at the central.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Settlement {
    pub order_id: String,
    /// What the conflict said.
    pub conflict: String,
    /// The order's status now.
    pub status: String,
}

/// What settling an order's conflict found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettleOutcome {
    Settled(Settlement),
    /// The order has no conflict to settle; `status` is its status.
    NoConflict {
        status: String,
    },
    UnknownOrder,
}

impl Store {
    /// The order `id`, click-and-collect or web (an endless-aisle order is a web order, and a
    /// click-and-collect order too when it is collected in a store); None
    /// when the central has no such order.
    pub fn order(&self, id: &str) -> Result<Option<OrderAnswer>> {
        self.read(|tx| order(tx, id))
    }

    /// The latest orders of the customer `customer` (a chain id or a local id merged into one),
    /// newest first; empty for a customer the central does not have.
    pub fn orders_of(&self, customer: &str) -> Result<Vec<OrderAnswer>> {
        self.read(|tx| {
            let customer = resolve_customer(tx, customer)?;
            let ids = tx
                .prepare_cached(
                    "SELECT id, created_at FROM pickup_order WHERE customer = ?1
                     UNION
                     SELECT id, created_at FROM online_order WHERE customer = ?1
                     ORDER BY 2 DESC, 1 DESC LIMIT ?2",
                )?
                .query_map(params![customer, CUSTOMER_ORDERS], |row| {
                    row.get::<_, String>(0)
                })?
                .collect::<crate::sql::Result<Vec<_>>>()?;
            let mut orders = Vec::with_capacity(ids.len());
            for id in ids {
                orders.extend(order(tx, &id)?);
            }
            Ok(orders)
        })
    }

    /// Settles the conflict of order `id` once someone has looked into it (`note` says what
    /// they found): the conflict is cleared, a click-and-collect order becomes `handed_over`
    /// when every unit went out and `ready` otherwise, and its store's terminals hear of it with
    /// their next pull. The settlement is kept with what the conflict said.
    pub fn settle_conflict(&self, id: &str, note: &str, now: i64) -> Result<SettleOutcome> {
        self.write(|tx| {
            let pickup: Option<(String, Option<String>, bool)> = tx
                .prepare_cached(
                    "SELECT status, conflict,
                            NOT EXISTS (SELECT 1 FROM pickup_line
                                        WHERE order_id = o.id AND handed < quantity)
                     FROM pickup_order o WHERE id = ?1",
                )?
                .query_row(params![id], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()?;
            let (kind, status, conflict) = match pickup {
                Some((status, conflict, all_out)) => {
                    let status = match status.as_str() {
                        _ if all_out => "handed_over".to_owned(),
                        "conflict" => "ready".to_owned(),
                        _ => status,
                    };
                    ("pickup", status, conflict)
                }
                None => {
                    let web: Option<(String, Option<String>)> = tx
                        .prepare_cached("SELECT status, conflict FROM online_order WHERE id = ?1")?
                        .query_row(params![id], |row| Ok((row.get(0)?, row.get(1)?)))
                        .optional()?;
                    let Some((status, conflict)) = web else {
                        return Ok(SettleOutcome::UnknownOrder);
                    };
                    ("web", status, conflict)
                }
            };
            let Some(conflict) = conflict else {
                return Ok(SettleOutcome::NoConflict { status });
            };
            let table = if kind == "pickup" {
                "pickup_order"
            } else {
                "online_order"
            };
            tx.prepare_cached(&format!(
                "UPDATE {table} SET status = ?2, conflict = NULL, conflict_kind = NULL,
                     conflict_counters = NULL WHERE id = ?1"
            ))?
            .execute(params![id, status])?;
            tx.prepare_cached(
                "INSERT INTO conflict_settlement (order_id, kind, conflict, note, status, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![id, kind, conflict, note.trim(), status, now])?;
            if kind == "pickup" {
                log_pickup_order(tx, id)?;
            }
            tracing::info!(order = %id, "an order's conflict was settled");
            Ok(SettleOutcome::Settled(Settlement {
                order_id: id.to_owned(),
                conflict,
                status,
            }))
        })
    }

    /// What a pickup code for the order `id` needs; None for an order the central does not have.
    pub fn pickup_to_sign(&self, id: &str) -> Result<Option<PickupToSign>> {
        self.read(|tx| {
            Ok(tx
                .query_row(
                    "SELECT store, status,
                            (SELECT count(*) FROM pickup_line
                             WHERE order_id = o.id AND handed < quantity)
                     FROM pickup_order o WHERE id = ?1",
                    params![id],
                    |row| {
                        Ok(PickupToSign {
                            store: row.get(0)?,
                            status: row.get(1)?,
                            lines_left: row.get(2)?,
                        })
                    },
                )
                .optional()?)
        })
    }
}

/// The click-and-collect order `id` as the change log carries it.
pub(super) fn pickup_order_change(tx: &Tx<'_>, id: &str) -> Result<Option<PickupOrderChange>> {
    let order = tx
        .prepare_cached(
            "SELECT o.id, o.store, o.customer, o.status, o.created_at, c.first_name, o.conflict,
                    o.conflict_kind, o.conflict_counters
             FROM pickup_order o LEFT JOIN customer c ON c.id = o.customer WHERE o.id = ?1",
        )?
        .query_row(params![id], |row| {
            let counters: Option<String> = row.get(8)?;
            Ok(PickupOrderChange {
                id: row.get(0)?,
                store: row.get(1)?,
                customer: row.get(2)?,
                status: row.get(3)?,
                created_at: row.get(4)?,
                lines: Vec::new(),
                customer_first_name: row.get(5)?,
                handed: Vec::new(),
                conflict: row.get(6)?,
                conflict_kind: row.get(7)?,
                // Written by `set_conflict` from a list of names: unreadable means none.
                conflict_counters: counters
                    .and_then(|json| serde_json::from_str(&json).ok())
                    .unwrap_or_default(),
            })
        })
        .optional()?;
    let Some(mut order) = order else {
        return Ok(None);
    };
    let lines = tx
        .prepare_cached(
            "SELECT gtin, quantity, handed FROM pickup_line WHERE order_id = ?1 ORDER BY gtin",
        )?
        .query_map(params![id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })?
        .collect::<crate::sql::Result<Vec<_>>>()?;
    for (gtin, quantity, handed) in lines {
        if handed > 0 {
            order.handed.push(PickupLineChange {
                gtin: gtin.clone(),
                quantity: handed,
            });
        }
        order.lines.push(PickupLineChange { gtin, quantity });
    }
    Ok(Some(order))
}

/// Logs the click-and-collect order `id` as it now is, for its store's terminals.
pub(super) fn log_pickup_order(tx: &Tx<'_>, id: &str) -> Result<()> {
    let change = pickup_order_change(tx, id)?
        .ok_or_else(|| StoreError::Corrupt(format!("pickup order {id} vanished while written")))?;
    let store = change.store.clone();
    log_change(tx, Some(&store), &Change::PickupOrder(change))
}

/// The GTIN-14 form of `gtin` (a terminal may send a GTIN-13); kept as sent when unreadable.
fn canonical_gtin(gtin: &str) -> String {
    Gtin::parse(gtin).map_or_else(|_| gtin.to_owned(), |g| g.as_str().to_owned())
}

/// The lines' quantities summed per product, under the canonical GTIN (a terminal may send a
/// product on two lines, or its GTIN-13 form).
fn per_product<'a>(lines: impl Iterator<Item = (&'a str, i64)>) -> BTreeMap<String, i64> {
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    for (gtin, quantity) in lines {
        let sum = sums.entry(canonical_gtin(gtin)).or_default();
        *sum = sum.saturating_add(quantity);
    }
    sums
}

/// The counters that did it, in order: `earlier`, then `terminal` unless it is one of them.
fn counters_of(mut earlier: Vec<String>, terminal: &str) -> Vec<String> {
    if !earlier.iter().any(|t| t == terminal) {
        earlier.push(terminal.to_owned());
    }
    earlier
}

/// What the CLI says of an order done twice by `counters`: "handed over twice: T01 and T02", or
/// "… twice at T01" when the same counter did it again.
fn twice(what: &str, counters: &[String]) -> String {
    match counters {
        [] => format!("{what} twice"),
        [one] => format!("{what} twice at {one}"),
        [init @ .., last] => format!("{what} twice: {} and {last}", init.join(", ")),
    }
}

fn lines_json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("lines: {e}")))
}

/// A click-and-collect order handed over at a counter, whole or in part. Applied once per
/// `handover_id` (a handover replayed under a new event id changes nothing). Handed quantities
/// add up per line; the order is `handed_over` once every unit is out, and stays `ready` while
/// some are left. Units handed beyond what was ordered mean two counters handed the same goods:
/// the order becomes `conflict`, with the terminals named, and its store hears of it.
pub(super) fn record_handover(
    tx: &Tx<'_>,
    event_id: &str,
    device_id: &str,
    h: &HandoverPayload,
) -> Result<()> {
    let known = tx
        .prepare_cached("SELECT 1 FROM handover WHERE handover_id = ?1")?
        .exists(params![h.handover_id])?;
    if known {
        tracing::warn!(
            order = %h.order_id,
            "a handover the central has came again under a new event id: applied once"
        );
        return Ok(());
    }
    let insert = |outcome: &str| -> Result<()> {
        tx.prepare_cached(
            "INSERT INTO handover (handover_id, event_id, order_id, device, store, terminal, staff,
                                   at, lines, outcome)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            h.handover_id,
            event_id,
            h.order_id,
            device_id,
            h.store,
            h.terminal,
            h.staff,
            h.at,
            lines_json(&h.lines)?,
            outcome
        ])?;
        Ok(())
    };
    let order: Option<(String, String)> = tx
        .prepare_cached("SELECT store, status FROM pickup_order WHERE id = ?1")?
        .query_row(params![h.order_id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((order_store, status)) = order else {
        tracing::warn!(order = %h.order_id, "a handover of an order the central does not have");
        bump(tx, UNKNOWN_ORDERS, 1)?;
        return insert("unknown_order");
    };
    if order_store != h.store {
        // A terminal checks the code's store before handing over: only a bug gets here.
        tracing::warn!(order = %h.order_id, store = %h.store, "a handover of another store's order");
        return insert("other_store");
    }
    let ordered: BTreeMap<String, (i64, i64)> = tx
        .prepare_cached("SELECT gtin, quantity, handed FROM pickup_line WHERE order_id = ?1")?
        .query_map(params![h.order_id], |row| {
            Ok((row.get::<_, String>(0)?, (row.get(1)?, row.get(2)?)))
        })?
        .collect::<crate::sql::Result<_>>()?;
    // The payload's `complete` is what the counter believed offline; the central decides from
    // the quantities it has, which include what another counter handed over meanwhile.
    let handing = per_product(h.lines.iter().map(|l| (l.gtin.as_str(), l.quantity)));
    if handing.keys().any(|gtin| !ordered.contains_key(gtin)) {
        // Goods that are not the order's went out: nothing of the order moves, and the staff
        // of the store are told to look at it.
        tracing::warn!(order = %h.order_id, "a handover names products not in the order");
        set_conflict(
            tx,
            "pickup_order",
            &h.order_id,
            &Conflict {
                text: format!("handed over products not in the order at {}", h.terminal),
                kind: "handed_not_in_order",
                counters: vec![h.terminal.clone()],
            },
        )?;
        insert("not_in_order")?;
        return log_pickup_order(tx, &h.order_id);
    }
    let mut over = false;
    let mut complete = true;
    for (gtin, (quantity, handed)) in &ordered {
        let now_handed = handed.saturating_add(handing.get(gtin).copied().unwrap_or(0));
        over |= now_handed > *quantity;
        complete &= now_handed >= *quantity;
    }
    for (gtin, quantity) in &handing {
        tx.prepare_cached(
            "UPDATE pickup_line SET handed = handed + ?3 WHERE order_id = ?1 AND gtin = ?2",
        )?
        .execute(params![h.order_id, gtin, quantity])?;
    }
    let cancelled = status == "cancelled";
    if over || cancelled {
        let terminals: Vec<String> = tx
            .prepare_cached(
                "SELECT terminal FROM handover
                 WHERE order_id = ?1 AND outcome IN ('applied', 'conflict')
                 GROUP BY terminal ORDER BY min(at), terminal",
            )?
            .query_map(params![h.order_id], |row| row.get(0))?
            .collect::<crate::sql::Result<_>>()?;
        let conflict = if cancelled {
            Conflict {
                text: format!("handed over at {} although cancelled", h.terminal),
                kind: "handed_after_cancel",
                counters: vec![h.terminal.clone()],
            }
        } else if terminals.is_empty() {
            Conflict {
                text: format!("handed over more than ordered at {}", h.terminal),
                kind: "handed_more",
                counters: vec![h.terminal.clone()],
            }
        } else {
            Conflict::twice("handed over", "handed_twice", terminals, &h.terminal)
        };
        tracing::warn!(order = %h.order_id, "a pickup order was handed over twice");
        tx.prepare_cached("UPDATE pickup_order SET status = 'conflict' WHERE id = ?1")?
            .execute(params![h.order_id])?;
        set_conflict(tx, "pickup_order", &h.order_id, &conflict)?;
        bump(tx, PICKUP_CONFLICTS, 1)?;
        insert("conflict")?;
    } else {
        // A partial handover leaves the status as it was (`ready`, or an earlier `conflict`
        // staff have not settled yet).
        if complete && status != "conflict" {
            tx.prepare_cached("UPDATE pickup_order SET status = 'handed_over' WHERE id = ?1")?
                .execute(params![h.order_id])?;
        }
        insert("applied")?;
    }
    log_pickup_order(tx, &h.order_id)
}

/// What went wrong with an order: the English text for the CLI and the settlements, and the
/// kind and counters the terminals' screens word in their language.
struct Conflict {
    text: String,
    kind: &'static str,
    counters: Vec<String>,
}

impl Conflict {
    /// Done twice: `earlier` are the terminals that did it before, in order.
    fn twice(what: &str, kind: &'static str, earlier: Vec<String>, terminal: &str) -> Conflict {
        let counters = counters_of(earlier, terminal);
        Conflict {
            text: twice(what, &counters),
            kind,
            counters,
        }
    }
}

/// Sets an order's conflict; `table` is `pickup_order` or `online_order`.
fn set_conflict(tx: &Tx<'_>, table: &str, id: &str, conflict: &Conflict) -> Result<()> {
    debug_assert!(matches!(table, "pickup_order" | "online_order"));
    let counters = serde_json::to_string(&conflict.counters)
        .map_err(|e| StoreError::Corrupt(format!("conflict counters: {e}")))?;
    tx.prepare_cached(&format!(
        "UPDATE {table} SET conflict = ?2, conflict_kind = ?3, conflict_counters = ?4 WHERE id = ?1"
    ))?
    .execute(params![id, conflict.text, conflict.kind, counters])?;
    Ok(())
}

/// Which kind of order a return is for.
enum Returned {
    Pickup { customer: String },
    Web { customer: String },
    Unknown,
}

/// Goods of an online order brought back to a store: the stock goes back up there (logged like a
/// sale's), each line's returned units add up on the order, and the refund is kept. A line
/// returned beyond what was ordered (web) or handed over (click-and-collect) — two counters took
/// the same goods back — is kept and flagged on the order, and counted.
pub(super) fn record_return(
    tx: &Tx<'_>,
    event_id: &str,
    device_id: &str,
    r: &ReturnPayload,
    now: i64,
    touched: &mut BTreeSet<String>,
) -> Result<()> {
    // The goods are back on the shelf whatever the order's records say.
    for line in &r.lines {
        move_stock(tx, &line.gtin, &r.store, line.quantity, now, touched)?;
    }
    if let Some(code) = &r.credit_code {
        // The credit part of a refund split over the sale's methods, else all of it.
        let credit_cents = if r.refunds.is_empty() {
            r.refund_cents
        } else {
            r.refunds
                .iter()
                .filter(|p| p.method == "credit")
                .map(|p| p.amount_cents)
                .sum()
        };
        super::credit::issue_credit(
            tx,
            code,
            "credit",
            credit_cents,
            &r.store,
            &r.terminal,
            &r.ticket,
            r.customer.as_deref(),
            r.at,
            now,
        )?;
    }
    if r.order_id == NO_RECEIPT {
        return insert_return(tx, event_id, device_id, r, None, "applied");
    }
    if let Some(sale) = &r.sale {
        let outcome = match super::credit::record_sale_return(tx, sale, r, now)? {
            true => "duplicate",
            false => "applied",
        };
        return insert_return(tx, event_id, device_id, r, None, outcome);
    }
    let pickup: Option<String> = tx
        .prepare_cached("SELECT customer FROM pickup_order WHERE id = ?1")?
        .query_row(params![r.order_id], |row| row.get(0))
        .optional()?;
    let web: Option<String> = match pickup {
        Some(_) => None,
        None => tx
            .prepare_cached("SELECT customer FROM online_order WHERE id = ?1")?
            .query_row(params![r.order_id], |row| row.get(0))
            .optional()?,
    };
    let order = match (pickup, web) {
        (Some(customer), _) => Returned::Pickup { customer },
        (None, Some(customer)) => Returned::Web { customer },
        (None, None) => Returned::Unknown,
    };
    let returning = per_product(r.lines.iter().map(|l| (l.gtin.as_str(), l.quantity)));
    // Units returned beyond what the order allows, and whether a product was not in it at all.
    let mut excess = false;
    let mut foreign = false;
    match &order {
        Returned::Pickup { .. } => {
            for (gtin, quantity) in &returning {
                let line: Option<(i64, i64)> = tx
                    .prepare_cached(
                        "UPDATE pickup_line SET returned = returned + ?3
                         WHERE order_id = ?1 AND gtin = ?2 RETURNING handed, returned",
                    )?
                    .query_row(params![r.order_id, gtin, quantity], |row| {
                        Ok((row.get(0)?, row.get(1)?))
                    })
                    .optional()?;
                match line {
                    Some((handed, returned)) => excess |= returned > handed,
                    None => foreign = true,
                }
            }
        }
        Returned::Web { .. } => {
            for (gtin, quantity) in &returning {
                let lines: Vec<(i64, i64, i64)> = tx
                    .prepare_cached(
                        "SELECT line_no, quantity, returned FROM online_order_line
                         WHERE order_id = ?1 AND gtin = ?2 ORDER BY line_no",
                    )?
                    .query_map(params![r.order_id, gtin], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                    })?
                    .collect::<crate::sql::Result<_>>()?;
                let Some(&(last, _, _)) = lines.last() else {
                    foreign = true;
                    continue;
                };
                // The same product on several lines: fill each line up to what it ordered, and
                // put what is left on the last one, where it shows as returned twice.
                let mut left = *quantity;
                let mut takes: Vec<(i64, i64)> = Vec::new();
                for &(line_no, ordered, returned) in &lines {
                    let take = left.min((ordered - returned).max(0));
                    if take > 0 {
                        takes.push((line_no, take));
                        left -= take;
                    }
                }
                if left > 0 {
                    excess = true;
                    takes.push((last, left));
                }
                for (line_no, take) in takes {
                    tx.prepare_cached(
                        "UPDATE online_order_line SET returned = returned + ?3
                         WHERE order_id = ?1 AND line_no = ?2",
                    )?
                    .execute(params![r.order_id, line_no, take])?;
                }
            }
        }
        Returned::Unknown => {
            tracing::warn!(order = %r.order_id, "a return of an order the central does not have");
            bump(tx, UNKNOWN_ORDERS, 1)?;
        }
    }
    let outcome = match order {
        Returned::Unknown => "unknown_order",
        _ if excess || foreign => "duplicate",
        _ => "applied",
    };
    if outcome == "duplicate" {
        let (table, limit) = match order {
            Returned::Pickup { .. } => ("pickup_order", "handed over"),
            _ => ("online_order", "ordered"),
        };
        let terminals: Vec<String> = tx
            .prepare_cached(
                "SELECT terminal FROM order_return WHERE order_id = ?1 AND outcome <> 'unknown_order'
                 GROUP BY terminal ORDER BY min(at), terminal",
            )?
            .query_map(params![r.order_id], |row| row.get(0))?
            .collect::<crate::sql::Result<_>>()?;
        let conflict = if foreign {
            Conflict {
                text: format!("returned a product not in the order at {}", r.terminal),
                kind: "returned_not_in_order",
                counters: vec![r.terminal.clone()],
            }
        } else if terminals.is_empty() {
            Conflict {
                text: format!("returned more than was {limit} at {}", r.terminal),
                kind: "returned_more",
                counters: vec![r.terminal.clone()],
            }
        } else {
            Conflict::twice("returned", "returned_twice", terminals, &r.terminal)
        };
        tracing::warn!(order = %r.order_id, "an order line was returned more than it was sold");
        set_conflict(tx, table, &r.order_id, &conflict)?;
        bump(tx, DUPLICATE_RETURNS, 1)?;
    }
    let customer = match (&r.customer, &order) {
        (Some(id), _) => Some(resolve_customer(tx, id)?),
        (None, Returned::Pickup { customer } | Returned::Web { customer }) => {
            Some(customer.clone())
        }
        (None, Returned::Unknown) => None,
    };
    insert_return(tx, event_id, device_id, r, customer, outcome)?;
    if matches!(order, Returned::Pickup { .. }) && outcome == "duplicate" {
        log_pickup_order(tx, &r.order_id)?;
    }
    Ok(())
}

/// Keeps a return as the counter reported it, with what the central made of it.
fn insert_return(
    tx: &Tx<'_>,
    event_id: &str,
    device_id: &str,
    r: &ReturnPayload,
    customer: Option<String>,
    outcome: &str,
) -> Result<()> {
    let items = r
        .lines
        .iter()
        .fold(0i64, |sum, l| sum.saturating_add(l.quantity));
    tx.prepare_cached(
        "INSERT INTO order_return (event_id, order_id, ticket, store, terminal, staff, device, at,
                                   customer, lines, items, refund, refund_cents, credit_code,
                                   outcome)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        event_id,
        r.order_id,
        r.ticket,
        r.store,
        r.terminal,
        r.staff,
        device_id,
        r.at,
        customer,
        lines_json(&r.lines)?,
        items,
        r.refund,
        r.refund_cents,
        r.credit_code,
        outcome
    ])?;
    Ok(())
}

/// An order taken at a counter: kept as it came, and made a web order (status `ordered`, its
/// number the terminal's) so that it shows in the customer's purchases. An order to collect at
/// one of the chain's stores is also made a click-and-collect order of that store (`ready`: the
/// counter chose a store that has the goods), pulled by its terminals like any other, so its
/// counter lists it and hands it over; `GET /v1/orders/{id}` then answers with it. The same
/// order number again (an outbox replayed under new event ids) is the same order. A customer the
/// central does not have (yet) cannot own an order: it is kept in `aisle_order` only, and
/// warned about. The stock of the location it ships from goes down. Line prices are unit
/// prices.
pub(super) fn record_aisle_order(
    tx: &Tx<'_>,
    event_id: &str,
    o: &AisleOrderPayload,
    now: i64,
    touched: &mut BTreeSet<String>,
) -> Result<()> {
    let known = tx
        .prepare_cached("SELECT 1 FROM aisle_order WHERE id = ?1")?
        .exists(params![o.order_number])?;
    if known {
        tracing::warn!(order = %o.order_number, "an aisle order the central has came again");
        return Ok(());
    }
    let customer = resolve_customer(tx, &o.customer)?;
    let pickup_store = (o.delivery == "pickup")
        .then(|| o.pickup_store.clone())
        .flatten();
    tx.prepare_cached(
        "INSERT INTO aisle_order (id, event_id, customer, store, terminal, staff, at, delivery,
                                  pickup_store, ship_from)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        o.order_number,
        event_id,
        customer,
        o.store,
        o.terminal,
        o.staff,
        o.at,
        o.delivery,
        pickup_store,
        o.ship_from
    ])?;
    // The store that took the order, and the one the customer collects it from, serve them.
    for store in std::iter::once(&o.store).chain(pickup_store.as_ref()) {
        super::customer_stores::link(tx, &customer, store, now)?;
    }
    // The goods are taken from the location that ships them (or keeps them for the customer to
    // collect): its level drops now, and every terminal hears of it like a sale's.
    if let Some(from) = &o.ship_from {
        for line in o.lines.iter().filter(|l| l.quantity > 0) {
            move_stock(tx, &line.gtin, from, -line.quantity, now, touched)?;
        }
    }
    let customer_known = tx
        .prepare_cached("SELECT 1 FROM customer WHERE id = ?1")?
        .exists(params![customer])?;
    let taken = tx
        .prepare_cached("SELECT 1 FROM online_order WHERE id = ?1")?
        .exists(params![o.order_number])?;
    if !customer_known || taken {
        tracing::warn!(
            order = %o.order_number,
            customer_known,
            number_taken = taken,
            "an aisle order is kept but not made a web order"
        );
        return Ok(());
    }
    // Amounts come from a terminal: saturating, so a garbled price never panics the push.
    let amounts: Vec<i64> = o
        .lines
        .iter()
        .map(|l| l.price_cents.saturating_mul(l.quantity))
        .collect();
    let total = amounts.iter().fold(0i64, |sum, a| sum.saturating_add(*a));
    tx.prepare_cached(
        "INSERT INTO online_order (id, customer, status, created_at, total_cents)
         VALUES (?1, ?2, 'ordered', ?3, ?4)",
    )?
    .execute(params![o.order_number, customer, o.at, total])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO online_order_line (order_id, line_no, gtin, quantity, amount_cents)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (n, (line, amount)) in o.lines.iter().zip(amounts).enumerate() {
        let gtin = canonical_gtin(&line.gtin);
        insert.execute(params![
            o.order_number,
            n as i64 + 1,
            gtin,
            line.quantity,
            amount
        ])?;
    }
    if let Some(at) = pickup_store {
        collect_at_store(tx, o, &customer, &at)?;
    }
    Ok(())
}

/// Makes the aisle order `o` a click-and-collect order of the store `at`, its lines priced as
/// they were sold; a pickup store that is not one of the chain's stores is warned about.
fn collect_at_store(tx: &Tx<'_>, o: &AisleOrderPayload, customer: &str, at: &str) -> Result<()> {
    let is_store = tx
        .prepare_cached("SELECT 1 FROM location WHERE code = ?1 AND kind = 'store'")?
        .exists(params![at])?;
    if !is_store {
        tracing::warn!(
            order = %o.order_number,
            pickup_store = at,
            "an aisle order names a pickup store the chain does not have"
        );
        return Ok(());
    }
    tx.prepare_cached(
        "INSERT INTO pickup_order (id, store, customer, status, created_at)
         VALUES (?1, ?2, ?3, 'ready', ?4)",
    )?
    .execute(params![o.order_number, at, customer, o.at])?;
    // One line per product (a terminal may send a product twice), priced as sold.
    let quantities = per_product(o.lines.iter().map(|l| (l.gtin.as_str(), l.quantity)));
    let amounts = per_product(
        o.lines
            .iter()
            .map(|l| (l.gtin.as_str(), l.price_cents.saturating_mul(l.quantity))),
    );
    let mut insert = tx.prepare_cached(
        "INSERT INTO pickup_line (order_id, gtin, quantity, amount_cents) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (gtin, quantity) in quantities.iter().filter(|(_, q)| **q > 0) {
        let amount = amounts.get(gtin).copied().unwrap_or(0);
        insert.execute(params![o.order_number, gtin, quantity, amount])?;
    }
    log_pickup_order(tx, &o.order_number)
}

/// The order `id`: a click-and-collect order first, else a web order.
fn order(tx: &Tx<'_>, id: &str) -> Result<Option<OrderAnswer>> {
    let line = |row: &crate::sql::Row<'_>| {
        Ok(OrderLine {
            gtin: row.get(0)?,
            name: row.get(1)?,
            quantity: row.get(2)?,
            amount_cents: row.get(3)?,
            vat_bp: row.get(4)?,
            returned: row.get(5)?,
        })
    };
    let head = |row: &crate::sql::Row<'_>| {
        Ok(OrderAnswer {
            id: row.get(0)?,
            customer: row.get(1)?,
            status: row.get(2)?,
            store: row.get(3)?,
            created_at: row.get(4)?,
            paid_with: PAID_ONLINE.to_owned(),
            lines: Vec::new(),
        })
    };
    let pickup = tx
        .prepare_cached(
            "SELECT id, customer, status, store, created_at FROM pickup_order WHERE id = ?1",
        )?
        .query_row(params![id], head)
        .optional()?;
    if let Some(mut order) = pickup {
        // A line priced before migration 0003 costs the product's price.
        order.lines = tx
            .prepare_cached(
                "SELECT l.gtin, coalesce(p.name, ''), l.quantity,
                        coalesce(l.amount_cents, p.price_cents * l.quantity, 0),
                        coalesce(p.vat_bp, 0), l.returned
                 FROM pickup_line l LEFT JOIN product p ON p.gtin = l.gtin
                 WHERE l.order_id = ?1 ORDER BY l.gtin",
            )?
            .query_map(params![id], line)?
            .collect::<crate::sql::Result<_>>()?;
        return Ok(Some(order));
    }
    let web = tx
        .prepare_cached(
            "SELECT o.id, o.customer, o.status,
                    CASE WHEN a.delivery = 'pickup' THEN a.pickup_store END, o.created_at
             FROM online_order o LEFT JOIN aisle_order a ON a.id = o.id WHERE o.id = ?1",
        )?
        .query_row(params![id], head)
        .optional()?;
    let Some(mut order) = web else {
        return Ok(None);
    };
    order.lines = tx
        .prepare_cached(
            "SELECT l.gtin, coalesce(p.name, ''), l.quantity, l.amount_cents,
                    coalesce(p.vat_bp, 0), l.returned
             FROM online_order_line l LEFT JOIN product p ON p.gtin = l.gtin
             WHERE l.order_id = ?1 ORDER BY l.line_no",
        )?
        .query_map(params![id], line)?
        .collect::<crate::sql::Result<_>>()?;
    Ok(Some(order))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EnrollOutcome, Fact, IncomingEvent, OnlineOrder, OnlineOrderLine};
    use crate::store::{PageOutcome, PushOutcome};
    use comptoir_protocol::{
        AisleLinePayload, CustomerChange, EventKind, LocationChange, ProductChange,
        ReturnLinePayload, StockLevelChange,
    };

    const NOW: i64 = 1_764_000_000;
    const SHIRT: &str = "03760000000017";
    const SCARF: &str = "03760000000024";

    /// A chain with one store (two terminals), two products, a customer, a click-and-collect
    /// order CC1 (2 shirts, 1 scarf) and a delivered web order W1 (1 shirt).
    struct Chain {
        _dir: tempfile::TempDir,
        store: Store,
        seqs: BTreeMap<&'static str, i64>,
    }

    fn chain() -> Chain {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), true).expect("open");
        store
            .seed_step(|w| {
                for code in ["PAR-01", "LYO-01"] {
                    w.location(&LocationChange {
                        code: code.into(),
                        name: code.into(),
                        kind: "store".into(),
                    })?;
                }
                for (gtin, price) in [(SHIRT, 4_990), (SCARF, 1_990)] {
                    w.product(&ProductChange {
                        gtin: gtin.into(),
                        name: format!("product {gtin}"),
                        brand: "b".into(),
                        category: "c".into(),
                        price_cents: price,
                        vat_bp: 2000,
                        price_unit: "each".into(),
                        in_store_item_code: None,
                        stock: vec![
                            StockLevelChange {
                                location: "PAR-01".into(),
                                qty: 5,
                                as_of: 1,
                            },
                            StockLevelChange {
                                location: "LYO-01".into(),
                                qty: 3,
                                as_of: 1,
                            },
                        ],
                    })?;
                }
                w.customer(
                    &CustomerChange {
                        id: "C00000001".into(),
                        first_name: "Hélène".into(),
                        last_name: "Lefèvre".into(),
                        email: None,
                        phone: None,
                        loyalty_points: 0,
                        tier: "or".into(),
                        updated_at: 1,
                    },
                    "PAR-01",
                )?;
                w.pickup_order(&PickupOrderChange {
                    id: "CC1".into(),
                    store: "PAR-01".into(),
                    customer: "C00000001".into(),
                    status: "ready".into(),
                    created_at: 10,
                    lines: vec![
                        PickupLineChange {
                            gtin: SHIRT.into(),
                            quantity: 2,
                        },
                        PickupLineChange {
                            gtin: SCARF.into(),
                            quantity: 1,
                        },
                    ],
                    customer_first_name: None,
                    handed: Vec::new(),
                    conflict: None,
                    conflict_kind: None,
                    conflict_counters: Vec::new(),
                })?;
                w.online_order(&OnlineOrder {
                    id: "W1".into(),
                    customer: "C00000001".into(),
                    status: "delivered".into(),
                    created_at: 20,
                    lines: vec![OnlineOrderLine {
                        gtin: SHIRT.into(),
                        quantity: 1,
                        amount_cents: 3_990,
                    }],
                })
            })
            .expect("seed");
        for (n, (device, terminal)) in [("D1", "T01"), ("D2", "T02")].into_iter().enumerate() {
            let code = [n as u8 + 1; 32];
            store
                .add_enrollment_code(&code, "PAR-01", 0, i64::MAX)
                .expect("code");
            let outcome = store
                .enroll(&code, device, terminal, &[n as u8 + 10; 32], 1)
                .expect("enroll");
            assert!(matches!(outcome, EnrollOutcome::Enrolled { .. }));
        }
        Chain {
            _dir: dir,
            store,
            seqs: BTreeMap::new(),
        }
    }

    impl Chain {
        fn push(&mut self, device: &'static str, kind: EventKind, fact: Fact) -> IncomingEvent {
            let seq = self.seqs.entry(device).or_default();
            *seq += 1;
            let event = IncomingEvent {
                id: uuid::Uuid::new_v4().hyphenated().to_string(),
                seq: *seq,
                kind,
                created_at: NOW,
                payload: "{}".into(),
                fact,
            };
            self.push_again(device, &event);
            event
        }

        fn push_again(&self, device: &str, event: &IncomingEvent) {
            let outcome = self
                .store
                .push(device, std::slice::from_ref(event), NOW)
                .expect("push");
            assert!(matches!(outcome, PushOutcome::Applied { .. }));
        }

        fn handover(&mut self, device: &'static str, terminal: &str, lines: &[(&str, i64)]) {
            self.push(
                device,
                EventKind::Handover,
                Fact::Handover(HandoverPayload {
                    handover_id: uuid::Uuid::new_v4().to_string(),
                    order_id: "CC1".into(),
                    store: "PAR-01".into(),
                    terminal: terminal.into(),
                    staff: "camille".into(),
                    at: NOW,
                    lines: lines
                        .iter()
                        .map(|(gtin, quantity)| PickupLineChange {
                            gtin: (*gtin).into(),
                            quantity: *quantity,
                        })
                        .collect(),
                    complete: false,
                }),
            );
        }

        fn give_back(
            &mut self,
            device: &'static str,
            terminal: &str,
            order: &str,
            quantity: i64,
        ) -> IncomingEvent {
            self.push(
                device,
                EventKind::Return,
                Fact::Return(ReturnPayload {
                    ticket: format!("{terminal}-R1"),
                    order_id: order.into(),
                    store: "PAR-01".into(),
                    terminal: terminal.into(),
                    staff: "camille".into(),
                    at: NOW,
                    lines: vec![ReturnLinePayload {
                        gtin: SHIRT.into(),
                        quantity,
                        amount_cents: 3_990 * quantity,
                        vat_bp: 2000,
                    }],
                    refund: "card".into(),
                    refund_cents: 3_990 * quantity,
                    credit_code: None,
                    customer: None,
                    sale: None,
                    refunds: Vec::new(),
                }),
            )
        }

        /// The pickup changes PAR-01's terminals pull, in order.
        fn pickup_changes(&self, store: &str) -> Vec<PickupOrderChange> {
            match self.store.changes(store, 0, 10_000).expect("changes") {
                PageOutcome::Page { changes, .. } => changes
                    .iter()
                    .filter_map(|c| match serde_json::from_str(c).expect("a change") {
                        Change::PickupOrder(o) => Some(o),
                        _ => None,
                    })
                    .collect(),
                PageOutcome::Ahead { .. } => panic!("ahead"),
            }
        }

        fn latest(&self) -> PickupOrderChange {
            self.pickup_changes("PAR-01")
                .pop()
                .expect("a pickup change")
        }

        fn shirts_in_paris(&self) -> i64 {
            self.level(SHIRT, "PAR-01")
        }

        fn level(&self, gtin: &str, location: &str) -> i64 {
            self.store
                .stock(gtin)
                .expect("stock")
                .expect("known")
                .iter()
                .find(|l| l.location == location)
                .map(|l| l.qty)
                .expect("a level")
        }
    }

    fn handed(order: &PickupOrderChange) -> Vec<(&str, i64)> {
        order
            .handed
            .iter()
            .map(|l| (l.gtin.as_str(), l.quantity))
            .collect()
    }

    #[test]
    fn conflict_texts_name_the_counters() {
        let names = |n: &[&str]| n.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        let cases = [
            (names(&["T01"]), "T02", "handed over twice: T01 and T02"),
            (names(&["T01"]), "T01", "handed over twice at T01"),
            (
                names(&["T01", "T02"]),
                "T03",
                "handed over twice: T01, T02 and T03",
            ),
            (
                names(&["T01", "T02"]),
                "T01",
                "handed over twice: T01 and T02",
            ),
        ];
        for (earlier, terminal, expected) in cases {
            assert_eq!(
                twice("handed over", &counters_of(earlier, terminal)),
                expected
            );
        }
    }

    #[test]
    fn the_seeded_order_carries_the_first_name_and_its_prices() {
        let chain = chain();
        let seeded = chain.latest();
        assert_eq!(seeded.customer_first_name.as_deref(), Some("Hélène"));
        assert!(seeded.handed.is_empty() && seeded.conflict.is_none());
        assert!(chain.pickup_changes("LYO-01").is_empty());
        let order = chain.store.order("CC1").expect("order").expect("known");
        let amounts: Vec<i64> = order.lines.iter().map(|l| l.amount_cents).collect();
        assert_eq!(amounts, [2 * 4_990, 1_990]);
        assert_eq!(order.store.as_deref(), Some("PAR-01"));
    }

    #[test]
    fn a_partial_handover_keeps_the_order_ready_and_the_rest_completes_it() {
        let mut chain = chain();
        chain.handover("D1", "T01", &[(SHIRT, 1)]);
        let partial = chain.latest();
        assert_eq!(partial.status, "ready");
        assert_eq!(handed(&partial), [(SHIRT, 1)]);
        chain.handover("D1", "T01", &[(SHIRT, 1), (SCARF, 1)]);
        let done = chain.latest();
        assert_eq!(done.status, "handed_over");
        assert_eq!(handed(&done), [(SHIRT, 2), (SCARF, 1)]);
        assert_eq!(done.conflict, None);
        let sign = chain.store.pickup_to_sign("CC1").expect("read");
        assert_eq!(sign.map(|s| s.lines_left), Some(0));
        assert_eq!(
            chain.store.counters().expect("counters").pickup_conflicts,
            0
        );
    }

    #[test]
    fn an_order_handed_over_at_two_counters_is_a_conflict_both_terminals_see() {
        let mut chain = chain();
        chain.handover("D1", "T01", &[(SHIRT, 2), (SCARF, 1)]);
        chain.handover("D2", "T02", &[(SHIRT, 2), (SCARF, 1)]);
        let order = chain.latest();
        assert_eq!(order.conflict_kind.as_deref(), Some("handed_twice"));
        assert_eq!(order.conflict_counters, ["T01", "T02"]);
        assert_eq!(order.status, "conflict");
        assert_eq!(
            order.conflict.as_deref(),
            Some("handed over twice: T01 and T02")
        );
        assert_eq!(handed(&order), [(SHIRT, 4), (SCARF, 2)]);
        // The change is scoped to the store: every terminal of PAR-01 pulls it, Lyon does not.
        assert!(chain.pickup_changes("LYO-01").is_empty());
        let counters = chain.store.counters().expect("counters");
        assert_eq!(counters.pickup_conflicts, 1);
        assert_eq!(counters.received.get("handovers"), Some(&2));
    }

    #[test]
    fn a_settled_conflict_is_cleared_for_the_stores_terminals_and_kept() {
        let mut chain = chain();
        chain.handover("D1", "T01", &[(SHIRT, 1)]);
        chain.handover("D2", "T02", &[(SHIRT, 2)]);
        assert_eq!(chain.latest().status, "conflict");
        let outcome = chain
            .store
            .settle_conflict("CC1", "T02 handed the shirts; T01 gave nothing", NOW)
            .expect("settle");
        // The scarf is still to collect: the order is ready again, without its conflict.
        let SettleOutcome::Settled(settled) = outcome else {
            panic!("not settled: {outcome:?}");
        };
        assert_eq!(settled.conflict, "handed over twice: T01 and T02");
        assert_eq!(settled.status, "ready");
        let order = chain.latest();
        assert_eq!((order.status.as_str(), order.conflict), ("ready", None));
        assert_eq!(
            chain
                .store
                .settle_conflict("CC1", "again", NOW)
                .expect("settle"),
            SettleOutcome::NoConflict {
                status: "ready".into()
            }
        );
        assert_eq!(
            chain
                .store
                .settle_conflict("CC404", "?", NOW)
                .expect("settle"),
            SettleOutcome::UnknownOrder
        );
        // Every unit out: settled as handed over.
        chain.handover("D1", "T01", &[(SCARF, 1), (SCARF, 1)]);
        assert_eq!(chain.latest().status, "conflict");
        let outcome = chain.store.settle_conflict("CC1", "two scarves out", NOW);
        assert!(matches!(outcome, Ok(SettleOutcome::Settled(ref s)) if s.status == "handed_over"));
        let kept: i64 = chain
            .store
            .read(|tx| {
                Ok(tx.query_row(
                    "SELECT count(*) FROM conflict_settlement WHERE order_id = 'CC1'",
                    params![],
                    |row| row.get(0),
                )?)
            })
            .expect("count");
        assert_eq!(kept, 2);
    }

    #[test]
    fn a_handover_of_an_unknown_order_is_kept_and_counted() {
        let mut chain = chain();
        chain.push(
            "D1",
            EventKind::Handover,
            Fact::Handover(HandoverPayload {
                handover_id: "h-1".into(),
                order_id: "CC404".into(),
                store: "PAR-01".into(),
                terminal: "T01".into(),
                staff: "camille".into(),
                at: NOW,
                lines: vec![PickupLineChange {
                    gtin: SHIRT.into(),
                    quantity: 1,
                }],
                complete: true,
            }),
        );
        let counters = chain.store.counters().expect("counters");
        assert_eq!(counters.unknown_orders, 1);
        assert_eq!(counters.received.get("handovers"), Some(&1));
    }

    #[test]
    fn a_return_puts_the_stock_back_once_and_a_second_return_of_the_line_is_flagged() {
        let mut chain = chain();
        assert_eq!(chain.shirts_in_paris(), 5);
        let first = chain.give_back("D1", "T01", "W1", 1);
        chain.push_again("D1", &first);
        assert_eq!(chain.shirts_in_paris(), 6, "pushed twice, applied once");
        let order = chain.store.order("W1").expect("order").expect("known");
        assert_eq!(order.lines[0].returned, 1);
        assert_eq!(order.paid_with, "card");
        assert_eq!(order.store, None);
        assert_eq!(
            chain.store.counters().expect("counters").duplicate_returns,
            0
        );

        // The same shirt taken back at the other counter: the goods are back all the same.
        chain.give_back("D2", "T02", "W1", 1);
        assert_eq!(chain.shirts_in_paris(), 7);
        let counters = chain.store.counters().expect("counters");
        assert_eq!(counters.duplicate_returns, 1);
        assert_eq!(counters.received.get("returns"), Some(&2));
        let order = chain.store.order("W1").expect("order").expect("known");
        assert_eq!(order.lines[0].returned, 2);
        let view = chain
            .store
            .customer_view("C00000001", NOW)
            .expect("view")
            .expect("known");
        assert_eq!(view.returns.len(), 2);
        assert_eq!(view.returns[0].total_cents, -3_990);
    }

    #[test]
    fn a_click_and_collect_line_returned_beyond_what_was_handed_flags_the_order() {
        let mut chain = chain();
        chain.handover("D1", "T01", &[(SHIRT, 1)]);
        chain.give_back("D1", "T01", "CC1", 1);
        assert_eq!(chain.latest().conflict, None);
        chain.give_back("D2", "T02", "CC1", 1);
        let order = chain.latest();
        assert_eq!(
            order.conflict.as_deref(),
            Some("returned twice: T01 and T02")
        );
        assert_eq!(
            chain.store.counters().expect("counters").duplicate_returns,
            1
        );
        assert_eq!(chain.shirts_in_paris(), 7);
    }

    #[test]
    fn an_aisle_order_is_in_the_lookups_the_customers_purchases_and_the_pickup_stores_list() {
        let mut chain = chain();
        let event = chain.push(
            "D1",
            EventKind::AisleOrder,
            Fact::AisleOrder(AisleOrderPayload {
                order_number: "A-T01-000001".into(),
                customer: "C00000001".into(),
                store: "PAR-01".into(),
                terminal: "T01".into(),
                staff: "camille".into(),
                at: NOW,
                lines: vec![AisleLinePayload {
                    gtin: SCARF.into(),
                    quantity: 2,
                    price_cents: 1_990,
                }],
                delivery: "pickup".into(),
                pickup_store: Some("LYO-01".into()),
                ship_from: Some("LYO-01".into()),
            }),
        );
        chain.push_again("D1", &event);
        // Taken from Lyon's shelf, once.
        assert_eq!(chain.level(SCARF, "LYO-01"), 1);
        assert_eq!(chain.level(SCARF, "PAR-01"), 5);
        let order = chain
            .store
            .order("A-T01-000001")
            .expect("order")
            .expect("known");
        // Collected in Lyon: a click-and-collect order of that store, on its terminals' pull.
        assert_eq!(order.status, "ready");
        assert_eq!(order.store.as_deref(), Some("LYO-01"));
        assert_eq!(order.lines[0].amount_cents, 3_980);
        assert_eq!(order.lines[0].name, format!("product {SCARF}"));
        let view = chain
            .store
            .customer_view("C00000001", NOW)
            .expect("view")
            .expect("known");
        let purchase = &view.purchases[0];
        assert_eq!(
            (purchase.reference.as_str(), purchase.channel.as_str()),
            ("A-T01-000001", "online")
        );
        assert_eq!((purchase.total_cents, purchase.items), (3_980, 2));
        let ids: Vec<String> = chain
            .store
            .orders_of("C00000001")
            .expect("orders")
            .into_iter()
            .map(|o| o.id)
            .collect();
        assert_eq!(ids, ["A-T01-000001", "W1", "CC1"]);
        let counters = chain.store.counters().expect("counters");
        assert_eq!(counters.received.get("aisle_orders"), Some(&1));
    }
}
