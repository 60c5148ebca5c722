//! « Appeler un vendeur » on a staff tablet's screen (issue 17): a kiosk of the store, enrolled
//! with the real central on loopback, calls; the tablet's screen shows it across the page with
//! its next sync, « J'y vais » answers it, and the kiosk reads the answer with its own sync.
//! Part of the UI journey in `ui.rs` (Slint's platform is set once per process).

use comptoir::app::central::Central;
use comptoir::domain::demo;
use comptoir::store::Store;
use comptoir::ui::CallsAdapter;
use slint::{ComponentHandle, Model};

use crate::staff_calls::call_seller;
use crate::sync::{RunningCentral, central_dir, enrolled_as, enrolled_terminal, sync};
use crate::ui::{seller_screen, shows_text, tap, wait_for};
use crate::util::assert_success;

pub fn a_kiosks_call_on_the_staff_screen() {
    let data = central_dir(120);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let kiosk = enrolled_as(data.path(), &central.url(), demo::HERE_CODE, "B01");
    let tablet = enrolled_terminal(data.path(), &central.url());
    let terminal = seller_screen(&tablet.path, "Camille Martin", "1234");
    let window = &terminal.window;
    assert_eq!(window.global::<CallsAdapter>().get_waiting().row_count(), 0);
    assert!(!shows_text(window, "J'y vais"));

    // A customer at kiosk B01 calls about a product.
    let product = demo::product(3);
    let line = Central::start().expect("runtime");
    let kiosk_store = Store::open(&kiosk.path).expect("kiosk store");
    let call = call_seller(&line, &kiosk_store, Some(product.gtin.as_str()))
        .expect("the call reaches the central");

    // The tablet's next sync (every 10 s) brings it across the page.
    wait_for(window, "the kiosk's call on the screen", |w| {
        w.global::<CallsAdapter>().get_waiting().row_count() == 1
    });
    let row = window
        .global::<CallsAdapter>()
        .get_waiting()
        .row_data(0)
        .expect("the call");
    assert_eq!(row.terminal, "B01");
    assert_eq!(row.product, product.name.as_str());
    assert!(shows_text(window, "J'y vais"));

    // « J'y vais »: the call leaves the screen, and the central has Camille's answer.
    tap(window, "J'y vais");
    wait_for(window, "the call answered", |w| {
        w.global::<CallsAdapter>().get_waiting().row_count() == 0
    });
    assert_success(&sync(&kiosk.path, None));
    let seen = kiosk_store
        .staff_call(&call.id)
        .expect("read")
        .expect("the kiosk keeps its call");
    assert_eq!(seen.answered_by.as_deref(), Some("camille"));
}
