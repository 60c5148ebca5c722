//! Each terminal's fiscal journal chain as the central follows it, entry by entry, and the
//! breaks it finds (CGI art. 286 I 3° bis: an altered or cut journal must show). A break is kept
//! for good, listed by `comptoir-central journal-breaks`, sent back to the terminal with its
//! journal tip, and acknowledged by an auditor. The tip the central holds for a terminal never
//! moves past an open break: a terminal whose tail was deleted and written anew can no longer
//! make the central vouch for its new tail.

use crate::sql::{OptionalExtension, Tx, params};
use serde::Serialize;

use comptoir_domain::journal::{GENESIS_HASH, sha256_hex};
use comptoir_protocol::{JournalBreakKind, JournalBreakNotice, JournalPayload};

/// What the central holds of a device's journal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChainState {
    /// The last entry that chained with no break open: what the central vouches for.
    pub tip: Option<(i64, String)>,
    /// The last entry received, which a break may have forked from the tip.
    pub seen: Option<(i64, String)>,
    /// An unacknowledged break: the tip stays where it is.
    pub open: bool,
}

impl ChainState {
    /// Takes in the next entry; the break it reveals, if any. The entry's hash must be the
    /// SHA-256 of its canonical form, and that form must name the previous entry's hash. Once a
    /// break is open, entries that continue the new line are not breaks again (one deletion is
    /// one break), but the tip stays until an auditor acknowledges it.
    pub fn follow(&mut self, entry: &JournalPayload) -> Option<JournalBreakKind> {
        let previous = serde_json::from_str::<serde_json::Value>(&entry.canonical)
            .ok()
            .and_then(|c| c.get("previous_hash")?.as_str().map(str::to_owned));
        let reference = if self.open { &self.seen } else { &self.tip };
        let found = if sha256_hex(entry.canonical.as_bytes()) != entry.hash {
            Some(JournalBreakKind::Altered)
        } else {
            match reference {
                // The first entry the central hears of from a terminal whose journal began
                // before it was enrolled has nothing to be compared with; entry 1 must start
                // from the genesis hash.
                None if entry.sequence == 1 && previous.as_deref() != Some(GENESIS_HASH) => {
                    Some(JournalBreakKind::Unlinked)
                }
                None => None,
                Some((sequence, hash)) => {
                    if entry.sequence <= *sequence {
                        Some(JournalBreakKind::Rewritten)
                    } else if entry.sequence > sequence + 1 {
                        Some(JournalBreakKind::Gap)
                    } else if previous.as_deref() != Some(hash.as_str()) {
                        Some(JournalBreakKind::Unlinked)
                    } else {
                        None
                    }
                }
            }
        };
        let here = Some((entry.sequence, entry.hash.clone()));
        if found.is_some() {
            self.open = true;
        } else if !self.open {
            self.tip.clone_from(&here);
        }
        self.seen = here;
        found
    }

    /// An auditor acknowledged every open break: the line received since becomes the chain.
    pub fn accept(&mut self) {
        self.open = false;
        self.tip.clone_from(&self.seen);
    }
}

/// The chain state of `device`; None for an unknown device.
pub(super) fn load(tx: &Tx<'_>, device: &str) -> crate::sql::Result<Option<ChainState>> {
    tx.prepare_cached(
        "SELECT journal_sequence, journal_hash, journal_seen_sequence, journal_seen_hash,
                EXISTS (SELECT 1 FROM journal_break b
                        WHERE b.device = d.id AND b.acknowledged_at IS NULL)
         FROM device d WHERE id = ?1",
    )?
    .query_row(params![device], |row| {
        let pair = |a: Option<i64>, b: Option<String>| a.zip(b);
        Ok(ChainState {
            tip: pair(row.get(0)?, row.get(1)?),
            seen: pair(row.get(2)?, row.get(3)?),
            open: row.get(4)?,
        })
    })
    .optional()
}

