//! What the refused request itself shows about the URL it was sent to: its headers (Host,
//! `X-Forwarded-*`, the user agent), the public URL they spell, whether that host looks public,
//! and, with the secret at hand, which URL variant really matches the signature received.

use std::net::IpAddr;

use subtle::ConstantTimeEq;

use super::super::public_url::PublicUrl;
use super::super::verdict::signed_url;
use super::super::{Delivery, Headers};
use crate::twilio::signature::{Algorithm, compute_signature, url_variants};
use crate::twilio::url::display_url;

/// "another auth token (subaccount?)" or its SharedKey equivalent (`shared_key`: the
/// delivery carried the settings header, so the SharedKey secret checked it).
pub(super) fn other_secret(shared_key: bool) -> &'static str {
    if shared_key {
        "another SharedKey secret"
    } else {
        "another auth token (subaccount?)"
    }
}

/// What to change when the secret is the suspect.
pub(super) fn secret_fix(shared_key: bool) -> &'static str {
    if shared_key {
        "check --shared-key-secret"
    } else {
        "use the auth token of the account that owns the sink"
    }
}

/// The headers diagnosis reads, looked up once.
pub(super) struct RequestView<'a> {
    pub(super) signature: Option<&'a str>,
    pub(super) user_agent: Option<&'a str>,
    pub(super) content_type: Option<&'a str>,
    pub(super) content_encoding: Option<&'a str>,
    pub(super) host: Option<&'a str>,
    pub(super) forwarded_host: Option<&'a str>,
    pub(super) forwarded_proto: Option<&'a str>,
    pub(super) forwarded_port: Option<&'a str>,
    /// The path as the client sent it to the proxy, when a proxy says (`X-Forwarded-Prefix`,
    /// `X-Original-URI`, `X-Forwarded-Uri`).
    pub(super) original_path: Option<String>,
}

impl<'a> RequestView<'a> {
    pub(super) fn of(delivery: &'a Delivery) -> Self {
        let headers = &delivery.headers;
        let get = |name: &str| header(headers, name);
        // RFC 7239 `Forwarded: for=…;proto=https;host=…` (first hop only).
        let forwarded = get("forwarded").and_then(|v| v.split(',').next());
        let forwarded_param = |param: &str| {
            forwarded.and_then(|f| {
                f.split(';').find_map(|pair| {
                    let (name, value) = pair.split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case(param)
                        .then(|| value.trim().trim_matches('"'))
                        .filter(|v| !v.is_empty())
                })
            })
        };
        let original_path = get("x-original-uri")
            .or_else(|| get("x-forwarded-uri"))
            .map(|uri| uri.split(['?', '#']).next().unwrap_or(uri).to_owned())
            .or_else(|| {
                get("x-forwarded-prefix")
                    .map(|prefix| format!("{}{}", prefix.trim_end_matches('/'), delivery.path))
            });
        Self {
            signature: get("x-twilio-signature").map(str::trim),
            user_agent: get("user-agent"),
            content_type: get("content-type"),
            content_encoding: get("content-encoding"),
            host: get("host"),
            forwarded_host: first_value(get("x-forwarded-host"))
                .or_else(|| forwarded_param("host")),
            forwarded_proto: first_value(get("x-forwarded-proto"))
                .or_else(|| forwarded_param("proto")),
            forwarded_port: first_value(get("x-forwarded-port")),
            original_path,
        }
    }
}

/// The first non-empty header value, names compared case-insensitively.
pub(super) fn header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, v)| n.eq_ignore_ascii_case(name) && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
}

/// The first element of a comma-separated proxy header (the hop closest to the client).
pub(super) fn first_value(value: Option<&str>) -> Option<&str> {
    value
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// An absolute URL cut into the parts that are compared, borrowed from the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UrlParts {
    pub(super) scheme: String,
    /// `user:pass@` with its `@`, or empty: Twilio signs it, so candidates keep it.
    pub(super) userinfo: String,
    pub(super) host: String,
    pub(super) port: Option<String>,
    pub(super) path: String,
}

