//! The HTTP side of the central: the `/v1` endpoints of `sync::protocol`, authentication of
//! devices, and the mapping of every refusal to a status and an [`ErrorBody`]. Handlers never
//! touch SQL (that is `store`, called through `spawn_blocking` so the runtime never blocks) and
//! never log a token, an enrollment code, a payload or a customer: a request's span carries its
//! method, path and device id only.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth;
use crate::customers::{CustomerQuery, search_limit};
use crate::ingest::{BatchError, RawPush, check_batch};
use crate::rate_limit::{Gates, Slowdown};
use crate::staff_call::{AnswerOutcome, CallOutcome, Caller};
use crate::storage::Storage;
use crate::store::{EnrollOutcome, PageOutcome, PushOutcome, StoreError};
use comptoir_domain::customer::CustomerView;
use comptoir_domain::gtin::Gtin;
use comptoir_protocol::{
    CreditAnswer, CustomerSearchAnswer, DEVICE_HEADER, EnrollRequest, EnrollResponse, ErrorBody,
    JournalTip, MAX_PAGE, OrderAnswer, OrdersAnswer, PushResponse, SaleAnswer,
    StaffCallAnswerRequest, StaffCallChange, StaffCallRequest, StockAnswer,
};

/// The largest request body, once decompressed: a full push batch of large sales fits many
/// times over, and a gzip bomb does not.
pub const BODY_LIMIT: usize = 8 * 1024 * 1024;

/// The longest terminal id a device may give itself.
const TERMINAL_ID_MAX: usize = 64;

#[derive(Clone)]
pub(crate) struct AppState {
    pub store: Arc<dyn Storage>,
    pub public_key: Arc<str>,
    pub gates: Arc<Gates>,
    pub metrics: Arc<crate::metrics::Metrics>,
}

pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/enroll", post(enroll))
        .route("/v1/push", post(push))
        .route("/v1/changes", get(changes))
        .route("/v1/stock/{gtin}", get(stock))
        .route("/v1/journal-tip", get(journal_tip))
        .route("/v1/customers", get(search_customers))
        .route("/v1/customers/{id}", get(customer_view))
        .route("/v1/orders", get(customer_orders))
        .route("/v1/orders/{id}", get(order))
        .route("/v1/sales/{store}/{ticket}", get(sale))
        .route("/v1/credits/{code}", get(credit))
        .route("/v1/staff-calls", post(call_staff))
        .route("/v1/staff-calls/{id}/answer", post(answer_staff_call))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestDecompressionLayer::new())
        // The fastest level: a catalogue page is JSON that shrinks several times even so, and
        // the first pull of a large catalogue is bound by the central's CPU, not by the wire.
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        // The span names the path only, never the query string: a customer search carries a
        // name, an e-mail address or a phone number in `q`. The default span (and the default
        // on-request/on-response events, which only add status and latency) would log the URI.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<Body>| {
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        device = tracing::field::Empty,
                    )
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

/// A refusal: a status and a message for the operator, sent as [`ErrorBody`].
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    /// Seconds before the client may ask again (`Retry-After`), for a 429.
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }

    fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            axum::Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        if e.is_busy() {
            tracing::warn!("the central database is busy");
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the central is busy: retry shortly",
            );
        }
        tracing::error!(error = %e, "central database error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the central could not read or write its database: retry later",
        )
    }
}

impl From<Slowdown> for ApiError {
    fn from(slowdown: Slowdown) -> ApiError {
        ApiError {
            retry_after: Some(slowdown.retry_after_secs()),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, slowdown.to_string())
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> ApiError {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                status,
                format!("the request body is larger than {BODY_LIMIT} bytes once decompressed"),
            )
        } else {
            ApiError::new(
                status,
                format!("the request body cannot be read: {}", rejection.body_text()),
            )
        }
    }
}

/// Runs a store call off the runtime's threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(|| crate::sql::on_blocking_thread(f)).await {
        Ok(result) => Ok(result?),
        Err(e) => {
            tracing::error!(error = %e, "a database task failed");
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the central failed while handling the request: retry later",
            ))
        }
    }
}

/// A JSON body, or a 400 saying why not. serde's message may quote the body: it goes back to the
/// sender only, never to the log.
fn json_body<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let body = body?;
    serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "the request body is not valid JSON for this endpoint: {e}"
        ))
    })
}

