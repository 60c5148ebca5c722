//! The terminal's configuration: built-in defaults < a TOML file < `COMPTOIR_*` environment
//! variables, read and validated once at start-up (atuin's layering). Nothing else reads the
//! environment or the file; the rest of the program receives a validated [`Config`].

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::devices::printer::{FlowControl, PrinterSettings};
use crate::devices::scanner::{Parity, SerialSettings};
use crate::domain::in_store::{InStoreLayout, default_layouts};
use crate::domain::loyalty::LoyaltyRule;
use crate::domain::note_check::DEFAULT_WATCH_WORDS;
use crate::domain::receipt::{Shop, WIDTH_80MM};
use crate::domain::scan::ScanConfig;

/// What this device is for; one mode per device (DESIGN.md, "Who uses it").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Staff,
    Kiosk,
    Pickup,
}

/// The validated configuration of one terminal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The SQLite file; `None` means the platform's data directory (see [`Config::db_path`]).
    pub db_path: Option<PathBuf>,
    /// The code of the location this terminal stands in ("stock here" is this location's stock).
    pub store_code: String,
    /// The terminal's own identifier, printed on tickets and used by sync.
    pub terminal_id: String,
    pub mode: Mode,
    /// `fr` (default) or `en`.
    pub locale: String,
    /// Layouts of the variable-measure in-store EAN-13 codes (prefix 20–29); each retailer has its
    /// own, so they are configuration, not code.
    pub in_store_layouts: Vec<InStoreLayout>,
    /// The serial barcode scanner's port (`/dev/ttyACM0`, or better the stable
    /// `/dev/serial/by-id/usb-…` link); none means no serial scanner on this device.
    pub serial_port: Option<String>,
    /// The line settings configured on the scanner itself (9600 8N1 by default).
    pub serial_baud: u32,
    pub serial_parity: Parity,
    /// 7 or 8.
    pub serial_data_bits: u8,
    /// 1 or 2.
    pub serial_stop_bits: u8,
    /// The ESC/POS receipt printer's serial port; none = no printer (receipts go by e-mail).
    pub printer_port: Option<String>,
    pub printer_baud: u32,
    pub printer_flow_control: FlowControl,
    /// Characters per line: 42 on 80 mm paper, 32 on 58 mm.
    pub printer_columns: usize,
    pub printer_check_status: bool,
    /// The shop's identity, printed on every receipt (mandatory mentions).
    pub shop_name: String,
    pub shop_address: Vec<String>,
    pub shop_siret: String,
    pub shop_vat_number: String,
    /// Loyalty: cents spent for one point (100 = one point per euro).
    pub loyalty_cents_per_point: i64,
    /// Loyalty: what one point is worth at the till, in cents.
    pub loyalty_point_value_cents: i64,
    /// Words that make staff think twice before saving a customer note (GDPR: notes stay
    /// factual). A trailing `*` matches any word starting so; case and accents are ignored.
    pub note_watch_words: Vec<String>,
    /// Kiosk mode: seconds without a touch or a scan before everything about the customer is
    /// wiped (a countdown shows for the last 10 s).
    pub kiosk_idle_seconds: u32,
    /// Staff tablets: seconds a customer's record may stay open with nobody touching the screen
    /// before it is closed (the basket stays).
    pub customer_idle_seconds: u32,
    /// `comptoir doctor`: free space on the database's disk, in MiB, below which the terminal
    /// needs fixing (SQLite needs room for its write-ahead log and each day's sales).
    pub disk_fail_below_mb: u64,
    /// `comptoir doctor`: free space, in MiB, below which it warns (at least the failure level).
    pub disk_warn_below_mb: u64,
    /// The reasons a seller picks from for a manual discount or price override (the chain's
    /// list: the journal and the closings group discounts by them). Empty: any reason typed.
    pub discount_reasons: Vec<String>,
    /// How far a seller may discount a line by hand, in percent of its price; beyond it a
    /// manager's PIN is asked (a manager has no limit).
    pub seller_discount_limit_percent: i64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            db_path: None,
            store_code: crate::domain::demo::HERE_CODE.to_owned(),
            terminal_id: "T01".to_owned(),
            mode: Mode::Staff,
            locale: "fr".to_owned(),
            in_store_layouts: default_layouts(),
            serial_port: None,
            serial_baud: 9600,
            serial_parity: Parity::None,
            serial_data_bits: 8,
            serial_stop_bits: 1,
            printer_port: None,
            printer_baud: 9600,
            printer_flow_control: FlowControl::Hardware,
            printer_columns: WIDTH_80MM,
            printer_check_status: true,
            shop_name: "Comptoir Paris Rivoli (démo)".to_owned(),
            shop_address: vec!["12 rue de Rivoli".to_owned(), "75004 Paris".to_owned()],
            shop_siret: "123 456 782 00010".to_owned(),
            shop_vat_number: "FR11123456782".to_owned(),
            loyalty_cents_per_point: LoyaltyRule::default().cents_per_point,
            loyalty_point_value_cents: LoyaltyRule::default().point_value_cents,
            note_watch_words: DEFAULT_WATCH_WORDS
                .iter()
                .map(|w| (*w).to_owned())
                .collect(),
            kiosk_idle_seconds: 60,
            customer_idle_seconds: 300,
            disk_fail_below_mb: 200,
            disk_warn_below_mb: 1024,
            discount_reasons: DEFAULT_DISCOUNT_REASONS
                .iter()
                .map(|r| (*r).to_owned())
                .collect(),
            seller_discount_limit_percent: 10,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {path} does not exist")]
    MissingFile { path: PathBuf },
    #[error("--config {path} is a directory: give the TOML file itself, e.g. {path}/comptoir.toml")]
    IsDirectory { path: PathBuf },
    /// figment's own text, without its internal profile prefix (`default.`), which names no
    /// key an operator can find in the file.
    #[error("configuration is not valid: {0}")]
    Parse(String),
    #[error("configuration is not valid: {0}")]
    Invalid(String),
}

