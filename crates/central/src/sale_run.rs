//! A run of a push's plain events applied set by set (issue 18's ingest): the sales, journal
//! entries and recorded-only events that follow each other in a batch go into each table in one
//! multi-row statement (`bulk`), instead of a dozen statements per sale. One statement costs a
//! round trip to PostgreSQL whatever its rows, so this is what lets the PostgreSQL central take
//! a store's backlog as fast as its terminals send it.
//!
//! Every push of sales goes this way, a terminal's push of one sale and its journal entry as
//! much as a backlog of 500. A run does exactly what applying its events one by one does
//! (`store::apply_event`, which a test compares table by table), with these differences, each
//! harmless:
//! - a stock level moves once by the run's sum, saturated once (one by one it saturates at each
//!   sale, which only differs for a level already at ±10^9);
//! - a ticket's check code from a journal entry is noted even when the entry came before its
//!   sale in the run.
//!
//! Whatever the run cannot decide set by set goes one by one: an event id the central already
//! has, a ticket number it has seen (a journal rewritten, or a sale resent), a payment with a
//! credit code (the credit's balance is checked sale by sale). So does a run the database
//! refuses a row of: the push rolls it back and applies its events one by one, which quarantines
//! the one at fault alone.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use comptoir_domain::gtin::Gtin;
use comptoir_domain::receipt_code::check_of;
use comptoir_protocol::{JournalPayload, SaleLinePayload, SalePayload};

use crate::bulk;
use crate::journal_chain::{self, ChainState};
use crate::sql::{Param, Tx};
use crate::store::{
    DISCOUNTS_MANUAL, DISCOUNTS_PROMOTION, Fact, IncomingEvent, Result, bump, kind_name,
    move_stocks, resolve_customer,
};

/// Whether `event` can be applied in a run.
pub(crate) fn fits(event: &IncomingEvent) -> bool {
    match &event.fact {
        Fact::Sale(sale) => sale.payments.iter().all(|p| p.code.is_none()),
        Fact::Journal(_) | Fact::Recorded => true,
        _ => false,
    }
}

/// The run that starts `events` (sorted by sequence, the first one next after `acked`): the
/// events that follow each other in sequence and each [`fits`].
pub(crate) fn run_from(events: &[IncomingEvent], acked: i64) -> &[IncomingEvent] {
    let length = events
        .iter()
        .zip(acked + 1..)
        .take_while(|(event, seq)| event.seq == *seq && fits(event))
        .count();
    &events[..length]
}

/// What became of a run.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Applied,
    /// The run's events must be applied one by one (after a rollback of what it wrote).
    OneByOne,
}

/// A sale of the run and the id its row got.
struct SaleRow<'a> {
    event_id: &'a str,
    sale: &'a SalePayload,
    customer: Option<String>,
    id: i64,
}

/// Applies `run` (events that [`fits`], in sequence, none applied yet). The caller runs it
/// inside a savepoint, and rolls back to it on [`Outcome::OneByOne`] or an error, which may
/// leave the run half written.
pub(crate) fn apply(
    tx: &Tx<'_>,
    device_id: &str,
    store: &str,
    run: &[IncomingEvent],
    journal: &mut ChainState,
    now: i64,
    touched: &mut BTreeSet<String>,
) -> Result<Outcome> {
    let mut sales: Vec<SaleRow<'_>> = run
        .iter()
        .filter_map(|event| match &event.fact {
            Fact::Sale(sale) => Some(SaleRow {
                event_id: &event.id,
                sale,
                customer: None,
                id: 0,
            }),
            _ => None,
        })
        .collect();
    if !once_each(run, &sales) {
        return Ok(Outcome::OneByOne);
    }
    for row in &mut sales {
        // A sale made offline to a customer created at this counter names the local id.
        row.customer = match &row.sale.customer {
            Some(id) => Some(resolve_customer(tx, id)?),
            None => None,
        };
    }
    if !insert_events(tx, device_id, run, now)? {
        return Ok(Outcome::OneByOne);
    }
    if !insert_sales(tx, store, &mut sales)? {
        return Ok(Outcome::OneByOne);
    }
    for row in &sales {
        if let Some(customer) = &row.customer {
            crate::customer_stores::link(tx, customer, store, now)?;
        }
    }
    insert_lines(tx, &sales)?;
    insert_payments(tx, &sales)?;
    let sold: Vec<&SalePayload> = sales
        .iter()
        .map(|row| row.sale)
        .filter(|sale| !sale.training)
        .collect();
    move_stocks(tx, store, &stock_deltas(&sold), now, touched)?;
    count_discounts(tx, store, &sold)?;
    follow_journal(tx, device_id, store, run, journal, now)?;
    Ok(Outcome::Applied)
}

