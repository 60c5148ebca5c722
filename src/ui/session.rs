//! The state behind the screen: the database, who is logged in, the customer and the product
//! on show (the basket is the database's open basket). It lives on the app worker thread (see
//! `worker`), never on the UI thread, so the UI never waits on SQLite.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::app::basket::Removal;
use crate::app::central::Central;
use crate::app::pricing::Pricing;
use crate::app::product_card::ProductCard;
use crate::config::Config;
use crate::domain::basket::Basket;
use crate::domain::customer::CustomerView;
use crate::domain::staff::StaffMember;
use crate::store::Store;

use super::format::Lang;

pub struct Session {
    pub store: Store,
    /// The line to the central (on-demand questions), shared with the background sync.
    pub central: Central,
    pub config: Config,
    pub lang: Lang,
    pub staff: Option<StaffMember>,
    /// The last line taken out of the open basket, while « Annuler » is offered.
    pub last_removal: Option<Removal>,
    /// A product whose sale is blocked (expired, recalled), and the quantity asked, while a
    /// manager decides.
    pub blocked: Option<(ProductCard, i64)>,
    /// The product card on show, which "add to basket" adds.
    pub product: Option<ProductCard>,
    /// The identified customer, until their session ends.
    pub customer: Option<CustomerView>,
    /// The click-and-collect order open at the counter, with the items checked so far.
    pub counter_order: Option<super::pickup::CounterOrder>,
    /// The return of an online order being prepared.
    pub return_in_progress: Option<super::returns::ReturnInProgress>,
    /// A return's credit to be spent on new goods (an exchange), until the next payment.
    pub exchange: Option<super::returns::PendingExchange>,
    /// The promotions last read from the database, and when: read again after
    /// [`PRICING_FRESH_FOR`] (a sync may have brought new ones) and at every payment.
    pricing: Mutex<Option<(Instant, Arc<Pricing>)>>,
}

/// How long the screen prices with the promotions it read (the payment always reads them).
const PRICING_FRESH_FOR: Duration = Duration::from_secs(30);

impl Session {
    pub fn new(store: Store, config: Config, central: Central) -> Session {
        let lang = Lang::of(&config.locale);
        Session {
            store,
            central,
            config,
            lang,
            staff: None,
            last_removal: None,
            blocked: None,
            product: None,
            customer: None,
            counter_order: None,
            return_in_progress: None,
            exchange: None,
            pricing: Mutex::new(None),
        }
    }

    /// The promotions to price with; `fresh` reads them from the database whatever their age.
    pub fn pricing(&self, fresh: bool) -> Arc<Pricing> {
        // Only the worker thread holds the session: the lock is never contended, and a panic
        // while it was held left nothing half written (the cache is replaced whole).
        let mut cache = self
            .pricing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, pricing)) = cache.as_ref()
            && !fresh
            && at.elapsed() < PRICING_FRESH_FOR
        {
            return Arc::clone(pricing);
        }
        let pricing = match Pricing::load(&self.store, &self.config.store_code) {
            Ok(pricing) => Arc::new(pricing),
            Err(error) => {
                // Shelf prices rather than no basket: the payment reads the rules again.
                tracing::error!(%error, "cannot read the promotions");
                Arc::new(Pricing::default())
            }
        };
        *cache = Some((Instant::now(), Arc::clone(&pricing)));
        pricing
    }

    /// The identified customer's loyalty tier.
    pub fn tier(&self) -> Option<&str> {
        self.customer
            .as_ref()
            .map(|c| c.tier.as_str())
            .filter(|t| !t.is_empty())
    }

    /// `basket` as it is priced now: the seller's discounts, the promotions, for this customer.
    /// A basket whose discount no longer fits (lines taken out since) shows at shelf prices;
    /// the payment refuses it with the reason.
    pub fn priced(&self, basket: &Basket) -> Basket {
        let mut priced = basket.clone();
        if let Err(error) = self.pricing(false).reprice(&mut priced, self.tier(), now()) {
            tracing::warn!(%error, "the basket cannot be priced");
        }
        priced
    }

    /// Ends the customer's session: product and customer go (a shared tablet keeps nothing of
    /// the previous customer). The open basket stays in the database: it is emptied by its
    /// payment, a line at a time, or parked, never dropped unseen; emptied a line at a time, what
    /// was taken out is journaled now (`app::basket::end_customer`).
    pub fn next_customer(&mut self) {
        let ended =
            crate::app::basket::end_customer(&mut self.store, &self.config.terminal_id, now());
        if let Err(error) = ended {
            tracing::error!(%error, "cannot journal the lines of an abandoned basket");
        }
        self.last_removal = None;
        self.blocked = None;
        self.product = None;
        self.customer = None;
        self.counter_order = None;
        self.return_in_progress = None;
        self.exchange = None;
    }
}

/// Now, in Unix seconds, UTC.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
