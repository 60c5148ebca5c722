//! The self-service kiosk (`mode = "kiosk"`): the customer-facing window and its glue. A
//! customer scans a product (price, stock here and elsewhere), scans their loyalty card (first
//! name, points, online cart) or searches by name on an on-screen keyboard. Its window,
//! `KioskWindow` (`ui/kiosk/`), has no staff page, no log-in and no way out; after
//! `kiosk_idle_seconds` without activity everything about the customer is wiped, on screen
//! (`wipe`) and in the worker (`KioskSession::forget_customer`).
//!
//! Like the staff glue, it passes values and builds no sentence; lookups run on the kiosk's own
//! app worker, never on the UI thread.

mod customer;
mod idle;
mod product;
mod reserve;
mod route;
mod search;
mod session;
mod visit;
mod wipe;

pub(crate) mod shot;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use slint::{CloseRequestResponse, ComponentHandle, Image};

use crate::app::central::{BackgroundSync, Central};
use crate::app::scan_route::{self, ScanRoute, Screen};
use crate::config::Config;
use crate::store::Store;

use super::format::Lang;
use super::worker::Worker;
use super::{DeviceState, KioskAdapter, KioskCall, KioskPage, KioskWindow, UiError};

pub use idle::{COUNTDOWN, IdleClock, IdleState};
pub use session::KioskSession;
use visit::Visit;

/// How often the idle clock is looked at: the countdown's seconds change on time.
const IDLE_TICK: Duration = Duration::from_millis(250);

/// Seconds between sync rounds while online (catalogue, stock, the central's key).
const SYNC_INTERVAL: Duration = Duration::from_secs(10);

/// The running kiosk: its window, and the devices and timers that feed it (stopped when
/// dropped).
pub struct KioskTerminal {
    pub window: KioskWindow,
    link: KioskLink,
    _idle: slint::Timer,
    _scanner: Option<crate::devices::scanner::ScannerHandle>,
    _camera: Option<crate::devices::camera_worker::CameraWorker>,
    _sync: Option<BackgroundSync>,
}

impl KioskTerminal {
    /// Whether the kiosk's worker holds a customer right now (after the jobs already queued).
    /// The idle wipe must leave it holding none.
    pub fn holds_customer(&self) -> bool {
        let (answer, reply) = mpsc::channel();
        self.link.worker.run(move |session| {
            let _ = answer.send(session.customer.is_some());
        });
        // A worker that does not answer holds nothing it could show.
        reply.recv_timeout(Duration::from_secs(10)).unwrap_or(false)
    }
}

/// Everything a callback or a device thread needs to act on the kiosk; cheap to clone, `Send`.
#[derive(Clone)]
struct KioskLink {
    weak: slint::Weak<KioskWindow>,
    worker: Worker<KioskSession>,
    visit: Visit,
    clock: Arc<Mutex<IdleClock>>,
    started: Instant,
    /// The latest search query's number: older searches skip their work.
    query_number: Arc<AtomicU64>,
    /// The store's language, which the wipe brings back.
    store_lang: Lang,
}

impl KioskLink {
    fn now(&self) -> Duration {
        self.started.elapsed()
    }

    /// A touch, a key or a scan: the idle timeout starts again.
    fn activity(&self) {
        if let Ok(mut clock) = self.clock.lock() {
            clock.activity(self.now());
        }
    }

    /// A scanned code, from any scanner: a loyalty card or a product.
    fn scan(&self, typed: String) {
        self.activity();
        let raw = route::clean_typed(&typed);
        if raw.is_empty() {
            return;
        }
        let visit_at = self.visit.next();
        let link = self.clone();
        self.worker.run(move |session| {
            let scan = scan_route::parse(&raw, &session.config.scan_config());
            match scan_route::route(&scan, Screen::Kiosk) {
                ScanRoute::OpenCustomer => link.open_card(session, &raw, visit_at),
                _ => {
                    let found = product::look_up(session, &raw);
                    link.show_product(session, found, false, visit_at);
                }
            }
        });
    }

    /// On the worker: the customer's card.
    fn open_card(&self, session: &mut KioskSession, raw: &str, visit_at: u64) {
        let outcome = customer::open(session, raw);
        if outcome.is_ok() {
            customer::refresh(
                session,
                self.weak.clone(),
                self.worker.clone(),
                self.visit.clone(),
                visit_at,
            );
        }
        self.show(visit_at, move |window| match outcome {
            Ok(page) => customer::apply(window, page),
            Err(problem) => {
                // Nothing of a previous customer stays next to a refused card.
                wipe::clear(window);
                product::apply_problem(window, problem);
            }
        });
    }

