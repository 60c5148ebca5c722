//! The cash drawer's movements and counts, kept in the fiscal journal itself: a movement is a
//! technical entry (`drawer_float`, `drawer_in: REASON`, `drawer_out: REASON`) whose `total`
//! is the amount, a blind count a `drawer_count` entry. The hash chain covers every fact of
//! them, so `journal verify` catches a changed movement with no side table to compare.

use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use super::journal::{EntryDraft, append};
use super::{Result, Store, StoreError};
pub use crate::domain::drawer::DrawerReport;
use crate::domain::drawer::{COUNT_DETAIL, DETAIL_PREFIX, DrawerCount, Movement, expected_cash};
use crate::domain::gift_card;
use crate::domain::journal::{EntryKind, PaymentAmount, PeriodTotals, VatAmount};

/// What a blind count recorded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CountResult {
    pub counted_cents: i64,
    pub expected_cash_cents: i64,
    /// Counted minus expected: negative when cash is missing.
    pub difference_cents: i64,
    pub denominations: String,
    pub entry_sequence: i64,
}

/// The X report on `conn` (the caller's transaction when it writes after reading).
fn report(conn: &Connection, terminal: &str) -> Result<DrawerReport> {
    let from_sequence: i64 = conn.query_row(
        "SELECT coalesce(max(to_sequence), 0) FROM closing
         WHERE terminal_id = ?1 AND period = 'day'",
        params![terminal],
        |row| row.get(0),
    )?;
    let mut totals = PeriodTotals::default();
    let mut movements = Vec::new();
    let mut to_sequence = from_sequence;
    let mut stmt = conn.prepare(
        "SELECT sequence, kind, training, total_cents, vat_json, payments_json, detail
           FROM journal_entry
          WHERE terminal_id = ?1 AND sequence > ?2
            AND (kind IN ('ticket', 'return')
                 OR (kind = 'technical' AND (detail LIKE ?3 OR detail LIKE ?4)))
          ORDER BY sequence",
    )?;
    let mut rows = stmt.query(params![
        terminal,
        from_sequence,
        format!("{DETAIL_PREFIX}%"),
        format!("{}%", gift_card::DETAIL_PREFIX)
    ])?;
    let (mut gift_cards_sold_cents, mut gift_cards_cash_cents) = (0, 0);
    while let Some(row) = rows.next()? {
        to_sequence = row.get(0)?;
        let kind: String = row.get(1)?;
        let kind = EntryKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("journal kind {kind:?}")))?;
        let total: i64 = row.get(3)?;
        let payments: Vec<PaymentAmount> = serde_json::from_str(&row.get::<_, String>(5)?)
            .map_err(|e| StoreError::Corrupt(format!("journal payments: {e}")))?;
        if kind == EntryKind::Technical {
            let detail: String = row.get(6)?;
            if let Some(movement) = Movement::from_entry(&detail, total) {
                movements.push(movement);
            } else if gift_card::code_of_detail(&detail).is_some() && !row.get::<_, bool>(2)? {
                gift_cards_sold_cents += total;
                gift_cards_cash_cents += crate::domain::drawer::cash_payments(&payments);
            }
            continue;
        }
        let vat: Vec<VatAmount> = serde_json::from_str(&row.get::<_, String>(4)?)
            .map_err(|e| StoreError::Corrupt(format!("journal VAT: {e}")))?;
        totals.add_parts(kind, row.get(2)?, total, &vat, &payments);
    }
    let cash_sales_cents = crate::domain::drawer::cash_payments(&totals.payments);
    let float_cents = movements
        .iter()
        .filter(|m| m.kind == crate::domain::drawer::MovementKind::Float)
        .map(|m| m.amount_cents)
        .sum();
    Ok(DrawerReport {
        from_sequence,
        to_sequence,
        ticket_count: totals.ticket_count,
        total_cents: totals.total,
        vat: totals.vat,
        payments: totals.payments,
        float_cents,
        expected_cash_cents: expected_cash(cash_sales_cents + gift_cards_cash_cents, &movements),
        movements,
        cash_sales_cents,
        gift_cards_sold_cents,
        gift_cards_cash_cents,
    })
}

/// Journals a blind count inside the closing's transaction.
pub(super) fn record_count(
    tx: &Transaction<'_>,
    terminal: &str,
    operator: Option<&str>,
    now: i64,
    count: &DrawerCount,
) -> Result<CountResult> {
    let expected = report(tx, terminal)?.expected_cash_cents;
    let counted = count.total_cents();
    let difference = counted - expected;
    let denominations = count.canonical();
    let mut draft = EntryDraft::technical(
        terminal,
        operator,
        &format!(
            "{COUNT_DETAIL} counted={counted} expected={expected} difference={difference} \
             pieces={denominations}"
        ),
        now,
    );
    draft.total = counted;
    let (entry, _) = append(tx, draft)?;
    Ok(CountResult {
        counted_cents: counted,
        expected_cash_cents: expected,
        difference_cents: difference,
        denominations,
        entry_sequence: entry.sequence,
    })
}

impl Store {
    /// Journals a cash movement; returns its journal sequence.
    pub fn record_drawer_movement(
        &mut self,
        terminal: &str,
        operator: Option<&str>,
        movement: &Movement,
        now: i64,
    ) -> Result<i64> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut draft = EntryDraft::technical(terminal, operator, &movement.detail(), now);
        draft.total = movement.amount_cents;
        let (entry, _) = append(&tx, draft)?;
        tx.commit()?;
        Ok(entry.sequence)
    }

    /// The X report since the last day closing; writes nothing.
    pub fn drawer_report(&self, terminal: &str) -> Result<DrawerReport> {
        report(&self.conn, terminal)
    }
}
