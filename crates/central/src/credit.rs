//! Returns of in-store sales, store credit and the conflicts between counters, central side
//! (issue 16). Part of the storage layer: the `record_*` functions run inside a push's
//! transaction, so a fact and its effects land together or not at all.
//!
//! A return or a spend is a fact of the counter (the goods came back, the customer left with
//! what the credit paid), so it is never refused. What does not add up — a sale's units returned
//! at two offline counters, a credit spent beyond its balance at two offline counters — is kept,
//! recorded as a conflict (a kind and its fields, worded by the screens) and sent to every store
//! involved.
//!
//! Never logged: credit codes, customers, payloads.

use crate::sql::{OptionalExtension, Tx, params};

use super::store::{Result, Store, StoreError, bump, log_change};
use comptoir_domain::gtin::Gtin;
use comptoir_domain::receipt_code::check_of;
use comptoir_protocol::{
    Change, ConflictChange, CreditAnswer, JournalPayload, OrderLine, PaymentPayload, ReturnPayload,
    SaleAnswer, SalePayload, SaleRef,
};

/// Counter of sales' units returned beyond what was sold (two counters).
pub const DOUBLE_RETURNS: &str = "returns.double";
/// Counter of credits spent beyond their balance (two offline counters).
pub const DOUBLE_SPENDS: &str = "credit.double_spends";
/// Credits listed for one customer: the latest ones.
pub const CUSTOMER_CREDITS: i64 = 100;

/// A conflict as `comptoir-central` lists it.
pub type Conflict = ConflictChange;

impl Store {
    /// The sale `ticket` of `store` with what was returned of it, for a return at any store.
    pub fn sale_for_return(&self, store: &str, ticket: &str) -> Result<Option<SaleAnswer>> {
        self.read(|tx| sale_answer(tx, store, ticket))
    }

    /// The credit `code` and what is left on it.
    pub fn credit(&self, code: &str) -> Result<Option<CreditAnswer>> {
        self.read(|tx| credit_answer(tx, code))
    }

    /// The customer's credits, newest first.
    pub fn credits_of(&self, customer: &str) -> Result<Vec<CreditAnswer>> {
        self.read(|tx| {
            let customer = super::store::resolve_customer(tx, customer)?;
            let codes: Vec<String> = tx
                .prepare_cached(
                    "SELECT code FROM credit WHERE customer = ?1
                     ORDER BY issued_at DESC, code LIMIT ?2",
                )?
                .query_map(params![customer, CUSTOMER_CREDITS], |row| row.get(0))?
                .collect::<crate::sql::Result<_>>()?;
            let mut credits = Vec::with_capacity(codes.len());
            for code in codes {
                credits.extend(credit_answer(tx, &code)?);
            }
            Ok(credits)
        })
    }

    /// Every conflict found, newest first.
    pub fn conflicts(&self) -> Result<Vec<Conflict>> {
        self.read(|tx| {
            tx.prepare_cached(
                "SELECT id, kind, subject, counters, at FROM conflict ORDER BY at DESC, id DESC",
            )?
            .query_map(params![], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                ))
            })?
            .map(|row| {
                let (id, kind, subject, counters, at) = row?;
                Ok(ConflictChange {
                    id,
                    kind,
                    subject,
                    counters: serde_json::from_str(&counters)
                        .map_err(|e| StoreError::Corrupt(format!("conflict counters: {e}")))?,
                    at,
                })
            })
            .collect()
        })
    }
}

/// The sale `ticket` of `store` (the first one recorded, should a ticket number have been
/// reused), or `None`.
fn sale_answer(tx: &Tx<'_>, store: &str, ticket: &str) -> Result<Option<SaleAnswer>> {
    let head = tx
        .prepare_cached(
            "SELECT id, terminal, created_at, training, check_code, customer FROM sale
             WHERE store = ?1 AND ticket = ?2 ORDER BY id LIMIT 1",
        )?
        .query_row(params![store, ticket], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, bool>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, Option<String>>(5)?,
            ))
        })
        .optional()?;
    let Some((id, terminal, created_at, training, check, customer)) = head else {
        return Ok(None);
    };
    let lines = tx
        .prepare_cached(
            "SELECT l.gtin, coalesce(p.name, l.gtin), l.quantity, l.amount_cents, l.vat_bp,
                    l.returned
               FROM sale_line l LEFT JOIN product p ON p.gtin = l.gtin
              WHERE l.sale_id = ?1 ORDER BY l.line_no",
        )?
        .query_map(params![id], |row| {
            Ok(OrderLine {
                gtin: row.get(0)?,
                name: row.get(1)?,
                quantity: row.get(2)?,
                amount_cents: row.get(3)?,
                vat_bp: row.get(4)?,
                returned: row.get(5)?,
            })
        })?
        .collect::<crate::sql::Result<_>>()?;
    let payments = tx
        .prepare_cached(
            "SELECT method, amount_cents, credit_code FROM sale_payment WHERE sale_id = ?1
             ORDER BY method",
        )?
        .query_map(params![id], |row| {
            Ok(PaymentPayload {
                method: row.get(0)?,
                amount_cents: row.get(1)?,
                code: row.get(2)?,
            })
        })?
        .collect::<crate::sql::Result<_>>()?;
    Ok(Some(SaleAnswer {
        store: store.to_owned(),
        ticket: ticket.to_owned(),
        terminal,
        created_at,
        training,
        check,
        customer,
        payments,
        lines,
    }))
}

