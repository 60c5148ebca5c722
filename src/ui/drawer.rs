//! The drawer's page: the float, cash in and out for one of the shop's reasons (each journaled
//! by `app::drawer::record_movement`, which opens the drawer), the X report and its ticket; and
//! the blind count the manager's page asks before a day closing. The count is typed on the UI
//! thread (it is only numbers on the screen until the closing writes it); everything that reads
//! or writes the store runs on the worker.

use slint::{ComponentHandle, Model, ModelRc, SharedString, VecModel};

use crate::app::drawer::{self as use_case, DENOMINATIONS, DrawerCount, DrawerReport};
use crate::app::drawer::{MovementError, PrintReportError};
use crate::domain::drawer::{CashReason, DrawerError, MAX_PIECES, MovementKind};
use crate::domain::money::{Cents, parse_euros};

use super::format::{self, Lang};
use super::manager::period_lines;
use super::session::{Session, now};
use super::worker::Worker;
use super::{
    AppWindow, CountPiece, DrawerAction, DrawerAdapter, DrawerMovementRow, DrawerProblem,
    DrawerReportView, MovementReason, PrintState,
};

fn reason_of(action: DrawerAction) -> Option<CashReason> {
    match action {
        DrawerAction::Float => None,
        DrawerAction::ChangeTopUp => Some(CashReason::ChangeTopUp),
        DrawerAction::BankDeposit => Some(CashReason::BankDeposit),
        DrawerAction::PaidOut => Some(CashReason::PaidOut),
    }
}

/// The X report as the page shows it.
pub fn report_view(report: &DrawerReport, lang: Lang) -> DrawerReportView {
    let money = |cents: i64| format::money(Cents::new(cents), lang);
    let (vat, payments) = period_lines(&report.vat, &report.payments, lang);
    let movements: Vec<DrawerMovementRow> = report
        .movements
        .iter()
        .filter(|m| m.kind != MovementKind::Float)
        .map(|m| DrawerMovementRow {
            cash_out: m.kind == MovementKind::Out,
            reason: match CashReason::of_key(&m.reason) {
                Some(CashReason::ChangeTopUp) => MovementReason::ChangeTopUp,
                Some(CashReason::BankDeposit) => MovementReason::BankDeposit,
                Some(CashReason::PaidOut) => MovementReason::PaidOut,
                None => MovementReason::Other,
            },
            typed: m.reason.as_str().into(),
            amount: money(m.amount_cents),
        })
        .collect();
    DrawerReportView {
        tickets: i32::try_from(report.ticket_count).unwrap_or(i32::MAX),
        total: money(report.total_cents),
        vat,
        payments,
        float: money(report.float_cents),
        cash_sales: money(report.cash_sales_cents),
        movements: ModelRc::new(VecModel::from(movements)),
        expected: money(report.expected_cash_cents),
    }
}

/// What recording a movement gives the page.
enum Recorded {
    Done {
        action: DrawerAction,
        amount: SharedString,
        sequence: i32,
        kick_failed: bool,
        /// Built into the page's view on the UI thread (a Slint model is not `Send`).
        report: Option<DrawerReport>,
    },
    Refused {
        problem: DrawerProblem,
        amount: SharedString,
    },
}

fn refused(problem: DrawerProblem, amount: SharedString) -> Recorded {
    Recorded::Refused { problem, amount }
}

fn record(session: &mut Session, action: DrawerAction, typed: &str) -> Recorded {
    let lang = session.lang;
    let Ok(amount) = parse_euros(typed) else {
        return refused(DrawerProblem::Unreadable, "".into());
    };
    let Some(operator) = session.staff.as_ref().map(|s| s.login.clone()) else {
        tracing::warn!("a drawer movement with nobody logged in");
        return refused(DrawerProblem::Failed, "".into());
    };
    let (kind, reason) = match reason_of(action) {
        Some(reason) => (reason.kind(), reason.key()),
        None => (MovementKind::Float, ""),
    };
    let outcome = use_case::record_movement(
        &mut session.store,
        &session.config,
        &operator,
        kind,
        amount,
        reason,
        now(),
    );
    let money = |cents: i64| format::money(Cents::new(cents), lang);
    match outcome {
        Ok(recorded) => Recorded::Done {
            action,
            amount: format::money(amount, lang),
            sequence: i32::try_from(recorded.sequence).unwrap_or(i32::MAX),
            kick_failed: recorded.kick_failed.is_some(),
            report: use_case::report(&session.store, &session.config).ok(),
        },
        Err(MovementError::Invalid(DrawerError::NotPositive)) => {
            refused(DrawerProblem::Zero, "".into())
        }
        Err(MovementError::Invalid(DrawerError::TooLarge(_))) => {
            refused(DrawerProblem::TooLarge, "".into())
        }
        Err(MovementError::FloatAlreadySet { float_cents }) => {
            refused(DrawerProblem::FloatAlreadySet, money(float_cents))
        }
        Err(MovementError::NotEnoughCash { expected_cents }) => {
            refused(DrawerProblem::NotEnoughCash, money(expected_cents))
        }
        Err(error) => {
            tracing::error!(%error, "drawer movement failed");
            refused(DrawerProblem::Failed, "".into())
        }
    }
}

fn apply_recorded(window: &AppWindow, outcome: Recorded, lang: Lang) {
    let a = window.global::<DrawerAdapter>();
    match outcome {
        Recorded::Done {
            action,
            amount,
            sequence,
            kick_failed,
            report,
        } => {
            a.set_problem(DrawerProblem::None);
            a.set_amount("".into());
            a.set_recorded(true);
            a.set_recorded_action(action);
            a.set_recorded_amount(amount);
            a.set_recorded_sequence(sequence);
            a.set_kick_failed(kick_failed);
            if let Some(report) = report {
                a.set_report(report_view(&report, lang));
            }
        }
        Recorded::Refused { problem, amount } => {
            a.set_problem_amount(amount);
            a.set_problem(problem);
        }
    }
}