impl UrlParts {
    pub(super) fn parse(url: &str) -> Option<Self> {
        let crate::twilio::url::UrlParts {
            scheme,
            userinfo,
            host_port,
            rest: after,
        } = crate::twilio::url::UrlParts::split(url)?;
        let (host, port) = split_host_port(host_port);
        if host.is_empty() {
            return None;
        }
        let path_end = after.find(['?', '#']).unwrap_or(after.len());
        let path = if path_end == 0 {
            "/"
        } else {
            &after[..path_end]
        };
        Some(Self {
            scheme: scheme.to_ascii_lowercase(),
            userinfo: userinfo.to_owned(),
            host: host.to_owned(),
            port: port.map(str::to_owned),
            path: path.to_owned(),
        })
    }

    /// The explicit port, or the scheme's default.
    pub(super) fn effective_port(&self) -> Option<u16> {
        match &self.port {
            Some(p) => p.parse().ok(),
            None => default_port(&self.scheme),
        }
    }

    /// `scheme://[userinfo]host[:port]path`, without query.
    pub(super) fn build(&self, with_userinfo: bool) -> String {
        let port = self
            .port
            .as_ref()
            .map_or(String::new(), |p| format!(":{p}"));
        let userinfo = if with_userinfo {
            self.userinfo.as_str()
        } else {
            ""
        };
        format!(
            "{}://{userinfo}{}{port}{}",
            self.scheme, self.host, self.path
        )
    }

    /// Same host, explicit port and path, another scheme.
    pub(super) fn differs_only_in_scheme(&self, other: &UrlParts) -> bool {
        self.scheme != other.scheme
            && self.host.eq_ignore_ascii_case(&other.host)
            && self.port == other.port
            && self.path == other.path
    }

    /// Same host, effective port and path (the scheme aside).
    pub(super) fn same_place(&self, other: &UrlParts) -> bool {
        // Across schemes the default ports differ by definition: compare explicit ones only.
        let same_port = if self.scheme == other.scheme {
            self.effective_port() == other.effective_port()
        } else {
            self.port == other.port
        };
        self.host.eq_ignore_ascii_case(&other.host) && same_port && self.path == other.path
    }
}

pub(super) fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    }
}

/// `host:port` → (host, Some(port)); IPv6 literals keep their brackets.
pub(super) fn split_host_port(host_port: &str) -> (&str, Option<&str>) {
    if host_port.starts_with('[') {
        return match host_port.find(']') {
            Some(close) => {
                let (host, after) = host_port.split_at(close + 1);
                (host, after.strip_prefix(':').filter(|p| !p.is_empty()))
            }
            None => (host_port, None),
        };
    }
    match host_port.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => {
            (host, Some(port).filter(|p| !p.is_empty()))
        }
        _ => (host_port, None),
    }
}

/// True when a host looks like one Twilio could have called: not loopback, not a private or
/// link-local address, not a single-label or `.local`-style name. Tunnel agents that rewrite
/// `Host` to `localhost:PORT` therefore never cause a host-mismatch claim.
pub(super) fn looks_public(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return match ip {
            IpAddr::V4(v4) => {
                !(v4.is_loopback()
                    || v4.is_private()
                    || v4.is_link_local()
                    || v4.is_unspecified()
                    || v4.is_broadcast())
            }
            IpAddr::V6(v6) => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80)
            }
        };
    }
    let name = bare.trim_end_matches('.').to_ascii_lowercase();
    let local_suffixes = [".localhost", ".local", ".internal", ".lan", ".home.arpa"];
    name.contains('.')
        && name != "localhost"
        && !local_suffixes.iter().any(|suffix| name.ends_with(suffix))
}

