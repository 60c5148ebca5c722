//! The checkout page: the tender from what was typed or from a quick cash amount, the live
//! change preview, the payment (recorded on the worker in one transaction), the confirmation,
//! the receipt the customer chooses and the next customer.

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::app::checkout::{CheckoutError, LoyaltyAtTill, SaleContext, checkout_open_basket};
use crate::app::credit::CreditError;
use crate::domain::customer::{Channel, CustomerView};
use crate::domain::money::{Cents, parse_euros};
use crate::domain::payment::{PaymentMethod, Tender};
use crate::domain::quick_cash::quick_cash;

use super::basket::{self, BasketView};
use super::format::{self, Lang};
use super::session::{Session, now};
use super::worker::Worker;
use crate::app::receipt::{PrintError, PrinterError, print_original};

use super::{
    AppAdapter, AppWindow, CheckoutAdapter, CreditProblem, EmailState, Page, PayMethod, PayProblem,
    Preview, PreviewKind, PrintProblem, PrintState, QuickCash, ReceiptChoice, ScanPageAdapter,
    ScanProblem,
};

/// The tender for what the keypad typed: for cash the amount handed over, for split the card
/// part (empty: exact cash, or half by card).
pub fn tender(
    method: PayMethod,
    typed: &str,
    total: Cents,
) -> Result<Tender, crate::domain::money::MoneyError> {
    let amount = if typed.trim().is_empty() {
        None
    } else {
        Some(parse_euros(typed)?)
    };
    Ok(match method {
        PayMethod::Card => Tender::Card,
        PayMethod::Cash => Tender::Cash { given: amount },
        PayMethod::Split => Tender::Split {
            card: amount.unwrap_or(Cents::new(total.get() / 2)),
            cash_given: None,
        },
    })
}

/// What the typed amount means, shown live under the field.
pub fn preview(method: PayMethod, typed: &str, total: Cents, lang: Lang) -> Preview {
    let none = Preview {
        kind: PreviewKind::None,
        amount: SharedString::new(),
    };
    if typed.trim().is_empty() || method == PayMethod::Card {
        return none;
    }
    let Ok(amount) = parse_euros(typed) else {
        return Preview {
            kind: PreviewKind::Invalid,
            amount: SharedString::new(),
        };
    };
    let (kind, value) = match method {
        PayMethod::Cash => match amount.checked_sub(total) {
            Some(change) if !change.is_negative() => (PreviewKind::Change, change),
            _ => (
                PreviewKind::Missing,
                total.checked_sub(amount).unwrap_or(total),
            ),
        },
        PayMethod::Split => match total.checked_sub(amount) {
            Some(rest) if rest.get() > 0 && amount.get() > 0 => (PreviewKind::CashRest, rest),
            _ => {
                return Preview {
                    kind: PreviewKind::Invalid,
                    amount: SharedString::new(),
                };
            }
        },
        PayMethod::Card => return none,
    };
    Preview {
        kind,
        amount: format::money(value, lang),
    }
}

/// The quick cash tiles for `due`: the exact amount, then round amounts shown in whole euros.
pub fn quick_cash_tiles(due: Cents, lang: Lang) -> Vec<QuickCash> {
    quick_cash(due)
        .into_iter()
        .enumerate()
        .map(|(index, amount)| QuickCash {
            cents: i32::try_from(amount.get()).unwrap_or(i32::MAX),
            amount: whole_euros(amount, lang),
            exact: index == 0,
        })
        .collect()
}

/// "230 €" rather than "230,00 €" for a round amount (the digits a note shows); cents otherwise.
pub(super) fn whole_euros(amount: Cents, lang: Lang) -> SharedString {
    let text = format::money(amount, lang);
    if amount.get() % 100 != 0 {
        return text;
    }
    let cents = match lang {
        Lang::Fr => ",00",
        Lang::En => ".00",
    };
    text.replacen(cents, "", 1).into()
}

/// Whether the receipt may be e-mailed: the customer agreed to e-mails and the central has an
/// address for them (the terminal only needs to know there is one).
fn can_email(customer: &CustomerView) -> bool {
    let agreed = customer
        .consents
        .iter()
        .any(|c| c.channel == Channel::Email && c.granted);
    agreed
        && customer
            .email
            .as_deref()
            .is_some_and(|e| !e.trim().is_empty())
}

