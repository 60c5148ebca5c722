//! Files only their owner may read: the terminal's database holds its bearer token and the
//! central's every customer's name, e-mail and phone, so both are created 0600 (their folders
//! 0700) whatever the umask. SQLite gives a database's `-wal` and `-shm` files the mode of the
//! database itself, so creating the database private is enough for all three. A file an earlier
//! version left readable by others is made private when it is opened.

use std::io;
use std::path::Path;

/// Creates `dir` and any missing parents, 0700 (an existing folder is left as it is: it may be
/// a home or a system folder).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Makes the database `path` (and its `-wal` and `-shm` files when they exist) readable by
/// its owner only, creating it empty and private when it does not exist yet.
pub fn make_database_private(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = Path::new(&name);
            match std::fs::metadata(file) {
                Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
                }
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn a_new_database_and_its_folders_are_private_and_an_old_one_becomes_so() {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("a/b");
        create_private_dir(&dir).expect("dir");
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&root.path().join("a")), 0o700);

        let db = dir.join("t.db");
        make_database_private(&db).expect("new");
        assert_eq!(mode(&db), 0o600);

        let old = dir.join("old.db");
        let wal = dir.join("old.db-wal");
        for file in [&old, &wal] {
            std::fs::write(file, b"").expect("write");
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        make_database_private(&old).expect("old");
        assert_eq!(mode(&old), 0o600);
        assert_eq!(mode(&wal), 0o600);
    }
}
