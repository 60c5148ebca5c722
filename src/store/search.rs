//! Product search by name with SQLite FTS5: accents and case folded by the tokenizer, prefix
//! matching for typing-as-you-go, and a ranking that puts products whose name holds the typed
//! words exactly before those that only match a prefix ("pull" ranks « Pull col V » before
//! « Pullover »), each group ordered by bm25 with the name weighing more than the brand.

use rusqlite::params;

use super::catalog::{gtin_from_key, price_unit_from};
use super::{Result, Store};
use crate::domain::catalog::SearchHit;
use crate::domain::money::Cents;

/// The most words of a query that are searched; the rest are ignored.
const MAX_TERMS: usize = 8;

/// The search SQL, public so that the benchmark can time it bare beside the use case.
pub const SEARCH_SQL: &str = "SELECT p.gtin, p.name, b.name, p.price_cents, p.price_unit, \
     coalesce(s.qty, 0) \
     FROM (SELECT rowid AS id, rank FROM product_search WHERE product_search MATCH ?1 \
           ORDER BY rank LIMIT ?2) m \
     JOIN product p ON p.gtin = m.id \
     JOIN brand b ON b.id = p.brand_id \
     LEFT JOIN stock s ON s.gtin = p.gtin \
          AND s.location_id = (SELECT id FROM location WHERE code = ?3) \
     ORDER BY m.rank";

/// The FTS5 expressions for a user's query: every word exactly, then every word as a prefix.
/// Only letters and digits reach FTS5, each word quoted, so no input can inject FTS syntax.
#[derive(Debug, PartialEq, Eq)]
pub struct SearchExpressions {
    pub exact: String,
    pub prefix: String,
}

impl SearchExpressions {
    /// `None` when the query holds no letter or digit.
    pub fn from_query(query: &str) -> Option<SearchExpressions> {
        let words: Vec<&str> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(MAX_TERMS)
            .collect();
        if words.is_empty() {
            return None;
        }
        let exact = words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(" ");
        // A one-letter prefix ("l" of « l'été ») would match most of the catalogue: such words
        // count exactly, unless the query is that one letter.
        let prefix = words
            .iter()
            .map(|w| {
                if w.chars().count() > 1 || words.len() == 1 {
                    format!("\"{w}\"*")
                } else {
                    format!("\"{w}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        Some(SearchExpressions { exact, prefix })
    }
}

impl Store {
    /// The best `limit` products for `query`, with their stock at `here_code`.
    pub fn search_products(
        &self,
        query: &str,
        limit: usize,
        here_code: &str,
    ) -> Result<Vec<SearchHit>> {
        let Some(expressions) = SearchExpressions::from_query(query) else {
            return Ok(Vec::new());
        };
        let mut hits = self.search_expression(&expressions.exact, limit, here_code)?;
        if hits.len() < limit {
            // The prefix pass finds the exact matches again; ask for enough to fill the rest.
            let wanted = limit + hits.len();
            for hit in self.search_expression(&expressions.prefix, wanted, here_code)? {
                if hits.len() == limit {
                    break;
                }
                if !hits.iter().any(|h| h.gtin == hit.gtin) {
                    hits.push(hit);
                }
            }
        }
        Ok(hits)
    }

    fn search_expression(
        &self,
        expression: &str,
        limit: usize,
        here_code: &str,
    ) -> Result<Vec<SearchHit>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare_cached(SEARCH_SQL)?;
        let rows = stmt.query_map(params![expression, limit, here_code], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, i64>(5)?,
            ))
        })?;
        rows.map(|row| {
            let (gtin, name, brand, price, unit, stock_here) = row?;
            Ok(SearchHit {
                gtin: gtin_from_key(gtin)?,
                name,
                brand,
                price: Cents::new(price),
                price_unit: price_unit_from(&unit)?,
                stock_here,
            })
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_become_quoted_words() {
        let cases = [
            ("chaussure", "\"chaussure\"", "\"chaussure\"*"),
            ("Pull  laine", "\"Pull\" \"laine\"", "\"Pull\"* \"laine\"*"),
            ("l'été", "\"l\" \"été\"", "\"l\" \"été\"*"),
            (
                "\"NEAR(a b)\" OR *",
                "\"NEAR\" \"a\" \"b\" \"OR\"",
                "\"NEAR\"* \"a\" \"b\" \"OR\"*",
            ),
        ];
        for (query, exact, prefix) in cases {
            let e = SearchExpressions::from_query(query).expect(query);
            assert_eq!(e.exact, exact, "{query}");
            assert_eq!(e.prefix, prefix, "{query}");
        }
    }

    #[test]
    fn a_query_without_words_searches_nothing() {
        for query in ["", "   ", "*", "\"\"", "-+()"] {
            assert_eq!(SearchExpressions::from_query(query), None, "{query:?}");
        }
    }
}
