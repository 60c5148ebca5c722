//! Knowing the customer: identify them (a signed loyalty code, an id, a search), show their 360°
//! view (from the central when online, else the cache, else what the code itself says), bring
//! their online cart into the basket, and record what the GDPR asks: consents, factual notes,
//! access and erasure requests, and every opening of a record in the access log.
//!
//! The network is the caller's business: the functions here take a `fetch` closure, so the CLI
//! can block on the central while the UI answers from the cache first and refreshes later.

use chrono::NaiveDate;

use crate::app::central::Central;
use crate::app::checkout::{CheckoutError, line_for_card};
use crate::app::product_card::{ProductCardError, card_for_scan};
use crate::domain::basket::{Basket, BasketError};
use crate::domain::catalog::{LocationKind, StockLevel};
use crate::domain::customer::{
    Channel, Consent, CustomerError, CustomerHit, CustomerView, NewCustomer, PrivacyRequestKind,
    ViewSource,
};
use crate::domain::loyalty::offline_balance;
use crate::domain::note_check::watched_words;
use crate::domain::scan::{LOYALTY_PREFIX, ScanConfig, parse_scan};
use crate::domain::signed_code::{CodeError, LoyaltyClaims, verify_loyalty};
use crate::store::{CachedCustomer, Store, StoreError};
use crate::sync::client::SyncError;

#[derive(Debug, thiserror::Error)]
pub enum CustomerAppError {
    #[error("loyalty code refused: {0}")]
    Code(#[from] CodeError),
    #[error("no customer {id} on this terminal, and the central cannot be asked")]
    Unknown { id: String },
    #[error("the central does not know customer {id}")]
    UnknownAtCentral { id: String },
    #[error("customer {id}'s data was erased at their request: nothing is kept about them")]
    Erased { id: String },
    #[error("{0}")]
    Invalid(#[from] CustomerError),
    #[error("this note may not be factual: it mentions {}. Rephrase it, or confirm to save it as it is", .words.join(", "))]
    NoteNotFactual { words: Vec<String> },
    #[error("the note is empty")]
    EmptyNote,
    #[error("type at least three letters, an e-mail address or a phone number")]
    QueryTooShort,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who is at the counter, and on which terminal: the access log and the events name them.
#[derive(Clone, Copy, Debug)]
pub struct Counter<'a> {
    /// The staff login, or "kiosk" for a customer looking themselves up at a kiosk.
    pub staff: &'a str,
    pub terminal: &'a str,
    pub store_code: &'a str,
    /// Unix seconds, UTC.
    pub now: i64,
}

/// A customer named by a scanned or typed loyalty code (checked), or by their id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identified {
    pub id: String,
    pub claims: Option<LoyaltyClaims>,
}

/// Reads `input`: a loyalty code is verified against the central's key; anything else is an id.
/// A customer the central erased is refused, by code or by id.
pub fn identify(store: &Store, input: &str) -> Result<Identified, CustomerAppError> {
    let input = input.trim();
    // The scanner may have put an AIM prefix ("]Q1") before the code.
    let who = match input.find(LOYALTY_PREFIX) {
        Some(start) => {
            let key = store.central_public_key()?.unwrap_or_default();
            let claims = verify_loyalty(&input[start..], &key)?;
            Identified {
                id: claims.customer_id.clone(),
                claims: Some(claims),
            }
        }
        None => Identified {
            id: input.to_owned(),
            claims: None,
        },
    };
    if store.is_erased(&who.id)? {
        return Err(CustomerAppError::Erased { id: who.id });
    }
    Ok(who)
}

/// Refuses a customer nobody vouches for before a sale or an order is made for them (issue 20:
/// `sell --customer NOPE` earned points for no one). A signed code vouches by itself; else the
/// terminal's cache; else `fetch` (the central, on demand: since issue 19 the cache holds only
/// this store's customers). Offline, an id that is neither cached nor signed is refused.
pub fn confirm_known(
    store: &Store,
    who: &Identified,
    fetch: impl FnOnce(&str) -> Result<Option<CustomerView>, SyncError>,
) -> Result<(), CustomerAppError> {
    if who.claims.is_some()
        || store.customer(&who.id)?.is_some()
        || store.cached_customer_view(&who.id)?.is_some()
    {
        return Ok(());
    }
    match fetch(&who.id) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(CustomerAppError::UnknownAtCentral { id: who.id.clone() }),
        Err(error) => {
            tracing::debug!(%error, "the central cannot confirm a customer");
            Err(CustomerAppError::Unknown { id: who.id.clone() })
        }
    }
}

