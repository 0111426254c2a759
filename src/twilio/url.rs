//! How a URL that may carry a sink's Basic-auth credentials is shown. Twilio signs the
//! destination with its userinfo (`https://user:pass@host/events`), so the real string stays in
//! use for signing; every place that shows it to a person or writes it to a file shows
//! [`display_url`] instead.
//!
//! Also the one check of a public URL ([`validate_public_url`]), the string Twilio signs, for
//! `listen`/`setup --public-url`, the config file, `replay --to`/`--destination` and
//! `sinks create --public-url`.

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

/// Why a URL cannot be the public URL Twilio signs. Shown as
/// ``--public-url `URL` PROBLEM``, the URL with its password masked ([`display_url`]); the
/// flag's own value parser shows [`BadPublicUrl::problem`] after clap's "invalid value".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--public-url `{shown}` {problem}")]
pub struct BadPublicUrl {
    /// The URL as it may be shown: its password masked.
    pub shown: String,
    /// What is wrong and what to do about it, written to follow the URL (`has no host; …`);
    /// [`BadPublicUrl::problem`] gives it as a sentence of its own.
    problem: String,
}

impl BadPublicUrl {
    fn new(url: &str, problem: impl Into<String>) -> Self {
        Self {
            shown: display_url(url).into_owned(),
            problem: problem.into(),
        }
    }

    /// The problem as a sentence of its own (`it has no host; …`), for a message that has
    /// already shown the URL.
    pub fn problem(&self) -> String {
        format!("it {}", self.problem)
    }
}

/// The one check of a public URL: the string Twilio signs, so the destination of a sink.
/// Every way one is given goes through it: `listen`/`setup --public-url`, `public-url` in the
/// config file, `replay --to`/`--destination` and `sinks create --public-url`. The rules, each
/// with what it is for:
///
/// - **No space or control character** anywhere: a URL has none, and a stray one (a pasted
///   newline, a space in a config value) would be signed by Twilio but never match a request.
/// - **Absolute** (`scheme://…`): Twilio needs the whole URL to deliver to, and callwatch
///   needs the same string to check signatures.
/// - **`http` or `https`**, in any case (`HTTPS://` is a URL like any other; it is kept as
///   written, since that is the string Twilio signs): Event Streams sinks deliver over HTTP.
/// - **A host**: where Twilio connects.
/// - **A port from 1 to 65535** when one is given (`host:` with nothing after it is the
///   default port): Twilio cannot call port 0 or one that does not exist.
/// - **No fragment** (`#…`): it is never sent in a request, so the URL a delivery arrives at
///   could not be the one Twilio signed.
/// - **A host that parses** (a domain without forbidden characters, an IP address, a bracketed
///   IPv6 literal): what an HTTP client would refuse to connect to is refused here.
///
/// User info (`https://user:pass@host/…`) is allowed: it is Basic auth for the sink and part
/// of what Twilio signs. No message shows the password ([`display_url`]).
pub fn validate_public_url(url: &str) -> Result<(), BadPublicUrl> {
    let bad = |problem: String| Err(BadPublicUrl::new(url, problem));
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad(
            "contains a space or control character; a URL has none (write a space as %20)".into(),
        );
    }
    let Some(parts) = UrlParts::split(url) else {
        return bad(
            "is not an absolute URL; give the sink's destination, e.g. https://abc.ngrok.app/events"
                .into(),
        );
    };
    if !parts.scheme.eq_ignore_ascii_case("https") && !parts.scheme.eq_ignore_ascii_case("http") {
        return bad("must start with https:// (or http://)".into());
    }
    let (host, port) = host_and_port(parts.host_port);
    if host.is_empty() {
        return bad(
            "has no host; give the sink's destination, e.g. https://abc.ngrok.app/events".into(),
        );
    }
    if let Some(port) = port
        && !port.parse::<u16>().is_ok_and(|p| p != 0)
    {
        return bad(format!(
            "has port {port}: a port is a number from 1 to 65535"
        ));
    }
    if parts.rest.contains('#') {
        return bad(
            "has a fragment (#…), which is never sent to the server, so no delivery could match \
             the URL Twilio signs; leave it out"
                .into(),
        );
    }
    // The host itself: what is left for a URL parser to refuse (the error names the problem,
    // never the input).
    if let Err(error) = reqwest::Url::parse(url) {
        return bad(format!(
            "is not a valid URL ({error}); check the host between :// and the first /"
        ));
    }
    Ok(())
}

/// The host of `host_port` (an IPv6 literal with its brackets) and the port after its `:`, if
/// one is written.
fn host_and_port(host_port: &str) -> (&str, Option<&str>) {
    // A `:` inside an IPv6 literal's brackets is not a port separator.
    let host_end = host_port.rfind(']').map_or(0, |i| i + 1);
    match host_port[host_end..].rfind(':') {
        Some(colon) => {
            let colon = host_end + colon;
            let port = &host_port[colon + 1..];
            (&host_port[..colon], (!port.is_empty()).then_some(port))
        }
        None => (host_port, None),
    }
}

