//! Where a scanned code goes on the kiosk: a loyalty card opens the customer page, anything else
//! is looked up as a product (which says in plain words when it is not one). Also cleans what a
//! keyboard-wedge scanner typed into the kiosk's key catcher. Pure.

use crate::domain::scan::{ScanConfig, ScanKind, parse_scan};

/// Longer than any code a scanner sends (a GS1 DataMatrix holds at most 3 116 characters): the
/// rest of such a text is keys leaning on the screen's keyboard port, not a code.
const MAX_SCAN_CHARS: usize = 4_096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanRoute {
    LoyaltyCard,
    Product,
}

pub fn route(raw: &str, config: &ScanConfig) -> ScanRoute {
    match parse_scan(raw, config).kind {
        ScanKind::Loyalty { .. } => ScanRoute::LoyaltyCard,
        _ => ScanRoute::Product,
    }
}

/// The typed text without the keys that are not characters: Slint reports arrows, function keys
/// and the like as private-use characters, and Escape or Tab as control characters. The GS1
/// separator (ASCII 29) is kept: it is part of a GS1 code.
pub fn clean_typed(text: &str) -> String {
    text.chars()
        .filter(|&c| c == '\u{1d}' || !(c.is_control() || ('\u{e000}'..='\u{f8ff}').contains(&c)))
        .take(MAX_SCAN_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loyalty_cards_and_products_go_their_ways() {
        let config = ScanConfig::default();
        let card = crate::domain::demo::demo_loyalty_code(0, 1_700_000_000);
        let cases = [
            (card.as_str(), ScanRoute::LoyaltyCard),
            ("CPTL1:forged", ScanRoute::LoyaltyCard),
            ("4006381333931", ScanRoute::Product),
            ("hello", ScanRoute::Product),
            ("CPTP1:pickup", ScanRoute::Product),
        ];
        for (raw, expected) in cases {
            assert_eq!(route(raw, &config), expected, "{raw}");
        }
    }

    #[test]
    fn typed_text_keeps_characters_only() {
        let cases = [
            ("4006381333932", "4006381333932"),
            ("\u{f700}\u{f701}4006381333932", "4006381333932"),
            ("\u{1b}\t 3017620422003 ", "3017620422003"),
            ("]C1010123\u{1d}10AB", "]C1010123\u{1d}10AB"),
            ("", ""),
        ];
        for (typed, expected) in cases {
            assert_eq!(clean_typed(typed), expected, "{typed:?}");
        }
        assert_eq!(clean_typed(&"7".repeat(10_000)).len(), MAX_SCAN_CHARS);
    }
}
