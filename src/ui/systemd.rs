//! Tells systemd how the screen is doing (`Type=notify` and `WatchdogSec=` in
//! `deploy/comptoir.service`): `READY=1` once the event loop runs with the window shown, then
//! `WATCHDOG=1` from a timer *on the UI thread*, so that a frozen UI (a blocking call or a deadlock
//! on that thread) stops the pings and systemd restarts the kiosk instead of leaving a dead screen
//! in front of customers. Outside systemd (no `NOTIFY_SOCKET`, no `WATCHDOG_USEC`) it does nothing.
//! It must never send anything but these states: no data about the store or its customers.

use sd_notify::NotifyState;

/// Keeps the watchdog timer alive: hold it for as long as the event loop runs.
pub struct Supervision {
    _watchdog: slint::Timer,
}

/// Queues the readiness message and arms the watchdog pings; call it just before running the
/// window.
pub fn supervise_event_loop() -> Supervision {
    // Queued now, run once from inside the event loop after `run()` has shown the window: that is
    // the moment the screen is up.
    if let Err(error) = slint::invoke_from_event_loop(|| notify(NotifyState::Ready, "ready")) {
        tracing::warn!(%error, "cannot queue the readiness message for systemd");
    }
    let watchdog = slint::Timer::default();
    if let Some(timeout) = sd_notify::watchdog_enabled() {
        // Half the timeout, as sd_watchdog_enabled(3) recommends, so one late tick is not fatal.
        watchdog.start(slint::TimerMode::Repeated, timeout / 2, || {
            notify(NotifyState::Watchdog, "watchdog")
        });
    }
    Supervision {
        _watchdog: watchdog,
    }
}

fn notify(state: NotifyState<'_>, what: &'static str) {
    if let Err(error) = sd_notify::notify(&[state]) {
        tracing::warn!(what, %error, "cannot notify systemd");
    }
}
