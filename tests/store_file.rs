//! Issue 19, « trust nothing that arrives », the terminal's own database file: several first
//! starts on one new file at once, a file whose pages are damaged, a file emptied to 0 bytes.
//! Each is driven through the real `comptoir` binary on a real SQLite file.

use std::process::Stdio;

use comptoir::store::Store;

use crate::util::{assert_success, comptoir, stderr_of, temp_db};

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
