//! The HTTP client of the sync protocol (reqwest, rustls, gzip). Every answer is checked before
//! anything is applied: a malformed body, a cursor that goes backwards or an oversized answer is
//! an error with a clear message, never a partial change on the terminal.

use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use super::protocol::{
    ChangesPage, CreditAnswer, CustomerSearchAnswer, DEVICE_HEADER, EnrollRequest, EnrollResponse,
    ErrorBody, JournalTip, MAX_PAGE, OrderAnswer, PushRequest, PushResponse, SaleAnswer,
    StaffCallAnswerRequest, StaffCallChange, StaffCallRequest, StockAnswer,
};
use crate::domain::customer::CustomerView;

/// Largest answer body read from the central (a full page of products is far below).
const MAX_BODY: usize = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the central at {url} cannot be reached: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the central refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("the central answered something that is not a valid {what}: {reason}")]
    Malformed { what: &'static str, reason: String },
    #[error("this terminal is not enrolled: run `comptoir enroll URL CODE`")]
    NotEnrolled,
    /// Said before anything is sent: reqwest's own word for it is « builder error ».
    #[error(
        "{url:?} is not a central's address ({reason}); write it as http://HOST:PORT or https://HOST"
    )]
    BadUrl { url: String, reason: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Wire(#[from] super::wire::WireError),
}

impl SyncError {
    /// Worth retrying later (network, server trouble) rather than a refusal to act on.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Unreachable { .. } | SyncError::Malformed { .. } => true,
            SyncError::Refused { status, .. } => *status >= 500 || *status == 429,
            SyncError::NotEnrolled
            | SyncError::BadUrl { .. }
            | SyncError::Store(_)
            | SyncError::Wire(_) => false,
        }
    }
}

/// A client bound to one central and one device identity.
#[derive(Clone, Debug)]
pub struct CentralClient {
    http: reqwest::Client,
    base: String,
    device_id: String,
    token: String,
}

fn http() -> Result<reqwest::Client, SyncError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(120))
        .gzip(true)
        .build()
        .map_err(|e| SyncError::Unreachable {
            url: String::new(),
            reason: e.to_string(),
        })
}

/// The central's address without its trailing slashes, once it is known to be one reqwest can
/// send to: an http(s) scheme and a host.
fn base(url: &str) -> Result<String, SyncError> {
    let bad = |reason: &str| SyncError::BadUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    Ok(url.trim().trim_end_matches('/').to_owned())
}

/// Exchanges a one-time enrollment code for this device's identity.
pub async fn enroll(url: &str, code: &str, terminal_id: &str) -> Result<EnrollResponse, SyncError> {
    let url = format!("{}/v1/enroll", base(url)?);
    let response = http()?
        .post(&url)
        .json(&EnrollRequest {
            code: code.trim().to_owned(),
            terminal_id: terminal_id.to_owned(),
        })
        .send()
        .await
        .map_err(|e| unreachable(&url, e))?;
    read(response, &url, "enrollment answer").await
}

/// The error for `url` (given without its query string by the caller). reqwest's own message
/// would repeat the full URL, whose query may carry a customer search: it is left out.
fn unreachable(url: &str, error: reqwest::Error) -> SyncError {
    SyncError::Unreachable {
        url: url.to_owned(),
        reason: error.without_url().to_string(),
    }
}

async fn read<T: DeserializeOwned>(
    response: reqwest::Response,
    url: &str,
    what: &'static str,
) -> Result<T, SyncError> {
    let status = response.status();
    if let Some(length) = response.content_length()
        && length as usize > MAX_BODY
    {
        return Err(SyncError::Malformed {
            what,
            reason: format!("{length} bytes is more than the {MAX_BODY} allowed"),
        });
    }
    let bytes = response.bytes().await.map_err(|e| unreachable(url, e))?;
    if bytes.len() > MAX_BODY {
        return Err(SyncError::Malformed {
            what,
            reason: format!("{} bytes is more than the {MAX_BODY} allowed", bytes.len()),
        });
    }
    if !status.is_success() {
        let message = serde_json::from_slice::<ErrorBody>(&bytes)
            .map(|b| b.error)
            .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).chars().take(200).collect());
        return Err(SyncError::Refused {
            status: status.as_u16(),
            message,
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| SyncError::Malformed {
        what,
        reason: e.to_string(),
    })
}

