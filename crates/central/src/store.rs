//! The central's storage: with the modules it calls (`pickup`, `credit`, …), the only code under
//! `central` that speaks SQL. Two backends run the same statements through [`crate::sql`]: an
//! embedded SQLite file (`central.db` in the data directory, WAL, versioned migrations in
//! `migrations/`), or a PostgreSQL database that several instances share (`crate::pg`). Callers
//! see functions named after what they do (enroll a device, apply a push batch, read a page of
//! changes), never a connection or a statement.
//!
//! Every method is synchronous and may block: async code calls it through `spawn_blocking`.
//! Writes run one at a time: on SQLite, one writer connection behind a mutex (and SQLite's own
//! lock between processes); on PostgreSQL, the chain's writer lock that every instance takes.
//! Reads run side by side, each on one snapshot. Each use case is one transaction: a crash leaves
//! all of it or none.
//!
//! This module never logs payloads or personal data, and never decides a protocol answer (status
//! codes belong to `handlers`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::sql::{self, OptionalExtension, Tx, params};
use rusqlite_migration::{M, Migrations};

use crate::customers::{CustomerQuery, name_key, prefix_bound};
use crate::{customer_stores, journal_chain, sale_run};
use comptoir_domain::customer::{
    CartItem, Channel, Consent, CustomerHit, CustomerView, Note, Purchase, ViewSource, WishItem,
    email_key, phone_key,
};
use comptoir_domain::gtin::Gtin;
use comptoir_protocol::{
    AccessPayload, AisleOrderPayload, Change, ConsentPayload, CustomerChange,
    CustomerCreatedPayload, CustomerMergedChange, EReceiptPayload, EventKind, HandoverPayload,
    JournalBreakKind, JournalBreakNotice, JournalPayload, LocationChange, LoyaltyPayload,
    NotePayload, PickupOrderChange, PrivacyRequestPayload, ProductChange, QuarantinedEvent,
    ReturnPayload, SalePayload, StaffChange, StockChange, StockLevelChange,
};

/// The database file inside the data directory.
pub const DB_FILE: &str = "central.db";

/// Locked while the schema is brought up to date (it holds nothing).
const MIGRATION_LOCK_FILE: &str = "central.db-migrating";

static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(include_str!("migrations/0001_central.sql")),
        M::up(include_str!("migrations/0002_clienteling.sql")),
        M::up(include_str!("migrations/0003_pickup.sql")),
        M::up(include_str!("migrations/0004_settlement.sql")),
        M::up(include_str!("migrations/0005_erasure.sql")),
        M::up(include_str!("migrations/0006_recalls.sql")),
        M::up(include_str!("migrations/0007_api_reads.sql")),
        M::up(include_str!("migrations/0008_untrusted_pushes.sql")),
        M::up(include_str!("migrations/0009_customer_stores.sql")),
        M::up(include_str!("migrations/0010_promotions.sql")),
        M::up(include_str!("migrations/0011_sale_discounts.sql")),
        M::up(include_str!("migrations/0012_returns_and_credit.sql")),
        M::up(include_str!("migrations/0013_ereceipt_delivery.sql")),
        M::up(include_str!("migrations/0014_conflict_kinds.sql")),
        M::up(include_str!("migrations/0015_staff_calls.sql")),
        M::up(include_str!("migrations/0016_counter_per_device.sql")),
        M::up(include_str!("migrations/0017_device_seen.sql")),
    ])
});

/// Readers kept open between requests; more are opened under load and closed afterwards.
const IDLE_READERS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot make {path} readable by its owner only: {source}")]
    Private {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no central database at {path}: run `comptoir-central seed` first")]
    Missing { path: PathBuf },
    #[error("the central database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the central database failed: {0}")]
    Sql(sql::Error),
    #[error("the central database cannot be migrated: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("cannot connect to the PostgreSQL database: {0}")]
    Connect(sql::Error),
    #[error("the central's PostgreSQL database: {0}")]
    Pg(#[from] crate::pg::PgError),
    #[error("the central database holds something unreadable: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Another process (a seed, say) holds the write lock longer than the busy timeout: the
    /// request can simply be retried.
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ),
            StoreError::Sql(e) => e.is_unavailable() || e.is_conflict(),
            _ => false,
        }
    }

    /// The database error inside, if this is one.
    pub fn sql(&self) -> Option<&sql::Error> {
        match self {
            StoreError::Sql(e) => Some(e),
            _ => None,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Not the error's source: its message already says it.
impl From<sql::Error> for StoreError {
    fn from(e: sql::Error) -> StoreError {
        StoreError::Sql(e)
    }
}

/// The central's database.
pub struct Store {
    backend: Backend,
}

enum Backend {
    /// The embedded file: one writer connection behind a mutex, readers from a small pool.
    Sqlite {
        path: PathBuf,
        writer: Mutex<Connection>,
        readers: Mutex<Vec<Connection>>,
    },
    /// A PostgreSQL server, shared with the chain's other central instances. `writer` queues
    /// this instance's writes before they take a connection: they run one at a time across the
    /// chain anyway (the writer lock), and a queue of them each holding a connection while it
    /// waits would leave none for the reads (a pull, a stock look-up) meanwhile.
    Postgres {
        pool: sql::PgPool,
        writer: Mutex<()>,
    },
}

/// How many times a PostgreSQL transaction the server cancelled for a conflict (a deadlock, a
/// serialization failure) is run again before the request is answered « busy, retry » (the
/// terminal's next sync retries anyway).
const CONFLICT_RETRIES: u32 = 8;

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
    /// The terminal id it enrolled as: the only one it may write tickets for.
    pub terminal: String,
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
    CustomerCreated(CustomerCreatedPayload),
    Consent(ConsentPayload),
    Note(NotePayload),
    Access(AccessPayload),
    PrivacyRequest(PrivacyRequestPayload),
    Loyalty(LoyaltyPayload),
    /// A click-and-collect order handed over, whole or in part (`central::pickup`).
    Handover(HandoverPayload),
    /// Goods of an online order brought back to a store (`central::pickup`).
    Return(ReturnPayload),
    /// An order taken at a counter (`central::pickup`).
    AisleOrder(AisleOrderPayload),
    /// A receipt the customer asked for by e-mail: queued for delivery (`central::ereceipt`).
    EReceipt(EReceiptPayload),
    /// A gift card sold: the central issues its balance.
    GiftCard(comptoir_protocol::GiftCardPayload),
    /// Kept and counted only.
    Recorded,
    /// Refused by `ingest` (its kind as received, and why): kept in the quarantine, not applied.
    Refused {
        kind: String,
        reason: String,
    },
}

/// The result of a push batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushOutcome {
    Applied {
        acked_seq: i64,
        applied: u32,
        duplicates: u32,
        /// Events refused and kept in the quarantine (acknowledged, not applied).
        quarantined: Vec<QuarantinedEvent>,
    },
    /// The device was revoked (or removed) since it authenticated: nothing applied.
    Revoked,
}

/// How a push applies its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Apply {
    /// Each run of plain events set by set (`sale_run`), the rest one by one.
    InRuns,
    /// Every event alone.
    #[cfg_attr(not(test), allow(dead_code))]
    OneByOne,
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
    /// The last entry that chained with no break open (its sequence and hash).
    pub sequence: Option<i64>,
    pub hash: Option<String>,
    /// Every break found in its chain, acknowledged or not.
    pub breaks: Vec<JournalBreakNotice>,
}

/// An event refused by the central's checks, as `comptoir-central quarantine --json` lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct QuarantineEntry {
    pub id: i64,
    pub device: String,
    pub store: String,
    pub terminal: String,
    pub seq: i64,
    pub event_id: String,
    /// As the device sent it (an unknown kind stays as it came).
    pub kind: String,
    pub reason: String,
    /// The head of the payload as received (at most `ingest::QUARANTINE_EXCERPT_BYTES`).
    pub payload: String,
    /// Unix seconds, UTC.
    pub created_at: i64,
    pub received_at: i64,
}

/// Counters for `comptoir-central stats`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Keyed by [`EventKind::stats_key`].
    pub received: BTreeMap<String, i64>,
    pub duplicates_ignored: i64,
    /// Events refused by the central's checks (kept in the quarantine).
    pub quarantined: i64,
    /// Breaks found in terminals' journal chains, all of them and those no auditor acknowledged.
    pub journal_breaks: i64,
    pub journal_breaks_open: i64,
    pub devices: i64,
    /// Privacy requests (access, erasure) not yet answered.
    pub open_privacy_requests: i64,
    /// Loyalty movements that left a balance below zero.
    pub loyalty_overdrawn: i64,
    /// What sales (training excluded) took off by the sellers' hands and by promotions.
    pub discounts_manual_cents: i64,
    pub discounts_promotion_cents: i64,
    /// Handovers that handed an order (or some of its units) over a second time.
    pub pickup_conflicts: i64,
    /// Returns of a line beyond what was ordered or handed over (returned at two counters).
    pub duplicate_returns: i64,
    /// Handovers and returns naming an order the central does not have.
    pub unknown_orders: i64,
}

/// Who opened a customer's record, when and where (the GDPR access log).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AccessEntry {
    /// Unix seconds, UTC.
    pub at: i64,
    pub staff: String,
    pub terminal: String,
    pub store: String,
    pub device: String,
}

/// A customer's access log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AccessLog {
    /// The chain's id (a local id asked for is resolved).
    pub customer: String,
    /// Newest first.
    pub accesses: Vec<AccessEntry>,
}

/// What a loyalty code says of its holder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoyaltyHolder {
    pub id: String,
    pub first_name: String,
    pub tier: String,
}

/// A web shop order, delivered or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnlineOrder {
    pub id: String,
    pub customer: String,
    pub status: String,
    pub created_at: i64,
    pub lines: Vec<OnlineOrderLine>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnlineOrderLine {
    pub gtin: String,
    pub quantity: i64,
    pub amount_cents: i64,
}

/// A line of a customer's online cart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CartLine {
    pub customer: String,
    pub gtin: String,
    pub quantity: i64,
    pub added_at: i64,
    /// The web shop's unit price when it differs from the store's.
    pub online_price_cents: Option<i64>,
}

const META_SEEDED: &str = "seeded_products";
const META_SEEDING: &str = "seed_started";
const DUPLICATES: &str = "duplicates_ignored";
const QUARANTINED: &str = "quarantined";

impl Store {
    /// Opens `central.db` in `dir`, creating the directory and the file when `create` is set,
    /// and brings the schema to the latest migration.
    pub fn open(dir: &Path, create: bool) -> Result<Store> {
        let path = dir.join(DB_FILE);
        if create {
            comptoir_host::private_files::create_private_dir(dir).map_err(|source| {
                StoreError::DataDir {
                    path: dir.to_owned(),
                    source,
                }
            })?;
        } else if !path.exists() {
            return Err(StoreError::Missing { path });
        }
        // Every customer's name, e-mail and phone: its owner's eyes only.
        comptoir_host::private_files::make_database_private(&path).map_err(|source| {
            StoreError::Private {
                path: path.clone(),
                source,
            }
        })?;
        let mut writer = connect(&path)?;
        {
            // Two instances opening a new directory at once: one brings the schema up to date,
            // the other waits for it and finds nothing left to do.
            let lock_path = dir.join(MIGRATION_LOCK_FILE);
            let lock = std::fs::File::create(&lock_path)
                .and_then(|file| file.lock().map(|()| file))
                .map_err(|source| StoreError::DataDir {
                    path: lock_path,
                    source,
                })?;
            MIGRATIONS.to_latest(&mut writer)?;
            fill_search_keys(&mut writer)?;
            drop(lock);
        }
        Ok(Store {
            backend: Backend::Sqlite {
                path,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
            },
        })
    }

