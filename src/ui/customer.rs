//! The customer page: find or create the customer, show their 360° view, and record consents,
//! notes and GDPR requests; bring the online cart into the basket. Opening a customer answers
//! from the cache at once, then asks the central on a short-lived thread (never the UI thread,
//! never the worker) and refreshes the page if the same customer is still on show.
//!
//! Ending the customer's session (next customer, log-out, a finished sale) empties every
//! property of the page: nothing about the previous customer stays in the view models.

use chrono::DateTime;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::app::customer::{
    self as use_case, CartLineOutcome, CartLineRefusal, Counter, CustomerAppError, Identified,
};
use crate::domain::customer::{Channel, CustomerView, NewCustomer, PrivacyRequestKind, Purchase};
use crate::domain::money::Cents;
use crate::domain::scan::LOYALTY_PREFIX;

use super::format::{self, Lang};
use super::session::{Session, now};
use super::worker::Worker;
use super::{
    AppAdapter, AppWindow, CartLineProblem, CartRow, CustomerAdapter, CustomerProblem, CustomerRow,
    NoteRow, Page, PurchaseRow, RequestKind, ViewSource,
};

/// Everything the page shows of one customer, built on the worker.
#[derive(Clone, Debug, Default)]
pub struct CustomerPageView {
    id: SharedString,
    name: SharedString,
    first_name: SharedString,
    email: SharedString,
    phone: SharedString,
    tier: SharedString,
    points: i32,
    points_value: SharedString,
    source: ViewSource,
    age: super::Age,
    local_only: bool,
    consent_email: (bool, SharedString),
    consent_sms: (bool, SharedString),
    purchases: Vec<PurchaseRow>,
    returns: Vec<PurchaseRow>,
    cart: Vec<CartRow>,
    wishlist: Vec<SharedString>,
    notes: Vec<NoteRow>,
}

fn day(at: i64, lang: Lang) -> SharedString {
    DateTime::from_timestamp(at, 0)
        .map(|t| format::date(t.date_naive(), lang))
        .unwrap_or_default()
}

fn purchase_row(p: &Purchase, lang: Lang) -> PurchaseRow {
    PurchaseRow {
        date: day(p.at, lang),
        reference: p.reference.as_str().into(),
        place: p.location.as_str().into(),
        online: p.channel == "online",
        total: format::money(Cents::new(p.total_cents), lang),
        items: i32::try_from(p.items).unwrap_or(i32::MAX),
    }
}

/// The cart as the central sent it, before it went into the basket.
fn cart_rows(view: &CustomerView, lang: Lang) -> Vec<CartRow> {
    view.online_cart
        .iter()
        .map(|item| CartRow {
            name: item.name.as_str().into(),
            quantity: i32::try_from(item.quantity).unwrap_or(i32::MAX),
            online_price: format::money(Cents::new(item.online_price_cents), lang),
            ..CartRow::default()
        })
        .collect()
}

/// The cart lines once checked against this store: price difference and stock.
pub fn cart_outcome_rows(outcomes: &[CartLineOutcome], lang: Lang) -> Vec<CartRow> {
    outcomes
        .iter()
        .map(|o| {
            let difference = o.difference_cents.unwrap_or(0);
            CartRow {
                name: o.name.as_str().into(),
                quantity: i32::try_from(o.quantity).unwrap_or(i32::MAX),
                online_price: format::money(Cents::new(o.online_price_cents), lang),
                store_price: o
                    .store_price_cents
                    .map(|c| format::money(Cents::new(c), lang))
                    .unwrap_or_default(),
                difference: if difference == 0 {
                    SharedString::new()
                } else {
                    format::money(Cents::new(difference.abs()), lang)
                },
                dearer_in_store: difference > 0,
                cheaper_in_store: difference < 0,
                stock_here: i32::try_from(o.stock_here).unwrap_or(i32::MAX),
                elsewhere: o
                    .available_at
                    .as_ref()
                    .map(|a| a.location_name.as_str().into())
                    .unwrap_or_default(),
                elsewhere_qty: o
                    .available_at
                    .as_ref()
                    .map_or(0, |a| i32::try_from(a.qty).unwrap_or(i32::MAX)),
                added: o.added,
                problem: match o.refusal {
                    None => CartLineProblem::None,
                    Some(CartLineRefusal::NotInCatalogue) => CartLineProblem::NotInCatalogue,
                    Some(CartLineRefusal::NeedsWeight) => CartLineProblem::NeedsWeight,
                    Some(CartLineRefusal::LabelPriced) => CartLineProblem::LabelPriced,
                    Some(CartLineRefusal::Other) => CartLineProblem::Other,
                },
            }
        })
        .collect()
}

