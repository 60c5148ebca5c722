//! Customers on the terminal: the cache pulled from the central, customers created here, their
//! cached 360° view, consents, notes, the access log, privacy requests and loyalty movements.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::facts::{
    AccessFact, ConsentFact, CustomerCreatedFact, Fact, LoyaltyFact, NoteFact, PrivacyRequestFact,
};
use super::received::{CustomerMerge, PulledCustomer};
use super::{Result, Store, StoreError, outbox};
use crate::domain::customer::{
    Channel, Consent, CustomerHit, CustomerView, NewCustomer, Note, PrivacyRequestKind, email_key,
    phone_key,
};
use crate::domain::note_check::fold;

/// Every table that names a customer by id. Sales keep the id they were made with (a completed
/// sale is never changed); the central resolves it through its alias.
const CUSTOMER_REFERENCES: &[&str] = &[
    "UPDATE OR REPLACE customer_view SET customer = ?2 WHERE customer = ?1",
    "UPDATE OR REPLACE consent SET customer = ?2 WHERE customer = ?1",
    "UPDATE customer_note SET customer = ?2 WHERE customer = ?1",
    "UPDATE access_log SET customer = ?2 WHERE customer = ?1",
    "UPDATE privacy_request SET customer = ?2 WHERE customer = ?1",
    "UPDATE loyalty_movement SET customer = ?2 WHERE customer = ?1",
];

/// The central gave a customer created here the chain's id: a new customer keeps its row under
/// the new id; a customer it merged with an existing one (same e-mail or phone) gives way to it.
pub(super) fn apply_merge(tx: &Transaction<'_>, merge: &CustomerMerge) -> Result<()> {
    if merge.local_id == merge.id {
        return Ok(());
    }
    let known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM customer WHERE public_id = ?1)",
        params![merge.id],
        |row| row.get(0),
    )?;
    if known {
        tx.execute(
            "DELETE FROM customer WHERE public_id = ?1 AND local = 1",
            params![merge.local_id],
        )?;
    } else {
        tx.execute(
            "UPDATE customer SET public_id = ?2, local = 0 WHERE public_id = ?1",
            params![merge.local_id, merge.id],
        )?;
    }
    for sql in CUSTOMER_REFERENCES {
        tx.execute(sql, params![merge.local_id, merge.id])?;
    }
    Ok(())
}

/// What this terminal keeps about a customer that names or describes them; their id alone stays
/// on sales, the access log, privacy requests and loyalty movements (accounting, accountability).
const CUSTOMER_DATA: &[&str] = &[
    "DELETE FROM customer WHERE public_id = ?1",
    "DELETE FROM customer_view WHERE customer = ?1",
    "DELETE FROM consent WHERE customer = ?1",
    "DELETE FROM customer_note WHERE customer = ?1",
    "UPDATE pickup_order SET customer_first_name = NULL WHERE customer = ?1",
];

/// The central erased customer `id` at their request: everything this terminal knew of them
/// goes, and their id is remembered so that their code is refused.
pub(super) fn apply_erasure(tx: &Transaction<'_>, id: &str) -> Result<()> {
    for sql in CUSTOMER_DATA {
        tx.execute(sql, params![id])?;
    }
    tx.execute(
        "INSERT OR IGNORE INTO erased_customer (customer, erased_at)
         VALUES (?1, CAST(strftime('%s', 'now') AS INTEGER))",
        params![id],
    )?;
    Ok(())
}

/// A customer as this terminal's cache knows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedCustomer {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tier: String,
    /// The balance the central last confirmed.
    pub loyalty_points: i64,
    pub updated_at: i64,
    /// Created at this counter, not confirmed by the central yet.
    pub local: bool,
}

impl CachedCustomer {
    pub fn hit(&self) -> CustomerHit {
        CustomerHit {
            id: self.id.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            tier: self.tier.clone(),
        }
    }
}

const CUSTOMER_COLUMNS: &str =
    "public_id, first_name, last_name, email, phone, tier, loyalty_points, updated_at, local";

fn cached_customer(row: &rusqlite::Row<'_>) -> rusqlite::Result<CachedCustomer> {
    Ok(CachedCustomer {
        id: row.get(0)?,
        first_name: row.get(1)?,
        last_name: row.get(2)?,
        email: row.get(3)?,
        phone: row.get(4)?,
        tier: row.get(5)?,
        loyalty_points: row.get(6)?,
        updated_at: row.get(7)?,
        local: row.get(8)?,
    })
}

