//! The kiosk's visit counter: every wipe and every new lookup starts a new visit, and an answer
//! that comes back for an older one is dropped. This is what keeps a late answer (a slow
//! search, the central's view of a customer) from bringing back, after the idle wipe, something
//! about the customer who left.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Shared by the UI thread, the app worker and the request threads.
#[derive(Clone, Debug, Default)]
pub struct Visit(Arc<AtomicU64>);

impl Visit {
    /// Starts a new visit and returns its number.
    pub fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn current(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Whether visit `number` is still the current one.
    pub fn is(&self, number: u64) -> bool {
        self.current() == number
    }
}

#[cfg(test)]
mod tests {
    use super::Visit;

    #[test]
    fn a_new_visit_outdates_the_older_ones() {
        let visit = Visit::default();
        let first = visit.next();
        assert!(visit.is(first));
        let shared = visit.clone();
        let second = shared.next();
        assert!(!visit.is(first));
        assert!(visit.is(second));
    }
}
