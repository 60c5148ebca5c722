//! The returns page: find an online order (the central's account, or the cached one offline)
//! or a sale of the chain's stores (its receipt's code or ticket number), choose the units going
//! back, refund them; or take goods back without a receipt, scanned one by one, on a manager's
//! PIN, as a store credit. The refund, the stock and the journal entry are written by
//! `app::pickup::return_order` and `app::sale_return` in one transaction each. A credit just
//! issued can pay new goods at once: the exchange is linked to the new ticket when it is paid.

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::app::customer::Counter;
use crate::app::pickup::{self as use_case, ReturnableOrder};
use crate::app::product_card::card_for_scan;
use crate::app::sale_return::{
    self, NO_RECEIPT, RefundTo, ReturnableSale, SaleReturnError, find_sale, which_sale,
};
use crate::domain::money::Cents;
use crate::domain::pickup::Units;
use crate::domain::receipt_code::RECEIPT_PREFIX;
use crate::domain::scan::PICKUP_PREFIX;

use super::format;
use super::return_problem::{self as refusal, Refusal};
use super::session::{Session, now};
use super::worker::Worker;
use super::{
    AppAdapter, AppWindow, CheckoutAdapter, OverrideProblem, Page, RefundMethod, ReturnAdapter,
    ReturnRow,
};

/// The order being returned and how many units of each line go back. For a sale of a store
/// (a receipt's code, or a ticket number), `sale` holds it and `order` shows it.
#[derive(Clone, Debug)]
pub struct ReturnInProgress {
    pub order: ReturnableOrder,
    pub sale: Option<ReturnableSale>,
    pub chosen: Vec<i64>,
    /// Goods brought back without a receipt: each line's `amount_cents` is one unit's refund.
    pub no_receipt: bool,
}

/// A return's credit spending on new goods: linked to the ticket that spends it.
#[derive(Clone, Debug)]
pub struct PendingExchange {
    pub return_ticket: String,
    pub credit_code: String,
}

/// Makes `sale` the return in progress, nothing chosen yet; what the page shows.
pub fn start_sale(session: &mut Session, sale: ReturnableSale) -> ReturnView {
    let order = ReturnableOrder {
        id: sale_return::return_id(&sale.sale),
        customer: sale.customer.clone().unwrap_or_default(),
        // « Payée en ligne par … » is an online order's line: a sale's title says enough.
        paid_with: String::new(),
        lines: sale.lines.clone(),
        source: sale.source,
    };
    let chosen = vec![0; order.lines.len()];
    let current = ReturnInProgress {
        order,
        sale: Some(sale),
        chosen,
        no_receipt: false,
    };
    let v = view(session, &current);
    session.return_in_progress = Some(current);
    v
}

/// A ticket number of a terminal (`T01-000042`), as a seller types it from a receipt.
fn looks_like_ticket(input: &str) -> bool {
    let Some((terminal, number)) = input.split_once('-') else {
        return false;
    };
    terminal.len() >= 2
        && terminal.starts_with('T')
        && terminal[1..].chars().all(|c| c.is_ascii_alphanumeric())
        && number.len() >= 6
        && number.chars().all(|c| c.is_ascii_digit())
}

/// The sale a receipt's code or ticket number names, found here or at the central.
fn load_sale(session: &Session, input: &str) -> Result<ReturnableSale, Refusal> {
    let here = session.config.store_code.clone();
    let (which, code) = which_sale(input, &here).map_err(|e| refusal::of_sale(&e))?;
    let store = &session.store;
    find_sale(store, &which, code.as_ref(), &here, |sale| {
        let (s, t) = (sale.store.clone(), sale.ticket.clone());
        session
            .central
            .ask(store, |client| async move { client.sale(&s, &t).await })
    })
    .map_err(|e| refusal::of_sale(&e))
}

pub struct ReturnView {
    is_sale: bool,
    no_receipt: bool,
    title: SharedString,
    from_cache: bool,
    rows: Vec<ReturnRow>,
    total: SharedString,
    paid_with: SharedString,
}

fn view(session: &Session, r: &ReturnInProgress) -> ReturnView {
    let lang = session.lang;
    let mut total = 0;
    let rows = r
        .order
        .lines
        .iter()
        .zip(&r.chosen)
        .map(|((name, line), chosen)| {
            // The same pro-rata rule as the refund itself.
            let share = |n: i64| line.amount_cents * n / line.quantity.max(1);
            let amount = match r.no_receipt {
                true => line.amount_cents * chosen,
                false => share(line.returned + chosen) - share(line.returned),
            };
            total += amount;
            ReturnRow {
                name: name.as_str().into(),
                bought: match r.no_receipt {
                    true => 0,
                    false => i32::try_from(line.quantity).unwrap_or(i32::MAX),
                },
                returned: i32::try_from(line.returned).unwrap_or(i32::MAX),
                chosen: i32::try_from(*chosen).unwrap_or(i32::MAX),
                amount: format::money(Cents::new(amount), lang),
            }
        })
        .collect();
    ReturnView {
        is_sale: r.sale.is_some(),
        no_receipt: r.no_receipt,
        title: match r.no_receipt {
            true => SharedString::new(),
            false => r.order.id.as_str().into(),
        },
        from_cache: r.order.source == "cache",
        rows,
        total: format::money(Cents::new(total), lang),
        paid_with: r.order.paid_with.as_str().into(),
    }
}

