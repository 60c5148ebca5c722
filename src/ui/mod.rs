//! The Slint glue: one module per page maps the app's results to the page's adapter global and
//! the page's callbacks to app use cases. Requests run on the app worker (`worker`), never on the
//! UI thread. The `.slint` files under `ui/` hold the layout and every word shown; this code
//! passes values (names, formatted amounts, enums) and builds no sentences.

slint::include_modules!();

mod basket;
mod camera;
mod checkout;
mod customer;
mod customer_idle;
mod discount;
mod drawer;
mod format;
pub mod kiosk;
mod login;
mod manager;
mod network_stock;
mod pickup;
mod product;
mod return_problem;
mod returns;
mod sale_override;
mod scan;
mod scanner;
mod search;
mod session;
pub mod shot;
mod staff_calls;
mod systemd;
#[cfg(test)]
mod theme_contrast;
mod worker;

use slint::ComponentHandle;

use crate::app::central::{BackgroundSync, Central, SyncStatus};
use crate::config::{Config, Mode};
use crate::store::{Store, StoreError};

pub use format::Lang;
pub use session::Session;
pub use worker::Worker;

#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error("cannot open the terminal's window: {}; {WITHOUT_A_DISPLAY}", first_line(.0))]
    Platform(#[from] slint::PlatformError),
    #[error("cannot start the app worker thread: {0}")]
    Worker(#[from] std::io::Error),
    #[error(
        "cannot draw the kiosk on the screen through DRM/KMS: {} (is the user in the groups \
         video, render and input, and is no desktop session holding the display?)",
        first_line(.0)
    )]
    KioskDisplay(slint::PlatformError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "this terminal is configured as a kiosk: its window is built by ui::kiosk::build_kiosk"
    )]
    KioskMode,
}

/// What to run instead of the screen when no window can open.
const WITHOUT_A_DISPLAY: &str = "without a display, see the screens with `comptoir shot PAGE \
     --out FILE.png`, use the commands of `comptoir --help`, or run `xvfb-run comptoir`";

/// A platform error's first line: Slint's own text lists every framebuffer it tried, twice.
fn first_line(error: &slint::PlatformError) -> String {
    let text = error.to_string();
    text.lines().next().unwrap_or_default().trim().to_owned()
}

/// Why no window can open here, when that is known before trying: a desktop window (staff and
/// pickup modes, or `SLINT_BACKEND=winit`) with neither X11 nor Wayland. Told before the first
/// start creates a demo store, in one line (issue 20: the build then printed winit's error
/// twice). The kiosk's DRM/KMS screen is only known when it opens.
pub fn missing_display(mode: Mode) -> Option<String> {
    let backend = std::env::var("SLINT_BACKEND").ok();
    if mode == Mode::Kiosk && cfg!(feature = "kiosk") && backend.is_none() {
        return None;
    }
    if backend.is_some_and(|b| !b.starts_with("winit")) || !cfg!(target_os = "linux") {
        return None;
    }
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("DISPLAY") || set("WAYLAND_DISPLAY") {
        return None;
    }
    Some(format!(
        "no display: the screen needs X11 or Wayland (neither DISPLAY nor WAYLAND_DISPLAY is \
         set; a kiosk build with mode = \"kiosk\" draws through DRM/KMS); {WITHOUT_A_DISPLAY}"
    ))
}

/// Selects the UI language. French is the source language of the .slint files; English comes
/// from `translations/en`. Must run after the first component exists (Slint's rule).
pub fn select_language(lang: Lang) {
    let code = match lang {
        Lang::Fr => "",
        Lang::En => "en",
    };
    if let Err(error) = slint::select_bundled_translation(code) {
        tracing::warn!(?error, "cannot select the UI language");
    }
}

/// The running screen: the window and the devices that feed it (stopped when dropped).
pub struct Terminal {
    pub window: AppWindow,
    _scanner: Option<crate::devices::scanner::ScannerHandle>,
    _camera: Option<crate::devices::camera_worker::CameraWorker>,
    _sync: Option<BackgroundSync>,
    _customer_idle: slint::Timer,
}

/// Seconds between sync rounds while online.
const SYNC_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

/// Builds the staff window, starts the app worker that owns `store`, wires every page, and
/// starts the serial scanner when one is configured. A kiosk's configuration is refused: a
/// customer must never be shown the staff window (see [`kiosk::build_kiosk`]).
pub fn build_terminal(config: &Config, store: Store) -> Result<Terminal, UiError> {
    if config.mode == Mode::Kiosk {
        return Err(UiError::KioskMode);
    }
    let db_path = store.path().to_owned();
    let central = Central::start().map_err(UiError::Worker)?;
    let (window, worker) = build(config, store, central.clone())?;
    let weak = window.as_weak();
    let list_worker = worker.clone();
    let on_status = move |status: SyncStatus| {
        let now = session::now();
        let list_worker = list_worker.clone();
        let _ = weak.upgrade_in_event_loop(move |window| {
            // A sync may have brought orders, handovers or conflicts for the counter, and
            // calls from the store's kiosks.
            pickup::refresh_list(&window, &list_worker);
            staff_calls::refresh(&window, &list_worker);
            let bar = window.global::<StatusAdapter>();
            bar.set_online(status.online);
            bar.set_pending_events(i32::try_from(status.waiting).unwrap_or(i32::MAX));
            bar.set_last_sync(
                status
                    .last_sync
                    .map_or_else(format::never, |t| format::age(t, now)),
            );
            bar.set_sync_percent(-1);
        });
    };
    let progress_window = window.as_weak();
    let on_progress = move |done: u64, total: u64| {
        let percent = i32::try_from(done * 100 / total.max(1)).unwrap_or(100);
        let _ = progress_window.upgrade_in_event_loop(move |window| {
            window.global::<StatusAdapter>().set_sync_percent(percent);
        });
    };
    let sync = central
        .start_sync(db_path, SYNC_INTERVAL, on_status, on_progress)
        .map_err(UiError::Worker)?;
    let scanner = scanner::start_for_staff(&window, &worker, config);
    let camera = camera::start_for_staff(&window, &worker, config.scan_config());
    let customer_idle = customer_idle::start(
        &window,
        &worker,
        std::time::Duration::from_secs(u64::from(config.customer_idle_seconds)),
    );
    Ok(Terminal {
        window,
        _scanner: scanner,
        _camera: camera,
        _sync: Some(sync),
        _customer_idle: customer_idle,
    })
}

