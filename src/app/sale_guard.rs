//! An expired product or a recalled lot at the till (issue 14): [`sale_block`] says whether a
//! scanned unit may be sold, and a manager's override lets it through with a reason that goes
//! into the fiscal journal (who, what, why), so an auditor or the quality team can find it.
//!
//! The UI calls [`sale_block`] on every scan that goes into the basket and, when the manager
//! confirms, [`authorize_override`] (journaled at once, in its own transaction). `comptoir sell`
//! checks the manager with [`check_manager`] and journals [`override_entry`] in the sale's own
//! transaction instead (see `checkout::checkout_with_overrides`).
//!
//! Never logged: the override's reason (free text) and the scanned code; a staff id is fine.

use crate::app::login::{LoginError, log_in};
use crate::app::product_card::ProductCard;
use crate::domain::gtin::Gtin;
use crate::domain::sale_guard::{self, SaleBlock};
use crate::domain::staff::{LockoutPolicy, StaffMember, StaffRole};
use crate::store::{EntryDraft, Store, StoreError};

pub use crate::domain::discount::MAX_REASON_CHARS;

#[derive(Debug, thiserror::Error)]
pub enum OverrideError {
    #[error("say why the product is sold anyway: the reason is journaled")]
    BlankReason,
    #[error("the reason is too long ({chars} characters, at most {MAX_REASON_CHARS})")]
    ReasonTooLong { chars: usize },
    #[error("{0}")]
    Login(#[from] LoginError),
    #[error("{login} is not a manager: only a manager may sell an expired or recalled product")]
    NotAManager { login: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What blocks the sale of the unit `card` was scanned from: its expiry date has passed, or a
/// recall in force covers its product or its lot (see `domain::sale_guard::sale_block` for the
/// rule, including a scan with no lot of a product whose lot is recalled). `None`: sell it.
pub fn sale_block(store: &Store, card: &ProductCard) -> Result<Option<SaleBlock>, StoreError> {
    let recalls = store.recalls_in_force(&card.product.gtin)?;
    let details = &card.details;
    let expired_on = details.expiry.filter(|_| details.expired);
    Ok(sale_guard::sale_block(
        expired_on,
        details.lot.as_deref(),
        &recalls,
    ))
}

/// The override's reason, trimmed; refused when blank or too long.
pub fn checked_reason(reason: &str) -> Result<&str, OverrideError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(OverrideError::BlankReason);
    }
    let chars = reason.chars().count();
    if chars > MAX_REASON_CHARS {
        return Err(OverrideError::ReasonTooLong { chars });
    }
    Ok(reason)
}

/// Checks `login`'s PIN (a wrong one counts towards the account's lockout, as at the login
/// page) and that they are a manager. `now` is Unix seconds, UTC.
pub fn check_manager(
    store: &Store,
    login: &str,
    pin: &str,
    now: i64,
) -> Result<StaffMember, OverrideError> {
    // The same policy as the login page: an override must not be a way round the lockout.
    let member = log_in(store, login, pin, now, LockoutPolicy::default())?;
    if member.role != StaffRole::Manager {
        tracing::warn!(staff_id = member.id, "sale override refused: not a manager");
        return Err(OverrideError::NotAManager {
            login: member.login,
        });
    }
    Ok(member)
}

/// The journal entry of `manager`'s override of `block` for the product `gtin`: a technical
/// entry whose operator is the manager's login and whose detail reads, for example,
/// `override expired 03760000000017 (expiry 2024-01-31): damaged label, checked by hand` or
/// `override recalled 03760000000017 lot L123: lot checked with the supplier`.
pub fn override_entry(
    manager: &StaffMember,
    reason: &str,
    block: &SaleBlock,
    gtin: &Gtin,
    terminal_id: &str,
    now: i64,
) -> Result<EntryDraft, OverrideError> {
    let reason = checked_reason(reason)?;
    let what = match block {
        SaleBlock::Expired { expiry } => format!("expired {gtin} (expiry {expiry})"),
        SaleBlock::Recalled { lot: Some(lot), .. } => format!("recalled {gtin} lot {lot}"),
        SaleBlock::Recalled { lot: None, .. } => format!("recalled {gtin} (all lots)"),
    };
    Ok(EntryDraft::technical(
        terminal_id,
        Some(&manager.login),
        &format!("override {what}: {reason}"),
        now,
    ))
}

/// A manager lets one blocked unit through: checks the reason (not blank), `login`'s PIN and
/// role (a manager), then journals the override at once, in its own transaction. Nothing is
/// journaled when any check fails. `now` is Unix seconds, UTC.
#[allow(clippy::too_many_arguments)]
pub fn authorize_override(
    store: &mut Store,
    login: &str,
    pin: &str,
    reason: &str,
    block: &SaleBlock,
    gtin: &Gtin,
    terminal_id: &str,
    now: i64,
) -> Result<(), OverrideError> {
    // The reason first: a blank one must not cost the manager a PIN attempt.
    checked_reason(reason)?;
    let manager = check_manager(store, login, pin, now)?;
    let entry = override_entry(&manager, reason, block, gtin, terminal_id, now)?;
    store.journal_event(entry)?;
    tracing::info!(
        staff_id = manager.id,
        kind = block.kind(),
        "sale override journaled"
    );
    Ok(())
}