pub fn page_view(session: &Session, view: &CustomerView) -> CustomerPageView {
    let lang = session.lang;
    let consent = |channel: Channel| {
        view.consents
            .iter()
            .find(|c| c.channel == channel)
            .map_or((false, SharedString::new()), |c| {
                (c.granted, c.at.map(|at| day(at, lang)).unwrap_or_default())
            })
    };
    let value = session
        .config
        .loyalty_rule()
        .point_value_cents
        .saturating_mul(view.loyalty_points.max(0));
    CustomerPageView {
        id: view.id.as_str().into(),
        name: format!("{} {}", view.first_name, view.last_name)
            .trim()
            .into(),
        first_name: view.first_name.as_str().into(),
        email: view.email.as_deref().unwrap_or("").into(),
        phone: view.phone.as_deref().unwrap_or("").into(),
        tier: view.tier.as_str().into(),
        points: i32::try_from(view.loyalty_points).unwrap_or(i32::MAX),
        points_value: format::money(Cents::new(value), lang),
        source: match view.source {
            crate::domain::customer::ViewSource::Central => ViewSource::Central,
            crate::domain::customer::ViewSource::Cache => ViewSource::Cache,
            crate::domain::customer::ViewSource::Code => ViewSource::Code,
        },
        age: format::age(view.fetched_at, now()),
        local_only: view.id.starts_with("L-"),
        consent_email: consent(Channel::Email),
        consent_sms: consent(Channel::Sms),
        purchases: view
            .purchases
            .iter()
            .map(|p| purchase_row(p, lang))
            .collect(),
        returns: view.returns.iter().map(|p| purchase_row(p, lang)).collect(),
        cart: match use_case::check_cart(
            &session.store,
            view,
            &session.config.store_code,
            chrono::Utc::now().date_naive(),
        ) {
            Ok(outcomes) => cart_outcome_rows(&outcomes, lang),
            Err(error) => {
                tracing::warn!(%error, "cannot check the online cart against this store");
                cart_rows(view, lang)
            }
        },
        wishlist: view
            .wishlist
            .iter()
            .map(|w| w.name.as_str().into())
            .collect(),
        notes: view
            .notes
            .iter()
            .map(|n| NoteRow {
                date: day(n.at, lang),
                author: n.author.as_str().into(),
                text: n.text.as_str().into(),
            })
            .collect(),
    }
}

pub fn apply(window: &AppWindow, view: CustomerPageView, shown: bool) {
    let a = window.global::<CustomerAdapter>();
    a.set_shown(shown);
    a.set_id(view.id);
    a.set_name(view.name);
    a.set_email(view.email);
    a.set_phone(view.phone);
    a.set_tier(view.tier);
    a.set_points(view.points);
    a.set_points_value(view.points_value);
    a.set_source(view.source);
    a.set_age(view.age);
    a.set_local_only(view.local_only);
    a.set_consent_email(view.consent_email.0);
    a.set_consent_email_date(view.consent_email.1);
    a.set_consent_sms(view.consent_sms.0);
    a.set_consent_sms_date(view.consent_sms.1);
    a.set_purchases(ModelRc::new(VecModel::from(view.purchases)));
    a.set_returns(ModelRc::new(VecModel::from(view.returns)));
    a.set_cart(ModelRc::new(VecModel::from(view.cart)));
    a.set_cart_moved(false);
    a.set_wishlist(ModelRc::new(VecModel::from(view.wishlist)));
    a.set_notes(ModelRc::new(VecModel::from(view.notes)));
    a.set_note_warning("".into());
    a.set_request_recorded(RequestKind::None);
    a.set_problem(CustomerProblem::None);
    a.set_problem_detail("".into());
    window
        .global::<super::ProductAdapter>()
        .set_customer_name(view.first_name.clone());
    window
        .global::<AppAdapter>()
        .set_customer_first_name(view.first_name);
}

