//! The terminal itself: its start (a technical event of the fiscal journal), the store it stands
//! in, who may log in, and its training mode. The screens ask these here rather than of the
//! database.

use crate::domain::staff::StaffMember;
use crate::store::{EntryDraft, Store, StoreError};

/// What a screen needs once the terminal has started.
#[derive(Clone, Debug)]
pub struct Started {
    /// The store's name (its code when the name is not known).
    pub store_name: String,
    pub staff: Vec<StaffMember>,
    pub training: bool,
}

/// Journals the start of the terminal and reads what the first screen shows. A journal that
/// cannot be written is logged and the screen still opens: the staff must see what is wrong
/// (doctor, status bar) rather than a blank window.
pub fn start(store: &mut Store, terminal_id: &str, store_code: &str, now: i64) -> Started {
    if let Err(error) = store.journal_event(EntryDraft::technical(terminal_id, None, "start", now))
    {
        tracing::error!(%error, "cannot journal the start");
    }
    Started {
        store_name: store_name(store, store_code),
        staff: staff_members(store),
        training: store.training_mode().unwrap_or_else(|error| {
            tracing::error!(%error, "cannot read the training mode");
            false
        }),
    }
}

/// The name of the store `code` (its code when the name is not known).
pub fn store_name(store: &Store, code: &str) -> String {
    store
        .location_name(code)
        .ok()
        .flatten()
        .unwrap_or_else(|| code.to_owned())
}

/// Who may log in on this terminal; empty (and logged) when the database cannot say.
pub fn staff_members(store: &Store) -> Vec<StaffMember> {
    store.staff_members().unwrap_or_else(|error| {
        tracing::error!(%error, "cannot list staff");
        Vec::new()
    })
}

/// Whether tickets are marked « MODE FORMATION ».
pub fn training_mode(store: &Store) -> Result<bool, StoreError> {
    store.training_mode()
}

/// Switches training mode, journaled with the manager who did it.
pub fn set_training_mode(
    store: &mut Store,
    on: bool,
    terminal_id: &str,
    manager: &str,
    now: i64,
) -> Result<(), StoreError> {
    store
        .set_training_mode(on, terminal_id, Some(manager), now)
        .map(|_| ())
}
