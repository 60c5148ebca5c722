//! Where a scan goes, decided once from what the parser made of it and what the screen shows.
//! The staff, pickup and kiosk screens all ask here; none of them looks at the raw text again.
//!
//! The serial scanner's thread already parsed its frames; the camera and a keyboard-wedge
//! scanner give text, which [`parse`] turns into the same [`Scan`]. Pure: no I/O.

use crate::domain::receipt_code::RECEIPT_PREFIX;
use crate::domain::scan::{ScanKind, parse_scan};

pub use crate::domain::scan::{Scan, ScanConfig};

/// Which screen the scan arrived on, and what it has open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// A staff member is logged in on a selling page (scan, product, search, customer,
    /// basket, checkout before payment).
    Selling,
    /// The click-and-collect counter with an order open: a product scan checks one of its
    /// items.
    CheckingOrder,
    /// Nobody is logged in on the staff screen: a scan opens nothing.
    LoggedOut,
    /// The self-service kiosk: products are shown, never sold.
    Kiosk,
    /// The returns page taking goods back without a receipt: a product scan is one more unit
    /// brought back.
    TakingBack,
}

/// What to do with a scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanRoute {
    /// One unit into the open basket (the product card stays one tap away).
    AddToBasket,
    /// The product's card (the kiosk, or a code that is not a product, which the card's
    /// look-up then explains).
    ShowProduct,
    /// Tick one item of the order open at the counter.
    CheckOrderItem,
    /// A loyalty code: identify the customer.
    OpenCustomer,
    /// A pickup code: open the click-and-collect order.
    OpenPickupOrder,
    /// A receipt's code (`CPTR1:`): open its sale on the returns page.
    OpenReturn,
    /// One unit more of a return without a receipt.
    AddToReturn,
    /// Nothing: nobody is there to act on it.
    Ignore,
}

/// The parsed form of text typed by a keyboard-wedge scanner or read by the camera.
pub fn parse(raw: &str, config: &ScanConfig) -> Scan {
    parse_scan(raw, config)
}

/// Whether `scan` is a code a scanner sends (a product, loyalty or pickup code, well formed or
/// not), as opposed to words typed into a search field: a search field hands such a text to
/// [`route`] instead of searching for it, so that a malformed code says why rather than finding
/// nothing.
pub fn is_code(scan: &Scan) -> bool {
    !scan.raw.is_empty() && !matches!(scan.kind, ScanKind::Unknown)
}

/// Where `scan` goes on `screen`.
pub fn route(scan: &Scan, screen: Screen) -> ScanRoute {
    match (screen, &scan.kind) {
        (Screen::LoggedOut, _) => ScanRoute::Ignore,
        (_, ScanKind::Loyalty { .. }) => ScanRoute::OpenCustomer,
        // The kiosk has no pickup counter: the product look-up says this is not a product.
        (Screen::Kiosk, _) => ScanRoute::ShowProduct,
        (_, ScanKind::Pickup { .. }) => ScanRoute::OpenPickupOrder,
        // A receipt brought back: the customer returns something.
        _ if scan.raw.trim_start().starts_with(RECEIPT_PREFIX) => ScanRoute::OpenReturn,
        (Screen::CheckingOrder, _) => ScanRoute::CheckOrderItem,
        (Screen::TakingBack, _) => ScanRoute::AddToReturn,
        // Unknown and malformed codes too: adding them fails with the parser's reason, which
        // the screen shows where the seller is.
        (Screen::Selling, _) => ScanRoute::AddToBasket,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_goes_one_way_per_screen() {
        let config = ScanConfig::default();
        let loyalty = crate::domain::demo::demo_loyalty_code(0, 1_700_000_000);
        let product = "4006381333931";
        let gs1 = "]C10104006381333931\u{1d}10LOT1";
        let pickup = "CPTP1:anything";
        use ScanRoute::*;
        use Screen::*;
        let receipt = "CPTR1:PAR-01:T01-000042:0123456789abcdef";
        let cases: [(&str, Screen, ScanRoute); 24] = [
            (receipt, Selling, OpenReturn),
            (receipt, TakingBack, OpenReturn),
            (product, TakingBack, AddToReturn),
            (&loyalty, TakingBack, OpenCustomer),
            (pickup, TakingBack, OpenPickupOrder),
            (receipt, CheckingOrder, OpenReturn),
            (receipt, LoggedOut, Ignore),
            (receipt, Kiosk, ShowProduct),
            (product, Selling, AddToBasket),
            (gs1, Selling, AddToBasket),
            ("hello", Selling, AddToBasket),
            (&loyalty, Selling, OpenCustomer),
            (pickup, Selling, OpenPickupOrder),
            (product, CheckingOrder, CheckOrderItem),
            (&loyalty, CheckingOrder, OpenCustomer),
            (pickup, CheckingOrder, OpenPickupOrder),
            (product, LoggedOut, Ignore),
            (&loyalty, LoggedOut, Ignore),
            (pickup, LoggedOut, Ignore),
            (product, Kiosk, ShowProduct),
            (&loyalty, Kiosk, OpenCustomer),
            ("CPTL1:forged", Kiosk, OpenCustomer),
            (pickup, Kiosk, ShowProduct),
            ("hello", Kiosk, ShowProduct),
        ];
        for (raw, screen, expected) in cases {
            assert_eq!(
                route(&parse(raw, &config), screen),
                expected,
                "{raw} on {screen:?}"
            );
        }
    }

    #[test]
    fn codes_are_told_from_search_words() {
        let config = ScanConfig::default();
        for raw in ["4006381333931", "]C10104006381333931", "CPTL1:x", "CPTP1:y"] {
            assert!(is_code(&parse(raw, &config)), "{raw}");
        }
        for raw in ["pull laine", "chemise", ""] {
            assert!(!is_code(&parse(raw, &config)), "{raw}");
        }
    }
}