fn credit_answer(tx: &Tx<'_>, code: &str) -> Result<Option<CreditAnswer>> {
    let row = tx
        .prepare_cached(
            "SELECT kind, issued_cents, customer, issued_at FROM credit WHERE code = ?1",
        )?
        .query_row(params![code], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })
        .optional()?;
    let Some((kind, issued, customer, issued_at)) = row else {
        return Ok(None);
    };
    let balance = issued - spent(tx, code)?;
    let conflict = tx
        .prepare_cached("SELECT 1 FROM conflict WHERE kind = 'double_spend' AND subject = ?1")?
        .exists(params![code])?;
    Ok(Some(CreditAnswer {
        code: code.to_owned(),
        kind,
        issued_cents: issued,
        balance_cents: balance,
        customer,
        issued_at,
        conflict,
    }))
}

fn spent(tx: &Tx<'_>, code: &str) -> Result<i64> {
    Ok(tx
        .prepare_cached("SELECT coalesce(sum(amount_cents), 0) FROM credit_use WHERE code = ?1")?
        .query_row(params![code], |row| row.get(0))?)
}

/// Keeps how a sale was paid, and each credit it spent; a credit spent beyond what was issued
/// is a conflict between the counters that spent it.
pub(super) fn record_sale_payments(
    tx: &Tx<'_>,
    event_id: &str,
    sale_id: i64,
    store: &str,
    sale: &SalePayload,
    now: i64,
) -> Result<()> {
    for payment in &sale.payments {
        tx.prepare_cached(
            "INSERT INTO sale_payment (sale_id, method, amount_cents, credit_code)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (sale_id, method) DO UPDATE
                 SET amount_cents = sale_payment.amount_cents + excluded.amount_cents",
        )?
        .execute(params![
            sale_id,
            payment.method,
            payment.amount_cents,
            payment.code
        ])?;
        let (Some(code), false) = (&payment.code, sale.training) else {
            continue;
        };
        if payment.method != "credit" || payment.amount_cents <= 0 {
            continue;
        }
        tx.prepare_cached(
            "INSERT INTO credit_use (event_id, code, amount_cents, store, terminal, ticket, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (event_id, code) DO NOTHING",
        )?
        .execute(params![
            event_id,
            code,
            payment.amount_cents,
            store,
            sale.terminal,
            sale.ticket,
            sale.created_at
        ])?;
        check_overspent(tx, code, now)?;
    }
    Ok(())
}

/// A credit issued by a return (`kind` "credit") or sold (`gift_card`). The same code again (an
/// outbox replayed under new event ids) is the same credit.
#[allow(clippy::too_many_arguments)]
pub(super) fn issue_credit(
    tx: &Tx<'_>,
    code: &str,
    kind: &str,
    issued_cents: i64,
    store: &str,
    terminal: &str,
    ticket: &str,
    customer: Option<&str>,
    at: i64,
    now: i64,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO credit (code, kind, issued_cents, store, terminal, ticket, customer,
                             issued_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (code) DO NOTHING",
    )?
    .execute(params![
        code,
        kind,
        issued_cents,
        store,
        terminal,
        ticket,
        customer,
        at
    ])?;
    // Spent at another counter before its issue reached the central: check now.
    check_overspent(tx, code, now)
}