    /// On the worker: a product found (or not); `from_search` when opened from the results.
    fn show_product(
        &self,
        session: &mut KioskSession,
        found: Result<product::ProductView, crate::ui::KioskProblem>,
        from_search: bool,
        visit_at: u64,
    ) {
        let gtin = found.as_ref().ok().map(|view| view.gtin().to_owned());
        session.shown_product.clone_from(&gtin);
        self.show(visit_at, move |window| match found {
            Ok(view) => product::apply(window, view, from_search),
            Err(problem) => product::apply_problem(window, problem),
        });
        // Fresh network stock when the terminal is enrolled, as on the staff product page.
        if let Some(gtin) = gtin {
            let link = self.clone();
            let asked = gtin.clone();
            crate::app::network_stock::ask(
                &session.central,
                &session.store,
                &asked,
                move |answer| {
                    let worker = link.worker.clone();
                    worker.run(move |session| {
                        if let Err(error) =
                            crate::app::network_stock::take(&mut session.store, &answer)
                        {
                            tracing::warn!(%error, "cannot cache fresh network stock");
                            return;
                        }
                        if !link.visit.is(visit_at) {
                            return;
                        }
                        let Ok(view) = product::look_up(session, &gtin) else {
                            return;
                        };
                        link.show(visit_at, move |window| product::refresh(window, view));
                    });
                },
            );
        }
    }

    /// A search result tapped.
    fn open_product(&self, gtin: String) {
        self.activity();
        let visit_at = self.visit.next();
        let link = self.clone();
        self.worker.run(move |session| {
            let found = product::look_up(session, &gtin);
            link.show_product(session, found, true, visit_at);
        });
    }

    /// The query changed on the on-screen keyboard.
    fn search(&self, query: String) {
        self.activity();
        let mine = self.query_number.fetch_add(1, Ordering::SeqCst) + 1;
        let visit_at = self.visit.current();
        let link = self.clone();
        self.worker.run(move |session| {
            if link.query_number.load(Ordering::SeqCst) != mine || !link.visit.is(visit_at) {
                return;
            }
            let (rows, searched) = search::found(session, &query);
            link.show(visit_at, move |window| {
                search::apply(window, rows, searched)
            });
        });
    }

    /// On the UI thread: « Appeler un vendeur ». The call goes to the central at once; without
    /// it, the customer is sent to the desk rather than left waiting for no one.
    fn call_staff(&self, window: &KioskWindow) {
        self.activity();
        let adapter = window.global::<KioskAdapter>();
        if matches!(
            adapter.get_call(),
            KioskCall::Calling | KioskCall::Called | KioskCall::Coming
        ) {
            return;
        }
        adapter.set_call(KioskCall::Calling);
        let visit_at = self.visit.current();
        let link = self.clone();
        self.worker.run(move |session| {
            let gtin = session.shown_product.clone();
            let answered = link.clone();
            crate::app::staff_call::call(
                &session.central,
                &session.store,
                gtin.as_deref(),
                move |answer| {
                    let link = answered.clone();
                    answered.worker.run(move |session| {
                        let state = match answer {
                            Ok(call) => {
                                if let Err(error) = session.store.keep_staff_call(&call) {
                                    tracing::warn!(%error, "the staff call cannot be kept");
                                }
                                let coming = call.answered_at.is_some();
                                if link.visit.is(visit_at) {
                                    session.call = Some(call.id);
                                }
                                if coming {
                                    KioskCall::Coming
                                } else {
                                    KioskCall::Called
                                }
                            }
                            Err(error) => {
                                tracing::warn!(%error, "a call for a seller did not reach the central");
                                KioskCall::Offline
                            }
                        };
                        link.show(visit_at, move |window| {
                            window.global::<KioskAdapter>().set_call(state);
                        });
                    });
                },
            );
        });
    }

    /// On the UI thread: « Réserver » at the store `code` for the customer on show.
    fn reserve(&self, code: String) {
        self.activity();
        let visit_at = self.visit.current();
        let link = self.clone();
        self.worker.run(move |session| {
            let outcome = reserve::reserve(session, &code);
            link.show(visit_at, move |window| {
                let a = window.global::<KioskAdapter>();
                match outcome {
                    Ok(reserved) => {
                        a.set_reserved_number(reserved.number.into());
                        a.set_reserved_store(reserved.store_name.into());
                        a.set_reserve_problem(crate::ui::KioskReserveProblem::None);
                    }
                    Err(problem) => a.set_reserve_problem(problem),
                }
            });
        });
    }

