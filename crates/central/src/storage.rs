//! The one interface the central's server has on its database (issue 18): the HTTP handlers
//! and the e-receipt delivery task hold an `Arc<dyn Storage>` and never name a backend. [`Store`]
//! implements it on either backend, SQLite or PostgreSQL, and the same integration tests run
//! against both.
//!
//! Every method is one use case in one transaction, synchronous: the handlers call them through
//! `spawn_blocking`, so a backend may block.

use comptoir_domain::customer::{CustomerHit, CustomerView};
use comptoir_protocol::{CreditAnswer, OrderAnswer, SaleAnswer, StockLevelChange};

use crate::customers::CustomerQuery;
use crate::ereceipt::{Outcome, Prepared};
use crate::mail::RetrySchedule;
use crate::staff_call::{AnswerOutcome, CallOutcome, Caller};
use crate::store::{
    Counters, DeviceJournal, DeviceRecord, EnrollOutcome, IncomingEvent, PageOutcome, PushOutcome,
    Result, Store,
};

pub trait Storage: Send + Sync {
    /// The database answers (`GET /healthz`).
    fn ping(&self) -> Result<()>;
    /// The counters `GET /metrics` and `stats` report.
    fn counters(&self) -> Result<Counters>;
    /// Notes when this instance heard from these devices (Unix seconds, UTC).
    fn record_seen(&self, seen: &[(String, i64)]) -> Result<()>;
    /// How many devices any instance heard from since `since` (Unix seconds, UTC).
    fn terminals_seen_since(&self, since: i64) -> Result<i64>;

    /// The device whose token has this SHA-256, revoked or not.
    fn device_by_token(&self, token_sha256: &[u8; 32]) -> Result<Option<DeviceRecord>>;
    /// The last journal entry the central holds of a device, and what it has seen of its chain.
    fn device_journal(&self, device_id: &str) -> Result<Option<DeviceJournal>>;
    /// Uses a one-time enrollment code (single use, whichever request comes first).
    fn enroll(
        &self,
        code_sha256: &[u8; 32],
        device_id: &str,
        terminal_id: &str,
        token_sha256: &[u8; 32],
        now: i64,
    ) -> Result<EnrollOutcome>;

    /// Applies a device's batch exactly once (see `comptoir_protocol`'s push rules).
    fn push(&self, device_id: &str, events: &[IncomingEvent], now: i64) -> Result<PushOutcome>;
    /// A page of the changes for `store` after the cursor `after`.
    fn changes(&self, store: &str, after: i64, limit: u32) -> Result<PageOutcome>;

    fn stock(&self, gtin: &str) -> Result<Option<Vec<StockLevelChange>>>;
    fn search_customers(&self, query: &CustomerQuery, limit: u32) -> Result<Vec<CustomerHit>>;
    fn customer_view(&self, id: &str, now: i64) -> Result<Option<CustomerView>>;
    /// A customer's record read through the API: the GDPR access log.
    fn record_api_read(&self, id: &str, device: &str, now: i64) -> Result<()>;
    fn order(&self, id: &str) -> Result<Option<OrderAnswer>>;
    fn orders_of(&self, customer: &str) -> Result<Vec<OrderAnswer>>;
    fn sale_for_return(&self, store: &str, ticket: &str) -> Result<Option<SaleAnswer>>;
    fn credit(&self, code: &str) -> Result<Option<CreditAnswer>>;

    fn call_staff(
        &self,
        caller: &Caller<'_>,
        id: &str,
        gtin: Option<&str>,
        now: i64,
    ) -> Result<CallOutcome>;
    fn answer_staff_call(
        &self,
        store: &str,
        id: &str,
        staff: &str,
        now: i64,
    ) -> Result<AnswerOutcome>;

