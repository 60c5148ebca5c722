//! The central's storage: the only code under `central` that speaks SQL. Today an embedded SQLite
//! file (`central.db` in the data directory, WAL, versioned migrations in `migrations/`); a
//! PostgreSQL backend will implement the same use cases, so callers see functions named after
//! what they do (enroll a device, apply a push batch, read a page of changes), never a connection
//! or a statement.
//!
//! Every method is synchronous and may block on the disk: async code calls it through
//! `spawn_blocking`. One writer connection behind a mutex serialises writes (SQLite allows one
//! writer anyway); readers get their own connections from a small pool, and WAL lets them read
//! while the writer writes. Each use case is one transaction: a crash leaves all of it or none.
//!
//! This module never logs payloads or personal data, and never decides a protocol answer (status
//! codes belong to `handlers`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::Duration;

use crate::domain::journal::sha256_hex;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use rusqlite_migration::{M, Migrations};

use crate::domain::gtin::Gtin;
use crate::domain::journal::GENESIS_HASH;
use crate::sync::protocol::{
    Change, CustomerChange, EventKind, JournalPayload, LocationChange, PickupOrderChange,
    ProductChange, SalePayload, StaffChange, StockChange, StockLevelChange,
};

/// The database file inside the data directory.
pub const DB_FILE: &str = "central.db";

static MIGRATIONS: LazyLock<Migrations<'static>> =
    LazyLock::new(|| Migrations::new(vec![M::up(include_str!("migrations/0001_central.sql"))]));

/// Readers kept open between requests; more are opened under load and closed afterwards.
const IDLE_READERS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no central database at {path}: run `comptoir-central seed` first")]
    Missing { path: PathBuf },
    #[error("the central database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the central database cannot be migrated: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("the central database holds something unreadable: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Another process (a seed, say) holds the write lock longer than the busy timeout: the
    /// request can simply be retried.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The central's database.
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

/// A location of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub code: String,
    pub name: String,
    /// "store" or "warehouse".
    pub kind: String,
}

/// An enrolled device, as authentication sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: String,
    pub store: String,
    pub revoked: bool,
}

/// What became of an enrollment code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnrollOutcome {
    Enrolled { store: String },
    Unknown,
    Used,
    Expired { at: i64 },
}

/// A pushed event, checked and parsed by `ingest`, ready to apply.
#[derive(Clone, Debug, PartialEq)]
pub struct IncomingEvent {
    /// The UUID in its canonical form (lower-case, hyphenated).
    pub id: String,
    pub seq: i64,
    pub kind: EventKind,
    pub created_at: i64,
    /// The payload as JSON text, kept as received.
    pub payload: String,
    pub fact: Fact,
}

/// What applying an event does beyond keeping it.
#[derive(Clone, Debug, PartialEq)]
pub enum Fact {
    Sale(SalePayload),
    Journal(JournalPayload),
    /// Kept and counted only.
    Recorded,
}

/// The result of a push batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushOutcome {
    Applied {
        acked_seq: i64,
        applied: u32,
        duplicates: u32,
    },
    /// The device was revoked (or removed) since it authenticated: nothing applied.
    Revoked,
}

/// A page of the change log, as stored JSON texts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageOutcome {
    Page {
        cursor: i64,
        more: bool,
        remaining: i64,
        /// Each one a serialised [`Change`].
        changes: Vec<String>,
    },
    /// The asked cursor is beyond the log's latest one.
    Ahead { latest: i64 },
}

/// What the central knows of a device's fiscal journal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceJournal {
    /// The last entry reported (its sequence and hash).
    pub sequence: Option<i64>,
    pub hash: Option<String>,
    /// The first entry whose hash or link to the previous one did not check out: the terminal's
    /// journal was altered or truncated there.
    pub first_break: Option<i64>,
}

/// Counters for `comptoir-central stats`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Keyed by [`EventKind::stats_key`].
    pub received: BTreeMap<String, i64>,
    pub duplicates_ignored: i64,
    pub devices: i64,
}

/// A line of a customer's online cart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CartLine {
    pub customer: String,
    pub gtin: String,
    pub quantity: i64,
    pub added_at: i64,
}