/// Writes a customer the central sent (pull or view), unless the row holds a newer edit.
pub(super) fn upsert_customer(tx: &Connection, c: &PulledCustomer) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO customer (public_id, first_name, last_name, email, phone, loyalty_points,
                               tier, updated_at, email_key, phone_key, first_key, last_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (public_id) DO UPDATE SET first_name = excluded.first_name,
             last_name = excluded.last_name, email = excluded.email, phone = excluded.phone,
             loyalty_points = excluded.loyalty_points, tier = excluded.tier,
             updated_at = excluded.updated_at, email_key = excluded.email_key,
             phone_key = excluded.phone_key, first_key = excluded.first_key,
             last_key = excluded.last_key, local = 0
         WHERE excluded.updated_at >= customer.updated_at",
    )?
    .execute(params![
        c.id,
        c.first_name,
        c.last_name,
        c.email,
        c.phone,
        c.loyalty_points,
        c.tier,
        c.updated_at,
        c.email.as_deref().map(email_key),
        c.phone.as_deref().map(phone_key),
        fold(&c.first_name),
        fold(&c.last_name),
    ])?;
    Ok(())
}

/// Marks `customer`'s movements the central had acknowledged by `acked_seq` as included in the
/// balance just received.
pub(super) fn settle_movements(tx: &Connection, customer: &str, acked_seq: i64) -> Result<()> {
    tx.prepare_cached(
        "UPDATE loyalty_movement SET settled = 1
         WHERE customer = ?1 AND settled = 0 AND outbox_seq <= ?2
           AND outbox_seq IN (SELECT seq FROM outbox WHERE acked = 1)",
    )?
    .execute(params![customer, acked_seq])?;
    Ok(())
}

/// The highest outbox sequence the central has acknowledged.
pub(super) fn acked_seq(tx: &Connection) -> Result<i64> {
    Ok(tx.query_row(
        "SELECT coalesce(max(seq), 0) FROM outbox WHERE acked = 1",
        [],
        |row| row.get(0),
    )?)
}

/// How a search text is read: an e-mail, a phone number or a name.
fn search_kind(query: &str) -> SearchKind {
    if query.contains('@') {
        SearchKind::Email(email_key(query))
    } else if query.chars().filter(char::is_ascii_digit).count() >= 6
        && query
            .chars()
            .all(|c| c.is_ascii_digit() || " +.-()".contains(c))
    {
        SearchKind::Phone(phone_key(query))
    } else {
        SearchKind::Name(query.split_whitespace().map(fold).collect())
    }
}

enum SearchKind {
    Email(String),
    Phone(String),
    Name(Vec<String>),
}

/// The upper bound of the keys starting with `prefix`: keys are folded text compared byte-wise
/// (BINARY), so `prefix <= key < prefix + U+10FFFF` holds exactly the keys it starts, and SQLite
/// answers it from the index (a `LIKE` would scan: it folds case, the index does not).
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

