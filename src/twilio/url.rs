//! How a URL that may carry a sink's Basic-auth credentials is shown. Twilio signs the
//! destination with its userinfo (`https://user:pass@host/events`), so the real string stays in
//! use for signing; every place that shows it to a person or writes it to a file shows
//! [`display_url`] instead.
//!
//! Also the one check of a public URL ([`validate_public_url`]), the string Twilio signs, for
//! `--public-url`, the config file and `replay --to`/`--destination`.

use std::borrow::Cow;
use std::ops::Range;

/// What stands for a password wherever a URL is shown.
pub const MASKED_PASSWORD: &str = "•••";

/// `url` with the password of its userinfo replaced by [`MASKED_PASSWORD`]:
/// `https://user:pass@host/events` is shown as `https://user:•••@host/events`.
///
/// Only the authority (between `scheme://` and the first `/`, `?` or `#`) is looked at, so an
/// `@` in the path or query is left alone; its last `@` ends the userinfo, as in every URL
/// parser. A user name without a password is not a secret and is kept; a string that is not an
/// absolute URL is returned as it is. Borrowed when nothing is masked.
pub fn display_url(url: &str) -> Cow<'_, str> {
    match password_range(url) {
        Some(range) => Cow::Owned(format!(
            "{}{MASKED_PASSWORD}{}",
            &url[..range.start],
            &url[range.end..]
        )),
        None => Cow::Borrowed(url),
    }
}

/// True when `url` is one [`display_url`] has masked: its password is [`MASKED_PASSWORD`], so
/// it can no longer be signed (a recording's `signed_url`, for one).
pub fn has_masked_password(url: &str) -> bool {
    password_range(url).is_some_and(|range| &url[range] == MASKED_PASSWORD)
}

/// Where the password of `url`'s userinfo lies (after `user:`, before the `@` that ends the
/// authority), if it has one.
fn password_range(url: &str) -> Option<Range<usize>> {
    let parts = UrlParts::split(url)?;
    let userinfo_start = parts.scheme.len() + 3;
    let colon = parts.userinfo.find(':')?;
    Some(userinfo_start + colon + 1..userinfo_start + parts.userinfo.len() - 1)
}

/// An absolute URL cut at its authority, borrowed from it:
/// `scheme://[userinfo@]host[:port]rest`. The one place a URL is split this way; the
/// signature's port variants and the diagnosis each read host and port from
/// [`UrlParts::host_port`] by their own rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// Before `://`, as written.
    pub scheme: &'a str,
    /// `user:pass@` including the `@`, or empty.
    pub userinfo: &'a str,
    /// Host and port as written (IPv6 literals with their brackets); may be empty.
    pub host_port: &'a str,
    /// Path, query and fragment, untouched.
    pub rest: &'a str,
}

impl<'a> UrlParts<'a> {
    /// Splits at the first `://`, the authority ending at the first `/`, `?` or `#` after it
    /// and its userinfo at the last `@` in it, as every URL parser does; `None` without `://`.
    pub fn split(url: &'a str) -> Option<Self> {
        let (scheme, after_scheme) = url.split_once("://")?;
        let authority_end = after_scheme
            .find(['/', '?', '#'])
            .unwrap_or(after_scheme.len());
        let (authority, rest) = after_scheme.split_at(authority_end);
        let (userinfo, host_port) = match authority.rfind('@') {
            Some(at) => authority.split_at(at + 1),
            None => ("", authority),
        };
        Some(Self {
            scheme,
            userinfo,
            host_port,
            rest,
        })
    }
}

/// Why a URL cannot be the public URL Twilio signs: the message names `--public-url` and shows
/// the URL with its password masked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadPublicUrl(pub String);

/// A public URL must be absolute http(s) with a port Twilio can call: it is what Twilio signs.
/// The scheme is case-insensitive (`HTTPS://` is accepted and kept as written, since that is
/// the string Twilio signs). Messages show the URL with its password masked.
pub fn validate_public_url(url: &str) -> Result<(), BadPublicUrl> {
    let shown = display_url(url);
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(BadPublicUrl(format!(
            "--public-url `{shown}` is not an absolute URL; give the sink's destination, e.g. https://abc.ngrok.app/events"
        )));
    };
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return Err(BadPublicUrl(format!(
            "--public-url `{shown}` must start with https:// (or http://)"
        )));
    }
    if rest.is_empty() || rest.starts_with('/') {
        return Err(BadPublicUrl(format!("--public-url `{shown}` has no host")));
    }
    if let Some(port) = explicit_port(rest)
        && !port.parse::<u16>().is_ok_and(|p| p != 0)
    {
        return Err(BadPublicUrl(format!(
            "--public-url `{shown}` has port {port}: a port is a number from 1 to 65535"
        )));
    }
    Ok(())
}