/// Empties the page and every list the search showed: nothing of the customer stays.
pub fn clear(window: &AppWindow) {
    apply(window, CustomerPageView::default(), false);
    let a = window.global::<CustomerAdapter>();
    a.set_query("".into());
    a.set_note_draft("".into());
    a.set_results(ModelRc::new(VecModel::from(Vec::<CustomerRow>::new())));
    a.set_searched(false);
    a.set_results_from_cache(false);
}

fn counter(session: &Session) -> (String, String, String) {
    (
        session
            .staff
            .as_ref()
            .map_or_else(|| "unknown".to_owned(), |s| s.login.clone()),
        session.config.terminal_id.clone(),
        session.config.store_code.clone(),
    )
}

/// Why opening failed, for the page.
fn problem_of(error: &CustomerAppError) -> (CustomerProblem, SharedString) {
    use crate::domain::customer::CustomerError as Invalid;
    let problem = match error {
        CustomerAppError::Code(code) => {
            // The screen says it in one sentence; the log keeps which check failed.
            tracing::info!(reason = code.reason(), "loyalty code refused");
            CustomerProblem::RefusedCode
        }
        CustomerAppError::Unknown { .. } => CustomerProblem::Unknown,
        CustomerAppError::UnknownAtCentral { .. } => CustomerProblem::NotFound,
        CustomerAppError::QueryTooShort => CustomerProblem::QueryTooShort,
        CustomerAppError::Invalid(Invalid::NameMissing) => CustomerProblem::NameMissing,
        CustomerAppError::Invalid(Invalid::ContactMissing) => CustomerProblem::ContactMissing,
        CustomerAppError::Invalid(Invalid::BadEmail(typed)) => {
            return (CustomerProblem::BadEmail, typed.as_str().into());
        }
        CustomerAppError::Invalid(Invalid::BadPhone(typed)) => {
            return (CustomerProblem::BadPhone, typed.as_str().into());
        }
        _ => {
            tracing::error!(%error, "customer page");
            CustomerProblem::Failed
        }
    };
    (problem, SharedString::new())
}

/// Answers from the cache (the central is asked afterwards): never waits on the network.
fn open_offline(session: &mut Session, who: &Identified) -> Result<CustomerView, CustomerAppError> {
    let (staff, terminal, store_code) = counter(session);
    let view = use_case::open_cached(
        &mut session.store,
        who,
        Counter {
            staff: &staff,
            terminal: &terminal,
            store_code: &store_code,
            now: now(),
        },
    )?;
    session.customer = Some(view.clone());
    Ok(view)
}

/// Opens the customer named by `input` (a loyalty code or an id) and shows the page.
pub fn open(window: &AppWindow, worker: &Worker, input: String) {
    let weak = window.as_weak();
    let refresher = worker.clone();
    worker.run(move |session| open_on_worker(session, &weak, &refresher, &input));
}

/// [`open`], from a job already running on the worker.
pub fn open_on_worker(
    session: &mut Session,
    weak: &slint::Weak<AppWindow>,
    worker: &Worker,
    input: &str,
) {
    let outcome =
        use_case::identify(&session.store, input).and_then(|who| open_offline(session, &who));
    match outcome {
        Ok(view) => {
            let page = page_view(session, &view);
            // The checkout now knows whose points it may use.
            let basket = super::basket::view(session);
            refresh(session, weak.clone(), worker.clone(), &view.id);
            let _ = weak.upgrade_in_event_loop(move |window| {
                apply(&window, page, true);
                super::basket::apply(&window, basket);
                window.global::<AppAdapter>().set_page(Page::Customer);
            });
        }
        Err(error) => {
            let (problem, detail) = problem_of(&error);
            let _ = weak.upgrade_in_event_loop(move |window| {
                let a = window.global::<CustomerAdapter>();
                a.set_problem(problem);
                a.set_problem_detail(detail);
                window.global::<AppAdapter>().set_page(Page::Customer);
            });
        }
    }
}

