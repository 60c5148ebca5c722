//! The pickup counter: this store's click-and-collect orders, the customer's signed pickup code
//! (checked offline), the handover (whole or in part, refused when already done here), returns
//! of online orders and orders for what is not on the shelf. The network is the caller's: the
//! functions that may ask the central take a `fetch` closure.

use chrono::NaiveDate;

use crate::app::product_card::{ProductCardError, card_for_scan};
use crate::domain::catalog::LocationKind;
use crate::domain::pickup::{
    HandoverError, RefundLine, ReturnError, ReturnableLine, Units, check_handover, check_return,
};
use crate::domain::scan::{PICKUP_PREFIX, ScanConfig, parse_scan};
use crate::domain::signed_code::{PickupClaims, PickupCodeError, verify_pickup};
use crate::store::facts::AisleLine;
use crate::store::received::OnlineOrder;
use crate::store::{NewReturn, RecordedReturn, Store, StoreError};
use crate::sync::client::SyncError;
use crate::sync::protocol::OrderAnswer;

pub use crate::store::PickupOrder;

use super::central::Central;
use super::customer::Counter;

#[derive(Debug, thiserror::Error)]
pub enum PickupAppError {
    #[error("pickup code refused: {0}")]
    Code(#[from] PickupCodeError),
    #[error("order {id} is not among this store's click-and-collect orders")]
    UnknownOrder { id: String },
    #[error("{0}")]
    Handover(#[from] HandoverError),
    #[error("{0}")]
    Return(#[from] ReturnError),
    #[error("order {id} is unknown here and the central cannot be asked")]
    OrderUnavailable { id: String },
    #[error("refund by {0}? card, cash or credit")]
    BadRefund(String),
    #[error("{0}")]
    Product(#[from] ProductCardError),
    #[error("{0}")]
    Order(String),
    #[error("the quantity must be at least 1")]
    ZeroQuantity,
    #[error("no store has enough of it: order it for home delivery")]
    NoStoreHasEnough,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PickupAppError {
    /// The word `comptoir pickup verify` prints: "forged", "expired", "other_store",
    /// "unknown_order", "unknown_format" or "no_key".
    pub fn reason(&self) -> &'static str {
        match self {
            PickupAppError::Code(code) => code.reason(),
            PickupAppError::UnknownOrder { .. } => "unknown_order",
            _ => "other",
        }
    }
}

/// A checked pickup code and its order.
#[derive(Clone, Debug)]
pub struct VerifiedPickup {
    pub claims: PickupClaims,
    pub order: PickupOrder,
}

/// Checks a pickup code offline: signature, expiry, this store, and an order this store knows.
pub fn verify_code(
    store: &Store,
    code: &str,
    here: &str,
    now: i64,
) -> Result<VerifiedPickup, PickupAppError> {
    // A scanner may put an AIM prefix before the code.
    let code = code
        .find(PICKUP_PREFIX)
        .map_or(code.trim(), |start| &code[start..]);
    let key = store.central_public_key()?.unwrap_or_default();
    let claims = verify_pickup(code, &key, here, now)?;
    let order = store
        .pickup_order(&claims.order_id)?
        .filter(|o| o.store == here)
        .ok_or_else(|| PickupAppError::UnknownOrder {
            id: claims.order_id.clone(),
        })?;
    Ok(VerifiedPickup { claims, order })
}

/// The order named by `input`: a pickup code (checked) or an order number.
pub fn find_order(
    store: &Store,
    input: &str,
    here: &str,
    now: i64,
) -> Result<PickupOrder, PickupAppError> {
    if input.contains(PICKUP_PREFIX) {
        return verify_code(store, input, here, now).map(|v| v.order);
    }
    let id = input.trim();
    store
        .pickup_order(id)?
        .filter(|o| o.store == here)
        .ok_or_else(|| PickupAppError::UnknownOrder { id: id.to_owned() })
}

/// This store's orders whose number or customer's first name starts with `query` (all when
/// empty), waiting ones first.
pub fn list(store: &Store, here: &str, query: &str) -> Result<Vec<PickupOrder>, PickupAppError> {
    let query = crate::domain::note_check::fold(query.trim());
    let orders = store.pickup_orders(here)?;
    if query.is_empty() {
        return Ok(orders);
    }
    Ok(orders
        .into_iter()
        .filter(|o| {
            crate::domain::note_check::fold(&o.id).starts_with(&query)
                || o.customer_first_name
                    .as_deref()
                    .is_some_and(|n| crate::domain::note_check::fold(n).starts_with(&query))
        })
        .collect())
}

/// What a handover did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandedOver {
    pub handover_id: String,
    pub lines: Vec<Units>,
    pub complete: bool,
    /// What stays ready for a later visit.
    pub left: Vec<Units>,
}

/// Hands over `lines` of the order (everything left when `None`), offline too; refused when
/// the order was already handed over here, or for a product or a quantity the order does not
/// have.
pub fn handover(
    store: &mut Store,
    order_id: &str,
    lines: Option<&[Units]>,
    counter: Counter<'_>,
) -> Result<HandedOver, PickupAppError> {
    let order = store
        .pickup_order(order_id)?
        .filter(|o| o.store == counter.store_code)
        .ok_or_else(|| PickupAppError::UnknownOrder {
            id: order_id.to_owned(),
        })?;
    let left = order.left();
    let wanted = lines.map_or_else(|| left.clone(), <[Units]>::to_vec);
    let (handed, complete) = check_handover(&left, &wanted)?;
    let handover_id = store.record_handover(
        &order.id,
        &handed,
        complete,
        counter.staff,
        counter.terminal,
        counter.store_code,
        counter.now,
    )?;
    tracing::info!(complete, "order handed over");
    let left = crate::domain::pickup::remaining(&left, &handed, &[]);
    Ok(HandedOver {
        handover_id,
        lines: handed,
        complete,
        left,
    })
}

/// An online order as a return sees it: its lines with names, what was paid, what is returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnableOrder {
    pub id: String,
    pub customer: String,
    pub paid_with: String,
    pub lines: Vec<(String, ReturnableLine)>,
    /// Where the order came from: the central now, its copy cached here, or a click-and-collect
    /// order handed over at this store (priced from the catalogue).
    pub source: &'static str,
}

/// [`returnable`], asking the central through the terminal's runtime first.
pub fn returnable_everywhere(
    central: &Central,
    store: &Store,
    id: &str,
    now: i64,
) -> Result<ReturnableOrder, PickupAppError> {
    returnable(
        store,
        id,
        |id| central.ask(store, |client| async move { client.order(id).await }),
        now,
    )
}

/// The product's name for `gtin`, or the code itself when it is not in the catalogue.
pub fn product_name(store: &Store, gtin: &str) -> String {
    crate::domain::gtin::Gtin::parse(gtin)
        .ok()
        .and_then(|g| store.product(&g).ok().flatten())
        .map_or_else(|| gtin.to_owned(), |p| p.name)
}

/// The order `id` as this terminal has it now.
pub fn order(store: &Store, id: &str) -> Result<Option<PickupOrder>, StoreError> {
    store.pickup_order(id)
}

/// The order `id` for a return: the central's account when it answers (cached then), else the
/// cached one, else this store's click-and-collect order. Units returned here count even
/// before the central knows of them.
pub fn returnable(
    store: &Store,
    id: &str,
    fetch: impl FnOnce(&str) -> Result<Option<OrderAnswer>, SyncError>,
    now: i64,
) -> Result<ReturnableOrder, PickupAppError> {
    let id = id.trim();
    let (answer, source) = match fetch(id).map(|answer| answer.map(OnlineOrder::from)) {
        Ok(Some(answer)) => {
            store.cache_online_order(&answer, now)?;
            (Some(answer), "central")
        }
        Ok(None) => (None, "central"),
        Err(error) => {
            tracing::debug!(%error, "order from the cache");
            (store.cached_online_order(id)?, "cache")
        }
    };
    let returned_here = store.returned_here(id)?;
    let here = |gtin: &str| {
        returned_here
            .iter()
            .filter(|u| u.gtin == gtin)
            .map(|u| u.quantity)
            .sum::<i64>()
    };
    if let Some(answer) = answer {
        let lines = answer
            .lines
            .iter()
            .map(|l| {
                (
                    l.name.clone(),
                    ReturnableLine {
                        gtin: l.gtin.clone(),
                        quantity: l.quantity,
                        amount_cents: l.amount_cents,
                        vat_bp: l.vat_bp,
                        returned: l.returned.max(here(&l.gtin)),
                    },
                )
            })
            .collect();
        return Ok(ReturnableOrder {
            id: answer.id,
            customer: answer.customer,
            paid_with: answer.paid_with,
            lines,
            source,
        });
    }
    // A click-and-collect order of this store, priced from the catalogue.
    let order = store
        .pickup_order(id)?
        .ok_or_else(|| PickupAppError::OrderUnavailable { id: id.to_owned() })?;
    let mut lines = Vec::new();
    for line in &order.lines {
        let gtin = crate::domain::gtin::Gtin::parse(&line.gtin)
            .map_err(|e| PickupAppError::Order(e.to_string()))?;
        let product = store
            .product(&gtin)?
            .ok_or_else(|| PickupAppError::Order(format!("product {} unknown", line.gtin)))?;
        lines.push((
            product.name,
            ReturnableLine {
                gtin: line.gtin.clone(),
                quantity: line.quantity,
                amount_cents: product.price.get() * line.quantity,
                vat_bp: product.vat_rate.basis_points(),
                returned: here(&line.gtin),
            },
        ));
    }
    Ok(ReturnableOrder {
        id: order.id,
        customer: order.customer,
        paid_with: "card".to_owned(),
        lines,
        source: "pickup",
    })
}

/// Returns `asked` units of the order (everything still returnable when empty), refunded by
/// `refund` ("card", "cash" or "credit"): stock back here, a return journal entry, the event.
pub fn return_order(
    store: &mut Store,
    order: &ReturnableOrder,
    asked: &[Units],
    refund: &str,
    training: bool,
    counter: Counter<'_>,
) -> Result<(RecordedReturn, Vec<RefundLine>), PickupAppError> {
    if !matches!(refund, "card" | "cash" | "credit") {
        return Err(PickupAppError::BadRefund(refund.to_owned()));
    }
    let lines: Vec<ReturnableLine> = order.lines.iter().map(|(_, l)| l.clone()).collect();
    let asked = if asked.is_empty() {
        lines
            .iter()
            .filter(|l| l.quantity > l.returned)
            .map(|l| Units {
                gtin: l.gtin.clone(),
                quantity: l.quantity - l.returned,
            })
            .collect()
    } else {
        asked.to_vec()
    };
    let refund_lines = check_return(&lines, &asked)?;
    let recorded = store.record_return(&NewReturn {
        order_id: &order.id,
        customer: Some(&order.customer),
        lines: &refund_lines,
        refund,
        refunds: &[],
        sale: None,
        terminal: counter.terminal,
        here_code: counter.store_code,
        staff: counter.staff,
        training,
        at: counter.now,
    })?;
    tracing::info!(
        refund_cents = recorded.refund_cents,
        "online order returned"
    );
    Ok((recorded, refund_lines))
}

/// How the customer gets an order taken at the counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Home,
    /// At a store that has it (this one or another).
    Pickup,
}

/// What ordering a product at the counter gave.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AisleOrdered {
    pub order_number: String,
    pub gtin: String,
    pub name: String,
    pub quantity: i64,
    /// One unit's price; `amount_cents` is what the order costs.
    pub price_cents: i64,
    pub amount_cents: i64,
    pub delivery: &'static str,
    pub pickup_store: Option<String>,
    pub ship_from: Option<String>,
}

