//! `comptoir shot`: renders a page of the real UI, filled with demo data by the same code the
//! worker runs, through Slint's software renderer into a PNG — no display, no GPU. Used for the
//! README's screenshots and to look at every page at 1280×800 and 800×480.

use std::path::Path;
use std::rc::Rc;

use slint::platform::software_renderer::{
    MinimalSoftwareWindow, PremultipliedRgbaColor, RepaintBufferType,
};
use slint::platform::{Platform, WindowAdapter};
use slint::{ComponentHandle, Model as _, PhysicalSize, PlatformError};

use crate::app::checkout::add_scan;
use crate::config::Config;
use crate::domain::demo;
use crate::store::Store;

use super::format::Lang;
use super::kiosk::KioskSession;
use super::session::Session;
use super::{
    AppAdapter, AppWindow, CheckoutAdapter, ClosingKind, ClosingView, KioskWindow, LoginAdapter,
    ManagerAdapter, Page, PayMethod, SearchAdapter, StatusAdapter, basket, checkout, login, scan,
    search, select_language,
};

/// The pages `comptoir shot` can render.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ShotPage {
    Login,
    Scan,
    Product,
    Search,
    Basket,
    /// A basket with discounts: a promotion (« 2e à -50 % »), a seller's discount with its
    /// reason, the amounts before them struck through, and what the customer saves.
    BasketDiscount,
    /// A line's « Remise »: the keypad and the chain's reasons.
    Discount,
    /// A seller's discount past their limit: the manager's PIN pad.
    DiscountManager,
    /// The checkout in cash with an amount typed and its change.
    Checkout,
    /// The checkout as it opens: the card tender chosen, the quick cash amounts beside it.
    CheckoutCard,
    /// The card checkout with a store credit's code typed: the credit pays first.
    CheckoutCredit,
    /// The checkout with the cash tender chosen and nothing typed: the quick amounts.
    CheckoutCash,
    /// After a cash payment: the change and the receipt choice (nothing is recorded).
    CheckoutDone,
    Manager,
    /// The manager's day closing before it is written: its figures and the PIN pad.
    ManagerClosing,
    /// The cash drawer: a bank deposit typed on the keypad, the float recorded before it.
    Drawer,
    /// The day closing's blind count by denomination, a few notes and coins counted.
    DrawerCount,
    /// The X report: the day so far per means of payment and VAT rate, the drawer's movements
    /// and the cash it should hold.
    DrawerReport,
    /// A product scanned past its expiry date: the manager's override asked for.
    Override,
    Customer,
    /// The click-and-collect list of the pickup counter.
    Pickup,
    /// An order at the pickup counter, one item checked by scanning.
    PickupOrder,
    /// An order the central found handed over at two counters, worded by the screen.
    PickupConflict,
    /// The return of an online order, one unit chosen.
    Return,
    /// The return of a sale of the store from its receipt's code, one unit chosen, on credit.
    ReturnSale,
    /// Goods brought back without a receipt, scanned in: the manager's PIN asked.
    ReturnNoReceipt,
    /// A return just refunded on a store credit: « Échanger » spends it on new goods.
    ReturnExchange,
    /// The kiosk's home screen.
    Kiosk,
    /// The kiosk's page for a product in stock here and elsewhere.
    KioskProduct,
    /// The kiosk's greeting of a demo customer: points and online cart.
    KioskCustomer,
    /// The kiosk's search on its on-screen keyboard.
    KioskSearch,
    /// The kiosk's product page after « Appeler un vendeur »: the store's tablets are told.
    KioskCall,
    /// The kiosk's product page once a loyalty card is scanned: « Réserver » in the other stores.
    KioskReserve,
    /// The scan page of a staff tablet while a kiosk's customer waits for a seller.
    StaffCall,
}

