//! What the fake Twilio APIs share: reading an OpenAPI description (`assets/twilio/*.json`) into
//! the operations it allows and checking each request against it (parameters, types, required
//! ones), Basic-auth and form decoding, and Twilio's list paging by `meta.next_page_url`.

#![allow(dead_code)] // Each test binary uses a different part of the support code.

use base64::Engine as _;
use hyper::Method;
use serde_json::{Value, json};

/// The page size Twilio uses when the client sends none.
pub const TWILIO_DEFAULT_PAGE_SIZE: usize = 50;

/// One request as a fake saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// The path without the query, e.g. `/v1/Sinks`.
    pub path: String,
    /// Query parameters in order, decoded.
    pub query: Vec<(String, String)>,
    /// Form body parameters in order, decoded (repeated keys stay repeated).
    pub form: Vec<(String, String)>,
    pub content_type: Option<String>,
    /// The Basic-auth user name (Account SID or API key); the password is never kept.
    pub username: Option<String>,
    pub user_agent: Option<String>,
    /// The status the fake answered.
    pub status: u16,
}

impl RecordedRequest {
    /// The first form value named `name`.
    pub fn form_value(&self, name: &str) -> Option<&str> {
        self.form_values(name).into_iter().next()
    }

    /// Every form value named `name`, in order.
    pub fn form_values(&self, name: &str) -> Vec<&str> {
        self.form
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first query value named `name`.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What one request carries, decoded.
pub struct ReceivedRequest {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    pub body_len: usize,
    pub content_type: Option<String>,
    /// `(user, password)` from Basic auth.
    pub basic_auth: Option<(String, String)>,
}

/// The operations of the API description, as the fake enforces them.
pub struct Spec {
    operations: Vec<Operation>,
}

pub struct Operation {
    pub id: String,
    method: Method,
    /// Path segments after the leading `/`; `None` marks a `{param}`.
    template: Vec<Segment>,
    query: Vec<ParamRule>,
    /// `None`: the operation takes no body.
    body: Option<BodyRules>,
}

enum Segment {
    Literal(String),
    Param(String),
}

struct ParamRule {
    name: String,
    required: bool,
    /// The parameter's schema, `$ref`s resolved.
    schema: Value,
}

struct BodyRules {
    content_type: String,
    properties: Vec<ParamRule>,
}

impl Spec {
    pub fn parse(spec: &Value) -> Self {
        let mut operations = Vec::new();
        let paths = spec["paths"]
            .as_object()
            .expect("the description has paths");
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, operation) in item {
                let Ok(method) = method.to_uppercase().parse::<Method>() else {
                    continue;
                };
                if !matches!(
                    method,
                    Method::GET | Method::POST | Method::DELETE | Method::PUT | Method::PATCH
                ) {
                    continue;
                }
                let id = operation["operationId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let query = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| resolve(spec, p))
                    .filter(|p| p["in"] == "query")
                    .map(|p| ParamRule {
                        name: p["name"].as_str().unwrap_or_default().to_owned(),
                        required: p["required"].as_bool().unwrap_or(false),
                        schema: resolve(spec, &p["schema"]),
                    })
                    .collect();
                let body = operation["requestBody"]["content"]
                    .as_object()
                    .and_then(|content| {
                        let (content_type, media) = content.iter().next()?;
                        let schema = resolve(spec, &media["schema"]);
                        let required: Vec<&str> = schema["required"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .collect();
                        let properties = schema["properties"]
                            .as_object()
                            .into_iter()
                            .flatten()
                            .map(|(name, property)| ParamRule {
                                name: name.clone(),
                                required: required.contains(&name.as_str()),
                                schema: resolve(spec, property),
                            })
                            .collect();
                        Some(BodyRules {
                            content_type: content_type.clone(),
                            properties,
                        })
                    });
                let template = path
                    .trim_start_matches('/')
                    .split('/')
                    .map(|segment| {
                        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                            Some(name) => Segment::Param(name.to_owned()),
                            None => Segment::Literal(segment.to_owned()),
                        }
                    })
                    .collect();
                operations.push(Operation {
                    id,
                    method,
                    template,
                    query,
                    body,
                });
            }
        }
        Self { operations }
    }

    /// The operation for `method` + `path`, preferring literal segments over parameters.
    pub fn route(
        &self,
        method: &Method,
        path: &str,
    ) -> Option<(&Operation, Vec<(String, String)>)> {
        self.operations
            .iter()
            .filter(|o| o.method == *method)
            .filter_map(|o| o.matches(path).map(|params| (o, params)))
            .min_by_key(|(_, params)| params.len())
    }

    /// True when the description has the operation `id` (e.g. `CreateSink`).
    pub fn has(&self, id: &str) -> bool {
        self.operations.iter().any(|o| o.id == id)
    }

    pub fn path_exists(&self, path: &str) -> bool {
        self.operations.iter().any(|o| o.matches(path).is_some())
    }
}

impl Operation {
    fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if segments.len() != self.template.len() {
            return None;
        }
        let mut params = Vec::new();
        for (segment, template) in segments.iter().zip(&self.template) {
            match template {
                Segment::Literal(literal) if literal == segment => {}
                Segment::Literal(_) => return None,
                Segment::Param(_) if segment.is_empty() => return None,
                Segment::Param(name) => params.push((name.clone(), percent_decode(segment))),
            }
        }
        Some(params)
    }