pub(super) fn save(tx: &Tx<'_>, device: &str, state: &ChainState) -> crate::sql::Result<()> {
    let (tip_seq, tip_hash) = state.tip.clone().unzip();
    let (seen_seq, seen_hash) = state.seen.clone().unzip();
    tx.prepare_cached(
        "UPDATE device SET journal_sequence = ?2, journal_hash = ?3, journal_seen_sequence = ?4,
                           journal_seen_hash = ?5
         WHERE id = ?1",
    )?
    .execute(params![device, tip_seq, tip_hash, seen_seq, seen_hash])?;
    Ok(())
}

/// Keeps a break found in `device`'s journal. Warned in the log without any figure of the
/// ticket: the operator reads the details with `comptoir-central journal-breaks`.
pub(super) fn record(
    tx: &Tx<'_>,
    device: &str,
    sequence: Option<i64>,
    kind: JournalBreakKind,
    ticket: Option<&str>,
    now: i64,
) -> crate::sql::Result<()> {
    tracing::warn!(
        device,
        sequence,
        kind = kind.as_str(),
        "a break in a terminal's journal chain: see `comptoir-central journal-breaks`"
    );
    tx.prepare_cached(
        "INSERT INTO journal_break (device, store, terminal, sequence, kind, ticket, detected_at)
         SELECT id, store, terminal_id, ?2, ?3, ?4, ?5 FROM device WHERE id = ?1",
    )?
    .execute(params![device, sequence, kind.as_str(), ticket, now])?;
    Ok(())
}

/// A kept break, as `comptoir-central journal-breaks --json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JournalBreak {
    pub id: i64,
    pub device: String,
    pub store: String,
    pub terminal: String,
    pub sequence: Option<i64>,
    pub kind: JournalBreakKind,
    pub ticket: Option<String>,
    /// Unix seconds, UTC.
    pub detected_at: i64,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub note: Option<String>,
}

/// Every kept break (of `device` only, when given), oldest first.
pub(super) fn list(tx: &Tx<'_>, device: Option<&str>) -> crate::sql::Result<Vec<JournalBreak>> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, device, store, terminal, sequence, kind, ticket, detected_at, acknowledged_at,
                acknowledged_by, note
         FROM journal_break WHERE CAST(?1 AS TEXT) IS NULL OR device = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![device], |row| {
        Ok(JournalBreak {
            id: row.get(0)?,
            device: row.get(1)?,
            store: row.get(2)?,
            terminal: row.get(3)?,
            sequence: row.get(4)?,
            kind: JournalBreakKind::parse(&row.get::<_, String>(5)?),
            ticket: row.get(6)?,
            detected_at: row.get(7)?,
            acknowledged_at: row.get(8)?,
            acknowledged_by: row.get(9)?,
            note: row.get(10)?,
        })
    })?;
    rows.collect()
}

/// What the terminal is told of its journal's breaks.
pub(super) fn notices(tx: &Tx<'_>, device: &str) -> crate::sql::Result<Vec<JournalBreakNotice>> {
    Ok(list(tx, Some(device))?
        .into_iter()
        .map(|b| JournalBreakNotice {
            id: b.id,
            sequence: b.sequence,
            kind: b.kind,
            ticket: b.ticket,
            detected_at: b.detected_at,
            acknowledged_at: b.acknowledged_at,
        })
        .collect())
}

/// What acknowledging a break gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acknowledged {
    /// Done; `tip_moved` when it was the device's last open break and its tip now follows the
    /// entries received since.
    Done {
        tip_moved: bool,
    },
    Unknown,
    /// An auditor already acknowledged it (when, by whom).
    Already {
        at: i64,
        by: String,
    },
}

