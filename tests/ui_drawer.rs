//! Issue 16, item 5, on the screen: the float and a bank deposit typed on the drawer's keypad
//! open the drawer (ESC p on a pseudo-terminal printer), a cash payment at the checkout opens it
//! too, the X report shows the cash expected and prints on the same printer, and the day closing
//! starts with a blind count whose expected cash and difference appear only once the closing is
//! written, and travel in the closing's sync event. Part of the UI journey in `ui.rs` (Slint's
//! platform is set once per process).

use std::io::Read;
use std::time::{Duration, Instant};

use comptoir::config::Config;
use comptoir::domain::demo;
use comptoir::domain::money::Cents;
use comptoir::store::Store;
use comptoir::ui::{
    AppAdapter, BasketAdapter, CheckoutAdapter, DrawerAdapter, DrawerProblem, LoginAdapter,
    ManagerAdapter, Page, PrintState,
};
use serialport::{SerialPort, TTYPort};
use slint::{ComponentHandle, Model};

use crate::ui::{log_in, press_enter, shows_text, tap, type_keys, wait_for};
use crate::util::seeded_db;

const KICK: [u8; 5] = [0x1B, b'p', 0, 25, 250];

/// The receipt printer's side of a pseudo-terminal pair: everything it received so far.
struct Printer {
    master: TTYPort,
    received: Vec<u8>,
}

impl Printer {
    /// Reads until `done` holds of what arrived, or ten seconds.
    fn read_until(&mut self, done: impl Fn(&[u8]) -> bool) -> bool {
        let started = Instant::now();
        let mut buf = [0u8; 256];
        while !done(&self.received) && started.elapsed() < Duration::from_secs(10) {
            if let Ok(n) = self.master.read(&mut buf) {
                self.received.extend_from_slice(&buf[..n]);
            }
        }
        done(&self.received)
    }

    fn kicks(&self) -> usize {
        self.received.windows(5).filter(|w| *w == KICK).count()
    }

    /// Waits for the `n`th kick.
    fn kicked(&mut self, n: usize) -> bool {
        self.read_until(|r| r.windows(5).filter(|w| *w == KICK).count() >= n)
    }
}

fn type_digits(window: &comptoir::ui::AppWindow, digits: &str) {
    for digit in digits.chars() {
        tap(window, &digit.to_string());
    }
}

