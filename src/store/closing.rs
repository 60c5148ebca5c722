//! Day, month and year closings (Z tickets): the period's totals per VAT rate and per payment
//! method, the number of tickets, and the perpetual grand total, written with their journal entry
//! in one transaction. Training tickets never count.

use rusqlite::{TransactionBehavior, params};

use super::facts::{ClosingFact, Fact};
use super::journal::{EntryDraft, append};
use super::{Result, Store, StoreError};
use crate::domain::journal::{EntryKind, PaymentAmount, PeriodTotals, VatAmount};

/// Which closing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ClosingPeriod {
    Day,
    Month,
    Year,
}

impl ClosingPeriod {
    pub fn as_str(self) -> &'static str {
        match self {
            ClosingPeriod::Day => "day",
            ClosingPeriod::Month => "month",
            ClosingPeriod::Year => "year",
        }
    }
}

/// A closing as recorded: what the Z ticket prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosingReport {
    pub id: i64,
    pub period: ClosingPeriod,
    pub terminal: String,
    pub created_at: i64,
    /// Journal entries covered: after `from_sequence`, up to `to_sequence`.
    pub from_sequence: i64,
    pub to_sequence: i64,
    pub totals: PeriodTotals,
    /// The perpetual grand total: every real ticket and return of this terminal, ever.
    pub grand_total: i64,
    /// The discounts given in the period, per reason and per promotion.
    pub discounts: Vec<DiscountSubtotal>,
    pub entry_sequence: i64,
    pub entry_hash: String,
}

/// What a closing of a period records, computed from the journal as it stands: the journal
/// entries it covers, its totals, and the perpetual grand total after it. [`Store::preview_closing`]
/// shows it and [`Store::close_period`] writes it, both through [`closing_figures`], so what the
/// manager confirms is what the journal gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosingFigures {
    /// Journal entries covered: after `from_sequence`, up to `to_sequence`.
    pub from_sequence: i64,
    pub to_sequence: i64,
    pub totals: PeriodTotals,
    /// The perpetual grand total after this closing: every real ticket and return, ever.
    pub grand_total: i64,
    /// The discounts given in the period, per reason and per promotion.
    pub discounts: Vec<DiscountSubtotal>,
}

/// What the discounts of one reason or one promotion took off in a period (real tickets only).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DiscountSubtotal {
    /// `manual` or `promotion`.
    pub kind: String,
    /// The seller's reason, or the promotion's id.
    pub key: String,
    /// The promotion's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub amount_cents: i64,
    /// Ticket lines that carried it.
    pub lines: i64,
}