/// Orders `quantity` of a product for the identified customer: delivered home from the location
/// that has the most, or to collect at `pickup_store` (by default the store that has it).
#[allow(clippy::too_many_arguments)]
pub fn order_for_customer(
    store: &mut Store,
    customer: &str,
    gtin: &str,
    quantity: i64,
    delivery: Delivery,
    pickup_store: Option<&str>,
    counter: Counter<'_>,
    today: NaiveDate,
) -> Result<AisleOrdered, PickupAppError> {
    if quantity <= 0 {
        return Err(PickupAppError::ZeroQuantity);
    }
    let card = card_for_scan(
        store,
        parse_scan(gtin, &ScanConfig::default()),
        counter.store_code,
        today,
    )?;
    let enough = |kind: Option<LocationKind>| {
        card.stock
            .others
            .iter()
            .filter(|l| l.qty >= quantity && kind.is_none_or(|k| l.kind == k))
            .max_by_key(|l| l.qty)
            .map(|l| l.location_code.clone())
    };
    let (pickup_store, ship_from) = match delivery {
        Delivery::Home => (None, enough(None)),
        Delivery::Pickup => {
            let at = match pickup_store {
                Some(code) => code.to_owned(),
                None => {
                    enough(Some(LocationKind::Store)).ok_or(PickupAppError::NoStoreHasEnough)?
                }
            };
            (Some(at.clone()), Some(at))
        }
    };
    let line = AisleLine {
        gtin: card.product.gtin.as_str().to_owned(),
        quantity,
        price_cents: card.product.price.get(),
    };
    let delivery_word = match delivery {
        Delivery::Home => "home",
        Delivery::Pickup => "pickup",
    };
    let number = store.record_aisle_order(
        customer,
        std::slice::from_ref(&line),
        delivery_word,
        pickup_store.as_deref(),
        ship_from.as_deref(),
        counter.staff,
        counter.terminal,
        counter.store_code,
        counter.now,
    )?;
    Ok(AisleOrdered {
        order_number: number,
        gtin: line.gtin,
        name: card.product.name,
        quantity,
        price_cents: line.price_cents,
        amount_cents: line.price_cents.saturating_mul(quantity),
        delivery: delivery_word,
        pickup_store,
        ship_from,
    })
}
