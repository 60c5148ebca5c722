//! The central on PostgreSQL (issue 18): its schema as versioned migrations ([`schema`]) and
//! `copy-to`, which moves an embedded SQLite central into an empty PostgreSQL database and
//! verifies it ([`copy`]). The use cases run on it through [`crate::sql`] and
//! [`crate::store::Store`], as on SQLite.

pub mod copy;
pub mod schema;

/// What can go wrong on the PostgreSQL side. A connection URL is never part of a message: it
/// may hold a password. The driver's own error is the source, printed after the message by the
/// binary's error chain, not in it.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("PostgreSQL")]
    Postgres(#[from] postgres::Error),
    #[error("PostgreSQL schema migration {version} failed")]
    Migration {
        version: i64,
        #[source]
        source: postgres::Error,
    },
}
