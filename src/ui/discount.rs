//! A seller's discount on screen (issue 15): the dialog the basket page opens on a line
//! (« Remise », « Prix ») or on the whole ticket, and the manager's PIN it asks past the
//! seller's limit. What was typed is read here, `app::basket::set_manual` decides; what went
//! wrong goes back as a [`DiscountProblem`] and the limit, the words being the dialog's.

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::app::basket::{self as use_case, BasketChangeError, DiscountAuthority, ManualChange};
use crate::app::login::LoginError;
use crate::app::pricing::{DiscountPolicy, DiscountRefusal};
use crate::app::sale_guard::OverrideError;
use crate::domain::basket::BasketError;
use crate::domain::discount::{Adjustment, Discount, DiscountError};
use crate::domain::money::parse_euros;

use super::session::now;
use super::worker::Worker;
use super::{AppWindow, DiscountAdapter, DiscountMode, DiscountProblem, DiscountTarget};

/// What the dialog holds, read on the UI thread and sent to the worker.
struct Request {
    change: ManualChange,
    reason: String,
    /// The manager's login and PIN, once the limit asked for them.
    manager: Option<(String, String)>,
}

/// The change typed in the dialog, or why it cannot be one.
fn request_of(a: &DiscountAdapter<'_>) -> Result<Request, DiscountProblem> {
    let value = a.get_value().to_string();
    let mode = a.get_mode();
    let adjustment = match mode {
        DiscountMode::Price => Adjustment::PriceOverride {
            unit_price: parse_euros(&value).map_err(|_| DiscountProblem::Unreadable)?,
        },
        DiscountMode::Percent | DiscountMode::Amount => {
            let typed = if mode == DiscountMode::Percent {
                format!("{value}%")
            } else {
                value
            };
            Adjustment::Discount {
                discount: Discount::parse(&typed).map_err(|e| problem_of_discount(&e))?,
            }
        }
    };
    let change = match a.get_target() {
        DiscountTarget::Line => ManualChange::Line {
            index: usize::try_from(a.get_line()).map_err(|_| DiscountProblem::Failed)?,
            adjustment: Some(adjustment),
        },
        DiscountTarget::Basket => match adjustment {
            Adjustment::Discount { discount } => ManualChange::Basket {
                discount: Some(discount),
            },
            // The dialog offers no price for the whole ticket.
            Adjustment::PriceOverride { .. } => return Err(DiscountProblem::Failed),
        },
    };
    let reason = a.get_reason().to_string();
    if reason.trim().is_empty() {
        return Err(DiscountProblem::NoReason);
    }
    let manager = a
        .get_needs_manager()
        .then(|| (a.get_manager_login().to_string(), a.get_pin().to_string()));
    Ok(Request {
        change,
        reason,
        manager,
    })
}

fn problem_of_discount(error: &DiscountError) -> DiscountProblem {
    match error {
        DiscountError::Unreadable { .. } | DiscountError::Money(_) => DiscountProblem::Unreadable,
        DiscountError::PercentOutOfRange { .. } => DiscountProblem::PercentOutOfRange,
        DiscountError::Zero => DiscountProblem::Zero,
        DiscountError::MoreThanTheAmount { .. } => DiscountProblem::MoreThanAmount,
        DiscountError::OverrideAbovePrice { .. } => DiscountProblem::AbovePrice,
        DiscountError::NoReason => DiscountProblem::NoReason,
        // The screen's reasons are the configuration's, checked against the same bound when it
        // is read: one too long cannot be picked there.
        DiscountError::ReasonTooLong { .. } => DiscountProblem::UnknownReason,
    }
}

/// What the dialog does after a refusal.
enum Answer {
    /// Ask a manager's PIN: the seller's limit, in percent.
    NeedsManager { limit: i64 },
    /// Say what is wrong (with the attempts left before a lockout, for a wrong PIN).
    Problem(DiscountProblem, i64),
}