/// The public URL as the request shows it.
#[derive(Debug, Clone)]
pub(super) struct SeenUrl {
    pub(super) parts: UrlParts,
    /// True when the scheme comes from a proxy header rather than being assumed.
    pub(super) scheme_from_proxy: bool,
}

impl SeenUrl {
    pub(super) fn display(&self) -> String {
        self.parts.build(false)
    }
}

/// What the URL comparison needs: the configured URL, what the request shows, the raw query.
pub(super) struct UrlContext<'a> {
    /// `--public-url`, or "the URL rebuilt from X-Forwarded-* headers".
    pub(super) label: &'static str,
    pub(super) forwarded_mode: bool,
    /// The configured public URL for this request, without query.
    pub(super) configured: Option<UrlParts>,
    /// The same, as hints show it: its password masked.
    pub(super) configured_text: String,
    /// Set when the request shows a public-looking host.
    pub(super) seen: Option<SeenUrl>,
    /// The other host header (Host vs X-Forwarded-Host), when both look public and differ.
    pub(super) other_host: Option<String>,
    /// `Host` as received, for the sentence when it is not public.
    pub(super) host_header: Option<&'a str>,
    /// The listener's own address as `Host` shows it, when that is not public: a sender that
    /// called the listener directly (`callwatch send http://127.0.0.1:8080/events`) signed
    /// this. Only ever a candidate to confirm, never claimed unproven.
    pub(super) local: Option<UrlParts>,
    pub(super) query: &'a str,
}

/// The hint about the URL, and the URL proven to be the signed one, if any.
pub(super) struct UrlFinding {
    pub(super) hint: String,
    pub(super) matched: Option<String>,
}

impl<'a> UrlContext<'a> {
    pub(super) fn new(
        delivery: &'a Delivery,
        public_url: &PublicUrl,
        view: &RequestView<'a>,
    ) -> Self {
        let configured_url = delivery
            .signed_url
            .as_deref()
            .map(|signed| {
                signed
                    .split_once('?')
                    .map_or(signed, |(base, _)| base)
                    .to_owned()
            })
            .unwrap_or_else(|| match public_url {
                PublicUrl::Fixed(url) => url.clone(),
                PublicUrl::FromForwardedHeaders { path } => path.clone(),
            });
        let configured = UrlParts::parse(&configured_url);
        let configured_text = display_url(&configured_url).into_owned();
        let (label, forwarded_mode) = match public_url {
            PublicUrl::Fixed(_) => ("--public-url", false),
            PublicUrl::FromForwardedHeaders { .. } => {
                ("the URL rebuilt from X-Forwarded-* headers", true)
            }
        };
        let shown_host = view.forwarded_host.or(view.host);
        let seen = shown_host
            .filter(|h| looks_public(split_host_port(h).0))
            .map(|h| {
                let (host, port) = split_host_port(h);
                let scheme = view
                    .forwarded_proto
                    .map(str::to_ascii_lowercase)
                    .or_else(|| configured.as_ref().map(|c| c.scheme.clone()))
                    .unwrap_or_else(|| "https".to_owned());
                let port = port.map(str::to_owned).or_else(|| {
                    view.forwarded_port
                        .filter(|p| p.parse::<u16>().ok() != default_port(&scheme))
                        .map(str::to_owned)
                });
                let path = view
                    .original_path
                    .clone()
                    .unwrap_or_else(|| delivery.path.clone());
                SeenUrl {
                    parts: UrlParts {
                        scheme,
                        userinfo: String::new(),
                        host: host.to_owned(),
                        port,
                        path,
                    },
                    scheme_from_proxy: view.forwarded_proto.is_some(),
                }
            });
        let other_host = match (view.forwarded_host, view.host) {
            (Some(fwd), Some(host))
                if looks_public(split_host_port(host).0) && !fwd.eq_ignore_ascii_case(host) =>
            {
                Some(host.to_owned())
            }
            _ => None,
        };
        let local = view
            .host
            .filter(|h| seen.is_none() && !looks_public(split_host_port(h).0))
            .map(|h| {
                let (host, port) = split_host_port(h);
                UrlParts {
                    scheme: "http".to_owned(),
                    userinfo: String::new(),
                    host: host.to_owned(),
                    port: port.map(str::to_owned),
                    path: delivery.path.clone(),
                }
            });
        Self {
            label,
            forwarded_mode,
            configured,
            configured_text,
            seen,
            other_host,
            host_header: view.host,
            local,
            query: &delivery.query,
        }
    }