impl CentralClient {
    pub fn new(url: &str, device_id: &str, token: &str) -> Result<CentralClient, SyncError> {
        Ok(CentralClient {
            http: http()?,
            base: base(url)?,
            device_id: device_id.to_owned(),
            token: token.to_owned(),
        })
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    fn authed(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        builder
            .bearer_auth(&self.token)
            .header(DEVICE_HEADER, &self.device_id)
    }

    pub async fn push(&self, request: &PushRequest) -> Result<PushResponse, SyncError> {
        let url = format!("{}/v1/push", self.base);
        let response = self
            .authed(self.http.post(&url).json(request))
            .send()
            .await
            .map_err(|e| unreachable(&url, e))?;
        let answer: PushResponse = read(response, &url, "push answer").await?;
        // The central can only acknowledge what it was sent, or had before.
        let highest = request.events.iter().map(|e| e.seq).max().unwrap_or(0);
        if answer.acked_seq > highest {
            return Err(SyncError::Malformed {
                what: "push answer",
                reason: format!(
                    "acknowledged sequence {} beyond the highest sent ({highest})",
                    answer.acked_seq
                ),
            });
        }
        Ok(answer)
    }

    pub async fn changes(&self, after: i64, limit: u32) -> Result<ChangesPage, SyncError> {
        let url = format!(
            "{}/v1/changes?after={after}&limit={}",
            self.base,
            limit.min(MAX_PAGE)
        );
        let response = self
            .authed(self.http.get(&url))
            .send()
            .await
            .map_err(|e| unreachable(&url, e))?;
        let page: ChangesPage = read(response, &url, "page of changes").await?;
        if page.cursor < after || (page.cursor == after && !page.changes.is_empty()) {
            return Err(SyncError::Malformed {
                what: "page of changes",
                reason: format!("cursor {} does not move on from {after}", page.cursor),
            });
        }
        Ok(page)
    }

    /// The last journal entry the central received from this device.
    pub async fn journal_tip(&self) -> Result<JournalTip, SyncError> {
        Ok(self.journal_tip_dated().await?.0)
    }

    /// [`CentralClient::journal_tip`] and the central's clock: its answer's HTTP `Date` header
    /// (RFC 9110 §6.6.1, one-second precision) as Unix seconds, when it sent a readable one.
    pub async fn journal_tip_dated(&self) -> Result<(JournalTip, Option<i64>), SyncError> {
        let url = format!("{}/v1/journal-tip", self.base);
        let response = self
            .authed(self.http.get(&url))
            .send()
            .await
            .map_err(|e| unreachable(&url, e))?;
        // HTTP dates are RFC 1123 ("Wed, 25 Nov 2026 10:25:51 GMT"), which RFC 2822 parsing
        // accepts.
        let date = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| chrono::DateTime::parse_from_rfc2822(text).ok())
            .map(|date| date.timestamp());
        let tip = read(response, &url, "journal tip").await?;
        Ok((tip, date))
    }

    pub async fn stock(&self, gtin: &str) -> Result<StockAnswer, SyncError> {
        let url = format!("{}/v1/stock/{gtin}", self.base);
        let response = self
            .authed(self.http.get(&url))
            .send()
            .await
            .map_err(|e| unreachable(&url, e))?;
        if response.status() == StatusCode::NOT_FOUND {
            return Err(SyncError::Refused {
                status: 404,
                message: format!("the central does not know {gtin}"),
            });
        }
        read(response, &url, "stock answer").await
    }

