//! Persisting and reading the fiscal journal. Entries are appended inside the caller's
//! transaction (the fact and its entry commit together); hashes come from `domain::journal`.
//! Verification streams the chain in sequence order with each ticket's stored amounts beside
//! its entry, so a million entries verify in one pass and constant memory.

use rusqlite::{OptionalExtension, Transaction, params};

use super::facts::{Fact, JournalFact};
use super::{Result, Store, StoreError};
use crate::domain::journal::{
    ChainVerifier, EntryKind as JournalKind, FORMAT_VERSION, GENESIS_HASH, JournalEntry,
    JournalProblem, PaymentAmount, TicketProblem, VatAmount,
};

/// The sync-state key of the last journal entry the central received.
const CENTRAL_TIP: &str = "central_journal_tip";

/// An entry before it gets its place in the chain.
#[derive(Clone, Debug)]
pub struct EntryDraft {
    pub terminal: String,
    pub created_at: i64,
    pub operator: Option<String>,
    pub kind: JournalKind,
    pub reference: Option<String>,
    pub training: bool,
    pub total: i64,
    pub vat: Vec<VatAmount>,
    pub payments: Vec<PaymentAmount>,
    pub detail: Option<String>,
    pub count: Option<i64>,
    pub grand_total: Option<i64>,
    pub lines_digest: Option<String>,
}

impl EntryDraft {
    /// A technical event ("start", "training_on", "training_off", "export").
    pub fn technical(terminal: &str, operator: Option<&str>, detail: &str, now: i64) -> Self {
        EntryDraft {
            terminal: terminal.to_owned(),
            created_at: now,
            operator: operator.map(str::to_owned),
            kind: JournalKind::Technical,
            reference: None,
            training: false,
            total: 0,
            vat: Vec::new(),
            payments: Vec::new(),
            detail: Some(detail.to_owned()),
            count: None,
            grand_total: None,
            lines_digest: None,
        }
    }
}

/// Appends `draft` after the terminal's last entry, inside `tx`. Returns the entry and its hash.
pub(super) fn append(tx: &Transaction<'_>, draft: EntryDraft) -> Result<(JournalEntry, String)> {
    let last: Option<(i64, String)> = tx
        .prepare_cached(
            "SELECT sequence, hash FROM journal_entry WHERE terminal_id = ?1
             ORDER BY sequence DESC LIMIT 1",
        )?
        .query_row(params![draft.terminal], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    let (sequence, previous_hash) = match last {
        Some((sequence, hash)) => (sequence + 1, hash),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let entry = JournalEntry {
        count: draft.count,
        created_at: draft.created_at,
        detail: draft.detail,
        grand_total: draft.grand_total,
        kind: draft.kind,
        lines_digest: draft.lines_digest,
        operator: draft.operator,
        payments: draft.payments,
        previous_hash,
        reference: draft.reference,
        sequence,
        terminal: draft.terminal,
        total: draft.total,
        training: draft.training,
        vat: draft.vat,
        version: FORMAT_VERSION,
    };
    let hash = entry.hash();
    // The central keeps each terminal's last journal hash: a truncated journal is caught there.
    super::outbox::enqueue(
        tx,
        entry.created_at,
        &Fact::JournalEntry(JournalFact {
            terminal: entry.terminal.clone(),
            sequence: entry.sequence,
            hash: hash.clone(),
            canonical: entry.canonical(),
        }),
    )?;
    tx.prepare_cached(
        "INSERT INTO journal_entry (terminal_id, sequence, created_at, operator, kind, reference,
             training, total_cents, vat_json, payments_json, detail, count, grand_total,
             lines_digest, version, previous_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        entry.terminal,
        entry.sequence,
        entry.created_at,
        entry.operator,
        entry.kind.as_str(),
        entry.reference,
        entry.training,
        entry.total,
        json(&entry.vat),
        json(&entry.payments),
        entry.detail,
        entry.count,
        entry.grand_total,
        entry.lines_digest,
        entry.version,
        entry.previous_hash,
        hash,
    ])?;
    Ok((entry, hash))
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
}

/// The last entry of a terminal's journal: sequence and hash.
pub type ChainTip = Option<(i64, String)>;

/// What `journal verify` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    pub entries: i64,
    pub tip: ChainTip,
    pub problem: Option<JournalProblem>,
}