/// What the seller paid with: an amount typed for a tender, or a quick cash amount.
#[derive(Clone, Debug)]
pub enum Payment {
    Typed { method: PayMethod, typed: String },
    Cash { given: Cents },
}

pub enum PayOutcome {
    Paid {
        ticket: SharedString,
        change: SharedString,
        card: SharedString,
        cash: SharedString,
        points: SharedString,
        credit: SharedString,
        points_earned: i32,
        can_email: bool,
        basket: BasketView,
    },
    /// Not paid: why, and the amount it names ("" when none).
    Refused(PayProblem, SharedString),
    CreditRefused(CreditProblem),
}

/// A store credit or gift card handed over at the till: its balance, the central's when it
/// answers, else what this terminal knows; `Err`: what the seller is told.
fn credit_at_till(session: &mut Session, code: &str) -> Result<(String, Cents), CreditProblem> {
    let code = code.trim().to_owned();
    let asked = code.clone();
    let fetched = session.central.ask(&session.store, |client| async move {
        client.credit(&asked).await
    });
    match crate::app::credit::balance(&mut session.store, &code, move |_| fetched, now()) {
        Ok(balance) if balance.balance_cents > 0 => Ok((code, Cents::new(balance.balance_cents))),
        Ok(_) => Err(CreditProblem::Empty),
        Err(CreditError::Unknown) => Err(CreditProblem::Unknown),
        Err(CreditError::UnknownOffline) => Err(CreditProblem::UnknownOffline),
        Err(CreditError::Store(error)) => {
            tracing::error!(%error, "cannot read a credit's balance");
            Err(CreditProblem::Failed)
        }
    }
}

/// A sale paid with the credit of the return just made is that return's exchange: the receipt
/// prints what came back. A credit cleared from the field before paying is no exchange.
fn link_exchange(
    session: &mut Session,
    sale: &crate::app::checkout::CompletedSale,
    credit_code: Option<&str>,
) {
    let Some(exchange) = session.exchange.take() else {
        return;
    };
    let spent = sale
        .settlement
        .payments
        .iter()
        .any(|(method, _)| *method == PaymentMethod::Credit);
    let same_credit = credit_code == Some(exchange.credit_code.as_str());
    if !(spent && same_credit) {
        return;
    }
    let linked = session.store.record_exchange(
        sale.recorded.ticket_number.as_str(),
        &exchange.return_ticket,
        now(),
    );
    if let Err(error) = linked {
        // The sale and the return stand; only the receipt's « ÉCHANGE » part is missing.
        tracing::error!(%error, "cannot link the exchange to its new ticket");
    }
}

