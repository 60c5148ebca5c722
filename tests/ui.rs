//! The real Slint UI under its testing backend (no window, no display).

use comptoir::config::Config;
use comptoir::store::Store;
use i_slint_backend_testing::ElementHandle;

use crate::util::seeded_db;

#[test]
fn the_main_window_shows_the_store_and_the_terminal() {
    i_slint_backend_testing::init_no_event_loop();
    let db = seeded_db(120);
    let store = Store::open(&db.path).expect("open");
    let window = comptoir::ui::build_window(&Config::default(), &store).expect("window");
    // A Text element's accessible label is the text a screen reader (and a user) gets.
    let text = |id: &str| -> String {
        let found: Vec<_> =
            ElementHandle::find_by_element_id(&window, &format!("AppWindow::{id}")).collect();
        assert_eq!(found.len(), 1, "one element {id}");
        found[0].accessible_label().unwrap_or_default().to_string()
    };
    assert_eq!(text("store-name"), "Paris Rivoli");
    assert_eq!(text("terminal-summary"), "Terminal T01 · vente en magasin");
}