    /// Customers matching `query` (a name, an e-mail or a phone number). The query travels as a
    /// URL parameter and is left out of every error message: it is personal data.
    pub async fn search_customers(
        &self,
        query: &str,
        limit: u32,
    ) -> Result<CustomerSearchAnswer, SyncError> {
        let url = format!("{}/v1/customers", self.base);
        let response = self
            .authed(
                self.http
                    .get(&url)
                    .query(&[("q", query), ("limit", &limit.to_string())]),
            )
            .send()
            .await
            .map_err(|e| unreachable(&url, e))?;
        read(response, &url, "customer search answer").await
    }

    /// The customer's 360° view; `Ok(None)` when the central does not know the id.
    pub async fn customer_view(&self, id: &str) -> Result<Option<CustomerView>, SyncError> {
        let url = format!(
            "{}/v1/customers/{}",
            self.base,
            percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
        );
        let response = self
            .authed(self.http.get(&url))
            .send()
            .await
            .map_err(|e| unreachable(&url, e))?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        read(response, &url, "customer view").await.map(Some)
    }

    /// An online order, for a return; `Ok(None)` when the central does not know it.
    pub async fn order(&self, id: &str) -> Result<Option<OrderAnswer>, SyncError> {
        let url = format!(
            "{}/v1/orders/{}",
            self.base,
            percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
        );
        let response = self
            .authed(self.http.get(&url))
            .send()
            .await
            .map_err(|e| unreachable(&url, e))?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        read(response, &url, "order").await.map(Some)
    }

    /// The in-store sale `ticket` of `store`, with what was returned of it anywhere; `None`
    /// when the central has no such sale.
    pub async fn sale(&self, store: &str, ticket: &str) -> Result<Option<SaleAnswer>, SyncError> {
        let encode = |part: &str| {
            percent_encoding::utf8_percent_encode(part, percent_encoding::NON_ALPHANUMERIC)
                .to_string()
        };
        let url = format!(
            "{}/v1/sales/{}/{}",
            self.base,
            encode(store),
            encode(ticket)
        );
        self.get_or_none(&url, "sale").await
    }

    /// The store credit or gift card `code` and its balance; `None` when the central has none.
    pub async fn credit(&self, code: &str) -> Result<Option<CreditAnswer>, SyncError> {
        let url = format!(
            "{}/v1/credits/{}",
            self.base,
            percent_encoding::utf8_percent_encode(code, percent_encoding::NON_ALPHANUMERIC)
        );
        self.get_or_none(&url, "credit").await
    }

    /// A kiosk's customer asks for a seller: the call as the central recorded it (this kiosk's
    /// call still waiting, when there is one).
    pub async fn call_staff(
        &self,
        request: &StaffCallRequest,
    ) -> Result<StaffCallChange, SyncError> {
        let url = format!("{}/v1/staff-calls", self.base);
        self.post_json(&url, request, "staff call").await
    }

    /// `staff` goes to the kiosk that made call `id`: the call, with whoever answered first.
    pub async fn answer_staff_call(
        &self,
        id: &str,
        staff: &str,
    ) -> Result<StaffCallChange, SyncError> {
        let url = format!(
            "{}/v1/staff-calls/{}/answer",
            self.base,
            percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
        );
        let request = StaffCallAnswerRequest {
            staff: staff.to_owned(),
        };
        self.post_json(&url, &request, "staff call answer").await
    }

    async fn post_json<T: DeserializeOwned>(
        &self,
        url: &str,
        body: &impl serde::Serialize,
        what: &'static str,
    ) -> Result<T, SyncError> {
        let response = self
            .authed(self.http.post(url).json(body))
            .send()
            .await
            .map_err(|e| unreachable(url, e))?;
        read(response, url, what).await
    }

    async fn get_or_none<T: DeserializeOwned>(
        &self,
        url: &str,
        what: &'static str,
    ) -> Result<Option<T>, SyncError> {
        let response = self
            .authed(self.http.get(url))
            .send()
            .await
            .map_err(|e| unreachable(url, e))?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        read(response, url, what).await.map(Some)
    }
}
