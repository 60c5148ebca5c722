//! Staff accounts: the list the login page shows, the PIN hash to check, the lockout counters.

use rusqlite::{OptionalExtension, params};

use super::{Result, Store, StoreError};
use crate::domain::staff::{StaffMember, StaffRole};

/// A staff account with its secret and counters, for the login use case only.
#[derive(Clone, Debug)]
pub struct StaffAccount {
    pub member: StaffMember,
    pub pin_hash: String,
    pub failed_attempts: i64,
    pub locked_until: Option<i64>,
}

fn role(text: &str) -> Result<StaffRole> {
    StaffRole::parse(text).ok_or_else(|| StoreError::Corrupt(format!("staff role {text:?}")))
}

impl Store {
    /// Active staff members, by name.
    pub fn staff_members(&self) -> Result<Vec<StaffMember>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, login, display_name, role FROM staff WHERE active = 1
             ORDER BY display_name",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?;
        rows.map(|row| {
            let (id, login, display_name, r) = row?;
            Ok(StaffMember {
                id,
                login,
                display_name,
                role: role(&r)?,
            })
        })
        .collect()
    }

    /// The active account with this login.
    pub fn staff_account(&self, login: &str) -> Result<Option<StaffAccount>> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT id, login, display_name, role, pin_hash, failed_attempts, locked_until
                 FROM staff WHERE login = ?1 AND active = 1",
            )?
            .query_row(params![login], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, i64>(5)?,
                    row.get::<_, Option<i64>>(6)?,
                ))
            })
            .optional()?;
        row.map(
            |(id, login, display_name, r, pin_hash, failed_attempts, locked_until)| {
                Ok(StaffAccount {
                    member: StaffMember {
                        id,
                        login,
                        display_name,
                        role: role(&r)?,
                    },
                    pin_hash,
                    failed_attempts,
                    locked_until,
                })
            },
        )
        .transpose()
    }

    /// Stores the lockout counters after a login attempt.
    pub fn set_login_counters(
        &self,
        staff_id: i64,
        failed_attempts: i64,
        locked_until: Option<i64>,
        now: i64,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE staff SET failed_attempts = ?2, locked_until = ?3, updated_at = ?4
                 WHERE id = ?1",
            )?
            .execute(params![staff_id, failed_attempts, locked_until, now])?;
        Ok(())
    }

    /// Creates or replaces a staff account (the demo seed and, later, sync).
    pub fn upsert_staff(
        &self,
        login: &str,
        display_name: &str,
        role: StaffRole,
        pin_hash: &str,
        now: i64,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO staff (login, display_name, role, pin_hash, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (login) DO UPDATE SET display_name = excluded.display_name,
                     role = excluded.role, pin_hash = excluded.pin_hash,
                     updated_at = excluded.updated_at",
            )?
            .execute(params![login, display_name, role.as_str(), pin_hash, now])?;
        Ok(())
    }
}
