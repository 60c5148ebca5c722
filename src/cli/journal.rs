//! The fiscal journal from the command line: `comptoir journal verify [--json]`,
//! `comptoir journal export --out DIR`, `comptoir close day|month|year [--json]` and
//! `comptoir training on|off`. Exit status of `verify`: 0 intact, 1 broken (and it names the
//! first broken entry).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::failure::UsageError;
use super::output::{money, print_json, rfc3339};
use super::{CommandContext, EXIT_NOT_FOUND};
use crate::domain::journal::{JournalProblem, PaymentAmount, VatAmount};
use crate::domain::money::Cents;
use crate::store::{ClosingPeriod, ClosingReport, DiscountSubtotal, EntryDraft};

#[derive(Debug, Serialize)]
struct VerifyOutput {
    intact: bool,
    /// Entries checked, all terminals together.
    entries: i64,
    terminals: Vec<TerminalOutput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<ProblemOutput>,
}

#[derive(Debug, Serialize)]
struct TerminalOutput {
    terminal: String,
    entries: i64,
    last_sequence: Option<i64>,
    last_hash: Option<String>,
}

#[derive(Debug, Serialize)]
struct ProblemOutput {
    terminal: String,
    code: &'static str,
    /// The first broken entry, when the problem has one.
    sequence: Option<i64>,
    message: String,
}

fn progress_bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{spinner}} {what} [{{bar:40}}] {{pos}}/{{len}} entries ({{eta}} left)"
    )) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

pub fn verify(context: &CommandContext, json: bool) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let mut terminals = Vec::new();
    let mut problem = None;
    let mut entries = 0;
    for terminal in store.journal_terminals()? {
        let bar = if json {
            ProgressBar::hidden()
        } else {
            progress_bar(store.journal_len(&terminal)? as u64, "verifying")
        };
        let result = store.verify_journal(&terminal, &mut |done| bar.set_position(done as u64))?;
        bar.finish_and_clear();
        entries += result.entries;
        terminals.push(TerminalOutput {
            terminal: terminal.clone(),
            entries: result.entries,
            last_sequence: result.tip.as_ref().map(|t| t.0),
            last_hash: result.tip.map(|t| t.1),
        });
        if let Some(p) = result.problem {
            problem = Some(problem_output(&terminal, &p));
            break;
        }
    }
    let output = VerifyOutput {
        intact: problem.is_none(),
        entries,
        terminals,
        problem,
    };
    if json {
        print_json(&output)?;
    } else {
        for t in &output.terminals {
            println!(
                "terminal {}: {} entries checked, last {}",
                t.terminal,
                t.entries,
                t.last_hash.as_deref().map_or("-".to_owned(), |h| format!(
                    "#{} {}…",
                    t.last_sequence.unwrap_or(0),
                    &h[..16.min(h.len())]
                ))
            );
        }
        match &output.problem {
            None => println!("journal intact"),
            Some(p) => println!("JOURNAL BROKEN on terminal {}: {}", p.terminal, p.message),
        }
    }
    Ok(if output.intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_FOUND)
    })
}

fn problem_output(terminal: &str, problem: &JournalProblem) -> ProblemOutput {
    ProblemOutput {
        terminal: terminal.to_owned(),
        code: problem.code(),
        sequence: problem.sequence(),
        message: problem.to_string(),
    }
}

#[derive(Debug, Serialize)]
struct CloseOutput {
    closing: i64,
    period: &'static str,
    terminal: String,
    created_at: String,
    from_sequence: i64,
    to_sequence: i64,
    ticket_count: i64,
    total_cents: i64,
    vat: Vec<VatAmount>,
    payments: Vec<PaymentAmount>,
    grand_total_cents: i64,
    /// Per reason and per promotion.
    discounts: Vec<DiscountSubtotal>,
    sequence: i64,
    hash: String,
    /// The blind count of the drawer, with `--counted`.
    #[serde(skip_serializing_if = "Option::is_none")]
    drawer: Option<crate::store::CountResult>,
}

