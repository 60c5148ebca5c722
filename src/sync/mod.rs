//! The client side of the sync protocol: pushes the outbox, pulls the central's changes. Filled
//! in by the offline-first sync issue; until then the terminal works alone on its own database.
