//! `comptoir loyalty verify CODE [--json]`: checks a loyalty code offline against the central's
//! key (from enrollment). Exit 0 with the customer id when genuine; exit 1 with the reason
//! ("forged", "unknown_format", "no_key") otherwise.

use std::process::ExitCode;

use serde::Serialize;

use super::output::{print_json, rfc3339};
use super::{CommandContext, EXIT_NOT_FOUND};
use crate::domain::signed_code::verify_loyalty;

#[derive(Debug, Serialize)]
struct VerifyOutput {
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issued_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

pub fn verify(context: &CommandContext, code: &str, json: bool) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let key = store.central_public_key()?.unwrap_or_default();
    match verify_loyalty(code, &key) {
        Ok(claims) => {
            if json {
                print_json(&VerifyOutput {
                    valid: true,
                    customer_id: Some(claims.customer_id),
                    display_name: Some(claims.display_name),
                    tier: Some(claims.tier),
                    issued_at: Some(rfc3339(claims.issued_at)),
                    reason: None,
                    message: None,
                })?;
            } else {
                println!("{}", claims.customer_id);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            if json {
                print_json(&VerifyOutput {
                    valid: false,
                    customer_id: None,
                    display_name: None,
                    tier: None,
                    issued_at: None,
                    reason: Some(error.reason()),
                    message: Some(error.to_string()),
                })?;
            } else {
                println!("{}: {error}", error.reason());
            }
            Ok(ExitCode::from(EXIT_NOT_FOUND))
        }
    }
}
