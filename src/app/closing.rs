//! Day, month and year closings (Z) guarded as the fiscal journal needs: a closing can never be
//! undone (CGI art. 286: an entry is never updated nor deleted), so the manager first sees what
//! it will record, then confirms with their PIN. The preview and the closing are computed by the
//! same store function ([`crate::store::ClosingFigures`]): what is confirmed is what is written.
//! Nothing here writes before the PIN of a manager has been checked.

use crate::app::login::{LoginError, log_in};
use crate::domain::drawer::DrawerCount;
use crate::domain::staff::{LockoutPolicy, StaffRole};
use crate::store::{ClosingFigures, CountResult, Store, StoreError};
pub use crate::store::{ClosingPeriod, ClosingReport};

#[derive(Debug, thiserror::Error)]
pub enum ClosingError {
    /// The PIN was wrong, the account is locked, unknown or the PIN malformed. (Boxed: a
    /// login error carries a store error, and the two side by side make every result large.)
    #[error("the closing needs a manager's PIN: {0}")]
    Login(Box<LoginError>),
    #[error("{login:?} is not a manager: only a manager can close a period")]
    NotManager { login: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<LoginError> for ClosingError {
    fn from(error: LoginError) -> Self {
        ClosingError::Login(Box::new(error))
    }
}

/// What a closing of `period` would record if it were confirmed at `at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosingPreview {
    pub period: ClosingPeriod,
    pub terminal: String,
    /// Unix seconds, UTC: when the preview was computed.
    pub at: i64,
    pub figures: ClosingFigures,
}

/// What a closing of `period` on `terminal` would record at `now`; writes nothing.
pub fn preview(
    store: &mut Store,
    period: ClosingPeriod,
    terminal: &str,
    now: i64,
) -> Result<ClosingPreview, ClosingError> {
    let figures = store.preview_closing(period, terminal)?;
    Ok(ClosingPreview {
        period,
        terminal: terminal.to_owned(),
        at: now,
        figures,
    })
}

/// Writes the closing of `period` once `pin` is checked as the PIN of `login` (a wrong one
/// counts towards the account's lockout, as at the login page) and `login` is a manager. Nothing
/// is written otherwise.
pub fn close_with_pin(
    store: &mut Store,
    login: &str,
    pin: &str,
    period: ClosingPeriod,
    terminal: &str,
    now: i64,
    policy: LockoutPolicy,
) -> Result<ClosingReport, ClosingError> {
    let closed = close_counted_with_pin(
        store,
        ManagerPin { login, pin, policy },
        period,
        terminal,
        now,
        None,
    )?;
    Ok(closed.0)
}

/// Who confirms a closing: a manager's login and the PIN they typed, checked under `policy`.
#[derive(Clone, Copy, Debug)]
pub struct ManagerPin<'a> {
    pub login: &'a str,
    pub pin: &'a str,
    pub policy: LockoutPolicy,
}

/// [`close_with_pin`] after a blind count of the drawer (a day closing on the screen): the
/// count, the cash expected and the difference are journaled in the closing's transaction and
/// come back for the page to show, now that the count can no longer change.
pub fn close_counted_with_pin(
    store: &mut Store,
    manager: ManagerPin<'_>,
    period: ClosingPeriod,
    terminal: &str,
    now: i64,
    count: Option<&DrawerCount>,
) -> Result<(ClosingReport, Option<CountResult>), ClosingError> {
    let member = log_in(store, manager.login, manager.pin, now, manager.policy)?;
    if member.role != StaffRole::Manager {
        tracing::warn!(staff_id = member.id, "closing refused to a non-manager");
        return Err(ClosingError::NotManager {
            login: member.login,
        });
    }
    let span = tracing::info_span!(
        "close_period",
        period = period.as_str(),
        staff_id = member.id
    );
    let _guard = span.enter();
    let (report, counted) =
        store.close_period_counted(period, terminal, Some(&member.login), now, count)?;
    tracing::info!(
        sequence = report.entry_sequence,
        counted = counted.is_some(),
        "period closed"
    );
    Ok((report, counted))
}