/// Whether each event and each sale's ticket number comes once in the run, all of one
/// terminal. Whether the central already has an event, or a ticket number, is asked of the
/// inserts themselves ([`insert_events`], [`insert_sales`]).
fn once_each(run: &[IncomingEvent], sales: &[SaleRow<'_>]) -> bool {
    let mut ids = HashSet::new();
    if !run.iter().all(|event| ids.insert(event.id.as_str())) {
        return false;
    }
    let Some(terminal) = sales.first().map(|row| row.sale.terminal.as_str()) else {
        return true;
    };
    let mut tickets = HashSet::new();
    sales
        .iter()
        .all(|row| row.sale.terminal == terminal && tickets.insert(row.sale.ticket.as_str()))
}

/// Keeps the run's events; false when the central already had one of them (nothing of the
/// run may then go set by set: the caller rolls back and goes one by one).
fn insert_events(tx: &Tx<'_>, device_id: &str, run: &[IncomingEvent], now: i64) -> Result<bool> {
    let kinds: Vec<(&IncomingEvent, &str)> = run
        .iter()
        .map(|event| (event, kind_name(event.kind)))
        .collect();
    for chunk in bulk::chunks(&kinds) {
        let sql = format!(
            "INSERT INTO event (id, device, seq, kind, created_at, payload, received_at)
             VALUES {}
             ON CONFLICT DO NOTHING",
            bulk::tuples(3, chunk.len(), &["_", "?1", "_", "_", "_", "_", "?2"])
        );
        let values = bulk::params(&[&device_id, &now], chunk, |(event, kind)| {
            vec![
                &event.id as &dyn Param,
                &event.seq,
                kind,
                &event.created_at,
                &event.payload,
            ]
        });
        if tx.execute(&sql, &values)? < chunk.len() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Keeps the run's sales and numbers them; false when the terminal already sold under one of
/// their ticket numbers (one by one then records the break).
fn insert_sales(tx: &Tx<'_>, store: &str, sales: &mut [SaleRow<'_>]) -> Result<bool> {
    let mut ids = BTreeMap::new();
    for chunk in bulk::chunks(sales) {
        // The earlier sales under each ticket number, looked up by the ticket's index as the
        // row goes in (an `IN` list of 256 tickets was planned as a walk through all the
        // terminal's sales). Both backends leave the new row itself out by its id, and no two
        // sales of a run share a number ([`once_each`]).
        let sql = format!(
            "INSERT INTO sale (event_id, store, terminal, ticket, created_at, training,
                               total_cents, customer)
             VALUES {}
             RETURNING event_id, id,
                 (SELECT count(*) FROM sale o
                  WHERE o.store = sale.store AND o.terminal = sale.terminal
                    AND o.ticket = sale.ticket AND o.id <> sale.id)",
            bulk::tuples(2, chunk.len(), &["_", "?1", "_", "_", "_", "_", "_", "_"])
        );
        let values = bulk::params(&[&store], chunk, |row| {
            vec![
                &row.event_id as &dyn Param,
                &row.sale.terminal,
                &row.sale.ticket,
                &row.sale.created_at,
                &row.sale.training,
                &row.sale.total_cents,
                &row.customer,
            ]
        });
        // Rows come back in no promised order: matched by their event.
        let returned = tx.prepare_cached(&sql)?.query_map(&values, |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })?;
        for triple in returned {
            let (event_id, id, earlier) = triple?;
            if earlier > 0 {
                return Ok(false);
            }
            ids.insert(event_id, id);
        }
    }
    for row in sales.iter_mut() {
        row.id = ids.get(row.event_id).copied().ok_or_else(|| {
            crate::store::StoreError::Corrupt("a sale inserted without its id".into())
        })?;
    }
    Ok(true)
}

