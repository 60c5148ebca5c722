//! Secrets of enrollment and authentication: device tokens, one-time enrollment codes, and their
//! SHA-256 digests (the only form the central stores). A token or a code is shown once, to the
//! device or the operator that receives it, and must never be logged or stored in clear.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// How long an enrollment code stays valid.
pub const ENROLLMENT_TTL_SECS: i64 = 24 * 3600;

/// Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or copied by hand survives.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Random bytes in an enrollment code: 80 bits, 16 characters.
const CODE_BYTES: usize = 10;

#[derive(Debug, thiserror::Error)]
#[error("the system's random generator failed: {0}")]
pub struct RandomError(String);

fn random<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| RandomError(e.to_string()))?;
    Ok(bytes)
}

/// A new device token: 256 random bits, base64url without padding.
pub fn new_token() -> Result<String, RandomError> {
    Ok(URL_SAFE_NO_PAD.encode(random::<32>()?))
}

/// A new device id.
pub fn new_device_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

/// SHA-256 of a token, as stored. A token is 256 random bits, so a plain hash is enough (no salt
/// or slow hash: there is nothing to guess).
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A new enrollment code, `XXXX-XXXX-XXXX-XXXX` in Crockford base32 (80 random bits).
pub fn new_enrollment_code() -> Result<String, RandomError> {
    let bytes = random::<CODE_BYTES>()?;
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    let mut code = String::with_capacity(19);
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        let index = ((bits >> (5 * (15 - i))) & 0x1f) as usize;
        code.push(char::from(CROCKFORD[index]));
    }
    Ok(code)
}

/// SHA-256 of a code as typed: case, dashes and spaces do not matter, and the letters Crockford
/// reads as digits (O → 0, I and L → 1) are read so.
pub fn code_digest(typed: &str) -> [u8; 32] {
    let normalised: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    Sha256::digest(normalised.as_bytes()).into()
}

/// The token of an `Authorization: Bearer <token>` header value.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_the_same_however_they_are_typed() {
        let code = new_enrollment_code().expect("random");
        assert_eq!(code.len(), 19);
        let digest = code_digest(&code);
        assert_eq!(code_digest(&code.to_lowercase()), digest);
        assert_eq!(code_digest(&code.replace('-', " ")), digest);
        assert_eq!(code_digest("0011-AAAA"), code_digest("ooIl aaaa"));
        assert_ne!(new_enrollment_code().expect("random"), code);
    }

    #[test]
    fn bearer_headers() {
        for (header, token) in [
            ("Bearer abc", Some("abc")),
            ("bearer  abc ", Some("abc")),
            ("Basic abc", None),
            ("Bearer ", None),
            ("abc", None),
        ] {
            assert_eq!(bearer(header), token, "{header:?}");
        }
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = new_token().expect("random");
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_token().expect("random"));
        assert_ne!(
            token_digest(&a),
            token_digest(&new_token().expect("random"))
        );
    }
}