    /// Connects to the PostgreSQL database at `url` and brings its schema to the latest
    /// migration (each applied once, whichever instance starts first).
    pub fn open_postgres(url: &str, now: i64) -> Result<Store> {
        sql::off_async_thread(|| {
            let pool = sql::PgPool::connect(url)?;
            crate::pg::schema::migrate(pool.take()?.client(), now)?;
            Ok(Store {
                backend: Backend::Postgres {
                    pool,
                    writer: Mutex::new(()),
                },
            })
        })
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres { .. })
    }

    /// Runs `f` in one write transaction, committed when it succeeds. On PostgreSQL, `f` runs
    /// again when the server cancelled it for a conflict (writes take turns, but an operator's
    /// own session can still deadlock with one): it must not act outside the transaction.
    pub(super) fn write<T: Send>(&self, f: impl FnMut(&Tx<'_>) -> Result<T> + Send) -> Result<T> {
        match &self.backend {
            Backend::Sqlite { writer, .. } => {
                // A panic while holding the lock dropped its transaction, which rolled back:
                // the connection itself is still sound.
                let mut conn = writer.lock().unwrap_or_else(|e| e.into_inner());
                // IMMEDIATE: the write lock is taken at BEGIN, where the busy timeout waits for
                // another process on the same file (a second instance, the CLI). A deferred
                // transaction would fail at once when it first writes after reading.
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                run_once(Tx::sqlite(tx), f)
            }
            Backend::Postgres { pool, writer } => {
                let _turn = writer.lock().unwrap_or_else(|e| e.into_inner());
                on_postgres(pool, true, f)
            }
        }
    }

    /// Runs `f` in one read transaction: every query of a use case sees the same snapshot.
    pub(super) fn read<T: Send>(&self, f: impl FnMut(&Tx<'_>) -> Result<T> + Send) -> Result<T> {
        match &self.backend {
            Backend::Sqlite { path, readers, .. } => {
                let pooled = readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
                let mut conn = match pooled {
                    Some(conn) => conn,
                    None => connect(path)?,
                };
                let result = run_once(Tx::sqlite(conn.transaction()?), f);
                let mut readers = readers.lock().unwrap_or_else(|e| e.into_inner());
                if readers.len() < IDLE_READERS {
                    readers.push(conn);
                }
                result
            }
            Backend::Postgres { pool, .. } => on_postgres(pool, false, f),
        }
    }

    /// The chain's signing key seed on PostgreSQL, shared by every instance: `fresh` becomes
    /// it unless an instance (or `copy-to`) stored one first, whatever the race.
    pub fn shared_signing_seed(&self, fresh: &[u8; 32], now: i64) -> Result<[u8; 32]> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO signing_key (id, seed, created_at) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO NOTHING",
                params![fresh, now],
            )?;
            Ok(tx.query_row(
                "SELECT seed FROM signing_key WHERE id = 1",
                params![],
                |row| row.get(0),
            )?)
        })
    }

    /// The location `code`, if the chain has it.
    /// The codes of the chain's stores (warehouses left out), in order.
    pub fn store_codes(&self) -> Result<Vec<String>> {
        self.read(|tx| {
            let mut stmt =
                tx.prepare("SELECT code FROM location WHERE kind = 'store' ORDER BY code")?;
            let codes = stmt.query_map(params![], |row| row.get(0))?;
            Ok(codes.collect::<crate::sql::Result<_>>()?)
        })
    }

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
        self.write(|tx| {
            tx.execute(
                "INSERT INTO enrollment_code (code_sha256, store, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![&code_sha256[..], store, now, expires_at],
            )?;
            Ok(())
        })
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
        self.write(|tx| {
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
            Ok(EnrollOutcome::Enrolled { store })
        })
    }

    /// The device whose token has the SHA-256 `token_sha256`.
    pub fn device_by_token(&self, token_sha256: &[u8; 32]) -> Result<Option<DeviceRecord>> {
        self.read(|tx| {
            Ok(tx
                .prepare_cached(
                    "SELECT id, store, terminal_id, revoked FROM device WHERE token_sha256 = ?1",
                )?
                .query_row(params![&token_sha256[..]], |row| {
                    Ok(DeviceRecord {
                        id: row.get(0)?,
                        store: row.get(1)?,
                        terminal: row.get(2)?,
                        revoked: row.get(3)?,
                    })
                })
                .optional()?)
        })
    }

    /// Revokes a device: its token is refused from now on. False when there is no such device.
    pub fn revoke(&self, device_id: &str) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE device SET revoked = 1 WHERE id = ?1",
                params![device_id],
            )? > 0)
        })
    }

    /// Applies a push batch from `device_id` in one transaction, exactly once per event.
    ///
    /// `events` must be sorted by sequence (`ingest` does it). The rule, from the protocol: an
    /// event at or below the device's acknowledged sequence, or whose UUID the central already
    /// has, is a duplicate (counted, not applied); the next sequence is applied; a gap stops the
    /// batch. The answer is the highest sequence up to which everything is applied.
    pub fn push(&self, device_id: &str, events: &[IncomingEvent], now: i64) -> Result<PushOutcome> {
        self.push_with(device_id, events, now, Apply::InRuns)
    }

    /// [`Store::push`], applying events in runs (`sale_run`) or each alone (what a run must
    /// match, which a test compares).
    pub(crate) fn push_with(
        &self,
        device_id: &str,
        events: &[IncomingEvent],
        now: i64,
        apply: Apply,
    ) -> Result<PushOutcome> {
        self.write(|tx| {
            tx.count_for_device(device_id);
            let device = tx
                .query_row(
                    "SELECT store, revoked, acked_seq FROM device WHERE id = ?1",
                    params![device_id],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, bool>(1)?,
                            row.get::<_, i64>(2)?,
                        ))
                    },
                )
                .optional()?;
            let Some((store, revoked, mut acked)) = device else {
                return Ok(PushOutcome::Revoked);
            };
            if revoked {
                return Ok(PushOutcome::Revoked);
            }
            let mut journal = journal_chain::load(tx, device_id)?.unwrap_or_default();
            let before = journal.clone();
            let mut applied = 0u32;
            let mut duplicates = 0u32;
            let mut quarantined = Vec::new();
            let mut received: BTreeMap<&'static str, i64> = BTreeMap::new();
            let mut touched: BTreeSet<String> = BTreeSet::new();
            let mut index = 0;
            // The events before this one go one by one: their run could not go set by set.
            let mut one_by_one_until = 0;
            while index < events.len() {
                let event = &events[index];
                index += 1;
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
                let run = sale_run::run_from(&events[index - 1..], acked);
                if apply == Apply::InRuns && index > one_by_one_until && !run.is_empty() {
                    tx.execute_batch("SAVEPOINT apply_run")?;
                    let mut run_journal = journal.clone();
                    let mut run_touched = BTreeSet::new();
                    let outcome = sale_run::apply(
                        tx,
                        device_id,
                        &store,
                        run,
                        &mut run_journal,
                        now,
                        &mut run_touched,
                    );
                    match outcome {
                        Ok(sale_run::Outcome::Applied) => {
                            tx.execute_batch("RELEASE apply_run")?;
                            journal = run_journal;
                            touched.extend(run_touched);
                            for event in run {
                                *received.entry(event.kind.stats_key()).or_default() += 1;
                            }
                            applied += run.len() as u32;
                            acked += run.len() as i64;
                            index += run.len() - 1;
                            continue;
                        }
                        Ok(sale_run::Outcome::OneByOne) => {
                            tx.execute_batch("ROLLBACK TO apply_run; RELEASE apply_run")?;
                        }
                        // A row the database refuses: one by one finds which and quarantines it.
                        Err(StoreError::Sql(error)) if error.is_constraint() => {
                            tx.execute_batch("ROLLBACK TO apply_run; RELEASE apply_run")?;
                        }
                        Err(other) => return Err(other),
                    }
                    one_by_one_until = index - 1 + run.len();
                }
                let refusal = match &event.fact {
                    Fact::Refused { kind, reason } => Some((kind.clone(), reason.clone())),
                    Fact::Loyalty(l) => loyalty_beyond_its_ticket(tx, &store, l)?
                        .map(|reason| (kind_name(event.kind).to_owned(), reason)),
                    _ => None,
                };
                if let Some((kind, reason)) = refusal {
                    quarantine(tx, device_id, event, &kind, &reason, now)?;
                    if serde_json::from_value::<EventKind>(kind.as_str().into())
                        .is_ok_and(|k| k == EventKind::Other)
                    {
                        // A newer terminal's kind: counted as before, now also kept apart.
                        *received.entry(EventKind::Other.stats_key()).or_default() += 1;
                    }
                    quarantined.push(QuarantinedEvent {
                        seq: event.seq,
                        reason,
                    });
                    acked = event.seq;
                    continue;
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
                // One event that the database refuses (a constraint no check foresaw) must not
                // fail the batch, and with it every later push of the device for ever: it is
                // undone alone and quarantined.
                tx.execute_batch("SAVEPOINT apply_event")?;
                let mut event_journal = journal.clone();
                let mut event_touched = BTreeSet::new();
                let outcome = apply_event(
                    tx,
                    device_id,
                    &store,
                    event,
                    &mut event_journal,
                    now,
                    &mut event_touched,
                );
                match outcome {
                    Ok(()) => {
                        tx.execute_batch("RELEASE apply_event")?;
                        journal = event_journal;
                        touched.extend(event_touched);
                    }
                    Err(StoreError::Sql(error)) if error.is_constraint() => {
                        tx.execute_batch("ROLLBACK TO apply_event; RELEASE apply_event")?;
                        let reason = format!("it could not be applied: {error}");
                        quarantine(tx, device_id, event, kind_name(event.kind), &reason, now)?;
                        quarantined.push(QuarantinedEvent {
                            seq: event.seq,
                            reason,
                        });
                        acked = event.seq;
                        continue;
                    }
                    Err(other) => return Err(other),
                }
                *received.entry(event.kind.stats_key()).or_default() += 1;
                applied += 1;
                acked = event.seq;
            }
            tx.prepare_cached("UPDATE device SET acked_seq = ?2 WHERE id = ?1")?
                .execute(params![device_id, acked])?;
            if journal != before {
                journal_chain::save(tx, device_id, &journal)?;
            }
            log_stock_changes(tx, &touched)?;
            for (key, count) in received {
                bump(tx, &format!("received.{key}"), count)?;
            }
            if duplicates > 0 {
                bump(tx, DUPLICATES, i64::from(duplicates))?;
            }
            if !quarantined.is_empty() {
                bump(tx, QUARANTINED, quarantined.len() as i64)?;
            }
            Ok(PushOutcome::Applied {
                acked_seq: acked,
                applied,
                duplicates,
                quarantined,
            })
        })
    }

    /// Notes when an instance heard from each of these devices (Unix seconds, UTC): a later
    /// time than the one kept replaces it, an earlier one (another instance's older news) not.
    pub fn record_seen(&self, seen: &[(String, i64)]) -> Result<()> {
        if seen.is_empty() {
            return Ok(());
        }
        self.write(|tx| {
            for chunk in crate::bulk::chunks(seen) {
                tx.execute(
                    &format!(
                        "INSERT INTO device_seen (device, seen_at) VALUES {}
                         ON CONFLICT (device) DO UPDATE SET seen_at = CASE
                             WHEN excluded.seen_at > device_seen.seen_at THEN excluded.seen_at
                             ELSE device_seen.seen_at END",
                        crate::bulk::tuples(1, chunk.len(), &["_", "_"])
                    ),
                    &crate::bulk::params(&[], chunk, |(device, at)| {
                        vec![device as &dyn sql::Param, at]
                    }),
                )?;
            }
            Ok(())
        })
    }

    /// How many devices some instance heard from at or after `since` (Unix seconds, UTC).
    pub fn terminals_seen_since(&self, since: i64) -> Result<i64> {
        self.read(|tx| {
            Ok(tx.query_row(
                "SELECT count(*) FROM device_seen WHERE seen_at >= ?1",
                params![since],
                |row| row.get(0),
            )?)
        })
    }

    /// The changes after `after` that a terminal of `store` gets, at most `limit` of them.
    pub fn changes(&self, store: &str, after: i64, limit: u32) -> Result<PageOutcome> {
        self.read(|tx| {
            let latest: i64 = tx.query_row(
                "SELECT coalesce(max(cursor), 0) FROM change_log",
                params![],
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
            // each page of a first pull. PostgreSQL's planner walks the primary key by itself.
            let mut stmt = tx.prepare_cached(if tx.is_postgres() {
                "SELECT cursor, change FROM change_log
                 WHERE cursor > ?1 AND (store IS NULL OR store = ?2)
                 ORDER BY cursor LIMIT ?3"
            } else {
                "SELECT cursor, change FROM change_log NOT INDEXED
                 WHERE cursor > ?1 AND (store IS NULL OR store = ?2)
                 ORDER BY cursor LIMIT ?3"
            })?;
            let rows = stmt.query_map(params![after, store, limit], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })?;
            let mut changes = Vec::with_capacity((limit as usize).min(remaining.max(0) as usize));
            let mut last = after;
            for row in rows {
                let (cursor, change) = row?;
                last = cursor;
                changes.push(change);
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

    /// Whether the database answers (`GET /healthz`).
    pub fn ping(&self) -> Result<()> {
        self.read(|tx| Ok(tx.query_row("SELECT 1", params![], |row| row.get::<_, i64>(0))?))
            .map(|_| ())
    }

    /// Counts of what terminals sent, and of devices.
    pub fn counters(&self) -> Result<Counters> {
        self.read(|tx| {
            let mut counters = Counters::default();
            let mut stmt =
                tx.prepare("SELECT name, CAST(SUM(value) AS BIGINT) FROM counter GROUP BY name")?;
            let rows = stmt.query_map(params![], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })?;
            for row in rows {
                let (name, value) = row?;
                if let Some(key) = name.strip_prefix("received.") {
                    counters.received.insert(key.to_owned(), value);
                } else if name == DUPLICATES {
                    counters.duplicates_ignored = value;
                } else if name == QUARANTINED {
                    counters.quarantined = value;
                } else if name == DISCOUNTS_MANUAL {
                    counters.discounts_manual_cents = value;
                } else if name == DISCOUNTS_PROMOTION {
                    counters.discounts_promotion_cents = value;
                } else if name == LOYALTY_OVERDRAWN {
                    counters.loyalty_overdrawn = value;
                } else if name == super::pickup::PICKUP_CONFLICTS {
                    counters.pickup_conflicts = value;
                } else if name == super::pickup::DUPLICATE_RETURNS {
                    counters.duplicate_returns = value;
                } else if name == super::pickup::UNKNOWN_ORDERS {
                    counters.unknown_orders = value;
                }
            }
            counters.devices =
                tx.query_row("SELECT count(*) FROM device", params![], |row| row.get(0))?;
            (counters.journal_breaks, counters.journal_breaks_open) = tx.query_row(
                "SELECT count(*), count(*) FILTER (WHERE acknowledged_at IS NULL)
                 FROM journal_break",
                params![],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            counters.open_privacy_requests = tx.query_row(
                "SELECT count(*) FROM privacy_request WHERE status = 'open'",
                params![],
                |row| row.get(0),
            )?;
            Ok(counters)
        })
    }

    /// What the central vouches for of a device's journal (its tip never moves past an open
    /// break) and every break kept for it; None for an unknown device.
    pub fn device_journal(&self, device_id: &str) -> Result<Option<DeviceJournal>> {
        self.read(|tx| {
            let Some(state) = journal_chain::load(tx, device_id)? else {
                return Ok(None);
            };
            let (sequence, hash) = state.tip.unzip();
            Ok(Some(DeviceJournal {
                sequence,
                hash,
                breaks: journal_chain::notices(tx, device_id)?,
            }))
        })
    }

    /// Every journal break kept, oldest first.
    pub fn journal_breaks(&self) -> Result<Vec<journal_chain::JournalBreak>> {
        self.read(|tx| Ok(journal_chain::list(tx, None)?))
    }

    /// An auditor acknowledges journal break `id`.
    pub fn acknowledge_journal_break(
        &self,
        id: i64,
        auditor: &str,
        note: Option<&str>,
        now: i64,
    ) -> Result<journal_chain::Acknowledged> {
        self.write(|tx| Ok(journal_chain::acknowledge(tx, id, auditor, note, now)?))
    }

    /// The events refused and kept in the quarantine, oldest first.
    pub fn quarantine(&self) -> Result<Vec<QuarantineEntry>> {
        self.read(|tx| {
            let mut stmt = tx.prepare(
                "SELECT q.id, q.device, d.store, d.terminal_id, q.seq, q.event_id, q.kind,
                        q.reason, q.payload, q.created_at, q.received_at
                 FROM quarantine q JOIN device d ON d.id = q.device ORDER BY q.id",
            )?;
            let rows = stmt.query_map(params![], |row| {
                Ok(QuarantineEntry {
                    id: row.get(0)?,
                    device: row.get(1)?,
                    store: row.get(2)?,
                    terminal: row.get(3)?,
                    seq: row.get(4)?,
                    event_id: row.get(5)?,
                    kind: row.get(6)?,
                    reason: row.get(7)?,
                    payload: row.get(8)?,
                    created_at: row.get(9)?,
                    received_at: row.get(10)?,
                })
            })?;
            Ok(rows.collect::<crate::sql::Result<_>>()?)
        })
    }

    /// Customers matching `query`, at most `limit` of them.
    pub fn search_customers(&self, query: &CustomerQuery, limit: u32) -> Result<Vec<CustomerHit>> {
        self.read(|tx| search_customers(tx, query, limit))
    }

    /// The 360° view of the customer `id` (a chain id, or a local id merged into one), as of
    /// `now`; None for a customer the central does not have.
    pub fn customer_view(&self, id: &str, now: i64) -> Result<Option<CustomerView>> {
        self.read(|tx| customer_view(tx, id, now))
    }

    /// What a loyalty code for the customer `id` carries; None for an unknown customer.
    pub fn loyalty_holder(&self, id: &str) -> Result<Option<LoyaltyHolder>> {
        self.read(|tx| {
            let id = resolve_customer(tx, id)?;
            Ok(tx
                .query_row(
                    "SELECT id, first_name, tier FROM customer WHERE id = ?1 AND erased_at IS NULL",
                    params![id],
                    |row| {
                        Ok(LoyaltyHolder {
                            id: row.get(0)?,
                            first_name: row.get(1)?,
                            tier: row.get(2)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    /// Writes that the device `device` read the record of customer `id` through the API.
    pub fn record_api_read(&self, id: &str, device: &str, now: i64) -> Result<()> {
        self.write(|tx| {
            let customer = resolve_customer(tx, id)?;
            tx.prepare_cached("INSERT INTO api_read (customer, device, at) VALUES (?1, ?2, ?3)")?
                .execute(params![customer, device, now])?;
            Ok(())
        })
    }

    /// Who opened the record of the customer `id`, newest first; None when the central neither
    /// has the customer nor any access to their record (an erased customer's log is kept).
    pub fn access_log(&self, id: &str) -> Result<Option<AccessLog>> {
        self.read(|tx| {
            let customer = resolve_customer(tx, id)?;
            let accesses = access_entries(tx, &customer)?;
            let known = tx
                .prepare_cached("SELECT 1 FROM customer WHERE id = ?1")?
                .exists(params![customer])?;
            Ok((known || !accesses.is_empty()).then_some(AccessLog { customer, accesses }))
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
        self.write(|tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, products.to_string()],
            )?;
            Ok(())
        })
    }

    /// Writes a seed step in one transaction, with `synchronous = NORMAL`: a seed interrupted by
    /// a power cut is redone from scratch, so it need not pay an fsync per step.
    pub fn seed_step(
        &self,
        f: impl FnOnce(&mut SeedWriter<'_, '_>) -> Result<()> + Send,
    ) -> Result<()> {
        let Backend::Sqlite { writer, .. } = &self.backend else {
            let mut f = Some(f);
            return self.write(|tx| match f.take() {
                Some(f) => f(&mut SeedWriter { tx }),
                // A seed step is not run again after a conflict: nothing else writes to a
                // database while it is being seeded, so a conflict is a real failure.
                None => Err(StoreError::Corrupt("a seed step met another writer".into())),
            });
        };
        let mut conn = writer.lock().unwrap_or_else(|e| e.into_inner());
        conn.execute_batch("PRAGMA synchronous = NORMAL")?;
        let result = (|| {
            let tx = Tx::sqlite(conn.transaction()?);
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
    tx: &'a Tx<'c>,
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

    /// A customer of the home store `home`: that store's terminals get the record.
    pub fn customer(&mut self, c: &CustomerChange, home: &str) -> Result<()> {
        insert_customer(self.tx, c)?;
        customer_stores::link(self.tx, &c.id, home, c.updated_at)
    }

    /// A line of an online cart (fetched on demand, so not in the change log).
    pub fn cart_line(&mut self, line: &CartLine) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO cart_line (customer, gtin, quantity, added_at, online_price_cents)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (customer, gtin) DO UPDATE SET quantity = cart_line.quantity + excluded.quantity",
            )?
            .execute(params![
                line.customer,
                line.gtin,
                line.quantity,
                line.added_at,
                line.online_price_cents
            ])?;
        Ok(())
    }

    /// A consent the customer gave or refused on the web shop (fetched on demand).
    pub fn consent(
        &mut self,
        customer: &str,
        channel: Channel,
        granted: bool,
        at: i64,
        staff: &str,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO consent (customer, channel, granted, at, staff)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![customer, channel.as_str(), granted, at, staff])?;
        Ok(())
    }

    /// A product on a customer's wishlist.
    pub fn wish(&mut self, customer: &str, gtin: &str, added_at: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO wishlist (customer, gtin, added_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![customer, gtin, added_at])?;
        Ok(())
    }

    /// A web shop order with its lines; its total is the sum of its lines.
    pub fn online_order(&mut self, o: &OnlineOrder) -> Result<()> {
        let total: i64 = o.lines.iter().map(|l| l.amount_cents).sum();
        self.tx
            .prepare_cached(
                "INSERT INTO online_order (id, customer, status, created_at, total_cents)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![o.id, o.customer, o.status, o.created_at, total])?;
        let mut line = self.tx.prepare_cached(
            "INSERT INTO online_order_line (order_id, line_no, gtin, quantity, amount_cents)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (n, l) in o.lines.iter().enumerate() {
            line.execute(params![
                o.id,
                n as i64 + 1,
                l.gtin,
                l.quantity,
                l.amount_cents
            ])?;
        }
        Ok(())
    }

    /// A click-and-collect order, pulled by its store's terminals only. Each line is priced at
    /// the product's price now, so that a return is refunded at the price paid even after the
    /// price moves. The change is read back from what was written, so it carries what every
    /// later change of the order carries (the customer's first name, what was handed over).
    pub fn pickup_order(&mut self, o: &PickupOrderChange) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO pickup_order (id, store, customer, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![o.id, o.store, o.customer, o.status, o.created_at])?;
        let mut line = self.tx.prepare_cached(
            "INSERT INTO pickup_line (order_id, gtin, quantity, amount_cents)
             VALUES (?1, ?2, ?3, (SELECT price_cents * ?3 FROM product WHERE gtin = ?2))",
        )?;
        for l in &o.lines {
            line.execute(params![o.id, l.gtin, l.quantity])?;
        }
        customer_stores::link(self.tx, &o.customer, &o.store, o.created_at)?;
        super::pickup::log_pickup_order(self.tx, &o.id)
    }
}

/// Serialises like `Change::Product` without owning the product.
#[derive(serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ProductChangeRef<'a> {
    Product(&'a ProductChange),
}

/// Runs `f` in `tx` and commits what it wrote (a read-only `f` commits nothing).
fn run_once<T>(tx: Tx<'_>, mut f: impl FnMut(&Tx<'_>) -> Result<T>) -> Result<T> {
    let result = f(&tx)?;
    tx.commit()?;
    Ok(result)
}

/// Runs `f` in a transaction of a pooled connection, again when it lost a conflict.
fn on_postgres<T: Send>(
    pool: &sql::PgPool,
    write: bool,
    f: impl FnMut(&Tx<'_>) -> Result<T> + Send,
) -> Result<T> {
    sql::off_async_thread(|| on_postgres_here(pool, write, f))
}

fn on_postgres_here<T>(
    pool: &sql::PgPool,
    write: bool,
    mut f: impl FnMut(&Tx<'_>) -> Result<T>,
) -> Result<T> {
    let mut attempt = 0;
    loop {
        let mut conn = pool.take()?;
        let outcome = match if write { conn.write() } else { conn.read() } {
            Ok(tx) => run_once(tx, &mut f),
            Err(e) => Err(e.into()),
        };
        conn.end_write();
        drop(conn);
        match outcome {
            Err(e)
                if attempt < CONFLICT_RETRIES && e.sql().is_some_and(sql::Error::is_conflict) =>
            {
                attempt += 1;
                // Spread the retries of transactions that collided, so that they do not
                // collide again in step.
                let jitter = u64::from(getrandom::u32().unwrap_or(0) % 8);
                std::thread::sleep(Duration::from_millis((2 << attempt.min(5)) + jitter));
            }
            other => return other,
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
    // A push runs some fifty statement texts (the multi-row ones in several sizes): rusqlite's
    // default cache of 16 would prepare most of them again at every push.
    conn.set_prepared_statement_cache_capacity(256);
    // FULL in WAL mode: a push is acknowledged only once it survives a power cut.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -32000;",
    )?;
    Ok(conn)
}

/// Keeps an event and applies its fact.
fn apply_event(
    tx: &Tx<'_>,
    device_id: &str,
    store: &str,
    event: &IncomingEvent,
    journal: &mut journal_chain::ChainState,
    now: i64,
    touched: &mut BTreeSet<String>,
) -> Result<()> {
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
        Fact::Sale(sale) => record_sale(tx, &event.id, device_id, store, sale, now, touched)?,
        Fact::Journal(entry) => match journal.follow(entry) {
            Some(kind) => {
                journal_chain::record(tx, device_id, Some(entry.sequence), kind, None, now)?;
            }
            None => super::credit::note_ticket_check(tx, store, entry)?,
        },
        Fact::CustomerCreated(c) => record_customer_created(tx, store, c, now)?,
        Fact::Consent(c) => record_consent(tx, c)?,
        Fact::Note(n) => record_note(tx, &event.id, n)?,
        Fact::Access(a) => record_access(tx, &event.id, device_id, a)?,
        Fact::PrivacyRequest(r) => record_privacy_request(tx, &event.id, r)?,
        Fact::Loyalty(l) => record_loyalty(tx, &event.id, store, l, now)?,
        Fact::Handover(h) => super::pickup::record_handover(tx, &event.id, device_id, h)?,
        Fact::Return(r) => super::pickup::record_return(tx, &event.id, device_id, r, now, touched)?,
        Fact::AisleOrder(o) => super::pickup::record_aisle_order(tx, &event.id, o, now, touched)?,
        Fact::EReceipt(r) => super::ereceipt::queue(tx, &event.id, store, r, now)?,
        Fact::GiftCard(g) => super::credit::issue_credit(
            tx,
            &g.code,
            "gift_card",
            g.amount_cents,
            store,
            &g.terminal,
            &g.ticket,
            None,
            g.at,
            now,
        )?,
        Fact::Recorded | Fact::Refused { .. } => {}
    }
    Ok(())
}

/// Why a loyalty movement cannot be taken, if it cannot: points only move with a ticket of this
/// store's terminal, and never by more than the ticket paid in cents (a rule earns at most one
/// point per cent, and a point pays at least a cent). A device cannot mint points.
fn loyalty_beyond_its_ticket(
    tx: &Tx<'_>,
    store: &str,
    l: &LoyaltyPayload,
) -> Result<Option<String>> {
    let total: Option<i64> = tx
        .prepare_cached(
            "SELECT max(total_cents) FROM sale WHERE store = ?1 AND terminal = ?2 AND ticket = ?3",
        )?
        .query_row(params![store, l.terminal, l.ticket], |row| row.get(0))?;
    Ok(match total {
        None => Some(format!(
            "a loyalty movement names ticket {} of terminal {}, which the central has not received",
            l.ticket, l.terminal
        )),
        Some(total) if l.points.unsigned_abs() > total.unsigned_abs() => Some(format!(
            "a loyalty movement of {} points on a ticket of {total} cents: at most one point per cent paid",
            l.points
        )),
        Some(_) => None,
    })
}

/// Keeps a refused event in the quarantine (once per device sequence).
fn quarantine(
    tx: &Tx<'_>,
    device: &str,
    event: &IncomingEvent,
    kind: &str,
    reason: &str,
    now: i64,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO quarantine (device, seq, event_id, kind, reason, payload, created_at,
                                 received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (device, seq) DO NOTHING",
    )?
    .execute(params![
        device,
        event.seq,
        event.id,
        kind,
        reason,
        event.payload,
        event.created_at,
        now
    ])?;
    Ok(())
}

/// A ticket number this terminal already used for a sale with other contents: a journal tail
/// deleted and written anew reuses its numbers. The same sale again (a restored terminal
/// resending it) is no break.
fn ticket_reused(tx: &Tx<'_>, store: &str, sale: &SalePayload) -> Result<bool> {
    let mut stmt = tx.prepare_cached(
        "SELECT e.payload FROM sale s JOIN event e ON e.id = s.event_id
         WHERE s.store = ?1 AND s.terminal = ?2 AND s.ticket = ?3",
    )?;
    let earlier = stmt.query_map(params![store, sale.terminal, sale.ticket], |row| {
        row.get::<_, String>(0)
    })?;
    for payload in earlier {
        let same = serde_json::from_str::<SalePayload>(&payload?).is_ok_and(|e| &e == sale);
        if !same {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Records a sale and moves the stock of its store. Training tickets are kept but move no stock
/// (they are out of the real totals). A line for a product the central does not know is kept
/// with the sale; there is no level to move.
fn record_sale(
    tx: &Tx<'_>,
    event_id: &str,
    device_id: &str,
    store: &str,
    sale: &SalePayload,
    now: i64,
    touched: &mut BTreeSet<String>,
) -> Result<()> {
    if ticket_reused(tx, store, sale)? {
        journal_chain::record(
            tx,
            device_id,
            None,
            JournalBreakKind::TicketReused,
            Some(&sale.ticket),
            now,
        )?;
    }
    // A sale made offline to a customer created at this counter names the local id.
    let customer = match &sale.customer {
        Some(id) => Some(resolve_customer(tx, id)?),
        None => None,
    };
    let sale_id: i64 = tx
        .prepare_cached(
            "INSERT INTO sale (event_id, store, terminal, ticket, created_at, training, total_cents,
                               customer)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             RETURNING id",
        )?
        .query_row(
            params![
                event_id,
                store,
                sale.terminal,
                sale.ticket,
                sale.created_at,
                sale.training,
                sale.total_cents,
                customer
            ],
            |row| row.get(0),
        )?;
    if let Some(customer) = &customer {
        customer_stores::link(tx, customer, store, now)?;
    }
    let mut insert_line = tx.prepare_cached(
        "INSERT INTO sale_line (sale_id, line_no, gtin, quantity, amount_cents, vat_bp,
                                discount_cents)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut insert_discount = tx.prepare_cached(
        "INSERT INTO sale_discount (sale_id, line_no, position, kind, amount_cents,
                                    promotion_id, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut promotions_used = BTreeSet::new();
    for (line_no, line) in sale.lines.iter().enumerate() {
        insert_line.execute(params![
            sale_id,
            line_no as i64 + 1,
            line.gtin,
            line.quantity,
            line.amount_cents,
            line.vat_bp,
            line.discount_cents
        ])?;
        for (position, discount) in line.discounts.iter().enumerate() {
            insert_discount.execute(params![
                sale_id,
                line_no as i64 + 1,
                position as i64 + 1,
                discount.kind,
                discount.amount_cents,
                discount.promotion_id,
                discount.reason
            ])?;
            if let Some(id) = &discount.promotion_id {
                promotions_used.insert(id.as_str());
            }
        }
        if sale.training || line.quantity == 0 {
            continue;
        }
        move_stock(tx, &line.gtin, store, -line.quantity, now, touched)?;
    }
    super::credit::record_sale_payments(tx, event_id, sale_id, store, sale, now)?;
    // A promotion's use is one sale that took it, in the store that sold; training tickets
    // are not sales.
    if !sale.training {
        for id in promotions_used {
            super::promotion::record_promotion_use(tx, id, store, 1)?;
        }
        let given = |kind: &str| -> i64 {
            sale.lines
                .iter()
                .flat_map(|l| &l.discounts)
                .filter(|d| d.kind == kind)
                .map(|d| d.amount_cents)
                .sum()
        };
        bump(tx, DISCOUNTS_MANUAL, given("manual"))?;
        bump(tx, DISCOUNTS_PROMOTION, given("promotion"))?;
    }
    Ok(())
}

/// Moves the level of `gtin` at `store` by `delta` (negative for a sale, positive for goods
/// brought back) and notes the product in `touched`, whose new levels the push logs once at its
/// end. A product or a location the central does not know has no level to move: warned,
/// nothing else.
/// The furthest a stock level goes either side of zero (the table's CHECK allows 1,000 times
/// more, so saturation never trips it).
pub const MAX_STOCK_LEVEL: i64 = 1_000_000_000;

pub(super) fn move_stock(
    tx: &Tx<'_>,
    gtin: &str,
    store: &str,
    delta: i64,
    now: i64,
    touched: &mut BTreeSet<String>,
) -> Result<()> {
    let Ok(gtin) = Gtin::parse(gtin) else {
        tracing::warn!(store, "a line has no valid GTIN: no stock moved");
        return Ok(());
    };
    let gtin = gtin.as_str();
    // Saturated far inside the column's CHECK: no device can push a level out of an integer
    // (it once turned REAL and failed every later push of the store), and an honest sale beside
    // a hostile level still applies.
    let delta = delta.clamp(-MAX_STOCK_LEVEL, MAX_STOCK_LEVEL);
    let moved = tx
        .prepare_cached(
            "UPDATE stock SET qty = CASE
                 WHEN qty + ?3 > CAST(?5 AS BIGINT) THEN CAST(?5 AS BIGINT)
                 WHEN qty + ?3 < -CAST(?5 AS BIGINT) THEN -CAST(?5 AS BIGINT)
                 ELSE qty + ?3 END,
                 as_of = ?4
             WHERE gtin = ?1 AND location = ?2",
        )?
        .execute(params![gtin, store, delta, now, MAX_STOCK_LEVEL])?;
    if moved == 0 {
        // A first level, for a product and a location the chain has: a terminal's payload may
        // name others, and the push goes on without inventing a level for them.
        let created = tx
            .prepare_cached(
                "INSERT INTO stock (gtin, location, qty, as_of)
                 SELECT ?1, ?2, ?3, ?4
                 WHERE EXISTS (SELECT 1 FROM product WHERE gtin = ?1)
                   AND EXISTS (SELECT 1 FROM location WHERE code = ?2)",
            )?
            .execute(params![gtin, store, delta, now])?;
        if created == 0 {
            tracing::warn!(
                gtin,
                store,
                "a line names a product or a location the central does not know"
            );
            return Ok(());
        }
    }
    touched.insert(gtin.to_owned());
    Ok(())
}

/// Moves the levels of `store` by `deltas` (by GTIN as levels keep it) in a few statements, as
/// [`move_stock`] moves one: saturated, a first level only for a product and a location the
/// chain has. Notes in `touched` the products whose level moved.
pub(super) fn move_stocks(
    tx: &Tx<'_>,
    store: &str,
    deltas: &BTreeMap<String, i64>,
    now: i64,
    touched: &mut BTreeSet<String>,
) -> Result<()> {
    let deltas: Vec<(&String, i64)> = deltas
        .iter()
        .map(|(gtin, delta)| (gtin, (*delta).clamp(-MAX_STOCK_LEVEL, MAX_STOCK_LEVEL)))
        .collect();
    for chunk in crate::bulk::chunks(&deltas) {
        // `count` (GTIN, delta) rows, their placeholders numbered from `?first`.
        let rows = |first, count| {
            crate::bulk::tuples(first, count, &["CAST(_ AS TEXT)", "CAST(_ AS BIGINT)"])
        };
        fn row<'a>((gtin, delta): &'a (&String, i64)) -> Vec<&'a dyn sql::Param> {
            vec![gtin as &dyn sql::Param, delta]
        }
        // Every level there is moves; then a first level where there was none (rare: a
        // product's first sale in a store), as `move_stock` does one by one.
        let moved: BTreeSet<String> = tx
            .prepare_cached(&format!(
                "WITH d (gtin, delta) AS (VALUES {})
                 UPDATE stock SET qty = CASE
                     WHEN stock.qty + d.delta > CAST(?3 AS BIGINT) THEN CAST(?3 AS BIGINT)
                     WHEN stock.qty + d.delta < -CAST(?3 AS BIGINT) THEN -CAST(?3 AS BIGINT)
                     ELSE stock.qty + d.delta END,
                     as_of = ?2
                 FROM d WHERE stock.gtin = d.gtin AND stock.location = ?1
                 RETURNING stock.gtin",
                rows(4, chunk.len())
            ))?
            .query_map(
                &crate::bulk::params(&[&store, &now, &MAX_STOCK_LEVEL], chunk, row),
                |row| row.get::<_, String>(0),
            )?
            .collect::<sql::Result<_>>()?;
        let unstocked: Vec<(&String, i64)> = chunk
            .iter()
            .filter(|(gtin, _)| !moved.contains(gtin.as_str()))
            .copied()
            .collect();
        let mut created = Vec::new();
        for part in crate::bulk::chunks(&unstocked) {
            created.extend(
                tx.prepare_cached(&format!(
                    "WITH d (gtin, delta) AS (VALUES {})
                     INSERT INTO stock (gtin, location, qty, as_of)
                     SELECT d.gtin, ?1, d.delta, ?2 FROM d
                     WHERE EXISTS (SELECT 1 FROM product WHERE gtin = d.gtin)
                       AND EXISTS (SELECT 1 FROM location WHERE code = ?1)
                     RETURNING gtin",
                    rows(3, part.len())
                ))?
                .query_map(&crate::bulk::params(&[&store, &now], part, row), |row| {
                    row.get::<_, String>(0)
                })?
                .collect::<sql::Result<Vec<_>>>()?,
            );
        }
        if created.len() < unstocked.len() {
            tracing::warn!(
                store,
                lines = unstocked.len() - created.len(),
                "lines name products or a location the central does not know"
            );
        }
        touched.extend(moved);
        touched.extend(created);
    }
    Ok(())
}

/// Tells every terminal the new levels of each product in `touched`: one change per product,
/// in a few statements.
pub(super) fn log_stock_changes(tx: &Tx<'_>, touched: &BTreeSet<String>) -> Result<()> {
    let gtins: Vec<&String> = touched.iter().collect();
    for chunk in crate::bulk::chunks(&gtins) {
        let mut levels: BTreeMap<String, Vec<StockLevelChange>> = chunk
            .iter()
            .map(|gtin| ((*gtin).clone(), Vec::new()))
            .collect();
        let rows = tx
            .prepare_cached(&format!(
                "SELECT s.gtin, s.location, s.qty, s.as_of
                 FROM stock s JOIN location l ON l.code = s.location
                 WHERE s.gtin IN ({}) ORDER BY s.gtin, l.rowid",
                crate::bulk::list(1, chunk.len())
            ))?
            .query_map(
                &crate::bulk::params(&[], chunk, |gtin| vec![gtin as &dyn sql::Param]),
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        StockLevelChange {
                            location: row.get(1)?,
                            qty: row.get(2)?,
                            as_of: row.get(3)?,
                        },
                    ))
                },
            )?;
        for row in rows {
            let (gtin, level) = row?;
            if level.qty < 0 {
                tracing::debug!(gtin, location = %level.location, qty = level.qty, "negative stock");
            }
            levels.entry(gtin).or_default().push(level);
        }
        let changes = levels
            .into_iter()
            .map(|(gtin, levels)| {
                serde_json::to_string(&Change::Stock(StockChange { gtin, levels }))
                    .map_err(|e| StoreError::Corrupt(format!("change: {e}")))
            })
            .collect::<Result<Vec<String>>>()?;
        tx.execute(
            &format!(
                "INSERT INTO change_log (store, change) VALUES {}",
                crate::bulk::tuples(1, changes.len(), &["NULL", "_"])
            ),
            &crate::bulk::params(&[], &changes, |c| vec![c as &dyn sql::Param]),
        )?;
    }
    Ok(())
}

pub(super) fn stock_levels(tx: &Tx<'_>, gtin: &str) -> Result<Vec<StockLevelChange>> {
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
        .collect::<crate::sql::Result<Vec<_>>>()?;
    for level in levels.iter().filter(|l| l.qty < 0) {
        tracing::debug!(gtin, location = %level.location, qty = level.qty, "negative stock");
    }
    Ok(levels)
}

// --- Clienteling facts ---

/// The tier a customer created at a counter starts in (the demo chain's entry tier).
pub const NEW_CUSTOMER_TIER: &str = "essentiel";

/// The fewest digits of a phone key a customer creation is merged on.
const MIN_PHONE_DIGITS: usize = 8;

/// The counter of loyalty movements that left a balance below zero: two terminals offline
/// redeemed the same points. The central keeps the movement (the customer left with the goods)
/// and counts it for the operator.
pub const LOYALTY_OVERDRAWN: &str = "loyalty.overdrawn";

/// The chain's id for a customer reference: the id itself, or the chain id a terminal's local id
/// was merged into.
pub(super) fn resolve_customer(tx: &Tx<'_>, id: &str) -> Result<String> {
    let aliased: Option<String> = tx
        .prepare_cached("SELECT id FROM customer_alias WHERE local_id = ?1")?
        .query_row(params![id], |row| row.get(0))
        .optional()?;
    Ok(aliased.unwrap_or_else(|| id.to_owned()))
}

/// The ids a customer's facts may be stored under, as a subquery on `?1` (the chain id): facts
/// applied before their customer's merge keep the local id they came with.
const CUSTOMER_IDS: &str = "(SELECT ?1 UNION SELECT local_id FROM customer_alias WHERE id = ?1)";

/// Inserts a customer with their search keys.
fn insert_customer(tx: &Tx<'_>, c: &CustomerChange) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO customer (id, first_name, last_name, email, phone, loyalty_points, tier,
                               updated_at, email_key, phone_key, first_key, last_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
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
        c.email.as_deref().map(email_key).filter(|k| !k.is_empty()),
        c.phone.as_deref().map(phone_key).filter(|k| !k.is_empty()),
        name_key(&c.first_name),
        name_key(&c.last_name),
    ])?;
    Ok(())
}

/// Fills the search keys of customers written before migration 0002 (or by an older seed): the
/// keys are computed by Rust code SQLite does not have. Runs on every open; a no-op once done.
fn fill_search_keys(conn: &mut Connection) -> Result<()> {
    let tx = Tx::sqlite(conn.transaction()?);
    let rows = tx
        .prepare(
            "SELECT id, first_name, last_name, email, phone FROM customer WHERE first_key IS NULL",
        )?
        .query_map(params![], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, Option<String>>(4)?,
            ))
        })?
        .collect::<crate::sql::Result<Vec<_>>>()?;
    if rows.is_empty() {
        return Ok(tx.finish()?);
    }
    {
        let mut update = tx.prepare(
            "UPDATE customer SET email_key = ?2, phone_key = ?3, first_key = ?4, last_key = ?5
             WHERE id = ?1",
        )?;
        for (id, first, last, email, phone) in &rows {
            update.execute(params![
                id,
                email.as_deref().map(email_key).filter(|k| !k.is_empty()),
                phone.as_deref().map(phone_key).filter(|k| !k.is_empty()),
                name_key(first),
                name_key(last),
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The customer `id` as the change log carries it.
pub(super) fn customer_change(tx: &Tx<'_>, id: &str) -> Result<Option<CustomerChange>> {
    Ok(tx
        .prepare_cached(
            "SELECT id, first_name, last_name, email, phone, loyalty_points, tier, updated_at
             FROM customer WHERE id = ?1",
        )?
        .query_row(params![id], |row| {
            Ok(CustomerChange {
                id: row.get(0)?,
                first_name: row.get(1)?,
                last_name: row.get(2)?,
                email: row.get(3)?,
                phone: row.get(4)?,
                loyalty_points: row.get(5)?,
                tier: row.get(6)?,
                updated_at: row.get(7)?,
            })
        })
        .optional()?)
}

/// The next id of the chain's `C%08d` series. Ids ever handed out through an alias count too,
/// so that an id is never given twice even once its customer is erased.
fn next_customer_id(tx: &Tx<'_>) -> Result<String> {
    // GLOB is SQLite's; PostgreSQL's CAST refuses what is not all digits, hence its stricter
    // pattern.
    let max: Option<i64> = tx.query_row(
        if tx.is_postgres() {
            "SELECT max(n) FROM (
                 SELECT CAST(substr(id, 2) AS BIGINT) AS n FROM customer WHERE id ~ '^C[0-9]+$'
                 UNION ALL
                 SELECT CAST(substr(id, 2) AS BIGINT) FROM customer_alias WHERE id ~ '^C[0-9]+$'
             ) AS ids"
        } else {
            "SELECT max(n) FROM (
                 SELECT CAST(substr(id, 2) AS INTEGER) AS n FROM customer WHERE id GLOB 'C[0-9]*'
                 UNION ALL
                 SELECT CAST(substr(id, 2) AS INTEGER) FROM customer_alias WHERE id GLOB 'C[0-9]*')"
        },
        params![],
        |row| row.get(0),
    )?;
    Ok(format!("C{:08}", max.unwrap_or(0) + 1))
}

/// A customer created at a counter: merged with the customer of the same e-mail (first) or
/// phone, or created with the next chain id. The terminal's local id becomes an alias, its store
/// hears of the merge, and that store's terminals get the customer.
fn record_customer_created(
    tx: &Tx<'_>,
    store: &str,
    c: &CustomerCreatedPayload,
    now: i64,
) -> Result<()> {
    let already: Option<String> = tx
        .prepare_cached("SELECT id FROM customer_alias WHERE local_id = ?1")?
        .query_row(params![c.local_id], |row| row.get(0))
        .optional()?;
    let by_key = |column: &str, key: Option<String>| -> Result<Option<String>> {
        let Some(key) = key.filter(|k| !k.is_empty()) else {
            return Ok(None);
        };
        Ok(tx
            .prepare_cached(&format!(
                "SELECT id FROM customer WHERE {column} = ?1 ORDER BY id LIMIT 1"
            ))?
            .query_row(params![key], |row| row.get(0))
            .optional()?)
    };
    let id = match already {
        // The same local id created again (a terminal's outbox replayed under new UUIDs): it
        // keeps the id it was given the first time.
        Some(id) => id,
        None => match by_key("email_key", c.email.as_deref().map(email_key))? {
            Some(id) => id,
            // A phone merges only when it is a whole number (the counter checks 8 to 15
            // digits): a stray short key must never fold two people into one record.
            None => match by_key(
                "phone_key",
                c.phone
                    .as_deref()
                    .map(phone_key)
                    .filter(|k| k.len() >= MIN_PHONE_DIGITS),
            )? {
                Some(id) => id,
                None => {
                    let id = next_customer_id(tx)?;
                    insert_customer(
                        tx,
                        &CustomerChange {
                            id: id.clone(),
                            first_name: c.first_name.trim().to_owned(),
                            last_name: c.last_name.trim().to_owned(),
                            email: c.email.clone().filter(|e| !e.trim().is_empty()),
                            phone: c.phone.clone().filter(|p| !p.trim().is_empty()),
                            loyalty_points: 0,
                            tier: NEW_CUSTOMER_TIER.to_owned(),
                            updated_at: now,
                        },
                    )?;
                    id
                }
            },
        },
    };
    tx.prepare_cached(
        "INSERT INTO customer_alias (local_id, id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?
    .execute(params![c.local_id, id])?;
    log_change(
        tx,
        Some(store),
        &Change::CustomerMerged(CustomerMergedChange {
            local_id: c.local_id.clone(),
            id: id.clone(),
        }),
    )?;
    // The counter that created (or found again) the customer knows them from now on; no other
    // store hears of a new customer.
    customer_stores::link(tx, &id, store, now)
}

/// The latest consent wins, by when the customer gave it, whatever order terminals push in. On
/// a tie a withdrawal wins: in doubt, the customer is not contacted.
fn record_consent(tx: &Tx<'_>, c: &ConsentPayload) -> Result<()> {
    let customer = resolve_customer(tx, &c.customer)?;
    if super::privacy::is_erased(tx, &customer)? {
        tracing::warn!(customer, "a consent about an erased customer is not kept");
        return Ok(());
    }
    tx.prepare_cached(
        "INSERT INTO consent (customer, channel, granted, at, staff) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (customer, channel) DO UPDATE
             SET granted = excluded.granted, at = excluded.at, staff = excluded.staff
             WHERE excluded.at > consent.at
                OR (excluded.at = consent.at AND excluded.granted = 0)",
    )?
    .execute(params![
        customer,
        c.channel.as_str(),
        c.granted,
        c.at,
        c.staff
    ])?;
    Ok(())
}

fn record_note(tx: &Tx<'_>, event_id: &str, n: &NotePayload) -> Result<()> {
    let customer = resolve_customer(tx, &n.customer)?;
    if super::privacy::is_erased(tx, &customer)? {
        tracing::warn!(customer, "a note about an erased customer is not kept");
        return Ok(());
    }
    tx.prepare_cached(
        "INSERT INTO customer_note (event_id, customer, text, author, at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![event_id, customer, n.text, n.author, n.at])?;
    Ok(())
}

fn record_access(tx: &Tx<'_>, event_id: &str, device_id: &str, a: &AccessPayload) -> Result<()> {
    let customer = resolve_customer(tx, &a.customer)?;
    tx.prepare_cached(
        "INSERT INTO access_log (event_id, customer, staff, terminal, store, device, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        event_id, customer, a.staff, a.terminal, a.store, device_id, a.at
    ])?;
    Ok(())
}

fn record_privacy_request(tx: &Tx<'_>, event_id: &str, r: &PrivacyRequestPayload) -> Result<()> {
    let customer = resolve_customer(tx, &r.customer)?;
    tx.prepare_cached(
        "INSERT INTO privacy_request (event_id, customer, kind, staff, store, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        event_id,
        customer,
        r.kind.as_str(),
        r.staff,
        r.store,
        r.at
    ])?;
    tracing::info!(customer, kind = r.kind.as_str(), "privacy request recorded");
    Ok(())
}

/// Points earned or redeemed: the movement is kept, the balance moves and every store hears the
/// new balance. A balance below zero is kept and counted ([`LOYALTY_OVERDRAWN`]).
fn record_loyalty(
    tx: &Tx<'_>,
    event_id: &str,
    store: &str,
    l: &LoyaltyPayload,
    now: i64,
) -> Result<()> {
    let customer = resolve_customer(tx, &l.customer)?;
    tx.prepare_cached(
        "INSERT INTO loyalty_movement (event_id, customer, points, ticket, terminal, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        event_id, customer, l.points, l.ticket, l.terminal, l.at
    ])?;
    let moved = tx
        .prepare_cached(
            "UPDATE customer SET loyalty_points = loyalty_points + ?2, updated_at = ?3
             WHERE id = ?1",
        )?
        .execute(params![customer, l.points, now])?;
    if moved == 0 {
        // Erased since, or never known here: the movement stays on record, no balance to move.
        tracing::warn!(
            customer,
            "loyalty points for a customer the central does not have"
        );
        return Ok(());
    }
    if let Some(change) = customer_change(tx, &customer)? {
        if change.loyalty_points < 0 {
            tracing::warn!(customer, "a loyalty balance went below zero");
            bump(tx, LOYALTY_OVERDRAWN, 1)?;
        }
        customer_stores::publish(tx, &change)?;
    }
    customer_stores::link(tx, &customer, store, now)
}

/// The hits of a customer search, by last then first name.
fn search_customers(tx: &Tx<'_>, query: &CustomerQuery, limit: u32) -> Result<Vec<CustomerHit>> {
    const COLUMNS: &str = "SELECT id, first_name, last_name, email, phone, tier FROM customer";
    const ORDER: &str = "ORDER BY last_key, first_key, id LIMIT ?";
    let (sql, args): (String, Vec<String>) = match query {
        CustomerQuery::Email(key) => (
            format!("{COLUMNS} WHERE email_key = ? {ORDER}"),
            vec![key.clone()],
        ),
        CustomerQuery::Phone(key) => (
            format!("{COLUMNS} WHERE phone_key = ? {ORDER}"),
            vec![key.clone()],
        ),
        CustomerQuery::Name { whole, splits } => {
            let mut sql = format!(
                "{COLUMNS} WHERE (first_key >= ? AND first_key < ?) OR (last_key >= ? AND last_key < ?)"
            );
            let bound = prefix_bound(whole);
            let mut args = vec![whole.clone(), bound.clone(), whole.clone(), bound];
            for (word, rest) in splits {
                sql.push_str(
                    " OR (first_key >= ? AND first_key < ? AND last_key >= ? AND last_key < ?)
                      OR (last_key >= ? AND last_key < ? AND first_key >= ? AND first_key < ?)",
                );
                let (wb, rb) = (prefix_bound(word), prefix_bound(rest));
                for _ in 0..2 {
                    args.extend([word.clone(), wb.clone(), rest.clone(), rb.clone()]);
                }
            }
            sql.push(' ');
            sql.push_str(ORDER);
            (sql, args)
        }
    };
    let mut stmt = tx.prepare_cached(&sql)?;
    let mut values: Vec<&dyn sql::Param> = args.iter().map(|a| a as &dyn sql::Param).collect();
    values.push(&limit);
    let hits = stmt
        .query_map(values.as_slice(), |row| {
            Ok(CustomerHit {
                id: row.get(0)?,
                first_name: row.get(1)?,
                last_name: row.get(2)?,
                email: row.get(3)?,
                phone: row.get(4)?,
                tier: row.get(5)?,
            })
        })?
        .collect::<crate::sql::Result<Vec<_>>>()?;
    Ok(hits)
}

/// The staff name an API read shows in the access log: a device asked, no person is known.
pub const API_READER: &str = "api";

/// Every opening of the record of `customer` (a chain id, with the local ids merged into it),
/// newest first.
pub(super) fn access_entries(tx: &Tx<'_>, customer: &str) -> Result<Vec<AccessEntry>> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT at, staff, terminal, store, device, seq FROM (
                 SELECT at, staff, terminal, store, device, rowid AS seq FROM access_log
                 WHERE customer IN {CUSTOMER_IDS}
                 UNION ALL
                 SELECT r.at, '{API_READER}', d.terminal_id, d.store, r.device, r.id
                 FROM api_read r JOIN device d ON d.id = r.device
                 WHERE r.customer IN {CUSTOMER_IDS}
             ) AS reads ORDER BY at DESC, seq DESC"
        ))?
        .query_map(params![customer], |row| {
            Ok(AccessEntry {
                at: row.get(0)?,
                staff: row.get(1)?,
                terminal: row.get(2)?,
                store: row.get(3)?,
                device: row.get(4)?,
            })
        })?
        .collect::<crate::sql::Result<Vec<_>>>()?)
}

/// Purchases and returns shown in a view: the latest ones.
pub const VIEW_PURCHASES: i64 = 50;

/// Everything staff may see of the customer `id` (a chain id or a local id merged into one).
fn customer_view(tx: &Tx<'_>, id: &str, now: i64) -> Result<Option<CustomerView>> {
    customer_view_with(tx, id, now, VIEW_PURCHASES)
}

/// [`customer_view`] with the latest `purchases` purchases and returns (-1: all of them).
pub(super) fn customer_view_with(
    tx: &Tx<'_>,
    id: &str,
    now: i64,
    purchases: i64,
) -> Result<Option<CustomerView>> {
    let id = resolve_customer(tx, id)?;
    let identity = tx
        .prepare_cached(
            "SELECT id, first_name, last_name, email, phone, tier, loyalty_points
             FROM customer WHERE id = ?1 AND erased_at IS NULL",
        )?
        .query_row(params![id], |row| {
            Ok(CustomerView {
                id: row.get(0)?,
                first_name: row.get(1)?,
                last_name: row.get(2)?,
                email: row.get(3)?,
                phone: row.get(4)?,
                tier: row.get(5)?,
                loyalty_points: row.get(6)?,
                consents: Vec::new(),
                purchases: Vec::new(),
                returns: Vec::new(),
                online_cart: Vec::new(),
                wishlist: Vec::new(),
                notes: Vec::new(),
                source: ViewSource::Central,
                fetched_at: now,
            })
        })
        .optional()?;
    let Some(mut view) = identity else {
        return Ok(None);
    };

    // Consents stored under an alias too: the same rule as on ingest picks the one that holds.
    let mut consents: BTreeMap<&'static str, (bool, i64)> = BTreeMap::new();
    let rows = tx
        .prepare_cached(&format!(
            "SELECT channel, granted, at FROM consent WHERE customer IN {CUSTOMER_IDS}"
        ))?
        .query_map(params![id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, bool>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })?
        .collect::<crate::sql::Result<Vec<_>>>()?;
    for (channel, granted, at) in rows {
        let Some(channel) = Channel::parse(&channel) else {
            continue;
        };
        let slot = consents.entry(channel.as_str()).or_insert((granted, at));
        if at > slot.1 || (at == slot.1 && !granted) {
            *slot = (granted, at);
        }
    }
    view.consents = Channel::ALL
        .iter()
        .map(|&channel| match consents.get(channel.as_str()) {
            Some(&(granted, at)) => Consent {
                channel,
                granted,
                at: Some(at),
            },
            None => Consent {
                channel,
                granted: false,
                at: None,
            },
        })
        .collect();

    let purchase = |row: &crate::sql::Row<'_>| {
        Ok(Purchase {
            reference: row.get(0)?,
            channel: row.get(1)?,
            location: row.get(2)?,
            at: row.get(3)?,
            total_cents: row.get(4)?,
            items: row.get(5)?,
        })
    };
    // Training tickets are out of the real history, as they are out of the totals.
    view.purchases = tx
        .prepare_cached(&format!(
            "SELECT s.ticket, 'store', s.store, s.created_at, s.total_cents,
                    (SELECT coalesce(sum(abs(quantity)), 0) FROM sale_line WHERE sale_id = s.id)
             FROM sale s
             WHERE s.customer IN {CUSTOMER_IDS} AND s.training = 0 AND s.total_cents >= 0
             UNION ALL
             SELECT o.id, 'online', coalesce(a.store, 'web'), o.created_at, o.total_cents,
                    (SELECT coalesce(sum(quantity), 0) FROM online_order_line
                     WHERE order_id = o.id)
             FROM online_order o LEFT JOIN aisle_order a ON a.id = o.id
             WHERE o.customer = ?1 AND (o.status = 'delivered' OR a.id IS NOT NULL)
             ORDER BY 4 DESC, 1 DESC LIMIT ?2"
        ))?
        .query_map(params![id, purchases], purchase)?
        .collect::<crate::sql::Result<Vec<_>>>()?;
    view.returns = tx
        .prepare_cached(&format!(
            "SELECT s.ticket, 'store', s.store, s.created_at, s.total_cents,
                    (SELECT coalesce(sum(abs(quantity)), 0) FROM sale_line WHERE sale_id = s.id)
             FROM sale s
             WHERE s.customer IN {CUSTOMER_IDS} AND s.training = 0 AND s.total_cents < 0
             UNION ALL
             SELECT r.ticket, 'online', r.store, r.at, -r.refund_cents, r.items
             FROM order_return r WHERE r.customer IN {CUSTOMER_IDS}
             ORDER BY 4 DESC, 1 DESC LIMIT ?2"
        ))?
        .query_map(params![id, purchases], purchase)?
        .collect::<crate::sql::Result<Vec<_>>>()?;
    view.online_cart = tx
        .prepare_cached(
            "SELECT c.gtin, coalesce(p.name, ''), c.quantity,
                    coalesce(c.online_price_cents, p.price_cents, 0), c.added_at
             FROM cart_line c LEFT JOIN product p ON p.gtin = c.gtin
             WHERE c.customer = ?1 ORDER BY c.added_at DESC, c.gtin",
        )?
        .query_map(params![id], |row| {
            Ok(CartItem {
                gtin: row.get(0)?,
                name: row.get(1)?,
                quantity: row.get(2)?,
                online_price_cents: row.get(3)?,
                added_at: row.get(4)?,
            })
        })?
        .collect::<crate::sql::Result<Vec<_>>>()?;
    view.wishlist = tx
        .prepare_cached(
            "SELECT w.gtin, coalesce(p.name, '') FROM wishlist w
             LEFT JOIN product p ON p.gtin = w.gtin
             WHERE w.customer = ?1 ORDER BY w.added_at DESC, w.gtin",
        )?
        .query_map(params![id], |row| {
            Ok(WishItem {
                gtin: row.get(0)?,
                name: row.get(1)?,
            })
        })?
        .collect::<crate::sql::Result<Vec<_>>>()?;
    view.notes = tx
        .prepare_cached(&format!(
            "SELECT at, author, text FROM customer_note WHERE customer IN {CUSTOMER_IDS}
             ORDER BY at DESC, rowid DESC"
        ))?
        .query_map(params![id], |row| {
            Ok(Note {
                at: row.get(0)?,
                author: row.get(1)?,
                text: row.get(2)?,
            })
        })?
        .collect::<crate::sql::Result<Vec<_>>>()?;
    Ok(Some(view))
}

pub(super) fn log_change(tx: &Tx<'_>, store: Option<&str>, change: &Change) -> Result<()> {
    let json =
        serde_json::to_string(change).map_err(|e| StoreError::Corrupt(format!("change: {e}")))?;
    insert_change(tx, store, &json)
}

fn insert_change(tx: &Tx<'_>, store: Option<&str>, json: &str) -> Result<()> {
    tx.prepare_cached("INSERT INTO change_log (store, change) VALUES (?1, ?2)")?
        .execute(params![store, json])?;
    Ok(())
}

/// The counters of discounts given, in cents (kept with the sale, so `stats` scans nothing).
pub(super) const DISCOUNTS_MANUAL: &str = "discounts.manual_cents";
pub(super) const DISCOUNTS_PROMOTION: &str = "discounts.promotion_cents";

pub(super) fn bump(tx: &Tx<'_>, name: &str, by: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO counter (name, device, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (name, device) DO UPDATE SET value = counter.value + excluded.value",
    )?
    .execute(params![name, tx.counter_device(), by])?;
    Ok(())
}

