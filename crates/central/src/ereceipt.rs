//! E-receipts the central e-mails (issue 16): the delivery queue and the task that empties it.
//!
//! An e-receipt event asking for `"delivery": "email"` becomes one row of `ereceipt_delivery`
//! in the push's transaction (exactly-once holds for events, and the event id is the row's key,
//! so one event is one mail). The task `serve` runs sends the rows due through the chain's SMTP
//! relay ([`mail`](super::mail)): a 5xx refusal is final (`bounced`); a 4xx reply, or a relay
//! that cannot be reached, is tried again later, the wait doubling each time, until the retry
//! window closes (`failed`). A receipt whose sale has not arrived yet (events come in any order
//! from different terminals) waits, still pending. No row is ever deleted.
//!
//! The address is the customer's as the central holds it (erased customers have none), or the
//! one typed at the counter, cleared from the row once the delivery is over unless the customer
//! asked to keep it. Never logged, never listed: the logs and `ereceipt list` name a ticket.

use std::sync::Arc;

use crate::sql::{OptionalExtension, Tx, params};
use lettre::AsyncTransport;
use lettre::message::Mailbox;
use serde::Serialize;

use super::mail::{self, MailLine, ReceiptMail, RelaySettings};
use super::store::{Result, Store, resolve_customer};
use crate::storage::Storage;
use comptoir_domain::receipt_code::ReceiptCode;
use comptoir_protocol::{EReceiptPayload, SalePayload};

/// Queues the e-mail an e-receipt event asks for (called in the push's transaction).
pub(super) fn queue(
    tx: &Tx<'_>,
    event_id: &str,
    store: &str,
    receipt: &EReceiptPayload,
    now: i64,
) -> Result<()> {
    let customer = match &receipt.customer {
        Some(id) => Some(resolve_customer(tx, id)?),
        None => None,
    };
    tx.prepare_cached(
        "INSERT INTO ereceipt_delivery (event_id, store, terminal, ticket, customer, typed_email,
                                        keep_email, code, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
         ON CONFLICT (event_id) DO NOTHING",
    )?
    .execute(params![
        event_id,
        store,
        receipt.terminal,
        receipt.ticket,
        customer,
        receipt.email.as_deref().map(str::trim),
        receipt.keep_email,
        receipt.code,
        now
    ])?;
    Ok(())
}

/// A delivery as `comptoir-central ereceipt list` shows it: never its address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub store: String,
    pub terminal: String,
    pub ticket: String,
    /// `pending`, `sent`, `bounced` or `failed`.
    pub status: String,
    pub attempts: i64,
    /// Unix seconds, UTC (meaningful while pending).
    pub next_attempt_at: i64,
    /// The relay's last reply code, and its text with every address taken out.
    pub last_code: Option<i64>,
    pub last_reply: Option<String>,
    pub created_at: i64,
    pub done_at: Option<i64>,
}

/// What a due delivery needs, read in one snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prepared {
    /// The sale has not reached the central yet.
    WaitingForSale,
    /// Nothing to send to: why (final).
    NoAddress(&'static str),
    Ready {
        to: String,
        mail: ReceiptMail,
    },
}

/// How a try ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The relay took the mail.
    Sent { code: Option<i64>, reply: String },
    /// The relay refused it for good (5xx).
    Bounced { code: Option<i64>, reply: String },
    /// A 4xx reply, or no relay to talk to: tried again later.
    Transient { code: Option<i64>, reply: String },
    /// Nothing can be sent (no address, not an address): final, no try made.
    Failed { reply: String },
    /// The sale is not here yet: looked at again at the next round.
    WaitingForSale,
}

impl Store {
    /// Every delivery, the latest first.
    pub fn ereceipt_deliveries(&self) -> Result<Vec<Delivery>> {
        self.read(|tx| {
            let mut stmt = tx.prepare(
                "SELECT id, store, terminal, ticket, status, attempts, next_attempt_at,
                        last_code, last_reply, created_at, done_at
                 FROM ereceipt_delivery ORDER BY id DESC",
            )?;
            let rows = stmt.query_map(params![], |row| {
                Ok(Delivery {
                    id: row.get(0)?,
                    store: row.get(1)?,
                    terminal: row.get(2)?,
                    ticket: row.get(3)?,
                    status: row.get(4)?,
                    attempts: row.get(5)?,
                    next_attempt_at: row.get(6)?,
                    last_code: row.get(7)?,
                    last_reply: row.get(8)?,
                    created_at: row.get(9)?,
                    done_at: row.get(10)?,
                })
            })?;
            Ok(rows.collect::<crate::sql::Result<Vec<_>>>()?)
        })
    }