    /// Checks the query and the body against the description; the error text says what is wrong.
    pub fn check(&self, request: &ReceivedRequest) -> Result<(), String> {
        check_params(&self.query, &request.query, "query string")?;
        match &self.body {
            None if request.body_len > 0 => Err(format!("{} takes no request body", self.id)),
            None => Ok(()),
            Some(rules) => {
                let media_type = request
                    .content_type
                    .as_deref()
                    .and_then(|ct| ct.split(';').next())
                    .map(str::trim);
                if media_type != Some(rules.content_type.as_str()) {
                    return Err(format!(
                        "Content-Type must be {}, got {}",
                        rules.content_type,
                        request.content_type.as_deref().unwrap_or("none")
                    ));
                }
                check_params(&rules.properties, &request.form, "post body")
            }
        }
    }
}

/// Unknown, missing-required, repeated-scalar and mistyped parameters are errors.
fn check_params(
    rules: &[ParamRule],
    given: &[(String, String)],
    place: &str,
) -> Result<(), String> {
    for (name, _) in given {
        if !rules.iter().any(|r| &r.name == name) {
            return Err(format!("Unknown parameter {name} in the {place}"));
        }
    }
    for rule in rules {
        let values: Vec<&str> = given
            .iter()
            .filter(|(n, _)| *n == rule.name)
            .map(|(_, v)| v.as_str())
            .collect();
        if values.is_empty() && rule.required {
            return Err(format!(
                "Missing required parameter {} in the {place}",
                rule.name
            ));
        }
        let is_array = rule.schema["type"] == "array";
        if values.len() > 1 && !is_array {
            return Err(format!("Parameter {} may be given only once", rule.name));
        }
        let item_schema = if is_array {
            &rule.schema["items"]
        } else {
            &rule.schema
        };
        for value in values {
            check_value(&rule.name, item_schema, value)?;
        }
    }
    Ok(())
}

fn check_value(name: &str, schema: &Value, value: &str) -> Result<(), String> {
    match schema["type"].as_str() {
        Some("integer") => {
            let n: i64 = value
                .parse()
                .map_err(|_| format!("{name} must be an integer, got {value:?}"))?;
            if schema["minimum"].as_i64().is_some_and(|min| n < min)
                || schema["maximum"].as_i64().is_some_and(|max| n > max)
            {
                return Err(format!("{name} is out of range: {n}"));
            }
        }
        Some("boolean") if value != "true" && value != "false" => {
            return Err(format!("{name} must be true or false, got {value:?}"));
        }
        Some("string") => {
            let length = value.chars().count() as u64;
            if schema["minLength"].as_u64().is_some_and(|min| length < min)
                || schema["maxLength"].as_u64().is_some_and(|max| length > max)
            {
                return Err(format!("{name} has the wrong length: {value:?}"));
            }
        }
        _ => {}
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.iter().any(|a| a.as_str() == Some(value)) {
            return Err(format!("{name} must be one of {allowed:?}, got {value:?}"));
        }
    }
    Ok(())
}

