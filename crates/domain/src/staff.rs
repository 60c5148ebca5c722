//! Staff members and the PIN lockout rule. Pure: the store persists the counters, `app::login`
//! checks the PIN.

/// What a staff member may do. Managers may also close the day (fiscal issue) and switch modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffRole {
    Seller,
    Manager,
}

impl StaffRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Seller => "seller",
            StaffRole::Manager => "manager",
        }
    }

    pub fn parse(text: &str) -> Option<StaffRole> {
        match text {
            "seller" => Some(StaffRole::Seller),
            "manager" => Some(StaffRole::Manager),
            _ => None,
        }
    }
}

/// A staff member as the login page lists them (no secret in here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffMember {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: StaffRole,
}

/// After `max_failures` wrong PINs in a row the account is locked for `lock_seconds`: enough to
/// stop someone trying the 10,000 four-digit PINs at the counter, short enough not to block a
/// shift.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: i64,
    pub lock_seconds: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            lock_seconds: 5 * 60,
        }
    }
}

/// The counters after one more wrong PIN: `(failures, locked_until)`. Reaching the limit locks
/// the account and starts a fresh count for after the lock.
pub fn after_failure(failures: i64, now: i64, policy: LockoutPolicy) -> (i64, Option<i64>) {
    let failures = failures.saturating_add(1);
    if failures >= policy.max_failures {
        (0, Some(now.saturating_add(policy.lock_seconds)))
    } else {
        (failures, None)
    }
}

/// Whether an account locked until `locked_until` is still locked at `now`.
pub fn is_locked(locked_until: Option<i64>, now: i64) -> bool {
    locked_until.is_some_and(|until| now < until)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fifth_failure_locks_for_five_minutes() {
        let policy = LockoutPolicy::default();
        let mut failures = 0;
        for _ in 0..4 {
            let (f, locked) = after_failure(failures, 1_000, policy);
            assert_eq!(locked, None);
            failures = f;
        }
        assert_eq!(after_failure(failures, 1_000, policy), (0, Some(1_300)));
        assert!(is_locked(Some(1_300), 1_299));
        assert!(!is_locked(Some(1_300), 1_300));
        assert!(!is_locked(None, 0));
    }
}
