//! How a URL that may carry a sink's Basic-auth credentials is shown. Twilio signs the
//! destination with its userinfo (`https://user:pass@host/events`), so the real string stays in
//! use for signing; every place that shows it to a person or writes it to a file shows
//! [`display_url`] instead.

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
    let scheme_end = url.find("://")? + 3;
    let after_scheme = &url[scheme_end..];
    let authority_end = after_scheme
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    let authority = &url[scheme_end..authority_end];
    let at = authority.rfind('@')?;
    let colon = authority[..at].find(':')?;
    Some(scheme_end + colon + 1..scheme_end + at)
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
    fn masked_urls_are_recognised() {
        assert!(has_masked_password("https://user:•••@host.example/e?x=1"));
        assert!(has_masked_password(&display_url("https://u:p@h/e")));
        assert!(!has_masked_password("https://user:pass@host.example/e"));
        assert!(!has_masked_password("https://user@host.example/e"));
        assert!(!has_masked_password("https://host.example/a:•••@b"));
        assert!(!has_masked_password("not a url"));
    }
}