/// A line of a sale of the run, numbered from 1 as one-by-one numbers it.
struct LineRow<'a> {
    sale_id: i64,
    line_no: i64,
    line: &'a SaleLinePayload,
}

/// A discount of a line, positioned from 1.
struct DiscountRow<'a> {
    sale_id: i64,
    line_no: i64,
    position: i64,
    discount: &'a comptoir_protocol::SaleDiscountPayload,
}

fn insert_lines(tx: &Tx<'_>, sales: &[SaleRow<'_>]) -> Result<()> {
    let mut lines = Vec::new();
    let mut discounts = Vec::new();
    for row in sales {
        for (i, line) in row.sale.lines.iter().enumerate() {
            let line_no = i as i64 + 1;
            lines.push(LineRow {
                sale_id: row.id,
                line_no,
                line,
            });
            for (j, discount) in line.discounts.iter().enumerate() {
                discounts.push(DiscountRow {
                    sale_id: row.id,
                    line_no,
                    position: j as i64 + 1,
                    discount,
                });
            }
        }
    }
    for chunk in bulk::chunks(&lines) {
        let sql = format!(
            "INSERT INTO sale_line (sale_id, line_no, gtin, quantity, amount_cents, vat_bp,
                                    discount_cents)
             VALUES {}",
            bulk::tuples(1, chunk.len(), &["_"; 7])
        );
        let values = bulk::params(&[], chunk, |r| {
            vec![
                &r.sale_id as &dyn Param,
                &r.line_no,
                &r.line.gtin,
                &r.line.quantity,
                &r.line.amount_cents,
                &r.line.vat_bp,
                &r.line.discount_cents,
            ]
        });
        tx.execute(&sql, &values)?;
    }
    for chunk in bulk::chunks(&discounts) {
        let sql = format!(
            "INSERT INTO sale_discount (sale_id, line_no, position, kind, amount_cents,
                                        promotion_id, reason)
             VALUES {}",
            bulk::tuples(1, chunk.len(), &["_"; 7])
        );
        let values = bulk::params(&[], chunk, |r| {
            vec![
                &r.sale_id as &dyn Param,
                &r.line_no,
                &r.position,
                &r.discount.kind,
                &r.discount.amount_cents,
                &r.discount.promotion_id,
                &r.discount.reason,
            ]
        });
        tx.execute(&sql, &values)?;
    }
    Ok(())
}

/// The payments, one row per sale and method as one-by-one sums them (a run's payments carry
/// no credit code).
fn insert_payments(tx: &Tx<'_>, sales: &[SaleRow<'_>]) -> Result<()> {
    let mut summed: BTreeMap<(i64, &str), i64> = BTreeMap::new();
    for row in sales {
        for payment in &row.sale.payments {
            *summed.entry((row.id, &payment.method)).or_default() += payment.amount_cents;
        }
    }
    let payments: Vec<((i64, &str), i64)> = summed.into_iter().collect();
    for chunk in bulk::chunks(&payments) {
        let sql = format!(
            "INSERT INTO sale_payment (sale_id, method, amount_cents) VALUES {}",
            bulk::tuples(1, chunk.len(), &["_"; 3])
        );
        let values = bulk::params(&[], chunk, |((sale_id, method), cents)| {
            vec![sale_id as &dyn Param, method, cents]
        });
        tx.execute(&sql, &values)?;
    }
    Ok(())
}