/// The text after the `:` that ends the host of `rest` (the URL after `scheme://`), if any.
fn explicit_port(rest: &str) -> Option<&str> {
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // A `:` inside an IPv6 literal's brackets is not a port separator.
    let after_host = host_port
        .rfind(']')
        .map_or(host_port, |i| &host_port[i + 1..]);
    after_host
        .rfind(':')
        .map(|i| &after_host[i + 1..])
        .filter(|port| !port.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_url_cases() {
        let cases = [
            (
                "https://user:pass@host.example/events",
                "https://user:•••@host.example/events",
            ),
            (
                "https://user:pass@host.example:8443/events?bodySHA256=ab",
                "https://user:•••@host.example:8443/events?bodySHA256=ab",
            ),
            // No userinfo: unchanged.
            (
                "https://host.example/events?x=1",
                "https://host.example/events?x=1",
            ),
            // A user without a password is kept as it is.
            (
                "https://user@host.example/events",
                "https://user@host.example/events",
            ),
            // An empty password is masked too: whether there is one is not shown.
            (
                "https://user:@host.example/e",
                "https://user:•••@host.example/e",
            ),
            // An `@` in the path, query or fragment is not userinfo.
            (
                "https://host.example/a@b/c?d=e@f#g@h",
                "https://host.example/a@b/c?d=e@f#g@h",
            ),
            (
                "https://host.example?who=user:pass@x",
                "https://host.example?who=user:pass@x",
            ),
            (
                "https://u:p@host.example/mail/a:b@c",
                "https://u:•••@host.example/mail/a:b@c",
            ),
            // The last `@` of the authority ends the userinfo; a `:` in the password is masked
            // with the rest of it.
            (
                "https://u:p@ss:w@rd@host.example/e",
                "https://u:•••@host.example/e",
            ),
            ("http://u:p@[::1]:8080/e", "http://u:•••@[::1]:8080/e"),
            // Scheme case, no path.
            (
                "HTTPS://u:secret@host.example",
                "HTTPS://u:•••@host.example",
            ),
            // Not an absolute URL: unchanged.
            (
                "from X-Forwarded-* headers, path /events",
                "from X-Forwarded-* headers, path /events",
            ),
            ("", ""),
        ];
        for (url, shown) in cases {
            assert_eq!(display_url(url), shown, "{url}");
        }
        assert!(matches!(
            display_url("https://host.example/e"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn urls_split_at_the_authority() {
        let p = UrlParts::split("https://u:p@a@host:8443/x@y?q=1#f").expect("splits");
        assert_eq!(
            (p.scheme, p.userinfo, p.host_port, p.rest),
            ("https", "u:p@a@", "host:8443", "/x@y?q=1#f")
        );
        let p = UrlParts::split("http://[::1]:8080?x").expect("splits");
        assert_eq!((p.userinfo, p.host_port, p.rest), ("", "[::1]:8080", "?x"));
        assert_eq!(UrlParts::split("host/events"), None);
    }

    #[test]
    fn masked_urls_are_recognised() {
        assert!(has_masked_password("https://user:•••@host.example/e?x=1"));
        assert!(has_masked_password(&display_url("https://u:p@h/e")));
        assert!(!has_masked_password("https://user:pass@host.example/e"));
        assert!(!has_masked_password("https://user@host.example/e"));
        assert!(!has_masked_password("https://host.example/a:•••@b"));
        assert!(!has_masked_password("not a url"));
    }

    #[test]
    fn public_urls_are_checked_with_a_case_insensitive_scheme_and_a_real_port() {
        let accepted = [
            "https://abc.ngrok.app/events",
            "HTTPS://abc.ngrok.app/events",
            "Http://abc.ngrok.app/events",
            "https://user:pass@abc.ngrok.app:8443/events",
            "https://abc.ngrok.app:1/events",
            "https://abc.ngrok.app:65535/events",
            "http://[::1]:8080/events",
            "http://[::1]/events",
            "https://abc.ngrok.app/a:b@c:99999",
        ];
        for url in accepted {
            assert!(validate_public_url(url).is_ok(), "{url}");
        }
        let refused = [
            ("abc.ngrok.app/events", "not an absolute URL"),
            ("ftp://abc.ngrok.app/events", "must start with https://"),
            ("https:///events", "has no host"),
            ("https://abc.ngrok.app:0/events", "has port 0"),
            ("https://abc.ngrok.app:65536/events", "has port 65536"),
            ("https://abc.ngrok.app:99999/events", "has port 99999"),
            ("https://abc.ngrok.app:8o/events", "has port 8o"),
            ("http://[::1]:0/events", "has port 0"),
        ];
        for (url, message) in refused {
            let error = validate_public_url(url).expect_err(url).to_string();
            assert!(error.contains(message), "{url}: {error}");
        }
        // The password is never in a message.
        let error = validate_public_url("ftp://user:hunter2@abc.ngrok.app/events")
            .expect_err("ftp")
            .to_string();
        assert!(
            error.contains("user:•••@") && !error.contains("hunter2"),
            "{error}"
        );
    }
}
