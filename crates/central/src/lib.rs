//! The reference central server as a library; `comptoir-central` is a thin binary over it
//! (mini-redis: [`serve`] takes a bound listener and a shutdown future, so tests run the real
//! server in-process on port 0).
//!
//! It holds the chain — stores and warehouses, catalogue, prices, stock per location, staff,
//! customers, online carts, click-and-collect and web orders — and what terminals send, in
//! `central.db` in its data directory with its Ed25519 signing key beside it ([`keys`]), or in a
//! PostgreSQL database several instances share ([`database`], [`pg`]). The SQL is in [`store`]
//! and the modules it calls, through [`sql`]. Terminals speak `sync::protocol` to it
//! ([`handlers`]).
//!
//! Never logged, at any level: tokens, enrollment codes, payloads, customer names, e-mails or
//! phone numbers. A request's span carries its method, path and device id.

pub mod auth;
mod bulk;
pub mod credit;
mod customer_stores;
pub mod customers;
pub mod database;
pub mod ereceipt;
mod handlers;
pub mod ingest;
pub mod journal_chain;
pub mod keys;
pub mod listener;
pub mod mail;
pub mod metrics;
pub mod pg;
pub mod pickup;
pub mod privacy;
pub mod promotion;
pub mod rate_limit;
pub mod recall;
mod sale_run;
pub mod seed;
pub mod sql;
pub mod staff_call;
pub mod storage;
pub mod store;

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;

pub use handlers::BODY_LIMIT;
pub use seed::{DEFAULT_PRODUCTS, PickupOrderRef, SeedSummary, seed};

use comptoir_domain::catalog::LocationKind;
use comptoir_protocol::EventKind;
pub use database::Database;
use keys::KeyError;
use storage::Storage;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CentralError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Random(#[from] auth::RandomError),
    #[error("the chain has no location {store:?}; its stores are: {known}")]
    UnknownStore { store: String, known: String },
    #[error("{store} is a warehouse: only a store's terminals enroll")]
    NotAStore { store: String },
    #[error(
        "this data directory is already seeded with {products} products: seed a fresh --data directory"
    )]
    AlreadySeeded { products: u64 },
    #[error("the demo catalogue has at most {max} products, {asked} were asked for")]
    TooManyProducts { asked: u64, max: u64 },
    #[error("a staff PIN cannot be hashed: {0}")]
    PinHash(String),
    #[error("{path} is empty: write the PostgreSQL URL in it, or remove it to use SQLite")]
    EmptyUrlFile { path: std::path::PathBuf },
    #[error("cannot read {path}: {source}")]
    UrlFile {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("the server failed: {0}")]
    Serve(#[from] std::io::Error),
    #[error("a background task of the central failed: {0}")]
    Task(String),
    #[error("the central has no customer {id}")]
    UnknownCustomer { id: String },
    #[error("the central has no click-and-collect order {id}")]
    UnknownOrder { id: String },
    #[error("click-and-collect order {id} is {why}: there is nothing left to collect")]
    OrderClosed { id: String, why: String },
    #[error("the central has no order {id}")]
    NoSuchOrder { id: String },
    #[error("order {id} has no conflict to settle (it is {status})")]
    NoConflict { id: String, status: String },
    #[error("say what was found in --note: it is kept with the settlement")]
    EmptyNote,
    #[error("customer {id} was already erased on {at}")]
    AlreadyErased { id: String, at: String },
    #[error("say why the product is recalled in --reason: the terminals show it")]
    EmptyRecallReason,
    #[error("an acknowledgement names its auditor: --auditor NAME")]
    NoAuditor,
    #[error("{lot:?} is not a GS1 lot (AI 10): {why}")]
    BadLot { lot: String, why: String },
    #[error("the central has no recall {id}")]
    UnknownRecall { id: i64 },
    #[error("recall {id} was already ended on {at}")]
    RecallEnded { id: i64, at: String },
    #[error("{path}: {error}; nothing was added")]
    PromotionFile {
        path: String,
        error: promotion::PromotionFileError,
    },
    #[error(
        "promotion {id} is already held with other terms; nothing was added (a rule is never \
         changed: give the new one another id)"
    )]
    PromotionConflict { id: String },
    #[error(
        "promotion {id} was ended on {at}; nothing was added (an ended rule stays ended: give \
         the new one another id)"
    )]
    PromotionWasEnded { id: String, at: String },
    #[error("the central has no promotion {id}")]
    UnknownPromotion { id: String },
    #[error("promotion {id} was already ended on {at}")]
    PromotionEnded { id: String, at: String },
    #[error("the clock is out of range: {0} is no date")]
    Clock(i64),
}

