//! `comptoir-central`: the reference central server. Parses arguments, sets up logging and calls
//! the library (`comptoir_central`); no logic of its own.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use comptoir_central as central;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The reference central server for Comptoir terminals (sync, enrollment, signing).
#[derive(Parser)]
#[command(name = "comptoir-central", version)]
struct Args {
    /// Data directory (database and signing key) [default: the user's data dir/comptoir-central]
    #[arg(long, global = true, value_name = "DIR", env = "COMPTOIR_CENTRAL_DATA")]
    data: Option<PathBuf>,
    /// Keep the chain in this PostgreSQL database instead of the data directory's SQLite file,
    /// e.g. postgres://comptoir@db.example/central; several instances may share it. Never
    /// logged; the data directory's database.url file keeps it off the command line.
    #[arg(
        long,
        global = true,
        value_name = "POSTGRES_URL",
        env = "COMPTOIR_CENTRAL_DATABASE",
        hide_env_values = true
    )]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the demo chain: 6 stores, 2 warehouses, catalogue, stock, staff, customers, carts,
    /// click-and-collect orders.
    Seed {
        /// Catalogue size.
        #[arg(long, default_value_t = central::DEFAULT_PRODUCTS)]
        products: u64,
        /// Print what was seeded as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Serve terminals until Ctrl-C or SIGTERM; with --smtp-url, also e-mail the e-receipts
    /// customers ask for through the chain's SMTP relay.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one).
        #[arg(long, value_name = "ADDR")]
        listen: String,
        #[command(flatten)]
        smtp: SmtpArgs,
    },
    /// E-receipts e-mailed to customers: the delivery queue.
    Ereceipt {
        #[command(subcommand)]
        action: EreceiptCommand,
    },
    /// Copy this (SQLite) central into an empty PostgreSQL database, then verify it: every
    /// table's rows and each terminal's last journal entry. Writes nothing here.
    CopyTo {
        /// The target database, e.g. postgres://comptoir@db.example/central (never logged).
        #[arg(value_name = "POSTGRES_URL")]
        url: String,
        /// Print what was copied and checked as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Issue a one-time enrollment code for a store (valid 24 h); the code is the last line.
    Enroll {
        /// The store the terminal stands in (e.g. PAR-01).
        #[arg(long, value_name = "STORE_ID")]
        store: String,
    },
    /// Revoke a device: its token is refused from now on.
    Revoke {
        /// The device id `comptoir enroll` printed (e.g. from `stats --json`).
        #[arg(long, value_name = "DEVICE_ID")]
        device: String,
    },
    /// Counts of what terminals sent.
    Stats {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Sign a code with the central's key; the code is the last line.
    Sign {
        #[command(subcommand)]
        what: SignCommand,
    },
    /// Settle an order's conflict (handed over or returned twice) once it has been looked into:
    /// the conflict is cleared on the central and, with their next sync, on its store's
    /// terminals.
    Settle {
        /// The order whose conflict was looked into (e.g. CC000001).
        #[arg(value_name = "ORDER_ID")]
        order: String,
        /// What was found (kept with the settlement).
        #[arg(long, value_name = "TEXT")]
        note: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The GDPR requests (access, erasure) made at counters and not answered yet, with the date
    /// each must be answered by.
    PrivacyRequests {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Everything the chain holds about a customer, as JSON, for their access request (which it
    /// answers): identity, consents, every purchase and return, cart, wishlist, notes, loyalty
    /// movements, the access log and their requests.
    SubjectAccess {
        /// The customer's id (e.g. C00000001).
        #[arg(value_name = "CUSTOMER_ID")]
        customer: String,
        /// Write the copy to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Erase a customer at their request: names, contacts, consents, notes, cart and wishlist
    /// go (their id stays on the sales accounting keeps); every terminal forgets them at its
    /// next sync and refuses their loyalty code.
    Erase {
        /// The customer's id (e.g. C00000001).
        #[arg(value_name = "CUSTOMER_ID")]
        customer: String,
    },
    /// Who opened a customer's record, when and where (to answer a GDPR access request).
    AccessLog {
        /// The customer's id (e.g. C00000001).
        #[arg(value_name = "CUSTOMER_ID")]
        customer: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Product recalls: a product, or one lot of it, that terminals refuse to sell (unless a
    /// manager overrides it) after their next sync.
    Recall {
        #[command(subcommand)]
        action: RecallCommand,
    },
    /// Promotion rules of the head office (« soldes », « 2e à -50 % », « 3 pour 2 »…), which
    /// terminals apply by themselves after their next sync.
    Promo {
        #[command(subcommand)]
        action: PromoCommand,
    },
    /// Store credits (« avoirs ») and gift cards: one, or a customer's, with what is left.
    Credit {
        #[command(subcommand)]
        action: CreditCommand,
    },
    /// What two counters did that could not both be right: a sale's units returned twice, a
    /// credit spent beyond its balance (JSON: `id`, `kind`, `subject`, `counters`, `at`).
    Conflicts {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Events the central refused (out of the protocol's bounds, of an unknown kind, for
    /// another store): kept with the reason, acknowledged to the device, never applied (JSON:
    /// `id`, `device`, `store`, `terminal`, `seq`, `event_id`, `kind`, `reason`, `payload` (its
    /// first 4 KiB), `created_at`, `received_at`, Unix seconds UTC).
    Quarantine {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Breaks found in terminals' fiscal journal chains, kept for good (JSON: `id`, `device`,
    /// `store`, `terminal`, `sequence`, `kind`, `ticket`, `detected_at`, `acknowledged_at`,
    /// `acknowledged_by`, `note`); `ack ID --auditor NAME` acknowledges one.
    JournalBreaks {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<BreaksCommand>,
    },
}

/// The chain's SMTP relay, for e-receipts. The user name and password come from the
/// environment only (COMPTOIR_CENTRAL_SMTP_USER, COMPTOIR_CENTRAL_SMTP_PASSWORD): a flag would
/// show the password to anyone listing the processes.
#[derive(clap::Args)]
struct SmtpArgs {
    /// The relay, smtp://HOST[:PORT] (port 25 when not given); none: e-mailed receipts wait
    /// in the queue.
    #[arg(long, value_name = "URL", env = "COMPTOIR_CENTRAL_SMTP_URL")]
    smtp_url: Option<String>,
    /// The sender of the e-receipts, e.g. "Comptoir <tickets@example.fr>".
    #[arg(long, value_name = "ADDRESS", env = "COMPTOIR_CENTRAL_SMTP_FROM")]
    smtp_from: Option<String>,
    /// STARTTLS: `required` (no mail goes in clear), `opportunistic` (when the relay offers
    /// it), `none` (a relay on this machine, a test server).
    #[arg(
        long,
        value_name = "MODE",
        env = "COMPTOIR_CENTRAL_SMTP_TLS",
        default_value = "required"
    )]
    smtp_tls: String,
    /// Seconds before the first retry of a mail the relay did not take (doubling each time,
    /// up to an hour).
    #[arg(
        long,
        value_name = "SECS",
        env = "COMPTOIR_CENTRAL_SMTP_RETRY_SECS",
        default_value_t = 60
    )]
    smtp_retry_secs: u64,
}

impl SmtpArgs {
    fn relay(self) -> anyhow::Result<Option<central::mail::RelaySettings>> {
        let Some(url) = self.smtp_url else {
            return Ok(None);
        };
        let from = self
            .smtp_from
            .context("--smtp-url needs the sender's address: --smtp-from ADDRESS")?;
        let user = std::env::var("COMPTOIR_CENTRAL_SMTP_USER").ok();
        let password = std::env::var("COMPTOIR_CENTRAL_SMTP_PASSWORD").ok();
        let credentials = match (user, password) {
            (Some(user), Some(password)) => Some((user, password)),
            (None, None) => None,
            _ => return Err(central::mail::MailConfigError::HalfCredentials.into()),
        };
        let tls = central::mail::TlsMode::parse(&self.smtp_tls)?;
        let mut relay = central::mail::RelaySettings::new(&url, &from, tls, credentials)?;
        relay.retry.first = std::time::Duration::from_secs(self.smtp_retry_secs.max(1));
        relay.retry.max = relay.retry.max.max(relay.retry.first);
        relay.poll = relay.poll.min(relay.retry.first);
        Ok(Some(relay))
    }
}

#[derive(Subcommand)]
enum EreceiptCommand {
    /// Every e-mail delivery, the latest first: ticket, status (pending, sent, bounced,
    /// failed), tries and the relay's last reply, never the address (JSON: `id`, `store`,
    /// `terminal`, `ticket`, `status`, `attempts`, `next_attempt_at`, `last_code`,
    /// `last_reply`, `created_at`, `done_at`, Unix seconds UTC).
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BreaksCommand {
    /// An auditor acknowledges a break: it stays listed, marked with who and when; once a
    /// terminal has no open break, the central vouches again for what it received since.
    Ack {
        /// The break's id (`journal-breaks` lists them).
        #[arg(value_name = "ID")]
        id: i64,
        /// Who acknowledges (kept with the break).
        #[arg(long, value_name = "NAME")]
        auditor: String,
        /// What was found (kept with the break).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
}

#[derive(Subcommand)]
enum RecallCommand {
    /// Recall a product (every lot, or only --lot); the recall's id is the last line.
    Add {
        /// The product's GTIN (8, 12, 13 or 14 digits, check digit verified).
        #[arg(value_name = "GTIN", value_parser = parse_gtin)]
        gtin: comptoir_domain::gtin::Gtin,
        /// Only this lot (GS1 AI 10, as printed on the pack and encoded in its 2D code).
        #[arg(long, value_name = "LOT", value_parser = parse_lot)]
        lot: Option<String>,
        /// Why (shown on the terminals and kept).
        #[arg(long, value_name = "TEXT", value_parser = parse_reason)]
        reason: String,
        /// Print the recall as JSON instead.
        #[arg(long)]
        json: bool,
    },
    /// Every recall, in force or ended (JSON: `id`, `gtin`, `lot`, `reason`, `created_at`,
    /// `ended_at`, Unix seconds UTC).
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// End a recall: terminals sell the product again after their next sync.
    End {
        /// The recall's id (`recall list` shows them).
        #[arg(value_name = "ID")]
        id: i64,
    },
}

#[derive(Subcommand)]
enum CreditCommand {
    /// One credit or gift card (JSON: `code`, `kind`, `issued_cents`, `balance_cents`,
    /// `customer`, `issued_at`, `conflict`); exit 1 when unknown.
    Show {
        code: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// A customer's credits and gift cards, newest first (JSON: an array as `show` gives).
    List {
        /// The customer's id.
        #[arg(long, value_name = "ID")]
        customer: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PromoCommand {
    /// Add the rules of a JSON file (one rule, or an array of rules): all of them, or none when
    /// one is invalid or its id is held with other terms (exit 1, with the reason).
    Add {
        /// The JSON file (`id`, `name`, `starts`, `ends` in store time, `target`, `offer`…;
        /// see `domain::promotion::Promotion`).
        #[arg(long = "json", value_name = "FILE")]
        file: PathBuf,
    },
    /// Every rule: id, name, dates, kind of offer, whether ended, and its uses per store (JSON:
    /// the rule's fields, then `kind`, `created_at`, `ended_at` (Unix seconds UTC), `ended`,
    /// `uses` (store code → sales)).
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// End a rule now (its end becomes this moment, Paris time): terminals stop applying it
    /// after their next sync.
    End {
        /// The rule's id (`promo list` shows them).
        #[arg(value_name = "ID")]
        id: String,
    },
}

/// A GTIN with its check digit verified (a usage error, exit 2, otherwise).
fn parse_gtin(text: &str) -> Result<comptoir_domain::gtin::Gtin, String> {
    comptoir_domain::gtin::Gtin::parse(text).map_err(|e| e.to_string())
}

fn parse_lot(text: &str) -> Result<String, String> {
    central::check_lot(text)
        .map(|()| text.to_owned())
        .map_err(|e| e.to_string())
}

fn parse_reason(text: &str) -> Result<String, String> {
    let reason = text.trim();
    if reason.is_empty() {
        return Err("say why the product is recalled".to_owned());
    }
    Ok(reason.to_owned())
}

#[derive(Subcommand)]
enum SignCommand {
    /// A loyalty code (`CPTL1:…`) for a customer: their id, first name and tier, issued now.
    Loyalty {
        /// The customer's id (e.g. C00000001).
        #[arg(value_name = "CUSTOMER_ID")]
        customer: String,
    },
    /// A pickup code (`CPTP1:…`) for a click-and-collect order: the order, its store, and an
    /// expiry 7 days from now.
    Pickup {
        /// The click-and-collect order (e.g. CC000001).
        #[arg(value_name = "ORDER_ID")]
        order: String,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    // A server logs its requests; a one-shot command only its warnings (RUST_LOG overrides).
    let default_level = match args.command {
        Command::Serve { .. } => "info",
        _ => "warn",
    };
    comptoir_host::logging::init("RUST_LOG", default_level);
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("comptoir-central: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let data = match args.data {
        Some(dir) => dir,
        None => directories::BaseDirs::new()
            .context("no home directory to keep the data in: pass --data DIR")?
            .data_dir()
            .join("comptoir-central"),
    };
    let db = match args.database {
        Some(url) => central::Database::Postgres(url),
        None => central::Database::Dir(data.clone()),
    };
    match args.command {
        Command::Seed { products, json } => {
            let bar = ProgressBar::with_draw_target(
                Some(products),
                if std::io::stderr().is_terminal() {
                    ProgressDrawTarget::stderr()
                } else {
                    ProgressDrawTarget::hidden()
                },
            );
            bar.set_style(
                ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} products ({eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message("seeding");
            let summary = central::seed(&db, products, |done, _| bar.set_position(done))?;
            bar.finish_and_clear();
            if json {
                println!("{}", serde_json::to_string(&summary)?);
            } else {
                println!(
                    "seeded {} products, {} stores, {} customers, {} click-and-collect orders in {}",
                    summary.products,
                    summary.stores.len(),
                    summary.customers.len(),
                    summary.pickup_orders.len(),
                    db
                );
            }
        }
        Command::Serve { listen, smtp } => {
            let relay = smtp.relay()?;
            let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
            runtime.block_on(async {
                let listener = tokio::net::TcpListener::bind(&listen)
                    .await
                    .with_context(|| format!("cannot listen on {listen}"))?;
                let address = listener.local_addr()?;
                println!("comptoir-central listening on http://{address}");
                std::io::stdout().flush()?;
                central::serve_with(
                    listener,
                    &db,
                    central::listener::Limits::default(),
                    relay,
                    shutdown_signal(),
                )
                .await?;
                anyhow::Ok(())
            })?;
        }
        Command::Enroll { store } => {
            let code = central::enroll_code(&db, &store)?;
            let until = chrono::DateTime::from_timestamp(code.expires_at, 0)
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default();
            println!(
                "Enrollment code for {} ({}), single use, valid until {until}:",
                code.store, code.store_name
            );
            println!("{}", code.code);
        }
        Command::Revoke { device } => {
            if !central::revoke_device(&db, &device)? {
                anyhow::bail!("no device {device} is enrolled here");
            }
            println!("device {device} revoked");
        }
        Command::CopyTo { url, json } => {
            let now = chrono::Utc::now().timestamp();
            let report = central::pg::copy::copy_to(&data, &url, now)?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!(
                    "copied {} rows of {} tables into PostgreSQL (schema version {}); checked: every table's count, and the last journal entry of {} terminals",
                    report.rows,
                    report.tables.len(),
                    report.schema_version,
                    report.journals.len()
                );
            }
        }
        Command::Stats { json } => {
            let stats = central::stats(&db)?;
            if json {
                println!("{}", serde_json::to_string(&stats)?);
            } else {
                let r = &stats.received;
                println!(
                    "received: {} sales, {} returns, {} closings, {} journal entries, {} e-receipts, {} stock counts, {} other",
                    r.sales,
                    r.returns,
                    r.closings,
                    r.journal_entries,
                    r.e_receipts,
                    r.stock_counts,
                    r.other
                );
                println!(
                    "clienteling: {} customers created, {} consents, {} notes, {} record openings, {} privacy requests, {} loyalty movements",
                    r.customers_created,
                    r.consents,
                    r.customer_notes,
                    r.customer_accesses,
                    r.privacy_requests,
                    r.loyalty_movements
                );
                println!("duplicates ignored: {}", stats.duplicates_ignored);
                println!("events in quarantine: {}", stats.quarantined);
                println!(
                    "journal breaks: {} ({} not acknowledged)",
                    stats.journal_breaks, stats.journal_breaks_open
                );
                println!(
                    "discounts given: {} by hand, {} by promotions",
                    comptoir_domain::money::Cents::new(stats.discounts.manual_cents).format_fr(),
                    comptoir_domain::money::Cents::new(stats.discounts.promotion_cents).format_fr()
                );
                println!("devices: {}", stats.devices);
                println!("open privacy requests: {}", stats.open_privacy_requests);
                println!("loyalty balances overdrawn: {}", stats.loyalty_overdrawn);
                println!(
                    "orders: {} handovers, {} aisle orders, {} pickup conflicts, {} duplicate returns, {} unknown orders",
                    r.handovers,
                    r.aisle_orders,
                    stats.pickup_conflicts,
                    stats.duplicate_returns,
                    stats.unknown_orders
                );
            }
        }
        Command::Ereceipt {
            action: EreceiptCommand::List { json },
        } => {
            let deliveries = central::ereceipt_deliveries(&db)?;
            if json {
                println!("{}", serde_json::to_string(&deliveries)?);
            } else {
                let pending = deliveries.iter().filter(|d| d.status == "pending").count();
                println!(
                    "{} e-receipt(s) to e-mail, {pending} pending",
                    deliveries.len()
                );
                for d in &deliveries {
                    let reply = match (d.last_code, &d.last_reply) {
                        (_, Some(reply)) => format!("  {reply}"),
                        (Some(code), None) => format!("  {code}"),
                        (None, None) => String::new(),
                    };
                    println!(
                        "{:>5}  {}  {} {}  {:<7}  {} attempt(s){reply}",
                        d.id,
                        day(d.created_at),
                        d.store,
                        d.ticket,
                        d.status,
                        d.attempts
                    );
                }
            }
        }
        Command::Sign {
            what: SignCommand::Loyalty { customer },
        } => {
            let code = central::sign_loyalty(&db, &customer)?;
            println!("Loyalty code for {customer}:");
            println!("{code}");
        }
        Command::Sign {
            what: SignCommand::Pickup { order },
        } => {
            let code = central::sign_pickup(&db, &order)?;
            println!(
                "Pickup code for order {order}, valid {} days:",
                central::PICKUP_CODE_TTL_SECS / 86_400
            );
            println!("{code}");
        }
        Command::Settle { order, note, json } => {
            let settled = central::settle_conflict(&db, &order, &note)?;
            if json {
                println!("{}", serde_json::to_string(&settled)?);
            } else {
                println!(
                    "Order {} settled ({}): it is now {}",
                    settled.order_id, settled.conflict, settled.status
                );
            }
        }
        Command::PrivacyRequests { json } => {
            let requests = central::open_privacy_requests(&db)?;
            if json {
                println!("{}", serde_json::to_string(&requests)?);
            } else {
                println!("{} open request(s)", requests.len());
                for r in &requests {
                    println!(
                        "{}  {:<7}  customer {}  store {}  staff {}  answer by {}",
                        day(r.at),
                        r.kind,
                        r.customer,
                        r.store,
                        r.staff,
                        day(r.due)
                    );
                }
            }
        }
        Command::SubjectAccess { customer, out } => {
            let copy = central::subject_access(&db, &customer)?;
            let json = serde_json::to_string_pretty(&copy)?;
            match out {
                Some(path) => {
                    std::fs::write(&path, json + "\n")
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!(
                        "Copy of customer {customer}'s data written to {} ({} access request(s) answered)",
                        path.display(),
                        copy.requests_answered
                    );
                }
                None => println!("{json}"),
            }
        }
        Command::Erase { customer } => {
            let answered = central::erase_customer(&db, &customer)?;
            println!(
                "Customer {customer} erased ({answered} erasure request(s) answered); terminals \
                 forget them at their next sync"
            );
        }
        Command::AccessLog { customer, json } => {
            let log = central::access_log(&db, &customer)?;
            if json {
                println!("{}", serde_json::to_string(&log)?);
            } else {
                println!(
                    "{} opening(s) of the record of customer {}",
                    log.accesses.len(),
                    log.customer
                );
                for a in &log.accesses {
                    let when = chrono::DateTime::from_timestamp(a.at, 0)
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                        .unwrap_or_else(|| a.at.to_string());
                    println!(
                        "{when}  {}  store {}  terminal {}  device {}",
                        a.staff, a.store, a.terminal, a.device
                    );
                }
            }
        }
        Command::Recall {
            action:
                RecallCommand::Add {
                    gtin,
                    lot,
                    reason,
                    json,
                },
        } => {
            let recall = central::add_recall(&db, &gtin, lot.as_deref(), &reason)?;
            if json {
                println!("{}", serde_json::to_string(&recall)?);
            } else {
                let lot = recall
                    .lot
                    .as_deref()
                    .map_or_else(|| "every lot".to_owned(), |lot| format!("lot {lot}"));
                println!(
                    "Recall of {} ({lot}) recorded; terminals refuse to sell it after their next \
                     sync. Its id:",
                    recall.gtin
                );
                println!("{}", recall.id);
            }
        }
        Command::Recall {
            action: RecallCommand::List { json },
        } => {
            let recalls = central::recalls(&db)?;
            if json {
                println!("{}", serde_json::to_string(&recalls)?);
            } else {
                let in_force = recalls.iter().filter(|r| r.ended_at.is_none()).count();
                println!("{} recall(s), {in_force} in force", recalls.len());
                for r in &recalls {
                    let ended = r
                        .ended_at
                        .map(|at| format!("  ended {}", day(at)))
                        .unwrap_or_default();
                    println!(
                        "{:>4}  {}  {}  {:<20}  {}{ended}",
                        r.id,
                        day(r.created_at),
                        r.gtin,
                        r.lot.as_deref().unwrap_or("every lot"),
                        r.reason
                    );
                }
            }
        }
        Command::Credit {
            action: CreditCommand::Show { code, json },
        } => match central::credit(&db, &code)? {
            Some(credit) if json => println!("{}", serde_json::to_string(&credit)?),
            Some(credit) => print_credit(&credit),
            None => anyhow::bail!("no store credit or gift card has this code"),
        },
        Command::Credit {
            action: CreditCommand::List { customer, json },
        } => {
            let credits = central::credits_of(&db, &customer)?;
            if json {
                println!("{}", serde_json::to_string(&credits)?);
            } else {
                println!("{} credit(s)", credits.len());
                for credit in &credits {
                    print_credit(credit);
                }
            }
        }
        Command::Conflicts { json } => {
            let conflicts = central::conflicts(&db)?;
            if json {
                println!("{}", serde_json::to_string(&conflicts)?);
            } else {
                println!("{} conflict(s)", conflicts.len());
                for c in &conflicts {
                    println!(
                        "  #{} {} {}: {}",
                        c.id,
                        c.kind,
                        c.subject,
                        c.counters.join(", ")
                    );
                }
            }
        }
        Command::Quarantine { json } => {
            let entries = central::quarantine(&db)?;
            if json {
                println!("{}", serde_json::to_string(&entries)?);
            } else {
                println!("{} event(s) in quarantine", entries.len());
                for q in &entries {
                    println!(
                        "{:>5}  {}  {} {} seq {}  {}: {}",
                        q.id,
                        day(q.received_at),
                        q.store,
                        q.terminal,
                        q.seq,
                        q.kind,
                        q.reason
                    );
                }
            }
        }
        Command::JournalBreaks { json, action: None } => {
            let breaks = central::journal_breaks(&db)?;
            if json {
                println!("{}", serde_json::to_string(&breaks)?);
            } else {
                let open = breaks
                    .iter()
                    .filter(|b| b.acknowledged_at.is_none())
                    .count();
                println!("{} journal break(s), {open} not acknowledged", breaks.len());
                for b in &breaks {
                    let at = b
                        .sequence
                        .map(|s| format!("entry {s}"))
                        .or_else(|| b.ticket.as_ref().map(|t| format!("ticket {t}")))
                        .unwrap_or_default();
                    let ack = match (&b.acknowledged_by, b.acknowledged_at) {
                        (Some(by), Some(when)) => {
                            format!("  acknowledged by {by} on {}", day(when))
                        }
                        _ => "  NOT ACKNOWLEDGED".to_owned(),
                    };
                    println!(
                        "{:>4}  {}  {} {}  {}  {}{ack}",
                        b.id,
                        day(b.detected_at),
                        b.store,
                        b.terminal,
                        b.kind.as_str(),
                        at
                    );
                }
            }
        }
        Command::JournalBreaks {
            action: Some(BreaksCommand::Ack { id, auditor, note }),
            ..
        } => match central::acknowledge_journal_break(&db, id, &auditor, note.as_deref())? {
            central::journal_chain::Acknowledged::Done { tip_moved } => {
                println!("journal break {id} acknowledged by {}", auditor.trim());
                if tip_moved {
                    println!(
                        "the terminal has no open break left: the central vouches for the entries received since"
                    );
                }
            }
            central::journal_chain::Acknowledged::Unknown => {
                anyhow::bail!("the central has no journal break {id}")
            }
            central::journal_chain::Acknowledged::Already { at, by } => {
                anyhow::bail!(
                    "journal break {id} was already acknowledged by {by} on {}",
                    day(at)
                )
            }
        },
        Command::Promo {
            action: PromoCommand::Add { file },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let done = central::add_promotions(&db, &file.display().to_string(), &text)?;
            println!(
                "{} promotion(s) added, {} already held as given; terminals apply them after \
                 their next sync",
                done.added.len(),
                done.unchanged.len()
            );
            for id in &done.added {
                println!("{id}");
            }
        }
        Command::Promo {
            action: PromoCommand::List { json },
        } => {
            let rules = central::promotions(&db)?;
            if json {
                println!("{}", serde_json::to_string(&rules)?);
            } else {
                let ended = rules.iter().filter(|r| r.ended).count();
                println!("{} promotion(s), {ended} ended", rules.len());
                for r in &rules {
                    let uses = if r.uses.is_empty() {
                        "no use".to_owned()
                    } else {
                        r.uses
                            .iter()
                            .map(|(store, n)| format!("{store} {n}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    let ended = r
                        .ended_at
                        .map(|at| format!("  ended {}", day(at)))
                        .unwrap_or_default();
                    println!(
                        "{}  {}  {} → {}  {}  uses: {uses}{ended}",
                        r.rule.id,
                        r.rule.name,
                        r.rule.starts.format("%Y-%m-%d %H:%M"),
                        r.rule.ends.format("%Y-%m-%d %H:%M"),
                        r.kind
                    );
                }
            }
        }
        Command::Promo {
            action: PromoCommand::End { id },
        } => {
            let ended = central::end_promotion(&db, &id)?;
            println!(
                "Promotion {} ended at {} (Paris time); terminals stop applying it after their \
                 next sync",
                ended.rule.id,
                ended.rule.ends.format("%Y-%m-%d %H:%M")
            );
        }
        Command::Recall {
            action: RecallCommand::End { id },
        } => {
            let recall = central::end_recall(&db, id)?;
            println!(
                "Recall {} of {} ended; terminals sell it again after their next sync",
                recall.id, recall.gtin
            );
        }
    }
    Ok(())
}

/// `at` (Unix seconds) as a UTC date.
fn day(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map_or_else(|| at.to_string(), |t| t.format("%Y-%m-%d").to_string())
}

/// Ctrl-C, or SIGTERM on Unix (what a service manager sends).
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

fn print_credit(credit: &comptoir_protocol::CreditAnswer) {
    let euros = |cents: i64| format!("{}.{:02} €", cents / 100, (cents % 100).abs());
    println!(
        "  {} {}: {} left of {}{}",
        if credit.kind == "gift_card" {
            "gift card"
        } else {
            "store credit"
        },
        credit.code,
        euros(credit.balance_cents),
        euros(credit.issued_cents),
        if credit.conflict {
            " (spent twice at two counters)"
        } else {
            ""
        }
    );
}