pub fn close(
    context: &CommandContext,
    period: ClosingPeriod,
    counted: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let count = match counted {
        None => None,
        Some(_) if period != ClosingPeriod::Day => {
            return Err(UsageError(
                "--counted goes with `close day`: the drawer is counted at the day's closing"
                    .to_owned(),
            )
            .into());
        }
        Some(text) => {
            Some(crate::domain::drawer::parse_count(text).map_err(|e| UsageError(e.to_string()))?)
        }
    };
    let mut store = context.open_store()?;
    let config = &context.config;
    let (report, drawer) = store.close_period_counted(
        period,
        &config.terminal_id,
        Some("cli"),
        chrono::Utc::now().timestamp(),
        count.as_ref(),
    )?;
    if json {
        let mut output = close_output(&report);
        output.drawer = drawer;
        print_json(&output)?;
    } else {
        print_z_ticket(&report, &config.locale);
        if let Some(d) = &drawer {
            let m = |c: i64| money(Cents::new(c), &config.locale);
            println!(
                "  drawer counted {} ({})",
                m(d.counted_cents),
                d.denominations
            );
            println!("  drawer expected {}", m(d.expected_cash_cents));
            println!("  drawer difference {}", m(d.difference_cents));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn close_output(r: &ClosingReport) -> CloseOutput {
    CloseOutput {
        closing: r.id,
        period: r.period.as_str(),
        terminal: r.terminal.clone(),
        created_at: rfc3339(r.created_at),
        from_sequence: r.from_sequence,
        to_sequence: r.to_sequence,
        ticket_count: r.totals.ticket_count,
        total_cents: r.totals.total,
        vat: r.totals.vat.clone(),
        payments: r.totals.payments.clone(),
        grand_total_cents: r.grand_total,
        discounts: r.discounts.clone(),
        sequence: r.entry_sequence,
        hash: r.entry_hash.clone(),
        drawer: None,
    }
}

fn print_z_ticket(r: &ClosingReport, locale: &str) {
    let m = |c: i64| money(Cents::new(c), locale);
    println!(
        "Z — {} closing, terminal {}, {}",
        r.period.as_str(),
        r.terminal,
        rfc3339(r.created_at)
    );
    println!(
        "  journal entries {}–{}",
        r.from_sequence + 1,
        r.to_sequence
    );
    println!("  tickets {}", r.totals.ticket_count);
    super::output::print_period_lines(&r.totals.vat, &r.totals.payments, locale);
    println!("  period total {}", m(r.totals.total));
    for d in &r.discounts {
        println!(
            "  discounts {} {}: {} on {} lines",
            d.kind,
            d.name.as_deref().unwrap_or(&d.key),
            m(d.amount_cents),
            d.lines
        );
    }
    println!("  perpetual grand total {}", m(r.grand_total));
    println!(
        "  entry #{} {}…",
        r.entry_sequence,
        &r.entry_hash[..16.min(r.entry_hash.len())]
    );
}

pub fn training(context: &CommandContext, on: bool) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    let (entry, _) = store.set_training_mode(
        on,
        &context.config.terminal_id,
        Some("cli"),
        chrono::Utc::now().timestamp(),
    )?;
    println!(
        "training mode {} (journal entry #{})",
        if on {
            "on: tickets are marked MODE FORMATION and count nowhere"
        } else {
            "off"
        },
        entry.sequence
    );
    Ok(ExitCode::SUCCESS)
}

/// What the export's README says, for an auditor.
const EXPORT_README: &str = "Comptoir fiscal journal export\n\
==============================\n\n\
journal-<terminal>.jsonl  one entry per line: {\"entry\": <canonical entry>, \"hash\": \"<hex>\"}\n\
journal-<terminal>.csv    the same entries as a table (amounts in euro cents, times in UTC)\n\
closings-<terminal>.csv   day/month/year closings (Z), with the sequence and hash of their entry\n\
verification.json         the result of `comptoir journal verify` when the export was made\n\n\
To verify without Comptoir: for each line of the .jsonl file, serialise \"entry\" as JSON with\n\
its keys in alphabetical order and no spaces (it is already written that way), compute\n\
SHA-256 of those bytes: it must equal \"hash\". Each entry's \"previous_hash\" must equal the hash\n\
of the entry before it (64 zeros for sequence 1), and sequences must run 1, 2, 3… with no gap.\n\
Amounts are integers in euro cents; VAT rates are basis points (2000 = 20 %).\n";

pub fn export(context: &CommandContext, out: &Path) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    // The export is itself a journaled event, recorded before the entries are written so that
    // the export contains it.
    store.journal_event(EntryDraft::technical(
        &context.config.terminal_id,
        Some("cli"),
        "export",
        chrono::Utc::now().timestamp(),
    ))?;
    let write = |name: &str| -> anyhow::Result<BufWriter<File>> {
        let path = out.join(name);
        Ok(BufWriter::new(File::create(&path).with_context(|| {
            format!("cannot write {}", path.display())
        })?))
    };
    let mut verification = Vec::new();
    for terminal in store.journal_terminals()? {
        let bar = progress_bar(store.journal_len(&terminal)? as u64, "exporting");
        let mut jsonl = write(&format!("journal-{terminal}.jsonl"))?;
        let mut csv = write(&format!("journal-{terminal}.csv"))?;
        writeln!(
            csv,
            "sequence,created_at_utc,kind,reference,operator,training,total_cents,detail,previous_hash,hash"
        )?;
        store
            .for_each_journal_entry(&terminal, &mut |entry, hash| {
                writeln!(
                    jsonl,
                    "{{\"entry\":{},\"hash\":\"{hash}\"}}",
                    entry.canonical()
                )?;
                writeln!(
                    csv,
                    "{},{},{},{},{},{},{},{},{},{}",
                    entry.sequence,
                    rfc3339(entry.created_at),
                    entry.kind.as_str(),
                    csv_field(entry.reference.as_deref().unwrap_or("")),
                    csv_field(entry.operator.as_deref().unwrap_or("")),
                    entry.training,
                    entry.total,
                    csv_field(entry.detail.as_deref().unwrap_or("")),
                    entry.previous_hash,
                    hash
                )?;
                bar.inc(1);
                Ok(())
            })?
            .context("cannot write the journal export")?;
        bar.finish_and_clear();
        jsonl.flush()?;
        csv.flush()?;
        let mut closings = write(&format!("closings-{terminal}.csv"))?;
        writeln!(
            closings,
            "id,period,from_sequence,to_sequence,ticket_count,total_cents,grand_total_cents,entry_sequence,entry_hash,created_at_utc"
        )?;
        for c in store.closings(&terminal)? {
            writeln!(
                closings,
                "{},{},{},{},{},{},{},{},{},{}",
                c.id,
                c.period,
                c.from_sequence,
                c.to_sequence,
                c.ticket_count,
                c.total_cents,
                c.grand_total,
                c.entry_sequence,
                c.entry_hash,
                rfc3339(c.created_at)
            )?;
        }
        closings.flush()?;
        let result = store.verify_journal(&terminal, &mut |_| {})?;
        verification.push(serde_json::json!({
            "terminal": terminal,
            "entries": result.entries,
            "last_sequence": result.tip.as_ref().map(|t| t.0),
            "last_hash": result.tip.as_ref().map(|t| t.1.clone()),
            "intact": result.problem.is_none(),
            "problem": result.problem.as_ref().map(|p| p.to_string()),
        }));
    }
    std::fs::write(
        out.join("verification.json"),
        serde_json::to_string_pretty(&verification)?,
    )?;
    std::fs::write(out.join("README.txt"), EXPORT_README)?;
    println!("journal exported to {}", out.display());
    Ok(ExitCode::SUCCESS)
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}