/// How long a pickup code stays valid: the time a store keeps an order before sending it back.
pub const PICKUP_CODE_TTL_SECS: i64 = 7 * 86_400;

/// Serves the sync protocol on `listener` with the data in `db` (a data directory is created on first use,
/// with its database and signing key) until `shutdown` completes; requests in flight then
/// finish before this returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    db: impl Into<Database>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CentralError> {
    serve_with_limits(listener, db, listener::Limits::default(), shutdown).await
}

/// [`serve`] with the given limits on what one client may hold (tests use small ones).
pub async fn serve_with_limits(
    listener: tokio::net::TcpListener,
    db: impl Into<Database>,
    limits: listener::Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CentralError> {
    serve_with(listener, db, limits, None, shutdown).await
}

/// [`serve_with_limits`] that also e-mails the e-receipts customers ask for through `relay`
/// ([`ereceipt`]); without a relay they wait in the queue (`comptoir-central ereceipt list`).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    db: impl Into<Database>,
    limits: listener::Limits,
    relay: Option<mail::RelaySettings>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CentralError> {
    let db = db.into();
    let (store, keys) = tokio::task::spawn_blocking(move || -> Result<_, CentralError> {
        let store = db.open(true)?;
        let keys = db.signing_keys(&store)?;
        Ok((store, keys))
    })
    .await
    .map_err(|e| CentralError::Task(e.to_string()))??;
    let store: Arc<dyn Storage> = Arc::new(store);
    let (stop_tasks, stop) = tokio::sync::watch::channel(false);
    let deliveries = match relay {
        Some(relay) => Some(tokio::spawn(ereceipt::deliver(
            Arc::clone(&store),
            relay,
            stop,
        ))),
        None => {
            tracing::info!(
                "no SMTP relay configured: e-receipts asked for by e-mail wait in the queue"
            );
            None
        }
    };
    let metrics = Arc::new(metrics::Metrics::default());
    let seen = tokio::spawn(metrics::save_seen_until_stopped(
        Arc::clone(&store),
        Arc::clone(&metrics),
        stop_tasks.subscribe(),
    ));
    let state = handlers::AppState {
        store,
        public_key: keys.public_key().into(),
        gates: Arc::new(rate_limit::Gates::new(limits.quotas)),
        metrics,
    };
    let address = listener.local_addr()?;
    tracing::info!(%address, "central listening");
    let served = listener::serve(listener, handlers::router(state), limits, shutdown).await;
    // A mail being handed to the relay is finished and recorded before the central stops, and
    // the terminals heard from are saved.
    let _ = stop_tasks.send(true);
    seen.await
        .map_err(|e| CentralError::Task(format!("saving the terminals heard from: {e}")))?;
    if let Some(task) = deliveries {
        task.await
            .map_err(|e| CentralError::Task(format!("e-receipt delivery: {e}")))?;
    }
    served?;
    tracing::info!("central stopped");
    Ok(())
}

/// A one-time enrollment code, as `comptoir-central enroll` prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrollmentCode {
    /// `XXXX-XXXX-XXXX-XXXX`; shown once, only its SHA-256 is kept.
    pub code: String,
    pub store: String,
    pub store_name: String,
    /// Unix seconds, UTC.
    pub expires_at: i64,
}

/// Issues a one-time enrollment code for `store` (a store's location code), valid 24 hours.
pub fn enroll_code(db: impl Into<Database>, store: &str) -> Result<EnrollmentCode, CentralError> {
    enroll_code_issued_at(db, store, chrono::Utc::now().timestamp())
}

/// [`enroll_code`] as if issued at `now` (Unix seconds, UTC): the seam for expiry tests.
pub fn enroll_code_issued_at(
    db: impl Into<Database>,
    store: &str,
    now: i64,
) -> Result<EnrollmentCode, CentralError> {
    let db = db.into().open(false)?;
    let Some(location) = db.location(store)? else {
        // The chain's own stores, not the demo's: a chain seeded with its own locations.
        return Err(CentralError::UnknownStore {
            store: store.to_owned(),
            known: db.store_codes()?.join(", "),
        });
    };
    if location.kind != LocationKind::Store.as_str() {
        return Err(CentralError::NotAStore {
            store: store.to_owned(),
        });
    }
    let code = auth::new_enrollment_code()?;
    let expires_at = now + auth::ENROLLMENT_TTL_SECS;
    db.add_enrollment_code(&auth::code_digest(&code), store, now, expires_at)?;
    tracing::info!(store, "enrollment code issued");
    Ok(EnrollmentCode {
        code,
        store: location.code,
        store_name: location.name,
        expires_at,
    })
}