/// The wire name of a kind ("sale", "journal_entry"…), as stored in the event table.
pub(super) fn kind_name(kind: EventKind) -> &'static str {
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
        EventKind::Handover => "handover",
        EventKind::AisleOrder => "aisle_order",
        EventKind::GiftCard => "gift_card",
        EventKind::Other => "other",
    }
}

#[cfg(test)]
pub(crate) mod tests {
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
            EventKind::CustomerCreated,
            EventKind::Consent,
            EventKind::CustomerNote,
            EventKind::CustomerAccess,
            EventKind::PrivacyRequest,
            EventKind::Loyalty,
            EventKind::Handover,
            EventKind::AisleOrder,
            EventKind::GiftCard,
            EventKind::Other,
        ] {
            assert_eq!(
                serde_json::to_value(kind).expect("kind"),
                serde_json::Value::String(kind_name(kind).to_owned())
            );
        }
    }

    /// Enrolls the device D1 as terminal T01 of PAR-01.
    pub(crate) fn enroll_d1(store: &Store) {
        store
            .add_enrollment_code(&[1; 32], "PAR-01", 0, i64::MAX)
            .expect("code");
        let outcome = store
            .enroll(&[1; 32], "D1", "T01", &[2; 32], 1)
            .expect("enroll");
        assert!(matches!(outcome, EnrollOutcome::Enrolled { .. }));
    }

    // --- Clienteling ---

    use comptoir_domain::customer::PrivacyRequestKind;

    const NOW: i64 = 1_764_000_000;

    /// A central with one store, two customers and one enrolled device, and the device's next
    /// sequence.
    struct Chain {
        _dir: tempfile::TempDir,
        store: Store,
        seq: i64,
    }

    fn customer(id: &str, first: &str, last: &str, email: &str, phone: &str) -> CustomerChange {
        CustomerChange {
            id: id.into(),
            first_name: first.into(),
            last_name: last.into(),
            email: Some(email.into()),
            phone: Some(phone.into()),
            loyalty_points: 100,
            tier: "or".into(),
            updated_at: 1,
        }
    }

    fn chain() -> Chain {
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
                w.customer(
                    &customer(
                        "C00000001",
                        "Hélène",
                        "Lefèvre",
                        "helene.lefevre@example.org",
                        "+33 6 12 34 56 78",
                    ),
                    "PAR-01",
                )?;
                w.customer(
                    &customer(
                        "C00000002",
                        "Jean-Pierre",
                        "Martin",
                        "jp@example.org",
                        "06 98 76 54 32",
                    ),
                    "LYO-01",
                )
            })
            .expect("seed");
        enroll_d1(&store);
        Chain {
            _dir: dir,
            store,
            seq: 0,
        }
    }

    impl Chain {
        /// Pushes one fact as the next event; returns the event, to push it again.
        fn push(&mut self, kind: EventKind, fact: Fact) -> IncomingEvent {
            self.seq += 1;
            let event = IncomingEvent {
                id: uuid::Uuid::new_v4().hyphenated().to_string(),
                seq: self.seq,
                kind,
                created_at: NOW,
                payload: "{}".into(),
                fact,
            };
            self.push_again(&event);
            event
        }

        fn push_again(&self, event: &IncomingEvent) {
            let outcome = self
                .store
                .push("D1", std::slice::from_ref(event), NOW)
                .expect("push");
            assert!(matches!(outcome, PushOutcome::Applied { .. }));
        }

        fn created(&mut self, local_id: &str, email: Option<&str>, phone: Option<&str>) {
            self.push(
                EventKind::CustomerCreated,
                Fact::CustomerCreated(CustomerCreatedPayload {
                    local_id: local_id.into(),
                    first_name: "Zoé".into(),
                    last_name: "Durand".into(),
                    email: email.map(Into::into),
                    phone: phone.map(Into::into),
                    store: "PAR-01".into(),
                    created_at: NOW,
                }),
            );
        }

        /// Points moved on a ticket of their own (the central takes points only with the
        /// ticket they were earned or spent on).
        fn loyalty(&mut self, customer: &str, points: i64) {
            let ticket = format!("T01-L{:05}", self.seq + 1);
            self.push(
                EventKind::Sale,
                Fact::Sale(SalePayload {
                    ticket: ticket.clone(),
                    terminal: "T01".into(),
                    store: "PAR-01".into(),
                    created_at: NOW,
                    training: false,
                    total_cents: 1_000_000,
                    lines: Vec::new(),
                    payments: Vec::new(),
                    customer: None,
                }),
            );
            self.push(
                EventKind::Loyalty,
                Fact::Loyalty(LoyaltyPayload {
                    customer: customer.into(),
                    points,
                    ticket,
                    terminal: "T01".into(),
                    at: NOW,
                }),
            );
        }

        fn consent(&mut self, customer: &str, granted: bool, at: i64) {
            self.push(
                EventKind::Consent,
                Fact::Consent(ConsentPayload {
                    customer: customer.into(),
                    channel: Channel::Email,
                    granted,
                    at,
                    staff: "camille".into(),
                }),
            );
        }

        fn view(&self, id: &str) -> CustomerView {
            self.store
                .customer_view(id, NOW)
                .expect("view")
                .expect("a known customer")
        }

        fn changes(&self, store: &str) -> Vec<Change> {
            match self
                .store
                .changes(store, 0, MAX_PAGE_FOR_TESTS)
                .expect("changes")
            {
                PageOutcome::Page { changes, .. } => changes
                    .iter()
                    .map(|c| serde_json::from_str(c).expect("a change"))
                    .collect(),
                PageOutcome::Ahead { .. } => panic!("ahead"),
            }
        }
    }

    const MAX_PAGE_FOR_TESTS: u32 = 10_000;

    fn merged(changes: &[Change]) -> Vec<(String, String)> {
        changes
            .iter()
            .filter_map(|c| match c {
                Change::CustomerMerged(m) => Some((m.local_id.clone(), m.id.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_customer_created_at_a_counter_merges_on_email_or_phone_or_gets_the_next_id() {
        let mut chain = chain();
        chain.created("L-T01-1", Some("  Helene.Lefevre@EXAMPLE.org "), None);
        chain.created("L-T01-2", None, Some("+33 6.98.76.54.32"));
        chain.created("L-T01-3", Some("zoe@example.org"), Some("07 00 00 00 01"));
        chain.created("L-T01-4", None, Some("07 11 11 11 11"));
        // Two creations with the same short phone: no merge on a key that short.
        chain.created("L-T01-5", None, Some("0711"));
        chain.created("L-T01-6", None, Some("07.11"));
        // The same local id again (an outbox replayed under new ids): the same customer.
        chain.created("L-T01-3", Some("other@example.org"), None);
        let expected: Vec<(String, String)> = [
            ("L-T01-1", "C00000001"),
            ("L-T01-2", "C00000002"),
            ("L-T01-3", "C00000003"),
            ("L-T01-4", "C00000004"),
            ("L-T01-5", "C00000005"),
            ("L-T01-6", "C00000006"),
            ("L-T01-3", "C00000003"),
        ]
        .iter()
        .map(|(l, c)| (l.to_string(), c.to_string()))
        .collect();
        assert_eq!(merged(&chain.changes("PAR-01")), expected);
        // The merge and the new customer go to the store that created them only.
        let lyon = chain.changes("LYO-01");
        assert!(merged(&lyon).is_empty());
        assert!(
            !lyon
                .iter()
                .any(|c| matches!(c, Change::Customer(c) if c.id == "C00000005"))
        );
        let new = chain
            .changes("PAR-01")
            .iter()
            .rev()
            .find_map(|c| match c {
                Change::Customer(c) if c.id == "C00000005" => Some(c.clone()),
                _ => None,
            })
            .expect("the new customer reaches its store");
        assert_eq!(
            (
                new.first_name.as_str(),
                new.loyalty_points,
                new.tier.as_str()
            ),
            ("Zoé", 0, NEW_CUSTOMER_TIER)
        );
        // A merge never changes the existing customer's identity.
        assert_eq!(chain.view("L-T01-1").first_name, "Hélène");
        assert_eq!(chain.view("L-T01-1").id, "C00000001");
    }

    #[test]
    fn loyalty_moves_the_balance_and_tells_the_stores_that_know_the_customer() {
        let mut chain = chain();
        chain.loyalty("C00000001", 50);
        assert_eq!(chain.view("C00000001").loyalty_points, 150);
        chain.loyalty("C00000001", -400);
        assert_eq!(chain.view("C00000001").loyalty_points, -250);
        let balances = |chain: &Chain, store: &str, id: &str| -> Vec<(i64, i64)> {
            chain
                .changes(store)
                .iter()
                .filter_map(|c| match c {
                    Change::Customer(c) if c.id == id => Some((c.loyalty_points, c.updated_at)),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(
            balances(&chain, "PAR-01", "C00000001"),
            [(100, 1), (150, NOW), (-250, NOW)]
        );
        assert!(balances(&chain, "LYO-01", "C00000001").is_empty());
        // A Lyon customer earns points in Paris: Lyon hears of the balance, and Paris, which
        // has served them now, gets their record.
        assert!(balances(&chain, "PAR-01", "C00000002").is_empty());
        chain.loyalty("C00000002", 10);
        assert_eq!(
            balances(&chain, "LYO-01", "C00000002"),
            [(100, 1), (110, NOW)]
        );
        assert_eq!(balances(&chain, "PAR-01", "C00000002"), [(110, NOW)]);
        // The overdraft is kept and counted.
        let counters = chain.store.counters().expect("counters");
        assert_eq!(counters.loyalty_overdrawn, 1);
        assert_eq!(counters.received.get("loyalty_movements"), Some(&3));
        // A customer the central does not have: recorded, no balance, no crash.
        chain.loyalty("C09999999", 10);
        assert_eq!(
            chain.store.counters().expect("counters").loyalty_overdrawn,
            1
        );
    }

    #[test]
    fn the_latest_consent_wins_whatever_the_push_order_and_a_tie_withdraws() {
        let mut chain = chain();
        let email = |view: CustomerView| {
            let c = view.consents.into_iter().next().expect("e-mail first");
            assert_eq!(c.channel, Channel::Email);
            (c.granted, c.at)
        };
        assert_eq!(email(chain.view("C00000001")), (false, None));
        let sms = chain.view("C00000001").consents[1].clone();
        assert_eq!((sms.channel, sms.at), (Channel::Sms, None));
        chain.consent("C00000001", true, 200);
        chain.consent("C00000001", false, 100);
        assert_eq!(email(chain.view("C00000001")), (true, Some(200)));
        chain.consent("C00000001", true, 300);
        assert_eq!(email(chain.view("C00000001")), (true, Some(300)));
        chain.consent("C00000001", false, 300);
        assert_eq!(email(chain.view("C00000001")), (false, Some(300)));
    }

    /// Issue 19: a device cannot mint points. A movement takes points only on a ticket the
    /// central has from this store's terminal, and never more than one per cent it paid.
    #[test]
    fn loyalty_beyond_its_ticket_is_quarantined() {
        let mut chain = chain();
        let before = chain.view("C00000001").loyalty_points;
        let minted = chain.push(
            EventKind::Loyalty,
            Fact::Loyalty(LoyaltyPayload {
                customer: "C00000001".into(),
                points: 100_000,
                ticket: "T01-999999".into(),
                terminal: "T01".into(),
                at: NOW,
            }),
        );
        chain.push(
            EventKind::Sale,
            Fact::Sale(SalePayload {
                ticket: "T01-000050".into(),
                terminal: "T01".into(),
                store: "PAR-01".into(),
                created_at: NOW,
                training: false,
                total_cents: 1_000,
                lines: Vec::new(),
                payments: Vec::new(),
                customer: Some("C00000001".into()),
            }),
        );
        let beyond = chain.push(
            EventKind::Loyalty,
            Fact::Loyalty(LoyaltyPayload {
                customer: "C00000001".into(),
                points: 1_001,
                ticket: "T01-000050".into(),
                terminal: "T01".into(),
                at: NOW,
            }),
        );
        chain.push(
            EventKind::Loyalty,
            Fact::Loyalty(LoyaltyPayload {
                customer: "C00000001".into(),
                points: 10,
                ticket: "T01-000050".into(),
                terminal: "T01".into(),
                at: NOW,
            }),
        );
        assert_eq!(chain.view("C00000001").loyalty_points, before + 10);
        let kept: Vec<i64> = chain
            .store
            .quarantine()
            .expect("quarantine")
            .iter()
            .map(|q| q.seq)
            .collect();
        assert_eq!(kept, [minted.seq, beyond.seq]);
    }

    #[test]
    fn later_events_naming_a_local_id_reach_the_chain_customer_exactly_once() {
        let mut chain = chain();
        chain.created("L-T01-9", Some("new@example.org"), None);
        chain.consent("L-T01-9", true, 500);
        let note = chain.push(
            EventKind::CustomerNote,
            Fact::Note(NotePayload {
                customer: "L-T01-9".into(),
                text: "Taille M".into(),
                author: "camille".into(),
                at: 600,
            }),
        );
        chain.push_again(&note);
        chain.loyalty("L-T01-9", 30);
        chain.push(
            EventKind::CustomerAccess,
            Fact::Access(AccessPayload {
                customer: "L-T01-9".into(),
                staff: "camille".into(),
                terminal: "T01".into(),
                store: "PAR-01".into(),
                at: 700,
            }),
        );
        chain.push(
            EventKind::PrivacyRequest,
            Fact::PrivacyRequest(PrivacyRequestPayload {
                customer: "L-T01-9".into(),
                kind: PrivacyRequestKind::Access,
                staff: "camille".into(),
                store: "PAR-01".into(),
                at: 800,
            }),
        );
        chain.push(
            EventKind::Sale,
            Fact::Sale(SalePayload {
                ticket: "T01-000042".into(),
                terminal: "T01".into(),
                store: "PAR-01".into(),
                created_at: 900,
                training: false,
                total_cents: 4_990,
                lines: Vec::new(),
                payments: Vec::new(),
                customer: Some("L-T01-9".into()),
            }),
        );
        let view = chain.view("C00000003");
        assert_eq!(view, chain.view("L-T01-9"));
        assert_eq!(view.loyalty_points, 30);
        assert_eq!(
            (view.consents[0].granted, view.consents[0].at),
            (true, Some(500))
        );
        assert_eq!(view.notes.len(), 1, "pushed twice, kept once");
        assert_eq!(view.notes[0].text, "Taille M");
        assert_eq!(view.purchases.len(), 1);
        assert_eq!(view.purchases[0].reference, "T01-000042");
        assert_eq!(view.source, ViewSource::Central);
        let log = chain
            .store
            .access_log("L-T01-9")
            .expect("log")
            .expect("known");
        assert_eq!(log.customer, "C00000003");
        assert_eq!(log.accesses.len(), 1);
        assert_eq!(log.accesses[0].device, "D1");
        assert_eq!(
            chain
                .store
                .counters()
                .expect("counters")
                .open_privacy_requests,
            1
        );
        // Facts about a customer the central does not have are kept all the same.
        let unknown = chain.push(
            EventKind::CustomerAccess,
            Fact::Access(AccessPayload {
                customer: "C07777777".into(),
                staff: "camille".into(),
                terminal: "T01".into(),
                store: "PAR-01".into(),
                at: 1_000,
            }),
        );
        chain.push_again(&unknown);
        assert_eq!(
            chain.store.customer_view("C07777777", NOW).expect("view"),
            None
        );
        let log = chain.store.access_log("C07777777").expect("log");
        assert_eq!(log.map(|l| l.accesses.len()), Some(1));
        assert_eq!(chain.store.access_log("C06666666").expect("log"), None);
    }

    #[test]
    fn search_matches_name_prefixes_without_accents_emails_and_phones() {
        let chain = chain();
        let ids = |text: &str| -> Vec<String> {
            let query = CustomerQuery::parse(text).expect("a query");
            chain
                .store
                .search_customers(&query, 20)
                .expect("search")
                .into_iter()
                .map(|h| h.id)
                .collect()
        };
        let one = vec!["C00000001".to_owned()];
        let two = vec!["C00000002".to_owned()];
        assert_eq!(ids("hel"), one);
        assert_eq!(ids("LEFEV"), one);
        assert_eq!(ids("Lefèvre Hélène"), one);
        assert_eq!(ids("helene lef"), one);
        assert_eq!(ids("jean-pi"), two);
        assert_eq!(ids("jean pierre mar"), two);
        assert_eq!(ids("HELENE.LEFEVRE@example.org"), one);
        assert_eq!(ids("0612345678"), one);
        assert_eq!(ids("+33 6 98 76 54 32"), two);
        assert!(
            ids("helene.lefevre@example").is_empty(),
            "e-mails match whole"
        );
        assert!(ids("0612").is_empty(), "phones match whole");
        assert_eq!(
            CustomerQuery::parse("x"),
            Err(crate::customers::SearchError::TooShort)
        );
    }
}
