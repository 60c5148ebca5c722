//! Cleans what a keyboard-wedge scanner typed into the kiosk's key catcher (where it goes is
//! `app::scan_route`'s decision, as on every screen). Pure.

/// Longer than any code a scanner sends (a GS1 DataMatrix holds at most 3 116 characters): the
/// rest of such a text is keys leaning on the screen's keyboard port, not a code.
const MAX_SCAN_CHARS: usize = 4_096;

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
