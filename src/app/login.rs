//! Staff log-in with a PIN: PINs are stored as salted Argon2id hashes (RustCrypto's `argon2`, the
//! OWASP-recommended password hash), and an account locks for a while after repeated failures.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::domain::staff::{LockoutPolicy, StaffMember, after_failure, is_locked};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("no active staff member has the login {login:?}")]
    UnknownStaff { login: String },
    #[error("wrong PIN; {remaining} attempts left before the account locks")]
    WrongPin { remaining: i64 },
    #[error("too many wrong PINs: this account is locked until {until} (Unix time, UTC)")]
    Locked { until: i64 },
    #[error("a PIN is 4 to 8 digits")]
    MalformedPin,
    #[error("the stored PIN hash cannot be read: {0}")]
    BadHash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A PIN is 4 to 8 digits: what a keypad takes and a hurried hand remembers.
pub fn is_valid_pin(pin: &str) -> bool {
    (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

/// The salted hash stored for `pin` (a PHC string, `$argon2id$v=19$…`).
pub fn hash_pin(pin: &str) -> Result<String, LoginError> {
    if !is_valid_pin(pin) {
        return Err(LoginError::MalformedPin);
    }
    Argon2::default()
        .hash_password(pin.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| LoginError::BadHash(e.to_string()))
}

/// Checks `pin` for the staff member `login` at `now` (Unix seconds, UTC), updating the
/// lockout counters either way.
pub fn log_in(
    store: &Store,
    login: &str,
    pin: &str,
    now: i64,
    policy: LockoutPolicy,
) -> Result<StaffMember, LoginError> {
    let account = store
        .staff_account(login)?
        .ok_or_else(|| LoginError::UnknownStaff {
            login: login.to_owned(),
        })?;
    if let Some(until) = account
        .locked_until
        .filter(|_| is_locked(account.locked_until, now))
    {
        return Err(LoginError::Locked { until });
    }
    let hash =
        PasswordHash::new(&account.pin_hash).map_err(|e| LoginError::BadHash(e.to_string()))?;
    let span = tracing::info_span!("log_in", staff_id = account.member.id);
    let _guard = span.enter();
    if is_valid_pin(pin)
        && Argon2::default()
            .verify_password(pin.as_bytes(), &hash)
            .is_ok()
    {
        store.set_login_counters(account.member.id, 0, None, now)?;
        tracing::info!("staff logged in");
        return Ok(account.member);
    }
    let (failures, locked_until) = after_failure(account.failed_attempts, now, policy);
    store.set_login_counters(account.member.id, failures, locked_until, now)?;
    tracing::warn!(failures, locked = locked_until.is_some(), "wrong PIN");
    match locked_until {
        Some(until) => Err(LoginError::Locked { until }),
        None => Err(LoginError::WrongPin {
            remaining: policy.max_failures - failures,
        }),
    }
}
