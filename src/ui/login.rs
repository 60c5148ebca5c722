//! The login page: the staff list, and the PIN check on the worker (Argon2 takes tens of ms).

use slint::{ComponentHandle, ModelRc, VecModel};

use crate::app::login::{LoginError, log_in};
use crate::domain::staff::{LockoutPolicy, StaffMember, StaffRole};

use super::session::{Session, now};
use super::worker::Worker;
use super::{AppAdapter, AppWindow, LoginAdapter, LoginProblem, Page, StaffItem, StatusAdapter};

/// The staff the login page lists.
pub fn staff_items(members: Vec<StaffMember>) -> Vec<StaffItem> {
    members
        .into_iter()
        .map(|m| StaffItem {
            login: m.login.into(),
            name: m.display_name.into(),
            manager: m.role == StaffRole::Manager,
        })
        .collect()
}

pub fn show_staff(window: &AppWindow, items: Vec<StaffItem>) {
    window
        .global::<LoginAdapter>()
        .set_staff(ModelRc::new(VecModel::from(items)));
}

/// What a login attempt gives the screen.
pub enum Outcome {
    LoggedIn {
        name: String,
        manager: bool,
        /// The page to land on: the pickup list on a pickup counter, else the scan page.
        home: Page,
        orders: Vec<super::PickupRow>,
        /// The open basket, which a seller finds as the previous one left it.
        basket: super::basket::BasketView,
    },
    Refused {
        problem: LoginProblem,
        attempts_left: i32,
        locked_minutes: i32,
    },
}

pub fn attempt(session: &mut Session, login: &str, pin: &str) -> Outcome {
    let now = now();
    match log_in(&session.store, login, pin, now, LockoutPolicy::default()) {
        Ok(member) => {
            let name = member.display_name.clone();
            let manager = member.role == StaffRole::Manager;
            session.staff = Some(member);
            session.next_customer();
            let home = if session.config.mode == crate::config::Mode::Pickup {
                Page::Pickup
            } else {
                Page::Scan
            };
            Outcome::LoggedIn {
                name,
                manager,
                home,
                orders: super::pickup::rows(session, ""),
                basket: super::basket::view(session),
            }
        }
        Err(error) => {
            let (problem, attempts_left, locked_minutes) = match error {
                LoginError::WrongPin { remaining } => (LoginProblem::WrongPin, remaining as i32, 0),
                LoginError::Locked { until } => {
                    let minutes = ((until - now).max(0) + 59) / 60;
                    (LoginProblem::Locked, 0, minutes as i32)
                }
                LoginError::MalformedPin => (LoginProblem::Malformed, 0, 0),
                LoginError::UnknownStaff { .. } => (LoginProblem::UnknownStaff, 0, 0),
                LoginError::BadHash(_) | LoginError::Store(_) => {
                    tracing::error!(%error, "login failed");
                    (LoginProblem::UnknownStaff, 0, 0)
                }
            };
            Outcome::Refused {
                problem,
                attempts_left,
                locked_minutes,
            }
        }
    }
}

pub fn apply(window: &AppWindow, outcome: Outcome) {
    let login = window.global::<LoginAdapter>();
    match outcome {
        Outcome::LoggedIn {
            name,
            manager,
            home,
            orders,
            basket,
        } => {
            window
                .global::<super::PickupAdapter>()
                .set_orders(slint::ModelRc::new(slint::VecModel::from(orders)));
            window.global::<AppAdapter>().set_manager(manager);
            login.set_problem(LoginProblem::None);
            login.set_pin("".into());
            window.global::<StatusAdapter>().set_staff_name(name.into());
            super::end_customer_session(window);
            super::basket::apply(window, basket);
            window.global::<AppAdapter>().set_page(home);
        }
        Outcome::Refused {
            problem,
            attempts_left,
            locked_minutes,
        } => {
            login.set_problem(problem);
            login.set_attempts_left(attempts_left);
            login.set_locked_minutes(locked_minutes);
        }
    }
}

pub fn setup(window: &AppWindow, worker: &Worker) {
    let weak = window.as_weak();
    let w = worker.clone();
    window
        .global::<LoginAdapter>()
        .on_log_in(move |login, pin| {
            let weak = weak.clone();
            let (login, pin) = (login.to_string(), pin.to_string());
            w.run(move |session| {
                let outcome = attempt(session, &login, &pin);
                let _ = weak.upgrade_in_event_loop(move |window| apply(&window, outcome));
            });
        });
    let weak = window.as_weak();
    let w = worker.clone();
    window.global::<AppAdapter>().on_log_out(move || {
        let weak = weak.clone();
        w.run(move |session| {
            session.staff = None;
            session.next_customer();
            let _ = weak.upgrade_in_event_loop(|window| {
                window.global::<StatusAdapter>().set_staff_name("".into());
                window.global::<AppAdapter>().set_manager(false);
                window
                    .global::<LoginAdapter>()
                    .set_selected_login("".into());
                super::end_customer_session(&window);
                super::manager::clear(&window);
                window.global::<AppAdapter>().set_page(Page::Login);
            });
        });
    });
}