    /// Claims the pending deliveries due at `now`, the oldest first (at most `limit`): they are
    /// not due again before [`CLAIM_LEASE_SECS`], so that another instance's delivery task does
    /// not send the same mail. Trying one records when it is due next; an instance that stops
    /// in the middle leaves its claims to be tried again when the lease ends.
    pub fn claim_ereceipts(&self, now: i64, limit: u32) -> Result<Vec<i64>> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "UPDATE ereceipt_delivery SET next_attempt_at = ?3
                 WHERE id IN (SELECT id FROM ereceipt_delivery
                              WHERE status = 'pending' AND next_attempt_at <= ?1
                              ORDER BY next_attempt_at, id LIMIT ?2)
                 RETURNING id",
            )?;
            let ids = stmt.query_map(params![now, limit, now + CLAIM_LEASE_SECS], |row| {
                row.get(0)
            })?;
            let mut ids = ids.collect::<crate::sql::Result<Vec<i64>>>()?;
            ids.sort_unstable();
            Ok(ids)
        })
    }

    /// What delivery `id` would send, and to whom.
    pub fn prepare_ereceipt(&self, id: i64) -> Result<Prepared> {
        self.read(|tx| prepare(tx, id))
    }

    /// Records how a try of delivery `id` ended at `now`; `retry` says when a transient
    /// failure is tried again, or that it is given up. A delivery already over is left alone.
    pub fn finish_ereceipt(
        &self,
        id: i64,
        outcome: &Outcome,
        retry: &mail::RetrySchedule,
        now: i64,
    ) -> Result<()> {
        self.write(|tx| {
            let attempts: Option<i64> = tx
                .query_row(
                    "SELECT attempts FROM ereceipt_delivery WHERE id = ?1 AND status = 'pending'",
                    params![id],
                    |row| row.get(0),
                )
                .optional()?;
            let Some(attempts) = attempts else {
                return Ok(());
            };
            let (status, tried, code, reply) = match outcome {
                Outcome::Sent { code, reply } => ("sent", 1, *code, reply.as_str()),
                Outcome::Bounced { code, reply } => ("bounced", 1, *code, reply.as_str()),
                Outcome::Failed { reply } => ("failed", 0, None, reply.as_str()),
                Outcome::Transient { code, reply } => {
                    let tries = u32::try_from(attempts + 1).unwrap_or(u32::MAX);
                    if tries >= retry.give_up_after {
                        ("failed", 1, *code, reply.as_str())
                    } else {
                        let wait = i64::try_from(retry.delay(tries).as_secs()).unwrap_or(i64::MAX);
                        tx.execute(
                            "UPDATE ereceipt_delivery SET attempts = attempts + 1,
                                    next_attempt_at = ?2, last_code = ?3, last_reply = ?4
                             WHERE id = ?1",
                            params![id, now.saturating_add(wait), code, reply],
                        )?;
                        return Ok(());
                    }
                }
                Outcome::WaitingForSale => {
                    let wait = i64::try_from(retry.first.as_secs()).unwrap_or(i64::MAX);
                    tx.execute(
                        "UPDATE ereceipt_delivery SET next_attempt_at = ?2,
                                last_reply = 'waiting for the sale of this ticket'
                         WHERE id = ?1",
                        params![id, now.saturating_add(wait.max(1))],
                    )?;
                    return Ok(());
                }
            };
            // Over: a typed address goes, unless the customer asked to keep it.
            tx.execute(
                "UPDATE ereceipt_delivery SET status = ?2, attempts = attempts + ?3,
                        last_code = ?4, last_reply = ?5, done_at = ?6,
                        typed_email = CASE WHEN keep_email = 1 THEN typed_email END
                 WHERE id = ?1",
                params![id, status, tried, code, reply, now],
            )?;
            Ok(())
        })
    }
}

/// A delivery's row, as [`prepare`] reads it.
struct Queued {
    store: String,
    terminal: String,
    ticket: String,
    customer: Option<String>,
    typed: Option<String>,
    code: Option<String>,
}