/// Asks the central for the customer's view, caches it, and refreshes the page if they are
/// still on show.
fn refresh(session: &Session, weak: slint::Weak<AppWindow>, worker: Worker, id: &str) {
    let asked = use_case::ask_fresh_view(&session.central, &session.store, id, move |fresh| {
        worker.run(move |session| {
            if session.customer.as_ref().is_none_or(|c| c.id != fresh.id()) {
                return;
            }
            let view = match use_case::take_fresh_view(&mut session.store, fresh) {
                Ok(view) => view,
                Err(error) => {
                    tracing::warn!(%error, "cannot refresh the customer view");
                    return;
                }
            };
            let page = page_view(session, &view);
            session.customer = Some(view);
            let _ = weak.upgrade_in_event_loop(move |window| {
                let a = window.global::<CustomerAdapter>();
                if a.get_shown() && a.get_id() == page.id.as_str() {
                    apply(&window, page, true);
                }
            });
        });
    });
    if let Err(error) = asked {
        tracing::warn!(%error, "cannot ask for the customer view");
    }
}

/// Re-reads the customer on show after something was recorded (points, consents, notes).
fn reshow(session: &mut Session) -> Option<CustomerPageView> {
    let view = session.customer.clone()?;
    match use_case::with_local_facts(&session.store, view) {
        Ok(view) => {
            let page = page_view(session, &view);
            session.customer = Some(view);
            Some(page)
        }
        Err(error) => {
            tracing::error!(%error, "cannot re-read the customer");
            None
        }
    }
}

fn search(window: &AppWindow, worker: &Worker, query: String) {
    if query.contains(LOYALTY_PREFIX) {
        // A keyboard-wedge scanner typed a loyalty code into the search field.
        window.global::<CustomerAdapter>().set_query("".into());
        open(window, worker, query);
        return;
    }
    let weak = window.as_weak();
    worker.run(move |session| {
        let result = use_case::search_everywhere(&session.central, &session.store, &query);
        let _ = weak.upgrade_in_event_loop(move |window| {
            let a = window.global::<CustomerAdapter>();
            match result {
                Ok((hits, source)) => {
                    let rows: Vec<CustomerRow> = hits
                        .iter()
                        .map(|h| CustomerRow {
                            id: h.id.as_str().into(),
                            name: format!("{} {}", h.first_name, h.last_name).into(),
                            contact: [h.email.as_deref(), h.phone.as_deref()]
                                .into_iter()
                                .flatten()
                                .collect::<Vec<_>>()
                                .join(" · ")
                                .into(),
                            tier: h.tier.as_str().into(),
                        })
                        .collect();
                    a.set_results(ModelRc::new(VecModel::from(rows)));
                    a.set_searched(true);
                    a.set_results_from_cache(source == use_case::SearchSource::Cache);
                    a.set_problem(CustomerProblem::None);
                }
                Err(error) => {
                    let (problem, detail) = problem_of(&error);
                    a.set_problem(problem);
                    a.set_problem_detail(detail);
                }
            }
        });
    });
}

