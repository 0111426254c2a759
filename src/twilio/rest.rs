//! The part every Twilio REST client here shares: HTTP Basic credentials, the retry policy,
//! Twilio's error bodies, and list paging by `meta.next_page_url`. [`super::api`] (Events v1)
//! and [`super::monitor_api`] (Monitor v1) are thin layers of named operations on [`RestClient`].
//!
//! Retries (see [`RetryPolicy`]): Twilio's helper libraries never retry, and a create that is
//! retried after a 5xx may have succeeded the first time, so a blind retry could leave a second
//! sink or subscription behind. We therefore retry GET and DELETE on 429/5xx/timeouts (safe to
//! repeat), but POST only when the request demonstrably was not processed: a 429 (throttled
//! before processing) or a connection that was never established.

use std::fmt;
use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Items asked for per page on the first list request (the API allows 1..=1000). Later pages
/// are whatever `meta.next_page_url` says.
const DEFAULT_PAGE_SIZE: u32 = 100;
/// A guard against a server whose `next_page_url` never ends.
const MAX_PAGES: usize = 10_000;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const USER_AGENT: &str = concat!("callwatch/", env!("CARGO_PKG_VERSION"));

/// Which kind of secret a [`Credentials`] holds; decides the hint shown on a 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// Account SID (`AC…`) + Auth Token.
    AuthToken,
    /// API Key SID (`SK…`) + API Key secret.
    ApiKey,
}

/// HTTP Basic credentials for Twilio. `Debug` shows who, never the secret.
#[derive(Clone)]
pub struct Credentials {
    kind: CredentialKind,
    /// Account SID or API Key SID: an identifier, not a secret.
    username: String,
    /// Auth Token or API Key secret.
    secret: String,
}

impl Credentials {
    /// Account SID + Auth Token (`TWILIO_ACCOUNT_SID` / `TWILIO_AUTH_TOKEN`).
    pub fn from_auth_token(account_sid: impl Into<String>, auth_token: impl Into<String>) -> Self {
        Self {
            kind: CredentialKind::AuthToken,
            username: account_sid.into(),
            secret: auth_token.into(),
        }
    }

    /// API Key SID + secret (`TWILIO_API_KEY` / `TWILIO_API_SECRET`).
    pub fn from_api_key(api_key: impl Into<String>, api_secret: impl Into<String>) -> Self {
        Self {
            kind: CredentialKind::ApiKey,
            username: api_key.into(),
            secret: api_secret.into(),
        }
    }

    /// Account credentials or an API key.
    pub fn kind(&self) -> CredentialKind {
        self.kind
    }

    /// The Basic-auth user name: the Account SID or the API Key SID.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The Auth Token, when these are account credentials. It is also the key Twilio signs
    /// webhook deliveries with, which is why a caller may need it.
    pub fn auth_token(&self) -> Option<&str> {
        (self.kind == CredentialKind::AuthToken).then_some(self.secret.as_str())
    }

    /// What to check when Twilio answers 401.
    fn unauthorized_hint(&self) -> &'static str {
        match self.kind {
            CredentialKind::AuthToken => {
                "check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or --account-sid / --auth-token)"
            }
            CredentialKind::ApiKey => {
                "check TWILIO_API_KEY and TWILIO_API_SECRET (or --api-key / --api-secret); \
                 the key must be active and belong to the account"
            }
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("kind", &self.kind)
            .field("username", &self.username)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// When a failed request is sent again. The delay before retry `n` (0-based) is
/// `first_delay * 2^n`, or the server's `Retry-After` when that is longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Delay before the first retry; it doubles for each further one.
    pub first_delay: Duration,
    /// A `Retry-After` longer than this is not waited for: the error is reported instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            first_delay: Duration::from_millis(200),
            max_retry_after: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// How long to wait before retrying an attempt that ended in `outcome`, or `None` to stop.
    fn delay(&self, method: &Method, outcome: AttemptOutcome, attempt: u32) -> Option<Duration> {
        if attempt >= self.max_retries {
            return None;
        }
        let backoff = self.first_delay.saturating_mul(1u32 << attempt.min(16));
        let repeatable = *method == Method::GET || *method == Method::DELETE;
        let honour = |retry_after: Option<Duration>| match retry_after {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait.max(backoff)),
            None => Some(backoff),
        };
        match outcome {
            // Throttled: the request was refused before any work was done.
            AttemptOutcome::Status(429, retry_after) => honour(retry_after),
            AttemptOutcome::Status(500 | 502 | 503 | 504, retry_after) if repeatable => {
                honour(retry_after)
            }
            AttemptOutcome::Status(..) => None,
            // Nothing reached the server.
            AttemptOutcome::ConnectFailed => Some(backoff),
            // Timed out or cut off: the server may have acted on it.
            AttemptOutcome::TransportFailed if repeatable => Some(backoff),
            AttemptOutcome::TransportFailed => None,
        }
    }
}