pub fn apply(window: &AppWindow, v: ReturnView) {
    let a = window.global::<ReturnAdapter>();
    a.set_loaded(!v.rows.is_empty() || !v.no_receipt);
    a.set_is_sale(v.is_sale);
    a.set_no_receipt(v.no_receipt);
    a.set_order_title(v.title);
    a.set_from_cache(v.from_cache);
    a.set_lines(ModelRc::new(VecModel::from(v.rows)));
    a.set_refund_total(v.total);
    a.set_paid_with(v.paid_with);
}

/// Empties the page (a new return, a new staff member).
pub fn clear(window: &AppWindow) {
    let a = window.global::<ReturnAdapter>();
    a.set_loaded(false);
    a.set_is_sale(false);
    a.set_order_id("".into());
    a.set_order_title("".into());
    a.set_lines(ModelRc::new(VecModel::from(Vec::<ReturnRow>::new())));
    a.set_refund_total("".into());
    a.set_paid_with("".into());
    show_problem(&a, refusal::silent());
    a.set_done_ticket("".into());
    a.set_done_amount("".into());
    a.set_credit_code("".into());
    a.set_no_receipt(false);
    clear_approval(&a);
}

fn clear_approval(a: &ReturnAdapter<'_>) {
    a.set_needs_manager(false);
    a.set_manager_login("".into());
    a.set_pin("".into());
    a.set_approval_problem(OverrideProblem::None);
    a.set_attempts_left(0);
}

/// « Sans ticket »: an empty return the goods are scanned into.
pub fn start_no_receipt(session: &mut Session) -> ReturnView {
    let current = ReturnInProgress {
        order: ReturnableOrder {
            id: NO_RECEIPT.to_owned(),
            customer: String::new(),
            paid_with: String::new(),
            lines: Vec::new(),
            source: "here",
        },
        sale: None,
        chosen: Vec::new(),
        no_receipt: true,
    };
    let v = view(session, &current);
    session.return_in_progress = Some(current);
    v
}

/// One more unit of the product `input` names brought back without a receipt, priced as the
/// refund will be.
pub fn take_back(session: &mut Session, input: &str) -> Result<ReturnView, Refusal> {
    let Some(mut current) = session.return_in_progress.take().filter(|r| r.no_receipt) else {
        return Err(refusal::silent());
    };
    let scan = crate::app::scan_route::parse(input, &session.config.scan_config());
    let today = chrono::Utc::now().date_naive();
    let found = card_for_scan(&session.store, scan, &session.config.store_code, today)
        .map_err(|e| refusal::of_card(&e))
        .and_then(|card| {
            sale_return::no_receipt_unit(&session.store, card.product.gtin.as_str(), now())
                .map_err(|e| refusal::of_sale(&e))
        });
    let outcome = found.map(|(name, unit)| {
        match current
            .order
            .lines
            .iter()
            .position(|(_, l)| l.gtin == unit.gtin)
        {
            Some(index) => current.chosen[index] += 1,
            None => {
                current.order.lines.push((
                    name,
                    crate::domain::pickup::ReturnableLine {
                        gtin: unit.gtin,
                        quantity: 1,
                        amount_cents: unit.amount_cents,
                        vat_bp: unit.vat_bp,
                        returned: 0,
                    },
                ));
                current.chosen.push(1);
            }
        }
        view(session, &current)
    });
    session.return_in_progress = Some(current);
    outcome
}

/// A product scanned on the returns page without a receipt.
pub fn take_back_on_worker(session: &mut Session, weak: &slint::Weak<AppWindow>, input: &str) {
    let outcome = take_back(session, input);
    let _ = weak.upgrade_in_event_loop(move |w| {
        let a = w.global::<ReturnAdapter>();
        match outcome {
            Ok(v) => {
                show_problem(&a, refusal::silent());
                apply(&w, v);
            }
            Err(refused) => show_problem(&a, refused),
        }
    });
}