pub fn pay(
    session: &mut Session,
    payment: Payment,
    use_points: bool,
    credit_code: Option<String>,
) -> PayOutcome {
    let lang = session.lang;
    let credit = match credit_code.as_deref().map(str::trim) {
        Some(code) if !code.is_empty() => match credit_at_till(session, code) {
            Ok(credit) => Some(credit),
            Err(problem) => return PayOutcome::CreditRefused(problem),
        },
        _ => None,
    };
    let pricing = session.pricing(true);
    let total = match crate::app::basket::open_basket(&session.store) {
        Ok(open) => session
            .priced(&open.basket)
            .totals()
            .map(|t| t.total)
            .unwrap_or(Cents::ZERO),
        Err(error) => return refused(&CheckoutError::Store(error), lang),
    };
    let rule = session.config.loyalty_rule();
    let customer = session
        .customer
        .as_ref()
        .map(|c| (c.id.clone(), c.loyalty_points));
    let redeem = match (&customer, use_points) {
        (Some((_, balance)), true) => rule.max_redeemable(*balance, total),
        _ => 0,
    };
    let due = total
        .checked_sub(Cents::new(redeem * rule.point_value_cents))
        .unwrap_or(total);
    let tender = if due.get() == 0 {
        None
    } else {
        match payment {
            Payment::Typed { method, typed } => match tender(method, &typed, due) {
                Ok(tender) => Some(tender),
                Err(error) => return refused(&CheckoutError::Money(error), lang),
            },
            Payment::Cash { given } => Some(Tender::Cash { given: Some(given) }),
        }
    };
    let email = session.customer.as_ref().is_some_and(can_email);
    let training = match crate::app::terminal::training_mode(&session.store) {
        Ok(training) => training,
        Err(error) => return refused(&CheckoutError::Store(error), lang),
    };
    let tier = session.tier().map(str::to_owned);
    let operator = session
        .staff
        .as_ref()
        .map(|s| s.login.clone())
        .unwrap_or_default();
    let context = SaleContext {
        terminal_id: &session.config.terminal_id,
        here_code: &session.config.store_code,
        staff_id: session.staff.as_ref().map(|s| s.id),
        operator: &operator,
        training,
        now: now(),
        pricing: &pricing,
        tier: tier.as_deref(),
        credit: credit
            .as_ref()
            .map(|(code, balance)| crate::app::checkout::CreditAtTill {
                code,
                balance: *balance,
                amount: None,
            }),
    };
    let loyalty = customer.as_ref().map(|(id, balance)| LoyaltyAtTill {
        customer: id,
        balance: *balance,
        redeem,
        rule,
    });
    match checkout_open_basket(&mut session.store, tender, context, loyalty) {
        Ok(sale) => {
            let paid = |m: PaymentMethod| {
                sale.settlement
                    .payments
                    .iter()
                    .find(|(method, _)| *method == m)
                    .map(|(_, amount)| format::money(*amount, lang))
                    .unwrap_or_default()
            };
            if sale
                .settlement
                .payments
                .iter()
                .any(|(method, _)| *method == PaymentMethod::Cash)
            {
                // The sale is recorded: a drawer that does not open is logged, not a refusal.
                let _ = crate::app::drawer::kick(&session.config);
            }
            link_exchange(
                session,
                &sale,
                credit.as_ref().map(|(code, _)| code.as_str()),
            );
            let change = sale.settlement.change;
            session.product = None;
            // The sale ends the customer's session: nothing of them stays in memory.
            session.customer = None;
            PayOutcome::Paid {
                ticket: sale.recorded.ticket_number.as_str().into(),
                change: if change.get() > 0 {
                    format::money(change, lang)
                } else {
                    SharedString::new()
                },
                card: paid(PaymentMethod::Card),
                cash: paid(PaymentMethod::Cash),
                points: paid(PaymentMethod::Loyalty),
                credit: paid(PaymentMethod::Credit),
                points_earned: i32::try_from(sale.points_earned).unwrap_or(i32::MAX),
                can_email: email,
                basket: basket::view(session),
            }
        }
        Err(error) => refused(&error, lang),
    }
}

/// A refused payment as the screen words it: a kind, and the amount it names if any.
fn refused(error: &CheckoutError, lang: Lang) -> PayOutcome {
    use crate::domain::money::MoneyError;
    use crate::domain::payment::PaymentError as P;
    let (problem, amount) = match error {
        CheckoutError::Money(MoneyError::Malformed { .. } | MoneyError::Empty) => {
            (PayProblem::AmountUnreadable, None)
        }
        CheckoutError::EmptyBasket => (PayProblem::EmptyBasket, None),
        CheckoutError::Payment(P::CashShort { missing, .. }) => {
            (PayProblem::CashShort, Some(*missing))
        }
        CheckoutError::Payment(P::SplitOutOfRange { total, .. }) => {
            (PayProblem::SplitOutOfRange, Some(*total))
        }
        CheckoutError::Payment(P::Negative) => (PayProblem::AmountUnreadable, None),
        CheckoutError::Payment(P::RestUnpaid { rest } | P::RestUnpaidAfterCredit { rest }) => {
            (PayProblem::RestUnpaid, Some(*rest))
        }
        CheckoutError::Payment(P::PointsOverTotal { .. } | P::CreditOverTotal { .. }) => {
            (PayProblem::TooMuchOff, None)
        }
        CheckoutError::CreditShort { balance, .. } => (PayProblem::CreditShort, Some(*balance)),
        _ => {
            tracing::warn!(%error, "checkout refused");
            (PayProblem::Failed, None)
        }
    };
    PayOutcome::Refused(
        problem,
        amount.map(|a| format::money(a, lang)).unwrap_or_default(),
    )
}

