//! Promotion rules on the central (issue 15): the head office's « soldes », « 2e à -50 % »,
//! « 3 pour 2 »… Adding rules or ending one logs a `promotion` change for every store in the same
//! transaction, so each terminal gets it with its next pull, in order with everything else (as
//! recalls do, see `recall`). A rule is never deleted: ending it moves its `ends` to that moment
//! and keeps the record, with the count of the sales that used it in each store.
//!
//! Rules reach every store; a rule naming some stores (`stores`) runs only there, which each
//! terminal checks itself (`Promotion::runs`). Rule texts are the head office's, never personal
//! data, but the rules are still not logged: an id is enough to find one.

use std::collections::BTreeMap;

use crate::sql::{OptionalExtension, Tx, params};
use chrono::NaiveDateTime;
use serde::Serialize;

use super::store::{Result, Store, StoreError, log_change};
use comptoir_domain::promotion::{Promotion, PromotionError};
use comptoir_protocol::{Change, PromotionChange};

/// A rule as `comptoir-central promo list --json` prints it: the rule's own fields, then what
/// the central knows of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PromotionRecord {
    #[serde(flatten)]
    pub rule: Promotion,
    /// The offer's kind (`percent_off`, `nth_percent_off`, `buy_pay`…), for a quick read.
    pub kind: &'static str,
    /// When the central accepted it (Unix seconds, UTC).
    pub created_at: i64,
    /// When `promo end` ended it (Unix seconds, UTC); `None` while it runs to its own `ends`.
    pub ended_at: Option<i64>,
    /// Whether `promo end` ended it.
    pub ended: bool,
    /// How many sales used it, per store code (stores that never used it are absent).
    pub uses: BTreeMap<String, i64>,
}

/// Why a file of rules was refused, whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromotionFileError {
    #[error("the file is not JSON: {0}")]
    NotJson(String),
    #[error("the file must hold one rule (a JSON object) or an array of rules")]
    NotRules,
    #[error("the file holds no rule")]
    Empty,
    #[error("rule {number} cannot be read: {why}")]
    Unreadable { number: usize, why: String },
    #[error("rule {number} ({id}) is refused: {why}")]
    Invalid {
        number: usize,
        id: String,
        why: PromotionError,
    },
    #[error("rule {number} repeats the id {id} of rule {first}")]
    RepeatedId {
        number: usize,
        first: usize,
        id: String,
    },
}

/// Reads `text`, one rule or an array of rules, and checks each (`Promotion::validate`) and that
/// no id comes twice. Rules are numbered from 1 in the errors, in the file's order.
pub fn parse_promotion_file(text: &str) -> Result<Vec<Promotion>, PromotionFileError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| PromotionFileError::NotJson(e.to_string()))?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        object @ serde_json::Value::Object(_) => vec![object],
        _ => return Err(PromotionFileError::NotRules),
    };
    if items.is_empty() {
        return Err(PromotionFileError::Empty);
    }
    let mut rules: Vec<Promotion> = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let number = index + 1;
        let rule: Promotion =
            serde_json::from_value(item).map_err(|e| PromotionFileError::Unreadable {
                number,
                why: e.to_string(),
            })?;
        rule.validate().map_err(|why| PromotionFileError::Invalid {
            number,
            id: rule.id.chars().take(60).collect(),
            why,
        })?;
        if let Some(first) = rules.iter().position(|r| r.id == rule.id) {
            return Err(PromotionFileError::RepeatedId {
                number,
                first: first + 1,
                id: rule.id,
            });
        }
        rules.push(rule);
    }
    Ok(rules)
}

/// What adding a file of rules did: nothing at all unless every rule could be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddOutcome {
    /// The new rules were written; `unchanged` were already held exactly as given.
    Added {
        added: Vec<String>,
        unchanged: Vec<String>,
    },
    /// A rule of this id is held with other terms (or was ended): nothing was written.
    Conflict { id: String, ended_at: Option<i64> },
}

/// What ending a rule did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndOutcome {
    Ended(Box<PromotionRecord>),
    AlreadyEnded { at: i64 },
    Unknown,
}