/// Revokes a device: its token is refused (403) from now on. False when there is no such device.
pub fn revoke_device(db: impl Into<Database>, device_id: &str) -> Result<bool, CentralError> {
    Ok(db.into().open(false)?.revoke(device_id)?)
}

/// What the central knows of a device's fiscal journal (None for an unknown device).
pub fn device_journal(
    db: impl Into<Database>,
    device_id: &str,
) -> Result<Option<store::DeviceJournal>, CentralError> {
    Ok(db.into().open(false)?.device_journal(device_id)?)
}

/// What terminals sent, as `comptoir-central stats --json` prints it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub received: Received,
    /// Events a terminal sent again that the central already had (retries).
    pub duplicates_ignored: i64,
    /// Devices ever enrolled, revoked ones included.
    pub devices: i64,
    /// GDPR access and erasure requests not answered yet.
    pub open_privacy_requests: i64,
    /// Loyalty movements that left a balance below zero (points redeemed twice offline).
    pub loyalty_overdrawn: i64,
    /// Handovers of click-and-collect units already handed over (two offline counters).
    pub pickup_conflicts: i64,
    /// Returns of an online order's line beyond what was ordered or handed over.
    pub duplicate_returns: i64,
    /// Handovers and returns naming an order the central does not have.
    pub unknown_orders: i64,
    /// Events refused by the central's checks and kept in its quarantine
    /// (`comptoir-central quarantine`).
    pub quarantined: i64,
    /// Breaks found in terminals' journal chains, kept for good (`comptoir-central
    /// journal-breaks`), and those no auditor has acknowledged yet.
    pub journal_breaks: i64,
    pub journal_breaks_open: i64,
    /// What the sales took off (training tickets excluded).
    pub discounts: DiscountTotals,
}

/// Discounts given across the chain, in cents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiscountTotals {
    /// By sellers (and managers), by hand.
    pub manual_cents: i64,
    /// By the head office's promotions.
    pub promotion_cents: i64,
}

/// Events received from terminals, by kind (each counted once, however often it was sent).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Received {
    pub sales: i64,
    pub returns: i64,
    pub closings: i64,
    pub journal_entries: i64,
    pub e_receipts: i64,
    pub stock_counts: i64,
    pub customers_created: i64,
    pub consents: i64,
    pub customer_notes: i64,
    pub customer_accesses: i64,
    pub privacy_requests: i64,
    pub loyalty_movements: i64,
    pub handovers: i64,
    pub aisle_orders: i64,
    pub gift_cards: i64,
    pub other: i64,
}

/// Counts of what terminals sent.
pub fn stats(db: impl Into<Database>) -> Result<Stats, CentralError> {
    let counters = db.into().open(false)?.counters()?;
    let count = |kind: EventKind| {
        counters
            .received
            .get(kind.stats_key())
            .copied()
            .unwrap_or(0)
    };
    Ok(Stats {
        received: Received {
            sales: count(EventKind::Sale),
            returns: count(EventKind::Return),
            closings: count(EventKind::Closing),
            journal_entries: count(EventKind::JournalEntry),
            e_receipts: count(EventKind::EReceipt),
            stock_counts: count(EventKind::StockCount),
            customers_created: count(EventKind::CustomerCreated),
            consents: count(EventKind::Consent),
            customer_notes: count(EventKind::CustomerNote),
            customer_accesses: count(EventKind::CustomerAccess),
            privacy_requests: count(EventKind::PrivacyRequest),
            loyalty_movements: count(EventKind::Loyalty),
            handovers: count(EventKind::Handover),
            aisle_orders: count(EventKind::AisleOrder),
            gift_cards: count(EventKind::GiftCard),
            other: count(EventKind::Other),
        },
        duplicates_ignored: counters.duplicates_ignored,
        devices: counters.devices,
        open_privacy_requests: counters.open_privacy_requests,
        loyalty_overdrawn: counters.loyalty_overdrawn,
        pickup_conflicts: counters.pickup_conflicts,
        duplicate_returns: counters.duplicate_returns,
        unknown_orders: counters.unknown_orders,
        quarantined: counters.quarantined,
        journal_breaks: counters.journal_breaks,
        journal_breaks_open: counters.journal_breaks_open,
        discounts: DiscountTotals {
            manual_cents: counters.discounts_manual_cents,
            promotion_cents: counters.discounts_promotion_cents,
        },
    })
}

