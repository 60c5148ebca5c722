//! A shared tablet forgets its customer: when a customer's record has been open for
//! `customer_idle_seconds` with no button, keypad or scan touched, the customer leaves the
//! screen and the session (the basket stays, without their points). The same pure clock as the
//! kiosk's idle wipe; the staff screen shows no countdown.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use slint::ComponentHandle;

use super::kiosk::{IdleClock, IdleState};
use super::worker::Worker;
use super::{Activity, AppAdapter, AppWindow};

/// How often the clock is looked at.
const TICK: Duration = Duration::from_secs(1);

/// Starts watching `window`; the timer stops when dropped.
pub fn start(window: &AppWindow, worker: &Worker, timeout: Duration) -> slint::Timer {
    let origin = Instant::now();
    let clock = Rc::new(RefCell::new(IdleClock::new(timeout, Duration::ZERO)));
    let poked = Rc::clone(&clock);
    window
        .global::<Activity>()
        .on_poke(move || poked.borrow_mut().activity(origin.elapsed()));
    let weak = window.as_weak();
    let worker = worker.clone();
    let timer = slint::Timer::default();
    timer.start(slint::TimerMode::Repeated, TICK, move || {
        let Some(window) = weak.upgrade() else {
            return;
        };
        let nobody = window
            .global::<AppAdapter>()
            .get_customer_first_name()
            .is_empty();
        if clock.borrow_mut().tick(origin.elapsed(), nobody) != IdleState::Expired {
            return;
        }
        tracing::info!("customer record closed after the idle timeout");
        let weak = window.as_weak();
        worker.run(move |session| {
            session.customer = None;
            let basket = super::basket::view(session);
            let _ = weak.upgrade_in_event_loop(move |window| {
                super::customer::clear(&window);
                super::basket::apply(&window, basket);
            });
        });
    });
    timer
}
