//! `comptoir-central copy-to` (issue 18, moving up): a SQLite central that served a terminal is
//! copied into a throw-away PostgreSQL cluster and verified there; a database that is not empty
//! is refused and left as it was.

use comptoir::domain::signed_code::verify_loyalty;

use crate::pg::{CentralDir, PgCluster};
use crate::sync::{RunningCentral, enrolled_terminal, sell, sync};
use crate::util::{assert_success, central_cli, json_of, stderr_of};

#[test]
fn a_sqlite_central_moves_to_postgresql_with_its_history_and_is_verified() {
    // What moves is an SQLite central, whichever backend the run tests.
    let data = CentralDir::sqlite();
    comptoir_central::seed(data.path(), 300, |_, _| {}).expect("seed");
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let terminal = enrolled_terminal(data.path(), &central.url());
    sell(&terminal.path, &[1, 2, 8]);
    assert_success(&sync(&terminal.path, None));
    drop(central);
    // The terminal's own last journal entry, which the central received and must keep.
    let (sequence, hash): (i64, String) = rusqlite::Connection::open(&terminal.path)
        .expect("terminal database")
        .query_row(
            "SELECT sequence, hash FROM journal_entry ORDER BY sequence DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("the terminal's journal");

    let cluster = PgCluster::start();
    let url = cluster.database("central");
    let copied = central_cli(data.path())
        .args(["copy-to", &url, "--json"])
        .output()
        .expect("copy-to");
    assert_success(&copied);
    let report = json_of(&copied);
    assert_eq!(
        report["schema_version"],
        comptoir_central::pg::schema::latest()
    );
    assert_eq!(report["signing_key"], true);
    assert!(report["rows"].as_u64().expect("rows") > 300, "{report}");
    let journals = report["journals"].as_array().expect("journals");
    assert_eq!(journals.len(), 1, "{report}");
    assert_eq!(journals[0]["sequence"], sequence);
    assert_eq!(journals[0]["hash"], hash.as_str());

    // Read back from PostgreSQL itself: the three tickets, the catalogue, the terminal.
    let mut pg = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let count =
        |pg: &mut postgres::Client, sql: &str| -> i64 { pg.query_one(sql, &[]).expect(sql).get(0) };
    assert_eq!(count(&mut pg, "SELECT count(*) FROM sale"), 3);
    assert_eq!(count(&mut pg, "SELECT count(*) FROM product"), 300);
    assert_eq!(count(&mut pg, "SELECT count(*) FROM device"), 1);
    let table_rows = |name: &str| {
        report["tables"]
            .as_array()
            .expect("tables")
            .iter()
            .find(|t| t["table"] == name)
            .and_then(|t| t["rows"].as_i64())
            .unwrap_or_else(|| panic!("{name} in {report}"))
    };
    assert_eq!(
        table_rows("event"),
        count(&mut pg, "SELECT count(*) FROM event")
    );
    // A new row after the copy takes an id after the copied ones (the identities went on).
    let settled: i64 = pg
        .query_one(
            "INSERT INTO conflict_settlement (order_id, kind, conflict, note, status, at)
             VALUES ('X', 'web', 'c', 'n', 'settled', 0) RETURNING id",
            &[],
        )
        .expect("insert")
        .get(0);
    assert!(settled >= 1);
    pg.execute("DELETE FROM conflict_settlement WHERE order_id = 'X'", &[])
        .expect("clean");

    // The moved central serves the same terminal from PostgreSQL: its next sale arrives, and a
    // code it signs verifies with the key the terminal got when it enrolled with SQLite.
    let moved = tempfile::tempdir().expect("moved");
    std::fs::write(
        moved.path().join(comptoir_central::database::URL_FILE),
        &url,
    )
    .expect("url");
    let central = RunningCentral::start(moved.path(), "127.0.0.1:0");
    sell(&terminal.path, &[4]);
    assert_success(&sync(&terminal.path, Some(&central.url())));
    drop(central);
    assert_eq!(count(&mut pg, "SELECT count(*) FROM sale"), 4);
    let customer = comptoir::domain::demo::customer(1).public_id;
    let signed = central_cli(moved.path())
        .args(["sign", "loyalty", &customer])
        .output()
        .expect("sign");
    assert_success(&signed);
    let code = String::from_utf8_lossy(&signed.stdout);
    let public_key = comptoir_central::keys::SigningKeys::load_or_create(data.path())
        .expect("the SQLite central's key")
        .public_key();
    let claims = verify_loyalty(code.lines().last().expect("code").trim(), &public_key)
        .expect("signed with the moved key");
    assert_eq!(claims.customer_id, customer);

    // A second copy into the same database is refused, and the database keeps what it had.
    let again = central_cli(data.path())
        .args(["copy-to", &url])
        .output()
        .expect("copy-to again");
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr_of(&again).contains("not empty"),
        "{}",
        stderr_of(&again)
    );
    assert_eq!(count(&mut pg, "SELECT count(*) FROM sale"), 4);

    // A database that does not exist is named as a connection failure, not a panic.
    let missing = central_cli(data.path())
        .args(["copy-to", &cluster.url("nowhere")])
        .output()
        .expect("copy-to nowhere");
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr_of(&missing).contains("cannot connect to the PostgreSQL database"),
        "{}",
        stderr_of(&missing)
    );
}

#[test]
fn the_postgresql_schema_has_every_table_and_column_of_the_sqlite_central() {
    // A new SQLite migration needs its PostgreSQL twin: this names what is missing on either side.
    let data = tempfile::tempdir().expect("data");
    comptoir_central::seed(data.path(), 1, |_, _| {}).expect("seed");
    let sqlite =
        rusqlite::Connection::open(data.path().join("central.db")).expect("SQLite central");
    let mut in_sqlite: Vec<(String, String)> = sqlite
        .prepare(
            "SELECT t.name, c.name FROM sqlite_schema AS t, pragma_table_info(t.name) AS c
             WHERE t.type = 'table' AND t.name NOT LIKE 'sqlite_%'",
        )
        .expect("prepare")
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    in_sqlite.sort();

    let cluster = PgCluster::start();
    let mut pg =
        postgres::Client::connect(&cluster.database("schema"), postgres::NoTls).expect("connect");
    let applied = comptoir_central::pg::schema::migrate(&mut pg, 0).expect("migrate");
    assert_eq!(
        applied,
        (1..=comptoir_central::pg::schema::latest()).collect::<Vec<_>>()
    );
    // Applied once: a second run changes nothing.
    assert!(
        comptoir_central::pg::schema::migrate(&mut pg, 0)
            .expect("again")
            .is_empty()
    );
    let mut in_pg: Vec<(String, String)> = pg
        .query(
            // The signing key is a file beside an SQLite central, and `rowid` is SQLite's
            // implicit column spelled out.
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public'
               AND table_name NOT IN ('schema_migrations', 'signing_key')
               AND column_name <> 'rowid'",
            &[],
        )
        .expect("columns")
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    in_pg.sort();
    let only = |a: &[(String, String)], b: &[(String, String)]| {
        a.iter()
            .filter(|x| !b.contains(x))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert!(
        in_sqlite == in_pg,
        "only in SQLite: {:?}; only in PostgreSQL: {:?}",
        only(&in_sqlite, &in_pg),
        only(&in_pg, &in_sqlite)
    );
}