/// An auditor's acknowledgement of break `id`: the break stays listed, marked; once a device has
/// no open break left, its tip follows the entries received since.
pub(super) fn acknowledge(
    tx: &Tx<'_>,
    id: i64,
    auditor: &str,
    note: Option<&str>,
    now: i64,
) -> crate::sql::Result<Acknowledged> {
    let found: Option<(String, Option<i64>, Option<String>)> = tx
        .query_row(
            "SELECT device, acknowledged_at, acknowledged_by FROM journal_break WHERE id = ?1",
            params![id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((device, at, by)) = found else {
        return Ok(Acknowledged::Unknown);
    };
    if let (Some(at), Some(by)) = (at, by) {
        return Ok(Acknowledged::Already { at, by });
    }
    tx.execute(
        "UPDATE journal_break SET acknowledged_at = ?2, acknowledged_by = ?3, note = ?4
         WHERE id = ?1",
        params![id, now, auditor, note],
    )?;
    let mut state = load(tx, &device)?.unwrap_or_default();
    let tip_moved = !state.open;
    if tip_moved {
        state.accept();
        save(tx, &device, &state)?;
    }
    Ok(Acknowledged::Done { tip_moved })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(sequence: i64, previous: &str, salt: &str) -> JournalPayload {
        let canonical =
            format!(r#"{{"previous_hash":"{previous}","sequence":{sequence},"salt":"{salt}"}}"#);
        JournalPayload {
            terminal: "T01".into(),
            sequence,
            hash: sha256_hex(canonical.as_bytes()),
            canonical,
        }
    }

    /// `count` entries chained from `from` (the entry before the first, or genesis).
    fn chain(first: i64, count: i64, from: &str, salt: &str) -> Vec<JournalPayload> {
        let mut previous = from.to_owned();
        (first..first + count)
            .map(|sequence| {
                let e = entry(sequence, &previous, salt);
                previous.clone_from(&e.hash);
                e
            })
            .collect()
    }

    #[test]
    fn an_honest_chain_moves_the_tip() {
        let mut state = ChainState::default();
        for e in chain(1, 5, GENESIS_HASH, "a") {
            assert_eq!(state.follow(&e), None);
        }
        assert_eq!(state.tip.as_ref().map(|t| t.0), Some(5));
        assert!(!state.open);
    }

    /// Issue 19, finding 1: sell 10, delete 8–10, sell 5 more. The rewritten tail is one break,
    /// and the tip stays at 10 until an auditor acknowledges it.
    #[test]
    fn a_tail_deleted_and_written_anew_is_one_break_and_the_tip_stays() {
        let honest = chain(1, 10, GENESIS_HASH, "a");
        let mut state = ChainState::default();
        for e in &honest {
            state.follow(e);
        }
        let tenth = state.tip.clone();
        let rewritten = chain(8, 5, &honest[6].hash, "b");
        let breaks: Vec<_> = rewritten.iter().filter_map(|e| state.follow(e)).collect();
        assert_eq!(breaks, [JournalBreakKind::Rewritten]);
        assert_eq!(state.tip, tenth, "the tip never moves past a break");
        assert_eq!(state.seen.as_ref().map(|s| s.0), Some(12));
        state.accept();
        assert_eq!(state.tip.as_ref().map(|t| t.0), Some(12));
        // The new line goes on without a break once accepted.
        let next = entry(13, &rewritten[4].hash, "b");
        assert_eq!(state.follow(&next), None);
        assert_eq!(state.tip.as_ref().map(|t| t.0), Some(13));
    }

    #[test]
    fn gaps_unlinked_and_altered_entries_are_breaks() {
        let honest = chain(1, 3, GENESIS_HASH, "a");
        let follow_all = |extra: JournalPayload| {
            let mut state = ChainState::default();
            honest
                .iter()
                .for_each(|e| assert_eq!(state.follow(e), None));
            (state.follow(&extra), state.tip.map(|t| t.0))
        };
        assert_eq!(
            follow_all(entry(5, &honest[2].hash, "a")),
            (Some(JournalBreakKind::Gap), Some(3))
        );
        assert_eq!(
            follow_all(entry(4, &honest[0].hash, "a")),
            (Some(JournalBreakKind::Unlinked), Some(3))
        );
        let mut altered = entry(4, &honest[2].hash, "a");
        altered.canonical = altered.canonical.replace("\"a\"", "\"z\"");
        assert_eq!(
            follow_all(altered),
            (Some(JournalBreakKind::Altered), Some(3))
        );
        // A first entry 1 that does not start from genesis.
        let mut state = ChainState::default();
        assert_eq!(
            state.follow(&entry(1, "beef", "a")),
            Some(JournalBreakKind::Unlinked)
        );
        // A terminal heard of from its entry 40 on: nothing to compare it with.
        let mut state = ChainState::default();
        assert_eq!(state.follow(&entry(40, "beef", "a")), None);
        assert_eq!(state.tip.map(|t| t.0), Some(40));
    }
}
