//! Issue 19, « trust nothing that arrives », the terminal's own database file: several first
//! starts on one new file at once, a file whose pages are damaged, a file emptied to 0 bytes.
//! Each is driven through the real `comptoir` binary on a real SQLite file.

use std::process::Stdio;

use comptoir::store::Store;

use crate::util::{assert_success, comptoir, doctor_check, stderr_of, temp_db};

/// Issue 19: four `comptoir seed` started at once on the same new file used to fail three times
/// with the whole SQL of migration 0001 in the message (each read version 0, then ran it after
/// the first had committed). Now the file is migrated once: no run fails on a migration, the
/// seeds that find the demo store already there fail in one line, and the file is sound.
#[test]
fn four_seeds_at_once_on_a_new_file_migrate_it_once() {
    let db = temp_db();
    let children: Vec<_> = (0..4)
        .map(|_| {
            comptoir(&db.path)
                .args(["seed", "--products", "1", "--json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start comptoir seed")
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|child| child.wait_with_output().expect("wait for comptoir seed"))
        .collect();
    let mut succeeded = 0;
    for output in &outputs {
        let stderr = stderr_of(output);
        if output.status.success() {
            succeeded += 1;
            continue;
        }
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(
            !stderr.contains("up to date"),
            "a migration failed: {stderr}"
        );
        assert!(!stderr.contains("CREATE TABLE"), "{stderr}");
    }
    assert!(succeeded >= 1, "no seed succeeded");

    let store = Store::open(&db.path).expect("open the seeded file");
    assert_eq!(
        store.schema_version().expect("version"),
        comptoir::store::schema_migrations().len() as i64
    );
    assert_eq!(
        store.quick_check().expect("quick_check"),
        Vec::<String>::new()
    );
    assert_eq!(store.product_count().expect("count"), 1, "seeded once");
    drop(store);
    assert_success(
        &comptoir(&db.path)
            .args(["journal", "verify"])
            .output()
            .expect("journal verify"),
    );
}

/// Issue 19: a database file truncated to 0 bytes used to be taken by SQLite for a new store,
/// migrated, and « verified » with an empty journal. Every command refuses it now, with what to
/// do, and leaves it as it is; `comptoir seed`, which creates a store on purpose, takes it; a
/// path where no file exists still becomes a new store.
#[test]
fn an_empty_database_file_is_refused_except_by_seed() {
    let db = temp_db();
    std::fs::write(&db.path, b"").expect("an empty file");
    let gtin = comptoir::domain::demo::product(0).gtin;
    let refusing: [&[&str]; 4] = [
        &["journal", "verify"],
        &["sell", gtin.as_str(), "--pay", "card"],
        &["sync", "status"],
        &["basket", "show"],
    ];
    for args in refusing {
        let output = comptoir(&db.path)
            .args(args)
            .output()
            .expect("run comptoir");
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        for says in ["empty file", "truncated", "backup", "remove it"] {
            assert!(stderr.contains(says), "{args:?}: {stderr}");
        }
        assert_eq!(
            std::fs::metadata(&db.path).expect("the file").len(),
            0,
            "{args:?} wrote into the empty file"
        );
    }
    let (status, database) = doctor_check(&db.path, "database");
    assert_eq!(status, Some(1));
    assert_eq!(database["verdict"], "fail", "{database:#}");
    assert!(
        database["detail"]
            .as_str()
            .is_some_and(|d| d.contains("0 bytes")),
        "{database:#}"
    );

    assert_success(
        &comptoir(&db.path)
            .args(["seed", "--products", "1", "--json"])
            .output()
            .expect("seed"),
    );
    assert_success(
        &comptoir(&db.path)
            .args(["sell", gtin.as_str(), "--pay", "card"])
            .output()
            .expect("sell"),
    );

    let fresh = temp_db();
    assert_success(
        &comptoir(&fresh.path)
            .args(["journal", "verify"])
            .output()
            .expect("journal verify on a new path"),
    );
    assert!(std::fs::metadata(&fresh.path).expect("created").len() > 0);
}

/// Where the root page of `table` starts in the SQLite file at `path`, in bytes.
fn root_page_offset(path: &std::path::Path, table: &str) -> usize {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open read-only");
    let page: i64 = conn
        .query_row(
            "SELECT rootpage FROM sqlite_schema WHERE name = ?1",
            [table],
            |row| row.get(0),
        )
        .expect("root page");
    let size: i64 = conn
        .query_row("PRAGMA page_size", [], |row| row.get(0))
        .expect("page size");
    usize::try_from((page - 1) * size).expect("an offset")
}

/// Issue 19: `sell` went through on a database whose pages were damaged (SQLite only notices
/// the pages it reads; only the doctor's quick_check saw it), writing new fiscal records into a
/// store that has to be restored. 2 KB of the page that holds the journal's entries are
/// overwritten in the file of a store with one sale: `sell` now refuses in one line that sends
/// the operator to `comptoir doctor`, exits 1, and writes nothing.
#[test]
fn a_sale_is_refused_on_a_database_with_damaged_pages() {
    let db = crate::util::seeded_db(20);
    let gtin = comptoir::domain::demo::product(1).gtin;
    let sell = || {
        comptoir(&db.path)
            .args(["sell", gtin.as_str(), "--pay", "card"])
            .output()
            .expect("sell")
    };
    assert_success(&sell());
    // Closed cleanly: everything is in the main file, no write-ahead log left.
    assert!(!db.dir.path().join("comptoir.db-wal").exists());

    // Past the page's 8-byte header: its cell pointers and cells.
    let start = root_page_offset(&db.path, "journal_entry") + 8;
    let mut bytes = std::fs::read(&db.path).expect("read the database");
    bytes[start..start + 2048].fill(0xAB);
    std::fs::write(&db.path, &bytes).expect("damage the journal's page");

    let refused = sell();
    let stderr = stderr_of(&refused);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    for says in ["damaged", "comptoir doctor", "nothing was sold"] {
        assert!(stderr.contains(says), "{stderr}");
    }
    assert!(refused.stdout.is_empty(), "a ticket was printed");
    assert_eq!(
        std::fs::read(&db.path).expect("read the database again"),
        bytes,
        "the refused sale wrote into the file"
    );
    let conn =
        rusqlite::Connection::open_with_flags(&db.path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open read-only");
    let sales: i64 = conn
        .query_row("SELECT count(*) FROM sale", [], |row| row.get(0))
        .expect("count the sales");
    assert_eq!(sales, 1, "the refused sale was recorded");
    drop(conn);

    let (status, database) = doctor_check(&db.path, "database");
    assert_eq!(status, Some(1));
    assert_eq!(database["verdict"], "fail", "{database:#}");
}
