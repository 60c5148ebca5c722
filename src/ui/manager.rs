//! The manager's page: closings (Z) and training mode, both journaled, both refused to anyone but
//! a manager (checked on the worker, not only by hiding the button). A closing cannot be undone,
//! so a tap on « Clôturer » only shows what it would record; it is written by
//! `app::closing::close_with_pin` once the manager's PIN is checked again.

use slint::{ComponentHandle, ModelRc, VecModel};

use crate::app::closing::{self as use_case, ClosingError};
use crate::app::closing::{ClosingPeriod, ClosingReport, ManagerPin};
use crate::app::login::LoginError;
use crate::domain::drawer::DrawerCount;
use crate::domain::journal::{PaymentAmount, VatAmount};
use crate::domain::money::Cents;
use crate::domain::staff::{LockoutPolicy, StaffRole};
use crate::domain::vat::VatRate;
use crate::store::CountResult;

use super::format::{self, Lang};
use super::session::{Session, now};
use super::worker::Worker;
use super::{
    AppWindow, ClosingKind, ClosingPaymentLine, ClosingPinProblem, ClosingPreview, ClosingVatLine,
    ClosingView, ManagerAdapter, ManagerProblem, StatusAdapter,
};

fn manager_login(session: &Session) -> Option<String> {
    session
        .staff
        .as_ref()
        .filter(|s| s.role == StaffRole::Manager)
        .map(|s| s.login.clone())
}

fn period_of(kind: ClosingKind) -> ClosingPeriod {
    match kind {
        ClosingKind::Day => ClosingPeriod::Day,
        ClosingKind::Month => ClosingPeriod::Month,
        ClosingKind::Year => ClosingPeriod::Year,
    }
}

fn kind_of(period: ClosingPeriod) -> ClosingKind {
    match period {
        ClosingPeriod::Day => ClosingKind::Day,
        ClosingPeriod::Month => ClosingKind::Month,
        ClosingPeriod::Year => ClosingKind::Year,
    }
}

fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A period's lines as the pages show them: one per VAT rate, one per means of payment, amounts
/// in the user's language (the closing's preview and the X report).
pub fn period_lines(
    vat: &[VatAmount],
    payments: &[PaymentAmount],
    lang: Lang,
) -> (ModelRc<ClosingVatLine>, ModelRc<ClosingPaymentLine>) {
    let money = |cents: i64| format::money(Cents::new(cents), lang);
    let vat: Vec<ClosingVatLine> = vat
        .iter()
        .map(|v| ClosingVatLine {
            // The journal only holds French rates; an unknown one is still shown, as a number.
            rate: VatRate::from_basis_points(v.rate).map_or_else(
                |_| format!("{}.{:02}%", v.rate / 100, v.rate % 100).into(),
                |rate| format::vat(rate, lang),
            ),
            base: money(v.base),
            vat: money(v.vat),
            total: money(v.total),
        })
        .collect();
    let payments: Vec<ClosingPaymentLine> = payments
        .iter()
        .map(|p| ClosingPaymentLine {
            method: p.method.as_str().into(),
            amount: money(p.amount),
        })
        .collect();
    (
        ModelRc::new(VecModel::from(vat)),
        ModelRc::new(VecModel::from(payments)),
    )
}

/// The preview as the page shows it: amounts in the user's language, one line per VAT rate and
/// per means of payment.
pub fn preview_view(preview: &use_case::ClosingPreview, lang: Lang) -> ClosingPreview {
    let money = |cents: i64| format::money(Cents::new(cents), lang);
    let totals = &preview.figures.totals;
    let (vat, payments) = period_lines(&totals.vat, &totals.payments, lang);
    ClosingPreview {
        kind: kind_of(preview.period),
        tickets: count(totals.ticket_count),
        vat,
        payments,
        total: money(totals.total),
        grand_total: money(preview.figures.grand_total),
    }
}

/// The figures a closing of `kind` would record now (nothing is written).
fn preview(
    session: &mut Session,
    kind: ClosingKind,
) -> Result<use_case::ClosingPreview, ManagerProblem> {
    manager_login(session).ok_or(ManagerProblem::NotManager)?;
    use_case::preview(
        &mut session.store,
        period_of(kind),
        &session.config.terminal_id,
        now(),
    )
    .map_err(|error| {
        tracing::error!(%error, "the closing's figures cannot be read");
        ManagerProblem::ClosingFailed
    })
}

/// The closing written, with the drawer's count, the cash expected and the difference when the
/// count was made: now that it is written, they can be shown.
pub fn done_view(report: &ClosingReport, counted: Option<&CountResult>, lang: Lang) -> ClosingView {
    let money = |cents: i64| format::money(Cents::new(cents), lang);
    let mut view = ClosingView {
        done: true,
        kind: kind_of(report.period),
        tickets: count(report.totals.ticket_count),
        total: money(report.totals.total),
        grand_total: money(report.grand_total),
        sequence: count(report.entry_sequence),
        ..ClosingView::default()
    };
    if let Some(c) = counted {
        view.counted = true;
        view.counted_total = money(c.counted_cents);
        view.expected = money(c.expected_cash_cents);
        // The sign is the page's to say (« il manque » / « en plus »).
        view.difference = money(c.difference_cents.abs());
        view.difference_sign = c.difference_cents.signum() as i32;
    }
    view
}

/// What a confirmation with a PIN gives the page.
enum Confirmed {
    Closed(ClosingView),
    /// The PIN was refused: nothing was written.
    Refused {
        problem: ClosingPinProblem,
        attempts_left: i32,
        locked_minutes: i32,
    },
    /// Nothing was written; the error is logged.
    Failed,
}