/// How one attempt ended, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AttemptOutcome {
    Status(u16, Option<Duration>),
    ConnectFailed,
    TransportFailed,
}

/// An error Twilio answered with, in either of its shapes: the classic
/// `{code, message, more_info, status}` or RFC 9457 `{type, title, status, code, detail}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioError {
    /// The HTTP status of the answer.
    pub status: u16,
    /// Twilio's error code (`20404`, `91100`, ...), when the body carried one.
    pub code: Option<u32>,
    /// Twilio's message (`message`, else `detail`, else `title`).
    pub message: String,
    /// The documentation page for the code.
    pub more_info: Option<String>,
    /// The request that failed, e.g. `DELETE https://events.twilio.com/v1/Sinks/DG…`.
    pub request: String,
    /// What to check, for errors where that is clear (401).
    pub hint: Option<&'static str>,
}

impl fmt::Display for TwilioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(code) => write!(f, "Twilio error {code}: {}", self.message)?,
            None => write!(f, "Twilio error: {}", self.message)?,
        }
        if let Some(link) = &self.more_info {
            write!(f, " — {link}")?;
        }
        write!(f, " (HTTP {} from {})", self.status, self.request)?;
        if let Some(hint) = self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

impl TwilioError {
    /// Reads a Twilio error body; `None` when the body is not one (an HTML page from a proxy).
    pub fn from_body(status: u16, body: &[u8], request: String) -> Option<Self> {
        let Value::Object(fields) = serde_json::from_slice::<Value>(body).ok()? else {
            return None;
        };
        let text = |name: &str| {
            fields
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let code = fields.get("code").and_then(|code| match code {
            Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        });
        let message = text("message")
            .or_else(|| text("detail"))
            .or_else(|| text("title"));
        if code.is_none() && message.is_none() {
            return None;
        }
        let status = fields
            .get("status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| (400..600).contains(s))
            .unwrap_or(status);
        // RFC 9457 puts the documentation link in `type`; "about:blank" is no link.
        let more_info = text("more_info")
            .or_else(|| text("type").filter(|t| t.starts_with("http")))
            .or_else(|| code.map(|c| format!("https://www.twilio.com/docs/errors/{c}")));
        Some(Self {
            status,
            code,
            message: message.unwrap_or_else(|| "(no message)".to_owned()),
            more_info,
            request,
            hint: None,
        })
    }
}

/// Everything that can go wrong talking to a Twilio API. No variant ever carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Twilio answered with an error body.
    #[error("{0}")]
    Twilio(Box<TwilioError>),
    /// A non-2xx answer that is not a Twilio error body (a proxy page, an empty body).
    #[error("HTTP {status} from {request}: {excerpt}{}", hint.map(|h| format!("; {h}")).unwrap_or_default())]
    UnexpectedStatus {
        status: u16,
        request: String,
        /// The start of the body, control characters removed.
        excerpt: String,
        hint: Option<&'static str>,
    },
    /// No answer: DNS, connection, TLS or timeout.
    #[error("could not reach {api} ({request})")]
    Transport {
        /// Which API, e.g. "the Events API".
        api: &'static str,
        request: String,
        #[source]
        source: reqwest::Error,
    },
    /// A 2xx answer whose body is not what the API description says.
    #[error("unexpected answer from {request}")]
    Decode {
        request: String,
        #[source]
        source: serde_json::Error,
    },
    /// The base URL given with `--api-base` is unusable.
    #[error("invalid base URL for {api} {url:?}: {reason}")]
    BadBaseUrl {
        /// Which API, e.g. "the Events API".
        api: &'static str,
        url: String,
        reason: &'static str,
    },
    /// A list page pointed somewhere the credentials must not be sent.
    #[error(
        "refusing to follow next_page_url {url}: it is not on {base} (credentials are only sent there)"
    )]
    ForeignPageUrl { url: String, base: String },
    /// The HTTP client could not be built (TLS setup).
    #[error("could not set up the HTTP client")]
    Client(#[source] reqwest::Error),
}