impl ShotPage {
    /// The kiosk's page this is, if it is one of the kiosk window's.
    fn kiosk(self) -> Option<super::kiosk::shot::KioskShot> {
        use super::kiosk::shot::KioskShot;
        match self {
            ShotPage::Kiosk => Some(KioskShot::Home),
            ShotPage::KioskProduct => Some(KioskShot::Product),
            ShotPage::KioskCustomer => Some(KioskShot::Customer),
            ShotPage::KioskSearch => Some(KioskShot::Search),
            ShotPage::KioskCall => Some(KioskShot::Call),
            ShotPage::KioskReserve => Some(KioskShot::Reserve),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ShotError {
    #[error("cannot set up the software renderer: {0}")]
    Platform(#[from] PlatformError),
    #[error("cannot set up the software renderer: {0}")]
    SetPlatform(String),
    #[error("the demo data is missing: {0}")]
    Demo(String),
    #[error("cannot write {path}: {reason}")]
    Write { path: String, reason: String },
}

struct ShotPlatform(Rc<MinimalSoftwareWindow>);

impl Platform for ShotPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        Ok(self.0.clone())
    }
}

/// Renders `page` at `width`×`height` in `lang` into the PNG file `out`. `store` should hold the
/// demo catalogue.
pub fn shot(
    config: &Config,
    store: Store,
    page: ShotPage,
    lang: Lang,
    (width, height): (u32, u32),
    out: &Path,
) -> Result<(), ShotError> {
    let surface = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    slint::platform::set_platform(Box::new(ShotPlatform(surface.clone())))
        .map_err(|e| ShotError::SetPlatform(e.to_string()))?;
    surface.set_size(PhysicalSize::new(width, height));
    let staged = stage(config, store, page, lang, (width, height))?;
    staged.window().show()?;
    render(&surface, (width, height), out)
}

/// A page put in the state a user would see it in, in its window (not shown yet).
pub enum Staged {
    Staff {
        window: AppWindow,
        /// The page's session: the window's callbacks may reach it while it is on show.
        session: Box<Session>,
    },
    Kiosk(KioskWindow),
}

impl Staged {
    pub fn window(&self) -> &slint::Window {
        match self {
            Staged::Staff { window, .. } => window.window(),
            Staged::Kiosk(window) => window.window(),
        }
    }
}

/// Creates `page`'s window on the current platform (the shot's software renderer, or Slint's
/// testing backend for the layout check) and fills it as it would be at `width`×`height` in
/// `lang`. `store` should hold the demo catalogue.
pub fn stage(
    config: &Config,
    store: Store,
    page: ShotPage,
    lang: Lang,
    (width, height): (u32, u32),
) -> Result<Staged, ShotError> {
    let mut config = config.clone();
    config.locale = match lang {
        Lang::Fr => "fr".into(),
        Lang::En => "en".into(),
    };
    if let Some(kiosk_page) = page.kiosk() {
        let window = KioskWindow::new()?;
        resize(window.window(), (width, height));
        super::kiosk::show_language(&window, lang);
        super::kiosk::shot::fill(
            &window,
            KioskSession::new(store, config, central()?),
            kiosk_page,
        )?;
        return Ok(Staged::Kiosk(window));
    }
    let window = AppWindow::new()?;
    resize(window.window(), (width, height));
    select_language(lang);
    let mut session = Box::new(Session::new(store, config, central()?));
    checkout::install_preview(&window, lang);
    fill(&window, &mut session, page)?;
    Ok(Staged::Staff { window, session })
}

/// Gives `window` its size the way a screen does, so that its size handlers (`changed width`:
/// the narrow and wide staff layouts, the counter monitor's type, the kiosk's compact theme)
/// run as under an event loop. They run on a change only: the platform may have given the
/// window this very size already, so it first takes another.
fn resize(window: &slint::Window, (width, height): (u32, u32)) {
    window.set_size(PhysicalSize::new(width + 1, height + 1));
    slint::platform::update_timers_and_animations();
    window.set_size(PhysicalSize::new(width, height));
    slint::platform::update_timers_and_animations();
}

/// Draws the window shown on `surface` into the PNG file `out`.
fn render(
    surface: &MinimalSoftwareWindow,
    (width, height): (u32, u32),
    out: &Path,
) -> Result<(), ShotError> {
    slint::platform::update_timers_and_animations();
    let mut pixels = vec![PremultipliedRgbaColor::default(); (width * height) as usize];
    surface.draw_if_needed(|renderer| {
        renderer.render(&mut pixels, width as usize);
    });
    let rgba: Vec<u8> = pixels
        .iter()
        .flat_map(|p| [p.red, p.green, p.blue, p.alpha])
        .collect();
    let write_err = |reason: String| ShotError::Write {
        path: out.display().to_string(),
        reason,
    };
    let image = image::RgbaImage::from_raw(width, height, rgba)
        .ok_or_else(|| write_err("the rendered buffer has the wrong size".into()))?;
    image.save(out).map_err(|e| write_err(e.to_string()))
}

/// Puts the page in the state a user would see it in, with the same functions the worker runs.
fn fill(window: &AppWindow, session: &mut Session, page: ShotPage) -> Result<(), ShotError> {
    let demo_err = |e: &dyn std::fmt::Display| ShotError::Demo(e.to_string());
    let app = window.global::<AppAdapter>();
    let here = session
        .store
        .location_name(&session.config.store_code)
        .map_err(|e| demo_err(&e))?
        .unwrap_or_default();
    app.set_store_name(here.into());
    app.set_terminal_id(session.config.terminal_id.as_str().into());
    window
        .global::<StatusAdapter>()
        .set_last_sync(super::format::never());
    login::show_staff(
        window,
        login::staff_items(crate::app::terminal::staff_members(&session.store)),
    );
    if page == ShotPage::Login {
        let a = window.global::<LoginAdapter>();
        a.set_selected_login("camille".into());
        a.set_pin("12".into());
        app.set_page(Page::Login);
        return Ok(());
    }
    // The manager's page needs the manager; every other page is a seller's.
    let staff = if matches!(
        page,
        ShotPage::Manager | ShotPage::ManagerClosing | ShotPage::DrawerCount
    ) {
        &demo::STAFF[2]
    } else {
        &demo::STAFF[0]
    };
    login::apply(window, login::attempt(session, staff.login, staff.pin));
    let today = chrono::Utc::now().date_naive();
    let config = session.config.scan_config();
    let here_code = session.config.store_code.clone();
    // Rung up in memory: a screenshot never writes to the operator's open basket.
    let mut shown = crate::domain::basket::Basket::new();
    let mut ring = |session: &mut Session, code: String| -> Result<(), ShotError> {
        add_scan(
            &session.store,
            &mut shown,
            &code,
            1,
            &config,
            &here_code,
            today,
        )
        .map(|_| ())
        .map_err(|e| demo_err(&e))
    };
    match page {
        ShotPage::Login
        | ShotPage::Kiosk
        | ShotPage::KioskProduct
        | ShotPage::KioskCustomer
        | ShotPage::KioskSearch
        | ShotPage::KioskCall
        | ShotPage::KioskReserve => {}
        ShotPage::Manager => {
            // What the page shows after a day closing; a screenshot never writes a closing.
            window
                .global::<ManagerAdapter>()
                .set_last_closing(ClosingView {
                    done: true,
                    kind: ClosingKind::Day,
                    tickets: 42,
                    total: super::format::money(
                        crate::domain::money::Cents::new(318_450),
                        session.lang,
                    ),
                    grand_total: super::format::money(
                        crate::domain::money::Cents::new(12_734_980),
                        session.lang,
                    ),
                    sequence: 1_207,
                    counted: true,
                    counted_total: super::format::money(
                        crate::domain::money::Cents::new(87_130),
                        session.lang,
                    ),
                    expected: super::format::money(
                        crate::domain::money::Cents::new(87_150),
                        session.lang,
                    ),
                    difference: super::format::money(
                        crate::domain::money::Cents::new(20),
                        session.lang,
                    ),
                    difference_sign: -1,
                });
            app.set_page(Page::Manager);
        }
        ShotPage::Drawer | ShotPage::DrawerReport => {
            // Made-up figures shown by the page's code: a screenshot never writes a movement.
            let report = demo_drawer_report(&demo_closing_preview(&session.config.terminal_id));
            let a = window.global::<super::DrawerAdapter>();
            a.set_report(super::drawer::report_view(&report, session.lang));
            if page == ShotPage::Drawer {
                a.set_recorded(true);
                a.set_recorded_action(super::DrawerAction::Float);
                a.set_recorded_amount(super::format::money(
                    crate::domain::money::Cents::new(15_000),
                    session.lang,
                ));
                a.set_recorded_sequence(1_165);
                a.set_action(super::DrawerAction::BankDeposit);
                a.set_amount("500".into());
                a.set_view(super::DrawerView::Movement);
            } else {
                a.set_view(super::DrawerView::Report);
            }
            app.set_page(Page::Drawer);
        }
        ShotPage::DrawerCount => {
            super::drawer::reset_count(window, session.lang);
            // 2 × 50 €, 7 × 20 €, 12 × 2 €, 23 × 0,50 €, the last one being typed.
            for (index, count) in [(3, 2), (4, 7), (7, 12), (9, 23)] {
                super::drawer::set_count(window, session.lang, index, count);
            }
            window.global::<ManagerAdapter>().set_counting(true);
            app.set_page(Page::Manager);
        }
        ShotPage::Override => {
            for index in [1, 2] {
                ring(session, demo::product(index).gtin.as_str().to_owned())?;
            }
            basket::apply(window, basket::view_of(session, &shown));
            // A GS1 QR whose expiry date has passed, as on a food label.
            let code = format!("]Q3(01){}(17)251130(10)L2417B", demo::product(7).gtin);
            let scan = crate::app::scan_route::parse(&code, &session.config.scan_config());
            let card = crate::app::product_card::card_for_scan(
                &session.store,
                scan,
                &session.config.store_code,
                today,
            )
            .map_err(|e| demo_err(&e))?;
            let block = crate::domain::sale_guard::SaleBlock::Expired {
                expiry: card.details.expiry.unwrap_or(today),
            };
            super::sale_override::show(
                window,
                super::sale_override::view(&card, &block, session.lang),
            );
            let a = window.global::<super::OverrideAdapter>();
            a.set_manager_login(demo::STAFF[2].login.into());
            a.set_reason("checked_pack".into());
            a.set_pin("24".into());
            app.set_page(Page::Scan);
        }
        ShotPage::ManagerClosing => {
            // A day's figures as the closing would record them; a PIN typed, not yet confirmed. A screenshot
            // never writes a closing, so the figures are made up, then shown by the page's code.
            let preview = demo_closing_preview(&session.config.terminal_id);
            super::manager::show_preview(
                window,
                super::manager::preview_view(&preview, session.lang),
            );
            window.global::<ManagerAdapter>().set_pin("1357".into());
            app.set_page(Page::Manager);
        }
        ShotPage::Scan => {
            // A sale in progress: three lines in the basket beside the page, the last scan's
            // notice over it.
            for index in [1, 2, 1, 7] {
                ring(session, demo::product(index).gtin.as_str().to_owned())?;
            }
            basket::apply(window, basket::view_of(session, &shown));
            let last = demo::product(7);
            let notice = window.global::<super::ScanNotice>();
            notice.set_name(last.name.into());
            notice.set_price(super::format::money(last.price, session.lang));
            notice.set_quantity(1);
            notice.set_total(window.global::<super::BasketAdapter>().get_total());
            notice.set_kind(super::NoticeKind::Added);
            window.global::<super::BasketAdapter>().set_last_line(2);
            app.set_page(Page::Scan);
        }
        ShotPage::StaffCall => {
            // As a sync brings it: kiosk B01's customer, two minutes ago, about a product.
            let row = super::StaffCallRow {
                id: "demo-call".into(),
                terminal: "B01".into(),
                age: super::format::age(0, 120),
                product: demo::product(3).name.into(),
            };
            window
                .global::<super::CallsAdapter>()
                .set_waiting(slint::ModelRc::new(slint::VecModel::from(vec![row])));
            app.set_page(Page::Scan);
        }
        ShotPage::Pickup => {
            window
                .global::<super::PickupAdapter>()
                .set_orders(slint::ModelRc::new(slint::VecModel::from(
                    super::pickup::rows(session, ""),
                )));
            app.set_page(Page::Pickup);
        }
        ShotPage::PickupConflict => {
            // As the central's pull says it; a screenshot writes no order.
            let mut order = session
                .store
                .pickup_orders(&here_code)
                .map_err(|e| demo_err(&e))?
                .into_iter()
                .next()
                .ok_or_else(|| ShotError::Demo("no pickup order in the demo store".into()))?;
            order.status = "conflict".into();
            order.conflict = Some("handed over twice: T01 and T02".into());
            order.conflict_kind = Some("handed_twice".into());
            order.conflict_counters = vec!["T01".into(), "T02".into()];
            let current = super::pickup::CounterOrder {
                check: crate::domain::pickup::ItemCheck::default(),
                order,
            };
            let view = super::pickup::order_view(session, &current);
            super::pickup::apply_order(window, view);
            app.set_page(Page::Pickup);
        }
        ShotPage::PickupOrder => {
            // The order of the demo store with the most items; its first item scanned once.
            let order = session
                .store
                .pickup_orders(&here_code)
                .map_err(|e| demo_err(&e))?
                .into_iter()
                .max_by_key(|o| o.lines.iter().map(|u| u.quantity).sum::<i64>())
                .ok_or_else(|| ShotError::Demo("no pickup order in the demo store".into()))?;
            let mut current = super::pickup::CounterOrder {
                check: crate::domain::pickup::ItemCheck::default(),
                order,
            };
            let first = current.order.lines[0].gtin.clone();
            let left = current.order.left();
            current.check.scan(&left, &first);
            let view = super::pickup::order_view(session, &current);
            super::pickup::apply_order(window, view);
            let a = window.global::<super::PickupAdapter>();
            a.set_verdict(super::ItemVerdict::Expected);
            let name = session
                .store
                .product(&crate::domain::gtin::Gtin::parse(&first).map_err(|e| demo_err(&e))?)
                .map_err(|e| demo_err(&e))?
                .map(|p| p.name)
                .unwrap_or_default();
            a.set_verdict_name(name.into());
            app.set_page(Page::Pickup);
        }
        ShotPage::Return => {
            let order = session
                .store
                .pickup_orders(&here_code)
                .map_err(|e| demo_err(&e))?
                .into_iter()
                .max_by_key(|o| o.lines.len())
                .ok_or_else(|| ShotError::Demo("no pickup order in the demo store".into()))?;
            window
                .global::<super::ReturnAdapter>()
                .set_order_id(order.id.as_str().into());
            super::returns::load(session, &order.id).map_err(|e| demo_err(&format!("{e:?}")))?;
            let view = super::returns::choose(session, 0, 1)
                .ok_or_else(|| ShotError::Demo("the order has no line".into()))?;
            super::returns::apply(window, view);
            window
                .global::<super::ReturnAdapter>()
                .set_method(super::RefundMethod::Credit);
            app.set_page(Page::Returns);
        }
        ShotPage::ReturnSale => {
            // A sale of last week as the receipt's code finds it: three articles, one of them
            // returned already, one unit chosen now.
            let line = |n: u64, quantity: i64, returned: i64| {
                let product = crate::domain::demo::product(n);
                (
                    product.name.clone(),
                    crate::domain::pickup::ReturnableLine {
                        gtin: product.gtin.as_str().to_owned(),
                        quantity,
                        amount_cents: product.price.get() * quantity,
                        vat_bp: product.vat_rate.basis_points(),
                        returned,
                    },
                )
            };
            let sale = crate::app::sale_return::ReturnableSale {
                sale: crate::sync::protocol::SaleRef {
                    store: here_code.clone(),
                    ticket: "T01-000042".into(),
                },
                customer: None,
                lines: vec![line(5, 2, 0), line(6, 1, 1), line(12, 1, 0)],
                payments: vec![("card".into(), 0)],
                source: "here",
            };
            window
                .global::<super::ReturnAdapter>()
                .set_order_id(format!("CPTR1:{here_code}:T01-000042:…").into());
            super::returns::start_sale(session, sale);
            let view = super::returns::choose(session, 0, 1)
                .ok_or_else(|| ShotError::Demo("the sale has no line".into()))?;
            super::returns::apply(window, view);
            window
                .global::<super::ReturnAdapter>()
                .set_method(super::RefundMethod::Credit);
            app.set_page(Page::Returns);
        }
        ShotPage::ReturnNoReceipt => {
            super::returns::start_no_receipt(session);
            let mut shown = None;
            for n in [5, 12, 5] {
                let gtin = demo::product(n).gtin;
                shown = Some(
                    super::returns::take_back(session, gtin.as_str())
                        .map_err(|e| ShotError::Demo(format!("{e:?}")))?,
                );
            }
            if let Some(view) = shown {
                super::returns::apply(window, view);
            }
            let a = window.global::<super::ReturnAdapter>();
            a.set_needs_manager(true);
            a.set_manager_login(demo::STAFF[2].login.into());
            a.set_pin("12".into());
            app.set_page(Page::Returns);
        }
        ShotPage::ReturnExchange => {
            // What the page shows once a unit of last week's sale is back on a credit.
            let product = demo::product(5);
            let a = window.global::<super::ReturnAdapter>();
            a.set_order_id(format!("CPTR1:{here_code}:T01-000042:…").into());
            a.set_is_sale(true);
            a.set_loaded(true);
            a.set_order_title(format!("{here_code}/T01-000042").into());
            a.set_lines(slint::ModelRc::new(slint::VecModel::from(vec![
                super::ReturnRow {
                    name: product.name.as_str().into(),
                    bought: 2,
                    returned: 1,
                    chosen: 0,
                    amount: super::format::money(crate::domain::money::Cents::new(0), session.lang),
                },
            ])));
            a.set_done_ticket("T01-R000003".into());
            a.set_done_amount(super::format::money(product.price, session.lang));
            a.set_credit_code("AV-7K2M-Q9XD-4HPT".into());
            app.set_page(Page::Returns);
        }
        ShotPage::Customer => {
            let view = demo_customer_view(session).map_err(|e| demo_err(&e))?;
            let page = super::customer::page_view(session, &view);
            session.customer = Some(view);
            super::customer::apply(window, page, true);
            app.set_page(Page::Customer);
        }
        ShotPage::Product => {
            // A GS1 QR carrying an expiry date already past and a lot, as on a food label.
            let code = format!("]Q3(01){}(17)251130(10)L2417B", demo::product(7).gtin);
            let scan = crate::app::scan_route::parse(&code, &session.config.scan_config());
            scan::apply(window, scan::look_up(session, scan));
        }
        ShotPage::Search => {
            let query = "pull laine";
            window.global::<SearchAdapter>().set_query(query.into());
            search::apply(window, search::results(session, query), true);
            app.set_page(Page::Search);
        }
        ShotPage::BasketDiscount | ShotPage::Discount | ShotPage::DiscountManager => {
            super::discount::show_reasons(window, &session.config.discount_reasons);
            let brand = |name: &str| {
                (0..demo::MAX_PRODUCTS)
                    .map(demo::product)
                    .find(|p| p.brand == name && p.in_store_item_code.is_none())
                    .map(|p| p.gtin.as_str().to_owned())
                    .ok_or_else(|| ShotError::Demo(format!("no product of {name}")))
            };
            // Two soaps of the « 2e à -50 % », a lamp with the seller's 5 %, a plain line.
            let soap = brand("Savonnerie Marius")?;
            ring(session, soap.clone())?;
            ring(session, soap)?;
            ring(session, brand("Maison Fauvel")?)?;
            ring(session, demo::product(2).gtin.as_str().to_owned())?;
            let reason = session
                .config
                .discount_reasons
                .first()
                .cloned()
                .unwrap_or_default();
            let manual = |percent: i64| crate::domain::discount::ManualLine {
                adjustment: crate::domain::discount::Adjustment::Discount {
                    discount: crate::domain::discount::Discount::Percent {
                        basis_points: percent * 100,
                    },
                },
                reason: reason.clone(),
            };
            shown
                .set_manual(1, Some(manual(5)))
                .map_err(|e| demo_err(&e))?;
            basket::apply(window, basket::view_of(session, &shown));
            app.set_page(Page::Basket);
            if page != ShotPage::BasketDiscount {
                // 30 % asked by a seller whose limit is 10 %: a manager's PIN, half typed.
                let a = window.global::<super::DiscountAdapter>();
                let line = window
                    .global::<super::BasketAdapter>()
                    .get_lines()
                    .row_data(1)
                    .ok_or_else(|| ShotError::Demo("no second line".into()))?;
                a.invoke_open(
                    super::DiscountTarget::Line,
                    1,
                    line.label,
                    line.unit_price,
                    super::DiscountMode::Percent,
                );
                a.set_value("30".into());
                a.set_reason(reason.as_str().into());
                a.set_limit(
                    i32::try_from(session.config.seller_discount_limit_percent).unwrap_or(0),
                );
                if page == ShotPage::DiscountManager {
                    a.set_needs_manager(true);
                    a.set_manager_login(demo::STAFF[2].login.into());
                    a.set_pin("24".into());
                }
            } else {
                window.global::<super::BasketAdapter>().set_open_line(1);
            }
        }
        ShotPage::Basket
        | ShotPage::Checkout
        | ShotPage::CheckoutCard
        | ShotPage::CheckoutCredit
        | ShotPage::CheckoutCash
        | ShotPage::CheckoutDone => {
            for index in [1, 2, 7] {
                ring(session, demo::product(index).gtin.as_str().to_owned())?;
            }
            // Two of the first product, and a weighed label (item 10000, 1.5 kg).
            ring(session, demo::product(1).gtin.as_str().to_owned())?;
            ring(session, "2110000015008".to_owned())?;
            basket::apply(window, basket::view_of(session, &shown));
            let checkout = window.global::<CheckoutAdapter>();
            match page {
                ShotPage::Basket => app.set_page(Page::Basket),
                ShotPage::CheckoutDone => {
                    // What the page shows after a cash payment; a screenshot never records a
                    // sale.
                    let lang = session.lang;
                    let total = shown.totals().map_err(|e| demo_err(&e))?.total;
                    let given = crate::domain::money::Cents::new((total.get() / 5_000 + 1) * 5_000);
                    let change = given.checked_sub(total).unwrap_or_default();
                    checkout.set_ticket_number(
                        crate::store::ticket_number(&session.config.terminal_id, 42).into(),
                    );
                    checkout.set_paid_cash(super::format::money(total, lang));
                    checkout.set_change(super::format::money(change, lang));
                    checkout.set_can_print(true);
                    checkout.set_can_email(true);
                    checkout.set_completed(true);
                    app.set_page(Page::Checkout);
                }
                ShotPage::CheckoutCard => {
                    checkout.set_method(PayMethod::Card);
                    app.set_page(Page::Checkout);
                }
                ShotPage::CheckoutCredit => {
                    // A store credit scanned at the till: it pays first, the card the rest.
                    checkout.set_method(PayMethod::Card);
                    checkout.set_credit_code("AV-7K2M-Q9XD-4HPT".into());
                    app.set_page(Page::Checkout);
                }
                _ => {
                    checkout.set_method(PayMethod::Cash);
                    if page == ShotPage::Checkout {
                        checkout.set_amount_text("500".into());
                    }
                    app.set_page(Page::Checkout);
                }
            }
        }
    }
    Ok(())
}

/// A day of 42 tickets at three VAT rates, paid by card, in cash and with loyalty points.
/// The X report of the demo day the closing's shot shows, with its float and movements.
fn demo_drawer_report(
    day: &crate::app::closing::ClosingPreview,
) -> crate::app::drawer::DrawerReport {
    use crate::domain::drawer::{Movement, MovementKind};
    let totals = &day.figures.totals;
    let movement = |kind, amount_cents, reason: &str| Movement {
        kind,
        amount_cents,
        reason: reason.to_owned(),
    };
    let movements = vec![
        movement(MovementKind::Float, 15_000, ""),
        movement(MovementKind::In, 5_000, "change top-up"),
        movement(MovementKind::Out, 50_000, "bank deposit"),
        movement(MovementKind::Out, 4_500, "paid-out"),
    ];
    let cash_sales_cents = crate::domain::drawer::cash_payments(&totals.payments);
    crate::app::drawer::DrawerReport {
        from_sequence: day.figures.from_sequence,
        to_sequence: day.figures.to_sequence,
        ticket_count: totals.ticket_count,
        total_cents: totals.total,
        vat: totals.vat.clone(),
        payments: totals.payments.clone(),
        float_cents: 15_000,
        expected_cash_cents: crate::domain::drawer::expected_cash(cash_sales_cents, &movements),
        movements,
        cash_sales_cents,
        gift_cards_sold_cents: 0,
        gift_cards_cash_cents: 0,
    }
}

fn demo_closing_preview(terminal: &str) -> crate::app::closing::ClosingPreview {
    use crate::domain::journal::{PaymentAmount, PeriodTotals, VatAmount};
    use crate::domain::vat::VatRate;
    let vat = [
        (VatRate::Standard, 271_330),
        (VatRate::Intermediate, 38_420),
        (VatRate::Reduced, 8_700),
    ]
    .map(|(rate, total)| {
        let base = rate
            .base_of_inclusive(crate::domain::money::Cents::new(total))
            .get();
        VatAmount {
            base,
            rate: rate.basis_points(),
            total,
            vat: total - base,
        }
    });
    let total = vat.iter().map(|v| v.total).sum();
    let payments =
        [("card", 241_950), ("cash", 72_150), ("loyalty", 4_350)].map(|(method, amount)| {
            PaymentAmount {
                amount,
                method: method.to_owned(),
            }
        });
    crate::app::closing::ClosingPreview {
        period: crate::store::ClosingPeriod::Day,
        terminal: terminal.to_owned(),
        at: super::session::now(),
        figures: crate::store::ClosingFigures {
            from_sequence: 1_164,
            to_sequence: 1_206,
            totals: PeriodTotals {
                ticket_count: 42,
                total,
                vat: vat.to_vec(),
                payments: payments.to_vec(),
            },
            grand_total: 12_734_980,
            discounts: Vec::new(),
        },
    }
}

/// A demo customer as the central would describe them: two store purchases and one online, an
/// online cart (one line cheaper on the web), a wish, a note and an e-mail consent. Only the
/// screenshot uses it: a terminal shows what the central or its cache says.
fn demo_customer_view(
    session: &Session,
) -> Result<crate::domain::customer::CustomerView, crate::store::StoreError> {
    use crate::domain::customer::{
        CartItem, Channel, Consent, CustomerView, Note, Purchase, ViewSource, WishItem,
    };
    let c = demo::customer(12);
    let now = super::session::now();
    let day = 86_400;
    let price = |index: u64| demo::product(index).price.get();
    let name = |index: u64| demo::product(index).name;
    let gtin = |index: u64| demo::product(index).gtin.as_str().to_owned();
    let points = session
        .store
        .customer(&c.public_id)?
        .map_or(c.loyalty_points, |row| row.loyalty_points);
    Ok(CustomerView {
        id: c.public_id,
        first_name: c.first_name.to_owned(),
        last_name: c.last_name.to_owned(),
        email: Some(c.email),
        phone: Some(c.phone),
        tier: c.tier.to_owned(),
        loyalty_points: points,
        consents: vec![
            Consent {
                channel: Channel::Email,
                granted: true,
                at: Some(now - 200 * day),
            },
            Consent {
                channel: Channel::Sms,
                granted: false,
                at: None,
            },
        ],
        purchases: vec![
            Purchase {
                reference: "T02-000412".into(),
                channel: "store".into(),
                location: "Lyon Part-Dieu".into(),
                at: now - 12 * day,
                total_cents: price(3) + price(9),
                items: 2,
            },
            Purchase {
                reference: "W-2026-118734".into(),
                channel: "online".into(),
                location: "web".into(),
                at: now - 40 * day,
                total_cents: price(21),
                items: 1,
            },
            Purchase {
                reference: "T01-000988".into(),
                channel: "store".into(),
                location: "Paris Rivoli".into(),
                at: now - 95 * day,
                total_cents: price(5),
                items: 1,
            },
        ],
        returns: Vec::new(),
        online_cart: vec![
            CartItem {
                gtin: gtin(1),
                name: name(1),
                quantity: 1,
                online_price_cents: price(1) - price(1) / 10,
                added_at: now - 3 * day,
            },
            CartItem {
                gtin: gtin(2),
                name: name(2),
                quantity: 2,
                online_price_cents: price(2),
                added_at: now - day,
            },
            CartItem {
                gtin: gtin(6),
                name: name(6),
                quantity: 1,
                online_price_cents: price(6),
                added_at: now - day,
            },
        ],
        wishlist: vec![WishItem {
            gtin: gtin(30),
            name: name(30),
        }],
        notes: vec![Note {
            at: now - 12 * day,
            author: "hugo".into(),
            text: "Préfère la coupe ajustée, taille M. Rappeler pour la veste en bleu marine."
                .into(),
        }],
        source: ViewSource::Central,
        fetched_at: now,
    })
}

/// A shot asks the central nothing, but a session has its line to it.
fn central() -> Result<crate::app::central::Central, ShotError> {
    crate::app::central::Central::start()
        .map_err(|e| ShotError::SetPlatform(format!("cannot start the central's runtime: {e}")))
}
