//! The values that cross the SQL surface: what a statement takes ([`Param`]) and what a row
//! gives ([`FromValue`]). SQLite's five storage classes are the common ground; the PostgreSQL
//! side converts to and from its column types (`super::pg_value`).

use super::{Error, Result};

/// A value as a backend gives it, borrowed from the row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl ValueRef<'_> {
    pub fn kind(&self) -> &'static str {
        match self {
            ValueRef::Null => "NULL",
            ValueRef::Int(_) => "an integer",
            ValueRef::Real(_) => "a real",
            ValueRef::Text(_) => "a text",
            ValueRef::Blob(_) => "a blob",
        }
    }
}

/// Something a statement can take as a parameter.
pub trait Param: Sync {
    fn value(&self) -> ValueRef<'_>;
}

impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> ValueRef<'_> {
        (**self).value()
    }
}

impl<T: Param> Param for Option<T> {
    fn value(&self) -> ValueRef<'_> {
        self.as_ref().map_or(ValueRef::Null, Param::value)
    }
}

impl Param for str {
    fn value(&self) -> ValueRef<'_> {
        ValueRef::Text(self)
    }
}

impl Param for String {
    fn value(&self) -> ValueRef<'_> {
        ValueRef::Text(self)
    }
}

impl Param for [u8] {
    fn value(&self) -> ValueRef<'_> {
        ValueRef::Blob(self)
    }
}

impl Param for Vec<u8> {
    fn value(&self) -> ValueRef<'_> {
        ValueRef::Blob(self)
    }
}

impl<const N: usize> Param for [u8; N] {
    fn value(&self) -> ValueRef<'_> {
        ValueRef::Blob(self)
    }
}

impl Param for bool {
    fn value(&self) -> ValueRef<'_> {
        ValueRef::Int(i64::from(*self))
    }
}

impl Param for f64 {
    fn value(&self) -> ValueRef<'_> {
        ValueRef::Real(*self)
    }
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> ValueRef<'_> {
                ValueRef::Int(i64::from(*self))
            }
        }
    )*};
}
int_param!(i64, i32, i16, u32, u16, u8);

/// Counts beyond `i64::MAX` do not exist in a store; one would be a bug upstream, so it is
/// written as the largest value rather than wrapped.
macro_rules! wide_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> ValueRef<'_> {
                ValueRef::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
wide_param!(u64, usize);

/// Something a column can be read as.
pub trait FromValue: Sized {
    const EXPECTED: &'static str;
    fn from_value(value: ValueRef<'_>) -> Option<Self>;
}

pub(super) fn convert<T: FromValue>(column: usize, value: ValueRef<'_>) -> Result<T> {
    T::from_value(value).ok_or(Error::Type {
        column,
        found: value.kind(),
        expected: T::EXPECTED,
    })
}

impl<T: FromValue> FromValue for Option<T> {
    const EXPECTED: &'static str = T::EXPECTED;
    fn from_value(value: ValueRef<'_>) -> Option<Self> {
        match value {
            ValueRef::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl FromValue for i64 {
    const EXPECTED: &'static str = "an integer";
    fn from_value(value: ValueRef<'_>) -> Option<Self> {
        match value {
            ValueRef::Int(i) => Some(i),
            _ => None,
        }
    }
}

macro_rules! narrow_int {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            const EXPECTED: &'static str = concat!("an integer that fits ", stringify!($t));
            fn from_value(value: ValueRef<'_>) -> Option<Self> {
                match value {
                    ValueRef::Int(i) => <$t>::try_from(i).ok(),
                    _ => None,
                }
            }
        }
    )*};
}
narrow_int!(i32, i16, u64, u32, u16, u8, usize);

impl FromValue for bool {
    const EXPECTED: &'static str = "a boolean (0 or 1)";
    fn from_value(value: ValueRef<'_>) -> Option<Self> {
        match value {
            ValueRef::Int(i) => Some(i != 0),
            _ => None,
        }
    }
}

impl FromValue for f64 {
    const EXPECTED: &'static str = "a number";
    fn from_value(value: ValueRef<'_>) -> Option<Self> {
        match value {
            ValueRef::Real(r) => Some(r),
            // Exact for every amount a store holds (below 2^53).
            ValueRef::Int(i) => Some(i as f64),
            _ => None,
        }
    }
}

impl FromValue for String {
    const EXPECTED: &'static str = "a text";
    fn from_value(value: ValueRef<'_>) -> Option<Self> {
        match value {
            ValueRef::Text(s) => Some(s.to_owned()),
            _ => None,
        }
    }
}

impl FromValue for Vec<u8> {
    const EXPECTED: &'static str = "a blob";
    fn from_value(value: ValueRef<'_>) -> Option<Self> {
        match value {
            ValueRef::Blob(b) => Some(b.to_vec()),
            _ => None,
        }
    }
}

impl<const N: usize> FromValue for [u8; N] {
    const EXPECTED: &'static str = "a blob of the right length";
    fn from_value(value: ValueRef<'_>) -> Option<Self> {
        match value {
            ValueRef::Blob(b) => b.try_into().ok(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_reads_as_what_it_holds_or_names_the_mismatch() {
        assert_eq!(convert::<i64>(0, ValueRef::Int(7)).ok(), Some(7));
        assert_eq!(convert::<bool>(0, ValueRef::Int(1)).ok(), Some(true));
        assert_eq!(
            convert::<Option<String>>(0, ValueRef::Null).ok(),
            Some(None)
        );
        assert_eq!(convert::<u8>(0, ValueRef::Int(300)).ok(), None);
        let error = convert::<String>(3, ValueRef::Int(1))
            .unwrap_err()
            .to_string();
        assert_eq!(error, "column 3 holds an integer where a text was expected");
        assert!(convert::<[u8; 2]>(0, ValueRef::Blob(&[1, 2, 3])).is_err());
    }
}
