//! The headless command line: `comptoir <subcommand>` exposes the core to operators, their
//! scripts and the tests. The names, JSON fields and exit statuses are a contract (issue 3):
//! change them only with a new field, never by renaming one.
//!
//! This is an edge of the program, so it reports errors with `anyhow` context; the library below
//! it uses typed errors.

mod basket;
mod customer;
pub mod decode;
pub mod doctor;
pub mod drawer;
pub mod exchange;
pub mod failure;
pub mod gift_card;
pub mod help;
mod journal;
pub mod listen;
mod loyalty;
mod output;
pub mod parse;
mod pickup;
mod product;
mod promo;
mod receipt;
mod sale_return;
mod search;
mod seed;
mod sell;
mod shot;
mod sync;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::store::Store;

/// Exit status of a command that ran but whose answer is "no" (unrecognised code, unknown
/// product); usage errors exit with 2 (clap's convention).
pub const EXIT_NOT_FOUND: u8 = 1;

/// Comptoir, the in-store point-of-sale and clienteling terminal. `comptoir` with no command opens the screen for the configured mode; it needs a display (X11 or Wayland, or DRM/KMS for the kiosk build). Without one, see the screens with `comptoir shot PAGE --out FILE.png`, run the commands below, or start it under `xvfb-run comptoir`.
#[derive(Debug, Parser)]
#[command(
    name = "comptoir",
    version,
    after_help = "`comptoir COMMAND --help` shows a command's arguments. Exit status: 0 ok, 1 refused \
                  or failed, 2 usage error; with --json, a failure is {\"error\": \"…\"} on \
                  standard output."
)]
pub struct Cli {
    /// The SQLite database (default: the configuration's db_path, else comptoir.db in the
    /// user's data directory).
    #[arg(long, global = true, value_name = "PATH", env = "COMPTOIR_DB")]
    pub db: Option<PathBuf>,
    /// A TOML configuration file; COMPTOIR_* environment variables override it.
    #[arg(long, global = true, value_name = "PATH", env = "COMPTOIR_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse raw scanner or camera text and say what it is.
    Parse {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// The scanned text (put `--` before it when it starts with a dash).
        #[arg(allow_hyphen_values = true)]
        raw: String,
    },
    /// The fiscal journal: verify the hash chain, or export it for an auditor.
    Journal {
        #[command(subcommand)]
        action: JournalAction,
    },
    /// Close the day, month or year (Z ticket): totals per VAT rate and payment, grand total.
    Close {
        /// The period to close.
        #[arg(value_enum)]
        period: crate::store::ClosingPeriod,
        /// A day closing only: the blind count of the drawer by denomination in euros
        /// (`50=2,20=5,10=3,2=4,0.50=6`); expected cash and the difference are printed after it.
        #[arg(long, value_name = "DENOMINATION=COUNT,…")]
        counted: Option<String>,
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
    },
    /// The cash drawer: the opening float, cash in and out with a reason, the X report.
    Drawer {
        #[command(subcommand)]
        action: DrawerAction,
    },
    /// Training mode: tickets marked MODE FORMATION, left out of every real total.
    Training {
        /// Switch training mode on or off (journaled).
        #[arg(value_enum)]
        state: OnOff,
    },
    /// Print or show a receipt again, marked DUPLICATA and journaled; or, with --email, have
    /// the central e-mail it.
    Receipt {
        /// The ticket number, as printed (e.g. T01-000042).
        ticket: String,
        /// Print on the ESC/POS printer at this serial port.
        #[arg(long, value_name = "PORT", conflicts_with = "email")]
        print: Option<String>,
        /// Show the receipt as text (the default when not printing).
        #[arg(long, conflicts_with = "email")]
        text: bool,
        /// Queue the receipt for the central to e-mail (sent at the next sync): to the sale's
        /// customer at the address the central holds, or to ADDR typed here, which the central
        /// forgets once the mail is sent or refused.
        #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "")]
        email: Option<String>,
        /// The customer asks that the address typed with --email be kept.
        #[arg(long, requires = "email")]
        keep_email: bool,
    },
    /// Enroll this terminal with a central, using a one-time code from `comptoir-central enroll
    /// --store STORE`.
    Enroll {
        /// The central's address, e.g. http://127.0.0.1:8080
        url: String,
        /// The one-time code (the last line `comptoir-central enroll --store STORE` prints).
        code: String,
    },
    /// Sync with the central: one round now, or the status.
    Sync {
        #[command(subcommand)]
        action: SyncAction,
    },
    /// Read a serial barcode scanner and print one line per scan until interrupted (Ctrl-C).
    Listen {
        /// The scanner's serial port, e.g. /dev/ttyACM0 or /dev/serial/by-id/usb-….
        #[arg(long, value_name = "PATH")]
        serial: String,
        /// Bits per second (default: the configuration's serial_baud, else 9600).
        #[arg(long, value_name = "N")]
        baud: Option<u32>,
        /// One JSON object per line, with the fields of `comptoir parse --json`.
        #[arg(long)]
        json: bool,
    },
    /// Decode QR codes in image files (one JSON line per image), or from the camera.
    Decode {
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
        /// Decode from the first camera until interrupted.
        #[arg(long)]
        camera: bool,
        /// PNG or JPEG files to decode.
        #[arg(required_unless_present = "camera", value_name = "IMAGE")]
        images: Vec<PathBuf>,
    },
    /// Fill an empty database with the demo store.
    Seed {
        /// How many products the catalogue gets (at least 1).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        products: u64,
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
    },
    /// Show the product card for any scan text (GTIN, GS1, Digital Link, in-store label).
    Product {
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
        /// Any scan text: a GTIN, GS1 element string, Digital Link URI or in-store label.
        #[arg(allow_hyphen_values = true)]
        code: String,
    },
    /// Sell products (any scan text, `*QTY` for a quantity, `~DISCOUNT` off the line) and print
    /// the ticket. Promotions apply by themselves.
    Sell {
        /// The products: any scan text, with `*QTY` for a quantity (1 to 9999) and `~DISCOUNT`
        /// taken off that line (`~10%` or `~2.50` euros); quote it in a shell:
        /// '03760000000017*2~10%'.
        #[arg(required = true, num_args = 1.., value_name = "CODE[*QTY][~DISCOUNT]")]
        codes: Vec<String>,
        /// A discount of the whole basket: `10%` or an amount in euros (`5` or `2,50`), spread
        /// over the lines.
        #[arg(long, value_name = "DISCOUNT", value_parser = sell::discount_arg)]
        discount: Option<crate::domain::discount::Discount>,
        /// Why a manual discount or price override is given: one of the chain's reasons
        /// (`discount_reasons` in the configuration).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        /// A line's new unit price: its number among the codes (from 1) and the price in euros,
        /// e.g. `--price 2=14.90`; repeatable.
        #[arg(long = "price", value_name = "LINE=EUROS", value_parser = sell::price_arg)]
        prices: Vec<(usize, crate::domain::money::Cents)>,
        /// How the customer pays (not needed when --redeem points pay it all): `card`, `cash` or
        /// `split`; `credit` with --credit, and another --pay for the rest
        /// (`--pay credit --pay card`).
        #[arg(long, value_enum)]
        pay: Vec<sell::PayWith>,
        /// With `--pay credit`: the store credit or gift card code, and how much of it to use in
        /// euros (`AV-7K2M-Q9XD-4HPT=10`; as much as the sale needs by default).
        #[arg(long, value_name = "CODE[=EUROS]", value_parser = sell::credit_arg)]
        credit: Option<(String, Option<crate::domain::money::Cents>)>,
        /// Cash handed over, in euros (e.g. 50 or 20,50); the exact amount by default.
        #[arg(long, value_name = "EUROS", value_parser = sell::euros_arg)]
        given: Option<String>,
        /// With `--pay split`: the card part in euros (half of the total by default).
        #[arg(long, value_name = "EUROS", value_parser = sell::euros_arg)]
        card: Option<String>,
        /// The customer's loyalty code or id: the sale earns them points.
        #[arg(long, value_name = "CODE_OR_ID")]
        customer: Option<String>,
        /// Loyalty points the customer redeems first (needs --customer).
        #[arg(
            long,
            value_name = "POINTS",
            requires = "customer",
            default_value_t = 0
        )]
        redeem: i64,
        /// Sell an expired or recalled product anyway, for this reason (journaled); needs a
        /// manager's --staff and --pin.
        #[arg(long, value_name = "TEXT", requires_all = ["staff", "pin"])]
        override_reason: Option<String>,
        /// The manager who authorises --override-reason or a discount past the seller's limit
        /// (their login).
        #[arg(long, value_name = "LOGIN", requires = "pin")]
        staff: Option<String>,
        /// That manager's PIN.
        #[arg(long, value_name = "PIN", requires = "staff")]
        pin: Option<String>,
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
    },
    /// The open basket the screen shows (one per terminal): add, show, remove a line, park it
    /// for later and resume it.
    Basket {
        #[command(subcommand)]
        action: BasketAction,
    },
    /// Render a page of the real UI with demo data into a PNG, with no display.
    Shot {
        /// The page to render.
        page: crate::ui::shot::ShotPage,
        /// The PNG file to write.
        #[arg(long, value_name = "FILE.png")]
        out: PathBuf,
        /// The screen's language.
        #[arg(long, value_enum, default_value = "fr")]
        lang: shot::ShotLang,
        /// Window size in pixels.
        #[arg(long, default_value = "1280x800", value_parser = shot::parse_size)]
        size: (u32, u32),
    },
    /// The click-and-collect counter: list, verify a pickup code, hand over.
    Pickup {
        #[command(subcommand)]
        action: PickupAction,
    },
    /// Take back goods of an online order (web or click-and-collect) and refund them; every
    /// line still returnable by default.
    Return {
        /// The online order's number or its pickup code.
        order_id: String,
        /// The units going back (every unit still returnable by default).
        #[arg(value_name = "GTIN*QTY")]
        lines: Vec<String>,
        /// How the money goes back: to the card, in cash, or as a store credit (AV-…).
        #[arg(long, value_enum)]
        refund: Refund,
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
    },
    /// Take back goods of an in-store sale (this store's or, online, any store's of the chain)
    /// from its receipt's code or ticket number, and refund them; every unit still returnable by
    /// default. Without a receipt: `--no-receipt GTIN*QTY… --staff LOGIN --pin PIN` (a
    /// manager), refunded as a store credit at the lowest price of the last 30 days.
    ReturnSale {
        /// The receipt's code (`CPTR1:…`, scanned) or the ticket number (e.g. T01-000042).
        #[arg(required_unless_present = "no_receipt", conflicts_with = "no_receipt")]
        ticket: Option<String>,
        /// The units going back (every unit still returnable by default).
        #[arg(value_name = "GTIN*QTY")]
        lines: Vec<String>,
        /// How the money goes back: to the sale's own methods (a card refund is recorded as
        /// such), in cash, or on a store credit (AV-…).
        #[arg(long, value_enum)]
        refund: Option<RefundSale>,
        /// No receipt: the units taken back (needs a manager's --staff and --pin).
        #[arg(long, value_name = "GTIN*QTY", num_args = 1.., requires_all = ["staff", "pin"])]
        no_receipt: Vec<String>,
        /// The manager who approves a return without a receipt, or a ticket of another store
        /// taken back while the central cannot be asked (their login).
        #[arg(long, value_name = "LOGIN", requires = "pin")]
        staff: Option<String>,
        /// That manager's PIN.
        #[arg(long, value_name = "PIN", requires = "staff")]
        pin: Option<String>,
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
    },
    /// Exchange goods of a sale for others on one go: the goods back go on a store credit that
    /// pays the new ticket first; the customer pays only the difference (or keeps it on the
    /// credit when the goods back were worth more).
    Exchange {
        /// The receipt's code (`CPTR1:…`, scanned) or the ticket number (e.g. T01-000042).
        ticket: String,
        /// The units going back (every unit still returnable by default).
        #[arg(value_name = "GTIN*QTY")]
        back: Vec<String>,
        /// What the customer takes instead: any scan text, `*QTY` for a quantity.
        #[arg(long = "for", value_name = "CODE[*QTY]", num_args = 1.., required = true)]
        new: Vec<String>,
        /// How the customer pays the difference, if there is one.
        #[arg(long, value_enum)]
        pay: exchange::ExchangePay,
        /// A manager who approves taking back another store's ticket while the central cannot
        /// be asked (their login).
        #[arg(long, value_name = "LOGIN", requires = "pin")]
        staff: Option<String>,
        /// That manager's PIN.
        #[arg(long, value_name = "PIN", requires = "staff")]
        pin: Option<String>,
        /// Print JSON (`return_ticket`, `ticket`, `sale`, `returned_cents`, `total_cents`,
        /// `paid_cents`, `credit_code`, `credit_left_cents`, `new_sale`) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Gift cards: sell one at the till (a multi-purpose voucher: no VAT now, VAT on what it
    /// buys).
    GiftCard {
        #[command(subcommand)]
        action: GiftCardAction,
    },
    /// Store credits (« avoirs ») and gift cards: what is left on one.
    Credit {
        #[command(subcommand)]
        action: CreditAction,
    },
    /// What the central found done twice at two counters (a sale returned twice, a credit spent
    /// beyond its balance), as of the last sync.
    Conflicts {
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
    },
    /// Order a product that is not on the shelf for a customer (endless aisle): delivered home,
    /// or to collect at a store that has it. Prints the order number.
    Order {
        /// The product's GTIN, with `*QTY` for a quantity.
        #[arg(value_name = "GTIN[*QTY]")]
        code: String,
        /// The customer's loyalty code or id.
        #[arg(long, value_name = "CODE_OR_ID")]
        customer: String,
        /// Delivered to the customer's home, or to collect at a store.
        #[arg(long, value_enum)]
        deliver: Deliver,
        /// With `--deliver pickup`: the store to collect it from (default: a store that has it).
        #[arg(long, value_name = "STORE")]
        pickup_store: Option<String>,
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
    },
    /// Signed loyalty codes.
    Loyalty {
        #[command(subcommand)]
        action: LoyaltyAction,
    },
    /// The customer's 360° view from a loyalty code or a customer id (the central's when
    /// online, else this terminal's cache); the options record consents, notes and requests
    /// first. Every opening is written to the access log.
    Customer {
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
        /// The customer's loyalty code (`CPTL1:…`) or id (e.g. C00000001).
        #[arg(value_name = "CODE_OR_ID")]
        code_or_id: String,
        /// Add a factual note (words about health, religion, politics, opinions or
        /// judgements are refused unless --confirm-note).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Save the --note even though it mentions a watched word (after rephrasing was
        /// considered).
        #[arg(long, requires = "note")]
        confirm_note: bool,
        /// Record marketing consent: email=on, sms=off…
        #[arg(long, value_name = "CHANNEL=on|off", value_parser = customer::parse_consent)]
        consent: Vec<(crate::domain::customer::Channel, bool)>,
        /// Record a GDPR request made at the counter.
        #[arg(long, value_enum)]
        request: Option<PrivacyRequest>,
    },
    /// Find customers by name, e-mail or phone (the central when online, else the cache).
    CustomerSearch {
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
        /// A name, an e-mail address or a phone number (at least three letters of a name).
        #[arg(required = true, num_args = 1..)]
        query: Vec<String>,
    },
    /// Create a customer at the counter (offline too; the central merges on e-mail or phone).
    CustomerNew {
        /// The customer's first name.
        #[arg(long)]
        first_name: String,
        /// The customer's last name.
        #[arg(long)]
        last_name: String,
        /// Their e-mail address (the central merges on it).
        #[arg(long)]
        email: Option<String>,
        /// Their phone number (the central merges on it).
        #[arg(long)]
        phone: Option<String>,
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
    },
    /// Check this terminal: configuration, database, disk, scanner, printer, camera, clock,
    /// enrollment, central. Exit 0 when nothing fails (warnings allowed), 1 otherwise.
    Doctor {
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
    },
    /// The head office's promotion rules this terminal holds, and whether each is active now.
    Promo {
        #[command(subcommand)]
        action: PromoAction,
    },
    /// Search products by name, best first.
    Search {
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
        /// How many results at most.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=500))]
        limit: u16,
        /// Words to look for; accents and case do not matter.
        #[arg(required = true, num_args = 1..)]
        query: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum GiftCardAction {
    /// Sell a gift card of EUROS (5 to 1 500), paid in full by card or cash; prints its code
    /// (KDO-…), spendable at once here and in every store after the next sync.
    Sell {
        /// The amount in euros, e.g. 50 or 25.50.
        euros: String,
        /// How the customer pays it.
        #[arg(long, value_enum)]
        pay: gift_card::GiftCardPay,
        /// Print JSON (`code`, `ticket`, `amount_cents`, `method`, `journal_sequence`) instead
        /// of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CreditAction {
    /// The balance of a store credit or gift card: the central's when online, else what this
    /// terminal last knew (`source`).
    Show {
        /// The credit's code (AV-…) or the gift card's.
        code: String,
        /// Print JSON (`code`, `balance_cents`, `source`) instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// How a return of an in-store sale is refunded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RefundSale {
    Original,
    Cash,
    Credit,
}

#[derive(Debug, Subcommand)]
pub enum JournalAction {
    /// Recompute the whole chain; exit 1 and name the first broken entry if anything was altered.
    Verify {
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
    },
    /// Write the journal, the closings and the verification data (CSV + JSON) into DIR.
    Export {
        /// The folder to write into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum BasketAction {
    /// Add a product (any scan text, `*QTY` for a quantity) to the open basket.
    Add {
        /// Any scan text, with `*QTY` for a quantity (1 to 9999).
        #[arg(allow_hyphen_values = true, value_name = "CODE[*QTY]")]
        code: String,
        /// Print the basket as one JSON object (`lines`, `item_count`, `total_cents`).
        #[arg(long)]
        json: bool,
    },
    /// Show the open basket.
    Show {
        /// Print one JSON object (`lines`, `item_count`, `total_cents`).
        #[arg(long)]
        json: bool,
    },
    /// Take line LINE (numbered from 1, as `basket show` prints them) out of the basket; its
    /// units are journaled as cancelled with the ticket.
    Remove {
        /// The line's number, from 1.
        #[arg(value_name = "LINE")]
        line: usize,
    },
    /// Put the open basket aside (« mettre en attente ») and start an empty one.
    Park {
        /// Print `{"parked_id": N}`.
        #[arg(long)]
        json: bool,
    },
    /// Make a parked basket the open one again (the open one, if not empty, is parked).
    Resume {
        /// The parked basket's id (`basket parked` lists them).
        #[arg(value_name = "PARKED_ID")]
        parked_id: i64,
    },
    /// List the parked baskets: who parked them, when, items and total.
    Parked {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PromoAction {
    /// The rules pulled from the central (or the demo store's), ended ones too, each marked
    /// active when it runs now in this store (its dates in Paris time, its stores).
    List {
        /// Print a JSON array (`id`, `name`, `starts`, `ends` in store time, `offer`, `active`).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum LoyaltyAction {
    /// Check a loyalty code offline: exit 0 and the customer id when genuine, 1 and the reason
    /// (forged, unknown_format, no_key) otherwise.
    Verify {
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
        /// The loyalty code (`CPTL1:…`), as scanned.
        #[arg(allow_hyphen_values = true)]
        code: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PickupAction {
    /// This store's click-and-collect orders, waiting ones first.
    List {
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
    },
    /// Check a pickup code offline: exit 0 when genuine and for this store, 1 and the reason
    /// (forged, expired, other_store, unknown_order) otherwise.
    Verify {
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
        /// The pickup code (`CPTP1:…`), as scanned.
        #[arg(allow_hyphen_values = true)]
        code: String,
    },
    /// Record the handover of an order (everything left by default); exit 1 when the order is
    /// unknown or already handed over here.
    Handover {
        /// The click-and-collect order (e.g. CC000001).
        order_id: String,
        /// Hand over only these units (everything left by default).
        #[arg(long, num_args = 1.., value_name = "GTIN*QTY")]
        lines: Vec<String>,
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Refund {
    Card,
    Cash,
    Credit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Deliver {
    Home,
    Pickup,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PrivacyRequest {
    Access,
    Erasure,
}

#[derive(Debug, Subcommand)]
pub enum SyncAction {
    /// One push and pull round; exit 0 when both completed, 1 otherwise.
    Once {
        /// Talk to this address instead of the enrolled one (e.g. through a proxy).
        #[arg(long, value_name = "URL")]
        central: Option<String>,
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
    },
    /// Online or not (the central is checked now, within 3 s), events waiting, the last
    /// successful sync and its age, the events the central refused.
    Status {
        /// Print one JSON object (`online`: true, false or "unknown"; `connection`,
        /// `checked_at`, `check_error`, `waiting`, `last_sync`, `last_sync_age_seconds`…).
        #[arg(long)]
        json: bool,
        /// Do not ask the central: `online` is then "unknown".
        #[arg(long)]
        no_check: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

/// `comptoir drawer …`.
#[derive(Debug, Subcommand)]
pub enum DrawerAction {
    /// Put the opening float in the drawer (journaled; once a day).
    Float {
        /// The amount in euros (e.g. 150 or 150,00).
        euros: String,
    },
    /// Put cash in the drawer (journaled), e.g. a change top-up.
    In {
        /// The amount in euros.
        euros: String,
        /// Why: "change top-up"…
        #[arg(long)]
        reason: String,
    },
    /// Take cash out of the drawer (journaled), e.g. a bank deposit or a paid-out.
    Out {
        /// The amount in euros.
        euros: String,
        /// Why: "bank deposit", "paid-out"…
        #[arg(long)]
        reason: String,
    },
    /// The X report: totals since the last day closing per payment method and VAT rate, the
    /// float, the movements and the cash expected in the drawer. Resets nothing.
    Report {
        /// Print JSON on standard output instead of text (a failure as `{"error": …}`).
        #[arg(long)]
        json: bool,
        /// Print the X ticket on the ESC/POS printer at this serial port as well.
        #[arg(long, value_name = "PORT")]
        print: Option<String>,
    },
}

impl Command {
    /// Whether the command was asked for JSON: its failures are then JSON on standard output
    /// too (`failure`).
    pub fn json(&self) -> bool {
        match self {
            Command::Parse { json, .. }
            | Command::Close { json, .. }
            | Command::Listen { json, .. }
            | Command::Decode { json, .. }
            | Command::Seed { json, .. }
            | Command::Product { json, .. }
            | Command::Sell { json, .. }
            | Command::Return { json, .. }
            | Command::ReturnSale { json, .. }
            | Command::Exchange { json, .. }
            | Command::Conflicts { json }
            | Command::Credit {
                action: CreditAction::Show { json, .. },
            }
            | Command::GiftCard {
                action: GiftCardAction::Sell { json, .. },
            }
            | Command::Order { json, .. }
            | Command::Customer { json, .. }
            | Command::CustomerSearch { json, .. }
            | Command::CustomerNew { json, .. }
            | Command::Doctor { json }
            | Command::Search { json, .. } => *json,
            Command::Drawer { action } => match action {
                DrawerAction::Report { json, .. } => *json,
                DrawerAction::Float { .. } | DrawerAction::In { .. } | DrawerAction::Out { .. } => {
                    false
                }
            },
            Command::Journal { action } => match action {
                JournalAction::Verify { json } => *json,
                JournalAction::Export { .. } => false,
            },
            Command::Basket { action } => match action {
                BasketAction::Add { json, .. }
                | BasketAction::Show { json }
                | BasketAction::Park { json }
                | BasketAction::Parked { json } => *json,
                BasketAction::Remove { .. } | BasketAction::Resume { .. } => false,
            },
            Command::Pickup { action } => match action {
                PickupAction::List { json }
                | PickupAction::Verify { json, .. }
                | PickupAction::Handover { json, .. } => *json,
            },
            Command::Loyalty {
                action: LoyaltyAction::Verify { json, .. },
            } => *json,
            Command::Promo {
                action: PromoAction::List { json },
            } => *json,
            Command::Sync { action } => match action {
                SyncAction::Once { json, .. } | SyncAction::Status { json, .. } => *json,
            },
            Command::Training { .. }
            | Command::Receipt { .. }
            | Command::Enroll { .. }
            | Command::Shot { .. } => false,
        }
    }
}

/// The configuration and database a command works on.
pub struct CommandContext {
    pub config: Config,
    pub db_path: PathBuf,
}

impl Cli {
    /// Loads the configuration and works out which database to use.
    pub fn context(&self) -> anyhow::Result<CommandContext> {
        let config = Config::load(self.config.as_deref())?;
        // Named once, never refused: a typo in a key's name would otherwise go unnoticed.
        let unknown = Config::unknown_env_vars(std::env::vars().map(|(name, _)| name));
        if !unknown.is_empty() {
            eprintln!(
                "warning: ignoring {}: not a configuration key{}",
                unknown.join(", "),
                if unknown.len() > 1 { " (each)" } else { "" }
            );
        }
        let db_path = self.db.clone().unwrap_or_else(|| config.db_path());
        Ok(CommandContext { config, db_path })
    }
}

impl CommandContext {
    /// Opens the terminal's database. A path whose folder does not exist is a mistyped one far
    /// more often than a new store: creating the folders and an empty store there only moved
    /// the error to « no product » (issue 20). `seed` and the screen's first start create it.
    pub fn open_store(&self) -> anyhow::Result<Store> {
        if let Some(dir) = self.db_path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.exists()
        {
            anyhow::bail!(
                "the folder {} of the database {} does not exist: check --db (or db_path), \
                 or create the store there with `comptoir seed`",
                dir.display(),
                self.db_path.display()
            );
        }
        self.open_or_create_store()
    }

    /// [`CommandContext::open_store`] that creates the database's folder when missing: the
    /// screen's first start.
    pub fn open_or_create_store(&self) -> anyhow::Result<Store> {
        self.refuse_directory()?;
        Store::open(&self.db_path)
            .with_context(|| format!("cannot use the database {}", self.db_path.display()))
    }

    /// One cause, said once: SQLite's own answer for a directory comes back through four
    /// layers of context.
    pub fn refuse_directory(&self) -> anyhow::Result<()> {
        if self.db_path.is_dir() {
            anyhow::bail!(
                "the database {} is a directory: give the database file itself (--db or \
                 db_path), e.g. {}",
                self.db_path.display(),
                self.db_path.join("comptoir.db").display()
            );
        }
        Ok(())
    }
}

/// Runs a subcommand and returns its exit status.
pub fn run(command: &Command, context: &CommandContext) -> anyhow::Result<ExitCode> {
    match command {
        Command::Parse { json, raw } => parse::run(context, raw, *json),
        Command::Journal {
            action: JournalAction::Verify { json },
        } => journal::verify(context, *json),
        Command::Journal {
            action: JournalAction::Export { out },
        } => journal::export(context, out),
        Command::Close {
            period,
            counted,
            json,
        } => journal::close(context, *period, counted.as_deref(), *json),
        Command::Drawer { action } => drawer::run(context, action),
        Command::Training { state } => journal::training(context, *state == OnOff::On),
        Command::Receipt {
            ticket,
            email: Some(address),
            keep_email,
            ..
        } => receipt::email(context, ticket, address, *keep_email),
        Command::Receipt {
            ticket,
            print,
            text,
            email: None,
            ..
        } => receipt::run(context, ticket, print.as_deref(), *text),
        Command::Enroll { url, code } => sync::enroll(context, url, code),
        Command::Sync {
            action: SyncAction::Once { central, json },
        } => sync::once(context, central.as_deref(), *json),
        Command::Sync {
            action: SyncAction::Status { json, no_check },
        } => sync::status(context, !*no_check, *json),
        Command::Listen { serial, baud, json } => listen::run(
            serial,
            *baud,
            context.config.serial_settings(),
            &context.config.scan_config(),
            *json,
        ),
        Command::Decode {
            json, camera: true, ..
        } => decode::run_camera(&context.config.scan_config(), *json),
        Command::Decode { json, images, .. } => {
            decode::run_files(images, &context.config.scan_config(), *json)
        }
        Command::Seed { products, json } => seed::run(context, *products, *json),
        Command::Product { json, code } => product::run(context, code, *json),
        Command::Sell {
            codes,
            pay,
            credit,
            given,
            card,
            customer,
            redeem,
            discount,
            reason,
            prices,
            override_reason,
            staff,
            pin,
            json,
        } => sell::run(
            context,
            codes,
            &sell::Payment {
                with: pay.clone(),
                credit: credit.clone(),
                given: given.clone(),
                card: card.clone(),
                customer: customer.clone(),
                redeem: *redeem,
            },
            &sell::Manual {
                basket: *discount,
                reason: reason.clone(),
                prices: prices.clone(),
            },
            override_reason.as_deref(),
            match (staff, pin) {
                (Some(staff), Some(pin)) => Some(sell::Manager {
                    staff: staff.clone(),
                    pin: pin.clone(),
                }),
                _ => None,
            },
            *json,
        ),
        Command::Basket { action } => match action {
            BasketAction::Add { code, json } => basket::add(context, code, *json),
            BasketAction::Show { json } => basket::show(context, *json),
            BasketAction::Remove { line } => basket::remove(context, *line),
            BasketAction::Park { json } => basket::park(context, *json),
            BasketAction::Resume { parked_id } => basket::resume(context, *parked_id),
            BasketAction::Parked { json } => basket::parked(context, *json),
        },
        Command::Shot {
            page,
            out,
            lang,
            size,
        } => shot::run(context, *page, *lang, *size, out),
        Command::Pickup {
            action: PickupAction::List { json },
        } => pickup::list(context, *json),
        Command::Pickup {
            action: PickupAction::Verify { json, code },
        } => pickup::verify(context, code, *json),
        Command::Pickup {
            action:
                PickupAction::Handover {
                    order_id,
                    lines,
                    json,
                },
        } => pickup::handover(context, order_id, lines, *json),
        Command::ReturnSale {
            ticket,
            lines,
            refund,
            no_receipt,
            staff,
            pin,
            json,
        } => sale_return::run(
            context,
            &sale_return::Request {
                ticket: ticket.as_deref(),
                lines,
                refund: *refund,
                no_receipt,
                manager: staff.as_deref().zip(pin.as_deref()),
            },
            *json,
        ),
        Command::Credit {
            action: CreditAction::Show { code, json },
        } => sale_return::credit_show(context, code, *json),
        Command::Conflicts { json } => sale_return::conflicts(context, *json),
        Command::GiftCard {
            action: GiftCardAction::Sell { euros, pay, json },
        } => gift_card::sell(context, euros, *pay, *json),
        Command::Exchange {
            ticket,
            back,
            new,
            pay,
            staff,
            pin,
            json,
        } => exchange::run(
            context,
            &exchange::ExchangeRequest {
                ticket,
                back,
                new,
                pay: *pay,
                manager: staff.as_deref().zip(pin.as_deref()),
            },
            *json,
        ),
        Command::Return {
            order_id,
            lines,
            refund,
            json,
        } => pickup::return_order(
            context,
            order_id,
            lines,
            match refund {
                Refund::Card => "card",
                Refund::Cash => "cash",
                Refund::Credit => "credit",
            },
            *json,
        ),
        Command::Order {
            code,
            customer,
            deliver,
            pickup_store,
            json,
        } => pickup::order(
            context,
            code,
            customer,
            *deliver == Deliver::Pickup,
            pickup_store.as_deref(),
            *json,
        ),
        Command::Loyalty {
            action: LoyaltyAction::Verify { json, code },
        } => loyalty::verify(context, code, *json),
        Command::Customer {
            json,
            code_or_id,
            note,
            confirm_note,
            consent,
            request,
        } => customer::show(
            context,
            code_or_id,
            &customer::Actions {
                note: note.clone(),
                confirm_note: *confirm_note,
                consents: consent.clone(),
                request: request.map(|r| match r {
                    PrivacyRequest::Access => crate::domain::customer::PrivacyRequestKind::Access,
                    PrivacyRequest::Erasure => crate::domain::customer::PrivacyRequestKind::Erasure,
                }),
            },
            *json,
        ),
        Command::CustomerSearch { json, query } => {
            customer::search(context, &query.join(" "), *json)
        }
        Command::CustomerNew {
            first_name,
            last_name,
            email,
            phone,
            json,
        } => customer::create(
            context,
            crate::domain::customer::NewCustomer {
                first_name: first_name.clone(),
                last_name: last_name.clone(),
                email: email.clone(),
                phone: phone.clone(),
            },
            *json,
        ),
        // Normally dispatched by `main` before the context exists (see `doctor`); this arm
        // serves callers that already hold one.
        Command::Doctor { json } => doctor::run_with(context, *json),
        Command::Promo {
            action: PromoAction::List { json },
        } => promo::list(context, *json),
        Command::Search { json, limit, query } => {
            search::run(context, &query.join(" "), usize::from(*limit), *json)
        }
    }
}