    /// URLs the request suggests Twilio may have signed, most likely first, none equal to the
    /// configured one.
    pub(super) fn candidates(&self) -> Vec<UrlParts> {
        let Some(configured) = &self.configured else {
            return Vec::new();
        };
        let mut out: Vec<UrlParts> = Vec::new();
        let mut push = |candidate: UrlParts| {
            if candidate != *configured && !out.contains(&candidate) {
                out.push(candidate);
            }
        };
        if let Some(seen) = &self.seen {
            let mut c = seen.parts.clone();
            c.userinfo = configured.userinfo.clone();
            push(c.clone());
            // The tunnel may terminate TLS and forward http without saying so.
            c.scheme = flip_scheme(&c.scheme).to_owned();
            push(c);
        }
        let mut flipped = configured.clone();
        flipped.scheme = flip_scheme(&flipped.scheme).to_owned();
        push(flipped);
        if let Some(host) = &self.other_host {
            let (h, p) = split_host_port(host);
            let mut c = configured.clone();
            c.host = h.to_owned();
            c.port = p.map(str::to_owned);
            push(c);
        }
        if let Some(local) = &self.local {
            push(local.clone());
        }
        out
    }

    /// True when `received` is the signature of some variant of `candidate` + the raw query.
    pub(super) fn signs(
        &self,
        candidate: &UrlParts,
        received: &str,
        algorithm: Algorithm,
        key: &[u8],
    ) -> bool {
        let url = signed_url(&candidate.build(true), self.query);
        url_variants(&url).iter().any(|variant| {
            let expected = compute_signature(key, variant, &[], algorithm);
            bool::from(expected.as_bytes().ct_eq(received.as_bytes()))
        })
    }

    pub(super) fn url_hint(
        &self,
        received: &str,
        algorithm: Algorithm,
        shared_key: bool,
        key: Option<&[u8]>,
    ) -> UrlFinding {
        let configured_text = &self.configured_text;
        let label = self.label;
        if let Some(key) = key {
            let matched = self
                .candidates()
                .into_iter()
                .find(|c| self.signs(c, received, algorithm, key));
            if let Some(found) = matched {
                let shown = found.build(false);
                return UrlFinding {
                    hint: self.confirmed_sentence(&found, &shown),
                    matched: Some(shown),
                };
            }
        }
        let differs = match (&self.seen, &self.configured) {
            (Some(seen), Some(configured)) => Some((
                !seen.parts.same_place(configured),
                seen.scheme_from_proxy && seen.parts.scheme != configured.scheme,
            )),
            _ => None,
        };
        let hint = match (&self.seen, differs) {
            (Some(seen), Some((true, _))) => {
                let mut hint = format!(
                    "Twilio reached this listener as {} but {label} is {configured_text}",
                    seen.display()
                );
                if key.is_some() {
                    hint.push_str(&format!(
                        ", and the signature matches neither, so the secret may be wrong too \
                         ({})",
                        secret_fix(shared_key)
                    ));
                }
                hint
            }
            (Some(seen), Some((false, true))) if key.is_none() => format!(
                "the request came through a proxy as {} but {label} says {configured_text}",
                seen.display()
            ),
            (Some(seen), Some((false, true))) => format!(
                "signature made with {}: neither {label} ({configured_text}) nor the URL the \
                 proxy shows ({}) matches, so {}",
                other_secret(shared_key),
                seen.display(),
                secret_fix(shared_key)
            ),
            (Some(_), _) => format!(
                "signature made with {}: the request shows the same URL as {label} \
                 ({configured_text}), so {}",
                other_secret(shared_key),
                secret_fix(shared_key)
            ),
            (None, _) => {
                let shown = self
                    .host_header
                    .map_or_else(|| "no Host".to_owned(), |h| format!("only Host {h}"));
                format!(
                    "signature made with {}, or the sink's destination is not \
                     {configured_text}: the request shows {shown}, so the URL Twilio used \
                     cannot be checked here",
                    other_secret(shared_key)
                )
            }
        };
        UrlFinding {
            hint,
            matched: None,
        }
    }

