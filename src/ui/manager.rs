//! The manager's page: closings (Z) and training mode, both journaled, both refused to anyone but
//! a manager (checked on the worker, not only by hiding the button).

use slint::ComponentHandle;

use crate::domain::money::Cents;
use crate::domain::staff::StaffRole;
use crate::store::ClosingPeriod;

use super::format;
use super::session::{Session, now};
use super::worker::Worker;
use super::{AppWindow, ClosingKind, ClosingView, ManagerAdapter, StatusAdapter};

fn manager_login(session: &Session) -> Option<String> {
    session
        .staff
        .as_ref()
        .filter(|s| s.role == StaffRole::Manager)
        .map(|s| s.login.clone())
}

fn close(session: &mut Session, kind: ClosingKind) -> Result<ClosingView, String> {
    let operator = manager_login(session).ok_or("only a manager can close a period")?;
    let period = match kind {
        ClosingKind::Day => ClosingPeriod::Day,
        ClosingKind::Month => ClosingPeriod::Month,
        ClosingKind::Year => ClosingPeriod::Year,
    };
    let report = session
        .store
        .close_period(period, &session.config.terminal_id, Some(&operator), now())
        .map_err(|e| e.to_string())?;
    Ok(ClosingView {
        done: true,
        kind,
        tickets: i32::try_from(report.totals.ticket_count).unwrap_or(i32::MAX),
        total: format::money(Cents::new(report.totals.total), session.lang),
        grand_total: format::money(Cents::new(report.grand_total), session.lang),
        sequence: i32::try_from(report.entry_sequence).unwrap_or(i32::MAX),
    })
}

fn set_training(session: &mut Session, on: bool) -> Result<bool, String> {
    let operator = manager_login(session).ok_or("only a manager can switch training mode")?;
    session
        .store
        .set_training_mode(on, &session.config.terminal_id, Some(&operator), now())
        .map_err(|e| e.to_string())?;
    Ok(on)
}

pub fn setup(window: &AppWindow, worker: &Worker) {
    let adapter = window.global::<ManagerAdapter>();
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_close(move |kind| {
        let weak = weak.clone();
        w.run(move |session| {
            let outcome = close(session, kind);
            let _ = weak.upgrade_in_event_loop(move |window| {
                let a = window.global::<ManagerAdapter>();
                match outcome {
                    Ok(view) => {
                        a.set_problem("".into());
                        a.set_last_closing(view);
                    }
                    Err(problem) => a.set_problem(problem.into()),
                }
            });
        });
    });
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_set_training(move |on| {
        let weak = weak.clone();
        w.run(move |session| {
            let outcome = set_training(session, on);
            let _ = weak.upgrade_in_event_loop(move |window| match outcome {
                Ok(on) => {
                    window.global::<ManagerAdapter>().set_problem("".into());
                    window.global::<StatusAdapter>().set_training(on);
                }
                Err(problem) => window
                    .global::<ManagerAdapter>()
                    .set_problem(problem.into()),
            });
        });
    });
}