const META_SEEDED: &str = "seeded_products";
const META_SEEDING: &str = "seed_started";
const DUPLICATES: &str = "duplicates_ignored";

impl Store {
    /// Opens `central.db` in `dir`, creating the directory and the file when `create` is set,
    /// and brings the schema to the latest migration.
    pub fn open(dir: &Path, create: bool) -> Result<Store> {
        let path = dir.join(DB_FILE);
        if create {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                path: dir.to_owned(),
                source,
            })?;
        } else if !path.exists() {
            return Err(StoreError::Missing { path });
        }
        let mut writer = connect(&path)?;
        MIGRATIONS.to_latest(&mut writer)?;
        Ok(Store {
            path,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        })
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock dropped its transaction, which rolled back: the
        // connection itself is still sound.
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => connect(&self.path)?,
        };
        // One read transaction: every query of a use case sees the same snapshot.
        let result = {
            let tx = conn.transaction()?;
            let result = f(&tx);
            tx.finish()?;
            result
        };
        let mut readers = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        if readers.len() < IDLE_READERS {
            readers.push(conn);
        }
        result
    }

    /// The location `code`, if the chain has it.
    pub fn location(&self, code: &str) -> Result<Option<Location>> {
        self.read(|tx| {
            Ok(tx
                .query_row(
                    "SELECT code, name, kind FROM location WHERE code = ?1",
                    params![code],
                    |row| {
                        Ok(Location {
                            code: row.get(0)?,
                            name: row.get(1)?,
                            kind: row.get(2)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    /// Keeps a new one-time enrollment code (its SHA-256) for `store`.
    pub fn add_enrollment_code(
        &self,
        code_sha256: &[u8; 32],
        store: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        self.writer().execute(
            "INSERT INTO enrollment_code (code_sha256, store, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![&code_sha256[..], store, now, expires_at],
        )?;
        Ok(())
    }

    /// Uses the enrollment code whose SHA-256 is `code_sha256` to enroll a device, in one
    /// transaction: the code is spent and the device exists, or neither.
    pub fn enroll(
        &self,
        code_sha256: &[u8; 32],
        device_id: &str,
        terminal_id: &str,
        token_sha256: &[u8; 32],
        now: i64,
    ) -> Result<EnrollOutcome> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let code = tx
            .query_row(
                "SELECT store, expires_at, used_at FROM enrollment_code WHERE code_sha256 = ?1",
                params![&code_sha256[..]],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, Option<i64>>(2)?,
                    ))
                },
            )
            .optional()?;
        let Some((store, expires_at, used_at)) = code else {
            return Ok(EnrollOutcome::Unknown);
        };
        if used_at.is_some() {
            return Ok(EnrollOutcome::Used);
        }
        if expires_at <= now {
            return Ok(EnrollOutcome::Expired { at: expires_at });
        }
        tx.execute(
            "INSERT INTO device (id, store, terminal_id, token_sha256, enrolled_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![device_id, store, terminal_id, &token_sha256[..], now],
        )?;
        tx.execute(
            "UPDATE enrollment_code SET used_at = ?2, device_id = ?3 WHERE code_sha256 = ?1",
            params![&code_sha256[..], now, device_id],
        )?;
        tx.commit()?;
        Ok(EnrollOutcome::Enrolled { store })
    }

    /// The device whose token has the SHA-256 `token_sha256`.
    pub fn device_by_token(&self, token_sha256: &[u8; 32]) -> Result<Option<DeviceRecord>> {
        self.read(|tx| {
            Ok(tx
                .prepare_cached("SELECT id, store, revoked FROM device WHERE token_sha256 = ?1")?
                .query_row(params![&token_sha256[..]], |row| {
                    Ok(DeviceRecord {
                        id: row.get(0)?,
                        store: row.get(1)?,
                        revoked: row.get(2)?,
                    })
                })
                .optional()?)
        })
    }

    /// Revokes a device: its token is refused from now on. False when there is no such device.
    pub fn revoke(&self, device_id: &str) -> Result<bool> {
        Ok(self.writer().execute(
            "UPDATE device SET revoked = 1 WHERE id = ?1",
            params![device_id],
        )? > 0)
    }

    /// Applies a push batch from `device_id` in one transaction, exactly once per event.
    ///
    /// `events` must be sorted by sequence (`ingest` does it). The rule, from the protocol: an
    /// event at or below the device's acknowledged sequence, or whose UUID the central already
    /// has, is a duplicate (counted, not applied); the next sequence is applied; a gap stops the
    /// batch. The answer is the highest sequence up to which everything is applied.
    pub fn push(&self, device_id: &str, events: &[IncomingEvent], now: i64) -> Result<PushOutcome> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let device = tx
            .query_row(
                "SELECT store, revoked, acked_seq, journal_sequence, journal_hash, journal_break
                 FROM device WHERE id = ?1",
                params![device_id],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, bool>(1)?,
                        row.get::<_, i64>(2)?,
                        JournalState {
                            sequence: row.get(3)?,
                            hash: row.get(4)?,
                            first_break: row.get(5)?,
                        },
                    ))
                },
            )
            .optional()?;
        let Some((store, revoked, mut acked, mut journal)) = device else {
            return Ok(PushOutcome::Revoked);
        };
        if revoked {
            return Ok(PushOutcome::Revoked);
        }
        let before = journal.clone();
        let mut applied = 0u32;
        let mut duplicates = 0u32;
        let mut received: BTreeMap<&'static str, i64> = BTreeMap::new();
        let mut touched: BTreeSet<String> = BTreeSet::new();
        for event in events {
            if event.seq <= acked {
                duplicates += 1;
                let known: Option<String> = tx
                    .prepare_cached("SELECT id FROM event WHERE device = ?1 AND seq = ?2")?
                    .query_row(params![device_id, event.seq], |row| row.get(0))
                    .optional()?;
                if known.as_deref() != Some(event.id.as_str()) {
                    // The terminal reuses a sequence with another event: its database was
                    // restored or replaced. The protocol counts it as a duplicate; the operator
                    // must hear of it.
                    tracing::warn!(
                        device = device_id,
                        seq = event.seq,
                        "a sequence already acknowledged came back with another event id"
                    );
                }
                continue;
            }
            if event.seq > acked + 1 {
                // A gap: apply nothing past it, the terminal resends from acked + 1.
                break;
            }
            let exists = tx
                .prepare_cached("SELECT 1 FROM event WHERE id = ?1")?
                .exists(params![event.id])?;
            if exists {
                duplicates += 1;
                acked = event.seq;
                tracing::warn!(
                    device = device_id,
                    seq = event.seq,
                    "an event id the central already has came with a new sequence"
                );
                continue;
            }
            tx.prepare_cached(
                "INSERT INTO event (id, device, seq, kind, created_at, payload, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                event.id,
                device_id,
                event.seq,
                kind_name(event.kind),
                event.created_at,
                event.payload,
                now
            ])?;
            match &event.fact {
                Fact::Sale(sale) => record_sale(&tx, &event.id, &store, sale, now, &mut touched)?,
                Fact::Journal(entry) => journal.follow(device_id, entry),
                Fact::Recorded => {}
            }
            *received.entry(event.kind.stats_key()).or_default() += 1;
            applied += 1;
            acked = event.seq;
        }
        tx.prepare_cached("UPDATE device SET acked_seq = ?2 WHERE id = ?1")?
            .execute(params![device_id, acked])?;
        if journal != before {
            tx.execute(
                "UPDATE device SET journal_sequence = ?2, journal_hash = ?3, journal_break = ?4
                 WHERE id = ?1",
                params![
                    device_id,
                    journal.sequence,
                    journal.hash,
                    journal.first_break
                ],
            )?;
        }
        for gtin in &touched {
            let levels = stock_levels(&tx, gtin)?;
            log_change(
                &tx,
                None,
                &Change::Stock(StockChange {
                    gtin: gtin.clone(),
                    levels,
                }),
            )?;
        }
        for (key, count) in received {
            bump(&tx, &format!("received.{key}"), count)?;
        }
        if duplicates > 0 {
            bump(&tx, DUPLICATES, i64::from(duplicates))?;
        }
        tx.commit()?;
        Ok(PushOutcome::Applied {
            acked_seq: acked,
            applied,
            duplicates,
        })
    }

    /// The changes after `after` that a terminal of `store` gets, at most `limit` of them.
    pub fn changes(&self, store: &str, after: i64, limit: u32) -> Result<PageOutcome> {
        self.read(|tx| {
            let latest: i64 = tx.query_row(
                "SELECT coalesce(max(cursor), 0) FROM change_log",
                [],
                |row| row.get(0),
            )?;
            if after > latest {
                return Ok(PageOutcome::Ahead { latest });
            }
            // Both halves walk the (store, cursor) index: cheap even on a million rows.
            let remaining: i64 = tx
                .prepare_cached(
                    "SELECT (SELECT count(*) FROM change_log WHERE store IS NULL AND cursor > ?1)
                          + (SELECT count(*) FROM change_log WHERE store = ?2 AND cursor > ?1)",
                )?
                .query_row(params![after, store], |row| row.get(0))?;
            // NOT INDEXED: walk the log in cursor order from `after`. With the (store, cursor)
            // index SQLite would gather every remaining row of both scopes and sort them, for
            // each page of a first pull.
            let mut stmt = tx.prepare_cached(
                "SELECT cursor, change FROM change_log NOT INDEXED
                 WHERE cursor > ?1 AND (store IS NULL OR store = ?2)
                 ORDER BY cursor LIMIT ?3",
            )?;
            let mut rows = stmt.query(params![after, store, limit])?;
            let mut changes = Vec::with_capacity((limit as usize).min(remaining.max(0) as usize));
            let mut last = after;
            while let Some(row) = rows.next()? {
                last = row.get(0)?;
                changes.push(row.get(1)?);
            }
            let more = remaining > changes.len() as i64;
            // When this page ends the store's changes, the cursor moves to the log's end: the
            // other stores' rows after it are then never scanned again by this terminal.
            let cursor = if more { last } else { latest };
            Ok(PageOutcome::Page {
                cursor,
                more,
                remaining,
                changes,
            })
        })
    }

    /// Every level known for the product `gtin` (14 digits), or None for an unknown product.
    pub fn stock(&self, gtin: &str) -> Result<Option<Vec<StockLevelChange>>> {
        self.read(|tx| {
            let known = tx
                .prepare_cached("SELECT 1 FROM product WHERE gtin = ?1")?
                .exists(params![gtin])?;
            if !known {
                return Ok(None);
            }
            Ok(Some(stock_levels(tx, gtin)?))
        })
    }

    /// Counts of what terminals sent, and of devices.
    pub fn counters(&self) -> Result<Counters> {
        self.read(|tx| {
            let mut counters = Counters::default();
            let mut stmt = tx.prepare("SELECT name, value FROM counter")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let name: String = row.get(0)?;
                let value: i64 = row.get(1)?;
                if let Some(key) = name.strip_prefix("received.") {
                    counters.received.insert(key.to_owned(), value);
                } else if name == DUPLICATES {
                    counters.duplicates_ignored = value;
                }
            }
            counters.devices = tx.query_row("SELECT count(*) FROM device", [], |row| row.get(0))?;
            Ok(counters)
        })
    }

    /// The last fiscal journal entry a device reported, and the first one that did not chain.
    pub fn device_journal(&self, device_id: &str) -> Result<Option<DeviceJournal>> {
        self.read(|tx| {
            Ok(tx
                .query_row(
                    "SELECT journal_sequence, journal_hash, journal_break FROM device WHERE id = ?1",
                    params![device_id],
                    |row| {
                        Ok(DeviceJournal {
                            sequence: row.get(0)?,
                            hash: row.get(1)?,
                            first_break: row.get(2)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    // --- Seeding the demo chain ---

    /// How many products a finished seed wrote; an error if a seed was interrupted.
    pub fn seeded_products(&self) -> Result<Option<u64>> {
        self.read(|tx| {
            let value = |key: &str| -> Result<Option<String>> {
                Ok(tx
                    .query_row(
                        "SELECT value FROM meta WHERE key = ?1",
                        params![key],
                        |row| row.get(0),
                    )
                    .optional()?)
            };
            if let Some(done) = value(META_SEEDED)? {
                return done
                    .parse()
                    .map(Some)
                    .map_err(|_| StoreError::Corrupt(format!("seeded product count {done:?}")));
            }
            if value(META_SEEDING)?.is_some() {
                return Err(StoreError::Corrupt(
                    "a previous seed was interrupted: remove the data directory and seed again"
                        .into(),
                ));
            }
            Ok(None)
        })
    }

    /// Marks the start (`done = None`) or the end of a seed of `products` products.
    pub fn mark_seed(&self, products: u64, done: bool) -> Result<()> {
        let key = if done { META_SEEDED } else { META_SEEDING };
        self.writer().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, products.to_string()],
        )?;
        Ok(())
    }

    /// Writes a seed step in one transaction, with `synchronous = NORMAL`: a seed interrupted by
    /// a power cut is redone from scratch, so it need not pay an fsync per step.
    pub fn seed_step(&self, f: impl FnOnce(&mut SeedWriter<'_, '_>) -> Result<()>) -> Result<()> {
        let mut conn = self.writer();
        conn.execute_batch("PRAGMA synchronous = NORMAL")?;
        let result = (|| {
            let tx = conn.transaction()?;
            f(&mut SeedWriter { tx: &tx })?;
            tx.commit()?;
            Ok(())
        })();
        conn.execute_batch("PRAGMA synchronous = FULL")?;
        result
    }
}

/// Inserts for the demo seed, inside one [`Store::seed_step`] transaction. Each insert also logs
/// the matching change for terminals.
pub struct SeedWriter<'a, 'c> {
    tx: &'a Transaction<'c>,
}

impl SeedWriter<'_, '_> {
    pub fn location(&mut self, l: &LocationChange) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO location (code, name, kind) VALUES (?1, ?2, ?3)")?
            .execute(params![l.code, l.name, l.kind])?;
        log_change(self.tx, None, &Change::Location(l.clone()))
    }

    /// The product, its stock everywhere, and one change carrying both.
    pub fn product(&mut self, p: &ProductChange) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO product (gtin, name, brand, category, price_cents, vat_bp, price_unit,
                                      in_store_item_code)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                p.gtin,
                p.name,
                p.brand,
                p.category,
                p.price_cents,
                p.vat_bp,
                p.price_unit,
                p.in_store_item_code
            ])?;
        let mut stock = self.tx.prepare_cached(
            "INSERT INTO stock (gtin, location, qty, as_of) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for level in &p.stock {
            stock.execute(params![p.gtin, level.location, level.qty, level.as_of])?;
        }
        // Serialised from a reference: the catalogue is too large to clone each product.
        let json = serde_json::to_string(&ProductChangeRef::Product(p))
            .map_err(|e| StoreError::Corrupt(format!("product change: {e}")))?;
        insert_change(self.tx, None, &json)
    }

    pub fn staff(&mut self, s: &StaffChange) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO staff (login, display_name, role, pin_hash, active)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                s.login,
                s.display_name,
                s.role,
                s.pin_hash,
                s.active
            ])?;
        log_change(self.tx, None, &Change::Staff(s.clone()))
    }

    /// A customer, pulled by every store (the demo chain's customers shop everywhere).
    pub fn customer(&mut self, c: &CustomerChange) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO customer (id, first_name, last_name, email, phone, loyalty_points,
                                       tier, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                c.id,
                c.first_name,
                c.last_name,
                c.email,
                c.phone,
                c.loyalty_points,
                c.tier,
                c.updated_at
            ])?;
        log_change(self.tx, None, &Change::Customer(c.clone()))
    }

    /// A line of an online cart (fetched on demand, so not in the change log).
    pub fn cart_line(&mut self, line: &CartLine) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO cart_line (customer, gtin, quantity, added_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (customer, gtin) DO UPDATE SET quantity = quantity + excluded.quantity",
            )?
            .execute(params![line.customer, line.gtin, line.quantity, line.added_at])?;
        Ok(())
    }

    /// A click-and-collect order, pulled by its store's terminals only.
    pub fn pickup_order(&mut self, o: &PickupOrderChange) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO pickup_order (id, store, customer, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![o.id, o.store, o.customer, o.status, o.created_at])?;
        let mut line = self.tx.prepare_cached(
            "INSERT INTO pickup_line (order_id, gtin, quantity) VALUES (?1, ?2, ?3)",
        )?;
        for l in &o.lines {
            line.execute(params![o.id, l.gtin, l.quantity])?;
        }
        log_change(self.tx, Some(&o.store), &Change::PickupOrder(o.clone()))
    }
}

