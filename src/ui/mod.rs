//! The Slint glue: fills the UI's adapter globals from the app's view models and runs the event
//! loop. The `.slint` files under `ui/` hold the layout; this module holds no business rules and
//! builds no user-facing text beyond passing values through.

slint::include_modules!();

use slint::ComponentHandle;

use crate::config::{Config, Mode};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error("cannot open the terminal's window: {0}")]
    Platform(#[from] slint::PlatformError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Builds the main window with what it shows at start-up, without running it.
pub fn build_window(config: &Config, store: &Store) -> Result<AppWindow, UiError> {
    let window = AppWindow::new()?;
    let adapter = window.global::<AppAdapter>();
    let store_name = store
        .location_name(&config.store_code)?
        .unwrap_or_else(|| config.store_code.clone());
    adapter.set_store_name(store_name.into());
    adapter.set_terminal_id(config.terminal_id.as_str().into());
    adapter.set_mode(match config.mode {
        Mode::Staff => UiMode::Staff,
        Mode::Kiosk => UiMode::Kiosk,
        Mode::Pickup => UiMode::Pickup,
    });
    Ok(window)
}

/// Opens the window and runs until it is closed.
pub fn run(config: &Config, store: &Store) -> Result<(), UiError> {
    let window = build_window(config, store)?;
    window.run()?;
    Ok(())
}