/// A device that proved itself with its token.
pub(crate) struct AuthedDevice {
    pub id: String,
    pub store: String,
    pub terminal: String,
}

impl FromRequestParts<AppState> for AuthedDevice {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(auth::bearer)
            .ok_or_else(|| {
                ApiError::unauthorized("this request needs `Authorization: Bearer <device token>`")
            })?;
        let digest = auth::token_digest(token);
        let store = state.store.clone();
        let device = blocking(move || store.device_by_token(&digest))
            .await?
            .ok_or_else(|| {
                tracing::warn!("a request came with an unknown token");
                ApiError::unauthorized("unknown device token: enroll this terminal again")
            })?;
        tracing::Span::current().record("device", tracing::field::display(&device.id));
        state
            .metrics
            .seen(&device.id, chrono::Utc::now().timestamp());
        let claimed = parts
            .headers
            .get(DEVICE_HEADER)
            .and_then(|v| v.to_str().ok());
        if claimed != Some(device.id.as_str()) {
            tracing::warn!("the device header does not match the token");
            return Err(ApiError::forbidden(format!(
                "the `{DEVICE_HEADER}` header does not name the device this token belongs to"
            )));
        }
        if device.revoked {
            tracing::warn!("a revoked device was refused");
            return Err(ApiError::forbidden(
                "this device was revoked: enroll it again with a new code",
            ));
        }
        state.gates.request(&device.id).inspect_err(|slowdown| {
            tracing::warn!(%slowdown, "a device was asked to slow down");
        })?;
        Ok(AuthedDevice {
            id: device.id,
            store: device.store,
            terminal: device.terminal,
        })
    }
}

/// `POST /v1/enroll`. Every attempt names the client's address in the log (never the code), so
/// an operator sees who guesses; past the address's quota nothing is even looked up.
async fn enroll(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<EnrollResponse>, ApiError> {
    let client = client.ip();
    state.gates.enrollment(client).inspect_err(|slowdown| {
        tracing::warn!(%client, %slowdown, "enrollment attempts refused");
    })?;
    let request: EnrollRequest = json_body(body)?;
    let terminal_id = request.terminal_id.trim().to_owned();
    if terminal_id.is_empty() || terminal_id.chars().count() > TERMINAL_ID_MAX {
        return Err(ApiError::bad_request(format!(
            "terminal_id must be 1 to {TERMINAL_ID_MAX} characters"
        )));
    }
    let code = auth::code_digest(&request.code);
    let token = auth::new_token().map_err(|e| {
        tracing::error!(error = %e, "no token could be generated");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the central cannot generate a token",
        )
    })?;
    let token_digest = auth::token_digest(&token);
    let device_id = auth::new_device_id();
    let now = chrono::Utc::now().timestamp();
    let store = state.store.clone();
    let (id, terminal) = (device_id.clone(), terminal_id.clone());
    let outcome = blocking(move || store.enroll(&code, &id, &terminal, &token_digest, now)).await?;
    match outcome {
        EnrollOutcome::Enrolled { store } => {
            tracing::info!(device = %device_id, store = %store, terminal = %terminal_id, %client, "device enrolled");
            Ok(axum::Json(EnrollResponse {
                device_id,
                token,
                store,
                public_key: state.public_key.to_string(),
            }))
        }
        EnrollOutcome::Unknown => {
            tracing::warn!(%client, "enrollment with an unknown code");
            Err(ApiError::forbidden(
                "unknown enrollment code: check it, or ask for a new one with `comptoir-central enroll --store STORE`",
            ))
        }
        EnrollOutcome::Used => {
            tracing::warn!(%client, "enrollment with a code already used");
            Err(ApiError::new(
                StatusCode::GONE,
                "this enrollment code was already used: a code enrolls one terminal only, ask for a new one",
            ))
        }
        EnrollOutcome::Expired { at } => {
            tracing::warn!(%client, "enrollment with an expired code");
            let when = chrono::DateTime::from_timestamp(at, 0)
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| at.to_string());
            Err(ApiError::new(
                StatusCode::GONE,
                format!("this enrollment code expired on {when}: ask for a new one"),
            ))
        }
    }
}