    /// After a sync round: whether a seller answered this visit's call.
    fn check_call(&self) {
        let visit_at = self.visit.current();
        let link = self.clone();
        self.worker.run(move |session| {
            let Some(id) = session.call.as_deref() else {
                return;
            };
            match session.store.staff_call(id) {
                Ok(Some(call)) if call.answered_at.is_some() => {
                    link.show(visit_at, |window| {
                        window.global::<KioskAdapter>().set_call(KioskCall::Coming);
                    });
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "the staff call cannot be read"),
            }
        });
    }

    /// On the UI thread: « English » or « Français ». The screen's words change at once; what
    /// the worker formats (prices) is done again for the page on show.
    fn switch_language(&self, window: &KioskWindow, english: bool) {
        self.activity();
        let lang = if english { Lang::En } else { Lang::Fr };
        show_language(window, lang);
        let adapter = window.global::<KioskAdapter>();
        let (page, query) = (adapter.get_page(), adapter.get_query().to_string());
        let visit_at = self.visit.current();
        let link = self.clone();
        self.worker.run(move |session| {
            session.lang = lang;
            link.redraw(session, page, &query, visit_at);
        });
    }

    /// On the worker: the page on show again, in the session's language.
    fn redraw(&self, session: &KioskSession, page: KioskPage, query: &str, visit_at: u64) {
        match page {
            KioskPage::Home => {}
            KioskPage::Product => {
                let Some(Ok(view)) = session
                    .shown_product
                    .as_deref()
                    .map(|gtin| product::look_up(session, gtin))
                else {
                    return;
                };
                self.show(visit_at, move |window| product::refresh(window, view));
            }
            KioskPage::Customer => {
                let Some(shown) = &session.customer else {
                    return;
                };
                let page = customer::page(session, &shown.view);
                self.show(visit_at, move |window| customer::apply(window, page));
            }
            KioskPage::Search => {
                let (rows, searched) = search::found(session, query);
                self.show(visit_at, move |window| {
                    search::apply(window, rows, searched)
                });
            }
        }
    }

    /// From the worker: `update` on the UI thread, unless the visit it was for has ended.
    fn show(&self, visit_at: u64, update: impl FnOnce(&KioskWindow) + Send + 'static) {
        let visit = self.visit.clone();
        let _ = self.weak.upgrade_in_event_loop(move |window| {
            if visit.is(visit_at) {
                update(&window);
            }
        });
    }

    /// On the UI thread: the customer is done (idle timeout or "Accueil"). Everything about them
    /// goes from the screen now and from the worker next; answers still on their way are for an
    /// older visit and will be dropped.
    fn wipe(&self, window: &KioskWindow) {
        self.visit.next();
        wipe::clear(window);
        show_language(window, self.store_lang);
        self.worker.run(KioskSession::forget_customer);
        self.activity();
        tracing::info!("kiosk wiped");
    }

    /// On the UI thread, every `IDLE_TICK`: the countdown, then the wipe.
    fn tick(&self, window: &KioskWindow) {
        window.invoke_keep_focus();
        let resting = wipe::is_clean(window, self.store_lang == Lang::En);
        let state = match self.clock.lock() {
            Ok(mut clock) => clock.tick(self.now(), resting),
            // A poisoned clock cannot say the customer is still there: forget them.
            Err(_) => IdleState::Expired,
        };
        let adapter = window.global::<KioskAdapter>();
        match state {
            IdleState::Resting | IdleState::InUse => {
                if adapter.get_countdown() != 0 {
                    adapter.set_countdown(0);
                }
            }
            IdleState::Countdown(seconds) => {
                let seconds = i32::try_from(seconds).unwrap_or(i32::MAX);
                if adapter.get_countdown() != seconds {
                    adapter.set_countdown(seconds);
                }
            }
            IdleState::Expired => self.wipe(window),
        }
    }
}

/// The kiosk's words in `lang`, and the language button offering the other one.
pub(crate) fn show_language(window: &KioskWindow, lang: Lang) {
    super::select_language(lang);
    window
        .global::<KioskAdapter>()
        .set_english(lang == Lang::En);
}

