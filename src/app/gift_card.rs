//! Selling a gift card at the till (issue 16): a code nobody can guess, the amount checked,
//! paid in full by card or cash (a gift card does not buy a gift card), journaled without VAT,
//! spendable at once here and, after the next sync, in every store. A cash sale opens the
//! drawer.

use crate::config::Config;
use crate::devices::printer::PrinterError;
use crate::domain::gift_card::{self, GiftCardError};
use crate::store::{NewGiftCard, SoldGiftCard, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum GiftCardSaleError {
    #[error(transparent)]
    Amount(#[from] GiftCardError),
    #[error("a gift card is paid by card or cash, not {0:?}")]
    Method(String),
    #[error("training mode is on: a gift card sold now would hold real money; leave it first")]
    Training,
    #[error("no random code could be drawn: {0}")]
    Random(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A gift card sold, and whether the drawer opened when it was paid in cash.
#[derive(Debug)]
pub struct GiftCardSold {
    pub card: SoldGiftCard,
    pub kick_failed: Option<PrinterError>,
}

/// Sells a gift card of `euros` (as typed) paid by `method`.
pub fn sell(
    store: &mut Store,
    config: &Config,
    operator: &str,
    euros: &str,
    method: &str,
    now: i64,
) -> Result<GiftCardSold, GiftCardSaleError> {
    let amount = gift_card::amount(euros)?;
    if !matches!(method, "card" | "cash") {
        return Err(GiftCardSaleError::Method(method.chars().take(20).collect()));
    }
    if store.training_mode()? {
        return Err(GiftCardSaleError::Training);
    }
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| GiftCardSaleError::Random(e.to_string()))?;
    let code = gift_card::code_from(random);
    let card = store.sell_gift_card(&NewGiftCard {
        terminal: &config.terminal_id,
        here_code: &config.store_code,
        operator: Some(operator),
        code: &code,
        amount_cents: amount.get(),
        method,
        now,
    })?;
    tracing::info!(ticket = %card.ticket, amount = card.amount_cents, "gift card sold");
    let kick_failed = if method == "cash" {
        super::drawer::kick(config).err()
    } else {
        None
    };
    Ok(GiftCardSold { card, kick_failed })
}