/// Finds the order named by `input` (a number or a pickup code) and makes it the return in
/// progress; what the page shows, or why not.
pub fn load(session: &mut Session, input: &str) -> Result<ReturnView, Refusal> {
    let trimmed = input.trim();
    if trimmed.starts_with(RECEIPT_PREFIX) || looks_like_ticket(trimmed) {
        let sale = load_sale(session, trimmed)?;
        return Ok(start_sale(session, sale));
    }
    // A scanned pickup code names its order.
    let id = if input.contains(PICKUP_PREFIX) {
        use_case::verify_code(&session.store, input, &session.config.store_code, now())
            .map_err(|e| refusal::of_order(&e))?
            .order
            .id
    } else {
        input.trim().to_owned()
    };
    let order = use_case::returnable_everywhere(&session.central, &session.store, &id, now())
        .map_err(|e| refusal::of_order(&e))?;
    let chosen = vec![0; order.lines.len()];
    let current = ReturnInProgress {
        order,
        sale: None,
        chosen,
        no_receipt: false,
    };
    let v = view(session, &current);
    session.return_in_progress = Some(current);
    Ok(v)
}

/// Chooses `quantity` units of line `index` (within what is still returnable).
pub fn choose(session: &mut Session, index: usize, quantity: i64) -> Option<ReturnView> {
    let mut current = session.return_in_progress.take()?;
    if let Some((_, line)) = current.order.lines.get(index) {
        let most = match current.no_receipt {
            // As many as are brought back: the manager sees them.
            true => i64::from(i32::MAX),
            false => (line.quantity - line.returned).max(0),
        };
        current.chosen[index] = quantity.clamp(0, most);
    }
    let v = view(session, &current);
    session.return_in_progress = Some(current);
    Some(v)
}

/// A receipt's code scanned on another page: the returns page opens with its sale.
pub fn open_on_worker(session: &mut Session, weak: &slint::Weak<AppWindow>, input: &str) {
    let code: SharedString = input.trim().into();
    let _ = weak.upgrade_in_event_loop(move |w| {
        clear(&w);
        w.global::<ReturnAdapter>().set_order_id(code);
        w.global::<super::AppAdapter>()
            .set_page(super::Page::Returns);
    });
    find_on_worker(session, weak, input);
}

fn find_on_worker(session: &mut Session, weak: &slint::Weak<AppWindow>, input: &str) {
    let taking_back = session
        .return_in_progress
        .as_ref()
        .is_some_and(|r| r.no_receipt);
    // Without a receipt the field takes the goods, unless a receipt turns up after all.
    if taking_back && !input.trim().starts_with(RECEIPT_PREFIX) {
        take_back_on_worker(session, weak, input);
        return;
    }
    match load(session, input) {
        Ok(v) => {
            let _ = weak.upgrade_in_event_loop(move |w| {
                let a = w.global::<ReturnAdapter>();
                show_problem(&a, refusal::silent());
                a.set_done_ticket("".into());
                clear_approval(&a);
                apply(&w, v);
            });
        }
        Err(refused) => {
            let _ = weak.upgrade_in_event_loop(move |w| {
                let a = w.global::<ReturnAdapter>();
                show_problem(&a, refused);
                a.set_loaded(false);
            });
        }
    }
}