/// Follows a `{"$ref": "#/components/..."}` to what it names (one level is all this file uses).
fn resolve(spec: &Value, value: &Value) -> Value {
    match value["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => spec.pointer(pointer).cloned().unwrap_or(Value::Null),
        None => value.clone(),
    }
}

pub fn decode_basic(header: &str) -> Option<(String, String)> {
    let encoded = header.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// `application/x-www-form-urlencoded` pairs (query strings use the same encoding).
pub fn decode_pairs(encoded: &str) -> Vec<(String, String)> {
    if encoded.is_empty() {
        return Vec::new();
    }
    // `Url`'s query parser is the form-urlencoded parser reqwest itself uses.
    let Ok(url) = reqwest::Url::parse(&format!("http://fake/?{encoded}")) else {
        return Vec::new();
    };
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn percent_decode(segment: &str) -> String {
    decode_pairs(&format!("x={}", segment.replace('+', "%2B")))
        .pop()
        .map(|(_, v)| v)
        .unwrap_or_else(|| segment.to_owned())
}

/// One page of `items` as Twilio pages lists: `PageSize` (capped at `max_page_size`),
/// `PageToken` from the previous page's links, absolute `meta` URLs that keep the filters. The
/// error is the message of a 400 (an unreadable `PageToken`).
pub fn page_json(
    base: &str,
    path: &str,
    query: &[(String, String)],
    key: &str,
    items: Vec<Value>,
    max_page_size: usize,
) -> Result<Value, String> {
    let find = |name: &str| {
        query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let requested = find("PageSize")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(TWILIO_DEFAULT_PAGE_SIZE);
    let size = requested.min(max_page_size).max(1);
    let offset = match find("PageToken") {
        Some(token) => match token
            .strip_prefix("PT")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(offset) => offset,
            None => return Err(format!("Invalid PageToken {token:?}")),
        },
        None => {
            find("Page")
                .and_then(|p| p.parse::<usize>().ok())
                .unwrap_or(0)
                * size
        }
    };
    let filters: Vec<&(String, String)> = query
        .iter()
        .filter(|(n, _)| !matches!(n.as_str(), "PageSize" | "Page" | "PageToken"))
        .collect();
    let link = |offset: usize| {
        let mut url = reqwest::Url::parse(&format!("{base}{path}")).expect("a valid URL");
        {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in &filters {
                pairs.append_pair(name, value);
            }
            pairs.append_pair("PageSize", &size.to_string());
            pairs.append_pair("Page", &(offset / size).to_string());
            if offset > 0 {
                pairs.append_pair("PageToken", &format!("PT{offset}"));
            }
        }
        url.to_string()
    };
    let end = (offset + size).min(items.len());
    let page_items: Vec<Value> = items
        .get(offset..end)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    let next = (end < items.len()).then(|| link(end));
    let previous = (offset > 0).then(|| link(offset.saturating_sub(size)));
    Ok(json!({
        key: page_items,
        "meta": {
            "page": offset / size,
            "page_size": size,
            "first_page_url": link(0),
            "previous_page_url": previous,
            "url": link(offset),
            "next_page_url": next,
            "key": key,
        }
    }))
}

/// An error body in Twilio's classic shape `{code, message, more_info, status}`.
pub fn classic_error(status: u16, code: u32, message: &str) -> Value {
    json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    })
}

/// `prefix` + 32 hex digits, distinct for each `counter`, stable from run to run.
pub fn sid(prefix: &str, counter: u64) -> String {
    let high = splitmix64(counter);
    let low = splitmix64(high ^ counter);
    format!("{prefix}{high:016x}{low:016x}")
}

fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Serves HTTP/1 on `listener` until the task is aborted, answering every request with
/// `handle` (each fake passes its own request handler).
pub fn serve<F, Fut>(listener: tokio::net::TcpListener, handle: F) -> tokio::task::JoinHandle<()>
where
    F: Fn(hyper::Request<hyper::body::Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = hyper::Response<http_body_util::Full<bytes::Bytes>>>
        + Send
        + 'static,
{
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let handle = handle.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let answer = handle(request);
                    async move { Ok::<_, std::convert::Infallible>(answer.await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