/// The reasons a French shop gives for a discount, until the chain configures its own.
pub const DEFAULT_DISCOUNT_REASONS: &[&str] = &[
    "Geste commercial",
    "Article abîmé",
    "Alignement prix",
    "Erreur d'étiquette",
    "Fin de série",
];

/// The environment prefix: `COMPTOIR_STORE_CODE=LYO-01` overrides `store_code`.
pub const ENV_PREFIX: &str = "COMPTOIR_";

impl Config {
    /// Loads defaults, then `file` when given (it must exist), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if path.is_dir() {
                return Err(ConfigError::IsDirectory {
                    path: path.to_owned(),
                });
            }
            if !path.is_file() {
                return Err(ConfigError::MissingFile {
                    path: path.to_owned(),
                });
            }
            figment = figment.merge(Toml::file(path));
        }
        // Only the variables that name a key are settings: `COMPTOIR_CONFIG`, `COMPTOIR_DB`,
        // `COMPTOIR_LOG`… are read elsewhere, and the central's own (`COMPTOIR_CENTRAL_DATA`) may
        // well be set in the same shell; refusing them stopped every command (issue 20).
        let keys = Config::keys();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let env = Env::prefixed(ENV_PREFIX).only(&keys);
        let config: Config = figment
            .merge(env)
            .extract()
            .map_err(|e| ConfigError::Parse(describe(e)))?;
        config.validate()?;
        Ok(config)
    }

    /// The configuration's keys, as the TOML file and (upper-cased, after `COMPTOIR_`) the
    /// environment name them.
    pub fn keys() -> Vec<String> {
        match serde_json::to_value(Config::default()) {
            Ok(serde_json::Value::Object(fields)) => fields.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// The `COMPTOIR_*` variables of `vars` that are neither a key nor one of the variables the
    /// programs read themselves: worth one warning (a typo, or another program's setting).
    pub fn unknown_env_vars(vars: impl IntoIterator<Item = String>) -> Vec<String> {
        let keys = Config::keys();
        vars.into_iter()
            .filter(|name| {
                name.strip_prefix(ENV_PREFIX).is_some_and(|rest| {
                    let rest = rest.to_ascii_lowercase();
                    !keys.contains(&rest)
                        && !OTHER_ENV_VARS.contains(&rest.as_str())
                        && !rest.starts_with("central_")
                })
            })
            .collect()
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !(0..=100).contains(&self.seller_discount_limit_percent) {
            return Err(ConfigError::Invalid(format!(
                "seller_discount_limit_percent {} is not between 0 and 100",
                self.seller_discount_limit_percent
            )));
        }
        for reason in &self.discount_reasons {
            crate::domain::discount::checked_reason(reason)
                .map_err(|e| ConfigError::Invalid(format!("discount_reasons: {e}")))?;
        }
        if self.store_code.trim().is_empty() {
            return Err(ConfigError::Invalid("store_code must not be empty".into()));
        }
        if self.terminal_id.trim().is_empty() {
            return Err(ConfigError::Invalid("terminal_id must not be empty".into()));
        }
        if !matches!(self.locale.as_str(), "fr" | "en") {
            return Err(ConfigError::Invalid(format!(
                "locale {:?} is not supported (use \"fr\" or \"en\")",
                self.locale
            )));
        }
        // The line settings are checked even without a port: `comptoir listen --serial` uses them.
        let serial = self.serial_settings();
        match self.serial_port {
            Some(_) => serial.validate(),
            None => serial.validate_line(),
        }
        .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        for layout in &self.in_store_layouts {
            layout
                .validate()
                .map_err(|e| ConfigError::Invalid(format!("in_store_layouts: {e}")))?;
        }
        self.shop()
            .validate()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if let Some(printer) = self.printer_settings() {
            printer
                .validate()
                .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        }
        self.loyalty_rule()
            .checked()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if !(10..=3600).contains(&self.customer_idle_seconds) {
            return Err(ConfigError::Invalid(format!(
                "customer_idle_seconds must be between 10 and 3600, not {}",
                self.customer_idle_seconds
            )));
        }
        if !(10..=3600).contains(&self.kiosk_idle_seconds) {
            return Err(ConfigError::Invalid(format!(
                "kiosk_idle_seconds must be between 10 and 3600, not {}",
                self.kiosk_idle_seconds
            )));
        }
        if self.disk_warn_below_mb < self.disk_fail_below_mb {
            return Err(ConfigError::Invalid(format!(
                "disk_warn_below_mb ({}) must be at least disk_fail_below_mb ({})",
                self.disk_warn_below_mb, self.disk_fail_below_mb
            )));
        }
        Ok(())
    }

    /// How points are earned and what they are worth.
    pub fn loyalty_rule(&self) -> LoyaltyRule {
        LoyaltyRule {
            cents_per_point: self.loyalty_cents_per_point,
            point_value_cents: self.loyalty_point_value_cents,
        }
    }

    /// The shop identity a receipt prints.
    pub fn shop(&self) -> Shop {
        Shop {
            name: self.shop_name.clone(),
            address_lines: self.shop_address.clone(),
            siret: self.shop_siret.clone(),
            vat_number: self.shop_vat_number.clone(),
        }
    }

    /// The receipt printer, when a port is configured.
    pub fn printer_settings(&self) -> Option<PrinterSettings> {
        self.printer_port.as_ref().map(|path| PrinterSettings {
            path: path.clone(),
            baud: self.printer_baud,
            flow_control: self.printer_flow_control,
            columns: self.printer_columns,
            check_status: self.printer_check_status,
            ..PrinterSettings::default()
        })
    }

    /// The database file: the configured one, else `comptoir.db` in the user's data directory.
    pub fn db_path(&self) -> PathBuf {
        self.db_path.clone().unwrap_or_else(default_db_path)
    }

    /// The serial line settings, with the configured port (empty when none is configured).
    pub fn serial_settings(&self) -> SerialSettings {
        SerialSettings {
            path: self.serial_port.clone().unwrap_or_default(),
            baud: self.serial_baud,
            parity: self.serial_parity,
            data_bits: self.serial_data_bits,
            stop_bits: self.serial_stop_bits,
        }
    }

    /// The serial scanner to read, when a port is configured.
    pub fn serial_scanner(&self) -> Option<SerialSettings> {
        self.serial_port.as_ref().map(|_| self.serial_settings())
    }

    pub fn scan_config(&self) -> ScanConfig {
        ScanConfig {
            in_store_layouts: self.in_store_layouts.clone(),
        }
    }
}

/// The `COMPTOIR_*` variables that are not settings: the CLI's files (`COMPTOIR_CONFIG`,
/// `COMPTOIR_DB`), the log filter and file (read by `logging`).
const OTHER_ENV_VARS: &[&str] = &["config", "db", "log", "log_file"];

/// figment's error chain, one line per error: what is wrong, the key as the file spells it, and
/// where the value came from.
fn describe(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let mut line = e.kind.to_string();
            if !e.path.is_empty() {
                line.push_str(&format!(" for key {:?}", e.path.join(".")));
            }
            if let Some(md) = &e.metadata {
                match &md.source {
                    Some(source) => line.push_str(&format!(" in {source} {}", md.name)),
                    None => line.push_str(&format!(" in {}", md.name)),
                }
            }
            line
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `~/.local/share/comptoir/comptoir.db` on Linux (XDG), or `./comptoir.db` when no home is known.
pub fn default_db_path() -> PathBuf {
    directories::ProjectDirs::from("fr", "Comptoir", "comptoir")
        .map(|dirs| dirs.data_dir().join("comptoir.db"))
        .unwrap_or_else(|| PathBuf::from("comptoir.db"))
}

#[cfg(test)]
// figment's Jail returns its own large error type; the lint has nothing to fix here.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert!(Config::default().validate().is_ok());
    }

    #[test]
    fn file_then_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("c.toml", "store_code = \"LYO-01\"\nterminal_id = \"T09\"\n")?;
            jail.set_env("COMPTOIR_TERMINAL_ID", "T42");
            let config = Config::load(Some(Path::new("c.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(config.store_code, "LYO-01");
            assert_eq!(config.terminal_id, "T42");
            assert_eq!(config.mode, Mode::Staff);
            Ok(())
        });
    }

    #[test]
    fn bad_values_are_refused_with_the_key() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("c.toml", "mode = \"cashier\"\n")?;
            let err = Config::load(Some(Path::new("c.toml"))).expect_err("unknown mode");
            assert!(err.to_string().contains("mode"), "{err}");
            jail.create_file("d.toml", "locale = \"de\"\n")?;
            let err = Config::load(Some(Path::new("d.toml"))).expect_err("unsupported locale");
            assert!(err.to_string().contains("locale"), "{err}");
            jail.create_file("e.toml", "disk_warn_below_mb = 10\n")?;
            let err = Config::load(Some(Path::new("e.toml"))).expect_err("warn below fail");
            assert!(err.to_string().contains("disk_warn_below_mb"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn serial_scanner_from_file_and_environment() {
        figment::Jail::expect_with(|jail| {
            assert_eq!(
                Config::load(None)
                    .map_err(|e| e.to_string())?
                    .serial_scanner(),
                None
            );
            jail.create_file(
                "c.toml",
                "serial_port = \"/dev/ttyACM0\"\nserial_parity = \"even\"\nserial_data_bits = 7\n",
            )?;
            jail.set_env("COMPTOIR_SERIAL_BAUD", "19200");
            let config = Config::load(Some(Path::new("c.toml"))).map_err(|e| e.to_string())?;
            let settings = config.serial_scanner().ok_or("a scanner is configured")?;
            assert_eq!(settings.path, "/dev/ttyACM0");
            assert_eq!(settings.line(), "19200 7E1");
            jail.set_env("COMPTOIR_SERIAL_PORT", "/dev/ttyUSB1");
            let config = Config::load(Some(Path::new("c.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(config.serial_settings().path, "/dev/ttyUSB1");
            Ok(())
        });
    }

    #[test]
    fn bad_serial_settings_are_refused_with_the_key() {
        figment::Jail::expect_with(|jail| {
            for (toml, key) in [
                ("serial_data_bits = 5\n", "serial_data_bits"),
                ("serial_stop_bits = 3\n", "serial_stop_bits"),
                ("serial_baud = 0\n", "serial_baud"),
                ("serial_port = \"\"\n", "serial_port"),
                ("serial_parity = \"mark\"\n", "serial_parity"),
            ] {
                jail.create_file("c.toml", toml)?;
                let err = Config::load(Some(Path::new("c.toml"))).expect_err(toml);
                assert!(err.to_string().contains(key), "{toml}: {err}");
            }
            Ok(())
        });
    }

    /// Regression: `COMPTOIR_LOG` (the log filter) once made every command refuse to start.
    #[test]
    fn the_log_filter_and_file_variables_are_not_settings() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("COMPTOIR_LOG", "debug");
            jail.set_env("COMPTOIR_DB", "/tmp/x.db");
            jail.set_env("COMPTOIR_CONFIG", "/tmp/none.toml");
            Config::load(None).map_err(|e| e.to_string())?;
            Ok(())
        });
    }

    /// Issue 20: the central's variables in the same shell, or any other `COMPTOIR_*` that is no
    /// key, are not the terminal's settings and must not stop it.
    #[test]
    fn variables_that_are_no_key_are_ignored() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("COMPTOIR_CENTRAL_DATA", "/tmp/central");
            jail.set_env("COMPTOIR_NO_SUCH_KEY", "1");
            jail.set_env("COMPTOIR_TERMINAL_ID", "T07");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            assert_eq!(config.terminal_id, "T07");
            Ok(())
        });
        let unknown = Config::unknown_env_vars(
            [
                "COMPTOIR_CENTRAL_DATA",
                "COMPTOIR_STORE_CODE",
                "COMPTOIR_LOG",
                "COMPTOIR_STORE_CDE",
                "HOME",
            ]
            .map(String::from),
        );
        assert_eq!(unknown, ["COMPTOIR_STORE_CDE"]);
    }

    /// Issue 20: figment's profile (`default.`) is no key of the file.
    #[test]
    fn errors_name_the_key_as_the_file_spells_it() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("c.toml", "serial_baud = \"fast\"\n")?;
            let err = Config::load(Some(Path::new("c.toml"))).expect_err("a string baud");
            let text = err.to_string();
            assert!(text.contains("\"serial_baud\""), "{text}");
            assert!(!text.contains("default."), "{text}");
            Ok(())
        });
    }

    #[test]
    fn a_directory_is_not_a_configuration_file() {
        let dir = tempfile::tempdir().expect("dir");
        let err = Config::load(Some(dir.path())).expect_err("a directory");
        assert!(err.to_string().contains("is a directory"), "{err}");
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = Config::load(Some(Path::new("/nonexistent/comptoir.toml"))).expect_err("missing");
        assert!(err.to_string().contains("/nonexistent/comptoir.toml"));
    }
}