impl Store {
    /// Writes `rules` (each already validated) and tells every store, all or nothing: a rule
    /// whose id is held is skipped when identical, and refuses the whole batch otherwise.
    pub fn add_promotions(&self, rules: &[Promotion], now: i64) -> Result<AddOutcome> {
        self.write(|tx| {
            let mut added = Vec::new();
            let mut unchanged = Vec::new();
            let mut fresh = Vec::new();
            for rule in rules {
                match promotion_by_id(tx, &rule.id)? {
                    Some(held) if held.ended_at.is_none() && held.rule == *rule => {
                        unchanged.push(rule.id.clone());
                    }
                    Some(held) => {
                        return Ok(AddOutcome::Conflict {
                            id: rule.id.clone(),
                            ended_at: held.ended_at,
                        });
                    }
                    None => fresh.push(rule),
                }
            }
            for rule in fresh {
                tx.prepare_cached(
                    "INSERT INTO promotion (id, rule, created_at) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![rule.id, rule_json(rule)?, now])?;
                log_change(tx, None, &change(rule, now, None)?)?;
                added.push(rule.id.clone());
            }
            Ok(AddOutcome::Added { added, unchanged })
        })
    }

    /// Every rule, running, to come, past or ended, by id, with its uses per store.
    pub fn promotions(&self) -> Result<Vec<PromotionRecord>> {
        self.read(|tx| {
            let mut uses: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
            let mut stmt = tx.prepare_cached(
                "SELECT promotion_id, store, uses FROM promotion_use WHERE uses > 0",
            )?;
            let rows = stmt.query_map(params![], |row| {
                Ok((row.get::<_, String>(0)?, row.get(1)?, row.get(2)?))
            })?;
            for row in rows {
                let (promotion, store, count) = row?;
                uses.entry(promotion).or_default().insert(store, count);
            }
            let mut records = tx
                .prepare_cached(&format!("{SELECT_PROMOTION} ORDER BY id"))?
                .query_map(params![], raw_from_row)?
                .map(|raw| record(raw?))
                .collect::<Result<Vec<_>>>()?;
            for r in &mut records {
                r.uses = uses.remove(&r.rule.id).unwrap_or_default();
            }
            Ok(records)
        })
    }

    /// Ends the rule `id` at `now` (Unix seconds, UTC), `local_now` being that moment in store
    /// time: its `ends` becomes `local_now` (never later than it was, never before it starts),
    /// and terminals stop applying it after their next pull.
    pub fn end_promotion(
        &self,
        id: &str,
        local_now: NaiveDateTime,
        now: i64,
    ) -> Result<EndOutcome> {
        self.write(|tx| {
            let Some(mut record) = promotion_by_id(tx, id)? else {
                return Ok(EndOutcome::Unknown);
            };
            if let Some(at) = record.ended_at {
                return Ok(EndOutcome::AlreadyEnded { at });
            }
            let rule = &mut record.rule;
            rule.ends = local_now.min(rule.ends).max(rule.starts);
            tx.prepare_cached("UPDATE promotion SET rule = ?2, ended_at = ?3 WHERE id = ?1")?
                .execute(params![id, rule_json(rule)?, now])?;
            record.ended_at = Some(now);
            record.ended = true;
            log_change(
                tx,
                None,
                &change(&record.rule, record.created_at, record.ended_at)?,
            )?;
            Ok(EndOutcome::Ended(Box::new(record)))
        })
    }
}

/// Adds `count` sales of the store `store` that used the promotion `promotion_id`, inside the
/// transaction that records the sale (the sale ingest calls it once per promotion a sale used,
/// training sales excluded). `promo list` shows the totals.
pub fn record_promotion_use(
    tx: &Tx<'_>,
    promotion_id: &str,
    store: &str,
    count: u32,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO promotion_use (promotion_id, store, uses) VALUES (?1, ?2, ?3)
         ON CONFLICT (promotion_id, store) DO UPDATE SET uses = promotion_use.uses + excluded.uses",
    )?
    .execute(params![promotion_id, store, count])?;
    Ok(())
}

const SELECT_PROMOTION: &str = "SELECT rule, created_at, ended_at FROM promotion";

/// A row before its rule's JSON is read.
type RawRow = (String, i64, Option<i64>);

