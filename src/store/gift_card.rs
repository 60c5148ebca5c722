//! Gift cards sold at this till (issue 16): the sale, its journal entry, the balance this
//! terminal may spend at once, and the event that gives the central its balance, in one
//! transaction. Codes are never logged.

use rusqlite::{TransactionBehavior, params};

use super::facts::{Fact, GiftCardFact, PaymentFact};
use super::journal::{EntryDraft, append};
use super::{Result, Store, outbox};
use crate::domain::gift_card;
use crate::domain::journal::PaymentAmount;

/// A gift card to sell.
#[derive(Clone, Copy, Debug)]
pub struct NewGiftCard<'a> {
    pub terminal: &'a str,
    pub here_code: &'a str,
    pub operator: Option<&'a str>,
    pub code: &'a str,
    pub amount_cents: i64,
    /// "card" or "cash".
    pub method: &'a str,
    pub now: i64,
}

/// A gift card sold.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SoldGiftCard {
    pub code: String,
    /// `T01-G000001`.
    pub ticket: String,
    pub amount_cents: i64,
    pub method: String,
    pub journal_sequence: i64,
}

impl Store {
    /// Records the sale of a gift card: numbered, journaled (no VAT: a multi-purpose voucher),
    /// its balance spendable here at once, its event queued for the central.
    pub fn sell_gift_card(&mut self, card: &NewGiftCard<'_>) -> Result<SoldGiftCard> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seq: i64 = tx.query_row(
            "SELECT count(*) + 1 FROM gift_card_sale WHERE terminal_id = ?1",
            params![card.terminal],
            |row| row.get(0),
        )?;
        let ticket = format!("{}-G{seq:06}", card.terminal);
        let mut draft = EntryDraft::technical(
            card.terminal,
            card.operator,
            &gift_card::detail(card.code),
            card.now,
        );
        draft.reference = Some(ticket.clone());
        draft.total = card.amount_cents;
        draft.payments = vec![PaymentAmount {
            amount: card.amount_cents,
            method: card.method.to_owned(),
        }];
        let (entry, _) = append(&tx, draft)?;
        tx.execute(
            "INSERT INTO gift_card_sale (ticket, code, terminal_id, amount_cents, method, operator,
                                         created_at, journal_sequence)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                ticket,
                card.code,
                card.terminal,
                card.amount_cents,
                card.method,
                card.operator,
                card.now,
                entry.sequence
            ],
        )?;
        super::credit::record_issue(&tx, card.code, "gift_card", card.amount_cents, card.now)?;
        outbox::enqueue(
            &tx,
            card.now,
            &Fact::GiftCard(GiftCardFact {
                code: card.code.to_owned(),
                ticket: ticket.clone(),
                store: card.here_code.to_owned(),
                terminal: card.terminal.to_owned(),
                amount_cents: card.amount_cents,
                payments: vec![PaymentFact {
                    method: card.method.to_owned(),
                    amount_cents: card.amount_cents,
                    code: None,
                }],
                at: card.now,
            }),
        )?;
        tx.commit()?;
        Ok(SoldGiftCard {
            code: card.code.to_owned(),
            ticket,
            amount_cents: card.amount_cents,
            method: card.method.to_owned(),
            journal_sequence: entry.sequence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gift_card_is_numbered_journaled_and_spendable_here() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = Store::open(&dir.path().join("t.db")).expect("store");
        let sold = store
            .sell_gift_card(&NewGiftCard {
                terminal: "T01",
                here_code: "PAR-01",
                operator: Some("camille"),
                code: "KDO-AAAA-BBBB-CCCC",
                amount_cents: 5000,
                method: "cash",
                now: 1_800_000_000,
            })
            .expect("sold");
        assert_eq!(sold.ticket, "T01-G000001");
        let known = store
            .known_credit("KDO-AAAA-BBBB-CCCC")
            .expect("read")
            .expect("known");
        assert_eq!(
            (known.kind.as_str(), known.balance_cents),
            ("gift_card", 5000)
        );
        let verification = store.verify_journal("T01", &mut |_| {}).expect("verify");
        assert!(verification.problem.is_none(), "{verification:?}");
        // The same code cannot be sold twice: nothing is written.
        let again = store.sell_gift_card(&NewGiftCard {
            amount_cents: 2000,
            ..NewGiftCard {
                terminal: "T01",
                here_code: "PAR-01",
                operator: None,
                code: "KDO-AAAA-BBBB-CCCC",
                amount_cents: 0,
                method: "card",
                now: 1_800_000_001,
            }
        });
        assert!(again.is_err());
        let next = store.verify_journal("T01", &mut |_| {}).expect("verify");
        assert_eq!(next.entries, verification.entries);
    }
}