/// Every e-receipt delivery, the latest first: ticket, status, tries and the relay's last reply,
/// never the address.
pub fn ereceipt_deliveries(
    db: impl Into<Database>,
) -> Result<Vec<ereceipt::Delivery>, CentralError> {
    Ok(db.into().open(false)?.ereceipt_deliveries()?)
}

/// Every break found in a terminal's journal chain, oldest first.
pub fn journal_breaks(
    db: impl Into<Database>,
) -> Result<Vec<journal_chain::JournalBreak>, CentralError> {
    Ok(db.into().open(false)?.journal_breaks()?)
}

/// An auditor (named) acknowledges journal break `id`, with an optional note. The break stays
/// listed; once a terminal has no open break left, the central vouches again for the entries it
/// received since.
pub fn acknowledge_journal_break(
    db: impl Into<Database>,
    id: i64,
    auditor: &str,
    note: Option<&str>,
) -> Result<journal_chain::Acknowledged, CentralError> {
    if auditor.trim().is_empty() {
        return Err(CentralError::NoAuditor);
    }
    let now = chrono::Utc::now().timestamp();
    Ok(db
        .into()
        .open(false)?
        .acknowledge_journal_break(id, auditor.trim(), note, now)?)
}

/// The events refused by the central's checks, oldest first.
pub fn quarantine(db: impl Into<Database>) -> Result<Vec<store::QuarantineEntry>, CentralError> {
    Ok(db.into().open(false)?.quarantine()?)
}

/// A loyalty code for the customer `customer_id` (a chain id, or a local id merged into one),
/// signed with the central's key: the customer's id, first name and tier, issued now.
pub fn sign_loyalty(db: impl Into<Database>, customer_id: &str) -> Result<String, CentralError> {
    sign_loyalty_at(db, customer_id, chrono::Utc::now().timestamp())
}

/// [`sign_loyalty`] as if issued at `now` (Unix seconds, UTC).
pub fn sign_loyalty_at(
    db: impl Into<Database>,
    customer_id: &str,
    now: i64,
) -> Result<String, CentralError> {
    let db = db.into();
    let store = db.open(false)?;
    let holder =
        store
            .loyalty_holder(customer_id)?
            .ok_or_else(|| CentralError::UnknownCustomer {
                id: customer_id.to_owned(),
            })?;
    let keys = db.signing_keys(&store)?;
    let claims = comptoir_domain::signed_code::LoyaltyClaims {
        customer_id: holder.id,
        display_name: holder.first_name,
        tier: holder.tier,
        issued_at: now,
    };
    Ok(comptoir_domain::signed_code::issue_loyalty(&claims, |m| {
        keys.sign(m)
    }))
}

/// A pickup code for the click-and-collect order `order_id`, signed with the central's key: the
/// order, its store, and an expiry [`PICKUP_CODE_TTL_SECS`] from now. Refused for an order the
/// central does not have, and for one with nothing left to collect (cancelled, or every unit
/// handed over).
pub fn sign_pickup(db: impl Into<Database>, order_id: &str) -> Result<String, CentralError> {
    sign_pickup_at(db, order_id, chrono::Utc::now().timestamp())
}

/// [`sign_pickup`] as if issued at `now` (Unix seconds, UTC).
pub fn sign_pickup_at(
    db: impl Into<Database>,
    order_id: &str,
    now: i64,
) -> Result<String, CentralError> {
    let db = db.into();
    let store = db.open(false)?;
    let order = store
        .pickup_to_sign(order_id)?
        .ok_or_else(|| CentralError::UnknownOrder {
            id: order_id.to_owned(),
        })?;
    let why = if order.status == "cancelled" {
        Some("cancelled".to_owned())
    } else if order.lines_left == 0 {
        Some("already handed over".to_owned())
    } else {
        None
    };
    if let Some(why) = why {
        return Err(CentralError::OrderClosed {
            id: order_id.to_owned(),
            why,
        });
    }
    let keys = db.signing_keys(&store)?;
    let claims = comptoir_domain::signed_code::PickupClaims {
        order_id: order_id.to_owned(),
        store: order.store,
        expires_at: now + PICKUP_CODE_TTL_SECS,
    };
    Ok(comptoir_domain::signed_code::issue_pickup(&claims, |m| {
        keys.sign(m)
    }))
}