/// What the central saw, for the operator.
pub fn break_in_words(kind: super::received::BreakKind) -> &'static str {
    use super::received::BreakKind as Kind;
    match kind {
        Kind::Altered => "an entry's hash is not the hash of its content (the entry was altered)",
        Kind::Gap => "entries are missing between the last one it received and the next",
        Kind::Unlinked => "an entry does not name the previous entry's hash (the journal was cut)",
        Kind::Rewritten => {
            "entry numbers it already had came again with other contents (a tail was deleted and written anew)"
        }
        Kind::TicketReused => "a ticket number came twice with different contents",
        Kind::Other => "a break of a kind this version does not know",
    }
}

/// The journal columns of one entry, in `SELECT` order, and the ticket's stored figures.
const VERIFY_SQL: &str = "SELECT e.sequence, e.created_at, e.operator, e.kind, e.reference,
       e.training, e.total_cents, e.vat_json, e.payments_json, e.detail, e.count, e.grand_total,
       e.lines_digest, e.version, e.previous_hash, e.hash,
       s.id, s.total_cents,
       (SELECT json_group_array(json_object('base', base_cents, 'rate', vat_bp,
                'total', total_cents, 'vat', vat_cents))
          FROM (SELECT * FROM sale_vat WHERE sale_id = s.id ORDER BY vat_bp DESC)),
       (SELECT json_group_array(json_object('amount', amount_cents, 'method', method))
          FROM (SELECT * FROM sale_payment WHERE sale_id = s.id ORDER BY method)),
       (SELECT json_group_array(CASE WHEN discounts_json IS NULL
                THEN json_object('amount', amount_cents,
                    'gtin', printf('%014d', gtin), 'label', label, 'quantity', quantity,
                    'unit_price', unit_price_cents, 'vat_rate', vat_bp)
                ELSE json_object('amount', amount_cents, 'discounts', json(discounts_json),
                    'gtin', printf('%014d', gtin), 'label', label, 'quantity', quantity,
                    'unit_price', unit_price_cents, 'vat_rate', vat_bp) END)
          FROM (SELECT * FROM sale_line WHERE sale_id = s.id ORDER BY line_no))
  FROM journal_entry e
  LEFT JOIN sale s ON e.kind = 'ticket' AND s.ticket_number = e.reference
 WHERE e.terminal_id = ?1
 ORDER BY e.sequence";

impl Store {
    /// Recomputes `terminal`'s whole chain and checks every ticket against its entry, the
    /// closings against theirs, and the tail against the last closing. `progress(done)` is
    /// called every 10,000 entries.
    pub fn verify_journal(
        &self,
        terminal: &str,
        progress: &mut dyn FnMut(i64),
    ) -> Result<Verification> {
        let mut verifier = ChainVerifier::default();
        let mut stmt = self.conn.prepare(VERIFY_SQL)?;
        let mut rows = stmt.query(params![terminal])?;
        let mut tip: ChainTip = None;
        let mut entries = 0;
        while let Some(row) = rows.next()? {
            let sequence: i64 = row.get(0)?;
            let entry = match entry_from_row(terminal, row) {
                Ok(entry) => entry,
                Err(reason) => {
                    return Ok(Verification {
                        entries,
                        tip,
                        problem: Some(JournalProblem::Unreadable { sequence, reason }),
                    });
                }
            };
            let stored_hash: String = row.get(15)?;
            if let Err(problem) = verifier.check(&entry, &stored_hash) {
                return Ok(Verification {
                    entries,
                    tip,
                    problem: Some(problem.into()),
                });
            }
            if entry.kind == JournalKind::Ticket
                && let Some(problem) = ticket_problem(&entry, row)?
            {
                return Ok(Verification {
                    entries,
                    tip,
                    problem: Some(problem.into()),
                });
            }
            entries += 1;
            tip = Some((sequence, stored_hash));
            if entries % 10_000 == 0 {
                progress(entries);
            }
        }
        drop(rows);
        let anchor = self.last_closing_anchor(terminal)?;
        if let Err(problem) = verifier.finish(anchor.as_ref().map(|(s, h)| (*s, h.as_str()))) {
            return Ok(Verification {
                entries,
                tip,
                problem: Some(problem.into()),
            });
        }
        if let Some(problem) = self.closing_problem(terminal)? {
            return Ok(Verification {
                entries,
                tip,
                problem: Some(problem.into()),
            });
        }
        if let Some(ticket) = self.unjournaled_ticket(terminal)? {
            return Ok(Verification {
                entries,
                tip,
                problem: Some(TicketProblem::Unjournaled { ticket }.into()),
            });
        }
        if let Some(open) = self
            .central_journal_breaks()?
            .into_iter()
            .find(|b| b.acknowledged_at.is_none())
        {
            return Ok(Verification {
                entries,
                tip,
                problem: Some(JournalProblem::CentralBreak {
                    id: open.id,
                    sequence: open.sequence,
                    ticket: open.ticket,
                    kind: break_in_words(open.kind),
                }),
            });
        }
        Ok(Verification {
            entries,
            tip,
            problem: None,
        })
    }

