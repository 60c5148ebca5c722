//! SQLite's dynamic values on PostgreSQL's typed wire: a parameter is written as the type the
//! server inferred for it, and a column is read whatever its type (a `SUM` of BIGINT comes back
//! as NUMERIC, a comparison as BOOL), so the one SQL text serves both backends.

use std::error::Error as StdError;

use bytes::BytesMut;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

use super::value::ValueRef;

type BoxError = Box<dyn StdError + Sync + Send>;

/// A parameter as PostgreSQL takes it.
#[derive(Debug)]
pub(super) struct PgParam<'a>(pub ValueRef<'a>);

fn is_text(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
    )
}

impl ToSql for PgParam<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self.0 {
            ValueRef::Null => Ok(IsNull::Yes),
            ValueRef::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
                Type::BOOL => (i != 0).to_sql(ty, out),
                Type::FLOAT8 => (i as f64).to_sql(ty, out),
                _ if is_text(ty) => i.to_string().as_str().to_sql(ty, out),
                _ => Err(mismatch(self.0, ty)),
            },
            ValueRef::Real(r) => match *ty {
                Type::FLOAT8 => r.to_sql(ty, out),
                Type::FLOAT4 => (r as f32).to_sql(ty, out),
                _ => Err(mismatch(self.0, ty)),
            },
            ValueRef::Text(s) if is_text(ty) => s.to_sql(ty, out),
            ValueRef::Blob(b) if *ty == Type::BYTEA => b.to_sql(ty, out),
            other => Err(mismatch(other, ty)),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn mismatch(value: ValueRef<'_>, ty: &Type) -> BoxError {
    format!("{} cannot be sent as PostgreSQL's {ty}", value.kind()).into()
}

/// A column as PostgreSQL gives it, in SQLite's terms.
pub(super) struct PgValue<'a>(pub ValueRef<'a>);

impl<'a> FromSql<'a> for PgValue<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let value = match *ty {
            Type::INT8 => ValueRef::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => ValueRef::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => ValueRef::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => ValueRef::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => ValueRef::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => ValueRef::Real(f32::from_sql(ty, raw)?.into()),
            Type::NUMERIC => ValueRef::Int(numeric_integer(raw)?),
            Type::BYTEA => ValueRef::Blob(raw),
            _ if is_text(ty) => ValueRef::Text(<&str>::from_sql(ty, raw)?),
            _ => return Err(format!("PostgreSQL's {ty} is not read by the central").into()),
        };
        Ok(PgValue(value))
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(PgValue(ValueRef::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A NUMERIC that holds an integer (the `SUM` of BIGINT columns) as an `i64`. Its binary form:
/// digit count, weight (the power of 10,000 of the first digit), sign, display scale, then
/// base-10,000 digits. A fraction or an overflow is refused rather than rounded: these are
/// amounts of money and counts.
fn numeric_integer(raw: &[u8]) -> Result<i64, BoxError> {
    let word = |i: usize| -> Result<u16, BoxError> {
        raw.get(i * 2..i * 2 + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "a NUMERIC value cut short".into())
    };
    let digits = usize::from(word(0)?);
    let weight = i32::from(word(1)? as i16);
    let sign = word(2)?;
    let mut value: i128 = 0;
    for i in 0..digits {
        let digit = i128::from(word(4 + i)?);
        let power = weight - i as i32;
        if power < 0 {
            if digit != 0 {
                return Err("a NUMERIC with a fraction where an integer was expected".into());
            }
            continue;
        }
        value += digit
            * 10_000i128
                .checked_pow(power as u32)
                .ok_or("NUMERIC too large")?;
        if value > i128::from(i64::MAX) {
            return Err("a NUMERIC beyond 64 bits".into());
        }
    }
    match sign {
        0x0000 => Ok(value as i64),
        0x4000 => Ok(-(value as i64)),
        _ => Err("a NUMERIC that is not a number".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(weight: i16, sign: u16, digits: &[u16]) -> Vec<u8> {
        let mut raw = Vec::new();
        for word in [digits.len() as u16, weight as u16, sign, 0] {
            raw.extend(word.to_be_bytes());
        }
        for d in digits {
            raw.extend(d.to_be_bytes());
        }
        raw
    }

    #[test]
    fn an_integral_numeric_reads_as_i64_and_a_fraction_is_refused() {
        // 123,456,789 = 1·10000² + 2345·10000 + 6789
        assert_eq!(
            numeric_integer(&numeric(2, 0, &[1, 2345, 6789])).ok(),
            Some(123_456_789)
        );
        assert_eq!(
            numeric_integer(&numeric(1, 0x4000, &[12])).ok(),
            Some(-120_000)
        );
        assert_eq!(numeric_integer(&numeric(0, 0, &[])).ok(), Some(0));
        assert!(numeric_integer(&numeric(0, 0, &[1, 5000])).is_err());
        assert!(numeric_integer(&numeric(5, 0, &[1])).is_err());
        assert!(numeric_integer(&[0, 1]).is_err());
    }
}
