//! Keeping customer notes factual (GDPR art. 9, CNIL guidance): before a note is saved, find the
//! words that suggest health, religion, politics, opinions or judgements, so staff are warned and
//! can rephrase. A word list, not a judge: it warns, staff decide.
//!
//! Matching folds case and accents ("Enceinte" and "enceinte" alike, "diabete" finds "diabète")
//! and works on whole words; an entry ending in `*` matches any word starting with it
//! ("malad*" finds "malade", "maladie", "maladies").

use unicode_normalization::UnicodeNormalization;

/// The watch list shipped by default: French then English. A store adds or removes words with
/// `note_watch_words` in its configuration.
pub const DEFAULT_WATCH_WORDS: &[&str] = &[
    // Santé
    "malad*",
    "enceinte",
    "grossesse",
    "cancer*",
    "diabet*",
    "handicap*",
    "depress*",
    "medicament*",
    "allergi*",
    "hopital",
    "sante",
    "traitement",
    // Religion
    "religi*",
    "musulman*",
    "juif",
    "juive*",
    "chretien*",
    "catholique*",
    "ramadan",
    "halal",
    "casher",
    // Politique, syndicats
    "politique*",
    "syndica*",
    "communiste*",
    "facho*",
    "fasciste*",
    "electeur*",
    // Opinions et jugements
    "desagreable*",
    "impoli*",
    "radin*",
    "penible*",
    "grincheu*",
    "stupide*",
    "idiot*",
    "bete",
    "moche*",
    "gros",
    "grosse",
    "vieille",
    "agressi*",
    "hysteri*",
    "chiant*",
    "relou*",
    // Health
    "sick*",
    "ill",
    "illness*",
    "pregnan*",
    "diabetes",
    "disabled",
    "disabilit*",
    "medication*",
    "allerg*",
    "hospital*",
    "health*",
    // Religion
    "muslim*",
    "jewish",
    "christian*",
    "catholic*",
    "kosher",
    // Politics
    "politic*",
    "union*",
    "communist*",
    "fascist*",
    "voter*",
    // Opinions and judgements
    "rude",
    "stingy",
    "annoying",
    "stupid",
    "ugly",
    "fat",
    "aggressive",
    "difficult",
    "crazy",
    "lazy",
];

/// The words of `text` that match the watch list `words`, as written in the note, each once, in
/// the order they appear.
pub fn watched_words<S: AsRef<str>>(text: &str, words: &[S]) -> Vec<String> {
    let entries: Vec<(String, bool)> = words
        .iter()
        .filter_map(|w| {
            let w = w.as_ref().trim();
            let (stem, prefix) = match w.strip_suffix('*') {
                Some(stem) => (stem, true),
                None => (w, false),
            };
            let stem = fold(stem);
            (!stem.is_empty()).then_some((stem, prefix))
        })
        .collect();
    let mut found: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let folded = fold(word);
        let hit = entries.iter().any(|(stem, prefix)| {
            if *prefix {
                folded.starts_with(stem.as_str())
            } else {
                folded == *stem
            }
        });
        if hit && !found.iter().any(|f| fold(f) == folded) {
            found.push(word.to_owned());
        }
    }
    found
}

/// Lower case without accents: "Désagréable" → "desagreable".
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Vec<String> {
        watched_words(text, DEFAULT_WATCH_WORDS)
    }

    #[test]
    fn factual_notes_pass() {
        for note in [
            "Préfère la taille M, coupe ajustée",
            "A commandé la veste en bleu marine, à rappeler le 12",
            "Prefers e-mail receipts; size 42 in shoes",
            "Retour accepté : fermeture éclair défectueuse",
        ] {
            assert_eq!(check(note), Vec::<String>::new(), "{note}");
        }
    }

    #[test]
    fn sensitive_words_are_found_whatever_their_case_or_accents() {
        assert_eq!(
            check("Cliente enceinte, très désagréable"),
            ["enceinte", "désagréable"]
        );
        assert_eq!(
            check("DIABÈTE — Maladies chroniques"),
            ["DIABÈTE", "Maladies"]
        );
        assert_eq!(
            check("Very rude, said he is Catholic"),
            ["rude", "Catholic"]
        );
        assert_eq!(check("malade, malade et MALADE"), ["malade"]);
    }

    #[test]
    fn whole_words_only() {
        // "ill" is watched, "will" and "bill" are not; "union" is a stem, "reunion" is not.
        assert_eq!(
            check("He will pay the bill at the reunion"),
            Vec::<String>::new()
        );
        assert_eq!(check("was ill last week"), ["ill"]);
    }

    #[test]
    fn the_list_comes_from_configuration() {
        assert_eq!(
            watched_words("Client VIP exigeant", &["exigeant"]),
            ["exigeant"]
        );
        assert!(watched_words("Client malade", &[] as &[&str]).is_empty());
        assert!(watched_words("anything", &["", " * "]).is_empty());
    }
}