/// Settles the conflict of order `order_id` (handed over or returned twice) once someone has
/// looked into it; `note` says what they found and is kept with the settlement.
pub fn settle_conflict(
    db: impl Into<Database>,
    order_id: &str,
    note: &str,
) -> Result<pickup::Settlement, CentralError> {
    if note.trim().is_empty() {
        return Err(CentralError::EmptyNote);
    }
    let now = chrono::Utc::now().timestamp();
    match db
        .into()
        .open(false)?
        .settle_conflict(order_id, note, now)?
    {
        pickup::SettleOutcome::Settled(settlement) => Ok(settlement),
        pickup::SettleOutcome::NoConflict { status } => Err(CentralError::NoConflict {
            id: order_id.to_owned(),
            status,
        }),
        pickup::SettleOutcome::UnknownOrder => Err(CentralError::NoSuchOrder {
            id: order_id.to_owned(),
        }),
    }
}

/// Erases the customer `customer_id` (a GDPR erasure request): their names, contacts, consents,
/// notes, cart and wishlist go; their id stays on the sales and orders accounting keeps. Returns
/// how many open erasure requests this answers. Every terminal forgets them at its next pull.
pub fn erase_customer(db: impl Into<Database>, customer_id: &str) -> Result<usize, CentralError> {
    let now = chrono::Utc::now().timestamp();
    match db.into().open(false)?.erase_customer(customer_id, now)? {
        privacy::EraseOutcome::Erased { requests_answered } => Ok(requests_answered),
        privacy::EraseOutcome::AlreadyErased { at } => Err(CentralError::AlreadyErased {
            id: customer_id.to_owned(),
            at: chrono::DateTime::from_timestamp(at, 0)
                .map_or_else(|| at.to_string(), |t| t.format("%Y-%m-%d").to_string()),
        }),
        privacy::EraseOutcome::UnknownCustomer => Err(CentralError::UnknownCustomer {
            id: customer_id.to_owned(),
        }),
    }
}

/// A copy of everything the chain holds about the customer `customer_id` (a GDPR access
/// request), which answers their open access requests.
pub fn subject_access(
    db: impl Into<Database>,
    customer_id: &str,
) -> Result<privacy::SubjectAccess, CentralError> {
    let now = chrono::Utc::now().timestamp();
    db.into()
        .open(false)?
        .subject_access(customer_id, now)?
        .ok_or_else(|| CentralError::UnknownCustomer {
            id: customer_id.to_owned(),
        })
}

/// The GDPR requests made at counters and not answered yet, the oldest first.
pub fn open_privacy_requests(
    db: impl Into<Database>,
) -> Result<Vec<privacy::OpenRequest>, CentralError> {
    Ok(db.into().open(false)?.open_privacy_requests()?)
}

/// Who opened the customer's record, when and where: to answer a GDPR access request.
pub fn access_log(
    db: impl Into<Database>,
    customer_id: &str,
) -> Result<store::AccessLog, CentralError> {
    db.into()
        .open(false)?
        .access_log(customer_id)?
        .ok_or_else(|| CentralError::UnknownCustomer {
            id: customer_id.to_owned(),
        })
}

/// Recalls the product `gtin` (only its lot `lot`, when given) for `reason`: every terminal
/// refuses to sell it after its next sync, unless a manager overrides it.
pub fn add_recall(
    db: impl Into<Database>,
    gtin: &comptoir_domain::gtin::Gtin,
    lot: Option<&str>,
    reason: &str,
) -> Result<recall::RecallRecord, CentralError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(CentralError::EmptyRecallReason);
    }
    if let Some(lot) = lot {
        check_lot(lot)?;
    }
    let now = chrono::Utc::now().timestamp();
    let recall = db.into().open(false)?.add_recall(gtin, lot, reason, now)?;
    tracing::info!(recall = recall.id, "product recalled");
    Ok(recall)
}

/// A lot as GS1 AI 10 allows it (1 to 20 characters of GS1's set), so a terminal can match it
/// against what a scanner reads.
pub fn check_lot(lot: &str) -> Result<(), CentralError> {
    comptoir_domain::gs1::validate_value("10", lot).map_err(|e| CentralError::BadLot {
        lot: lot.to_owned(),
        why: e.to_string(),
    })
}