/// Serialises like `Change::Product` without owning the product.
#[derive(serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ProductChangeRef<'a> {
    Product(&'a ProductChange),
}

/// The last journal entry a device reported, followed entry by entry.
#[derive(Clone, Debug, PartialEq, Eq)]
struct JournalState {
    sequence: Option<i64>,
    hash: Option<String>,
    first_break: Option<i64>,
}

impl JournalState {
    /// Takes in the next entry. The entry's hash must be the SHA-256 of its canonical form, and
    /// that form must name the previous entry's hash: otherwise the terminal's journal was
    /// altered or truncated (CGI art. 286 I 3° bis), which is recorded and reported — the fact
    /// itself is kept, never refused.
    fn follow(&mut self, device_id: &str, entry: &JournalPayload) {
        let recomputed = sha256_hex(entry.canonical.as_bytes());
        let canonical: Option<serde_json::Value> = serde_json::from_str(&entry.canonical).ok();
        let previous = canonical
            .as_ref()
            .and_then(|c| c.get("previous_hash"))
            .and_then(|h| h.as_str());
        let expected_previous = match self.sequence {
            Some(seq) if seq + 1 == entry.sequence => self.hash.as_deref(),
            None if entry.sequence == 1 => Some(GENESIS_HASH),
            _ => None,
        };
        let chained = match expected_previous {
            Some(expected) => previous == Some(expected),
            // The first entry the central hears of from a terminal whose journal began before it
            // was enrolled: nothing to compare it with. Any other jump is a missing entry.
            None => self.sequence.is_none(),
        };
        if recomputed != entry.hash || !chained {
            tracing::warn!(
                device = device_id,
                sequence = entry.sequence,
                "a journal entry does not chain to the previous one"
            );
            if self.first_break.is_none() {
                self.first_break = Some(entry.sequence);
            }
        }
        if self.sequence.is_none_or(|seq| entry.sequence > seq) {
            self.sequence = Some(entry.sequence);
            self.hash = Some(entry.hash.clone());
        }
    }
}

fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    // FULL in WAL mode: a push is acknowledged only once it survives a power cut.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -32000;",
    )?;
    Ok(conn)
}

/// Records a sale and moves the stock of its store. Training tickets are kept but move no stock
/// (they are out of the real totals). A line for a product the central does not know is kept
/// with the sale; there is no level to move.
fn record_sale(
    tx: &Transaction<'_>,
    event_id: &str,
    store: &str,
    sale: &SalePayload,
    now: i64,
    touched: &mut BTreeSet<String>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO sale (event_id, store, terminal, ticket, created_at, training, total_cents,
                           customer)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        event_id,
        store,
        sale.terminal,
        sale.ticket,
        sale.created_at,
        sale.training,
        sale.total_cents,
        sale.customer
    ])?;
    let sale_id = tx.last_insert_rowid();
    let mut insert_line = tx.prepare_cached(
        "INSERT INTO sale_line (sale_id, line_no, gtin, quantity, amount_cents, vat_bp)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (line_no, line) in sale.lines.iter().enumerate() {
        insert_line.execute(params![
            sale_id,
            line_no as i64 + 1,
            line.gtin,
            line.quantity,
            line.amount_cents,
            line.vat_bp
        ])?;
        if sale.training || line.quantity == 0 {
            continue;
        }
        let Ok(gtin) = Gtin::parse(&line.gtin) else {
            tracing::warn!(store, "a sale line has no valid GTIN: no stock moved");
            continue;
        };
        let gtin = gtin.as_str();
        let moved = tx
            .prepare_cached(
                "UPDATE stock SET qty = qty - ?3, as_of = ?4 WHERE gtin = ?1 AND location = ?2",
            )?
            .execute(params![gtin, store, line.quantity, now])?;
        if moved == 0 {
            let known = tx
                .prepare_cached("SELECT 1 FROM product WHERE gtin = ?1")?
                .exists(params![gtin])?;
            if !known {
                tracing::warn!(
                    gtin,
                    store,
                    "a sale names a product the central does not know"
                );
                continue;
            }
            tx.prepare_cached(
                "INSERT INTO stock (gtin, location, qty, as_of) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![gtin, store, -line.quantity, now])?;
        }
        touched.insert(gtin.to_owned());
    }
    Ok(())
}