/// The customer's view: from `fetch` (the central) when it answers, cached then; otherwise the
/// cached view, the cached customer row, or the signed code's claims. Balances add this
/// terminal's unconfirmed points; notes and consents recorded here since the view are added.
/// Every opening is written to the access log.
pub fn open_customer(
    store: &mut Store,
    who: &Identified,
    counter: Counter<'_>,
    fetch: impl FnOnce(&str) -> Result<Option<CustomerView>, SyncError>,
) -> Result<CustomerView, CustomerAppError> {
    let acked_before = store.acked_seq()?;
    let fetched = match fetch(&who.id) {
        Ok(Some(view)) => {
            store.cache_customer_view(&view, acked_before)?;
            Some(view)
        }
        Ok(None) => {
            // The central answered and does not know this id: a customer created here and not
            // merged yet is still shown from the cache.
            if store.customer(&who.id)?.is_none_or(|c| !c.local) {
                return Err(CustomerAppError::UnknownAtCentral { id: who.id.clone() });
            }
            None
        }
        Err(error) => {
            tracing::debug!(%error, "customer view from the cache");
            None
        }
    };
    let view = match fetched {
        Some(view) => view,
        None => offline_view(store, who)?,
    };
    let view = with_local_facts(store, view)?;
    store.log_customer_access(
        &view.id,
        counter.staff,
        counter.terminal,
        counter.store_code,
        counter.now,
    )?;
    Ok(view)
}

/// A fresher view of a customer already open, asked of `fetch` (the central) and cached. It is
/// the same opening, so it is not logged again; `None` when the central does not answer or does
/// not know the id (the page on show stays as it is). Add `with_local_facts` before showing it.
pub fn fetch_fresh_view(
    store: &mut Store,
    id: &str,
    fetch: impl FnOnce(&Store, &str) -> Result<Option<CustomerView>, SyncError>,
) -> Result<Option<CustomerView>, CustomerAppError> {
    // Read before asking: a movement the central acknowledges meanwhile is then not counted twice.
    let acked_before = store.acked_seq()?;
    match fetch(store, id) {
        Ok(Some(view)) => {
            store.cache_customer_view(&view, acked_before)?;
            Ok(Some(view))
        }
        Ok(None) => Ok(None),
        Err(error) => {
            tracing::debug!(%error, "fresh customer view unavailable");
            Ok(None)
        }
    }
}

/// Opens `who` from the terminal's cache alone, for a screen that answers at once and asks the
/// central afterwards ([`ask_fresh_view`]). The opening is in the access log as any other.
pub fn open_cached(
    store: &mut Store,
    who: &Identified,
    counter: Counter<'_>,
) -> Result<CustomerView, CustomerAppError> {
    open_customer(store, who, counter, |_| Err(SyncError::NotEnrolled))
}

/// A fresher view of a customer, as the central gave it, waiting to be cached by
/// [`take_fresh_view`] on the thread that owns the store.
#[derive(Debug)]
pub struct FreshView {
    acked_before: i64,
    view: CustomerView,
}

impl FreshView {
    pub fn id(&self) -> &str {
        &self.view.id
    }
}

/// Asks the central for customer `id`'s view on the terminal's runtime; `then` gets it there.
/// Not enrolled, unreachable, or a customer the central does not know: `then` is not called,
/// the cached view stays.
pub fn ask_fresh_view(
    central: &Central,
    store: &Store,
    id: &str,
    then: impl FnOnce(FreshView) + Send + 'static,
) -> Result<(), CustomerAppError> {
    // Read before asking: a movement the central acknowledges meanwhile is then not counted twice.
    let acked_before = store.acked_seq()?;
    let id = id.to_owned();
    let asked = central.ask_later(
        store,
        |client| async move { client.customer_view(&id).await },
        move |answer| match answer {
            Ok(Some(view)) => then(FreshView { acked_before, view }),
            Ok(None) => tracing::debug!("the central does not know the customer on show"),
            Err(error) => tracing::debug!(%error, "fresh customer view unavailable"),
        },
    );
    if let Err(error) = asked {
        tracing::debug!(%error, "customer view not asked");
    }
    Ok(())
}

