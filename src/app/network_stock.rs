//! Fresh network stock for a product on show: when the terminal is enrolled, the central is
//! asked on the terminal's runtime while the card shows the cached levels and their age; the
//! answer is then cached in the stock table (with the central's time) by the caller's own
//! connection, and the card re-read from it. Offline, the cached levels stay.

use crate::app::central::Central;
use crate::app::product_card::ProductCard;
use crate::domain::catalog::StockView;
use crate::store::received::StockLevels;
use crate::store::{Store, StoreError};
use crate::sync::protocol::StockAnswer;

/// Asks the central for `gtin`'s stock everywhere; `then` gets the answer on the runtime (hand
/// it to [`take`] on the thread that owns the store). Not enrolled or unreachable: `then` is not
/// called.
pub fn ask(
    central: &Central,
    store: &Store,
    gtin: &str,
    then: impl FnOnce(StockAnswer) + Send + 'static,
) {
    let gtin = gtin.to_owned();
    let asked = central.ask_later(
        store,
        |client| async move { client.stock(&gtin).await },
        |answer| match answer {
            Ok(answer) => then(answer),
            Err(error) => tracing::debug!(%error, "fresh network stock unavailable"),
        },
    );
    if let Err(error) = asked {
        // Not enrolled: the cached levels are all there is.
        tracing::debug!(%error, "network stock not asked");
    }
}

/// Caches `answer` in the stock table, with the central's time.
pub fn take(store: &mut Store, answer: &StockAnswer) -> Result<(), StoreError> {
    store.apply_fresh_stock(&StockLevels::from(answer.clone()))
}

/// Re-reads `card`'s stock from the cache when `answer` was about its product. Returns whether
/// the card changed.
pub fn restock(
    store: &Store,
    answer: &StockAnswer,
    card: &mut ProductCard,
    here: &str,
) -> Result<bool, StoreError> {
    if card.product.gtin.as_str() != answer.gtin {
        return Ok(false);
    }
    // Only the stock changes: what the scan carried (expiry, lot, weight) stays.
    card.stock = StockView::from_levels(store.stock_levels(&card.product.gtin)?, here);
    Ok(true)
}
