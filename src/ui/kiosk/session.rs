//! The kiosk's state behind the screen, owned by its app worker thread: the database, the
//! configuration and the customer on show. No staff member, no basket: a kiosk sells nothing.

use crate::app::central::Central;
use crate::config::Config;
use crate::domain::customer::KioskCustomer;
use crate::store::Store;
use crate::ui::format::Lang;

pub struct KioskSession {
    pub store: Store,
    /// The line to the central (on-demand questions), shared with the background sync.
    pub central: Central,
    pub config: Config,
    pub lang: Lang,
    /// The customer whose card was scanned, until the idle wipe or "Accueil".
    pub customer: Option<ShownCustomer>,
    /// The GTIN of the product on show, to show it again in the other language.
    pub shown_product: Option<String>,
    /// The id of the call for a seller made during this visit, to tell the customer when a
    /// seller answers it.
    pub call: Option<String>,
}

/// The customer on show: their id (to match a fresher view from the central) and what the
/// kiosk may show of them.
pub struct ShownCustomer {
    pub id: String,
    pub view: KioskCustomer,
}

impl KioskSession {
    pub fn new(store: Store, config: Config, central: Central) -> KioskSession {
        let lang = Lang::of(&config.locale);
        KioskSession {
            store,
            central,
            config,
            lang,
            customer: None,
            shown_product: None,
            call: None,
        }
    }

    /// The wipe's Rust half: nothing about the customer stays in memory, and the next one reads
    /// the store's language.
    pub fn forget_customer(&mut self) {
        self.customer = None;
        self.shown_product = None;
        self.call = None;
        self.lang = Lang::of(&self.config.locale);
    }

    /// The name of the store this kiosk stands in (its code when the name is not known).
    pub fn here_name(&self) -> String {
        crate::app::terminal::store_name(&self.store, &self.config.store_code)
    }
}
