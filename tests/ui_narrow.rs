//! Issue 17 on a 7-inch 800×480 screen: the tabs that do not fit go under « Plus… », whose menu
//! opens the page chosen; the status bar names the devices in a word and keeps the seller's
//! name. Part of the UI journey in `ui.rs`.

use comptoir::ui::{AppAdapter, Page};
use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle;

use crate::ui::{seller_screen, shows_text, tap, wait_for};
use crate::util::seeded_db;

pub fn the_tabs_that_do_not_fit_are_under_more() {
    let db = seeded_db(50);
    let terminal = seller_screen(&db.path, "Hugo Bernard", "5678");
    let window = &terminal.window;
    window.window().set_size(slint::PhysicalSize::new(800, 480));
    wait_for(window, "the narrow layout", |w| {
        w.global::<AppAdapter>().get_narrow()
    });
    assert!(!shows_text(window, "Recherche"), "under « Plus… » only");
    assert!(shows_text(window, "Retours"));
    tap(window, "Plus…");
    wait_for(window, "the menu", |w| shows_text(w, "Tiroir"));
    tap(window, "Tiroir");
    assert_eq!(window.global::<AppAdapter>().get_page(), Page::Drawer);
    // Every tab lies inside the window, and « Hugo Bernard » is there whole.
    for label in ["Scanner", "Client", "Retours", "Plus…", "Déconnexion"] {
        let tab = ElementHandle::find_by_accessible_label(window, label)
            .next()
            .unwrap_or_else(|| panic!("no tab {label:?}"));
        let (at, size) = (tab.absolute_position(), tab.size());
        assert!(
            at.x >= 0.0 && at.x + size.width <= 800.0,
            "{label} at {at:?} {size:?}"
        );
        assert!(size.height >= 44.0, "{label}: {size:?}");
    }
    assert!(shows_text(window, "Hugo Bernard"));
    window
        .window()
        .set_size(slint::PhysicalSize::new(1280, 800));
    wait_for(window, "the wide layout again", |w| {
        !w.global::<AppAdapter>().get_narrow()
    });
    assert!(shows_text(window, "Recherche"));
    window.hide().expect("hide");
}