/// The denominations with nothing counted, largest first.
fn empty_count(lang: Lang) -> Vec<CountPiece> {
    DENOMINATIONS
        .iter()
        .map(|&cents| CountPiece {
            // « 50 € », « 0,50 € »: as the notes and coins say it.
            label: super::checkout::whole_euros(Cents::new(cents), lang),
            coin: cents <= 200,
            count: 0,
        })
        .collect()
}

fn pieces(window: &AppWindow) -> Vec<(i64, i64)> {
    let model = window.global::<DrawerAdapter>().get_pieces();
    DENOMINATIONS
        .iter()
        .zip(model.iter())
        .map(|(&cents, piece)| (cents, i64::from(piece.count)))
        .collect()
}

/// The blind count as the page holds it, for the day closing: `None` when the page's count is
/// not one a drawer can hold (it never is: the keypad stops at the bound).
pub fn counted(window: &AppWindow) -> Option<DrawerCount> {
    DrawerCount::from_pieces(pieces(window)).ok()
}

fn show_total(window: &AppWindow, lang: Lang) {
    let total = DrawerCount::from_pieces(pieces(window)).map_or(0, |c| c.total_cents());
    window
        .global::<DrawerAdapter>()
        .set_counted_total(format::money(Cents::new(total), lang));
}

/// Sets the selected denomination's count with `change`, kept within what a drawer holds.
fn edit_selected(window: &AppWindow, lang: Lang, change: impl Fn(i64) -> Option<i64>) {
    let a = window.global::<DrawerAdapter>();
    let model = a.get_pieces();
    let Some(index) = usize::try_from(a.get_selected()).ok() else {
        return;
    };
    let Some(mut piece) = model.row_data(index) else {
        return;
    };
    if let Some(count) = change(i64::from(piece.count)).filter(|c| (0..=MAX_PIECES).contains(c)) {
        piece.count = i32::try_from(count).unwrap_or(0);
        model.set_row_data(index, piece);
        show_total(window, lang);
    }
}

/// Sets the count of the denomination at `index` (the screenshots' way of typing it).
pub fn set_count(window: &AppWindow, lang: Lang, index: usize, count: i32) {
    let a = window.global::<DrawerAdapter>();
    a.set_selected(i32::try_from(index).unwrap_or(0));
    edit_selected(window, lang, |_| Some(i64::from(count)));
}

/// Empties the count (a new day closing starts from nothing).
pub fn reset_count(window: &AppWindow, lang: Lang) {
    let a = window.global::<DrawerAdapter>();
    a.set_pieces(ModelRc::new(VecModel::from(empty_count(lang))));
    a.set_selected(0);
    show_total(window, lang);
}

/// The kind the page words; the error's text goes to the log.
fn print_problem(error: &PrintReportError) -> super::PrintProblem {
    tracing::warn!(%error, "printing the X report failed");
    match error {
        PrintReportError::Printer(printer) => super::checkout::problem_of(printer),
        _ => super::PrintProblem::Other,
    }
}

pub fn setup(window: &AppWindow, worker: &Worker, lang: Lang) {
    let adapter = window.global::<DrawerAdapter>();
    reset_count(window, lang);
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_record(move |action, typed| {
        let weak = weak.clone();
        let typed = typed.to_string();
        w.run(move |session| {
            let outcome = record(session, action, &typed);
            let lang = session.lang;
            let _ =
                weak.upgrade_in_event_loop(move |window| apply_recorded(&window, outcome, lang));
        });
    });
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_load_report(move || {
        let weak = weak.clone();
        w.run(move |session| {
            let report = use_case::report(&session.store, &session.config);
            let lang = session.lang;
            let _ = weak.upgrade_in_event_loop(move |window| {
                let a = window.global::<DrawerAdapter>();
                match report {
                    Ok(report) => a.set_report(report_view(&report, lang)),
                    Err(error) => {
                        tracing::error!(%error, "X report failed");
                        a.set_problem(DrawerProblem::Failed);
                    }
                }
            });
        });
    });
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_print_report(move || {
        if let Some(window) = weak.upgrade() {
            window
                .global::<DrawerAdapter>()
                .set_print_state(PrintState::Printing);
        }
        let weak = weak.clone();
        w.run(move |session| {
            let outcome = use_case::print_report(&session.store, &session.config, None, now());
            let lang = session.lang;
            let _ = weak.upgrade_in_event_loop(move |window| {
                let a = window.global::<DrawerAdapter>();
                match outcome {
                    Ok(report) => {
                        a.set_report(report_view(&report, lang));
                        a.set_print_state(PrintState::Printed);
                    }
                    Err(error) => {
                        a.set_print_problem(print_problem(&error));
                        a.set_print_state(PrintState::Failed);
                    }
                }
            });
        });
    });
    let weak = window.as_weak();
    adapter.on_count_digit(move |digit| {
        let Some(window) = weak.upgrade() else { return };
        if let Ok(d) = digit.parse::<i64>() {
            edit_selected(&window, lang, |count| {
                count.checked_mul(10).and_then(|c| c.checked_add(d))
            });
        }
    });
    let weak = window.as_weak();
    adapter.on_count_erase(move || {
        if let Some(window) = weak.upgrade() {
            edit_selected(&window, lang, |count| Some(count / 10));
        }
    });
    let weak = window.as_weak();
    adapter.on_count_reset(move || {
        if let Some(window) = weak.upgrade() {
            reset_count(&window, lang);
        }
    });
}