/// Builds the main window, starts the app worker that owns `store`, and wires every page.
pub fn build_window(config: &Config, store: Store) -> Result<AppWindow, UiError> {
    let central = Central::start().map_err(UiError::Worker)?;
    build(config, store, central).map(|(window, _)| window)
}

fn build(config: &Config, store: Store, central: Central) -> Result<(AppWindow, Worker), UiError> {
    let window = AppWindow::new()?;
    let lang = Lang::of(&config.locale);
    select_language(lang);
    let app = window.global::<AppAdapter>();
    app.set_terminal_id(config.terminal_id.as_str().into());
    app.set_mode(match config.mode {
        Mode::Staff => UiMode::Staff,
        Mode::Kiosk => UiMode::Kiosk,
        Mode::Pickup => UiMode::Pickup,
    });
    app.set_page(Page::Login);
    window
        .global::<CheckoutAdapter>()
        .set_can_print(config.printer_port.is_some());
    window
        .global::<StatusAdapter>()
        .set_last_sync(format::never());
    window
        .global::<TextEdit>()
        .on_drop_last(|text| drop_last(&text).into());

    let worker = Worker::spawn(Session::new(store, config.clone(), central))?;
    login::setup(&window, &worker);
    scan::setup(&window, &worker);
    product::setup(&window, &worker);
    search::setup(&window, &worker, config.scan_config());
    basket::setup(&window, &worker);
    checkout::setup(&window, &worker, lang);
    manager::setup(&window, &worker);
    drawer::setup(&window, &worker, lang);
    customer::setup(&window, &worker);
    pickup::setup(&window, &worker);
    returns::setup(&window, &worker);
    sale_override::setup(&window, &worker);
    discount::setup(&window, &worker, &config.discount_reasons);
    staff_calls::setup(&window, &worker);

    let weak = window.as_weak();
    worker.run(move |session| {
        let started = crate::app::terminal::start(
            &mut session.store,
            &session.config.terminal_id,
            &session.config.store_code,
            session::now(),
        );
        let (training, store_name) = (started.training, started.store_name);
        let staff = login::staff_items(started.staff);
        let _ = weak.upgrade_in_event_loop(move |window| {
            login::show_staff(&window, staff);
            window.global::<StatusAdapter>().set_training(training);
            window
                .global::<AppAdapter>()
                .set_store_name(store_name.into());
        });
    });
    Ok((window, worker))
}

/// Empties everything the screen shows of the customer: their basket and their page.
pub(crate) fn end_customer_session(window: &AppWindow) {
    basket::clear(window);
    customer::clear(window);
    returns::clear(window);
}

/// `text` without its last character (the keypad's erase key).
fn drop_last(text: &str) -> String {
    let mut chars = text.chars();
    chars.next_back();
    chars.as_str().to_owned()
}

/// Opens the window the mode asks for and runs until it is closed: the kiosk's full screen for
/// `mode = "kiosk"`, the staff window otherwise.
pub fn run(config: &Config, store: Store) -> Result<(), UiError> {
    if config.mode == Mode::Kiosk {
        select_kiosk_backend()?;
        let kiosk = kiosk::build_kiosk(config, store).map_err(kiosk_display_error)?;
        kiosk.window.window().set_fullscreen(true);
        let _supervision = systemd::supervise_event_loop();
        kiosk.window.run()?;
        return Ok(());
    }
    let terminal = build_terminal(config, store)?;
    let _supervision = systemd::supervise_event_loop();
    terminal.window.run()?;
    Ok(())
}

/// With the `kiosk` feature, kiosk mode draws through DRM/KMS with the software renderer (no X11
/// or Wayland on the Pi), even when the binary also has the desktop backend for staff mode. An
/// operator's `SLINT_BACKEND` still wins, e.g. `SLINT_BACKEND=winit` to try a kiosk build in a
/// desktop window. Without the feature, kiosk mode opens a full-screen desktop window.
fn select_kiosk_backend() -> Result<(), UiError> {
    #[cfg(feature = "kiosk")]
    if std::env::var_os("SLINT_BACKEND").is_none() {
        slint::BackendSelector::new()
            .backend_name("linuxkms".into())
            .renderer_name("software".into())
            .select()
            .map_err(UiError::KioskDisplay)?;
    }
    Ok(())
}

/// With the kiosk backend, a window that cannot open is a display or permission problem (Slint
/// creates the DRM surface then, not at selection): say what to check.
fn kiosk_display_error(error: UiError) -> UiError {
    match error {
        UiError::Platform(e)
            if cfg!(feature = "kiosk") && std::env::var_os("SLINT_BACKEND").is_none() =>
        {
            UiError::KioskDisplay(e)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn erase_removes_one_character_even_a_multibyte_one() {
        assert_eq!(super::drop_last("1234"), "123");
        assert_eq!(super::drop_last("12,5€"), "12,5");
        assert_eq!(super::drop_last(""), "");
    }
}
