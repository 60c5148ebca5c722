//! The central's Ed25519 signing key: generated on first use, kept in the data directory as
//! `signing.key` (the 32-byte secret seed, file mode 0600), never logged and never sent. Its
//! public half goes to every enrolled terminal, which verifies signed loyalty and pickup codes
//! offline with it.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};

/// The key file inside the data directory.
pub const KEY_FILE: &str = "signing.key";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read or write the signing key {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the signing key {path} is damaged ({len} bytes, expected 32): restore it from a backup"
    )]
    Damaged { path: PathBuf, len: usize },
    #[error("the system's random generator failed: {0}")]
    Random(String),
}

/// The central's signing key.
pub struct SigningKeys {
    key: SigningKey,
}

impl SigningKeys {
    /// The key in `dir`, created on first use.
    pub fn load_or_create(dir: &Path) -> Result<SigningKeys, KeyError> {
        let path = dir.join(KEY_FILE);
        let io = |source| KeyError::Io {
            path: path.clone(),
            source,
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                let seed: [u8; 32] =
                    bytes.as_slice().try_into().map_err(|_| KeyError::Damaged {
                        path: path.clone(),
                        len: bytes.len(),
                    })?;
                warn_if_readable_by_others(&path);
                Ok(SigningKeys {
                    key: SigningKey::from_bytes(&seed),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let seed = SigningKeys::fresh_seed()?;
                // Written aside then linked into place: a crash never leaves a half-written key
                // behind, and of two instances starting at once on one directory the first
                // link wins and the other reads its key (a rename would replace it).
                let tmp = dir.join(format!(
                    "{KEY_FILE}.{}.{:08x}.tmp",
                    std::process::id(),
                    getrandom::u32().map_err(|e| KeyError::Random(e.to_string()))?
                ));
                let mut file = private_file(&tmp).map_err(io)?;
                file.write_all(&seed).map_err(io)?;
                file.sync_all().map_err(io)?;
                let linked = std::fs::hard_link(&tmp, &path);
                let _ = std::fs::remove_file(&tmp);
                match linked {
                    Ok(()) => {
                        tracing::info!("generated the central's signing key");
                        Ok(SigningKeys::from_seed(&seed))
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        SigningKeys::load_or_create(dir)
                    }
                    Err(e) => Err(io(e)),
                }
            }
            Err(e) => Err(io(e)),
        }
    }

    /// A fresh secret seed, for a key kept elsewhere than in a file (the PostgreSQL central's,
    /// shared by its instances).
    pub fn fresh_seed() -> Result<[u8; 32], KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(seed)
    }

    /// The secret seed, for `copy-to` to move it into the PostgreSQL central; never logged.
    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    pub fn from_seed(seed: &[u8; 32]) -> SigningKeys {
        SigningKeys {
            key: SigningKey::from_bytes(seed),
        }
    }

    /// The public key as the protocol sends it: 32 bytes, base64url without padding.
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key.verifying_key().as_bytes())
    }

    /// Signs `message` (64-byte Ed25519 signature).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::create(path)
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "the signing key is readable by other users: chmod 600 it");
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};

    #[test]
    fn the_key_is_created_once_private_and_verifiable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = SigningKeys::load_or_create(dir.path()).expect("created");
        let again = SigningKeys::load_or_create(dir.path()).expect("loaded");
        assert_eq!(first.public_key(), again.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .expect("key file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let public: [u8; 32] = URL_SAFE_NO_PAD
            .decode(first.public_key())
            .expect("base64url")
            .try_into()
            .expect("32 bytes");
        let verifying = VerifyingKey::from_bytes(&public).expect("a point");
        let signature = Signature::from_bytes(&again.sign(b"CC000001"));
        assert!(verifying.verify(b"CC000001", &signature).is_ok());
    }

    #[test]
    fn a_damaged_key_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(KEY_FILE), b"short").expect("write");
        assert!(matches!(
            SigningKeys::load_or_create(dir.path()),
            Err(KeyError::Damaged { len: 5, .. })
        ));
    }
}
