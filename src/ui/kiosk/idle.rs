//! When the kiosk forgets its customer: after `kiosk_idle_seconds` without a touch, a key or a
//! scan, everything about them is wiped and the home screen returns; the last
//! [`COUNTDOWN`] seconds are counted down on screen so someone still reading can stay.
//!
//! Pure: time comes in as a monotonic `Duration` from the caller (a UI timer), so the state
//! machine is tested without waiting. It never touches the screen or the session.

use std::time::Duration;

/// How long the countdown shows before the wipe (DESIGN.md: "a visible countdown during the
/// last 10 seconds").
pub const COUNTDOWN: Duration = Duration::from_secs(10);

/// What the screen should do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdleState {
    /// The clean home screen: nothing to wipe, no countdown.
    Resting,
    /// Someone is using it; no countdown yet.
    InUse,
    /// The countdown shows this many seconds (1 to 10), rounded up.
    Countdown(u32),
    /// Time is up: wipe everything and go home.
    Expired,
}

/// The time since the last activity, against the configured timeout.
#[derive(Clone, Debug)]
pub struct IdleClock {
    timeout: Duration,
    last_activity: Duration,
}

impl IdleClock {
    /// A clock that expires `timeout` after the last activity; it starts at `now`.
    pub fn new(timeout: Duration, now: Duration) -> IdleClock {
        IdleClock {
            timeout,
            last_activity: now,
        }
    }

    /// A touch, a key or a scan at `now`: the timeout starts again.
    pub fn activity(&mut self, now: Duration) {
        self.last_activity = self.last_activity.max(now);
    }

    /// The state at `now`. `resting` says the home screen is clean (nothing about anyone on
    /// it): then nothing counts down and the clock keeps itself fresh, so the first tap of the
    /// next customer starts a full timeout.
    pub fn tick(&mut self, now: Duration, resting: bool) -> IdleState {
        if resting {
            self.activity(now);
            return IdleState::Resting;
        }
        let idle = now.saturating_sub(self.last_activity);
        if idle >= self.timeout {
            // The wipe brings the clean home screen; the next customer starts afresh.
            self.last_activity = now;
            return IdleState::Expired;
        }
        let left = self.timeout - idle;
        if left <= COUNTDOWN {
            // Rounded up: "1 s" shows until the very end, never "0 s".
            let seconds = left.as_millis().div_ceil(1000);
            IdleState::Countdown(u32::try_from(seconds).unwrap_or(u32::MAX))
        } else {
            IdleState::InUse
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn counts_down_the_last_ten_seconds_then_expires() {
        let cases = [
            (0.0, IdleState::InUse),
            (49.9, IdleState::InUse),
            (50.0, IdleState::Countdown(10)),
            (50.5, IdleState::Countdown(10)),
            (53.0, IdleState::Countdown(7)),
            (59.2, IdleState::Countdown(1)),
            (59.999, IdleState::Countdown(1)),
            (60.0, IdleState::Expired),
        ];
        for (at, expected) in cases {
            let mut clock = IdleClock::new(secs(60.0), secs(0.0));
            assert_eq!(clock.tick(secs(at), false), expected, "at {at} s");
        }
    }

    #[test]
    fn activity_starts_the_timeout_again() {
        let mut clock = IdleClock::new(secs(60.0), secs(0.0));
        assert_eq!(clock.tick(secs(55.0), false), IdleState::Countdown(5));
        clock.activity(secs(55.0));
        assert_eq!(clock.tick(secs(56.0), false), IdleState::InUse);
        assert_eq!(clock.tick(secs(114.0), false), IdleState::Countdown(1));
        assert_eq!(clock.tick(secs(115.0), false), IdleState::Expired);
    }

    #[test]
    fn the_shortest_timeout_counts_down_from_the_start() {
        // 10 s is the smallest timeout the configuration allows.
        let mut clock = IdleClock::new(secs(10.0), secs(0.0));
        assert_eq!(clock.tick(secs(0.0), false), IdleState::Countdown(10));
        assert_eq!(clock.tick(secs(10.0), false), IdleState::Expired);
    }

    #[test]
    fn a_clean_home_screen_never_counts_down() {
        let mut clock = IdleClock::new(secs(60.0), secs(0.0));
        assert_eq!(clock.tick(secs(500.0), true), IdleState::Resting);
        // The next customer's first tap left home at 500 s: a full minute from there.
        assert_eq!(clock.tick(secs(501.0), false), IdleState::InUse);
        assert_eq!(clock.tick(secs(560.0), false), IdleState::Expired);
    }

    #[test]
    fn expiring_fires_once() {
        let mut clock = IdleClock::new(secs(10.0), secs(0.0));
        assert_eq!(clock.tick(secs(12.0), false), IdleState::Expired);
        // Until the screen is clean again, the clock counts from the wipe.
        assert_eq!(clock.tick(secs(12.5), false), IdleState::Countdown(10));
    }

    #[test]
    fn time_going_backwards_is_not_activity_lost() {
        let mut clock = IdleClock::new(secs(60.0), secs(30.0));
        clock.activity(secs(10.0));
        assert_eq!(clock.tick(secs(85.0), false), IdleState::Countdown(5));
        assert_eq!(clock.tick(secs(20.0), false), IdleState::InUse);
    }
}