/// Caches a fresher view and returns it with this terminal's own facts added.
pub fn take_fresh_view(
    store: &mut Store,
    fresh: FreshView,
) -> Result<CustomerView, CustomerAppError> {
    store.cache_customer_view(&fresh.view, fresh.acked_before)?;
    with_local_facts(store, fresh.view)
}

/// [`search`], asking the central through the terminal's runtime first.
pub fn search_everywhere(
    central: &Central,
    store: &Store,
    query: &str,
) -> Result<(Vec<CustomerHit>, SearchSource), CustomerAppError> {
    search(store, query, |q| {
        central.ask(store, |client| async move {
            Ok(client.search_customers(q, 20).await?.hits)
        })
    })
}

/// The balance the till may rely on: the central's last word plus this terminal's movements it
/// has not reflected yet (0 for a customer known only by their code).
pub fn points_balance(store: &Store, id: &str) -> Result<i64, CustomerAppError> {
    let last_known = match store.customer(id)? {
        Some(row) => row.loyalty_points,
        None => store
            .cached_customer_view(id)?
            .map_or(0, |view| view.loyalty_points),
    };
    Ok(offline_balance(last_known, store.unsettled_points(id)?))
}

/// The best view without the central.
fn offline_view(store: &Store, who: &Identified) -> Result<CustomerView, CustomerAppError> {
    if let Some(view) = store.cached_customer_view(&who.id)? {
        return Ok(CustomerView {
            source: ViewSource::Cache,
            ..view
        });
    }
    if let Some(row) = store.customer(&who.id)? {
        return Ok(view_of_row(&row));
    }
    match &who.claims {
        Some(claims) => Ok(CustomerView::from_code(claims)),
        None => Err(CustomerAppError::Unknown { id: who.id.clone() }),
    }
}

/// A view from the cached customer row alone (no history known here).
fn view_of_row(row: &CachedCustomer) -> CustomerView {
    CustomerView {
        id: row.id.clone(),
        first_name: row.first_name.clone(),
        last_name: row.last_name.clone(),
        email: row.email.clone(),
        phone: row.phone.clone(),
        tier: row.tier.clone(),
        loyalty_points: row.loyalty_points,
        consents: Channel::ALL
            .iter()
            .map(|&channel| Consent {
                channel,
                granted: false,
                at: None,
            })
            .collect(),
        purchases: Vec::new(),
        returns: Vec::new(),
        online_cart: Vec::new(),
        wishlist: Vec::new(),
        notes: Vec::new(),
        source: ViewSource::Cache,
        fetched_at: row.updated_at,
    }
}

/// Adds what this terminal knows and the view may not: the unconfirmed points, newer consents,
/// notes written here.
pub fn with_local_facts(
    store: &Store,
    mut view: CustomerView,
) -> Result<CustomerView, CustomerAppError> {
    view.loyalty_points = points_balance(store, &view.id)?;
    for local in store.local_consents(&view.id)? {
        match view
            .consents
            .iter_mut()
            .find(|c| c.channel == local.channel)
        {
            Some(consent) if consent.at.unwrap_or(i64::MIN) <= local.at.unwrap_or(i64::MIN) => {
                *consent = local;
            }
            Some(_) => {}
            None => view.consents.push(local),
        }
    }
    for note in store.local_notes(&view.id)? {
        if !view.notes.contains(&note) {
            view.notes.push(note);
        }
    }
    view.notes.sort_by_key(|n| std::cmp::Reverse(n.at));
    Ok(view)
}

/// Where the search answered from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchSource {
    Central,
    Cache,
}

/// Customers matching a name, an e-mail or a phone number: the central's answer when it gives
/// one, else the store's cache.
pub fn search(
    store: &Store,
    query: &str,
    fetch: impl FnOnce(&str) -> Result<Vec<CustomerHit>, SyncError>,
) -> Result<(Vec<CustomerHit>, SearchSource), CustomerAppError> {
    let query = query.trim();
    if query.chars().filter(|c| c.is_alphanumeric()).count() < 3 {
        return Err(CustomerAppError::QueryTooShort);
    }
    match fetch(query) {
        Ok(hits) => Ok((hits, SearchSource::Central)),
        Err(error) => {
            tracing::debug!(%error, "customer search in the cache");
            Ok((
                store.search_cached_customers(query, 20)?,
                SearchSource::Cache,
            ))
        }
    }
}