    /// The sentence when the signature is proven to match `found` (shown as `shown`).
    pub(super) fn confirmed_sentence(&self, found: &UrlParts, shown: &str) -> String {
        let configured_text = &self.configured_text;
        let label = self.label;
        let only_scheme = self
            .configured
            .as_ref()
            .is_some_and(|c| c.differs_only_in_scheme(found));
        if self.local.as_ref() == Some(found) {
            return format!(
                "the sender signed this listener's local address {shown}, not {configured_text} \
                 ({label}): send to the public URL, or pass {label} {shown}"
            );
        }
        if self.forwarded_mode {
            let what = if only_scheme {
                "scheme (X-Forwarded-Proto)"
            } else {
                "host"
            };
            return format!(
                "Twilio signed {shown} but {label} is {configured_text}: the proxy reports the \
                 wrong {what}, so fix it or pass --public-url {shown}"
            );
        }
        let seen = self.seen.as_ref();
        let is_seen =
            seen.is_some_and(|s| s.parts.scheme == found.scheme && s.parts.same_place(found));
        match seen {
            Some(s) if is_seen && only_scheme && s.scheme_from_proxy => format!(
                "the request came through a proxy as {shown} but {label} says {configured_text} \
                 (the signature matches {shown})"
            ),
            Some(_) if is_seen => format!(
                "Twilio reached this listener as {shown} but {label} is {configured_text} (the \
                 signature matches {shown})"
            ),
            _ => format!(
                "Twilio signed {shown} but {label} is {configured_text}: pass --public-url {shown}"
            ),
        }
    }
}

pub(super) fn flip_scheme(scheme: &str) -> &'static str {
    if scheme == "https" { "http" } else { "https" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hosts_that_can_be_reached_from_outside_look_public() {
        for host in [
            "localhost:8080",
            "10.0.0.7:8080",
            "[::1]:8080",
            "app:8080",
            "box.local",
        ] {
            assert!(!looks_public(split_host_port(host).0), "{host}");
        }
        for host in [
            "abc.ngrok.app",
            "203.0.113.9",
            "[2001:db8::1]",
            "x.trycloudflare.com",
        ] {
            assert!(looks_public(split_host_port(host).0), "{host}");
        }
    }

    #[test]
    fn url_parts_parse() {
        let p = UrlParts::parse("https://u:p@Abc.example:8443/a/b?x=1").expect("parses");
        assert_eq!(
            (p.scheme.as_str(), p.userinfo.as_str(), p.host.as_str()),
            ("https", "u:p@", "Abc.example")
        );
        assert_eq!((p.port.as_deref(), p.path.as_str()), (Some("8443"), "/a/b"));
        assert_eq!(p.build(true), "https://u:p@Abc.example:8443/a/b");
        assert_eq!(p.build(false), "https://Abc.example:8443/a/b");
        let p = UrlParts::parse("http://[::1]:8080").expect("parses");
        assert_eq!(
            (p.host.as_str(), p.port.as_deref(), p.path.as_str()),
            ("[::1]", Some("8080"), "/")
        );
        assert_eq!(UrlParts::parse("/events"), None);
    }
}
