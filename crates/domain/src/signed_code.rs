//! Codes signed by the central (Ed25519) and verified offline by any terminal holding the
//! central's public key: loyalty codes (`CPTL1:`) now, pickup codes (`CPTP1:`) share the
//! envelope. Pure: the central passes its signing function in, the terminal its public key.
//!
//! # Envelope
//!
//! `PREFIX` + base64url(claims) + `.` + base64url(signature), no padding. The claims are UTF-8
//! fields joined by `|`; the signature covers `PREFIX` + the claims' bytes, so a loyalty
//! signature can never pass for a pickup code. Compact on purpose: a short code makes a small,
//! easily scanned QR on a phone screen (≈ 140 characters for a loyalty code).
//!
//! A loyalty code's claims are `customer id|display name|tier|issued at (Unix seconds)`: enough
//! for a terminal that has never seen the customer to greet them by first name, offline.

use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};

use crate::scan::{LOYALTY_PREFIX, PICKUP_PREFIX};

/// base64url without padding. Decoding accepts non-canonical trailing bits: a character changed
/// anywhere then still decodes and is caught by the signature ("forged"), not as a format error.
const B64: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Why a code is refused. `reason()` is the stable word the CLI prints and scripts match on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("this is not a Comptoir {what} code (it should start with {prefix})")]
    WrongPrefix {
        what: &'static str,
        prefix: &'static str,
    },
    #[error("the code is damaged or incomplete: {0}")]
    Malformed(&'static str),
    #[error("the signature does not match: this code was altered or was not issued by this chain")]
    Forged,
    #[error("no key to check signed codes: enroll this terminal with the central first")]
    NoKey,
    #[error("the central's public key on this terminal is damaged: enroll again")]
    BadKey,
}

impl CodeError {
    /// "unknown_format", "forged" or "no_key".
    pub fn reason(&self) -> &'static str {
        match self {
            CodeError::WrongPrefix { .. } | CodeError::Malformed(_) => "unknown_format",
            CodeError::Forged => "forged",
            CodeError::NoKey | CodeError::BadKey => "no_key",
        }
    }
}

/// What a genuine loyalty code says about its holder.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LoyaltyClaims {
    pub customer_id: String,
    /// The name to greet the customer with (their first name), nothing more.
    pub display_name: String,
    pub tier: String,
    /// Unix seconds, UTC.
    pub issued_at: i64,
}

impl LoyaltyClaims {
    fn to_fields(&self) -> String {
        [
            clean(&self.customer_id),
            clean(&self.display_name),
            clean(&self.tier),
            self.issued_at.to_string(),
        ]
        .join("|")
    }

    fn from_fields(text: &str) -> Option<LoyaltyClaims> {
        let mut parts = text.split('|');
        let claims = LoyaltyClaims {
            customer_id: parts.next().filter(|s| !s.is_empty())?.to_owned(),
            display_name: parts.next()?.to_owned(),
            tier: parts.next()?.to_owned(),
            issued_at: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(claims)
    }
}

/// A field never contains the separator (a `|` in a name becomes a `/`).
fn clean(field: &str) -> String {
    field.replace('|', "/")
}

/// The loyalty code for `claims`, signed by `sign` (the central's key).
pub fn issue_loyalty(claims: &LoyaltyClaims, sign: impl FnOnce(&[u8]) -> [u8; 64]) -> String {
    issue(LOYALTY_PREFIX, claims.to_fields().as_bytes(), sign)
}

/// Checks a whole loyalty code (`CPTL1:…`) against the central's public key (base64url, as
/// enrollment gave it).
pub fn verify_loyalty(code: &str, public_key: &str) -> Result<LoyaltyClaims, CodeError> {
    let body = code
        .trim()
        .strip_prefix(LOYALTY_PREFIX)
        .ok_or(CodeError::WrongPrefix {
            what: "loyalty",
            prefix: LOYALTY_PREFIX,
        })?;
    let claims = verify(LOYALTY_PREFIX, body, public_key)?;
    let text = std::str::from_utf8(&claims).map_err(|_| CodeError::Malformed("not text"))?;
    LoyaltyClaims::from_fields(text).ok_or(CodeError::Malformed("fields missing"))
}

/// What a genuine pickup code says: which order, for which store, until when.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PickupClaims {
    pub order_id: String,
    /// The location code of the store the order is to be collected from.
    pub store: String,
    /// Unix seconds, UTC: the code is refused after this.
    pub expires_at: i64,
}

/// Why a pickup code is refused; `reason()` is the word `comptoir pickup verify` prints.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PickupCodeError {
    #[error("{0}")]
    Code(#[from] CodeError),
    #[error(
        "this pickup code expired on {expired_at} (Unix time): ask the customer for the new one"
    )]
    Expired { expired_at: i64 },
    #[error("this order is to be collected at store {store}, not here")]
    OtherStore { store: String },
}

impl PickupCodeError {
    /// "forged", "unknown_format", "no_key", "expired" or "other_store".
    pub fn reason(&self) -> &'static str {
        match self {
            PickupCodeError::Code(code) => code.reason(),
            PickupCodeError::Expired { .. } => "expired",
            PickupCodeError::OtherStore { .. } => "other_store",
        }
    }
}