    /// Claims the e-receipt deliveries due at `now`, at most `limit` (no other instance takes
    /// them while this one tries them).
    fn claim_ereceipts(&self, now: i64, limit: u32) -> Result<Vec<i64>>;
    fn prepare_ereceipt(&self, id: i64) -> Result<Prepared>;
    fn finish_ereceipt(
        &self,
        id: i64,
        outcome: &Outcome,
        retry: &RetrySchedule,
        now: i64,
    ) -> Result<()>;
}

/// The embedded SQLite central: each method is the store's own.
impl Storage for Store {
    fn ping(&self) -> Result<()> {
        Store::ping(self)
    }
    fn record_seen(&self, seen: &[(String, i64)]) -> Result<()> {
        Store::record_seen(self, seen)
    }

    fn terminals_seen_since(&self, since: i64) -> Result<i64> {
        Store::terminals_seen_since(self, since)
    }

    fn counters(&self) -> Result<Counters> {
        Store::counters(self)
    }
    fn device_by_token(&self, token_sha256: &[u8; 32]) -> Result<Option<DeviceRecord>> {
        Store::device_by_token(self, token_sha256)
    }
    fn device_journal(&self, device_id: &str) -> Result<Option<DeviceJournal>> {
        Store::device_journal(self, device_id)
    }
    fn enroll(
        &self,
        code_sha256: &[u8; 32],
        device_id: &str,
        terminal_id: &str,
        token_sha256: &[u8; 32],
        now: i64,
    ) -> Result<EnrollOutcome> {
        Store::enroll(self, code_sha256, device_id, terminal_id, token_sha256, now)
    }
    fn push(&self, device_id: &str, events: &[IncomingEvent], now: i64) -> Result<PushOutcome> {
        Store::push(self, device_id, events, now)
    }
    fn changes(&self, store: &str, after: i64, limit: u32) -> Result<PageOutcome> {
        Store::changes(self, store, after, limit)
    }
    fn stock(&self, gtin: &str) -> Result<Option<Vec<StockLevelChange>>> {
        Store::stock(self, gtin)
    }
    fn search_customers(&self, query: &CustomerQuery, limit: u32) -> Result<Vec<CustomerHit>> {
        Store::search_customers(self, query, limit)
    }
    fn customer_view(&self, id: &str, now: i64) -> Result<Option<CustomerView>> {
        Store::customer_view(self, id, now)
    }
    fn record_api_read(&self, id: &str, device: &str, now: i64) -> Result<()> {
        Store::record_api_read(self, id, device, now)
    }
    fn order(&self, id: &str) -> Result<Option<OrderAnswer>> {
        Store::order(self, id)
    }
    fn orders_of(&self, customer: &str) -> Result<Vec<OrderAnswer>> {
        Store::orders_of(self, customer)
    }
    fn sale_for_return(&self, store: &str, ticket: &str) -> Result<Option<SaleAnswer>> {
        Store::sale_for_return(self, store, ticket)
    }
    fn credit(&self, code: &str) -> Result<Option<CreditAnswer>> {
        Store::credit(self, code)
    }
    fn call_staff(
        &self,
        caller: &Caller<'_>,
        id: &str,
        gtin: Option<&str>,
        now: i64,
    ) -> Result<CallOutcome> {
        Store::call_staff(self, caller, id, gtin, now)
    }
    fn answer_staff_call(
        &self,
        store: &str,
        id: &str,
        staff: &str,
        now: i64,
    ) -> Result<AnswerOutcome> {
        Store::answer_staff_call(self, store, id, staff, now)
    }
    fn claim_ereceipts(&self, now: i64, limit: u32) -> Result<Vec<i64>> {
        Store::claim_ereceipts(self, now, limit)
    }
    fn prepare_ereceipt(&self, id: i64) -> Result<Prepared> {
        Store::prepare_ereceipt(self, id)
    }
    fn finish_ereceipt(
        &self,
        id: i64,
        outcome: &Outcome,
        retry: &RetrySchedule,
        now: i64,
    ) -> Result<()> {
        Store::finish_ereceipt(self, id, outcome, retry, now)
    }
}
