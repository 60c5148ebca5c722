//! What `GET /metrics` tells a chain's monitoring (issue 18, item 5), in the Prometheus /
//! OpenMetrics text format: the events received per kind, duplicates ignored and events refused
//! (read from the database at each scrape, so every instance on one database reports the same
//! totals), the push latency (this instance's), and the terminals this instance heard from in
//! the last hour. Nothing here names a device, a store or a customer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::store::Counters;

/// The content type of what [`Metrics::render`] writes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How long a terminal counts as seen.
const SEEN_WINDOW: Duration = Duration::from_secs(3600);

/// The metrics this instance keeps between scrapes.
pub struct Metrics {
    push_seconds: Histogram,
    /// Device id → when this instance last heard from it.
    seen: Mutex<HashMap<String, Instant>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            // 1 ms to about 16 s.
            push_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 15)),
            seen: Mutex::new(HashMap::new()),
        }
    }
}

impl Metrics {
    /// A push took `elapsed`.
    pub fn observe_push(&self, elapsed: Duration) {
        self.push_seconds.observe(elapsed.as_secs_f64());
    }

    /// An authenticated request came from `device` now.
    pub fn seen(&self, device: &str, now: Instant) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        // Forget the old ones as we go: the map never holds more than the last hour's devices.
        if seen.len() > 64 && seen.len().is_power_of_two() {
            seen.retain(|_, at| now.duration_since(*at) < SEEN_WINDOW);
        }
        match seen.get_mut(device) {
            Some(at) => *at = now,
            None => {
                seen.insert(device.to_owned(), now);
            }
        }
    }

    fn seen_within_the_hour(&self, now: Instant) -> usize {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.values()
            .filter(|at| now.duration_since(**at) < SEEN_WINDOW)
            .count()
    }

    /// The text a scrape gets, with the database's `counters`.
    pub fn render(&self, counters: &Counters, now: Instant) -> String {
        let mut registry = Registry::default();
        let received = Family::<Vec<(String, String)>, Counter>::default();
        for (kind, count) in &counters.received {
            received
                .get_or_create(&vec![("kind".to_owned(), kind.clone())])
                .inc_by(u64::try_from(*count).unwrap_or(0));
        }
        registry.register(
            "comptoir_central_events_received",
            "Events terminals pushed and the central applied, by kind",
            received,
        );
        let total = |value: i64| {
            let counter = Counter::<u64>::default();
            counter.inc_by(u64::try_from(value).unwrap_or(0));
            counter
        };
        registry.register(
            "comptoir_central_duplicates_ignored",
            "Events received again (a retried push) and acknowledged without being applied",
            total(counters.duplicates_ignored),
        );
        registry.register(
            "comptoir_central_events_quarantined",
            "Events refused by the central's checks and kept in the quarantine",
            total(counters.quarantined),
        );
        registry.register(
            "comptoir_central_push_duration_seconds",
            "Time this instance took to answer a push, from its request to its answer",
            self.push_seconds.clone(),
        );
        let gauge = |value: i64| {
            let gauge = Gauge::<i64>::default();
            gauge.set(value);
            gauge
        };
        registry.register(
            "comptoir_central_terminals_seen_last_hour",
            "Terminals this instance heard from in the last hour",
            gauge(i64::try_from(self.seen_within_the_hour(now)).unwrap_or(i64::MAX)),
        );
        registry.register(
            "comptoir_central_devices",
            "Devices enrolled (revoked ones included)",
            gauge(counters.devices),
        );
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scrape_names_each_kind_the_push_latency_and_the_terminals_of_the_hour() {
        let metrics = Metrics::default();
        let start = Instant::now();
        metrics.seen("dev-a", start);
        metrics.seen("dev-b", start);
        metrics.seen("dev-a", start);
        metrics.observe_push(Duration::from_millis(3));
        let mut counters = Counters::default();
        counters.received.insert("sales".into(), 12);
        counters.received.insert("returns".into(), 2);
        counters.duplicates_ignored = 5;
        counters.devices = 3;
        let text = metrics.render(&counters, start);
        for line in [
            "comptoir_central_events_received_total{kind=\"sales\"} 12",
            "comptoir_central_events_received_total{kind=\"returns\"} 2",
            "comptoir_central_duplicates_ignored_total 5",
            "comptoir_central_push_duration_seconds_count 1",
            "comptoir_central_push_duration_seconds_bucket{le=\"0.004\"} 1",
            "comptoir_central_push_duration_seconds_bucket{le=\"0.002\"} 0",
            "comptoir_central_terminals_seen_last_hour 2",
            "comptoir_central_devices 3",
            "# EOF",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
        }
        // An hour later, nobody was heard from.
        let later = metrics.render(&counters, start + SEEN_WINDOW);
        assert!(later.contains("comptoir_central_terminals_seen_last_hour 0\n"));
        assert!(!text.contains("dev-a"), "no device is named");
    }
}
