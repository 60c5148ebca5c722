//! The idle wipe's screen half: every KioskAdapter property that can hold something about the
//! customer (their name, points, cart, what they searched or looked at) is reset, and the clean
//! home screen returns. The list here must follow `ui/kiosk/kiosk-adapter.slint`.

use slint::{ComponentHandle, Model, ModelRc, VecModel};

use crate::ui::format;
use crate::ui::{
    KioskAdapter, KioskCall, KioskPage, KioskProblem, KioskProduct, KioskReserveProblem,
    KioskWindow,
};

pub fn clear(window: &KioskWindow) {
    let a = window.global::<KioskAdapter>();
    a.set_first_name("".into());
    a.set_tier("".into());
    a.set_points(0);
    a.set_points_known(false);
    a.set_cart(ModelRc::new(VecModel::default()));
    a.set_product(KioskProduct {
        stock_here_age: format::never(),
        ..KioskProduct::default()
    });
    a.set_elsewhere(ModelRc::new(VecModel::default()));
    a.set_from_search(false);
    a.set_can_reserve(false);
    a.set_reserve_hint(false);
    a.set_reserved_number("".into());
    a.set_reserved_store("".into());
    a.set_reserve_problem(KioskReserveProblem::None);
    a.set_query("".into());
    a.set_results(ModelRc::new(VecModel::default()));
    a.set_searched(false);
    a.set_problem(KioskProblem::None);
    a.set_call(KioskCall::None);
    a.set_countdown(0);
    a.set_page(KioskPage::Home);
}

/// The clean home screen in the store's language: nothing about anyone on it, so nothing to
/// count down to.
pub fn is_clean(window: &KioskWindow, english_by_default: bool) -> bool {
    let a = window.global::<KioskAdapter>();
    a.get_page() == KioskPage::Home
        && a.get_english() == english_by_default
        && a.get_problem() == KioskProblem::None
        && a.get_call() == KioskCall::None
        && a.get_first_name().is_empty()
        && a.get_cart().row_count() == 0
        && a.get_product().name.is_empty()
        && a.get_reserved_number().is_empty()
        && a.get_query().is_empty()
        && a.get_results().row_count() == 0
}