impl ApiError {
    /// Twilio's error code, when Twilio sent one.
    pub fn twilio_code(&self) -> Option<u32> {
        match self {
            ApiError::Twilio(e) => e.code,
            _ => None,
        }
    }

    /// The HTTP status, when there was an answer.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            ApiError::Twilio(e) => Some(e.status),
            ApiError::UnexpectedStatus { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// An answer whose status ended the retry loop.
struct Answer {
    status: StatusCode,
    body: bytes::Bytes,
    /// An earlier attempt may have been acted on by the server (5xx or cut off).
    after_ambiguous_attempt: bool,
}

/// Which API a [`RestClient`] talks to: named in messages, and the Twilio origin whose
/// `next_page_url`s are followed besides the configured base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiName {
    /// "the Events API", "the Monitor API".
    pub name: &'static str,
    /// Twilio's own base URL for it, e.g. `https://events.twilio.com`.
    pub twilio_base: &'static str,
}

/// An authenticated client for one Twilio API. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct RestClient {
    api: ApiName,
    http: reqwest::Client,
    base: Url,
    credentials: Credentials,
    retry: RetryPolicy,
    page_size: u32,
}

impl RestClient {
    /// A client for `api` at `base_url` (normally `api.twilio_base`; a path prefix is kept).
    pub fn new(api: ApiName, base_url: &str, credentials: Credentials) -> Result<Self, ApiError> {
        let bad = |reason| ApiError::BadBaseUrl {
            api: api.name,
            url: without_userinfo(base_url),
            reason,
        };
        let mut base = Url::parse(base_url.trim()).map_err(|_| bad("not a URL"))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(bad("the scheme must be https (or http)"));
        }
        if !base.username().is_empty() || base.password().is_some() {
            return Err(bad(
                "credentials do not belong in the URL; use the flags or env vars",
            ));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(bad("a base URL has no query or fragment"));
        }
        base.path_segments_mut()
            .map_err(|()| bad("not a hierarchical URL"))?
            .pop_if_empty();
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT);
        if super::url::is_loopback(base.as_str()) {
            // A base on this machine (a local fake of Twilio, an SSH tunnel): a proxy from the
            // environment would look for it on the proxy's own machine instead.
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(ApiError::Client)?;
        Ok(Self {
            api,
            http,
            base,
            credentials,
            retry: RetryPolicy::default(),
            page_size: DEFAULT_PAGE_SIZE,
        })
    }

    /// Replaces the retry policy (tests use [`RetryPolicy::none`]).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The `PageSize` sent with the first request of each list (clamped to 1..=1000).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.clamp(1, 1000);
        self
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// Who is calling (never the secret, see [`Credentials`]'s `Debug`).
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The URL of `segments` under the base, each segment percent-encoded (a SID typed by a
    /// user cannot walk the path).
    pub(crate) fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            // `new` checked that the base has a path, so this always runs.
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// One request whose 2xx answer is a `T`.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        form: Option<&[(&str, String)]>,
    ) -> Result<T, ApiError> {
        let request = describe(&method, &url);
        let answer = self.execute(method, url, form).await?;
        if !answer.status.is_success() {
            return Err(self.error_from(answer, request));
        }
        serde_json::from_slice(&answer.body).map_err(|source| ApiError::Decode { request, source })
    }

    /// A DELETE. A 404 after an attempt the server may have carried out means the first
    /// attempt deleted it, so that counts as done.
    pub(crate) async fn delete(&self, url: Url) -> Result<(), ApiError> {
        let request = describe(&Method::DELETE, &url);
        let answer = self.execute(Method::DELETE, url, None).await?;
        let gone_earlier = answer.status == StatusCode::NOT_FOUND && answer.after_ambiguous_attempt;
        if answer.status.is_success() || gone_earlier {
            Ok(())
        } else {
            Err(self.error_from(answer, request))
        }
    }

    /// Every item of a list: the first page with our filters and `PageSize`, then
    /// `meta.next_page_url` verbatim until it is null.
    pub(crate) async fn list_all<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        filters: &[(&str, String)],
        key: &str,
    ) -> Result<Vec<T>, ApiError> {
        let mut url = self.endpoint(segments);
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in filters {
                query.append_pair(name, value);
            }
            query.append_pair("PageSize", &self.page_size.to_string());
        }
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let page: ListPage = self.call(Method::GET, url.clone(), None).await?;
            let request = describe(&Method::GET, &url);
            let page_items = page
                .items
                .get(key)
                .cloned()
                .unwrap_or(Value::Array(Vec::new()));
            let page_items: Vec<T> = serde_json::from_value(page_items)
                .map_err(|source| ApiError::Decode { request, source })?;
            items.extend(page_items);
            match page.meta.next_page_url.filter(|next| !next.is_empty()) {
                None => return Ok(items),
                Some(next) => url = self.next_page(&next)?,
            }
        }
        Ok(items)
    }

    /// Checks that a `next_page_url` stays on the API we were pointed at (or Twilio's own), so
    /// credentials never go elsewhere.
    fn next_page(&self, next: &str) -> Result<Url, ApiError> {
        let foreign = || ApiError::ForeignPageUrl {
            url: next.to_owned(),
            base: self.base.origin().ascii_serialization(),
        };
        let url = Url::parse(next).map_err(|_| foreign())?;
        let twilio = Url::parse(self.api.twilio_base).map(|u| u.origin()).ok();
        if url.origin() == self.base.origin() || Some(url.origin()) == twilio {
            Ok(url)
        } else {
            Err(foreign())
        }
    }

    /// Sends one request, retrying per the policy; returns the last answer, whatever its status.
    async fn execute(
        &self,
        method: Method,
        url: Url,
        form: Option<&[(&str, String)]>,
    ) -> Result<Answer, ApiError> {
        let mut ambiguous = false;
        let mut attempt = 0;
        loop {
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .basic_auth(&self.credentials.username, Some(&self.credentials.secret))
                .header(ACCEPT, "application/json");
            if let Some(form) = form {
                request = request.form(form);
            }
            let sent = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    tracing::info!(
                        api = self.api.name,
                        %method,
                        path = url.path(),
                        status = status.as_u16(),
                        attempt,
                        "API request"
                    );
                    let retry_after = retry_after(response.headers());
                    response
                        .bytes()
                        .await
                        .map(|body| (status, retry_after, body))
                }
                Err(e) => Err(e),
            };
            let (outcome, result) = match sent {
                Ok((status, retry_after, body)) => {
                    let answer = Answer {
                        status,
                        body,
                        after_ambiguous_attempt: ambiguous,
                    };
                    if status.is_success() {
                        return Ok(answer);
                    }
                    (
                        AttemptOutcome::Status(status.as_u16(), retry_after),
                        Ok(answer),
                    )
                }
                Err(e) => {
                    tracing::warn!(
                        api = self.api.name,
                        %method,
                        path = url.path(),
                        connect = e.is_connect(),
                        timeout = e.is_timeout(),
                        error = %e,
                        attempt,
                        "API request failed"
                    );
                    let outcome = if e.is_connect() {
                        AttemptOutcome::ConnectFailed
                    } else {
                        AttemptOutcome::TransportFailed
                    };
                    let error = ApiError::Transport {
                        api: self.api.name,
                        request: describe(&method, &url),
                        source: e.without_url(),
                    };
                    (outcome, Err(error))
                }
            };
            match self.retry.delay(&method, outcome, attempt) {
                None => return result,
                Some(delay) => {
                    ambiguous |= matches!(
                        outcome,
                        AttemptOutcome::TransportFailed | AttemptOutcome::Status(500..=599, _)
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    /// Turns a non-2xx answer into the error to show.
    fn error_from(&self, answer: Answer, request: String) -> ApiError {
        let status = answer.status.as_u16();
        let hint = (status == 401).then(|| self.credentials.unauthorized_hint());
        match TwilioError::from_body(status, &answer.body, request.clone()) {
            Some(mut error) => {
                error.hint = hint;
                ApiError::Twilio(Box::new(error))
            }
            None => ApiError::UnexpectedStatus {
                status,
                request,
                excerpt: excerpt(&answer.body, answer.status),
                hint,
            },
        }
    }
}

/// The `{<key>: [...], meta: {...}}` shape of every list answer.
#[derive(Debug, Deserialize)]
struct ListPage {
    #[serde(default)]
    meta: PageMeta,
    #[serde(flatten)]
    items: Map<String, Value>,
}

#[derive(Debug, Default, Deserialize)]
struct PageMeta {
    next_page_url: Option<String>,
}

/// `GET https://events.twilio.com/v1/Sinks?PageSize=100`, for error messages.
fn describe(method: &Method, url: &Url) -> String {
    format!("{method} {url}")
}

/// `url` with any `user:password@` replaced, for messages about a URL a user typed.
fn without_userinfo(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            // Both setters only fail for URLs that cannot have userinfo, which these have.
            let _ = parsed.set_username("redacted");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        // Not a URL at all: show no more than its scheme-like start.
        Err(_) if url.contains('@') => "(a string containing '@')".to_owned(),
        Err(_) => url.to_owned(),
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by Twilio and is ignored).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// The start of a body that is not a Twilio error, printable on one line.
fn excerpt(body: &[u8], status: StatusCode) -> String {
    let text: String = String::from_utf8_lossy(body)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        status.canonical_reason().unwrap_or("no body").to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &str = "POST https://events.twilio.com/v1/Subscriptions";
    const EVENTS: ApiName = ApiName {
        name: "the Events API",
        twilio_base: "https://events.twilio.com",
    };

    #[test]
    fn classic_error_body_reads_with_code_message_and_link() {
        let body = br#"{"code": 91100, "message": "Sink is not in an active state", "more_info": "https://www.twilio.com/docs/errors/91100", "status": 400}"#;
        let error = TwilioError::from_body(400, body, REQUEST.to_owned()).unwrap();
        assert_eq!(error.code, Some(91100));
        assert_eq!(
            error.to_string(),
            "Twilio error 91100: Sink is not in an active state — \
             https://www.twilio.com/docs/errors/91100 \
             (HTTP 400 from POST https://events.twilio.com/v1/Subscriptions)"
        );
    }

    #[test]
    fn rfc9457_error_body_uses_detail_and_type_link() {
        let body = br#"{"type": "https://www.twilio.com/docs/errors/20404", "title": "Not Found", "status": 404, "code": 20404, "detail": "The requested resource /Sinks/DG00 was not found", "instance": "/v1/Sinks/DG00"}"#;
        let error = TwilioError::from_body(404, body, "DELETE x".to_owned()).unwrap();
        assert_eq!(error.code, Some(20404));
        assert_eq!(error.status, 404);
        assert_eq!(
            error.message,
            "The requested resource /Sinks/DG00 was not found"
        );
        assert_eq!(
            error.more_info.as_deref(),
            Some("https://www.twilio.com/docs/errors/20404")
        );
    }

    #[test]
    fn error_body_without_link_gets_the_docs_link_from_its_code() {
        let body = br#"{"code": "20003", "title": "Authenticate", "type": "about:blank"}"#;
        let error = TwilioError::from_body(401, body, "GET x".to_owned()).unwrap();
        assert_eq!(error.code, Some(20003));
        assert_eq!(error.message, "Authenticate");
        assert_eq!(
            error.more_info.as_deref(),
            Some("https://www.twilio.com/docs/errors/20003")
        );
    }

    #[test]
    fn bodies_that_are_not_twilio_errors_are_not_read_as_one() {
        for body in [
            &b"<html>502 Bad Gateway</html>"[..],
            b"",
            b"[]",
            br#"{"sinks": []}"#,
        ] {
            assert_eq!(TwilioError::from_body(502, body, "GET x".to_owned()), None);
        }
    }

    #[test]
    fn unauthorized_error_names_the_variables_to_check() {
        let client = RestClient::new(
            EVENTS,
            "http://127.0.0.1:9",
            Credentials::from_api_key("SK0123", "key-secret-value"),
        )
        .unwrap();
        let answer = Answer {
            status: StatusCode::UNAUTHORIZED,
            body: bytes::Bytes::from_static(
                br#"{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}"#,
            ),
            after_ambiguous_attempt: false,
        };
        let text = client.error_from(answer, "GET x".to_owned()).to_string();
        assert!(
            text.starts_with("Twilio error 20003: Authenticate"),
            "{text}"
        );
        assert!(
            text.contains("TWILIO_API_KEY and TWILIO_API_SECRET"),
            "{text}"
        );
        assert!(!text.contains("key-secret-value"), "{text}");

        let answer = Answer {
            status: StatusCode::UNAUTHORIZED,
            body: bytes::Bytes::new(),
            after_ambiguous_attempt: false,
        };
        let account = RestClient::new(
            EVENTS,
            "http://127.0.0.1:9",
            Credentials::from_auth_token("AC0123", "token-value"),
        )
        .unwrap();
        let text = account.error_from(answer, "GET x".to_owned()).to_string();
        assert_eq!(
            text,
            "HTTP 401 from GET x: Unauthorized; check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN \
             (or --account-sid / --auth-token)"
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let token = Credentials::from_auth_token("AC0123", "token-value-xyz");
        let key = Credentials::from_api_key("SK0123", "secret-value-xyz");
        for credentials in [token, key] {
            let client = RestClient::new(EVENTS, EVENTS.twilio_base, credentials.clone()).unwrap();
            for text in [
                format!("{credentials:?}"),
                format!("{client:?}"),
                format!("{client:#?}"),
            ] {
                assert!(!text.contains("value-xyz"), "{text}");
                assert!(text.contains("0123"), "the user name is shown: {text}");
            }
        }
    }

    #[test]
    fn base_urls_with_credentials_or_queries_are_refused() {
        let credentials = || Credentials::from_auth_token("AC1", "t");
        for base in [
            "https://AC1:token@events.twilio.com",
            "ftp://events.twilio.com",
            "https://events.twilio.com/?x=1",
            "events.twilio.com",
        ] {
            let error = RestClient::new(EVENTS, base, credentials()).unwrap_err();
            assert!(
                matches!(error, ApiError::BadBaseUrl { .. }),
                "{base}: {error}"
            );
            assert!(!error.to_string().contains("token"), "{error}");
        }
    }

    #[test]
    fn endpoints_keep_a_path_prefix_and_encode_segments() {
        let client = RestClient::new(
            EVENTS,
            "http://proxy.local/twilio/",
            Credentials::from_auth_token("AC1", "t"),
        )
        .unwrap();
        assert_eq!(
            client.endpoint(&["v1", "Sinks", "DG1/../x?y"]).as_str(),
            "http://proxy.local/twilio/v1/Sinks/DG1%2F..%2Fx%3Fy"
        );
        let client = RestClient::new(
            EVENTS,
            EVENTS.twilio_base,
            Credentials::from_auth_token("AC1", "t"),
        )
        .unwrap();
        assert_eq!(
            client.endpoint(&["v1", "Sinks"]).as_str(),
            "https://events.twilio.com/v1/Sinks"
        );
    }

    #[test]
    fn next_page_urls_elsewhere_are_refused() {
        let client = RestClient::new(
            EVENTS,
            "http://127.0.0.1:4000",
            Credentials::from_auth_token("AC1", "t"),
        )
        .unwrap();
        assert!(
            client
                .next_page("http://127.0.0.1:4000/v1/Sinks?PageToken=PT1")
                .is_ok()
        );
        assert!(
            client
                .next_page("https://events.twilio.com/v1/Sinks?PageToken=PT1")
                .is_ok()
        );
        assert!(matches!(
            client.next_page("https://attacker.example/v1/Sinks"),
            Err(ApiError::ForeignPageUrl { .. })
        ));
    }

    #[test]
    fn retries_repeat_only_what_is_safe_to_repeat() {
        let policy = RetryPolicy::default();
        let ms = Duration::from_millis;
        let s503 = AttemptOutcome::Status(503, None);
        let s429 = AttemptOutcome::Status(429, None);
        // (method, outcome, attempt, expected delay)
        let cases = [
            (Method::GET, s503, 0, Some(ms(200))),
            (Method::GET, s503, 1, Some(ms(400))),
            (Method::GET, s503, 2, Some(ms(800))),
            (Method::GET, s503, 3, None),
            (Method::DELETE, s503, 0, Some(ms(200))),
            (Method::POST, s503, 0, None),
            (Method::POST, s429, 0, Some(ms(200))),
            (
                Method::POST,
                AttemptOutcome::Status(429, Some(ms(2000))),
                0,
                Some(ms(2000)),
            ),
            (
                Method::GET,
                AttemptOutcome::Status(429, Some(Duration::from_secs(60))),
                0,
                None,
            ),
            (Method::GET, AttemptOutcome::Status(404, None), 0, None),
            (Method::GET, AttemptOutcome::Status(400, None), 0, None),
            (Method::GET, AttemptOutcome::Status(501, None), 0, None),
            (
                Method::POST,
                AttemptOutcome::ConnectFailed,
                0,
                Some(ms(200)),
            ),
            (Method::POST, AttemptOutcome::TransportFailed, 0, None),
            (
                Method::GET,
                AttemptOutcome::TransportFailed,
                1,
                Some(ms(400)),
            ),
        ];
        for (method, outcome, attempt, expected) in cases {
            assert_eq!(
                policy.delay(&method, outcome, attempt),
                expected,
                "{method} {outcome:?} attempt {attempt}"
            );
        }
        assert_eq!(RetryPolicy::none().delay(&Method::GET, s503, 0), None);
    }
}
