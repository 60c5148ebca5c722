//! « Réserver » on the kiosk (issue 17): a customer who scanned their loyalty card reserves the
//! product on show in another store that has it, to collect and pay there. It is the endless
//! aisle's order, as a seller takes it at the counter: recorded here (offline too) with its
//! number, sent with the next sync, and made a click-and-collect order of that store by the
//! central.

use crate::app::customer::Counter;
use crate::app::pickup::{Delivery, PickupAppError, order_for_customer};
use crate::domain::catalog::LocationKind;
use crate::domain::gtin::Gtin;
use crate::ui::KioskReserveProblem;
use crate::ui::session::now;

use super::customer::KIOSK_STAFF;
use super::session::KioskSession;

/// A reservation made: its number, and the store the customer collects it from.
pub struct Reserved {
    pub number: String,
    pub store_name: String,
}

/// Reserves one of the product on show at the store `store_code` for the customer on show.
pub fn reserve(
    session: &mut KioskSession,
    store_code: &str,
) -> Result<Reserved, KioskReserveProblem> {
    let customer = session
        .customer
        .as_ref()
        .map(|shown| shown.id.clone())
        .ok_or(KioskReserveProblem::NoCard)?;
    let gtin = session
        .shown_product
        .as_deref()
        .and_then(|text| Gtin::parse(text).ok())
        .ok_or(KioskReserveProblem::Failed)?;
    // Only another store that has it, as the page offered: not a warehouse, not this store.
    let levels = session.store.stock_levels(&gtin).map_err(|error| {
        tracing::error!(%error, "the kiosk cannot read the stock to reserve");
        KioskReserveProblem::Failed
    })?;
    let there = levels
        .into_iter()
        .find(|level| {
            level.location_code == store_code
                && level.kind == LocationKind::Store
                && store_code != session.config.store_code
        })
        .ok_or(KioskReserveProblem::NotThere)?;
    if there.qty < 1 {
        return Err(KioskReserveProblem::NotThere);
    }
    let (terminal, here) = (
        session.config.terminal_id.clone(),
        session.config.store_code.clone(),
    );
    let ordered = order_for_customer(
        &mut session.store,
        &customer,
        gtin.as_str(),
        1,
        Delivery::Pickup,
        Some(store_code),
        Counter {
            staff: KIOSK_STAFF,
            terminal: &terminal,
            store_code: &here,
            now: now(),
        },
        chrono::Utc::now().date_naive(),
    )
    .map_err(|error| match error {
        PickupAppError::NoStoreHasEnough => KioskReserveProblem::NotThere,
        other => {
            tracing::error!(error = %other, "the kiosk's reservation failed");
            KioskReserveProblem::Failed
        }
    })?;
    tracing::info!(order = %ordered.order_number, "reserved at the kiosk");
    Ok(Reserved {
        number: ordered.order_number,
        store_name: there.location_name,
    })
}
