//! The central's schema on PostgreSQL as versioned migrations, like the SQLite central's: each
//! applied once, in order, in its own transaction, and recorded in `schema_migrations`. A file
//! here is never edited once released; a change is a new file.

use postgres::Client;

use super::PgError;

/// The migrations, in order: (version, SQL).
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_central.sql")),
    (2, include_str!("migrations/0002_shared_instances.sql")),
    (3, include_str!("migrations/0003_device_seen.sql")),
];

/// The schema version this build writes and reads.
pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |(version, _)| *version)
}

/// The migrations already applied to the database `client` is connected to (0: none).
pub fn version(client: &mut Client) -> Result<i64, PgError> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('public.schema_migrations') IS NOT NULL",
            &[],
        )?
        .get(0);
    if !exists {
        return Ok(0);
    }
    Ok(client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )?
        .get(0))
}

/// The advisory lock held while the schema is brought up to date (any number, the same
/// everywhere).
const MIGRATION_LOCK: i64 = 0x636f_6d70_7469_6d67;

/// Brings the database to the latest schema; returns the versions it applied. Instances that
/// start together take turns: the first applies the migrations, the others then find nothing
/// left to do.
pub fn migrate(client: &mut Client, now: i64) -> Result<Vec<i64>, PgError> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let applied = migrate_locked(client, now);
    // Released with the connection anyway if this fails.
    client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])?;
    applied
}

fn migrate_locked(client: &mut Client, now: i64) -> Result<Vec<i64>, PgError> {
    client.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    BIGINT PRIMARY KEY,
             applied_at BIGINT NOT NULL
         )",
    )?;
    let current = version(client)?;
    let mut applied = Vec::new();
    for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let mut tx = client.transaction()?;
        tx.batch_execute(sql)
            .map_err(|source| PgError::Migration { version, source })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[&version, &now],
        )?;
        tx.commit()?;
        applied.push(version);
    }
    Ok(applied)
}