/// How much each product's level moves: the lines of real sales, by GTIN as the level is kept.
fn stock_deltas(sold: &[&SalePayload]) -> BTreeMap<String, i64> {
    let mut deltas: BTreeMap<String, i64> = BTreeMap::new();
    for line in sold.iter().flat_map(|sale| &sale.lines) {
        if line.quantity == 0 {
            continue;
        }
        match Gtin::parse(&line.gtin) {
            Ok(gtin) => {
                let delta = deltas.entry(gtin.as_str().to_owned()).or_default();
                *delta = delta.saturating_sub(line.quantity);
            }
            Err(_) => tracing::warn!("a line has no valid GTIN: no stock moved"),
        }
    }
    deltas
}

/// Promotions used (once per sale that took one) and the discounts given, as one by one.
fn count_discounts(tx: &Tx<'_>, store: &str, sold: &[&SalePayload]) -> Result<()> {
    if sold.is_empty() {
        return Ok(());
    }
    let mut uses: BTreeMap<&str, u32> = BTreeMap::new();
    let (mut manual, mut promotion) = (0i64, 0i64);
    for sale in sold {
        let mut taken = BTreeSet::new();
        for discount in sale.lines.iter().flat_map(|l| &l.discounts) {
            match discount.kind.as_str() {
                "manual" => manual += discount.amount_cents,
                "promotion" => promotion += discount.amount_cents,
                _ => {}
            }
            if let Some(id) = &discount.promotion_id {
                taken.insert(id.as_str());
            }
        }
        for id in taken {
            *uses.entry(id).or_default() += 1;
        }
    }
    for (id, count) in uses {
        crate::promotion::record_promotion_use(tx, id, store, count)?;
    }
    bump(tx, DISCOUNTS_MANUAL, manual)?;
    bump(tx, DISCOUNTS_PROMOTION, promotion)?;
    Ok(())
}

/// The run's journal entries through the device's chain, in order: a break is recorded as one
/// by one records it; a ticket's check code is noted for the entries the chain takes.
fn follow_journal(
    tx: &Tx<'_>,
    device_id: &str,
    store: &str,
    run: &[IncomingEvent],
    journal: &mut ChainState,
    now: i64,
) -> Result<()> {
    let mut checks: BTreeMap<(&str, String), String> = BTreeMap::new();
    for event in run {
        let Fact::Journal(entry) = &event.fact else {
            continue;
        };
        match journal.follow(entry) {
            Some(kind) => {
                journal_chain::record(tx, device_id, Some(entry.sequence), kind, None, now)?;
            }
            None => {
                if let Some(ticket) = ticket_of(entry) {
                    // The first entry for a ticket sets its code, as one by one.
                    checks
                        .entry((entry.terminal.as_str(), ticket))
                        .or_insert_with(|| check_of(&entry.hash));
                }
            }
        }
    }
    let checks: Vec<((&str, String), String)> = checks.into_iter().collect();
    for chunk in bulk::chunks(&checks) {
        let sql = format!(
            "WITH c (terminal, ticket, code) AS (VALUES {})
             UPDATE sale SET check_code = c.code FROM c
             WHERE sale.store = ?1 AND sale.terminal = c.terminal AND sale.ticket = c.ticket
               AND sale.check_code IS NULL",
            bulk::tuples(
                2,
                chunk.len(),
                &["CAST(_ AS TEXT)", "CAST(_ AS TEXT)", "CAST(_ AS TEXT)"]
            )
        );
        let values = bulk::params(&[&store], chunk, |((terminal, ticket), code)| {
            vec![terminal as &dyn Param, ticket, code]
        });
        tx.execute(&sql, &values)?;
    }
    Ok(())
}

