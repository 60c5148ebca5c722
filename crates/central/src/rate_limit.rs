//! Quotas on what one client may ask of the central, so that one device (or one address guessing
//! enrollment codes) cannot take the central from the others. Each quota is a burst and a steady
//! rate per minute, kept by governor's keyed GCRA limiters (no background task, a few bytes per
//! key); past it the client is told how long to wait, and nothing it sent is applied.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use comptoir_protocol::MAX_BATCH;

/// A steady rate and the burst allowed above it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub per_minute: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Rate {
    /// `per_minute` a minute, `burst` at once (both at least 1).
    pub const fn new(per_minute: u32, burst: u32) -> Rate {
        Rate {
            per_minute: non_zero(per_minute),
            burst: non_zero(burst),
        }
    }

    fn quota(self) -> Quota {
        Quota::per_minute(self.per_minute).allow_burst(self.burst)
    }
}

const fn non_zero(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => NonZeroU32::MIN,
    }
}

/// What each client may ask in a minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    /// Enrollment attempts from one client address, right or wrong.
    pub enrollments_per_address: Rate,
    /// Requests of one enrolled device, whatever they ask.
    pub requests_per_device: Rate,
    /// Events one device pushes. The burst is never below a full batch ([`MAX_BATCH`]), so an
    /// honest terminal's batch always fits once it has waited.
    pub events_per_device: Rate,
    /// Customer searches of one device.
    pub searches_per_device: Rate,
}

impl Default for Quotas {
    /// Sized on the busiest honest terminal. Enrollment: an IT setting up a store's terminals
    /// from one address enrolls 30 in a couple of minutes, a guesser gets 20 tries a minute
    /// against 80-bit codes. Requests: the first pull of a million-product catalogue is 100
    /// pages; a sync round is a handful of requests. Events: a terminal back from a week offline
    /// (some 30,000 events) drains in five minutes. Searches: a seller looks up a customer or two
    /// a minute, and a few sellers may share a tablet; not one search per letter of the alphabet.
    fn default() -> Self {
        Quotas {
            enrollments_per_address: Rate::new(20, 30),
            requests_per_device: Rate::new(1_200, 300),
            events_per_device: Rate::new(6_000, 10_000),
            searches_per_device: Rate::new(30, 20),
        }
    }
}

/// Which quota a client ran out of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    Enrollment,
    Request,
    Events,
    Search,
}

impl Gate {
    fn what(self) -> &'static str {
        match self {
            Gate::Enrollment => "enrollment attempts from this address",
            Gate::Request => "requests from this device",
            Gate::Events => "events pushed by this device",
            Gate::Search => "customer searches from this device",
        }
    }
}

/// A client past its quota: what it ran out of, and when it may ask again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("too many {}: retry in {} s", gate.what(), retry_after_secs(*retry_after))]
pub struct Slowdown {
    pub gate: Gate,
    pub retry_after: Duration,
}

impl Slowdown {
    /// Whole seconds to wait, at least one (the `Retry-After` header has no fractions).
    pub fn retry_after_secs(&self) -> u64 {
        retry_after_secs(self.retry_after)
    }
}

fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0).max(u64::from(wait.is_zero()))
}

/// Past this many keys, the ones whose quota is whole again are forgotten: an attacker spraying
/// addresses cannot grow the central's memory without bound.
const FORGET_ABOVE: usize = 10_000;

/// The central's limiters, one key per client address or device id.
pub(crate) struct Gates {
    enrollments: DefaultKeyedRateLimiter<IpAddr>,
    requests: DefaultKeyedRateLimiter<String>,
    events: DefaultKeyedRateLimiter<String>,
    searches: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl Gates {
    pub fn new(quotas: Quotas) -> Gates {
        let events = Rate {
            burst: quotas
                .events_per_device
                .burst
                .max(non_zero(MAX_BATCH as u32)),
            ..quotas.events_per_device
        };
        Gates {
            enrollments: RateLimiter::keyed(quotas.enrollments_per_address.quota()),
            requests: RateLimiter::keyed(quotas.requests_per_device.quota()),
            events: RateLimiter::keyed(events.quota()),
            searches: RateLimiter::keyed(quotas.searches_per_device.quota()),
            clock: DefaultClock::default(),
        }
    }

    pub fn enrollment(&self, address: IpAddr) -> Result<(), Slowdown> {
        self.take(&self.enrollments, &address, 1, Gate::Enrollment)
    }

    pub fn request(&self, device: &str) -> Result<(), Slowdown> {
        self.take(&self.requests, &device.to_owned(), 1, Gate::Request)
    }

    /// Takes `count` events of the device's quota, all or none.
    pub fn events(&self, device: &str, count: usize) -> Result<(), Slowdown> {
        self.take(&self.events, &device.to_owned(), count, Gate::Events)
    }

    pub fn search(&self, device: &str) -> Result<(), Slowdown> {
        self.take(&self.searches, &device.to_owned(), 1, Gate::Search)
    }

    fn take<K: Clone + Eq + Hash>(
        &self,
        limiter: &DefaultKeyedRateLimiter<K>,
        key: &K,
        count: usize,
        gate: Gate,
    ) -> Result<(), Slowdown> {
        if limiter.len() > FORGET_ABOVE {
            limiter.retain_recent();
        }
        let Some(count) = u32::try_from(count).ok().and_then(NonZeroU32::new) else {
            return Ok(());
        };
        match limiter.check_key_n(key, count) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(Slowdown {
                gate,
                retry_after: not_until.wait_time_from(self.clock.now()),
            }),
            // More than the burst at once can never pass: wait for a whole burst and send less.
            Err(_) => Err(Slowdown {
                gate,
                retry_after: Duration::from_secs(60),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_client_is_told_to_wait() {
        let gates = Gates::new(Quotas {
            searches_per_device: Rate::new(6, 3),
            ..Quotas::default()
        });
        for _ in 0..3 {
            assert_eq!(gates.search("d1"), Ok(()));
        }
        let slowdown = gates
            .search("d1")
            .expect_err("fourth search in a burst of three");
        assert_eq!(slowdown.gate, Gate::Search);
        // One search every 10 s at 6 a minute.
        assert!(
            (9..=10).contains(&slowdown.retry_after_secs()),
            "{slowdown}"
        );
        assert_eq!(
            slowdown.to_string(),
            format!(
                "too many customer searches from this device: retry in {} s",
                slowdown.retry_after_secs()
            )
        );
        // Another device has its own quota.
        assert_eq!(gates.search("d2"), Ok(()));
    }

    #[test]
    fn events_are_taken_all_or_none_and_a_full_batch_always_fits() {
        let gates = Gates::new(Quotas {
            events_per_device: Rate::new(60, 10),
            ..Quotas::default()
        });
        assert_eq!(gates.events("d1", MAX_BATCH), Ok(()));
        let refused = gates.events("d1", 1).expect_err("the burst is spent");
        assert_eq!(refused.gate, Gate::Events);
        assert_eq!(gates.events("d1", 0), Ok(()));
    }

    #[test]
    fn addresses_are_limited_one_by_one() {
        let gates = Gates::new(Quotas {
            enrollments_per_address: Rate::new(1, 2),
            ..Quotas::default()
        });
        let guesser: IpAddr = [127, 0, 0, 2].into();
        let honest: IpAddr = [127, 0, 0, 1].into();
        assert!(gates.enrollment(guesser).is_ok());
        assert!(gates.enrollment(guesser).is_ok());
        assert!(gates.enrollment(guesser).is_err());
        assert!(gates.enrollment(honest).is_ok());
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2_001)), 3);
    }
}
