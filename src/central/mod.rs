//! The reference central server as a library (`comptoir-central` is a thin binary over it).
//! Filled in by the offline-first sync issue.
