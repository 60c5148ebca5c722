//! The customer at the counter, from the command line:
//!
//! - `comptoir customer [--json] CODE_OR_ID [--note TEXT [--confirm-note]]
//!   [--consent email|sms=on|off]… [--request access|erasure]`: the 360° view (from the central
//!   when online, else the cache, else the signed code), after recording what the options say.
//!   Every opening is written to the access log.
//! - `comptoir customer-search [--json] QUERY…`: by name, e-mail or phone.
//! - `comptoir customer-new --first-name … --last-name … [--email …] [--phone …] [--json]`.
//!
//! Exit 1 for an unknown customer, a refused code or a note that needs confirming.

use std::process::ExitCode;

use serde::Serialize;

use super::output::{print_json, rfc3339};
use super::{CommandContext, EXIT_NOT_FOUND};
use crate::app::customer::{self as use_case, Counter, CustomerAppError, SearchSource};
use crate::domain::customer::{Channel, CustomerView, NewCustomer, PrivacyRequestKind};
use crate::store::Store;
use crate::sync::client::SyncError;
use crate::sync::engine::ask_central;

/// Who the CLI acts as in the access log and the events.
const OPERATOR: &str = "cli";

/// What `comptoir customer` records before showing the view.
#[derive(Clone, Debug, Default)]
pub struct Actions {
    pub note: Option<String>,
    pub confirm_note: bool,
    pub consents: Vec<(Channel, bool)>,
    pub request: Option<PrivacyRequestKind>,
}

/// `email=on`, `sms=off`…
pub fn parse_consent(text: &str) -> Result<(Channel, bool), String> {
    let (channel, state) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: write CHANNEL=on or CHANNEL=off (email or sms)"))?;
    let channel = Channel::parse(channel.trim())
        .ok_or_else(|| format!("{channel:?} is not a channel: email or sms"))?;
    let granted = match state.trim() {
        "on" | "yes" | "true" => true,
        "off" | "no" | "false" => false,
        other => return Err(format!("{other:?}: on or off")),
    };
    Ok((channel, granted))
}

#[derive(Debug, Serialize)]
struct ViewOutput<'a> {
    #[serde(flatten)]
    view: &'a CustomerView,
    /// Seconds since the central produced this view.
    age_seconds: i64,
}

fn counter<'a>(context: &'a CommandContext, now: i64) -> Counter<'a> {
    Counter {
        staff: OPERATOR,
        terminal: &context.config.terminal_id,
        store_code: &context.config.store_code,
        now,
    }
}

/// The central's view of `id`, when this terminal is enrolled and the central answers.
fn fetch_view(store: &Store, id: &str) -> Result<Option<CustomerView>, SyncError> {
    ask_central(
        store,
        |client| async move { client.customer_view(id).await },
    )
}

/// Reads `code_or_id` and checks that someone vouches for the customer (a signed code, the
/// cache or the central): `sell --customer` and `order --customer` refuse anyone else.
pub fn identify_known(
    store: &Store,
    code_or_id: &str,
) -> Result<use_case::Identified, CustomerAppError> {
    let who = use_case::identify(store, code_or_id)?;
    use_case::confirm_known(store, &who, |id| fetch_view(store, id))?;
    Ok(who)
}

pub fn show(
    context: &CommandContext,
    code_or_id: &str,
    actions: &Actions,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    let now = chrono::Utc::now().timestamp();
    let counter = counter(context, now);
    let who = match use_case::identify(&store, code_or_id) {
        Ok(who) => who,
        Err(error) => return refuse(json, &error),
    };
    // What the options record comes first, so the view shows it.
    for &(channel, granted) in &actions.consents {
        use_case::set_consent(&mut store, &who.id, channel, granted, counter)?;
    }
    if let Some(kind) = actions.request {
        use_case::privacy_request(&mut store, &who.id, kind, counter)?;
    }
    if let Some(text) = &actions.note {
        let watch = &context.config.note_watch_words;
        match use_case::add_note(
            &mut store,
            &who.id,
            text,
            watch,
            actions.confirm_note,
            counter,
        ) {
            Ok(()) => {}
            Err(error @ CustomerAppError::NoteNotFactual { .. }) => {
                return super::failure::refuse(
                    json,
                    format!("{error} (--confirm-note saves it anyway)"),
                );
            }
            Err(error) => return refuse(json, &error),
        }
    }
    let db = context.db_path.clone();
    let view = match use_case::open_customer(&mut store, &who, counter, |id| {
        // A second connection: the fetch must not hold the first one's borrow.
        let reader = Store::open(&db).map_err(SyncError::from)?;
        fetch_view(&reader, id)
    }) {
        Ok(view) => view,
        Err(error) => return refuse(json, &error),
    };
    if json {
        print_json(&ViewOutput {
            view: &view,
            age_seconds: (now - view.fetched_at).max(0),
        })?;
    } else {
        print_text(&view, now);
    }
    Ok(ExitCode::SUCCESS)
}

