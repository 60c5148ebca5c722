//! Multi-row statements: many rows in one statement, so that a push of 500 sales costs a few
//! round trips to PostgreSQL instead of thousands (issue 18's ingest). Written in the SQL both
//! backends read (`VALUES (…), (…)`), with `?N` placeholders like every other statement.
//!
//! The rows go in chunks whose sizes are powers of two up to [`MAX_ROWS`]: each size is one
//! statement text, prepared once per connection, so a connection keeps at most nine texts per
//! statement whatever the batches' sizes (every size its own text would be hundreds of plans
//! held by the server for each connection).

use crate::sql::Param;

/// The most rows in one statement: 256 rows of 8 columns is 2,048 parameters, far below both
/// backends' limits (PostgreSQL 65,535; SQLite 32,766).
pub const MAX_ROWS: usize = 256;

/// `rows` cut into chunks of [`MAX_ROWS`], then of decreasing powers of two.
pub fn chunks<T>(rows: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = rows;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let size = if rest.len() >= MAX_ROWS {
            MAX_ROWS
        } else {
            // The largest power of two not above what is left.
            1 << (usize::BITS - 1 - rest.len().leading_zeros())
        };
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        Some(chunk)
    })
}

/// `rows` tuples of `columns`, numbered from `?first`: each column is a template whose `_` is
/// the row's next placeholder (`"_"`, or `"CAST(_ AS BIGINT)"` where PostgreSQL cannot infer
/// the type); a template without one is the same in every row (`"NULL"`, a fixed `"?1"`).
pub fn tuples(first: usize, rows: usize, columns: &[&str]) -> String {
    let mut out = String::with_capacity(rows * columns.len() * 8);
    let mut n = first;
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if column.contains('_') {
                out.push_str(&column.replace('_', &format!("?{n}")));
                n += 1;
            } else {
                out.push_str(column);
            }
        }
        out.push(')');
    }
    out
}

/// `?first, ?first+1, …`: a list for `IN (…)`.
pub fn list(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("?{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The parameters of a statement: the fixed ones, then each row's.
pub fn params<'a, T>(
    fixed: &[&'a dyn Param],
    rows: &'a [T],
    row: impl Fn(&'a T) -> Vec<&'a dyn Param>,
) -> Vec<&'a dyn Param> {
    let mut out = fixed.to_vec();
    for r in rows {
        out.extend(row(r));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_powers_of_two_up_to_the_most_rows() {
        let rows: Vec<u32> = (0..700).collect();
        let sizes: Vec<usize> = chunks(&rows).map(<[u32]>::len).collect();
        assert_eq!(sizes, vec![256, 256, 128, 32, 16, 8, 4]);
        let back: Vec<u32> = chunks(&rows).flatten().copied().collect();
        assert_eq!(back, rows);
        assert_eq!(chunks::<u32>(&[]).count(), 0);
        assert_eq!(chunks(&[1]).map(<[i32]>::len).collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn tuples_number_their_placeholders_from_the_first() {
        assert_eq!(
            tuples(3, 2, &["_", "CAST(_ AS BIGINT)"]),
            "(?3, CAST(?4 AS BIGINT)), (?5, CAST(?6 AS BIGINT))"
        );
        assert_eq!(
            tuples(2, 2, &["?1", "_", "NULL"]),
            "(?1, ?2, NULL), (?1, ?3, NULL)"
        );
        assert_eq!(list(2, 3), "?2, ?3, ?4");
    }

    #[test]
    fn a_multi_row_statement_runs_through_the_surface() {
        let mut conn = rusqlite::Connection::open_in_memory().expect("memory");
        let tx = crate::sql::Tx::sqlite(conn.transaction().expect("tx"));
        tx.execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER)")
            .expect("table");
        let rows: Vec<(String, i64)> = (0..300).map(|i| (format!("k{i}"), i)).collect();
        for chunk in chunks(&rows) {
            let sql = format!(
                "INSERT INTO t (k, n) VALUES {}",
                tuples(1, chunk.len(), &["_", "_"])
            );
            let values = params(&[], chunk, |(k, n)| vec![k as &dyn Param, n]);
            tx.execute(&sql, &values).expect("insert");
        }
        let sum: i64 = tx
            .query_row("SELECT sum(n) FROM t", crate::sql::params![], |row| {
                row.get(0)
            })
            .expect("sum");
        assert_eq!(sum, (0..300).sum::<i64>());
    }
}