pub fn the_drawer_on_the_screen() {
    let db = seeded_db(300);
    let (mut master, slave) = TTYPort::pair().expect("pseudo-terminal pair");
    master
        .set_timeout(Duration::from_millis(20))
        .expect("master timeout");
    let mut printer = Printer {
        master,
        received: Vec::new(),
    };
    let config = Config {
        printer_port: Some(slave.name().expect("a pair's slave has a name")),
        // The pair cannot answer a status request: the X ticket is sent without asking.
        printer_check_status: false,
        ..Config::default()
    };
    let check = Store::open(&db.path).expect("open");
    let store = Store::open(&db.path).expect("open");
    let terminal = comptoir::ui::build_terminal(&config, store).expect("terminal");
    let window = &terminal.window;
    window.show().expect("show");
    wait_for(window, "the staff list", |w| {
        w.global::<LoginAdapter>().get_staff().row_count() == demo::STAFF.len()
    });
    log_in(window, "Amélie Dubois (responsable)", "2468");
    wait_for(window, "the manager logged in", |w| {
        w.global::<AppAdapter>().get_manager()
    });

    // The float: « Fond de caisse », 150 on the keypad, « Valider ». The drawer opens.
    tap(window, "Gestion");
    tap(window, "Tiroir-caisse et rapport X");
    assert_eq!(window.global::<AppAdapter>().get_page(), Page::Drawer);
    tap(window, "Fond de caisse");
    type_digits(window, "150");
    assert!(shows_text(window, "150 €"));
    tap(window, "Valider");
    wait_for(window, "the float", |w| {
        w.global::<DrawerAdapter>().get_recorded()
    });
    assert!(shows_text(
        window,
        &format!(
            "Fond de caisse de {} enregistré (écriture n° {})",
            Cents::new(15_000).format_fr(),
            window.global::<DrawerAdapter>().get_recorded_sequence()
        )
    ));
    assert!(printer.kicked(1), "the float opens the drawer");

    // A bank deposit of 50 €: journaled with its reason, and the drawer opens again.
    tap(window, "Dépôt en banque");
    type_digits(window, "50");
    tap(window, "Valider");
    wait_for(window, "the deposit", |w| {
        w.global::<DrawerAdapter>().get_amount().is_empty()
    });
    assert!(printer.kicked(2), "a cash movement opens the drawer");
    let x = check.drawer_report("T01").expect("report");
    assert_eq!(x.float_cents, 15_000);
    assert_eq!(x.expected_cash_cents, 10_000);
    let deposit = x.movements.last().expect("the deposit");
    assert_eq!(
        (deposit.amount_cents, deposit.reason.as_str()),
        (5_000, "bank deposit")
    );

    // More than the drawer holds is refused, says what it should hold, writes nothing and
    // leaves the drawer shut.
    let journal = check.journal_len("T01").expect("journal");
    tap(window, "Sortie de caisse");
    type_digits(window, "500");
    tap(window, "Valider");
    wait_for(window, "the refusal", |w| {
        w.global::<DrawerAdapter>().get_problem() == DrawerProblem::NotEnoughCash
    });
    let hundred = Cents::new(10_000).format_fr();
    assert!(shows_text(
        window,
        &format!("Le tiroir ne devrait contenir que {hundred}")
    ));
    assert_eq!(check.journal_len("T01").expect("journal"), journal);

    // A sale paid in cash at the checkout opens the drawer.
    let product = demo::product(1);
    tap(window, "Scanner");
    type_keys(window, product.gtin.as_str());
    press_enter(window);
    wait_for(window, "the scanned line", |w| {
        w.global::<BasketAdapter>().get_item_count() == 1
    });
    tap(window, "Encaisser");
    let tile = format!(
        "{}\u{a0}€ en espèces",
        comptoir::domain::quick_cash::quick_cash(product.price)[1].get() / 100
    );
    tap(window, &tile);
    wait_for(window, "the cash sale", |w| {
        w.global::<CheckoutAdapter>().get_completed()
    });
    assert!(printer.kicked(3), "a cash payment opens the drawer");
    assert_eq!(printer.kicks(), 3, "the refusal did not open it");

    // The X report: the cash expected, then its ticket on the printer.
    let expected = Cents::new(10_000 + product.price.get());
    tap(window, "Gestion");
    tap(window, "Tiroir-caisse et rapport X");
    tap(window, "Rapport X");
    let expected_text = expected.format_fr();
    wait_for(window, "the X report", move |w| {
        w.global::<DrawerAdapter>().get_report().expected == expected_text.as_str()
    });
    let report = window.global::<DrawerAdapter>().get_report();
    assert_eq!(report.tickets, 1);
    assert_eq!(report.float, Cents::new(15_000).format_fr().as_str());
    assert_eq!(
        report.movements.row_count(),
        1,
        "the deposit; the float apart"
    );
    tap(window, "Imprimer le rapport X");
    wait_for(window, "the X ticket", |w| {
        w.global::<DrawerAdapter>().get_print_state() == PrintState::Printed
    });
    assert!(printer.read_until(|r| r.windows(9).any(|w| w == b"RAPPORT X")));

    // The day closing starts with the blind count: 2 × 50 € and 3 × 0,50 €, nothing expected
    // in sight until the closing is written.
    tap(window, "Gestion");
    tap(window, "Clôturer la journée");
    assert!(window.global::<ManagerAdapter>().get_counting());
    let label = |index: usize| {
        let piece = window
            .global::<DrawerAdapter>()
            .get_pieces()
            .row_data(index)
            .expect("a denomination");
        format!("{} : {} pièces", piece.label, piece.count)
    };
    tap(window, &label(3));
    type_digits(window, "2");
    tap(window, &label(9));
    type_digits(window, "3");
    let counted = Cents::new(10_150);
    assert_eq!(
        window.global::<DrawerAdapter>().get_counted_total(),
        counted.format_fr().as_str()
    );
    assert!(shows_text(
        window,
        &format!("Compté : {}", counted.format_fr())
    ));
    assert!(!shows_text(window, &expected.format_fr()));
    tap(window, "Valider le comptage");
    wait_for(window, "the closing's figures", |w| {
        w.global::<ManagerAdapter>().get_previewing()
    });
    assert!(shows_text(
        window,
        &format!(
            "Tiroir compté : {} (l'écart s'affiche après la clôture)",
            counted.format_fr()
        )
    ));
    type_digits(window, "2468");
    tap(window, "Confirmer la clôture");
    wait_for(window, "the day closing", |w| {
        w.global::<ManagerAdapter>().get_last_closing().done
    });
    let closing = window.global::<ManagerAdapter>().get_last_closing();
    assert!(closing.counted);
    let difference = counted.get() - expected.get();
    assert_eq!(closing.expected, expected.format_fr().as_str());
    assert_eq!(closing.difference_sign, difference.signum() as i32);
    assert!(shows_text(
        window,
        &format!(
            "Tiroir : compté {}, attendu {}",
            counted.format_fr(),
            expected.format_fr()
        )
    ));

    // The closing's sync event carries the count.
    let payload: String = rusqlite::Connection::open(&db.path)
        .expect("open")
        .query_row(
            "SELECT payload FROM outbox WHERE kind = 'closing' ORDER BY seq DESC LIMIT 1",
            [],
            |row| row.get(0),
        )
        .expect("the closing event");
    let event: serde_json::Value = serde_json::from_str(&payload).expect("json");
    assert_eq!(event["counted_cents"], counted.get());
    assert_eq!(event["expected_cash_cents"], expected.get());
    assert_eq!(event["difference_cents"], difference);
    window.hide().expect("hide");
    drop(slave);
}