pub fn apply(window: &AppWindow, outcome: PayOutcome) {
    let a = window.global::<CheckoutAdapter>();
    match outcome {
        PayOutcome::Paid {
            ticket,
            change,
            card,
            cash,
            points,
            credit,
            points_earned,
            can_email,
            basket: basket_view,
        } => {
            a.set_paid_credit(credit);
            // Spent: the next customer starts without it.
            a.set_credit_code("".into());
            a.set_can_email(can_email);
            a.set_email_state(EmailState::Idle);
            a.set_receipt_choice(ReceiptChoice::Undecided);
            a.set_print_state(PrintState::Idle);
            a.set_paid_points(points);
            a.set_points_earned(points_earned);
            a.set_use_points(false);
            super::customer::clear(window);
            a.set_ticket_number(ticket);
            a.set_change(change);
            a.set_paid_card(card);
            a.set_paid_cash(cash);
            a.set_problem(PayProblem::None);
            a.set_credit_problem(CreditProblem::None);
            a.set_completed(true);
            basket::apply(window, basket_view);
        }
        PayOutcome::Refused(problem, amount) => {
            a.set_credit_problem(CreditProblem::None);
            a.set_problem(problem);
            a.set_problem_amount(amount);
        }
        PayOutcome::CreditRefused(problem) => {
            a.set_problem(PayProblem::None);
            a.set_credit_problem(problem);
        }
    }
}

/// What the staff is told when the printer refuses (the sale is recorded either way).
pub(super) fn problem_of(error: &PrinterError) -> PrintProblem {
    match error {
        PrinterError::NotFound { .. } => PrintProblem::NotFound,
        PrinterError::Unavailable { .. } => PrintProblem::Busy,
        PrinterError::Offline { .. } => PrintProblem::Offline,
        PrinterError::PaperOut { .. } => PrintProblem::PaperOut,
        PrinterError::CoverOpen { .. } => PrintProblem::CoverOpen,
        PrinterError::Fault { .. } => PrintProblem::Jammed,
        PrinterError::Settings(_) | PrinterError::UnexpectedAnswer { .. } => PrintProblem::Settings,
        PrinterError::WriteFailed { .. } => PrintProblem::Other,
    }
}

/// A failed print in kinds for the screen: the problem, and the printer's port when the error
/// names it. The error's own text goes to the log (it is English, and for the support).
pub(super) fn print_failure(error: &PrintError) -> (PrintProblem, SharedString) {
    tracing::warn!(%error, "printing the receipt failed");
    match error {
        PrintError::Printer(printer) => (
            problem_of(printer),
            printer.port().unwrap_or_default().into(),
        ),
        PrintError::Receipt(_) => (PrintProblem::Other, SharedString::new()),
    }
}

/// The live preview and the quick amounts need no worker: they are arithmetic on the amount
/// due and what is typed.
pub fn install_preview(window: &AppWindow, lang: Lang) {
    let adapter = window.global::<CheckoutAdapter>();
    adapter.on_preview(move |method, typed, total_cents| {
        preview(method, &typed, Cents::new(i64::from(total_cents)), lang)
    });
    adapter.on_quick_cash(move |due_cents| {
        ModelRc::new(VecModel::from(quick_cash_tiles(
            Cents::new(i64::from(due_cents)),
            lang,
        )))
    });
}

fn run_payment(window: &AppWindow, worker: &Worker, payment: Payment, use_points: bool) {
    let weak = window.as_weak();
    let credit_code = Some(
        window
            .global::<CheckoutAdapter>()
            .get_credit_code()
            .to_string(),
    );
    worker.run(move |session| {
        let outcome = pay(session, payment, use_points, credit_code);
        let _ = weak.upgrade_in_event_loop(move |window| apply(&window, outcome));
    });
}