/// Creates a customer at the counter (offline too); returns the terminal's id for them until
/// the central answers with the chain's.
pub fn create(
    store: &mut Store,
    new: NewCustomer,
    counter: Counter<'_>,
) -> Result<String, CustomerAppError> {
    let new = new.checked()?;
    Ok(store.create_customer(&new, counter.store_code, counter.now)?)
}

/// Saves a note. Unless `confirmed`, a note with watched words is refused with the words, so
/// staff can rephrase or confirm.
pub fn add_note(
    store: &mut Store,
    customer: &str,
    text: &str,
    watch_words: &[String],
    confirmed: bool,
    counter: Counter<'_>,
) -> Result<(), CustomerAppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CustomerAppError::EmptyNote);
    }
    let words = watched_words(text, watch_words);
    if !words.is_empty() && !confirmed {
        return Err(CustomerAppError::NoteNotFactual { words });
    }
    store.add_customer_note(customer, text, counter.staff, counter.now)?;
    Ok(())
}

/// Records a consent given or withdrawn for one channel.
pub fn set_consent(
    store: &mut Store,
    customer: &str,
    channel: Channel,
    granted: bool,
    counter: Counter<'_>,
) -> Result<(), CustomerAppError> {
    store.record_consent(customer, channel, granted, counter.staff, counter.now)?;
    Ok(())
}

/// Records an access or erasure request made at the counter.
pub fn privacy_request(
    store: &mut Store,
    customer: &str,
    kind: PrivacyRequestKind,
    counter: Counter<'_>,
) -> Result<(), CustomerAppError> {
    store.record_privacy_request(
        customer,
        kind,
        counter.staff,
        counter.store_code,
        counter.now,
    )?;
    Ok(())
}

/// One online cart line as it went (or did not go) into the basket.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CartLineOutcome {
    pub gtin: String,
    pub name: String,
    pub quantity: i64,
    pub online_price_cents: i64,
    /// `None` when the product is not in this store's catalogue.
    pub store_price_cents: Option<i64>,
    /// Store price minus online price (positive: dearer in store).
    pub difference_cents: Option<i64>,
    pub stock_here: i64,
    /// When there is not enough here: the other location that has the most of it (other stores
    /// before warehouses).
    pub available_at: Option<Availability>,
    pub added: bool,
    /// Why it was not added, in words for the CLI.
    pub problem: Option<String>,
    /// Why it was not added, as a kind a screen words in its language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<CartLineRefusal>,
}

/// Why a line of the online cart is not in the basket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CartLineRefusal {
    /// The store's catalogue has no product with this code.
    NotInCatalogue,
    /// Sold by weight: the weighed item's label is to be scanned.
    NeedsWeight,
    /// Priced by its own label: each item is to be scanned.
    LabelPriced,
    /// Anything else (logged).
    Other,
}

impl CartLineRefusal {
    fn of_card(error: &ProductCardError) -> Self {
        match error {
            ProductCardError::Unreadable(_)
            | ProductCardError::NotAProduct { .. }
            | ProductCardError::UnknownGtin { .. }
            | ProductCardError::UnknownItemCode { .. } => CartLineRefusal::NotInCatalogue,
            ProductCardError::Pricing(_) | ProductCardError::Store(_) => CartLineRefusal::Other,
        }
    }