/// Records a conflict when what the known uses of `code` spent is more than it was issued with.
fn check_overspent(tx: &Tx<'_>, code: &str, now: i64) -> Result<()> {
    let issued: Option<i64> = tx
        .prepare_cached("SELECT issued_cents FROM credit WHERE code = ?1")?
        .query_row(params![code], |row| row.get(0))
        .optional()?;
    let Some(issued) = issued else {
        // Its issue has not arrived yet: checked when it does.
        return Ok(());
    };
    if spent(tx, code)? <= issued {
        return Ok(());
    }
    let counters: Vec<(String, String)> = tx
        .prepare_cached(
            "SELECT store, terminal FROM credit_use WHERE code = ?1
             GROUP BY store, terminal ORDER BY min(at), store, terminal",
        )?
        .query_map(params![code], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<crate::sql::Result<_>>()?;
    tracing::warn!("a credit was spent beyond its balance at two counters");
    record_conflict(tx, "double_spend", code, &counters, now)
}

/// Keeps (or brings up to date) the conflict `kind` on `subject` and sends it to each store of
/// `counters` (store, terminal).
fn record_conflict(
    tx: &Tx<'_>,
    kind: &str,
    subject: &str,
    counters: &[(String, String)],
    now: i64,
) -> Result<()> {
    let names: Vec<String> = counters
        .iter()
        .map(|(store, terminal)| format!("{store}/{terminal}"))
        .collect();
    let json = serde_json::to_string(&names)
        .map_err(|e| StoreError::Corrupt(format!("conflict counters: {e}")))?;
    let fresh = tx
        .prepare_cached(
            "INSERT INTO conflict (kind, subject, counters, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (kind, subject) DO UPDATE SET counters = excluded.counters
             WHERE conflict.counters <> excluded.counters",
        )?
        .execute(params![kind, subject, json, now])?;
    if fresh == 0 {
        return Ok(());
    }
    if kind == "double_spend" {
        bump(tx, DOUBLE_SPENDS, 1)?;
    } else {
        bump(tx, DOUBLE_RETURNS, 1)?;
    }
    let (id, at): (i64, i64) = tx
        .prepare_cached("SELECT id, at FROM conflict WHERE kind = ?1 AND subject = ?2")?
        .query_row(params![kind, subject], |row| Ok((row.get(0)?, row.get(1)?)))?;
    let change = Change::Conflict(ConflictChange {
        id,
        kind: kind.to_owned(),
        subject: subject.to_owned(),
        counters: names,
        at,
    });
    let mut stores: Vec<&str> = counters.iter().map(|(s, _)| s.as_str()).collect();
    stores.sort_unstable();
    stores.dedup();
    for store in stores {
        log_change(tx, Some(store), &change)?;
    }
    Ok(())
}

/// Units of an in-store sale brought back (at its own store or another): each line's returned
/// units add up on the sale; units beyond what it sold — two counters took the same goods back —
/// are a conflict. A sale the central does not have (yet) is only counted.
pub(super) fn record_sale_return(
    tx: &Tx<'_>,
    sale: &SaleRef,
    r: &ReturnPayload,
    now: i64,
) -> Result<bool> {
    let sale_id: Option<i64> = tx
        .prepare_cached("SELECT id FROM sale WHERE store = ?1 AND ticket = ?2 ORDER BY id LIMIT 1")?
        .query_row(params![sale.store, sale.ticket], |row| row.get(0))
        .optional()?;
    let Some(sale_id) = sale_id else {
        tracing::warn!("a return of a sale the central does not have");
        return Ok(false);
    };
    let mut excess = false;
    for line in &r.lines {
        let gtin =
            Gtin::parse(&line.gtin).map_or_else(|_| line.gtin.clone(), |g| g.as_str().to_owned());
        let lines: Vec<(i64, i64, i64)> = tx
            .prepare_cached(
                "SELECT line_no, quantity, returned FROM sale_line
                 WHERE sale_id = ?1 AND gtin = ?2 ORDER BY line_no",
            )?
            .query_map(params![sale_id, gtin], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?
            .collect::<crate::sql::Result<_>>()?;
        let Some(&(last, _, _)) = lines.last() else {
            excess = true;
            continue;
        };
        // The same product on several lines: each takes up to what it sold, the last the rest.
        let mut left = line.quantity;
        for &(line_no, sold, returned) in &lines {
            let take = if line_no == last {
                left
            } else {
                left.min((sold - returned).max(0))
            };
            if take > 0 {
                let returned_now: i64 = tx
                    .prepare_cached(
                        "UPDATE sale_line SET returned = returned + ?3
                         WHERE sale_id = ?1 AND line_no = ?2 RETURNING returned",
                    )?
                    .query_row(params![sale_id, line_no, take], |row| row.get(0))?;
                excess |= returned_now > sold;
                left -= take;
            }
        }
    }
    if excess {
        let counters: Vec<(String, String)> = tx
            .prepare_cached(
                "SELECT store, terminal FROM order_return
                  WHERE order_id = ?1
                  GROUP BY store, terminal ORDER BY min(at), store, terminal",
            )?
            .query_map(params![r.order_id], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<crate::sql::Result<_>>()?;
        let mut counters = counters;
        let this = (r.store.clone(), r.terminal.clone());
        if !counters.contains(&this) {
            counters.push(this);
        }
        tracing::warn!("a sale's units were returned more than they were sold");
        record_conflict(
            tx,
            "double_return",
            &format!("{} {}", sale.store, sale.ticket),
            &counters,
            now,
        )?;
    }
    Ok(excess)
}

/// The id a return of an in-store sale is filed under with the online orders' returns.
pub fn sale_return_id(sale: &SaleRef) -> String {
    format!("{}/{}", sale.store, sale.ticket)
}

/// Notes a ticket's check from its journal entry, once the chain has taken the entry without a
/// break: what a receipt's code is checked against at another store.
pub(super) fn note_ticket_check(tx: &Tx<'_>, store: &str, entry: &JournalPayload) -> Result<()> {
    let Some(ticket) = crate::sale_run::ticket_of(entry) else {
        return Ok(());
    };
    tx.prepare_cached(
        "UPDATE sale SET check_code = ?4
         WHERE store = ?1 AND terminal = ?2 AND ticket = ?3 AND check_code IS NULL",
    )?
    .execute(params![
        store,
        entry.terminal,
        ticket,
        check_of(&entry.hash)
    ])?;
    Ok(())
}
