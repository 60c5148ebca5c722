//! The guarded closing (issue 14): its preview is what the closing then writes, and nothing is
//! written without a manager's right PIN.

use comptoir::app::closing::{ClosingError, close_with_pin, preview};
use comptoir::app::login::LoginError;
use comptoir::domain::demo;
use comptoir::domain::staff::LockoutPolicy;
use comptoir::store::{ClosingPeriod, Store};

use crate::util::{TempDb, assert_success, comptoir, seeded_db};

/// Three real sales (card, cash, split) and one in training mode.
fn sold_db() -> TempDb {
    let db = seeded_db(100);
    let run = |args: &[&str]| {
        let output = comptoir(&db.path).args(args).output().expect("comptoir");
        assert_success(&output);
    };
    let (a, b) = (demo::product(1).gtin, demo::product(2).gtin);
    run(&["sell", &format!("{a}*2"), b.as_str(), "--pay", "card"]);
    run(&["sell", a.as_str(), "--pay", "cash", "--given", "500"]);
    run(&["training", "on"]);
    run(&["sell", b.as_str(), "--pay", "card"]);
    run(&["training", "off"]);
    run(&["sell", b.as_str(), "--pay", "split"]);
    db
}

#[test]
fn the_preview_is_what_the_closing_writes() {
    let db = sold_db();
    let mut store = Store::open(&db.path).expect("open");
    let now = chrono::Utc::now().timestamp();
    let (a, b) = (demo::product(1).price.get(), demo::product(2).price.get());
    let journal_before = store.journal_len("T01").expect("journal");

    let shown = preview(&mut store, ClosingPeriod::Day, "T01", now).expect("preview");
    assert_eq!(shown.figures.totals.ticket_count, 3);
    assert_eq!(shown.figures.totals.total, 3 * a + 2 * b);
    assert_eq!(shown.figures.grand_total, 3 * a + 2 * b);
    let methods: Vec<&str> = shown
        .figures
        .totals
        .payments
        .iter()
        .map(|p| p.method.as_str())
        .collect();
    assert_eq!(methods, ["card", "cash"]);
    // A preview writes nothing.
    assert_eq!(store.journal_len("T01").expect("journal"), journal_before);
    assert!(store.closings("T01").expect("closings").is_empty());

    let amelie = &demo::STAFF[2];
    let report = close_with_pin(
        &mut store,
        amelie.login,
        amelie.pin,
        ClosingPeriod::Day,
        "T01",
        now,
        LockoutPolicy::default(),
    )
    .expect("the manager closes the day");
    assert_eq!(report.from_sequence, shown.figures.from_sequence);
    assert_eq!(report.to_sequence, shown.figures.to_sequence);
    assert_eq!(report.totals, shown.figures.totals);
    assert_eq!(report.grand_total, shown.figures.grand_total);
    assert_eq!(report.entry_sequence, journal_before + 1);

    // The next day's preview starts after this closing, with the same grand total.
    let next = preview(&mut store, ClosingPeriod::Day, "T01", now).expect("preview");
    assert_eq!(next.figures.totals.ticket_count, 0);
    assert_eq!(next.figures.grand_total, report.grand_total);
}

#[test]
fn a_closing_needs_a_managers_right_pin() {
    let db = sold_db();
    let mut store = Store::open(&db.path).expect("open");
    let now = chrono::Utc::now().timestamp();
    let journal_before = store.journal_len("T01").expect("journal");
    let policy = LockoutPolicy::default();
    let close = |store: &mut Store, login: &str, pin: &str| {
        close_with_pin(store, login, pin, ClosingPeriod::Day, "T01", now, policy)
    };

    let amelie = &demo::STAFF[2];
    let wrong = close(&mut store, amelie.login, "0000");
    assert!(
        matches!(
            wrong,
            Err(ClosingError::Login(ref login)) if matches!(**login, LoginError::WrongPin { remaining: 4 })
        ),
        "{wrong:?}"
    );
    // A seller's right PIN is not a manager's.
    let camille = &demo::STAFF[0];
    let seller = close(&mut store, camille.login, camille.pin);
    assert!(
        matches!(seller, Err(ClosingError::NotManager { .. })),
        "{seller:?}"
    );
    assert!(store.closings("T01").expect("closings").is_empty());
    assert_eq!(store.journal_len("T01").expect("journal"), journal_before);

    close(&mut store, amelie.login, amelie.pin).expect("the right PIN closes");
    assert_eq!(store.closings("T01").expect("closings").len(), 1);
}