/// The ticket a journal entry records, when it records one (`credit::note_ticket_check`).
pub(crate) fn ticket_of(entry: &JournalPayload) -> Option<String> {
    let canonical = serde_json::from_str::<serde_json::Value>(&entry.canonical).ok()?;
    if canonical.get("kind").and_then(|k| k.as_str()) != Some("ticket") {
        return None;
    }
    canonical
        .get("reference")
        .and_then(|r| r.as_str())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Apply, PushOutcome, Store};
    use comptoir_domain::demo;
    use comptoir_domain::journal::{GENESIS_HASH, sha256_hex};
    use comptoir_protocol::{
        CustomerChange, EventKind, JournalBreakKind, LocationChange, PaymentPayload, ProductChange,
        SaleDiscountPayload, StockLevelChange,
    };

    const NOW: i64 = 1_764_000_000;

    fn gtin(i: u64) -> String {
        demo::product(i).gtin.as_str().to_owned()
    }

    /// A central with two stores, three products (stocked in both but the second, in LYO-01
    /// only: its first level in PAR-01 comes from a sale), one customer and the device
    /// D1 (terminal T01 of PAR-01).
    fn central() -> (tempfile::TempDir, Store) {
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
                for i in 0..3 {
                    w.product(&ProductChange {
                        gtin: gtin(i),
                        name: format!("P{i}"),
                        brand: "B".into(),
                        category: "C".into(),
                        price_cents: 1990,
                        vat_bp: 2000,
                        price_unit: "each".into(),
                        in_store_item_code: None,
                        stock: ["PAR-01", "LYO-01"]
                            .into_iter()
                            .filter(|location| i != 1 || *location == "LYO-01")
                            .map(|location| StockLevelChange {
                                location: location.into(),
                                qty: 10,
                                as_of: 1,
                            })
                            .collect(),
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
                    "LYO-01",
                )
            })
            .expect("seed");
        crate::store::tests::enroll_d1(&store);
        (dir, store)
    }

    fn event(seq: i64, kind: EventKind, fact: Fact) -> IncomingEvent {
        IncomingEvent {
            id: uuid::Uuid::new_v4().hyphenated().to_string(),
            seq,
            kind,
            created_at: NOW,
            payload: format!("{{\"seq\":{seq}}}"),
            fact,
        }
    }

    fn sale(ticket: &str, lines: &[(u64, i64)]) -> SalePayload {
        let lines: Vec<SaleLinePayload> = lines
            .iter()
            .map(|&(product, quantity)| SaleLinePayload {
                gtin: gtin(product),
                quantity,
                amount_cents: 1990 * quantity,
                vat_bp: 2000,
                discount_cents: 0,
                discounts: Vec::new(),
            })
            .collect();
        let total_cents = lines.iter().map(|l| l.amount_cents).sum();
        SalePayload {
            ticket: ticket.into(),
            terminal: "T01".into(),
            store: "PAR-01".into(),
            created_at: NOW,
            training: false,
            total_cents,
            lines,
            payments: vec![PaymentPayload {
                method: "card".into(),
                amount_cents: total_cents,
                code: None,
            }],
            customer: None,
        }
    }

    /// A journal entry recording `ticket`, chained after `previous`.
    fn entry(sequence: i64, ticket: &str, previous: &str) -> JournalPayload {
        let canonical = serde_json::json!({
            "kind": "ticket",
            "reference": ticket,
            "previous_hash": previous,
            "sequence": sequence,
        })
        .to_string();
        JournalPayload {
            terminal: "T01".into(),
            sequence,
            hash: sha256_hex(canonical.as_bytes()),
            canonical,
        }
    }

    /// A terminal's day: sales of every shape a run takes, each followed by its journal entry,
    /// and a closing.
    fn day() -> Vec<IncomingEvent> {
        let mut sales = vec![
            sale("T01-001", &[(0, 1), (1, 2)]),
            sale("T01-002", &[(1, 1)]),
            sale("T01-003", &[(2, 3), (0, 1)]),
            sale("T01-004", &[(0, 2)]),
            sale("T01-005", &[(2, 1)]),
        ];
        // A manual discount and a promotion on one line, a training ticket, a sale to a
        // customer of another store paid in two ways, a line the chain does not know.
        let line = &mut sales[1].lines[0];
        line.amount_cents -= 500;
        line.discount_cents = 500;
        line.discounts = vec![
            SaleDiscountPayload {
                kind: "manual".into(),
                amount_cents: 200,
                promotion_id: None,
                reason: Some("abîmé".into()),
            },
            SaleDiscountPayload {
                kind: "promotion".into(),
                amount_cents: 300,
                promotion_id: Some("PROMO-1".into()),
                reason: None,
            },
        ];
        sales[1].total_cents -= 500;
        sales[1].payments[0].amount_cents -= 500;
        sales[2].training = true;
        sales[3].customer = Some("C00000001".into());
        sales[3].payments = vec![
            PaymentPayload {
                method: "cash".into(),
                amount_cents: 1000,
                code: None,
            },
            PaymentPayload {
                method: "card".into(),
                amount_cents: sales[3].total_cents - 1000,
                code: None,
            },
        ];
        sales[4].lines[0].gtin = "4006381333931".into();
        let mut events = Vec::new();
        let mut previous = GENESIS_HASH.to_owned();
        for (i, sale) in sales.into_iter().enumerate() {
            let journal = entry(i as i64 + 1, &sale.ticket, &previous);
            previous.clone_from(&journal.hash);
            events.push(event(0, EventKind::Sale, Fact::Sale(sale)));
            events.push(event(0, EventKind::JournalEntry, Fact::Journal(journal)));
        }
        events.push(event(0, EventKind::Closing, Fact::Recorded));
        for (seq, event) in events.iter_mut().enumerate() {
            event.seq = seq as i64 + 1;
        }
        events
    }

    /// What the central's tables hold, row by row, as text (ids included: a run numbers its
    /// sales as one by one does).
    fn tables(dir: &tempfile::TempDir) -> Vec<(String, Vec<String>)> {
        let conn = rusqlite::Connection::open(dir.path().join(crate::store::DB_FILE)).expect("db");
        [
            "SELECT id, device, seq, kind, created_at, payload FROM event ORDER BY seq",
            "SELECT id, event_id, store, terminal, ticket, training, total_cents, customer,
                    check_code FROM sale ORDER BY id",
            "SELECT * FROM sale_line ORDER BY sale_id, line_no",
            "SELECT * FROM sale_discount ORDER BY sale_id, line_no, position",
            "SELECT * FROM sale_payment ORDER BY sale_id, method",
            "SELECT gtin, location, qty, as_of FROM stock ORDER BY gtin, location",
            "SELECT * FROM promotion_use ORDER BY promotion_id, store",
            "SELECT customer, store FROM customer_store ORDER BY customer, store",
            "SELECT name, device, value FROM counter ORDER BY name, device",
            "SELECT acked_seq FROM device",
            "SELECT count(*) FROM journal_break",
            // The last word on each product's levels, and every other change.
            "SELECT change FROM change_log WHERE cursor IN (
                 SELECT max(cursor) FROM change_log GROUP BY
                     CASE WHEN change LIKE '{\"type\":\"stock\"%' THEN json_extract(change, '$.gtin')
                          ELSE cursor END)
             ORDER BY change",
        ]
        .into_iter()
        .map(|sql| {
            let mut stmt = conn.prepare(sql).expect(sql);
            let columns = stmt.column_count();
            let rows = stmt
                .query_map([], |row| {
                    (0..columns)
                        .map(|i| row.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}")))
                        .collect::<rusqlite::Result<Vec<_>>>()
                        .map(|values| values.join("|"))
                })
                .expect("query")
                .collect::<rusqlite::Result<Vec<_>>>()
                .expect("rows");
            (sql.to_owned(), rows)
        })
        .collect()
    }

    #[test]
    fn a_batch_applied_set_by_set_leaves_what_one_by_one_leaves() {
        let events = day();
        assert_eq!(run_from(&events, 0).len(), events.len(), "one run");
        let (together_dir, together) = central();
        let outcome = together.push("D1", &events, NOW).expect("push");
        let (alone_dir, alone) = central();
        for event in &events {
            alone
                .push_with("D1", std::slice::from_ref(event), NOW, Apply::OneByOne)
                .expect("push");
        }
        assert_eq!(
            outcome,
            PushOutcome::Applied {
                acked_seq: events.len() as i64,
                applied: events.len() as u32,
                duplicates: 0,
                quarantined: Vec::new(),
            }
        );
        let (together, alone) = (tables(&together_dir), tables(&alone_dir));
        for ((sql, rows), (_, expected)) in together.iter().zip(&alone) {
            assert_eq!(rows, expected, "{sql}");
        }
        // 1 + 2 sold; the training ticket's 1 moves nothing.
        let stock = &together[5].1;
        let level = format!(
            "Text(\"{}\")|Text(\"PAR-01\")|Integer(7)|Integer({NOW})",
            gtin(0)
        );
        assert!(stock.contains(&level), "{stock:?}");
        let first = format!(
            "Text(\"{}\")|Text(\"PAR-01\")|Integer(-3)|Integer({NOW})",
            gtin(1)
        );
        assert!(stock.contains(&first), "a first level: {stock:?}");
        assert!(
            together[1].1.iter().all(|sale| !sale.ends_with("|Null")),
            "every ticket has its check code"
        );
    }

    #[test]
    fn a_ticket_number_seen_before_sends_the_run_one_by_one_and_is_a_break() {
        let (_dir, central) = central();
        let first = event(1, EventKind::Sale, Fact::Sale(sale("T01-001", &[(0, 1)])));
        central.push("D1", &[first], NOW).expect("push");
        // The same number again with other contents (a journal tail written anew), in a run.
        let again = vec![
            event(2, EventKind::Sale, Fact::Sale(sale("T01-002", &[(1, 1)]))),
            event(3, EventKind::Sale, Fact::Sale(sale("T01-001", &[(2, 1)]))),
        ];
        let outcome = central.push("D1", &again, NOW).expect("push");
        assert!(matches!(
            outcome,
            PushOutcome::Applied {
                applied: 2,
                acked_seq: 3,
                ..
            }
        ));
        let breaks = central.journal_breaks().expect("breaks");
        assert_eq!(breaks.len(), 1, "{breaks:?}");
        assert_eq!(breaks[0].kind, JournalBreakKind::TicketReused);
    }

    #[test]
    fn an_event_the_central_has_under_a_new_sequence_is_a_duplicate_in_a_batch() {
        let (_dir, central) = central();
        let first = vec![
            event(1, EventKind::Sale, Fact::Sale(sale("T01-001", &[(0, 1)]))),
            event(2, EventKind::Sale, Fact::Sale(sale("T01-002", &[(0, 1)]))),
        ];
        central.push("D1", &first, NOW).expect("push");
        let mut resent = first[0].clone();
        resent.seq = 3;
        let batch = vec![
            resent,
            event(4, EventKind::Sale, Fact::Sale(sale("T01-003", &[(0, 1)]))),
        ];
        let outcome = central.push("D1", &batch, NOW).expect("push");
        assert_eq!(
            outcome,
            PushOutcome::Applied {
                acked_seq: 4,
                applied: 1,
                duplicates: 1,
                quarantined: Vec::new(),
            }
        );
        let level = central.stock(&gtin(0)).expect("stock").expect("a product");
        assert_eq!(level[0].qty, 7, "three sales moved the level once each");
    }
}