/// Every recall, in force or ended, in the order they were made.
pub fn recalls(db: impl Into<Database>) -> Result<Vec<recall::RecallRecord>, CentralError> {
    Ok(db.into().open(false)?.recalls()?)
}

/// What `promo add` did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PromotionsAdded {
    /// The rules written now, in the file's order.
    pub added: Vec<String>,
    /// The rules the central already held exactly as given.
    pub unchanged: Vec<String>,
}

/// Adds the promotion rules of `text` (the file `path`, named in errors): one rule or an array.
/// Every rule is checked first; one bad rule, or one whose id is held with other terms, refuses
/// the whole file and nothing is written. Terminals get the new rules with their next sync.
pub fn add_promotions(
    db: impl Into<Database>,
    path: &str,
    text: &str,
) -> Result<PromotionsAdded, CentralError> {
    let rules =
        promotion::parse_promotion_file(text).map_err(|error| CentralError::PromotionFile {
            path: path.to_owned(),
            error,
        })?;
    let now = chrono::Utc::now().timestamp();
    match db.into().open(false)?.add_promotions(&rules, now)? {
        promotion::AddOutcome::Added { added, unchanged } => {
            tracing::info!(
                added = added.len(),
                unchanged = unchanged.len(),
                "promotions added"
            );
            Ok(PromotionsAdded { added, unchanged })
        }
        promotion::AddOutcome::Conflict {
            id,
            ended_at: Some(at),
        } => Err(CentralError::PromotionWasEnded { id, at: date(at) }),
        promotion::AddOutcome::Conflict { id, ended_at: None } => {
            Err(CentralError::PromotionConflict { id })
        }
    }
}

/// Every promotion rule, with its uses per store.
pub fn promotions(
    db: impl Into<Database>,
) -> Result<Vec<promotion::PromotionRecord>, CentralError> {
    Ok(db.into().open(false)?.promotions()?)
}

/// The store credit or gift card `code` and what is left on it.
pub fn credit(
    db: impl Into<Database>,
    code: &str,
) -> Result<Option<comptoir_protocol::CreditAnswer>, CentralError> {
    Ok(db.into().open(false)?.credit(code)?)
}

/// The credits of customer `id` (a chain id or a local id merged into one), newest first.
pub fn credits_of(
    db: impl Into<Database>,
    id: &str,
) -> Result<Vec<comptoir_protocol::CreditAnswer>, CentralError> {
    Ok(db.into().open(false)?.credits_of(id)?)
}

/// Every conflict between counters found so far (double returns, double spends), newest first.
pub fn conflicts(db: impl Into<Database>) -> Result<Vec<credit::Conflict>, CentralError> {
    Ok(db.into().open(false)?.conflicts()?)
}

/// Ends the promotion `id` now: its `ends` becomes this moment in store time (Europe/Paris), and
/// terminals stop applying it after their next sync.
pub fn end_promotion(
    db: impl Into<Database>,
    id: &str,
) -> Result<promotion::PromotionRecord, CentralError> {
    let now = chrono::Utc::now().timestamp();
    let local_now = comptoir_domain::promotion::store_time(now).ok_or(CentralError::Clock(now))?;
    match db.into().open(false)?.end_promotion(id, local_now, now)? {
        promotion::EndOutcome::Ended(record) => {
            tracing::info!(promotion = %record.rule.id, "promotion ended");
            Ok(*record)
        }
        promotion::EndOutcome::AlreadyEnded { at } => Err(CentralError::PromotionEnded {
            id: id.to_owned(),
            at: date(at),
        }),
        promotion::EndOutcome::Unknown => Err(CentralError::UnknownPromotion { id: id.to_owned() }),
    }
}

/// `at` (Unix seconds) as a UTC date, for messages.
fn date(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map_or_else(|| at.to_string(), |t| t.format("%Y-%m-%d").to_string())
}

/// Ends the recall `id`: terminals sell the product again after their next sync.
pub fn end_recall(db: impl Into<Database>, id: i64) -> Result<recall::RecallRecord, CentralError> {
    let now = chrono::Utc::now().timestamp();
    match db.into().open(false)?.end_recall(id, now)? {
        recall::EndOutcome::Ended(recall) => {
            tracing::info!(recall = recall.id, "recall ended");
            Ok(recall)
        }
        recall::EndOutcome::AlreadyEnded { at } => {
            Err(CentralError::RecallEnded { id, at: date(at) })
        }
        recall::EndOutcome::Unknown => Err(CentralError::UnknownRecall { id }),
    }
}