/// Builds the kiosk window with its worker and idle timer, without devices (screenshots).
fn build(
    config: &Config,
    store: Store,
    central: Central,
) -> Result<(KioskWindow, KioskLink, slint::Timer), UiError> {
    let window = KioskWindow::new()?;
    let store_lang = Lang::of(&config.locale);
    show_language(&window, store_lang);
    // A kiosk is not closed by its users (Alt+F4, a window manager's close button): only the
    // system that runs it stops it.
    window
        .window()
        .on_close_requested(|| CloseRequestResponse::KeepWindowShown);
    wipe::clear(&window);

    let started = Instant::now();
    let timeout = Duration::from_secs(u64::from(config.kiosk_idle_seconds));
    let link = KioskLink {
        weak: window.as_weak(),
        worker: Worker::spawn(KioskSession::new(store, config.clone(), central))?,
        visit: Visit::default(),
        clock: Arc::new(Mutex::new(IdleClock::new(timeout, Duration::ZERO))),
        started,
        query_number: Arc::new(AtomicU64::new(0)),
        store_lang,
    };

    let adapter = window.global::<KioskAdapter>();
    adapter.on_drop_last(|text| super::drop_last(&text).into());
    let l = link.clone();
    adapter.on_activity(move || l.activity());
    let l = link.clone();
    adapter.on_scanned(move |typed| l.scan(typed.to_string()));
    let l = link.clone();
    adapter.on_query_changed(move |query| l.search(query.to_string()));
    let l = link.clone();
    adapter.on_open(move |gtin| l.open_product(gtin.to_string()));
    let l = link.clone();
    adapter.on_switch_language(move |english| {
        if let Some(window) = l.weak.upgrade() {
            l.switch_language(&window, english);
        }
    });
    let l = link.clone();
    adapter.on_call_staff(move || {
        if let Some(window) = l.weak.upgrade() {
            l.call_staff(&window);
        }
    });
    let l = link.clone();
    adapter.on_reserve(move |code| l.reserve(code.to_string()));
    let l = link.clone();
    adapter.on_go_home(move || {
        if let Some(window) = l.weak.upgrade() {
            l.wipe(&window);
        }
    });

    let idle = slint::Timer::default();
    let l = link.clone();
    idle.start(slint::TimerMode::Repeated, IDLE_TICK, move || {
        if let Some(window) = l.weak.upgrade() {
            l.tick(&window);
        }
    });

    let weak = window.as_weak();
    link.worker.run(move |session| {
        let store_name = session.here_name();
        let _ = weak.upgrade_in_event_loop(move |window| {
            window
                .global::<KioskAdapter>()
                .set_store_name(store_name.into());
        });
    });
    Ok((window, link, idle))
}

/// Builds the kiosk: its window, its worker owning `store`, the idle wipe, the serial scanner
/// when one is configured, the camera, and the background sync.
pub fn build_kiosk(config: &Config, store: Store) -> Result<KioskTerminal, UiError> {
    let db_path = store.path().to_owned();
    let central = Central::start().map_err(UiError::Worker)?;
    let (window, link, idle) = build(config, store, central.clone())?;
    // The kiosk shows no sync status: a customer has no use for it; the logs have it. A round
    // may bring a seller's answer to the customer's call.
    let answers = link.clone();
    let sync = central
        .start_sync(
            db_path,
            SYNC_INTERVAL,
            move |_status| answers.check_call(),
            |_done, _total| {},
        )
        .map_err(UiError::Worker)?;
    let scans = link.clone();
    let scanner = super::scanner::start(config, move |scan| scans.scan(scan.raw), |_state| {});
    let camera = super::camera::start(camera_feed(&link));
    Ok(KioskTerminal {
        window,
        link,
        _idle: idle,
        _scanner: scanner,
        _camera: camera,
        _sync: Some(sync),
    })
}

/// The camera on the kiosk: codes are scans, the preview shows on the home screen.
fn camera_feed(link: &KioskLink) -> super::camera::CameraFeed {
    let codes = link.clone();
    let (preview_window, state_window) = (link.weak.clone(), link.weak.clone());
    super::camera::CameraFeed {
        code: Box::new(move |text| codes.scan(text)),
        preview: Box::new(move |buffer| {
            let _ = preview_window.upgrade_in_event_loop(move |window| {
                let adapter = window.global::<KioskAdapter>();
                adapter.set_camera_frame(Image::from_rgb8(buffer));
                adapter.set_has_camera_frame(true);
            });
        }),
        state: Box::new(move |_state: DeviceState, running| {
            if !running {
                let _ = state_window.upgrade_in_event_loop(|window| {
                    window.global::<KioskAdapter>().set_has_camera_frame(false);
                });
            }
        }),
    }
}
