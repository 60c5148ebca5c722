//! The customer as staff see them (the 360° view) and as a kiosk may show them (first name,
//! points, cart: nothing else personal). Pure values; the central builds the full view, the
//! terminal caches it and shows its age when offline.

use serde::{Deserialize, Serialize};

/// A marketing channel a customer consents to separately (CPCE L34-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Email, Channel::Sms];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    pub fn parse(text: &str) -> Option<Channel> {
        match text {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            _ => None,
        }
    }
}

/// A customer's request under the GDPR, recorded at the counter and answered by the central.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrivacyRequestKind {
    Access,
    Erasure,
}

impl PrivacyRequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrivacyRequestKind::Access => "access",
            PrivacyRequestKind::Erasure => "erasure",
        }
    }

    pub fn parse(text: &str) -> Option<PrivacyRequestKind> {
        match text {
            "access" => Some(PrivacyRequestKind::Access),
            "erasure" => Some(PrivacyRequestKind::Erasure),
            _ => None,
        }
    }
}

/// Where the view came from: the central just now, the terminal's cache, or only the signed
/// loyalty code (a customer this store has never seen, offline).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViewSource {
    Central,
    Cache,
    Code,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub channel: Channel,
    pub granted: bool,
    /// When the customer said so (Unix seconds, UTC); `None`: never asked.
    pub at: Option<i64>,
}

/// A purchase in any store or online, or a return (negative total).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    /// Ticket or order number.
    pub reference: String,
    /// "store" or "online".
    pub channel: String,
    /// The store's location code, or "web".
    pub location: String,
    pub at: i64,
    pub total_cents: i64,
    pub items: i64,
}

/// A line of the customer's online cart, priced as the web shop prices it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartItem {
    pub gtin: String,
    pub name: String,
    pub quantity: i64,
    pub online_price_cents: i64,
    pub added_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WishItem {
    pub gtin: String,
    pub name: String,
}

/// A staff note: factual, dated and signed by its author's login.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub at: i64,
    pub author: String,
    pub text: String,
}

/// Everything staff may see of a customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerView {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tier: String,
    /// Points as the central last knew them, plus this terminal's movements it has not yet
    /// confirmed (the terminal adds those when it shows the view).
    pub loyalty_points: i64,
    pub consents: Vec<Consent>,
    pub purchases: Vec<Purchase>,
    pub returns: Vec<Purchase>,
    pub online_cart: Vec<CartItem>,
    pub wishlist: Vec<WishItem>,
    pub notes: Vec<Note>,
    pub source: ViewSource,
    /// When the central produced the view (Unix seconds, UTC): its age when offline.
    pub fetched_at: i64,
}

impl CustomerView {
    /// The view built from a signed loyalty code alone: a name, a tier, nothing else known.
    pub fn from_code(claims: &crate::signed_code::LoyaltyClaims) -> CustomerView {
        CustomerView {
            id: claims.customer_id.clone(),
            first_name: claims.display_name.clone(),
            last_name: String::new(),
            email: None,
            phone: None,
            tier: claims.tier.clone(),
            loyalty_points: 0,
            consents: Channel::ALL
                .iter()
                .map(|&channel| Consent {
                    channel,
                    granted: false,
                    at: None,
                })
                .collect(),
            purchases: Vec::new(),
            returns: Vec::new(),
            online_cart: Vec::new(),
            wishlist: Vec::new(),
            notes: Vec::new(),
            source: ViewSource::Code,
            fetched_at: claims.issued_at,
        }
    }

    /// What a self-service kiosk may show: the first name, points and the online cart.
    pub fn for_kiosk(&self) -> KioskCustomer {
        KioskCustomer {
            first_name: self.first_name.clone(),
            tier: self.tier.clone(),
            loyalty_points: self.loyalty_points,
            points_known: self.source != ViewSource::Code,
            online_cart: self.online_cart.clone(),
        }
    }
}

/// The kiosk's view of a customer: first name only, nothing else personal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KioskCustomer {
    pub first_name: String,
    pub tier: String,
    pub loyalty_points: i64,
    /// False when only the code is known (offline, customer not in this store's cache).
    pub points_known: bool,
    pub online_cart: Vec<CartItem>,
}

/// A search hit: enough to pick the right person in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerHit {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tier: String,
}

