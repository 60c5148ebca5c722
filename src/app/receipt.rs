//! Receipts: the one the customer asks for after a sale (French law since 2023: never printed
//! unless asked), by e-mail when they have agreed to e-mails, and duplicates printed or shown
//! again later, journaled as such. The central sends the mail, to the address it holds for the
//! customer or to one typed at the counter (passed through, never logged): the logs name a
//! ticket, never a person.

use crate::config::Config;
pub use crate::devices::printer::PrinterError;
use crate::devices::printer::print_receipt;
use crate::domain::journal::EntryKind;
use crate::domain::receipt::{Receipt, Shop};
use crate::domain::receipt_code::ReceiptCode;
use crate::store::{EmailReceipt, EntryDraft, Store, StoreError, StoredSale, TypedEmail};

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("no sale has the ticket number {0}")]
    UnknownTicket(String),
    #[error("the sale {0} has no identified customer to e-mail its receipt to: type their address")]
    NoCustomer(String),
    // The address itself is never quoted: errors reach the logs.
    #[error("the address typed is not an e-mail address")]
    BadAddress,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The receipt of a recorded sale.
pub fn receipt_of(sale: &StoredSale, shop: Shop, duplicate: bool) -> Receipt {
    Receipt {
        shop,
        ticket_number: sale.ticket_number.clone(),
        terminal_id: sale.terminal_id.clone(),
        operator: sale.operator.clone(),
        created_at: sale.created_at,
        lines: sale.lines.clone(),
        total: sale.total,
        vat: sale.vat.clone(),
        payments: sale.payments.clone(),
        change: sale.change,
        sequence: sale.journal_sequence,
        hash: sale.journal_hash.clone(),
        training: sale.training,
        duplicate,
        // A training ticket was not a sale: nothing to bring back.
        code: (!sale.training).then(|| {
            ReceiptCode::of(&sale.store_code, &sale.ticket_number, &sale.journal_hash).to_string()
        }),
        exchange: sale.exchange.clone(),
    }
}

/// The receipt of `ticket` as first issued (the customer asked for it at the checkout).
pub fn original(store: &Store, ticket: &str, shop: Shop) -> Result<Receipt, ReceiptError> {
    let sale = store
        .stored_sale(ticket)?
        .ok_or_else(|| ReceiptError::UnknownTicket(ticket.to_owned()))?;
    Ok(receipt_of(&sale, shop, false))
}

/// A duplicate of `ticket`, marked « DUPLICATA »; issuing it is a journal entry.
pub fn duplicate(
    store: &mut Store,
    ticket: &str,
    shop: Shop,
    terminal: &str,
    operator: &str,
    now: i64,
) -> Result<Receipt, ReceiptError> {
    let sale = store
        .stored_sale(ticket)?
        .ok_or_else(|| ReceiptError::UnknownTicket(ticket.to_owned()))?;
    let mut entry = EntryDraft::technical(terminal, Some(operator), "duplicate", now);
    entry.kind = EntryKind::Duplicate;
    entry.reference = Some(ticket.to_owned());
    entry.detail = None;
    store.journal_event(entry)?;
    Ok(receipt_of(&sale, shop, true))
}

/// Queues the receipt of `ticket` for the central to e-mail to the sale's customer (the checkout
/// offers it only to a customer who agreed to e-mails), or to the address `typed` at the
/// counter, which the central forgets once the mail is sent or refused (unless the customer
/// asks to keep it). The sale itself is untouched.
pub fn send_by_email(
    store: &mut Store,
    ticket: &str,
    typed: Option<TypedEmail<'_>>,
    now: i64,
) -> Result<(), ReceiptError> {
    match store.queue_email_receipt(ticket, typed, now)? {
        EmailReceipt::Queued => {
            tracing::info!(ticket, "receipt queued for e-mail");
            Ok(())
        }
        EmailReceipt::UnknownTicket => Err(ReceiptError::UnknownTicket(ticket.to_owned())),
        EmailReceipt::NoCustomer => Err(ReceiptError::NoCustomer(ticket.to_owned())),
        EmailReceipt::BadAddress => Err(ReceiptError::BadAddress),
    }
}

/// Why a receipt did not come out of the printer (the sale is recorded either way).
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error(transparent)]
    Receipt(#[from] ReceiptError),
    #[error(transparent)]
    Printer(#[from] PrinterError),
}

/// Prints the receipt of `ticket` as first issued on the configured printer. The printer may
/// take seconds (up to its timeouts): it prints on a thread of its own, so that the caller goes
/// on serving scans, and `done` gets the outcome there. `false` when no printer is configured.
pub fn print_original(
    store: &Store,
    ticket: &str,
    config: &Config,
    done: impl FnOnce(Result<(), PrintError>) + Send + 'static,
) -> bool {
    let Some(settings) = config.printer_settings() else {
        return false;
    };
    let receipt = original(store, ticket, config.shop());
    let printing =
        std::thread::Builder::new()
            .name("receipt-printer".to_owned())
            .spawn(move || {
                done(receipt.map_err(PrintError::from).and_then(|receipt| {
                    print_receipt(&settings, &receipt).map_err(PrintError::from)
                }))
            });
    if let Err(error) = printing {
        tracing::error!(%error, "cannot start the printing thread");
    }
    true
}