async fn push(
    device: AuthedDevice,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<PushResponse>, ApiError> {
    let started = std::time::Instant::now();
    let request: RawPush = json_body(body)?;
    let received = request.events.len();
    let events = check_batch(request.events, &device.store, &device.terminal).map_err(|e| {
        let status = match e {
            BatchError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BatchError::Unplaceable { .. } => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, e.to_string())
    })?;
    // After the batch's size is checked: a batch over the protocol's size is a 413, not a wait.
    state
        .gates
        .events(&device.id, received)
        .inspect_err(|slowdown| {
            tracing::warn!(received, %slowdown, "a push past the device's quota was refused");
        })?;
    let store = state.store.clone();
    let now = chrono::Utc::now().timestamp();
    let id = device.id.clone();
    let outcome = blocking(move || store.push(&id, &events, now)).await;
    state.metrics.observe_push(started.elapsed());
    match outcome? {
        PushOutcome::Applied {
            acked_seq,
            applied,
            duplicates,
            quarantined,
        } => {
            if !quarantined.is_empty() {
                // The reasons may quote the payload: counted here, read with
                // `comptoir-central quarantine`.
                tracing::warn!(
                    quarantined = quarantined.len(),
                    "events refused and kept in the quarantine"
                );
            }
            tracing::info!(received, applied, duplicates, acked_seq, "push applied");
            Ok(axum::Json(PushResponse {
                acked_seq,
                applied,
                duplicates,
                quarantined,
            }))
        }
        PushOutcome::Revoked => Err(ApiError::forbidden(
            "this device was revoked: enroll it again with a new code",
        )),
    }
}

/// `GET /healthz`: 200 when the database answers, 503 otherwise (for a load balancer; no token).
async fn healthz(State(state): State<AppState>) -> Response {
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ok\n").into_response(),
        Ok(Err(error)) => {
            tracing::error!(%error, "health check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "health check failed\n").into_response(),
    }
}

/// `GET /metrics`: Prometheus / OpenMetrics text (no token: it names no device nor store;
/// restrict it at the load balancer if the chain wants to).
async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    crate::metrics::save_seen(&state.store, &state.metrics).await;
    let store = state.store.clone();
    let since = chrono::Utc::now().timestamp() - crate::metrics::SEEN_WINDOW.as_secs() as i64;
    let (counters, seen) =
        blocking(move || Ok((store.counters()?, store.terminals_seen_since(since)?))).await?;
    let text = state.metrics.render(&counters, seen);
    Ok((
        [(
            CONTENT_TYPE,
            HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
        )],
        text,
    )
        .into_response())
}

#[derive(Deserialize)]
struct ChangesQuery {
    #[serde(default)]
    after: i64,
    limit: Option<u32>,
}

async fn changes(
    device: AuthedDevice,
    State(state): State<AppState>,
    query: Result<Query<ChangesQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| {
        ApiError::bad_request(format!(
            "expected ?after=CURSOR&limit=N with integers: {}",
            e.body_text()
        ))
    })?;
    if query.after < 0 {
        return Err(ApiError::bad_request("the cursor cannot be negative"));
    }
    // A terminal asking for more than a page gets a full page, and `more` tells it to go on.
    let limit = match query.limit {
        Some(0) => return Err(ApiError::bad_request("limit must be at least 1")),
        Some(n) => n.min(MAX_PAGE),
        None => MAX_PAGE,
    };
    let store = state.store.clone();
    let after = query.after;
    let scope = device.store.clone();
    match blocking(move || store.changes(&scope, after, limit)).await? {
        PageOutcome::Ahead { latest } => {
            tracing::warn!(after, latest, "a cursor ahead of the change log");
            Err(ApiError::bad_request(format!(
                "cursor {after} is ahead of the central's change log (latest {latest}): \
                 the central's data was replaced; this terminal must sync again from 0"
            )))
        }
        PageOutcome::Page {
            cursor,
            more,
            remaining,
            changes,
        } => {
            tracing::debug!(
                after,
                cursor,
                count = changes.len(),
                remaining,
                "changes served"
            );
            // The stored changes are already JSON: the page is spliced together rather than
            // parsed and serialised again, which is most of the work of a large first pull.
            let size: usize = changes.iter().map(|c| c.len() + 1).sum();
            let mut body = String::with_capacity(size + 96);
            body.push_str(&format!(
                r#"{{"cursor":{cursor},"more":{more},"remaining":{remaining},"changes":["#
            ));
            for (i, change) in changes.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(change);
            }
            body.push_str("]}");
            Ok(([(CONTENT_TYPE, "application/json")], body).into_response())
        }
    }
}