pub fn setup(window: &AppWindow, worker: &Worker, lang: Lang) {
    install_preview(window, lang);
    let adapter = window.global::<CheckoutAdapter>();
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_pay(move |method, typed, use_points| {
        let Some(window) = weak.upgrade() else { return };
        let typed = typed.to_string();
        run_payment(&window, &w, Payment::Typed { method, typed }, use_points);
    });
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_pay_cash(move |given_cents, use_points| {
        let Some(window) = weak.upgrade() else { return };
        let given = Cents::new(i64::from(given_cents));
        run_payment(&window, &w, Payment::Cash { given }, use_points);
    });
    let weak = window.as_weak();
    adapter.on_back_to_basket(move || {
        let Some(window) = weak.upgrade() else { return };
        let checkout = window.global::<CheckoutAdapter>();
        checkout.set_amount_text("".into());
        checkout.set_problem(PayProblem::None);
        checkout.set_credit_problem(CreditProblem::None);
        window.global::<AppAdapter>().set_page(Page::Basket);
    });
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_email_receipt(move || {
        let Some(window) = weak.upgrade() else { return };
        let checkout = window.global::<CheckoutAdapter>();
        checkout.set_email_state(EmailState::Sending);
        let ticket = checkout.get_ticket_number().to_string();
        let weak = weak.clone();
        w.run(move |session| {
            let state = match crate::app::receipt::send_by_email(
                &mut session.store,
                &ticket,
                None,
                now(),
            ) {
                Ok(()) => EmailState::Sent,
                Err(error) => {
                    tracing::warn!(%error, "e-mail receipt refused");
                    EmailState::Failed
                }
            };
            let _ = weak.upgrade_in_event_loop(move |window| {
                window.global::<CheckoutAdapter>().set_email_state(state);
            });
        });
    });
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_print_receipt(move || {
        let Some(window) = weak.upgrade() else { return };
        let checkout = window.global::<CheckoutAdapter>();
        checkout.set_print_state(PrintState::Printing);
        let ticket = checkout.get_ticket_number().to_string();
        let weak = weak.clone();
        w.run(move |session| {
            print_original(&session.store, &ticket, &session.config, move |outcome| {
                let outcome = outcome.map_err(|error| print_failure(&error));
                let _ = weak.upgrade_in_event_loop(move |window| {
                    let checkout = window.global::<CheckoutAdapter>();
                    match outcome {
                        Ok(()) => checkout.set_print_state(PrintState::Printed),
                        Err((problem, detail)) => {
                            checkout.set_print_problem(problem);
                            checkout.set_print_port(detail);
                            checkout.set_print_state(PrintState::Failed);
                        }
                    }
                });
            });
        });
    });
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_next_customer(move || {
        let weak = weak.clone();
        w.run(move |session| {
            session.next_customer();
            let _ = weak.upgrade_in_event_loop(|window| {
                let a = window.global::<CheckoutAdapter>();
                a.set_completed(false);
                a.set_paid_points("".into());
                a.set_paid_credit("".into());
                a.set_credit_code("".into());
                a.set_points_earned(0);
                a.set_print_state(PrintState::Idle);
                a.set_email_state(EmailState::Idle);
                a.set_can_email(false);
                a.set_receipt_choice(ReceiptChoice::Undecided);
                a.set_amount_text("".into());
                a.set_ticket_number("".into());
                super::end_customer_session(&window);
                let scan = window.global::<ScanPageAdapter>();
                scan.set_problem(ScanProblem::None);
                scan.set_problem_detail("".into());
                window.global::<AppAdapter>().set_page(Page::Scan);
            });
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_says_change_missing_or_cash_rest() {
        let total = Cents::new(1250);
        let p = preview(PayMethod::Cash, "20", total, Lang::Fr);
        assert_eq!(
            (p.kind, p.amount.as_str()),
            (PreviewKind::Change, "7,50\u{a0}€")
        );
        let p = preview(PayMethod::Cash, "10", total, Lang::Fr);
        assert_eq!(
            (p.kind, p.amount.as_str()),
            (PreviewKind::Missing, "2,50\u{a0}€")
        );
        let p = preview(PayMethod::Split, "5", total, Lang::En);
        assert_eq!(
            (p.kind, p.amount.as_str()),
            (PreviewKind::CashRest, "€7.50")
        );
        assert_eq!(
            preview(PayMethod::Cash, "abc", total, Lang::Fr).kind,
            PreviewKind::Invalid
        );
        assert_eq!(
            preview(PayMethod::Card, "5", total, Lang::Fr).kind,
            PreviewKind::None
        );
    }

    #[test]
    fn quick_cash_tiles_show_round_amounts_in_whole_euros() {
        let tiles = quick_cash_tiles(Cents::new(22_955), Lang::Fr);
        let shown: Vec<_> = tiles.iter().map(|t| t.amount.as_str()).collect();
        assert_eq!(
            shown,
            [
                "229,55\u{a0}€",
                "230\u{a0}€",
                "240\u{a0}€",
                "250\u{a0}€",
                "300\u{a0}€"
            ]
        );
        assert!(tiles[0].exact && tiles[1..].iter().all(|t| !t.exact));
        assert_eq!(tiles[1].cents, 23_000);
        let tiles = quick_cash_tiles(Cents::new(1_200), Lang::En);
        let shown: Vec<_> = tiles.iter().map(|t| t.amount.as_str()).collect();
        assert_eq!(shown, ["€12", "€15", "€20", "€50", "€100"]);
        assert!(quick_cash_tiles(Cents::ZERO, Lang::Fr).is_empty());
    }
}
