//! Issue 19, secrets and data at rest: the terminal's database (its bearer token, cached
//! customers) and the central's (every customer's name, e-mail and phone), their WAL files, the
//! signing key and the folders made for them are readable by their owner only, even when the
//! binaries run under the common umask 022; a database an earlier version left 0644 is made
//! private when it is next opened.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::util::{assert_success, central_cli, comptoir};

/// `command`, run by a shell that sets the umask 022 first (the binaries must not rely on a
/// strict umask to keep their files private).
fn under_umask_022(command: &Command) -> Command {
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg("umask 022 && exec \"$@\"")
        .arg("sh")
        .arg(command.get_program())
        .args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => shell.env(key, value),
            None => shell.env_remove(key),
        };
    }
    shell
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The database and whichever of its `-wal` and `-shm` files are there.
fn database_files(db: &Path) -> Vec<std::path::PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            std::path::PathBuf::from(name)
        })
        .filter(|p| p.exists())
        .collect()
}

#[test]
fn the_terminal_database_and_its_folder_are_private_under_umask_022() {
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("var/comptoir");
    let db = folder.join("comptoir.db");
    let mut seed = comptoir(&db);
    seed.args(["seed", "--products", "50"]);
    assert_success(&under_umask_022(&seed).output().expect("seed"));
    assert_eq!(mode(&folder), 0o700, "the folder made for it");
    assert_eq!(mode(&root.path().join("var")), 0o700);
    let files = database_files(&db);
    assert!(!files.is_empty());
    for file in files {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }

    // An earlier version's readable file becomes private when the terminal next opens it.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut sell = comptoir(&db);
    sell.args(["basket", "show"]);
    assert_success(&under_umask_022(&sell).output().expect("basket show"));
    for file in database_files(&db) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[test]
fn the_central_database_and_key_are_private_under_umask_022() {
    let root = tempfile::tempdir().expect("temp dir");
    let data = root.path().join("central-data");
    let mut seed = central_cli(&data);
    seed.args(["seed", "--products", "50"]);
    assert_success(&under_umask_022(&seed).output().expect("seed"));
    assert_eq!(mode(&data), 0o700);
    let db = data.join("central.db");
    for file in database_files(&db) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    let customer = comptoir::domain::demo::customer(1).public_id;
    let mut sign = central_cli(&data);
    sign.args(["sign", "loyalty", &customer]);
    assert_success(&under_umask_022(&sign).output().expect("sign"));
    let key = data.join("signing.key");
    assert!(key.exists(), "signing the code made the key");
    assert_eq!(mode(&key), 0o600);
}