    fn of_checkout(error: &CheckoutError) -> Self {
        match error {
            CheckoutError::Product(card) => Self::of_card(card),
            CheckoutError::NeedsWeight { .. } => CartLineRefusal::NeedsWeight,
            CheckoutError::Basket(BasketError::LabelPricedQuantity { .. }) => {
                CartLineRefusal::LabelPriced
            }
            _ => CartLineRefusal::Other,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Availability {
    pub location_code: String,
    pub location_name: String,
    /// "store" or "warehouse".
    pub kind: &'static str,
    pub qty: i64,
}

/// Checks the customer's online cart against this store without touching the basket: the
/// store's price and the difference, the stock here, and where else it is.
pub fn check_cart(
    store: &Store,
    view: &CustomerView,
    here: &str,
    today: NaiveDate,
) -> Result<Vec<CartLineOutcome>, CustomerAppError> {
    cart_lines(store, view, None, here, today)
}

/// Brings every line of the customer's online cart into the basket at the store's price, and
/// says for each the price difference and whether it is in stock here (else where it is).
pub fn cart_to_basket(
    store: &Store,
    view: &CustomerView,
    basket: &mut Basket,
    here: &str,
    today: NaiveDate,
) -> Result<Vec<CartLineOutcome>, CustomerAppError> {
    cart_lines(store, view, Some(basket), here, today)
}

fn cart_lines(
    store: &Store,
    view: &CustomerView,
    mut basket: Option<&mut Basket>,
    here: &str,
    today: NaiveDate,
) -> Result<Vec<CartLineOutcome>, CustomerAppError> {
    let mut outcomes = Vec::with_capacity(view.online_cart.len());
    for item in &view.online_cart {
        let mut outcome = CartLineOutcome {
            gtin: item.gtin.clone(),
            name: item.name.clone(),
            quantity: item.quantity,
            online_price_cents: item.online_price_cents,
            store_price_cents: None,
            difference_cents: None,
            stock_here: 0,
            available_at: None,
            added: false,
            problem: None,
            refusal: None,
        };
        let scan = parse_scan(&item.gtin, &ScanConfig::default());
        match card_for_scan(store, scan, here, today) {
            Ok(card) => {
                let price = card.product.price.get();
                outcome.store_price_cents = Some(price);
                outcome.difference_cents = Some(price - item.online_price_cents);
                outcome.stock_here = card.stock.qty_here();
                if outcome.stock_here < item.quantity {
                    outcome.available_at = best_elsewhere(&card.stock.others, item.quantity);
                }
                let line = line_for_card(&card, item.quantity);
                match (line, basket.as_deref_mut()) {
                    (Ok(line), Some(basket)) => match basket.add(line) {
                        Ok(_) => outcome.added = true,
                        Err(error) => outcome.refuse(&CheckoutError::from(error)),
                    },
                    (Ok(_), None) => {}
                    (Err(error), _) => outcome.refuse(&error),
                }
            }
            Err(ProductCardError::Store(error)) => return Err(error.into()),
            Err(error) => outcome.refuse(&CheckoutError::Product(error)),
        }
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

impl CartLineOutcome {
    fn refuse(&mut self, error: &CheckoutError) {
        self.refusal = Some(CartLineRefusal::of_checkout(error));
        self.problem = Some(error.to_string());
    }
}

/// Where else `wanted` units are: stores before warehouses, then the most stock.
fn best_elsewhere(others: &[StockLevel], wanted: i64) -> Option<Availability> {
    others
        .iter()
        .filter(|l| l.qty > 0)
        .max_by_key(|l| {
            (
                l.qty >= wanted,
                l.kind == LocationKind::Store,
                l.qty,
                std::cmp::Reverse(l.location_code.clone()),
            )
        })
        .map(|l| Availability {
            location_code: l.location_code.clone(),
            location_name: l.location_name.clone(),
            kind: l.kind.as_str(),
            qty: l.qty,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(code: &str, kind: LocationKind, qty: i64) -> StockLevel {
        StockLevel {
            location_code: code.into(),
            location_name: code.into(),
            kind,
            qty,
            as_of: 0,
        }
    }

    #[test]
    fn elsewhere_prefers_enough_then_stores_then_quantity() {
        let others = [
            level("LYO-01", LocationKind::Store, 1),
            level("ENT-ORL", LocationKind::Warehouse, 300),
            level("MRS-01", LocationKind::Store, 5),
            level("BDX-01", LocationKind::Store, 0),
        ];
        assert_eq!(
            best_elsewhere(&others, 2).map(|a| a.location_code),
            Some("MRS-01".to_owned())
        );
        assert_eq!(
            best_elsewhere(&others, 10).map(|a| a.location_code),
            Some("ENT-ORL".to_owned())
        );
        assert_eq!(best_elsewhere(&others[3..], 1), None);
    }
}