fn refuse(json: bool, error: &CustomerAppError) -> anyhow::Result<ExitCode> {
    match error {
        CustomerAppError::Store(_) => Err(anyhow::anyhow!("{error}")),
        _ => super::failure::refuse(json, error),
    }
}

fn print_text(view: &CustomerView, now: i64) {
    println!("{} {} ({})", view.first_name, view.last_name, view.id);
    if let Some(email) = &view.email {
        println!("  e-mail: {email}");
    }
    if let Some(phone) = &view.phone {
        println!("  phone:  {phone}");
    }
    println!("  tier {}, {} points", view.tier, view.loyalty_points);
    for consent in &view.consents {
        let state = match (consent.granted, consent.at) {
            (_, None) => "never asked".to_owned(),
            (true, Some(at)) => format!("yes since {}", rfc3339(at)),
            (false, Some(at)) => format!("no since {}", rfc3339(at)),
        };
        println!("  marketing by {}: {state}", consent.channel.as_str());
    }
    println!(
        "  {} purchases, {} returns, {} in the online cart, {} wished, {} notes",
        view.purchases.len(),
        view.returns.len(),
        view.online_cart.len(),
        view.wishlist.len(),
        view.notes.len()
    );
    let source = match view.source {
        crate::domain::customer::ViewSource::Central => "the central".to_owned(),
        crate::domain::customer::ViewSource::Cache => {
            format!(
                "this terminal's cache ({} s old)",
                (now - view.fetched_at).max(0)
            )
        }
        crate::domain::customer::ViewSource::Code => "the loyalty code only".to_owned(),
    };
    println!("  from {source}");
}

#[derive(Debug, Serialize)]
struct SearchOutput {
    source: SearchSource,
    hits: Vec<crate::domain::customer::CustomerHit>,
}

pub fn search(context: &CommandContext, query: &str, json: bool) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let result = use_case::search(&store, query, |q| {
        ask_central(&store, |client| async move {
            Ok(client.search_customers(q, 20).await?.hits)
        })
    });
    let (hits, source) = match result {
        Ok(found) => found,
        Err(error) => return refuse(json, &error),
    };
    let found = !hits.is_empty();
    if !found {
        // Said on standard error: a silent exit 1 looked like a broken command (issue 20).
        eprintln!(
            "no customer matches {query:?} ({})",
            match source {
                SearchSource::Central => "searched at the central",
                SearchSource::Cache =>
                    "searched this terminal's customers; the central cannot be asked",
            }
        );
    }
    if json {
        print_json(&SearchOutput { source, hits })?;
    } else {
        for hit in &hits {
            println!(
                "{}  {} {}  {}  {}",
                hit.id,
                hit.first_name,
                hit.last_name,
                hit.email.as_deref().unwrap_or("-"),
                hit.phone.as_deref().unwrap_or("-")
            );
        }
    }
    Ok(if found {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_FOUND)
    })
}

#[derive(Debug, Serialize)]
struct CreatedOutput {
    /// The terminal's id until the central answers with the chain's (after a sync).
    local_id: String,
}

pub fn create(context: &CommandContext, new: NewCustomer, json: bool) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    let now = chrono::Utc::now().timestamp();
    match use_case::create(&mut store, new, counter(context, now)) {
        Ok(local_id) => {
            if json {
                print_json(&CreatedOutput { local_id })?;
            } else {
                println!("{local_id}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => refuse(json, &error),
    }
}
