//! The themes' colour pairs meet WCAG 2.1 AA for text (contrast ≥ 4.5:1, success criterion
//! 1.4.3), checked on the `.slint` files themselves so that a colour changed there is checked
//! without anyone remembering to (issue 17, item 3).

/// Foreground on background, as the pages use them.
const STAFF_PAIRS: &[(&str, &str)] = &[
    ("text", "background"),
    ("text", "surface"),
    ("text", "surface-alt"),
    ("text-muted", "background"),
    ("text-muted", "surface"),
    ("text-muted", "surface-alt"),
    ("primary", "surface"),
    ("primary", "background"),
    ("on-primary", "primary"),
    ("on-primary", "primary-pressed"),
    ("success", "background"),
    ("success", "surface"),
    ("success", "surface-alt"),
    ("warning", "surface"),
    ("warning", "surface-alt"),
    ("warning", "warning-bg"),
    ("danger", "surface"),
    ("danger", "surface-alt"),
    ("danger", "danger-bg"),
    ("on-status-bar", "status-bar"),
    ("primary", "selected-bg"),
    ("on-training", "training"),
];

const KIOSK_PAIRS: &[(&str, &str)] = &[
    ("text", "background"),
    ("text", "surface"),
    ("text", "surface-alt"),
    ("text-muted", "background"),
    ("text-muted", "surface"),
    ("primary", "surface"),
    ("on-primary", "primary"),
    ("on-primary", "primary-pressed"),
    ("success", "success-bg"),
    ("success", "surface"),
    ("danger", "danger-bg"),
    ("danger", "surface"),
    ("on-countdown", "countdown"),
];

/// `name: #rrggbb` of every colour property of a theme file.
fn colours(theme: &str) -> Vec<(String, [u8; 3])> {
    theme
        .lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("out property <color> ")?;
            let (name, value) = rest.split_once(':')?;
            let hex = value.trim().strip_prefix('#')?.strip_suffix(';')?;
            let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
            Some((name.trim().to_owned(), [byte(0)?, byte(2)?, byte(4)?]))
        })
        .collect()
}

/// WCAG 2.1 relative luminance.
fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The pairs below 4.5:1, as "fg on bg: ratio".
fn too_faint(theme: &str, pairs: &[(&str, &str)]) -> Vec<String> {
    let colours = colours(theme);
    let colour = |name: &str| {
        colours
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| *c)
            .unwrap_or_else(|| panic!("the theme has no colour {name}"))
    };
    pairs
        .iter()
        .filter_map(|(fg, bg)| {
            let ratio = contrast(colour(fg), colour(bg));
            (ratio < 4.5).then(|| format!("{fg} on {bg}: {ratio:.2}:1"))
        })
        .collect()
}

#[test]
fn the_contrast_formula_is_wcag_s() {
    assert!((contrast([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
    assert!((contrast([119, 119, 119], [255, 255, 255]) - 4.48).abs() < 0.01);
}

#[test]
fn a_faint_pair_is_caught() {
    let theme = "out property <color> text: #2e7d32;\nout property <color> surface-alt: #ebe6dc;";
    assert_eq!(
        too_faint(theme, &[("text", "surface-alt")]),
        ["text on surface-alt: 4.12:1"]
    );
}

#[test]
fn every_text_colour_of_both_themes_is_readable_on_its_backgrounds() {
    let staff = too_faint(include_str!("../../ui/theme.slint"), STAFF_PAIRS);
    assert!(staff.is_empty(), "staff theme: {staff:?}");
    let kiosk = too_faint(
        include_str!("../../ui/kiosk/kiosk-theme.slint"),
        KIOSK_PAIRS,
    );
    assert!(kiosk.is_empty(), "kiosk theme: {kiosk:?}");
}
