//! The head office's promotion rules this terminal holds: pulled from the central with the pull's
//! page (see `pull`), read by pricing and by `comptoir promo list`. Every rule is kept, ended and
//! past ones too; whether one runs is decided at the moment of a sale by its dates and stores
//! (`Promotion::runs`), offline.

use rusqlite::{Transaction, params};

use super::received::PulledPromotion;
use super::{Result, Store, StoreError};
use crate::domain::promotion::Promotion;

impl Store {
    /// Every rule held, by id, ended ones too (`Promotion::runs` filters by time and store).
    ///
    /// A rule this version cannot read (a kind from a newer central) or that fails its checks
    /// (`Promotion::validate`) is skipped with a warning naming its id: one unreadable rule must
    /// not stop the till.
    pub fn promotions(&self) -> Result<Vec<Promotion>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, rule FROM promotion ORDER BY id")?;
        let mut rows = stmt.query([])?;
        let mut rules = Vec::new();
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let json: String = row.get(1)?;
            match read_rule(&id, &json) {
                Ok(rule) => rules.push(rule),
                Err(why) => {
                    tracing::warn!(promotion = %id, %why, "promotion rule skipped");
                }
            }
        }
        Ok(rules)
    }

    /// Holds `rule` as if the central had sent it (the demo store, tests), replacing a held rule
    /// of the same id.
    pub fn put_promotion(&mut self, rule: &Promotion) -> Result<()> {
        let json = serde_json::to_string(rule)
            .map_err(|e| StoreError::Corrupt(format!("promotion {}: {e}", rule.id)))?;
        self.conn
            .prepare_cached(
                "INSERT INTO promotion (id, rule, created_at, ended_at)
                 VALUES (?1, ?2, strftime('%s', 'now'), NULL)
                 ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, ended_at = NULL",
            )?
            .execute(params![rule.id, json])?;
        Ok(())
    }
}

/// The rule `json` held under `id`, if this version reads it and it passes its checks.
fn read_rule(id: &str, json: &str) -> std::result::Result<Promotion, String> {
    let rule: Promotion = serde_json::from_str(json).map_err(|e| e.to_string())?;
    if rule.id != id {
        return Err(format!("it names itself {}", rule.id));
    }
    rule.validate().map_err(|e| e.to_string())?;
    Ok(rule)
}

/// Records a pulled rule, or its new state (ended) when this terminal already holds it.
pub(super) fn apply_promotion(tx: &Transaction<'_>, p: &PulledPromotion) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO promotion (id, rule, created_at, ended_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, created_at = excluded.created_at,
             ended_at = excluded.ended_at",
    )?
    .execute(params![p.id, p.rule.to_string(), p.created_at, p.ended_at])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::received::{Pulled, PulledPage};

    fn rule(id: &str) -> serde_json::Value {
        serde_json::json!({
            "id": id, "name": "Soldes d'hiver",
            "starts": "2027-01-13T08:00:00", "ends": "2027-02-10T00:00:00",
            "target": {"categories": ["Maquillage"]},
            "offer": {"kind": "percent_off", "basis_points": 3000}
        })
    }

    fn page(cursor: i64, rules: Vec<(&str, serde_json::Value, Option<i64>)>) -> PulledPage {
        PulledPage {
            cursor,
            changes: rules
                .into_iter()
                .map(|(id, rule, ended_at)| {
                    Pulled::Promotion(PulledPromotion {
                        id: id.into(),
                        rule,
                        created_at: 1_000,
                        ended_at,
                    })
                })
                .collect(),
        }
    }

    #[test]
    fn pulled_rules_are_held_replaced_by_their_id_and_unreadable_ones_skipped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = Store::open(&dir.path().join("c.db")).expect("open");
        let mut newer = rule("NEWER");
        newer["offer"] = serde_json::json!({"kind": "gift_card", "cents": 500});
        let mut invalid = rule("INVALID");
        invalid["offer"]["basis_points"] = serde_json::json!(0);
        store
            .apply_changes(&page(
                1,
                vec![
                    ("SOLDES", rule("SOLDES"), None),
                    ("NEWER", newer, None),
                    ("INVALID", invalid, None),
                    ("LIAR", rule("OTHER"), None),
                ],
            ))
            .expect("applied");
        let held = store.promotions().expect("rules");
        assert_eq!(
            held.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["SOLDES"]
        );
        let mut ended = rule("SOLDES");
        ended["ends"] = serde_json::json!("2027-01-20T10:30:00");
        store
            .apply_changes(&page(2, vec![("SOLDES", ended, Some(2_000))]))
            .expect("applied");
        let held = store.promotions().expect("rules");
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].ends.to_string(), "2027-01-20 10:30:00");
    }

    #[test]
    fn a_rule_put_by_hand_replaces_the_one_of_its_id() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = Store::open(&dir.path().join("c.db")).expect("open");
        let mut soldes: Promotion = serde_json::from_value(rule("SOLDES")).expect("a rule");
        store.put_promotion(&soldes).expect("put");
        soldes.name = "Soldes d'hiver, 2e démarque".into();
        store.put_promotion(&soldes).expect("put again");
        assert_eq!(store.promotions().expect("rules"), vec![soldes]);
    }
}