/// True when `url`'s host is this machine: `localhost`, 127.0.0.0/8 or `::1`. Such a URL is
/// reached without the environment's proxy (a local fake of Twilio, a listener on loopback): a
/// proxy would look for it on its own machine.
pub fn is_loopback(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let host = url.host_str().unwrap_or("").trim_matches(['[', ']']);
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_url_on_this_machine_is_loopback() {
        for (base, loopback) in [
            ("http://127.0.0.1:8080", true),
            ("http://127.8.9.1/v1", true),
            ("http://localhost:3000", true),
            ("http://[::1]:9000", true),
            ("https://events.twilio.com", false),
            ("http://10.0.0.2:8080", false),
            ("http://localhost.example.com", false),
        ] {
            assert_eq!(is_loopback(base), loopback, "{base}");
        }
    }

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
    fn public_urls_that_twilio_can_sign_and_call_are_accepted() {
        let accepted = [
            "https://abc.ngrok.app/events",
            // The scheme is case-insensitive.
            "HTTPS://abc.ngrok.app/events",
            "Http://abc.ngrok.app/events",
            // User info is Basic auth for the sink.
            "https://user:pass@abc.ngrok.app:8443/events",
            "https://user@abc.ngrok.app/events",
            "https://u:p@ss:w@rd@abc.ngrok.app/events",
            // Ports at both ends; `host:` with no port is the default port.
            "https://abc.ngrok.app:1/events",
            "https://abc.ngrok.app:65535/events",
            "https://abc.ngrok.app:/events",
            "http://[::1]:8080/events",
            "http://[::1]/events",
            "http://127.0.0.1:3000/events",
            // No path; an empty query; a `:`/`@` after the authority is not a port or userinfo.
            "https://abc.ngrok.app",
            "https://u:secret@abc.ngrok.app/e?",
            "https://abc.ngrok.app?x=1",
            "https://abc.ngrok.app/a:b@c:99999",
            "https://abc.ngrok.app/events?bodySHA256=ab%20cd",
        ];
        for url in accepted {
            assert_eq!(validate_public_url(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn each_rule_refuses_with_a_message_that_says_what_to_do() {
        let refused = [
            // Absolute.
            (
                "abc.ngrok.app/events",
                "is not an absolute URL; give the sink's destination",
            ),
            ("/events", "is not an absolute URL"),
            ("", "is not an absolute URL"),
            // http(s).
            (
                "ftp://abc.ngrok.app/events",
                "must start with https:// (or http://)",
            ),
            ("wss://abc.ngrok.app/events", "must start with https://"),
            // A host.
            (
                "https:///events",
                "has no host; give the sink's destination",
            ),
            ("https://", "has no host"),
            ("https://?x=1", "has no host"),
            ("https://user:pass@/events", "has no host"),
            ("https://:8443/events", "has no host"),
            // A port Twilio can call.
            (
                "https://abc.ngrok.app:0/events",
                "has port 0: a port is a number from 1 to 65535",
            ),
            ("https://abc.ngrok.app:65536/events", "has port 65536"),
            ("https://abc.ngrok.app:99999/events", "has port 99999"),
            ("https://abc.ngrok.app:8o/events", "has port 8o"),
            ("https://abc.ngrok.app:-1/events", "has port -1"),
            ("http://[::1]:0/events", "has port 0"),
            // No fragment.
            ("https://abc.ngrok.app/events#top", "has a fragment (#…)"),
            ("https://abc.ngrok.app#", "has a fragment"),
            ("https://abc.ngrok.app/e?x=1#y", "leave it out"),
            // No space or control character.
            (
                "https://abc.ngrok.app/events ",
                "contains a space or control character",
            ),
            (" https://abc.ngrok.app/events", "contains a space"),
            ("https://abc.ngrok.app/my events", "write a space as %20"),
            (
                "https://abc.ngrok.app/events\n",
                "contains a space or control character",
            ),
            // A host that parses.
            (
                "https://abc<ngrok>.app/events",
                "is not a valid URL (invalid",
            ),
            (
                "http://[::1/events",
                "is not a valid URL (invalid IPv6 address)",
            ),
            ("http://[::g]:8080/events", "check the host"),
        ];
        for (url, message) in refused {
            let error = validate_public_url(url).expect_err(url);
            let text = error.to_string();
            assert!(
                text.starts_with(&format!("--public-url `{}` ", display_url(url))),
                "{url}: {text}"
            );
            assert!(text.contains(message), "{url}: {text}");
            assert_eq!(error.problem(), format!("it {}", error.problem), "{url}");
        }
    }

    #[test]
    fn a_password_is_never_in_a_message() {
        let urls = [
            "ftp://user:hunter2@abc.ngrok.app/events",
            "https://user:hunter2@/events",
            "https://user:hunter2@abc.ngrok.app:0/events",
            "https://user:hunter2@abc.ngrok.app/events#top",
            "https://user:hunter2@abc<ngrok>.app/events",
            "https://user:hunter2@abc.ngrok.app/my events",
        ];
        for url in urls {
            let error = validate_public_url(url).expect_err(url);
            let text = error.to_string();
            assert!(
                text.contains("user:•••@") && !text.contains("hunter2"),
                "{url}: {text}"
            );
            assert!(!error.problem().contains("hunter2"), "{url}: {error:?}");
        }
    }
}