fn refused(problem: ClosingPinProblem) -> Confirmed {
    Confirmed::Refused {
        problem,
        attempts_left: 0,
        locked_minutes: 0,
    }
}

fn confirm(
    session: &mut Session,
    kind: ClosingKind,
    pin: &str,
    drawer_count: Option<&DrawerCount>,
) -> Confirmed {
    let Some(login) = manager_login(session) else {
        return refused(ClosingPinProblem::NotManager);
    };
    let now = now();
    let outcome = use_case::close_counted_with_pin(
        &mut session.store,
        ManagerPin {
            login: &login,
            pin,
            policy: LockoutPolicy::default(),
        },
        period_of(kind),
        &session.config.terminal_id,
        now,
        drawer_count,
    );
    match outcome {
        Ok((report, counted)) => {
            Confirmed::Closed(done_view(&report, counted.as_ref(), session.lang))
        }
        Err(ClosingError::Login(error)) => match *error {
            LoginError::WrongPin { remaining } => Confirmed::Refused {
                problem: ClosingPinProblem::WrongPin,
                attempts_left: count(remaining),
                locked_minutes: 0,
            },
            LoginError::Locked { until } => Confirmed::Refused {
                problem: ClosingPinProblem::Locked,
                attempts_left: 0,
                locked_minutes: count(((until - now).max(0) + 59) / 60),
            },
            LoginError::MalformedPin => refused(ClosingPinProblem::Malformed),
            LoginError::UnknownStaff { .. } => refused(ClosingPinProblem::NotManager),
            other => {
                tracing::error!(error = %other, "closing failed at the PIN check");
                Confirmed::Failed
            }
        },
        Err(ClosingError::NotManager { .. }) => refused(ClosingPinProblem::NotManager),
        Err(error @ ClosingError::Store(_)) => {
            tracing::error!(%error, "closing failed");
            Confirmed::Failed
        }
    }
}

/// Shows `preview` with an empty PIN pad.
pub fn show_preview(window: &AppWindow, preview: ClosingPreview) {
    let a = window.global::<ManagerAdapter>();
    a.set_problem(ManagerProblem::None);
    a.set_pin("".into());
    a.set_pin_problem(ClosingPinProblem::None);
    a.set_preview(preview);
    a.set_previewing(true);
}

fn apply_confirmed(window: &AppWindow, outcome: Confirmed) {
    let a = window.global::<ManagerAdapter>();
    match outcome {
        Confirmed::Closed(view) => {
            a.set_previewing(false);
            a.set_pin("".into());
            a.set_pin_problem(ClosingPinProblem::None);
            a.set_problem(ManagerProblem::None);
            a.set_last_closing(view);
        }
        Confirmed::Refused {
            problem,
            attempts_left,
            locked_minutes,
        } => {
            a.set_pin("".into());
            a.set_pin_problem(problem);
            a.set_attempts_left(attempts_left);
            a.set_locked_minutes(locked_minutes);
        }
        Confirmed::Failed => {
            a.set_previewing(false);
            a.set_pin("".into());
            a.set_problem(ManagerProblem::ClosingFailed);
        }
    }
}

/// Leaves any closing preview and its PIN (on log-out: the next person starts afresh).
pub fn clear(window: &AppWindow) {
    let a = window.global::<ManagerAdapter>();
    a.set_previewing(false);
    a.set_counting(false);
    a.set_counted(false);
    a.set_pin("".into());
    a.set_pin_problem(ClosingPinProblem::None);
}

fn set_training(session: &mut Session, on: bool) -> Result<bool, ManagerProblem> {
    let operator = manager_login(session).ok_or(ManagerProblem::NotManager)?;
    crate::app::terminal::set_training_mode(
        &mut session.store,
        on,
        &session.config.terminal_id,
        &operator,
        now(),
    )
    .map_err(|error| {
        tracing::error!(%error, "training mode cannot be switched");
        ManagerProblem::TrainingFailed
    })?;
    Ok(on)
}

pub fn setup(window: &AppWindow, worker: &Worker) {
    let adapter = window.global::<ManagerAdapter>();
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_preview_closing(move |kind| {
        let weak = weak.clone();
        w.run(move |session| {
            let outcome = preview(session, kind);
            let lang = session.lang;
            let _ = weak.upgrade_in_event_loop(move |window| match outcome {
                Ok(preview) => show_preview(&window, preview_view(&preview, lang)),
                Err(problem) => window.global::<ManagerAdapter>().set_problem(problem),
            });
        });
    });
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_confirm_closing(move |kind, pin| {
        // The day's blind count, as typed on the count page: read here, on the UI thread.
        let count = weak
            .upgrade()
            .filter(|window| {
                kind == ClosingKind::Day && window.global::<ManagerAdapter>().get_counted()
            })
            .and_then(|window| super::drawer::counted(&window));
        let weak = weak.clone();
        let pin = pin.to_string();
        w.run(move |session| {
            let outcome = confirm(session, kind, &pin, count.as_ref());
            let _ = weak.upgrade_in_event_loop(move |window| apply_confirmed(&window, outcome));
        });
    });
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_set_training(move |on| {
        let weak = weak.clone();
        w.run(move |session| {
            let outcome = set_training(session, on);
            let _ = weak.upgrade_in_event_loop(move |window| match outcome {
                Ok(on) => {
                    window
                        .global::<ManagerAdapter>()
                        .set_problem(ManagerProblem::None);
                    window.global::<StatusAdapter>().set_training(on);
                }
                Err(problem) => window.global::<ManagerAdapter>().set_problem(problem),
            });
        });
    });
}