/// The pickup code for `claims`, signed by `sign` (the central's key).
pub fn issue_pickup(claims: &PickupClaims, sign: impl FnOnce(&[u8]) -> [u8; 64]) -> String {
    let fields = [
        clean(&claims.order_id),
        clean(&claims.store),
        claims.expires_at.to_string(),
    ]
    .join("|");
    issue(PICKUP_PREFIX, fields.as_bytes(), sign)
}

/// Checks a whole pickup code (`CPTP1:…`): the signature, then the expiry at `now`, then that the
/// order is for `here` (this terminal's store).
pub fn verify_pickup(
    code: &str,
    public_key: &str,
    here: &str,
    now: i64,
) -> Result<PickupClaims, PickupCodeError> {
    let body = code
        .trim()
        .strip_prefix(PICKUP_PREFIX)
        .ok_or(CodeError::WrongPrefix {
            what: "pickup",
            prefix: PICKUP_PREFIX,
        })?;
    let claims = verify(PICKUP_PREFIX, body, public_key)?;
    let text = std::str::from_utf8(&claims).map_err(|_| CodeError::Malformed("not text"))?;
    let mut parts = text.split('|');
    let claims = (|| {
        let claims = PickupClaims {
            order_id: parts.next().filter(|s| !s.is_empty())?.to_owned(),
            store: parts.next()?.to_owned(),
            expires_at: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(claims)
    })()
    .ok_or(CodeError::Malformed("fields missing"))?;
    if now > claims.expires_at {
        return Err(PickupCodeError::Expired {
            expired_at: claims.expires_at,
        });
    }
    if claims.store != here {
        return Err(PickupCodeError::OtherStore {
            store: claims.store,
        });
    }
    Ok(claims)
}

/// `prefix` + the envelope of `claims`.
pub fn issue(prefix: &str, claims: &[u8], sign: impl FnOnce(&[u8]) -> [u8; 64]) -> String {
    let signature = sign(&signed_message(prefix, claims));
    format!("{prefix}{}.{}", B64.encode(claims), B64.encode(signature))
}

/// The claims' bytes of an envelope (`body` is what follows `prefix`), once the signature
/// checks out against `public_key`.
pub fn verify(prefix: &str, body: &str, public_key: &str) -> Result<Vec<u8>, CodeError> {
    let key = verifying_key(public_key)?;
    let (claims, signature) = body
        .split_once('.')
        .ok_or(CodeError::Malformed("no signature"))?;
    let claims = B64
        .decode(claims)
        .map_err(|_| CodeError::Malformed("the claims are not base64url"))?;
    let signature = B64
        .decode(signature)
        .map_err(|_| CodeError::Malformed("the signature is not base64url"))?;
    let signature: [u8; 64] = signature
        .as_slice()
        .try_into()
        .map_err(|_| CodeError::Malformed("the signature is truncated"))?;
    key.verify(
        &signed_message(prefix, &claims),
        &Signature::from_bytes(&signature),
    )
    .map_err(|_| CodeError::Forged)?;
    Ok(claims)
}

fn verifying_key(public_key: &str) -> Result<VerifyingKey, CodeError> {
    if public_key.is_empty() {
        return Err(CodeError::NoKey);
    }
    let bytes: [u8; 32] = B64
        .decode(public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(CodeError::BadKey)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| CodeError::BadKey)
}

fn signed_message(prefix: &str, claims: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(prefix.len() + claims.len());
    message.extend_from_slice(prefix.as_bytes());
    message.extend_from_slice(claims);
    message
}

/// The public key of `signing`, as enrollment sends it (base64url, no padding).
pub fn public_key_text(signing: &ed25519_dalek::SigningKey) -> String {
    B64.encode(signing.verifying_key().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn claims() -> LoyaltyClaims {
        LoyaltyClaims {
            customer_id: "C00000042".into(),
            display_name: "Hélène".into(),
            tier: "or".into(),
            issued_at: 1_764_000_000,
        }
    }

    fn signed(by: &SigningKey) -> String {
        issue_loyalty(&claims(), |m| by.sign(m).to_bytes())
    }

    #[test]
    fn a_genuine_code_gives_its_claims() {
        let k = key(7);
        let code = signed(&k);
        assert!(code.starts_with("CPTL1:"));
        assert!(code.len() < 160, "{} characters", code.len());
        assert_eq!(verify_loyalty(&code, &public_key_text(&k)), Ok(claims()));
    }

    #[test]
    fn one_bit_changed_anywhere_is_refused() {
        let k = key(7);
        let public = public_key_text(&k);
        let code = signed(&k);
        let body = code.strip_prefix("CPTL1:").expect("prefix");
        let (claims_text, signature_text) = body.split_once('.').expect("envelope");
        // Flip each bit of the decoded claims and re-encode: an altered but well-formed code.
        let raw = B64.decode(claims_text).expect("claims");
        for byte in 0..raw.len() {
            for bit in 0..8 {
                let mut altered = raw.clone();
                altered[byte] ^= 1 << bit;
                let forged = format!("CPTL1:{}.{signature_text}", B64.encode(&altered));
                assert_eq!(
                    verify_loyalty(&forged, &public),
                    Err(CodeError::Forged),
                    "byte {byte} bit {bit}"
                );
            }
        }
        // And one bit of the signature.
        let mut signature = B64.decode(signature_text).expect("signature");
        signature[10] ^= 0x04;
        let forged = format!("CPTL1:{claims_text}.{}", B64.encode(&signature));
        assert_eq!(verify_loyalty(&forged, &public), Err(CodeError::Forged));
        // One character of the text changed, as a hand-edited code would be.
        let mut chars: Vec<char> = code.chars().collect();
        chars[12] = if chars[12] == 'A' { 'B' } else { 'A' };
        let edited: String = chars.into_iter().collect();
        assert_eq!(verify_loyalty(&edited, &public), Err(CodeError::Forged));
    }

    #[test]
    fn another_key_is_refused() {
        let code = signed(&key(8));
        let err = verify_loyalty(&code, &public_key_text(&key(7))).expect_err("forged");
        assert_eq!(err, CodeError::Forged);
        assert_eq!(err.reason(), "forged");
    }

    #[test]
    fn truncated_or_foreign_codes_are_unknown_formats() {
        let k = key(7);
        let public = public_key_text(&k);
        let code = signed(&k);
        for cut in [
            code.len() - 1,
            code.len() - 20,
            code.find('.').expect("dot"),
            8,
        ] {
            let err = verify_loyalty(&code[..cut], &public).expect_err("truncated");
            assert_eq!(err.reason(), "unknown_format", "cut at {cut}: {err}");
        }
        let err = verify_loyalty("CPTP1:abc.def", &public).expect_err("pickup prefix");
        assert_eq!(err.reason(), "unknown_format");
        assert_eq!(
            verify_loyalty("03760000000017", &public).map_err(|e| e.reason()),
            Err("unknown_format")
        );
    }

    #[test]
    fn a_pickup_signature_does_not_pass_for_a_loyalty_code() {
        let k = key(7);
        let fields = claims().to_fields();
        let pickup = issue("CPTP1:", fields.as_bytes(), |m| k.sign(m).to_bytes());
        let moved = pickup.replacen("CPTP1:", "CPTL1:", 1);
        assert_eq!(
            verify_loyalty(&moved, &public_key_text(&k)),
            Err(CodeError::Forged)
        );
    }

    #[test]
    fn without_a_key_nothing_verifies() {
        let code = signed(&key(7));
        assert_eq!(verify_loyalty(&code, ""), Err(CodeError::NoKey));
        assert_eq!(verify_loyalty(&code, "short"), Err(CodeError::BadKey));
    }

    fn pickup(by: &SigningKey, store: &str, expires_at: i64) -> String {
        issue_pickup(
            &PickupClaims {
                order_id: "CC000007".into(),
                store: store.into(),
                expires_at,
            },
            |m| by.sign(m).to_bytes(),
        )
    }

    #[test]
    fn pickup_codes_say_which_refusal() {
        let k = key(7);
        let public = public_key_text(&k);
        let now = 1_764_000_000;
        let genuine = pickup(&k, "PAR-01", now + 3_600);
        assert!(genuine.starts_with("CPTP1:"));
        let claims = verify_pickup(&genuine, &public, "PAR-01", now).expect("genuine");
        assert_eq!(claims.order_id, "CC000007");
        let reason = |code: &str, here: &str, at: i64| {
            verify_pickup(code, &public, here, at).map_err(|e| e.reason())
        };
        assert_eq!(
            reason(&genuine, "PAR-01", now + 3_601).err(),
            Some("expired")
        );
        assert_eq!(reason(&genuine, "LYO-01", now).err(), Some("other_store"));
        assert_eq!(
            reason(&pickup(&key(8), "PAR-01", now + 60), "PAR-01", now).err(),
            Some("forged")
        );
        let mut altered = genuine.clone().into_bytes();
        altered[8] ^= 0x01;
        let altered = String::from_utf8(altered).expect("ascii");
        assert_eq!(reason(&altered, "PAR-01", now).err(), Some("forged"));
        assert_eq!(
            reason(&genuine[..30], "PAR-01", now).err(),
            Some("unknown_format")
        );
        // A loyalty code is not a pickup code, even well signed.
        let loyalty = signed(&k);
        assert_eq!(
            reason(&loyalty, "PAR-01", now).err(),
            Some("unknown_format")
        );
    }

    #[test]
    fn a_pipe_in_a_name_cannot_shift_the_fields() {
        let k = key(7);
        let mut odd = claims();
        odd.display_name = "A|B".into();
        let code = issue_loyalty(&odd, |m| k.sign(m).to_bytes());
        let back = verify_loyalty(&code, &public_key_text(&k)).expect("genuine");
        assert_eq!(back.display_name, "A/B");
        assert_eq!(back.tier, "or");
    }
}
