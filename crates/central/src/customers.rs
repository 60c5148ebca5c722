//! What a customer search means, before any SQL: an e-mail address, a phone number, or the
//! beginning of a name; and the folded keys names are matched on ("helene" finds "Hélène",
//! "jean-pi" finds "Jean-Pierre"). Pure: no SQL, no I/O, and nothing here is ever logged (a
//! search text is personal data).

use unicode_normalization::UnicodeNormalization;

use comptoir_domain::customer::{email_key, phone_key};

/// Hits a search answers when the terminal does not say.
pub const DEFAULT_SEARCH_LIMIT: u32 = 20;
/// Most hits a search answers: a list staff can still read on a counter screen.
pub const MAX_SEARCH_LIMIT: u32 = 100;

/// Most ways a name search splits its words between first and last name.
const MAX_SPLITS: usize = 4;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error(
        "the search text is empty: give the beginning of a first or last name, an e-mail address or a phone number"
    )]
    Empty,
    #[error(
        "type at least {MIN_NAME_CHARS} letters of a name: a shorter beginning lists too many customers"
    )]
    TooShort,
}

/// The shortest beginning of a name a search takes: 26 one-letter searches would otherwise list
/// the whole chain's customers in a fraction of a second.
pub const MIN_NAME_CHARS: usize = 3;

/// A search, as the central's store runs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomerQuery {
    /// Exactly this e-mail key ([`email_key`]).
    Email(String),
    /// Exactly this phone key ([`phone_key`]).
    Phone(String),
    /// Names beginning with `whole` (first or last name), or, for two words or more, one name
    /// that is the words before a space and the other beginning with the words after it, in
    /// either order ("lea mar", "martin lea", "jean pierre mar"): one pair per space.
    Name {
        whole: String,
        splits: Vec<(String, String)>,
    },
}

impl CustomerQuery {
    pub fn parse(text: &str) -> Result<CustomerQuery, SearchError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SearchError::Empty);
        }
        if text.contains('@') {
            return Ok(CustomerQuery::Email(email_key(text)));
        }
        // No letter and some digits: a phone number however it is spelt ("06 12…", "+33 6…").
        let phone = phone_key(text);
        if !phone.is_empty() && !text.chars().any(char::is_alphabetic) {
            return Ok(CustomerQuery::Phone(phone));
        }
        let whole = name_key(text);
        if whole.is_empty() {
            return Err(SearchError::Empty);
        }
        if whole.chars().filter(|c| c.is_alphanumeric()).count() < MIN_NAME_CHARS {
            return Err(SearchError::TooShort);
        }
        // Bounded: each split adds two index walks, and nobody types a six-word name.
        let splits = whole
            .match_indices(' ')
            .take(MAX_SPLITS)
            .map(|(at, _)| (whole[..at].to_owned(), whole[at + 1..].to_owned()))
            .collect();
        Ok(CustomerQuery::Name { whole, splits })
    }
}

/// A name folded for prefix matching: lower case, accents and ligatures dropped, hyphens and
/// apostrophes read as spaces, spaces collapsed. French names need all of it: "Lefèvre",
/// "Jean-Pierre", "D'Almeida", "Cœur".
pub fn name_key(name: &str) -> String {
    let folded: String = name
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            '-' | '\'' | '’' | '.' => ' ',
            other => other,
        })
        .collect::<String>()
        .replace('œ', "oe")
        .replace('æ', "ae");
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The exclusive upper bound of the keys that begin with `prefix`: SQLite compares text as
/// UTF-8 bytes, and no character sorts after U+10FFFF, so `key >= prefix AND key < bound` is a
/// prefix match that walks an index (LIKE would not, with its ASCII-only case folding).
pub fn prefix_bound(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// A search limit: the default when absent, at most [`MAX_SEARCH_LIMIT`].
pub fn search_limit(asked: Option<u32>) -> u32 {
    asked
        .unwrap_or(DEFAULT_SEARCH_LIMIT)
        .clamp(1, MAX_SEARCH_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_the_french_way() {
        for (name, key) in [
            ("Hélène", "helene"),
            ("LEFÈVRE", "lefevre"),
            ("Jean-Pierre", "jean pierre"),
            ("D’Almeida", "d almeida"),
            ("  Noémie  ", "noemie"),
            ("Cœur", "coeur"),
            ("Zoé", "zoe"),
        ] {
            assert_eq!(name_key(name), key, "{name}");
        }
    }

    #[test]
    fn a_search_text_says_what_it_is() {
        type Case = (&'static str, Result<CustomerQuery, SearchError>);
        let name = |whole: &str, splits: &[(&str, &str)]| {
            Ok(CustomerQuery::Name {
                whole: whole.into(),
                splits: splits
                    .iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
            })
        };
        let cases: Vec<Case> = vec![
            (
                " Lea.Martin@Example.org",
                Ok(CustomerQuery::Email("lea.martin@example.org".into())),
            ),
            (
                "+33 6 39 98 00 42",
                Ok(CustomerQuery::Phone("0639980042".into())),
            ),
            ("06.39.98", Ok(CustomerQuery::Phone("063998".into()))),
            ("Hél", name("hel", &[])),
            ("lea mar", name("lea mar", &[("lea", "mar")])),
            (
                "Jean-Pierre Mar",
                name(
                    "jean pierre mar",
                    &[("jean", "pierre mar"), ("jean pierre", "mar")],
                ),
            ),
            ("", Err(SearchError::Empty)),
            ("   ", Err(SearchError::Empty)),
            ("--", Err(SearchError::Empty)),
            // One or two letters would list the chain's customers 26 searches at a time.
            ("a", Err(SearchError::TooShort)),
            ("Lé", Err(SearchError::TooShort)),
            ("l-a", Err(SearchError::TooShort)),
        ];
        for (text, expected) in cases {
            assert_eq!(CustomerQuery::parse(text), expected, "{text:?}");
        }
    }

    #[test]
    fn prefixes_bound_every_longer_key() {
        let bound = prefix_bound("mar");
        for key in ["mar", "martin", "marzzz", "mar\u{FFFF}"] {
            assert!(key >= "mar" && key < bound.as_str(), "{key}");
        }
        assert!("mas" > bound.as_str());
        assert_eq!(search_limit(None), 20);
        assert_eq!(search_limit(Some(1_000)), 100);
        assert_eq!(search_limit(Some(0)), 1);
    }
}