fn prepare(tx: &Tx<'_>, id: i64) -> Result<Prepared> {
    let row = tx
        .query_row(
            "SELECT store, terminal, ticket, customer, typed_email, code
             FROM ereceipt_delivery WHERE id = ?1",
            params![id],
            |row| {
                Ok(Queued {
                    store: row.get(0)?,
                    terminal: row.get(1)?,
                    ticket: row.get(2)?,
                    customer: row.get(3)?,
                    typed: row.get(4)?,
                    code: row.get(5)?,
                })
            },
        )
        .optional()?;
    let Some(Queued {
        store,
        terminal,
        ticket,
        customer,
        typed,
        code,
    }) = row
    else {
        return Ok(Prepared::NoAddress("the delivery is gone"));
    };
    let sale: Option<(i64, i64, bool, i64, String, Option<String>)> = tx
        .prepare_cached(
            "SELECT s.id, s.created_at, s.training, s.total_cents, e.payload, s.check_code
             FROM sale s JOIN event e ON e.id = s.event_id
             WHERE s.store = ?1 AND s.terminal = ?2 AND s.ticket = ?3
             ORDER BY s.id LIMIT 1",
        )?
        .query_row(params![store, terminal, ticket], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ))
        })
        .optional()?;
    let Some((sale_id, created_at, training, total_cents, payload, check)) = sale else {
        return Ok(Prepared::WaitingForSale);
    };
    // The code the printed receipt carries, from the sale's journal entry the central holds,
    // when the terminal did not send it with the request.
    let code = code.or_else(|| {
        check.map(|check| {
            ReceiptCode {
                store: store.clone(),
                ticket: ticket.clone(),
                check,
            }
            .to_string()
        })
    });
    let to = match typed {
        Some(address) => address,
        None => {
            let Some(customer) = customer else {
                return Ok(Prepared::NoAddress(
                    "no address: neither a customer nor an address typed at the counter",
                ));
            };
            let customer = resolve_customer(tx, &customer)?;
            let email: Option<String> = tx
                .query_row(
                    "SELECT email FROM customer WHERE id = ?1",
                    params![customer],
                    |row| row.get(0),
                )
                .optional()?
                .flatten();
            match email.filter(|e| !e.trim().is_empty()) {
                Some(email) => email,
                None => {
                    return Ok(Prepared::NoAddress(
                        "no address: the central holds none for the customer",
                    ));
                }
            }
        }
    };
    let store_name: String = tx
        .query_row(
            "SELECT name FROM location WHERE code = ?1",
            params![store],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or_else(|| store.clone());
    let mut stmt = tx.prepare_cached(
        "SELECT coalesce(p.name, l.gtin), l.quantity, l.amount_cents, l.vat_bp, l.discount_cents
         FROM sale_line l LEFT JOIN product p ON p.gtin = l.gtin
         WHERE l.sale_id = ?1 ORDER BY l.line_no",
    )?;
    let lines = stmt
        .query_map(params![sale_id], |row| {
            Ok(MailLine {
                label: row.get(0)?,
                quantity: row.get(1)?,
                amount_cents: row.get(2)?,
                vat_bp: row.get(3)?,
                discount_cents: row.get(4)?,
            })
        })?
        .collect::<crate::sql::Result<Vec<_>>>()?;
    // The central keeps the payments only in the sale's event, checked when it arrived.
    let payments = serde_json::from_str::<SalePayload>(&payload)
        .map(|sale| {
            sale.payments
                .into_iter()
                .map(|p| (p.method, p.amount_cents))
                .collect()
        })
        .unwrap_or_default();
    Ok(Prepared::Ready {
        to,
        mail: ReceiptMail {
            store_code: store,
            store_name,
            terminal,
            ticket,
            created_at,
            training,
            lines,
            total_cents,
            payments,
            code,
        },
    })
}

/// How many deliveries one round takes at most (the rest wait for the next round).
const ROUND: u32 = 50;

/// How long a claimed delivery is left to the instance that claimed it (a try takes seconds;
/// the relay's own timeouts are shorter).
pub const CLAIM_LEASE_SECS: i64 = 300;