fn answer_of(error: &BasketChangeError) -> Answer {
    let problem = |p| Answer::Problem(p, 0);
    match error {
        BasketChangeError::Discount(refusal) => match refusal.as_ref() {
            DiscountRefusal::NeedsManager { limit } => Answer::NeedsManager { limit: *limit },
            DiscountRefusal::Discount(e) => problem(problem_of_discount(e)),
            DiscountRefusal::UnknownReason { .. } => problem(DiscountProblem::UnknownReason),
            DiscountRefusal::Manager(e) => match e.as_ref() {
                OverrideError::Login(LoginError::WrongPin { remaining }) => {
                    Answer::Problem(DiscountProblem::WrongPin, *remaining)
                }
                OverrideError::Login(
                    LoginError::MalformedPin | LoginError::UnknownStaff { .. },
                ) => problem(DiscountProblem::WrongPin),
                OverrideError::Login(LoginError::Locked { .. }) => problem(DiscountProblem::Locked),
                OverrideError::NotAManager { .. } => problem(DiscountProblem::NotAManager),
                _ => problem(DiscountProblem::Failed),
            },
            DiscountRefusal::Store(_) => problem(DiscountProblem::Failed),
        },
        BasketChangeError::Basket(BasketError::Discount(e)) => problem(problem_of_discount(e)),
        _ => problem(DiscountProblem::Failed),
    }
}

/// Gives the dialog the chain's reasons.
pub fn show_reasons(window: &AppWindow, reasons: &[String]) {
    let reasons: Vec<SharedString> = reasons.iter().map(|r| r.as_str().into()).collect();
    window
        .global::<DiscountAdapter>()
        .set_reasons(ModelRc::new(VecModel::from(reasons)));
}

pub fn setup(window: &AppWindow, worker: &Worker, reasons: &[String]) {
    show_reasons(window, reasons);
    let adapter = window.global::<DiscountAdapter>();

    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_confirm(move || {
        let Some(window) = weak.upgrade() else { return };
        let a = window.global::<DiscountAdapter>();
        let request = match request_of(&a) {
            Ok(request) => request,
            Err(problem) => {
                a.set_problem(problem);
                return;
            }
        };
        a.set_problem(DiscountProblem::None);
        let weak = weak.clone();
        w.run(move |session| {
            let config = session.config.clone();
            let pricing = session.pricing(false);
            let role = session.staff.as_ref().map(|s| s.role);
            let tier = session.tier().map(str::to_owned);
            let authority = DiscountAuthority {
                policy: DiscountPolicy {
                    reasons: &config.discount_reasons,
                    seller_limit_percent: config.seller_discount_limit_percent,
                },
                role,
                manager: request
                    .manager
                    .as_ref()
                    .map(|(login, pin)| (login.as_str(), pin.as_str())),
                pricing: &pricing,
                tier: tier.as_deref(),
                terminal_id: &config.terminal_id,
            };
            let changed = use_case::set_manual(
                &mut session.store,
                request.change,
                &request.reason,
                authority,
                now(),
            );
            match changed {
                Ok(open) => {
                    let view = super::basket::view_of(session, &open.basket);
                    let _ = weak.upgrade_in_event_loop(move |window| {
                        super::basket::apply(&window, view);
                        window.global::<DiscountAdapter>().set_shown(false);
                    });
                }
                Err(error) => {
                    tracing::info!(%error, "discount refused");
                    let answer = answer_of(&error);
                    let _ = weak.upgrade_in_event_loop(move |window| {
                        let a = window.global::<DiscountAdapter>();
                        a.set_pin("".into());
                        match answer {
                            Answer::NeedsManager { limit } => {
                                a.set_limit(i32::try_from(limit).unwrap_or(0));
                                a.set_needs_manager(true);
                            }
                            Answer::Problem(problem, left) => {
                                a.set_problem(problem);
                                a.set_attempts_left(i32::try_from(left).unwrap_or(0));
                            }
                        }
                    });
                }
            }
        });
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_take_away(move |line| {
        let Some(window) = weak.upgrade() else { return };
        let change = match usize::try_from(line) {
            Ok(index) => ManualChange::Line {
                index,
                adjustment: None,
            },
            Err(_) => ManualChange::Basket { discount: None },
        };
        super::basket::update(&window, &w, move |session| {
            let config = session.config.clone();
            let pricing = session.pricing(false);
            let authority = DiscountAuthority {
                policy: DiscountPolicy {
                    reasons: &config.discount_reasons,
                    seller_limit_percent: config.seller_discount_limit_percent,
                },
                role: session.staff.as_ref().map(|s| s.role),
                manager: None,
                pricing: &pricing,
                tier: None,
                terminal_id: &config.terminal_id,
            };
            use_case::set_manual(&mut session.store, change, "", authority, now())
                .inspect_err(|error| tracing::warn!(%error, "the discount cannot be taken away"))
                .ok()
        });
    });
}
