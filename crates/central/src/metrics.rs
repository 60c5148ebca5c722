//! What `GET /metrics` tells a chain's monitoring (issue 18, item 5), in the Prometheus /
//! OpenMetrics text format: the events received per kind, duplicates ignored and events refused
//! (read from the database at each scrape, so every instance on one database reports the same
//! totals), the push latency (this instance's), and the terminals heard from in the last hour
//! (by any instance: each adds the devices it heard from to the database at each scrape and once
//! a minute, [`Metrics::take_seen`]). Nothing here names a device, a store or a customer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::storage::Storage;
use super::store::Counters;

/// The content type of what [`Metrics::render`] writes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How long a terminal counts as seen.
pub const SEEN_WINDOW: Duration = Duration::from_secs(3600);

/// How often an instance adds the devices it heard from to the database between scrapes.
pub const SEEN_FLUSH: Duration = Duration::from_secs(60);

/// The metrics this instance keeps between scrapes.
pub struct Metrics {
    push_seconds: Histogram,
    /// Device id → when this instance last heard from it (Unix seconds), since these were
    /// last added to the database.
    seen: Mutex<HashMap<String, i64>>,
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

    /// An authenticated request came from `device` at `now` (Unix seconds). The map holds one
    /// entry per device heard from since the last [`Metrics::take_seen`], at most the chain's
    /// devices.
    pub fn seen(&self, device: &str, now: i64) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        match seen.get_mut(device) {
            Some(at) => *at = (*at).max(now),
            None => {
                seen.insert(device.to_owned(), now);
            }
        }
    }

    /// The devices heard from since the last call, for the database.
    pub fn take_seen(&self) -> Vec<(String, i64)> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.drain().collect()
    }

    /// Gives back what could not be added to the database (it was out of reach), for next time.
    pub fn keep_seen(&self, unsaved: Vec<(String, i64)>) {
        for (device, at) in unsaved {
            self.seen(&device, at);
        }
    }

    /// The text a scrape gets, with the database's `counters` and the number of terminals any
    /// instance heard from in the last hour.
    pub fn render(&self, counters: &Counters, terminals_seen: i64) -> String {
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
            "Terminals heard from in the last hour, by any instance on this database",
            gauge(terminals_seen),
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

/// Adds the devices this instance heard from to the database; what cannot be added (the
/// database out of reach) waits for the next time.
pub async fn save_seen(store: &Arc<dyn Storage>, metrics: &Arc<Metrics>) {
    let seen = metrics.take_seen();
    if seen.is_empty() {
        return;
    }
    let (store, kept) = (Arc::clone(store), Arc::clone(metrics));
    let saved = tokio::task::spawn_blocking(move || match store.record_seen(&seen) {
        Ok(()) => Ok(()),
        Err(error) => {
            kept.keep_seen(seen);
            Err(error.to_string())
        }
    })
    .await;
    if let Ok(Err(error)) = saved {
        tracing::warn!(%error, "the terminals heard from could not be saved: kept for next time");
    }
}

/// Saves the devices heard from every [`SEEN_FLUSH`] until `stop`, and once more then: the other
/// instances' scrapes count them within a minute.
pub async fn save_seen_until_stopped(
    store: Arc<dyn Storage>,
    metrics: Arc<Metrics>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut every = tokio::time::interval(SEEN_FLUSH);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => save_seen(&store, &metrics).await,
            _ = stop.changed() => break,
        }
    }
    save_seen(&store, &metrics).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scrape_names_each_kind_the_push_latency_and_the_terminals_of_the_hour() {
        let metrics = Metrics::default();
        metrics.observe_push(Duration::from_millis(3));
        let mut counters = Counters::default();
        counters.received.insert("sales".into(), 12);
        counters.received.insert("returns".into(), 2);
        counters.duplicates_ignored = 5;
        counters.devices = 3;
        let text = metrics.render(&counters, 2);
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
    }

    #[test]
    fn the_devices_heard_from_are_taken_once_with_their_latest_time() {
        let metrics = Metrics::default();
        metrics.seen("dev-a", 100);
        metrics.seen("dev-b", 100);
        metrics.seen("dev-a", 160);
        metrics.seen("dev-a", 130);
        let mut taken = metrics.take_seen();
        taken.sort();
        assert_eq!(taken, vec![("dev-a".into(), 160), ("dev-b".into(), 100)]);
        assert!(metrics.take_seen().is_empty(), "taken once");
        metrics.keep_seen(taken);
        assert_eq!(
            metrics.take_seen().len(),
            2,
            "given back when the database was away"
        );
    }
}