fn confirm_on_worker(
    session: &mut Session,
    weak: &slint::Weak<AppWindow>,
    method: RefundMethod,
    manager: (String, String),
) {
    let Some(current) = session.return_in_progress.clone() else {
        return;
    };
    let asked: Vec<Units> = current
        .order
        .lines
        .iter()
        .zip(&current.chosen)
        .filter(|(_, q)| **q > 0)
        .map(|((_, l), q)| Units {
            gtin: l.gtin.clone(),
            quantity: *q,
        })
        .collect();
    if asked.is_empty() {
        let _ = weak.upgrade_in_event_loop(|w| {
            show_problem(
                &w.global::<ReturnAdapter>(),
                refusal::of_return(&crate::domain::pickup::ReturnError::Nothing),
            );
        });
        return;
    }
    let refund = match method {
        RefundMethod::Card => "card",
        RefundMethod::Cash => "cash",
        RefundMethod::Credit => "credit",
    };
    let staff = session
        .staff
        .as_ref()
        .map_or_else(|| "unknown".to_owned(), |s| s.login.clone());
    let (terminal, store_code) = (
        session.config.terminal_id.clone(),
        session.config.store_code.clone(),
    );
    let training = crate::app::terminal::training_mode(&session.store).unwrap_or(false);
    let counter = Counter {
        staff: &staff,
        terminal: &terminal,
        store_code: &store_code,
        now: now(),
    };
    let outcome = match &current.sale {
        None if current.no_receipt => {
            let manager = (manager.0.as_str(), manager.1.as_str());
            match sale_return::return_without_receipt(
                &mut session.store,
                &asked,
                manager,
                training,
                counter,
            ) {
                Ok((recorded, lines, _)) => Ok((recorded, lines)),
                Err(SaleReturnError::Manager(error)) => {
                    let (problem, left) = super::sale_override::problem_of(&error);
                    tracing::info!(?problem, "return without a receipt not approved");
                    let _ = weak.upgrade_in_event_loop(move |w| {
                        let a = w.global::<ReturnAdapter>();
                        a.set_pin("".into());
                        a.set_approval_problem(problem);
                        a.set_attempts_left(left);
                    });
                    return;
                }
                Err(error) => Err(refusal::of_sale(&error)),
            }
        }
        // A sale of a store: « Carte » gives back to the means it was paid with.
        Some(sale) => {
            let to = match method {
                RefundMethod::Card => RefundTo::Original,
                RefundMethod::Cash => RefundTo::Cash,
                RefundMethod::Credit => RefundTo::Credit,
            };
            sale_return::return_sale(&mut session.store, sale, &asked, to, training, counter)
                .map_err(|e| refusal::of_sale(&e))
        }
        None => use_case::return_order(
            &mut session.store,
            &current.order,
            &asked,
            refund,
            training,
            counter,
        )
        .map_err(|e| refusal::of_order(&e)),
    };
    let lang = session.lang;
    match outcome {
        Ok((recorded, _)) => {
            let cash = recorded.refund == "cash"
                || recorded.refunds.iter().any(|(method, _)| method == "cash");
            if cash {
                // The return is recorded: a drawer that does not open is logged, not a refusal.
                let _ = crate::app::drawer::kick(&session.config);
            }
            session.return_in_progress = None;
            let ticket: SharedString = recorded.number.as_str().into();
            let amount = format::money(Cents::new(recorded.refund_cents), lang);
            let credit: SharedString = recorded.credit_code.as_deref().unwrap_or("").into();
            let _ = weak.upgrade_in_event_loop(move |w| {
                let a = w.global::<ReturnAdapter>();
                show_problem(&a, refusal::silent());
                clear_approval(&a);
                a.set_done_ticket(ticket);
                a.set_done_amount(amount);
                a.set_credit_code(credit);
            });
        }
        Err(refused) => {
            let _ = weak.upgrade_in_event_loop(move |w| {
                show_problem(&w.global::<ReturnAdapter>(), refused);
            });
        }
    }
}

fn show_problem(a: &ReturnAdapter<'_>, (problem, detail): Refusal) {
    a.set_problem(problem);
    a.set_problem_detail(detail);
}

pub fn setup(window: &AppWindow, worker: &Worker) {
    let a = window.global::<ReturnAdapter>();

    let (weak, w) = (window.as_weak(), worker.clone());
    a.on_find(move |input| {
        let weak = weak.clone();
        let input = input.to_string();
        w.run(move |session| find_on_worker(session, &weak, &input));
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    a.on_choose(move |index, quantity| {
        let weak = weak.clone();
        w.run(move |session| {
            let Ok(index) = usize::try_from(index) else {
                return;
            };
            if let Some(v) = choose(session, index, i64::from(quantity)) {
                let _ = weak.upgrade_in_event_loop(move |w| apply(&w, v));
            }
        });
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    a.on_confirm(move |method| {
        let Some(window) = weak.upgrade() else { return };
        let a = window.global::<ReturnAdapter>();
        let manager = (a.get_manager_login().to_string(), a.get_pin().to_string());
        let weak = weak.clone();
        w.run(move |session| confirm_on_worker(session, &weak, method, manager));
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    a.on_start_no_receipt(move || {
        let weak = weak.clone();
        w.run(move |session| {
            let v = start_no_receipt(session);
            let _ = weak.upgrade_in_event_loop(move |w| {
                clear(&w);
                apply(&w, v);
            });
        });
    });

    // The credit just issued pays the new goods: the seller scans them, the checkout spends it
    // first, and the new ticket names the return it was exchanged against.
    let (weak, w) = (window.as_weak(), worker.clone());
    a.on_exchange(move || {
        let Some(window) = weak.upgrade() else { return };
        let a = window.global::<ReturnAdapter>();
        let exchange = PendingExchange {
            return_ticket: a.get_done_ticket().to_string(),
            credit_code: a.get_credit_code().to_string(),
        };
        window
            .global::<CheckoutAdapter>()
            .set_credit_code(exchange.credit_code.as_str().into());
        clear(&window);
        window.global::<AppAdapter>().set_page(Page::Scan);
        w.run(move |session| {
            session.return_in_progress = None;
            session.exchange = Some(exchange);
        });
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    a.on_new_return(move || {
        let weak = weak.clone();
        w.run(move |session| {
            session.return_in_progress = None;
            let _ = weak.upgrade_in_event_loop(|w| clear(&w));
        });
    });
}