fn stock_levels(tx: &Transaction<'_>, gtin: &str) -> Result<Vec<StockLevelChange>> {
    let mut stmt = tx.prepare_cached(
        "SELECT s.location, s.qty, s.as_of FROM stock s JOIN location l ON l.code = s.location
         WHERE s.gtin = ?1 ORDER BY l.rowid",
    )?;
    let levels = stmt
        .query_map(params![gtin], |row| {
            Ok(StockLevelChange {
                location: row.get(0)?,
                qty: row.get(1)?,
                as_of: row.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for level in levels.iter().filter(|l| l.qty < 0) {
        tracing::debug!(gtin, location = %level.location, qty = level.qty, "negative stock");
    }
    Ok(levels)
}

fn log_change(tx: &Transaction<'_>, store: Option<&str>, change: &Change) -> Result<()> {
    let json =
        serde_json::to_string(change).map_err(|e| StoreError::Corrupt(format!("change: {e}")))?;
    insert_change(tx, store, &json)
}

fn insert_change(tx: &Transaction<'_>, store: Option<&str>, json: &str) -> Result<()> {
    tx.prepare_cached("INSERT INTO change_log (store, change) VALUES (?1, ?2)")?
        .execute(params![store, json])?;
    Ok(())
}

fn bump(tx: &Transaction<'_>, name: &str, by: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO counter (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
    )?
    .execute(params![name, by])?;
    Ok(())
}

/// The wire name of a kind ("sale", "journal_entry"…), as stored in the event table.
fn kind_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Sale => "sale",
        EventKind::Return => "return",
        EventKind::Closing => "closing",
        EventKind::JournalEntry => "journal_entry",
        EventKind::EReceipt => "e_receipt",
        EventKind::StockCount => "stock_count",
        EventKind::CustomerCreated => "customer_created",
        EventKind::Consent => "consent",
        EventKind::CustomerNote => "customer_note",
        EventKind::CustomerAccess => "customer_access",
        EventKind::PrivacyRequest => "privacy_request",
        EventKind::Loyalty => "loyalty",
        EventKind::Other => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(MIGRATIONS.validate().is_ok());
    }

    #[test]
    fn kind_names_are_the_wire_names() {
        for kind in [
            EventKind::Sale,
            EventKind::Return,
            EventKind::Closing,
            EventKind::JournalEntry,
            EventKind::EReceipt,
            EventKind::StockCount,
            EventKind::Other,
        ] {
            assert_eq!(
                serde_json::to_value(kind).expect("kind"),
                serde_json::Value::String(kind_name(kind).to_owned())
            );
        }
    }

    #[test]
    fn a_journal_that_skips_back_is_flagged() {
        let entry = |sequence: i64, previous: &str| {
            let canonical = format!(r#"{{"previous_hash":"{previous}","sequence":{sequence}}}"#);
            JournalPayload {
                terminal: "T01".into(),
                sequence,
                hash: sha256_hex(canonical.as_bytes()),
                canonical,
            }
        };
        let mut state = JournalState {
            sequence: None,
            hash: None,
            first_break: None,
        };
        let first = entry(1, GENESIS_HASH);
        state.follow("d", &first);
        let second = entry(2, &first.hash);
        state.follow("d", &second);
        assert_eq!(state.first_break, None);
        assert_eq!(state.sequence, Some(2));
        // A third entry that names the first as its predecessor: the second was dropped.
        state.follow("d", &entry(3, &first.hash));
        assert_eq!(state.first_break, Some(3));
    }
}