fn raw_from_row(row: &crate::sql::Row<'_>) -> crate::sql::Result<RawRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

fn record((json, created_at, ended_at): RawRow) -> Result<PromotionRecord> {
    let rule: Promotion = serde_json::from_str(&json)
        .map_err(|e| StoreError::Corrupt(format!("a promotion rule: {e}")))?;
    Ok(PromotionRecord {
        kind: rule.offer.kind_name(),
        rule,
        created_at,
        ended_at,
        ended: ended_at.is_some(),
        uses: BTreeMap::new(),
    })
}

fn promotion_by_id(tx: &Tx<'_>, id: &str) -> Result<Option<PromotionRecord>> {
    tx.prepare_cached(&format!("{SELECT_PROMOTION} WHERE id = ?1"))?
        .query_row(params![id], raw_from_row)
        .optional()?
        .map(record)
        .transpose()
}

fn rule_json(rule: &Promotion) -> Result<String> {
    serde_json::to_string(rule).map_err(|e| StoreError::Corrupt(format!("a promotion rule: {e}")))
}

fn change(rule: &Promotion, created_at: i64, ended_at: Option<i64>) -> Result<Change> {
    Ok(Change::Promotion(PromotionChange {
        id: rule.id.clone(),
        rule: serde_json::to_value(rule)
            .map_err(|e| StoreError::Corrupt(format!("a promotion rule: {e}")))?,
        created_at,
        ended_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOLDES: &str = r#"{"id": "SOLDES-H27", "name": "Soldes d'hiver",
        "starts": "2027-01-13T08:00:00", "ends": "2027-02-10T00:00:00",
        "target": {"categories": ["Maquillage"]},
        "offer": {"kind": "percent_off", "basis_points": 3000}}"#;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").expect("date")
    }

    #[test]
    fn a_file_holds_one_rule_or_an_array_of_them() {
        let one = parse_promotion_file(SOLDES).expect("one rule");
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].id, "SOLDES-H27");
        let two = SOLDES.replace("SOLDES-H27", "SOLDES-E27");
        let many = parse_promotion_file(&format!("[{SOLDES}, {two}]")).expect("two rules");
        assert_eq!(
            many.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["SOLDES-H27", "SOLDES-E27"]
        );
    }

    #[test]
    fn a_file_with_one_bad_rule_is_refused_naming_it() {
        let bad_percent = SOLDES.replace("SOLDES-H27", "BAD").replace("3000", "12000");
        let cases: Vec<(String, PromotionFileError)> = vec![
            ("{".into(), PromotionFileError::NotJson(String::new())),
            ("42".into(), PromotionFileError::NotRules),
            ("[]".into(), PromotionFileError::Empty),
            (
                format!("[{SOLDES}, {bad_percent}]"),
                PromotionFileError::Invalid {
                    number: 2,
                    id: "BAD".into(),
                    why: PromotionError::BadPercent(12_000),
                },
            ),
            (
                format!("[{SOLDES}, {SOLDES}]"),
                PromotionFileError::RepeatedId {
                    number: 2,
                    first: 1,
                    id: "SOLDES-H27".into(),
                },
            ),
            (
                format!(r#"[{SOLDES}, {{"id": "X", "bogus": 1}}]"#),
                PromotionFileError::Unreadable {
                    number: 2,
                    why: String::new(),
                },
            ),
        ];
        for (text, expected) in cases {
            let got = parse_promotion_file(&text).expect_err(&text);
            match (&got, &expected) {
                (PromotionFileError::NotJson(_), PromotionFileError::NotJson(_)) => {}
                (
                    PromotionFileError::Unreadable { number, .. },
                    PromotionFileError::Unreadable { number: n, .. },
                ) => assert_eq!(number, n),
                _ => assert_eq!(got, expected, "{text}"),
            }
        }
    }

    fn central() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = Store::open(dir.path(), true).expect("a central");
        (dir, store)
    }

    fn promotion_changes(store: &Store) -> Vec<PromotionChange> {
        let crate::store::PageOutcome::Page { changes, .. } =
            store.changes("PAR-01", 0, 100).expect("changes")
        else {
            panic!("a page");
        };
        changes
            .into_iter()
            .filter_map(
                |json| match serde_json::from_str(&json).expect("a change") {
                    Change::Promotion(p) => Some(p),
                    _ => None,
                },
            )
            .collect()
    }

    #[test]
    fn an_identical_rule_is_kept_once_and_another_with_its_id_refuses_the_batch() {
        let (_dir, store) = central();
        let soldes = parse_promotion_file(SOLDES).expect("a rule");
        let added = store.add_promotions(&soldes, 1_000).expect("added");
        assert_eq!(
            added,
            AddOutcome::Added {
                added: vec!["SOLDES-H27".into()],
                unchanged: vec![],
            }
        );
        let again = store.add_promotions(&soldes, 2_000).expect("again");
        assert_eq!(
            again,
            AddOutcome::Added {
                added: vec![],
                unchanged: vec!["SOLDES-H27".into()],
            }
        );
        let mut other = soldes[0].clone();
        other.name = "Soldes d'hiver bis".into();
        let mut fresh = soldes[0].clone();
        fresh.id = "FRESH".into();
        let refused = store
            .add_promotions(&[fresh, other], 3_000)
            .expect("refused");
        assert_eq!(
            refused,
            AddOutcome::Conflict {
                id: "SOLDES-H27".into(),
                ended_at: None,
            }
        );
        let held = store.promotions().expect("list");
        assert_eq!(held.len(), 1, "nothing of a refused batch is written");
        assert_eq!(held[0].created_at, 1_000);
        assert_eq!(
            promotion_changes(&store).len(),
            1,
            "one change per rule added"
        );
    }

    #[test]
    fn ending_a_rule_moves_its_end_to_now_and_tells_the_stores() {
        let (_dir, store) = central();
        let soldes = parse_promotion_file(SOLDES).expect("a rule");
        store.add_promotions(&soldes, 1_000).expect("added");
        // While it runs: it ends at that moment.
        let EndOutcome::Ended(record) = store
            .end_promotion("SOLDES-H27", at("2027-01-20T10:30"), 5_000)
            .expect("end")
        else {
            panic!("ended");
        };
        assert_eq!(record.rule.ends, at("2027-01-20T10:30"));
        assert_eq!(record.ended_at, Some(5_000));
        assert_eq!(
            store
                .end_promotion("SOLDES-H27", at("2027-01-21T00:00"), 6_000)
                .expect("answer"),
            EndOutcome::AlreadyEnded { at: 5_000 }
        );
        assert_eq!(
            store
                .end_promotion("NOPE", at("2027-01-21T00:00"), 6_000)
                .expect("answer"),
            EndOutcome::Unknown
        );
        let changes = promotion_changes(&store);
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[1].ended_at, Some(5_000));
        assert_eq!(changes[1].rule["ends"], "2027-01-20T10:30:00");
        // Ended, it cannot come back under its id, even as it first was.
        assert_eq!(
            store.add_promotions(&soldes, 7_000).expect("refused"),
            AddOutcome::Conflict {
                id: "SOLDES-H27".into(),
                ended_at: Some(5_000),
            }
        );
    }

    #[test]
    fn an_end_never_lengthens_a_rule_nor_puts_it_before_its_start() {
        let (_dir, store) = central();
        let soldes = &parse_promotion_file(SOLDES).expect("a rule")[0];
        let cases = [
            ("2027-03-01T00:00", "2027-02-10T00:00"),
            ("2026-12-01T00:00", "2027-01-13T08:00"),
        ];
        for (n, (now, ends)) in cases.into_iter().enumerate() {
            let mut rule = soldes.clone();
            rule.id = format!("R{n}");
            store.add_promotions(&[rule.clone()], 1_000).expect("added");
            let Ok(EndOutcome::Ended(record)) = store.end_promotion(&rule.id, at(now), 2_000)
            else {
                panic!("ended");
            };
            assert_eq!(record.rule.ends, at(ends), "ended at {now}");
        }
    }

    #[test]
    fn uses_are_counted_per_store() {
        let (_dir, store) = central();
        store
            .add_promotions(&parse_promotion_file(SOLDES).expect("a rule"), 1_000)
            .expect("added");
        store
            .write(|tx| {
                record_promotion_use(tx, "SOLDES-H27", "PAR-01", 2)?;
                record_promotion_use(tx, "SOLDES-H27", "PAR-01", 1)?;
                record_promotion_use(tx, "SOLDES-H27", "LYO-01", 1)?;
                record_promotion_use(tx, "UNKNOWN", "LYO-01", 1)
            })
            .expect("recorded");
        let held = store.promotions().expect("list");
        assert_eq!(
            held[0].uses,
            BTreeMap::from([("LYO-01".to_owned(), 1), ("PAR-01".to_owned(), 3)])
        );
    }
}
