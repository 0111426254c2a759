//! Where the public URL Twilio signed comes from ([`PublicUrl`]): given once, or rebuilt for
//! every request from the proxy's `X-Forwarded-*` headers. The listener checks signatures
//! against it and the diagnosis explains a failed check with it.

use http::HeaderMap;

use crate::twilio::url::display_url;

/// Where the public URL that Twilio signed comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicUrl {
    /// A URL given once (`--public-url`, or discovered from a tunnel).
    Fixed(String),
    /// Rebuilt for every request from `X-Forwarded-Proto`/`X-Forwarded-Host`/`Host`, with this
    /// events path (`--trust-forwarded-headers`).
    FromForwardedHeaders {
        /// The events path, e.g. `/events`.
        path: String,
    },
}

impl PublicUrl {
    /// The path deliveries are POSTed to.
    pub fn events_path(&self) -> String {
        match self {
            Self::Fixed(url) => url_path(url),
            Self::FromForwardedHeaders { path } => path.clone(),
        }
    }

    /// The public URL for one request (without query).
    pub fn for_request(&self, headers: &HeaderMap) -> String {
        match self {
            Self::Fixed(url) => url.clone(),
            Self::FromForwardedHeaders { path } => {
                let proto = header_str(headers, "x-forwarded-proto")
                    .and_then(|p| p.split(',').next())
                    .map(str::trim)
                    .unwrap_or("http");
                let host = header_str(headers, "x-forwarded-host")
                    .and_then(|h| h.split(',').next())
                    .map(str::trim)
                    .or_else(|| header_str(headers, "host"))
                    .unwrap_or("localhost");
                format!("{proto}://{host}{path}")
            }
        }
    }

    /// How the URL is shown (header, log, `listening` line): the URL with its password
    /// masked ([`display_url`]), or where it comes from.
    pub fn describe(&self) -> String {
        match self {
            Self::Fixed(url) => display_url(url).into_owned(),
            Self::FromForwardedHeaders { path } => {
                format!("from X-Forwarded-* headers, path {path}")
            }
        }
    }
}

/// The path of an absolute URL (`/` when it has none), without query or fragment.
pub fn url_path(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path_and_more = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    let end = path_and_more
        .find(['?', '#'])
        .unwrap_or(path_and_more.len());
    path_and_more[..end].to_owned()
}

/// A header's value as text; `None` when it is absent, empty or not text.
pub(super) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_path_takes_the_path_only() {
        assert_eq!(url_path("https://abc.ngrok.app/events?x=1"), "/events");
        assert_eq!(url_path("https://user:pw@abc.ngrok.app:8443/a/b#f"), "/a/b");
        assert_eq!(url_path("https://abc.ngrok.app"), "/");
    }

    #[test]
    fn a_fixed_public_url_is_described_with_its_password_masked() {
        let p = PublicUrl::Fixed("https://user:hunter2@abc.ngrok.app/events".into());
        assert_eq!(p.describe(), "https://user:•••@abc.ngrok.app/events");
        // Signing still uses the URL as given.
        assert_eq!(
            p.for_request(&HeaderMap::new()),
            "https://user:hunter2@abc.ngrok.app/events"
        );
        assert_eq!(p.events_path(), "/events");
    }

    #[test]
    fn forwarded_headers_rebuild_the_public_url() {
        let mut h = HeaderMap::new();
        h.insert("host", "127.0.0.1:8080".parse().expect("header"));
        let p = PublicUrl::FromForwardedHeaders {
            path: "/events".into(),
        };
        assert_eq!(p.for_request(&h), "http://127.0.0.1:8080/events");
        h.insert("x-forwarded-proto", "https".parse().expect("header"));
        h.insert("x-forwarded-host", "abc.ngrok.app".parse().expect("header"));
        assert_eq!(p.for_request(&h), "https://abc.ngrok.app/events");
    }
}