async fn stock(
    _device: AuthedDevice,
    State(state): State<AppState>,
    Path(gtin): Path<String>,
) -> Result<axum::Json<StockAnswer>, ApiError> {
    let gtin = Gtin::parse(&gtin).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let key = gtin.as_str().to_owned();
    let store = state.store.clone();
    let levels = blocking(move || store.stock(&key)).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("the central has no product {}", gtin.as_str()),
        )
    })?;
    Ok(axum::Json(StockAnswer {
        gtin: gtin.as_str().to_owned(),
        levels,
    }))
}

async fn journal_tip(
    device: AuthedDevice,
    State(state): State<AppState>,
) -> Result<axum::Json<JournalTip>, ApiError> {
    let store = state.store.clone();
    let id = device.id.clone();
    let journal = blocking(move || store.device_journal(&id))
        .await?
        .unwrap_or_default();
    Ok(axum::Json(JournalTip {
        sequence: journal.sequence,
        hash: journal.hash,
        breaks: journal.breaks,
    }))
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    limit: Option<u32>,
}

/// `GET /v1/customers?q=TEXT&limit=N`. Neither the text nor the hits are logged: the span has
/// the path only, and the event below counts.
async fn search_customers(
    device: AuthedDevice,
    State(state): State<AppState>,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<axum::Json<CustomerSearchAnswer>, ApiError> {
    state.gates.search(&device.id).inspect_err(|slowdown| {
        tracing::warn!(%slowdown, "a device was asked to slow its customer searches");
    })?;
    let Query(query) = query.map_err(|_| {
        // Not the rejection's text: it may quote the query string.
        ApiError::bad_request("expected ?q=TEXT&limit=N with limit a whole number")
    })?;
    let search =
        CustomerQuery::parse(&query.q).map_err(|e| ApiError::bad_request(e.to_string()))?;
    // As for /v1/changes: zero is a mistake worth hearing of, more than the most is clamped.
    if query.limit == Some(0) {
        return Err(ApiError::bad_request("limit must be at least 1"));
    }
    let limit = search_limit(query.limit);
    let store = state.store.clone();
    let hits = blocking(move || store.search_customers(&search, limit)).await?;
    tracing::debug!(hits = hits.len(), "customer search");
    Ok(axum::Json(CustomerSearchAnswer { hits }))
}

/// `GET /v1/customers/{id}`: the 360° view, or 404. A terminal may still name a customer it
/// created offline by its local id: the view then comes under the chain's id.
async fn customer_view(
    device: AuthedDevice,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<CustomerView>, ApiError> {
    let store = state.store.clone();
    let now = chrono::Utc::now().timestamp();
    let key = id.clone();
    let view = blocking(move || store.customer_view(&key, now))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("the central has no customer {id}"),
            )
        })?;
    // The GDPR access log names every read of a record, through the API too.
    let (store, customer) = (state.store.clone(), view.id.clone());
    blocking(move || store.record_api_read(&customer, &device.id, now)).await?;
    tracing::debug!(customer = %view.id, "customer view served");
    Ok(axum::Json(view))
}

/// `GET /v1/orders/{id}`: an online order (web, click-and-collect or endless aisle) with what
/// each line cost and how much of it came back, for a return at the counter; or 404.
async fn order(
    _device: AuthedDevice,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<OrderAnswer>, ApiError> {
    let store = state.store.clone();
    let key = id.clone();
    let order = blocking(move || store.order(&key)).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("the central has no order {id}"),
        )
    })?;
    tracing::debug!(lines = order.lines.len(), "order served");
    Ok(axum::Json(order))
}

/// `GET /v1/sales/{store}/{ticket}`: an in-store sale with what was returned of it, for a
/// return at any store of the chain.
async fn sale(
    _device: AuthedDevice,
    State(state): State<AppState>,
    Path((store_code, ticket)): Path<(String, String)>,
) -> Result<axum::Json<SaleAnswer>, ApiError> {
    let store = state.store.clone();
    let (s, t) = (store_code.clone(), ticket.clone());
    let sale = blocking(move || store.sale_for_return(&s, &t))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("the central has no sale {ticket} of store {store_code}"),
            )
        })?;
    Ok(axum::Json(sale))
}

