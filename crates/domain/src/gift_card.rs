//! Gift cards sold at the till (issue 16, item 4): a multi-purpose voucher (« bon à usages
//! multiples », CGI art. 256 ter): its sale is not a supply of goods, so it carries no VAT and is
//! not turnover; the VAT is due on what it later buys, at that sale's rates, where it is spent
//! as a tender like a store credit. Pure: the randomness of a code is the caller's.
//!
//! Its sale is journaled as a technical entry whose `detail` is [`detail`] and whose `total`
//! and `payments` are what was taken, so the hash chain covers it, the X report and the cash
//! expected in the drawer count it, and the Z's VAT and turnover do not.

use crate::money::{Cents, parse_euros};

/// The journal detail's prefix of a gift card's sale.
pub const DETAIL_PREFIX: &str = "gift_card_sold: ";

/// The least and the most a gift card is sold for.
pub const MIN_CENTS: i64 = 500;
pub const MAX_CENTS: i64 = 150_000;

/// The code's letters: Crockford's base 32 (no I, L, O, U: read aloud or typed without doubt).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GiftCardError {
    #[error("{input:?} is not an amount in euros (e.g. 50 or 25.50)")]
    NotAnAmount { input: String },
    #[error("a gift card is sold for 5 € to 1 500 €")]
    OutOfBounds,
}

/// The amount a gift card is sold for, from what an operator typed.
pub fn amount(input: &str) -> Result<Cents, GiftCardError> {
    let cents = parse_euros(input).map_err(|_| GiftCardError::NotAnAmount {
        input: input.chars().take(40).collect(),
    })?;
    if (MIN_CENTS..=MAX_CENTS).contains(&cents.get()) {
        Ok(cents)
    } else {
        Err(GiftCardError::OutOfBounds)
    }
}

/// A gift card's code from 60 random bits: `KDO-XXXX-XXXX-XXXX`.
pub fn code_from(random: [u8; 8]) -> String {
    voucher_code("KDO", random)
}

/// A store credit's code (« avoir »): `AV-XXXX-XXXX-XXXX`.
pub fn credit_code_from(random: [u8; 8]) -> String {
    voucher_code("AV", random)
}

/// `PREFIX-XXXX-XXXX-XXXX` from 60 random bits. Not guessable from another code, unlike a
/// ticket number: whoever holds the code holds the money.
fn voucher_code(prefix: &str, random: [u8; 8]) -> String {
    let bits = u64::from_le_bytes(random);
    let mut code = String::from(prefix);
    for i in 0..12 {
        if i % 4 == 0 {
            code.push('-');
        }
        let index = (bits >> (5 * i)) & 31;
        code.push(char::from(ALPHABET[index as usize]));
    }
    code
}

/// The journal detail of the sale of `code`.
pub fn detail(code: &str) -> String {
    format!("{DETAIL_PREFIX}{code}")
}

/// The code a journal detail names, when it is a gift card's sale.
pub fn code_of_detail(detail: &str) -> Option<&str> {
    detail.strip_prefix(DETAIL_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_twelve_unambiguous_letters_in_three_groups() {
        let code = code_from([0xA5, 0x13, 0xFF, 0x00, 0x42, 0x99, 0x07, 0xC3]);
        assert_eq!(code.len(), "KDO-XXXX-XXXX-XXXX".len());
        assert!(code.starts_with("KDO-"));
        let letters: String = code[4..].chars().filter(|c| *c != '-').collect();
        assert_eq!(letters.len(), 12);
        assert!(letters.chars().all(|c| ALPHABET.contains(&(c as u8))));
        assert!(!letters.contains(['I', 'L', 'O', 'U']));
        assert_ne!(code, code_from([0; 8]));
        assert_eq!(code_from([0; 8]), "KDO-0000-0000-0000");
        assert!(credit_code_from([7; 8]).starts_with("AV-"));
    }

    #[test]
    fn the_amount_is_bounded_and_typed_in_euros() {
        assert_eq!(amount("50").map(Cents::get), Ok(5000));
        assert_eq!(amount("25,50").map(Cents::get), Ok(2550));
        assert_eq!(amount("4.99"), Err(GiftCardError::OutOfBounds));
        assert_eq!(amount("1500.01"), Err(GiftCardError::OutOfBounds));
        assert!(matches!(
            amount("cinquante"),
            Err(GiftCardError::NotAnAmount { .. })
        ));
    }

    #[test]
    fn the_journal_detail_names_the_code() {
        let d = detail("KDO-1234-5678-9ABC");
        assert_eq!(code_of_detail(&d), Some("KDO-1234-5678-9ABC"));
        assert_eq!(code_of_detail("drawer_in: change"), None);
    }
}