impl Store {
    pub fn customer(&self, id: &str) -> Result<Option<CachedCustomer>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {CUSTOMER_COLUMNS} FROM customer WHERE public_id = ?1"
            ))?
            .query_row(params![id], cached_customer)
            .optional()?)
    }

    /// Customers of the cache matching a name (each word a prefix of the first or last name),
    /// an e-mail (exact, any case) or a phone number (any spelling).
    pub fn search_cached_customers(&self, query: &str, limit: u32) -> Result<Vec<CustomerHit>> {
        let limit = i64::from(limit.clamp(1, 100));
        let rows = match search_kind(query.trim()) {
            SearchKind::Email(key) => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {CUSTOMER_COLUMNS} FROM customer WHERE email_key = ?1 LIMIT ?2"
                ))?
                .query_map(params![key, limit], cached_customer)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            SearchKind::Phone(key) => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {CUSTOMER_COLUMNS} FROM customer WHERE phone_key = ?1 LIMIT ?2"
                ))?
                .query_map(params![key, limit], cached_customer)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            SearchKind::Name(words) if words.is_empty() => Vec::new(),
            SearchKind::Name(words) => {
                // Every word must start the first or the last name, accents and case folded
                // ("lea mar" finds Léa Martin).
                let clause = (0..words.len())
                    .map(|i| {
                        let (from, to) = (2 * i + 2, 2 * i + 3);
                        format!(
                            "((first_key >= ?{from} AND first_key < ?{to})
                              OR (last_key >= ?{from} AND last_key < ?{to}))"
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" AND ");
                // `+` keeps the planner on the prefix ranges rather than walking the name index
                // in order and filtering every row.
                let sql = format!(
                    "SELECT {CUSTOMER_COLUMNS} FROM customer WHERE {clause}
                     ORDER BY +last_key, +first_key LIMIT ?1"
                );
                let mut values: Vec<rusqlite::types::Value> = vec![limit.into()];
                for word in &words {
                    values.push(word.clone().into());
                    values.push(prefix_end(word).into());
                }
                self.conn
                    .prepare_cached(&sql)?
                    .query_map(rusqlite::params_from_iter(values), cached_customer)?
                    .collect::<rusqlite::Result<Vec<_>>>()?
            }
        };
        Ok(rows.iter().map(CachedCustomer::hit).collect())
    }

    /// A customer created at this counter, possibly offline: written here with a local id and
    /// queued to the central, which merges it on e-mail or phone and answers the chain's id.
    pub fn create_customer(
        &mut self,
        new: &NewCustomer,
        store_code: &str,
        now: i64,
    ) -> Result<String> {
        let local_id = format!("L-{}", uuid::Uuid::new_v4().simple());
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO customer (public_id, first_name, last_name, email, phone, loyalty_points,
                                   tier, updated_at, local, email_key, phone_key, first_key,
                                   last_key)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, 'essentiel', ?6, 1, ?7, ?8, ?9, ?10)",
            params![
                local_id,
                new.first_name,
                new.last_name,
                new.email,
                new.phone,
                now,
                new.email.as_deref().map(email_key),
                new.phone.as_deref().map(phone_key),
                fold(&new.first_name),
                fold(&new.last_name),
            ],
        )?;
        outbox::enqueue(
            &tx,
            now,
            &Fact::CustomerCreated(CustomerCreatedFact {
                local_id: local_id.clone(),
                first_name: new.first_name.clone(),
                last_name: new.last_name.clone(),
                email: new.email.clone(),
                phone: new.phone.clone(),
                store: store_code.to_owned(),
                created_at: now,
            }),
        )?;
        tx.commit()?;
        Ok(local_id)
    }

    /// Keeps the view the central just gave (shown with its age when offline). `acked_before`
    /// is [`Store::acked_seq`] read before asking: the view's balance includes those movements.
    pub fn cache_customer_view(&mut self, view: &CustomerView, acked_before: i64) -> Result<()> {
        let json = serde_json::to_string(view)
            .map_err(|e| StoreError::Corrupt(format!("customer view: {e}")))?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO customer_view (customer, view_json, fetched_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (customer) DO UPDATE SET view_json = excluded.view_json,
                 fetched_at = excluded.fetched_at",
            params![view.id, json, view.fetched_at],
        )?;
        upsert_customer(
            &tx,
            &PulledCustomer {
                id: view.id.clone(),
                first_name: view.first_name.clone(),
                last_name: view.last_name.clone(),
                email: view.email.clone(),
                phone: view.phone.clone(),
                loyalty_points: view.loyalty_points,
                tier: view.tier.clone(),
                updated_at: view.fetched_at,
            },
        )?;
        settle_movements(&tx, &view.id, acked_before)?;
        tx.commit()?;
        Ok(())
    }

    /// The view last fetched from the central for `id`.
    pub fn cached_customer_view(&self, id: &str) -> Result<Option<CustomerView>> {
        let json: Option<String> = self
            .conn
            .prepare_cached("SELECT view_json FROM customer_view WHERE customer = ?1")?
            .query_row(params![id], |row| row.get(0))
            .optional()?;
        json.map(|j| {
            serde_json::from_str(&j)
                .map_err(|e| StoreError::Corrupt(format!("cached customer view: {e}")))
        })
        .transpose()
    }

    /// The highest outbox sequence the central has acknowledged.
    pub fn acked_seq(&self) -> Result<i64> {
        acked_seq(&self.conn)
    }

    /// Points earned or redeemed here that the last balance from the central does not include.
    pub fn unsettled_points(&self, customer: &str) -> Result<Vec<i64>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT points FROM loyalty_movement WHERE customer = ?1 AND settled = 0
                 ORDER BY id",
            )?
            .query_map(params![customer], |row| row.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?)
    }

    /// Records a marketing consent (or its withdrawal), explicit and timestamped, and queues it.
    pub fn record_consent(
        &mut self,
        customer: &str,
        channel: Channel,
        granted: bool,
        staff: &str,
        now: i64,
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO consent (customer, channel, granted, at, staff) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (customer, channel) DO UPDATE SET granted = excluded.granted,
                 at = excluded.at, staff = excluded.staff",
            params![customer, channel.as_str(), granted, now, staff],
        )?;
        outbox::enqueue(
            &tx,
            now,
            &Fact::Consent(ConsentFact {
                customer: customer.to_owned(),
                channel,
                granted,
                at: now,
                staff: staff.to_owned(),
            }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Consents recorded on this terminal for `customer`.
    pub fn local_consents(&self, customer: &str) -> Result<Vec<Consent>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT channel, granted, at FROM consent WHERE customer = ?1")?;
        let rows = stmt.query_map(params![customer], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, bool>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (channel, granted, at) = row?;
            let channel = Channel::parse(&channel)
                .ok_or_else(|| StoreError::Corrupt(format!("consent channel {channel}")))?;
            Ok(Consent {
                channel,
                granted,
                at: Some(at),
            })
        })
        .collect()
    }

    /// Saves a note (already checked by the app) and queues it.
    pub fn add_customer_note(
        &mut self,
        customer: &str,
        text: &str,
        author: &str,
        now: i64,
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO customer_note (customer, text, author, at) VALUES (?1, ?2, ?3, ?4)",
            params![customer, text, author, now],
        )?;
        outbox::enqueue(
            &tx,
            now,
            &Fact::CustomerNote(NoteFact {
                customer: customer.to_owned(),
                text: text.to_owned(),
                author: author.to_owned(),
                at: now,
            }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Notes written on this terminal for `customer`, newest first.
    pub fn local_notes(&self, customer: &str) -> Result<Vec<Note>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT at, author, text FROM customer_note WHERE customer = ?1
                 ORDER BY at DESC, id DESC",
            )?
            .query_map(params![customer], |row| {
                Ok(Note {
                    at: row.get(0)?,
                    author: row.get(1)?,
                    text: row.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Writes who opened `customer`'s record into the access log, and queues it.
    pub fn log_customer_access(
        &mut self,
        customer: &str,
        staff: &str,
        terminal: &str,
        store_code: &str,
        now: i64,
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO access_log (customer, staff, at) VALUES (?1, ?2, ?3)",
            params![customer, staff, now],
        )?;
        outbox::enqueue(
            &tx,
            now,
            &Fact::CustomerAccess(AccessFact {
                customer: customer.to_owned(),
                staff: staff.to_owned(),
                terminal: terminal.to_owned(),
                store: store_code.to_owned(),
                at: now,
            }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Whether the central erased `customer` at their request.
    pub fn is_erased(&self, customer: &str) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM erased_customer WHERE customer = ?1")?
            .exists(params![customer])?)
    }

    /// How many times this terminal opened `customer`'s record.
    pub fn access_count(&self, customer: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM access_log WHERE customer = ?1",
            params![customer],
            |row| row.get(0),
        )?)
    }

    /// Records an access or erasure request made at the counter, and queues it.
    pub fn record_privacy_request(
        &mut self,
        customer: &str,
        kind: PrivacyRequestKind,
        staff: &str,
        store_code: &str,
        now: i64,
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO privacy_request (customer, kind, staff, at) VALUES (?1, ?2, ?3, ?4)",
            params![customer, kind.as_str(), staff, now],
        )?;
        outbox::enqueue(
            &tx,
            now,
            &Fact::PrivacyRequest(PrivacyRequestFact {
                customer: customer.to_owned(),
                kind,
                staff: staff.to_owned(),
                store: store_code.to_owned(),
                at: now,
            }),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The central's public key for signed codes (from enrollment, or the demo key of a demo
    /// store that was never enrolled).
    pub fn central_public_key(&self) -> Result<Option<String>> {
        self.sync_value("public_key")
    }
}

/// Records `points` for `customer` on `ticket` inside a sale's transaction, with its event.
pub(super) fn record_loyalty(
    tx: &Transaction<'_>,
    customer: &str,
    points: i64,
    ticket: &str,
    terminal: &str,
    now: i64,
) -> Result<()> {
    let seq = outbox::enqueue(
        tx,
        now,
        &Fact::Loyalty(LoyaltyFact {
            customer: customer.to_owned(),
            points,
            ticket: ticket.to_owned(),
            terminal: terminal.to_owned(),
            at: now,
        }),
    )?;
    tx.prepare_cached(
        "INSERT INTO loyalty_movement (customer, points, ticket, at, outbox_seq)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![customer, points, ticket, now, seq])?;
    Ok(())
}