/// `GET /v1/credits/{code}`: a store credit or gift card and what is left on it. The code is
/// never logged.
async fn credit(
    _device: AuthedDevice,
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<axum::Json<CreditAnswer>, ApiError> {
    let store = state.store.clone();
    let credit = blocking(move || store.credit(&code))
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "the central has no credit or gift card with this code".to_owned(),
            )
        })?;
    Ok(axum::Json(credit))
}

/// A call's id: chosen by the kiosk, so held to a short safe alphabet.
fn check_call_id(id: &str) -> Result<(), ApiError> {
    let fits = !id.is_empty()
        && id.len() <= TERMINAL_ID_MAX
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if fits {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "a staff call's id is 1 to {TERMINAL_ID_MAX} letters, digits or hyphens"
        )))
    }
}

/// `POST /v1/staff-calls`: a kiosk's customer asks for a seller. Recorded for the device's
/// store and terminal; the store's terminals see it with their next pull.
async fn call_staff(
    device: AuthedDevice,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<StaffCallChange>, ApiError> {
    let request: StaffCallRequest = json_body(body)?;
    check_call_id(&request.id)?;
    let gtin = match request.gtin.as_deref() {
        Some(text) => Some(
            Gtin::parse(text)
                .map_err(|e| ApiError::bad_request(format!("the call's product: {e}")))?
                .as_str()
                .to_owned(),
        ),
        None => None,
    };
    let store = state.store.clone();
    let now = chrono::Utc::now().timestamp();
    let outcome = blocking(move || {
        let caller = Caller {
            device: &device.id,
            store: &device.store,
            terminal: &device.terminal,
        };
        store.call_staff(&caller, &request.id, gtin.as_deref(), now)
    })
    .await?;
    match outcome {
        CallOutcome::Recorded(call) => Ok(axum::Json(call)),
        CallOutcome::IdTaken => Err(ApiError::new(
            StatusCode::CONFLICT,
            "another device already made a staff call with this id",
        )),
    }
}

/// `POST /v1/staff-calls/{id}/answer`: a seller of the same store goes; the first answer counts.
async fn answer_staff_call(
    device: AuthedDevice,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<StaffCallChange>, ApiError> {
    check_call_id(&id)?;
    let request: StaffCallAnswerRequest = json_body(body)?;
    let staff = request.staff.trim().to_owned();
    if staff.is_empty() || staff.chars().count() > TERMINAL_ID_MAX {
        return Err(ApiError::bad_request(format!(
            "the answering seller's login is 1 to {TERMINAL_ID_MAX} characters"
        )));
    }
    let store = state.store.clone();
    let now = chrono::Utc::now().timestamp();
    let outcome =
        blocking(move || store.answer_staff_call(&device.store, &id, &staff, now)).await?;
    match outcome {
        AnswerOutcome::Answered(call) => Ok(axum::Json(call)),
        AnswerOutcome::Unknown => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "this store has no staff call with this id",
        )),
    }
}

#[derive(Deserialize)]
struct OrdersQuery {
    customer: Option<String>,
}

/// `GET /v1/orders?customer=ID`: the customer's latest orders, newest first (an unknown
/// customer has none). The query string is never logged, like a customer search's.
async fn customer_orders(
    _device: AuthedDevice,
    State(state): State<AppState>,
    query: Result<Query<OrdersQuery>, QueryRejection>,
) -> Result<axum::Json<OrdersAnswer>, ApiError> {
    let customer = query
        .ok()
        .and_then(|Query(q)| q.customer)
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::bad_request("expected ?customer=ID"))?;
    let store = state.store.clone();
    let orders = blocking(move || store.orders_of(&customer)).await?;
    tracing::debug!(orders = orders.len(), "customer orders served");
    Ok(axum::Json(OrdersAnswer { orders }))
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such endpoint: see sync::protocol (POST /v1/enroll, POST /v1/push, GET /v1/changes, GET /v1/stock/{gtin}, GET /v1/journal-tip, GET /v1/customers?q=TEXT, GET /v1/customers/{id}, GET /v1/orders/{id}, GET /v1/orders?customer=ID)",
    )
}