pub fn setup(window: &AppWindow, worker: &Worker) {
    let adapter = window.global::<CustomerAdapter>();

    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_search(move |query| {
        if let Some(window) = weak.upgrade() {
            search(&window, &w, query.to_string());
        }
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_open(move |id| {
        if let Some(window) = weak.upgrade() {
            open(&window, &w, id.to_string());
        }
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_create(move |first, last, email, phone| {
        let weak = weak.clone();
        let worker = w.clone();
        let new = NewCustomer {
            first_name: first.to_string(),
            last_name: last.to_string(),
            email: Some(email.to_string()),
            phone: Some(phone.to_string()),
        };
        w.run(move |session| {
            let (staff, terminal, store_code) = counter(session);
            let created = use_case::create(
                &mut session.store,
                new,
                Counter {
                    staff: &staff,
                    terminal: &terminal,
                    store_code: &store_code,
                    now: now(),
                },
            );
            let _ = weak.upgrade_in_event_loop(move |window| match created {
                Ok(id) => open(&window, &worker, id),
                Err(error) => {
                    let (problem, detail) = problem_of(&error);
                    let a = window.global::<CustomerAdapter>();
                    a.set_problem(problem);
                    a.set_problem_detail(detail);
                }
            });
        });
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_set_consent(move |sms, granted| {
        let weak = weak.clone();
        w.run(move |session| {
            let Some(id) = session.customer.as_ref().map(|c| c.id.clone()) else {
                return;
            };
            let channel = if sms { Channel::Sms } else { Channel::Email };
            let (staff, terminal, store_code) = counter(session);
            let counter = Counter {
                staff: &staff,
                terminal: &terminal,
                store_code: &store_code,
                now: now(),
            };
            if let Err(error) =
                use_case::set_consent(&mut session.store, &id, channel, granted, counter)
            {
                tracing::error!(%error, "cannot record the consent");
            }
            if let Some(page) = reshow(session) {
                let _ = weak.upgrade_in_event_loop(move |window| apply(&window, page, true));
            }
        });
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_add_note(move |text, confirmed| {
        let weak = weak.clone();
        let text = text.to_string();
        w.run(move |session| {
            let Some(id) = session.customer.as_ref().map(|c| c.id.clone()) else {
                return;
            };
            let (staff, terminal, store_code) = counter(session);
            let counter = Counter {
                staff: &staff,
                terminal: &terminal,
                store_code: &store_code,
                now: now(),
            };
            let watch = session.config.note_watch_words.clone();
            match use_case::add_note(&mut session.store, &id, &text, &watch, confirmed, counter) {
                Ok(()) => {
                    let page = reshow(session);
                    let _ = weak.upgrade_in_event_loop(move |window| {
                        if let Some(page) = page {
                            apply(&window, page, true);
                        }
                        window.global::<CustomerAdapter>().set_note_draft("".into());
                    });
                }
                Err(CustomerAppError::NoteNotFactual { words }) => {
                    let words: SharedString = words.join(", ").into();
                    let _ = weak.upgrade_in_event_loop(move |window| {
                        window.global::<CustomerAdapter>().set_note_warning(words);
                    });
                }
                Err(CustomerAppError::EmptyNote) => {}
                Err(error) => tracing::error!(%error, "cannot save the note"),
            }
        });
    });

    let weak = window.as_weak();
    adapter.on_revise_note(move || {
        if let Some(window) = weak.upgrade() {
            window
                .global::<CustomerAdapter>()
                .set_note_warning("".into());
        }
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_request(move |kind| {
        let kind = match kind {
            RequestKind::Access => PrivacyRequestKind::Access,
            RequestKind::Erasure => PrivacyRequestKind::Erasure,
            RequestKind::None => return,
        };
        let weak = weak.clone();
        w.run(move |session| {
            let Some(id) = session.customer.as_ref().map(|c| c.id.clone()) else {
                return;
            };
            let (staff, terminal, store_code) = counter(session);
            let counter = Counter {
                staff: &staff,
                terminal: &terminal,
                store_code: &store_code,
                now: now(),
            };
            match use_case::privacy_request(&mut session.store, &id, kind, counter) {
                Ok(()) => {
                    let shown = match kind {
                        PrivacyRequestKind::Access => RequestKind::Access,
                        PrivacyRequestKind::Erasure => RequestKind::Erasure,
                    };
                    let _ = weak.upgrade_in_event_loop(move |window| {
                        window
                            .global::<CustomerAdapter>()
                            .set_request_recorded(shown);
                    });
                }
                Err(error) => tracing::error!(%error, "cannot record the request"),
            }
        });
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_cart_to_basket(move || {
        let weak = weak.clone();
        w.run(move |session| {
            let Some(view) = session.customer.clone() else {
                return;
            };
            let today = chrono::Utc::now().date_naive();
            let here = session.config.store_code.clone();
            // The cart's lines are priced here first, then go into the open basket in one change.
            let mut cart = crate::domain::basket::Basket::new();
            let outcomes =
                match use_case::cart_to_basket(&session.store, &view, &mut cart, &here, today) {
                    Ok(outcomes) => outcomes,
                    Err(error) => {
                        tracing::error!(%error, "cannot bring the online cart into the basket");
                        return;
                    }
                };
            if let Err(error) = crate::app::basket::add_lines(
                &mut session.store,
                cart.lines().to_vec(),
                super::session::now(),
            ) {
                tracing::error!(%error, "cannot bring the online cart into the basket");
                return;
            }
            let rows = cart_outcome_rows(&outcomes, session.lang);
            let basket = super::basket::view(session);
            let _ = weak.upgrade_in_event_loop(move |window| {
                let a = window.global::<CustomerAdapter>();
                a.set_cart(ModelRc::new(VecModel::from(rows)));
                a.set_cart_moved(true);
                super::basket::apply(&window, basket);
            });
        });
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_end_session(move || {
        let weak = weak.clone();
        w.run(move |session| {
            session.next_customer();
            let _ = weak.upgrade_in_event_loop(|window| {
                super::end_customer_session(&window);
                window.global::<AppAdapter>().set_page(Page::Customer);
            });
        });
    });
}