/// The discounts of the real tickets journaled after `from` up to `to`, per kind and reason or
/// promotion, manual ones first. Read from the ticket lines the journal's digests cover.
fn discount_subtotals(
    conn: &rusqlite::Connection,
    terminal: &str,
    from: i64,
    to: i64,
) -> Result<Vec<DiscountSubtotal>> {
    let mut stmt = conn.prepare(
        "SELECT json_extract(d.value, '$.kind') AS kind,
                coalesce(json_extract(d.value, '$.promotion_id'),
                         json_extract(d.value, '$.reason'), '') AS key,
                max(json_extract(d.value, '$.name')),
                sum(json_extract(d.value, '$.amount')), count(*)
           FROM journal_entry e
           JOIN sale s ON s.ticket_number = e.reference
           JOIN sale_line l ON l.sale_id = s.id, json_each(l.discounts_json) d
          WHERE e.terminal_id = ?1 AND e.sequence > ?2 AND e.sequence <= ?3
            AND e.kind = 'ticket' AND e.training = 0 AND l.discounts_json IS NOT NULL
          GROUP BY kind, key ORDER BY kind, key",
    )?;
    let rows = stmt.query_map(params![terminal, from, to], |row| {
        Ok(DiscountSubtotal {
            kind: row.get(0)?,
            key: row.get(1)?,
            name: row.get(2)?,
            amount_cents: row.get(3)?,
            lines: row.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The figures of a closing of `period` on `terminal`, read on `conn` (the caller's
/// transaction when it writes the closing).
fn closing_figures(
    conn: &rusqlite::Connection,
    period: ClosingPeriod,
    terminal: &str,
) -> Result<ClosingFigures> {
    let from_sequence: i64 = conn.query_row(
        "SELECT coalesce(max(to_sequence), 0) FROM closing
         WHERE terminal_id = ?1 AND period = ?2",
        params![terminal, period.as_str()],
        |row| row.get(0),
    )?;
    let to_sequence: i64 = conn.query_row(
        "SELECT coalesce(max(sequence), 0) FROM journal_entry WHERE terminal_id = ?1",
        params![terminal],
        |row| row.get(0),
    )?;
    let mut totals = PeriodTotals::default();
    {
        let mut stmt = conn.prepare(
            "SELECT kind, training, total_cents, vat_json, payments_json FROM journal_entry
             WHERE terminal_id = ?1 AND sequence > ?2 AND sequence <= ?3
               AND kind IN ('ticket', 'return') ORDER BY sequence",
        )?;
        let mut rows = stmt.query(params![terminal, from_sequence, to_sequence])?;
        while let Some(row) = rows.next()? {
            let kind: String = row.get(0)?;
            let kind = EntryKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("journal kind {kind:?}")))?;
            let vat: Vec<VatAmount> = serde_json::from_str(&row.get::<_, String>(3)?)
                .map_err(|e| StoreError::Corrupt(format!("journal VAT: {e}")))?;
            let payments: Vec<PaymentAmount> = serde_json::from_str(&row.get::<_, String>(4)?)
                .map_err(|e| StoreError::Corrupt(format!("journal payments: {e}")))?;
            totals.add_parts(kind, row.get(1)?, row.get(2)?, &vat, &payments);
        }
    }
    let grand_total: i64 = conn.query_row(
        "SELECT coalesce(sum(total_cents), 0) FROM journal_entry
         WHERE terminal_id = ?1 AND kind IN ('ticket', 'return') AND training = 0",
        params![terminal],
        |row| row.get(0),
    )?;
    let discounts = discount_subtotals(conn, terminal, from_sequence, to_sequence)?;
    Ok(ClosingFigures {
        from_sequence,
        to_sequence,
        totals,
        grand_total,
        discounts,
    })
}

impl Store {
    /// What [`Store::close_period`] would record now, without writing anything. One read
    /// transaction, so the figures come from one state of the journal.
    pub fn preview_closing(
        &mut self,
        period: ClosingPeriod,
        terminal: &str,
    ) -> Result<ClosingFigures> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)?;
        let figures = closing_figures(&tx, period, terminal)?;
        tx.rollback()?;
        Ok(figures)
    }

    /// Closes the period since the last closing of the same kind.
    pub fn close_period(
        &mut self,
        period: ClosingPeriod,
        terminal: &str,
        operator: Option<&str>,
        now: i64,
    ) -> Result<ClosingReport> {
        Ok(self
            .close_period_counted(period, terminal, operator, now, None)?
            .0)
    }

    /// [`Store::close_period`] after a blind count of the drawer: the count, the cash expected
    /// and the difference are journaled (a `drawer_count` technical entry) in the same
    /// transaction, just before the closing that covers it.
    pub fn close_period_counted(
        &mut self,
        period: ClosingPeriod,
        terminal: &str,
        operator: Option<&str>,
        now: i64,
        count: Option<&crate::domain::drawer::DrawerCount>,
    ) -> Result<(ClosingReport, Option<super::drawer::CountResult>)> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let counted = match count {
            Some(count) => Some(super::drawer::record_count(
                &tx, terminal, operator, now, count,
            )?),
            None => None,
        };
        let ClosingFigures {
            from_sequence,
            to_sequence,
            totals,
            grand_total,
            discounts,
        } = closing_figures(&tx, period, terminal)?;
        let day = chrono::DateTime::from_timestamp(now, 0)
            .map(|t| t.date_naive().to_string())
            .unwrap_or_default();
        let (entry, entry_hash) = append(
            &tx,
            EntryDraft {
                terminal: terminal.to_owned(),
                created_at: now,
                operator: operator.map(str::to_owned),
                kind: EntryKind::Closing,
                reference: None,
                training: false,
                total: totals.total,
                vat: totals.vat.clone(),
                payments: totals.payments.clone(),
                detail: Some(format!("{} {day}", period.as_str())),
                count: Some(totals.ticket_count),
                grand_total: Some(grand_total),
                lines_digest: None,
            },
        )?;
        // The drawer's blind count, when one was made: absent otherwise, so a closing without
        // a count sends the payload it always sent.
        let closing = ClosingFact {
            terminal: terminal.to_owned(),
            period: period.as_str().to_owned(),
            sequence: entry.sequence,
            hash: entry_hash.clone(),
            ticket_count: totals.ticket_count,
            total_cents: totals.total,
            grand_total_cents: grand_total,
            vat: totals.vat.clone(),
            payments: totals.payments.clone(),
            discounts: discounts.clone(),
            counted_cents: counted.as_ref().map(|c| c.counted_cents),
            expected_cash_cents: counted.as_ref().map(|c| c.expected_cash_cents),
            difference_cents: counted.as_ref().map(|c| c.difference_cents),
        };
        super::outbox::enqueue(&tx, now, &Fact::Closing(closing))?;
        tx.execute(
            "INSERT INTO closing (terminal_id, period, from_sequence, to_sequence, ticket_count,
                                  total_cents, grand_total, entry_sequence, entry_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                terminal,
                period.as_str(),
                from_sequence,
                to_sequence,
                totals.ticket_count,
                totals.total,
                grand_total,
                entry.sequence,
                entry_hash,
                now
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        let report = ClosingReport {
            id,
            period,
            terminal: terminal.to_owned(),
            created_at: now,
            from_sequence,
            to_sequence,
            totals,
            grand_total,
            discounts,
            entry_sequence: entry.sequence,
            entry_hash,
        };
        Ok((report, counted))
    }
}
