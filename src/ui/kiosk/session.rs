//! The kiosk's state behind the screen, owned by its app worker thread: the database, the
//! configuration and the customer on show. No staff member, no basket: a kiosk sells nothing.

use crate::config::Config;
use crate::domain::customer::KioskCustomer;
use crate::store::Store;
use crate::ui::format::Lang;

pub struct KioskSession {
    pub store: Store,
    pub config: Config,
    pub lang: Lang,
    /// The customer whose card was scanned, until the idle wipe or "Accueil".
    pub customer: Option<ShownCustomer>,
}

/// The customer on show: their id (to match a fresher view from the central) and what the
/// kiosk may show of them.
pub struct ShownCustomer {
    pub id: String,
    pub view: KioskCustomer,
}

impl KioskSession {
    pub fn new(store: Store, config: Config) -> KioskSession {
        let lang = Lang::of(&config.locale);
        KioskSession {
            store,
            config,
            lang,
            customer: None,
        }
    }

    /// The wipe's Rust half: nothing about the customer stays in memory.
    pub fn forget_customer(&mut self) {
        self.customer = None;
    }

    /// The name of the store this kiosk stands in (its code when the name is not known).
    pub fn here_name(&self) -> String {
        let code = &self.config.store_code;
        self.store
            .location_name(code)
            .ok()
            .flatten()
            .unwrap_or_else(|| code.clone())
    }
}