/// Sends the deliveries due, round after round, until `stop` turns true; a mail being sent is
/// finished first. Store errors are logged and the round tried again later.
pub async fn deliver(
    store: Arc<dyn Storage>,
    relay: RelaySettings,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let transport = match relay.transport() {
        Ok(transport) => transport,
        Err(error) => {
            tracing::error!(%error, "e-receipts will not be e-mailed");
            return;
        }
    };
    tracing::info!(
        relay = %relay.host,
        port = relay.port,
        tls = ?relay.tls,
        "e-receipts are e-mailed through the SMTP relay"
    );
    loop {
        let now = chrono::Utc::now().timestamp();
        let due = {
            let store = Arc::clone(&store);
            tokio::task::spawn_blocking(move || store.claim_ereceipts(now, ROUND)).await
        };
        match due {
            Ok(Ok(ids)) => {
                for id in ids {
                    if *stop.borrow() {
                        return;
                    }
                    deliver_one(&store, &relay, &transport, id).await;
                }
            }
            Ok(Err(error)) => tracing::error!(%error, "cannot read the e-receipts due"),
            Err(error) => tracing::error!(%error, "the e-receipt task failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(relay.poll) => {}
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
            }
        }
    }
}

async fn deliver_one(
    store: &Arc<dyn Storage>,
    relay: &RelaySettings,
    transport: &lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    id: i64,
) {
    let prepared = {
        let store = Arc::clone(store);
        tokio::task::spawn_blocking(move || store.prepare_ereceipt(id)).await
    };
    let prepared = match prepared {
        Ok(Ok(prepared)) => prepared,
        Ok(Err(error)) => {
            tracing::error!(delivery = id, %error, "cannot read an e-receipt to send");
            return;
        }
        Err(error) => {
            tracing::error!(delivery = id, %error, "the e-receipt task failed");
            return;
        }
    };
    let (ticket, outcome) = match prepared {
        Prepared::WaitingForSale => (None, Outcome::WaitingForSale),
        Prepared::NoAddress(why) => (
            None,
            Outcome::Failed {
                reply: why.to_owned(),
            },
        ),
        Prepared::Ready { to, mail } => {
            let ticket = Some(mail.ticket.clone());
            (ticket, send(relay, transport, &to, &mail).await)
        }
    };
    let code = match &outcome {
        Outcome::Sent { code, .. }
        | Outcome::Bounced { code, .. }
        | Outcome::Transient { code, .. } => *code,
        _ => None,
    };
    let status = match &outcome {
        Outcome::Sent { .. } => "sent",
        Outcome::Bounced { .. } => "bounced",
        Outcome::Transient { .. } => "retry",
        Outcome::Failed { .. } => "failed",
        Outcome::WaitingForSale => "waiting for the sale",
    };
    // The ticket and the relay's code only: the address and the reply's text stay out.
    tracing::info!(
        delivery = id,
        ticket = ticket.as_deref(),
        status,
        code,
        "e-receipt delivery"
    );
    let retry = relay.retry;
    let now = chrono::Utc::now().timestamp();
    let store = Arc::clone(store);
    match tokio::task::spawn_blocking(move || store.finish_ereceipt(id, &outcome, &retry, now))
        .await
    {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(delivery = id, %error, "cannot record an e-receipt try"),
        Err(error) => tracing::error!(delivery = id, %error, "the e-receipt task failed"),
    }
}

/// One try at the relay.
async fn send(
    relay: &RelaySettings,
    transport: &lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    to: &str,
    receipt: &ReceiptMail,
) -> Outcome {
    let Ok(to) = to.trim().parse::<Mailbox>() else {
        return Outcome::Failed {
            reply: "the address is not an e-mail address".to_owned(),
        };
    };
    let message = match mail::message(&relay.from, &to, receipt) {
        Ok(message) => message,
        Err(error) => {
            return Outcome::Failed {
                reply: mail::scrub_reply(&format!("the mail cannot be built: {error}")),
            };
        }
    };
    let code_of = |code: lettre::transport::smtp::response::Code| code.to_string().parse().ok();
    match transport.send(message).await {
        Ok(response) => Outcome::Sent {
            code: code_of(response.code()),
            reply: mail::scrub_reply(&format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )),
        },
        Err(error) if error.is_permanent() => Outcome::Bounced {
            code: error.status().and_then(code_of),
            reply: mail::scrub_reply(&error.to_string()),
        },
        Err(error) => Outcome::Transient {
            code: error.status().and_then(code_of),
            reply: mail::scrub_reply(&error.to_string()),
        },
    }
}