/// Normalises a phone number for matching: digits only, a French `+33` / `0033` becomes `0`.
pub fn phone_key(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let plus = phone.trim_start().starts_with('+');
    if plus && let Some(rest) = digits.strip_prefix("33") {
        return format!("0{rest}");
    }
    if let Some(rest) = digits.strip_prefix("0033") {
        return format!("0{rest}");
    }
    digits
}

/// Normalises an e-mail address for matching: trimmed, lower case.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A new customer's details, checked at the counter before anything is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCustomer {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    #[error("the first and last names are required")]
    NameMissing,
    #[error("an e-mail address or a phone number is required, to find the customer again")]
    ContactMissing,
    #[error("\"{0}\" is not an e-mail address")]
    BadEmail(String),
    #[error("\"{0}\" is not a phone number")]
    BadPhone(String),
}

impl NewCustomer {
    /// Trims the fields and checks them.
    pub fn checked(self) -> Result<NewCustomer, CustomerError> {
        let first_name = self.first_name.trim().to_owned();
        let last_name = self.last_name.trim().to_owned();
        if first_name.is_empty() || last_name.is_empty() {
            return Err(CustomerError::NameMissing);
        }
        let email = self
            .email
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty());
        let phone = self
            .phone
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty());
        if email.is_none() && phone.is_none() {
            return Err(CustomerError::ContactMissing);
        }
        if let Some(e) = &email {
            let well_formed = e
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
                && !e.contains(char::is_whitespace);
            if !well_formed {
                return Err(CustomerError::BadEmail(e.clone()));
            }
        }
        if let Some(p) = &phone {
            let digits = phone_key(p).len();
            let allowed = p
                .chars()
                .all(|c| c.is_ascii_digit() || " +.-()".contains(c));
            if !allowed || !(8..=15).contains(&digits) {
                return Err(CustomerError::BadPhone(p.clone()));
            }
        }
        Ok(NewCustomer {
            first_name,
            last_name,
            email,
            phone,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_match_whatever_the_spelling() {
        assert_eq!(phone_key("+33 6 39 98 00 42"), "0639980042");
        assert_eq!(phone_key("06.39.98.00.42"), "0639980042");
        assert_eq!(phone_key("0033 639980042"), "0639980042");
        assert_eq!(
            email_key("  Lea.Martin@Example.org "),
            "lea.martin@example.org"
        );
    }

    #[test]
    fn a_new_customer_needs_names_and_a_way_to_be_found() {
        let base = NewCustomer {
            first_name: " Léa ".into(),
            last_name: "Martin".into(),
            email: Some("lea@example.org".into()),
            phone: None,
        };
        assert_eq!(base.clone().checked().expect("fine").first_name, "Léa");
        let no_contact = NewCustomer {
            email: Some("  ".into()),
            ..base.clone()
        };
        assert_eq!(no_contact.checked(), Err(CustomerError::ContactMissing));
        let bad = NewCustomer {
            email: Some("lea@".into()),
            ..base.clone()
        };
        assert!(matches!(bad.checked(), Err(CustomerError::BadEmail(_))));
        let phone = NewCustomer {
            email: None,
            phone: Some("06 12".into()),
            ..base.clone()
        };
        assert!(matches!(phone.checked(), Err(CustomerError::BadPhone(_))));
        let nameless = NewCustomer {
            last_name: " ".into(),
            ..base
        };
        assert_eq!(nameless.checked(), Err(CustomerError::NameMissing));
    }

    #[test]
    fn the_kiosk_sees_a_first_name_and_nothing_else_personal() {
        let view = CustomerView {
            id: "C00000001".into(),
            first_name: "Léa".into(),
            last_name: "Martin".into(),
            email: Some("lea@example.org".into()),
            phone: Some("0612345678".into()),
            tier: "or".into(),
            loyalty_points: 120,
            consents: Vec::new(),
            purchases: Vec::new(),
            returns: Vec::new(),
            online_cart: Vec::new(),
            wishlist: Vec::new(),
            notes: vec![Note {
                at: 1,
                author: "camille".into(),
                text: "Prefers size M".into(),
            }],
            source: ViewSource::Cache,
            fetched_at: 1,
        };
        let json = serde_json::to_string(&view.for_kiosk()).expect("json");
        for private in [
            "Martin",
            "lea@example.org",
            "0612345678",
            "size M",
            "C00000001",
        ] {
            assert!(!json.contains(private), "{private} in {json}");
        }
    }
}
