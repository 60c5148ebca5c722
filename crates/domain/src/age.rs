//! How old a figure is, in the coarse steps a shop assistant reads at a glance ("3 min ago",
//! "yesterday"). Network stock always shows its age (DESIGN.md, "Stock"); each front end renders
//! an [`Age`] in its own language.

/// The age of a figure, rounded down to the unit that matters at that distance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Age {
    /// Less than a minute, or a clock slightly ahead of ours.
    JustNow,
    Minutes(i64),
    Hours(i64),
    /// Between 24 and 48 hours.
    Yesterday,
    Days(i64),
}

impl Age {
    /// The age of something known at `as_of` seen at `now` (both Unix seconds, UTC).
    pub fn between(as_of: i64, now: i64) -> Age {
        let seconds = now.saturating_sub(as_of);
        match seconds {
            s if s < 60 => Age::JustNow,
            s if s < 3_600 => Age::Minutes(s / 60),
            s if s < 86_400 => Age::Hours(s / 3_600),
            s if s < 2 * 86_400 => Age::Yesterday,
            s => Age::Days(s / 86_400),
        }
    }

    pub fn english(self) -> String {
        match self {
            Age::JustNow => "just now".to_owned(),
            Age::Minutes(m) => format!("{m} min ago"),
            Age::Hours(h) => format!("{h} h ago"),
            Age::Yesterday => "yesterday".to_owned(),
            Age::Days(d) => format!("{d} days ago"),
        }
    }

    pub fn french(self) -> String {
        match self {
            Age::JustNow => "à l'instant".to_owned(),
            Age::Minutes(m) => format!("il y a {m} min"),
            Age::Hours(h) => format!("il y a {h} h"),
            Age::Yesterday => "hier".to_owned(),
            Age::Days(d) => format!("il y a {d} jours"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_round_down_to_their_unit() {
        let now = 1_000_000;
        let cases = [
            (0, Age::JustNow),
            (-30, Age::JustNow),
            (59, Age::JustNow),
            (60, Age::Minutes(1)),
            (3 * 60 + 59, Age::Minutes(3)),
            (3_600, Age::Hours(1)),
            (86_399, Age::Hours(23)),
            (86_400, Age::Yesterday),
            (2 * 86_400, Age::Days(2)),
        ];
        for (seconds_ago, age) in cases {
            assert_eq!(Age::between(now - seconds_ago, now), age, "{seconds_ago}");
        }
    }

    #[test]
    fn both_languages_read_naturally() {
        assert_eq!(Age::Minutes(3).french(), "il y a 3 min");
        assert_eq!(Age::Yesterday.french(), "hier");
        assert_eq!(Age::Minutes(3).english(), "3 min ago");
    }
}
