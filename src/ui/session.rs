//! The state behind the screen: the database, who is logged in, the customer and the product
//! on show (the basket is the database's open basket). It lives on the app worker thread (see
//! `worker`), never on the UI thread, so the UI never waits on SQLite.

use crate::app::basket::Removal;
use crate::app::central::Central;
use crate::app::product_card::ProductCard;
use crate::config::Config;
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
}

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
        }
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
    }
}

/// Now, in Unix seconds, UTC.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