    /// Records the last journal entry the central has received (the highest seen).
    pub fn set_central_journal_tip(&self, sequence: i64, hash: &str) -> Result<()> {
        let current = self.central_journal_tip()?;
        if current.as_ref().is_none_or(|(s, _)| sequence > *s) {
            self.set_sync_value(CENTRAL_TIP, &format!("{sequence}:{hash}"))?;
        }
        Ok(())
    }

    fn central_journal_tip(&self) -> Result<Option<(i64, String)>> {
        Ok(self.sync_value(CENTRAL_TIP)?.and_then(|value| {
            let (sequence, hash) = value.split_once(':')?;
            Some((sequence.parse().ok()?, hash.to_owned()))
        }))
    }

    /// The furthest entry the journal must reach: the last closing's, or the last one the
    /// central acknowledged, whichever is later.
    fn last_closing_anchor(&self, terminal: &str) -> Result<Option<(i64, String)>> {
        let closing = self.closing_anchor(terminal)?;
        let central = self.central_journal_tip()?;
        Ok(match (closing, central) {
            (Some(a), Some(b)) => Some(if b.0 > a.0 { b } else { a }),
            (a, b) => a.or(b),
        })
    }

    fn closing_anchor(&self, terminal: &str) -> Result<Option<(i64, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT entry_sequence, entry_hash FROM closing WHERE terminal_id = ?1
                 ORDER BY entry_sequence DESC LIMIT 1",
                params![terminal],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?)
    }

    /// A closing whose stored figures differ from its journal entry.
    fn closing_problem(&self, terminal: &str) -> Result<Option<TicketProblem>> {
        Ok(self
            .conn
            .query_row(
                "SELECT c.id, c.entry_sequence FROM closing c
                 LEFT JOIN journal_entry e ON e.terminal_id = c.terminal_id
                      AND e.sequence = c.entry_sequence
                 WHERE c.terminal_id = ?1
                   AND (e.hash IS NULL OR e.hash != c.entry_hash OR e.total_cents != c.total_cents
                        OR e.count != c.ticket_count OR e.grand_total != c.grand_total)
                 ORDER BY c.entry_sequence LIMIT 1",
                params![terminal],
                |row| {
                    Ok(TicketProblem::Closing {
                        closing: row.get(0)?,
                        sequence: row.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    fn unjournaled_ticket(&self, terminal: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT s.ticket_number FROM sale s WHERE s.terminal_id = ?1 AND NOT EXISTS
                   (SELECT 1 FROM journal_entry e WHERE e.kind = 'ticket'
                       AND e.reference = s.ticket_number)
                 ORDER BY s.seq LIMIT 1",
                params![terminal],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// The terminals that have a journal in this database.
    pub fn journal_terminals(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT terminal_id FROM journal_entry ORDER BY terminal_id")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Appends a technical event in its own transaction.
    pub fn journal_event(&mut self, draft: EntryDraft) -> Result<(JournalEntry, String)> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let appended = append(&tx, draft)?;
        tx.commit()?;
        Ok(appended)
    }
}

fn entry_from_row(
    terminal: &str,
    row: &rusqlite::Row<'_>,
) -> std::result::Result<JournalEntry, String> {
    let get = |e: rusqlite::Error| e.to_string();
    let kind: String = row.get(3).map_err(get)?;
    let vat: String = row.get(7).map_err(get)?;
    let payments: String = row.get(8).map_err(get)?;
    Ok(JournalEntry {
        count: row.get(10).map_err(get)?,
        created_at: row.get(1).map_err(get)?,
        detail: row.get(9).map_err(get)?,
        grand_total: row.get(11).map_err(get)?,
        kind: JournalKind::parse(&kind).ok_or_else(|| format!("unknown kind {kind:?}"))?,
        lines_digest: row.get(12).map_err(get)?,
        operator: row.get(2).map_err(get)?,
        payments: serde_json::from_str(&payments).map_err(|e| format!("payments: {e}"))?,
        previous_hash: row.get(14).map_err(get)?,
        reference: row.get(4).map_err(get)?,
        sequence: row.get(0).map_err(get)?,
        terminal: terminal.to_owned(),
        total: row.get(6).map_err(get)?,
        training: row.get(5).map_err(get)?,
        vat: serde_json::from_str(&vat).map_err(|e| format!("VAT: {e}"))?,
        version: row.get(13).map_err(get)?,
    })
}

/// Compares a ticket entry with the sale tables (columns 16–20 of [`VERIFY_SQL`]).
fn ticket_problem(entry: &JournalEntry, row: &rusqlite::Row<'_>) -> Result<Option<TicketProblem>> {
    let ticket = entry.reference.clone().unwrap_or_default();
    let mismatch = |what| {
        Some(TicketProblem::Mismatch {
            sequence: entry.sequence,
            ticket: ticket.clone(),
            what,
        })
    };
    let sale_id: Option<i64> = row.get(16)?;
    if sale_id.is_none() {
        return Ok(Some(TicketProblem::Missing {
            sequence: entry.sequence,
            ticket,
        }));
    }
    let total: i64 = row.get(17)?;
    if total != entry.total {
        return Ok(mismatch("total"));
    }
    // SQLite's json_object writes the same compact, key-ordered JSON of integers and ASCII
    // method names as serde does for the entry: comparing the text is exact and saves a parse
    // per ticket (a million tickets verify in seconds).
    // The sale's JSON is compared with the entry's stored text first (columns 7 and 8: what
    // serde wrote, so equal when intact) and only when they differ with the entry's values
    // serialised again.
    let text = |col: usize| -> Result<&str> {
        row.get_ref(col)?
            .as_str()
            .map_err(|e| StoreError::Corrupt(format!("journal column {col}: {e}")))
    };
    let agrees = |sale_col: usize, entry_col: usize, values: &dyn Fn() -> String| {
        let sale = text(sale_col)?;
        Ok::<_, StoreError>(sale == text(entry_col)? || sale == values())
    };
    if !agrees(18, 7, &|| json(&entry.vat))? {
        return Ok(mismatch("VAT amounts"));
    }
    if !agrees(19, 8, &|| json(&entry.payments))? {
        return Ok(mismatch("payments"));
    }
    // Fast path: SQLite's JSON of the lines is byte for byte what serde wrote when the sale was
    // recorded (same key order, integers, UTF-8 text), so its SHA-256 is the digest. Only when
    // it differs are the lines parsed and serialised again, which settles escaping differences.
    let lines_json: String = row.get(20)?;
    let expected = entry.lines_digest.as_deref().unwrap_or_default();
    if crate::domain::journal::sha256_hex(lines_json.as_bytes()) != expected {
        let lines: Vec<crate::domain::journal::DigestLine> = serde_json::from_str(&lines_json)
            .map_err(|e| StoreError::Corrupt(format!("sale lines: {e}")))?;
        if crate::domain::journal::lines_digest(&lines) != expected {
            return Ok(mismatch("lines"));
        }
    }
    // No separate check that amount = unit price × quantity: the digest was taken from the
    // sale as recorded, so any later edit of an amount, a price or a quantity breaks it.
    Ok(None)
}

impl Store {
    /// Whether this terminal is in training mode (tickets marked « MODE FORMATION »).
    pub fn training_mode(&self) -> Result<bool> {
        let value: Option<String> = self
            .conn
            .prepare_cached("SELECT value FROM terminal_setting WHERE key = 'training_mode'")?
            .query_row([], |row| row.get(0))
            .optional()?;
        Ok(value.as_deref() == Some("on"))
    }

    /// Switches training mode, journaled as a technical event in the same transaction.
    pub fn set_training_mode(
        &mut self,
        on: bool,
        terminal: &str,
        operator: Option<&str>,
        now: i64,
    ) -> Result<(JournalEntry, String)> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO terminal_setting (key, value) VALUES ('training_mode', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![if on { "on" } else { "off" }],
        )?;
        let detail = if on { "training_on" } else { "training_off" };
        let appended = append(&tx, EntryDraft::technical(terminal, operator, detail, now))?;
        tx.commit()?;
        Ok(appended)
    }
}

/// The entry columns alone, in [`entry_from_row`] order.
const ENTRIES_SQL: &str = "SELECT sequence, created_at, operator, kind, reference, training,
       total_cents, vat_json, payments_json, detail, count, grand_total, lines_digest, version,
       previous_hash, hash
  FROM journal_entry WHERE terminal_id = ?1 ORDER BY sequence";

/// A closing row, for the export.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ClosingRow {
    pub id: i64,
    pub terminal: String,
    pub period: String,
    pub from_sequence: i64,
    pub to_sequence: i64,
    pub ticket_count: i64,
    pub total_cents: i64,
    pub grand_total: i64,
    pub entry_sequence: i64,
    pub entry_hash: String,
    pub created_at: i64,
}

impl Store {
    /// Calls `visit` with every entry of `terminal` and its stored hash, in sequence order.
    pub fn for_each_journal_entry(
        &self,
        terminal: &str,
        visit: &mut dyn FnMut(&JournalEntry, &str) -> std::io::Result<()>,
    ) -> Result<std::io::Result<()>> {
        let mut stmt = self.conn.prepare(ENTRIES_SQL)?;
        let mut rows = stmt.query(params![terminal])?;
        while let Some(row) = rows.next()? {
            let entry = entry_from_row(terminal, row).map_err(StoreError::Corrupt)?;
            let hash: String = row.get(15)?;
            if let Err(e) = visit(&entry, &hash) {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }

    /// The last entry of `terminal`'s journal, and whether its link to the entry before it
    /// holds (`previous_hash` equals that entry's hash; true for the first entry when it points
    /// at the genesis hash). A cheap look at the tip, not a verification of the whole chain.
    pub fn journal_tip(&self, terminal: &str) -> Result<Option<(i64, String, bool)>> {
        let mut stmt = self.conn.prepare(
            "SELECT sequence, hash, previous_hash FROM journal_entry WHERE terminal_id = ?1
             ORDER BY sequence DESC LIMIT 2",
        )?;
        let rows = stmt
            .query_map(params![terminal], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.first().map(|(sequence, hash, previous)| {
            let linked = match rows.get(1) {
                Some((before, before_hash, _)) => {
                    *before == sequence - 1 && before_hash == previous
                }
                None => *sequence == 1 && previous == GENESIS_HASH,
            };
            (*sequence, hash.clone(), linked)
        }))
    }

    /// When the latest journal entry of any terminal was written (Unix seconds), if any.
    pub fn last_journal_time(&self) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row("SELECT max(created_at) FROM journal_entry", [], |row| {
                row.get(0)
            })?)
    }

    /// Number of journal entries of `terminal`.
    pub fn journal_len(&self, terminal: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM journal_entry WHERE terminal_id = ?1",
            params![terminal],
            |row| row.get(0),
        )?)
    }

    /// Every closing of `terminal`, oldest first.
    pub fn closings(&self, terminal: &str) -> Result<Vec<ClosingRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, terminal_id, period, from_sequence, to_sequence, ticket_count,
                    total_cents, grand_total, entry_sequence, entry_hash, created_at
             FROM closing WHERE terminal_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![terminal], |row| {
            Ok(ClosingRow {
                id: row.get(0)?,
                terminal: row.get(1)?,
                period: row.get(2)?,
                from_sequence: row.get(3)?,
                to_sequence: row.get(4)?,
                ticket_count: row.get(5)?,
                total_cents: row.get(6)?,
                grand_total: row.get(7)?,
                entry_sequence: row.get(8)?,
                entry_hash: row.get(9)?,
                created_at: row.get(10)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
