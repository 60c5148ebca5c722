//! The staff screens' half of « Appeler un vendeur » (issue 17): the calls the store's kiosks
//! made, as the last sync brought them, across the top of every page, and « J'y vais ». The
//! answer goes to the central at once; the kiosk reads it with its own next sync.

use slint::{ComponentHandle, ModelRc, VecModel};

use crate::app::staff_call::{self, WaitingCall};

use super::session::{Session, now};
use super::worker::Worker;
use super::{AppWindow, CallProblem, CallsAdapter, StaffCallRow, format};

fn rows(calls: Vec<WaitingCall>, now: i64) -> Vec<StaffCallRow> {
    calls
        .into_iter()
        .map(|call| StaffCallRow {
            id: call.id.into(),
            terminal: call.terminal.into(),
            age: format::age(call.at, now),
            product: call.product.unwrap_or_default().into(),
        })
        .collect()
}

/// Reads the waiting calls on the worker, then shows them.
fn show_waiting(session: &Session, weak: slint::Weak<AppWindow>) {
    let now = now();
    let calls = staff_call::waiting(&session.store, now).unwrap_or_else(|error| {
        tracing::warn!(%error, "the staff calls cannot be read");
        Vec::new()
    });
    let rows = rows(calls, now);
    let _ = weak.upgrade_in_event_loop(move |window| {
        window
            .global::<CallsAdapter>()
            .set_waiting(ModelRc::new(VecModel::from(rows)));
    });
}

/// After a sync round: the calls it may have brought, or answered. A « hors ligne » about an
/// earlier answer has been read by then.
pub fn refresh(window: &AppWindow, worker: &Worker) {
    window
        .global::<CallsAdapter>()
        .set_problem(CallProblem::None);
    let weak = window.as_weak();
    worker.run(move |session| show_waiting(session, weak));
}

pub fn setup(window: &AppWindow, worker: &Worker) {
    let (weak, w) = (window.as_weak(), worker.clone());
    window.global::<CallsAdapter>().on_answer(move |id| {
        let (weak, worker) = (weak.clone(), w.clone());
        let id = id.to_string();
        w.run(move |session| {
            let staff = session
                .staff
                .as_ref()
                .map_or_else(|| "unknown".to_owned(), |s| s.login.clone());
            let (asked_id, asked_by) = (id.clone(), staff.clone());
            staff_call::answer(&session.central, &session.store, &asked_id, &asked_by, move |answer| {
                worker.run(move |session| {
                    let problem = match answer {
                        Ok(call) => {
                            if let Err(error) = session.store.keep_staff_call(&call) {
                                tracing::warn!(%error, "the answered staff call cannot be kept");
                            }
                            CallProblem::None
                        }
                        Err(error) => {
                            // The seller goes anyway; this terminal stops showing it.
                            tracing::warn!(%error, "the answer to a staff call did not reach the central");
                            let mut call = session.store.staff_call(&id).ok().flatten();
                            if let Some(call) = call.as_mut() {
                                call.answered_by = Some(staff);
                                call.answered_at = Some(now());
                                if let Err(error) = session.store.keep_staff_call(call) {
                                    tracing::warn!(%error, "the answered staff call cannot be kept");
                                }
                            }
                            CallProblem::Offline
                        }
                    };
                    let banner = weak.clone();
                    let _ = banner.upgrade_in_event_loop(move |window| {
                        window.global::<CallsAdapter>().set_problem(problem);
                    });
                    show_waiting(session, weak);
                });
            });
        });
    });
}
