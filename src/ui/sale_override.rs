//! The manager's override of a blocked product (expired, recalled) on screen: the dialog shows
//! what blocks it, a manager picks their name, a reason and types their PIN; `app::basket`
//! checks them, journals the override and adds the product. A wrong PIN counts towards the
//! manager's lockout, as at the login page.

use slint::{ComponentHandle, SharedString};

use crate::app::basket::{ManagerApproval, Till, add_overridden};
use crate::app::checkout::CheckoutError;
use crate::app::login::LoginError;
use crate::app::product_card::ProductCard;
use crate::app::sale_guard::OverrideError;
use crate::domain::sale_guard::SaleBlock;

use super::format::{self, Lang};
use super::worker::Worker;
use super::{AppWindow, BlockKind, OverrideAdapter, OverrideProblem};

/// What the dialog shows of a blocked product.
pub struct OverrideView {
    product: SharedString,
    kind: BlockKind,
    expiry: SharedString,
    lot: SharedString,
    recall_reason: SharedString,
}

pub fn view(card: &ProductCard, block: &SaleBlock, lang: Lang) -> OverrideView {
    let (kind, expiry, lot, recall_reason) = match block {
        SaleBlock::Expired { expiry } => (
            BlockKind::Expired,
            format::date(*expiry, lang),
            SharedString::new(),
            SharedString::new(),
        ),
        SaleBlock::Recalled { lot, reason } => (
            BlockKind::Recalled,
            SharedString::new(),
            lot.as_deref().unwrap_or_default().into(),
            reason.as_str().into(),
        ),
    };
    OverrideView {
        product: card.product.name.as_str().into(),
        kind,
        expiry,
        lot,
        recall_reason,
    }
}

pub fn show(window: &AppWindow, view: OverrideView) {
    let a = window.global::<OverrideAdapter>();
    a.set_product(view.product);
    a.set_kind(view.kind);
    a.set_expiry(view.expiry);
    a.set_lot(view.lot);
    a.set_recall_reason(view.recall_reason);
    a.set_manager_login("".into());
    a.set_pin("".into());
    a.set_reason("".into());
    a.set_problem(OverrideProblem::None);
    a.set_shown(true);
}

/// What a manager's refused approval shows, and the PIN tries left (the returns page's too).
pub(super) fn problem_of(error: &OverrideError) -> (OverrideProblem, i32) {
    match error {
        OverrideError::Login(LoginError::WrongPin { remaining }) => (
            OverrideProblem::WrongPin,
            i32::try_from(*remaining).unwrap_or(0),
        ),
        OverrideError::Login(LoginError::Locked { .. }) => (OverrideProblem::Locked, 0),
        OverrideError::NotAManager { .. } => (OverrideProblem::NotAManager, 0),
        OverrideError::Login(LoginError::MalformedPin) => (OverrideProblem::WrongPin, 0),
        _ => (OverrideProblem::Failed, 0),
    }
}

pub fn setup(window: &AppWindow, worker: &Worker) {
    let adapter = window.global::<OverrideAdapter>();
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_confirm(move |login, pin, reason| {
        let weak = weak.clone();
        let (login, pin, reason) = (login.to_string(), pin.to_string(), reason.to_string());
        w.run(move |session| {
            let Some((card, quantity)) = session.blocked.clone() else {
                return;
            };
            let approval = ManagerApproval {
                login: &login,
                pin: &pin,
                reason: &reason,
            };
            let till = Till::of(&session.config);
            let added = add_overridden(&mut session.store, card, quantity, approval, till);
            match added {
                Err(CheckoutError::Override(error)) => {
                    let (problem, left) = problem_of(&error);
                    let _ = weak.upgrade_in_event_loop(move |window| {
                        let a = window.global::<OverrideAdapter>();
                        a.set_pin("".into());
                        a.set_problem(problem);
                        a.set_attempts_left(left);
                    });
                }
                other => {
                    session.blocked = None;
                    let _ = weak.upgrade_in_event_loop(|window| {
                        window.global::<OverrideAdapter>().set_shown(false);
                    });
                    super::scan::notify(session, &weak, other, quantity);
                }
            }
        });
    });
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_cancel(move || {
        if let Some(window) = weak.upgrade() {
            window.global::<OverrideAdapter>().set_shown(false);
        }
        w.run(|session| session.blocked = None);
    });
}
