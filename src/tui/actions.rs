//! What the inspector acts with: a delivery copied as a `curl` command or as a
//! `callwatch verify` command, a delivery resent to a URL (re-signed for it, as `replay --to`
//! does), and the clipboard reached with OSC 52. The texts are built here, apart from the app,
//! so that tests run them as they are copied.
//!
//! Nothing copied holds a secret: the verify command names the auth token by the environment
//! variable Twilio's tools read (`$TWILIO_AUTH_TOKEN`). A body that holds a control character
//! other than a line break or a tab is not copied (it could act on the terminal it is pasted
//! into), nor one that is not UTF-8 text.

use std::time::Duration;

use base64::Engine as _;

use crate::ingest::Delivery;
use crate::twilio::webhook::{SenderOptions, WebhookSender};

/// The header a SharedKey-signed delivery carries besides the signature.
const SETTINGS_HEADER: &str = "x-twilio-webhooks-signature-settings";

/// The auth token the TUI re-signs resent deliveries with; never shown (its `Debug` hides it).
#[derive(Clone, PartialEq, Eq)]
pub struct ResignKey(String);

impl ResignKey {
    /// The key of `auth_token` (HMAC-SHA1, as Twilio signs with the account's token).
    pub fn new(auth_token: impl Into<String>) -> Self {
        Self(auth_token.into())
    }
}

impl std::fmt::Debug for ResignKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResignKey(***)")
    }
}

/// `s` quoted for a POSIX shell: in single quotes, each `'` written `'\''`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Why a delivery cannot be copied as a command.
fn copyable(d: &Delivery) -> Result<(&str, &str, &str), String> {
    if d.method != "POST" || d.body.is_empty() {
        return Err(format!("delivery #{} has no body to send", d.seq));
    }
    if d.body_clipped() {
        return Err(format!(
            "delivery #{}: only the first {} of its {} bytes were kept",
            d.seq,
            d.body.len(),
            d.body_len
        ));
    }
    let Ok(body) = std::str::from_utf8(&d.body) else {
        return Err(format!("delivery #{}: its body is not UTF-8 text", d.seq));
    };
    if body
        .chars()
        .any(|c| crate::text::is_hostile(c) && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(format!(
            "delivery #{}: its body holds control characters, not copied",
            d.seq
        ));
    }
    let Some(signature) = d.headers.get("x-twilio-signature") else {
        return Err(format!(
            "delivery #{} came without X-Twilio-Signature",
            d.seq
        ));
    };
    let Some(url) = d.signed_url.as_deref() else {
        return Err(format!("delivery #{}: no signed URL was checked", d.seq));
    };
    let hostile = |s: &str| s.chars().any(crate::text::is_hostile);
    if hostile(signature) || hostile(url) {
        return Err(format!(
            "delivery #{}: its URL or signature holds control characters",
            d.seq
        ));
    }
    Ok((body, url, signature))
}

/// The delivery as a `curl` command that sends it again, as received, to the URL it was
/// signed for (the body piped in byte for byte: a here-document would add a newline and
/// change its hash).
pub fn curl_command(d: &Delivery) -> Result<String, String> {
    let (body, url, signature) = copyable(d)?;
    let mut cmd = format!(
        "printf '%s' {} | curl -sS -X POST {} -H 'Content-Type: application/json' -H {}",
        shell_quote(body),
        shell_quote(url),
        shell_quote(&format!("X-Twilio-Signature: {signature}")),
    );
    if let Some(settings) = d.headers.get(SETTINGS_HEADER) {
        cmd.push_str(&format!(
            " -H {}",
            shell_quote(&format!("X-Twilio-Webhooks-Signature-Settings: {settings}"))
        ));
    }
    cmd.push_str(" --data-binary @-");
    Ok(cmd)
}

/// The delivery as a `callwatch verify` command: the URL it was signed for, its signature, the
/// body on standard input, and the key by reference to the environment (`$TWILIO_AUTH_TOKEN`,
/// or `$CALLWATCH_SHARED_KEY_SECRET` for a SharedKey signature), never the key itself.
pub fn verify_command(d: &Delivery) -> Result<String, String> {
    let (body, url, signature) = copyable(d)?;
    let mut cmd = format!(
        "printf '%s' {} | callwatch verify --url {} --signature {} --body-file -",
        shell_quote(body),
        shell_quote(url),
        shell_quote(signature),
    );
    match d.headers.get(SETTINGS_HEADER) {
        Some(settings) => cmd.push_str(&format!(
            " --signature-settings {} --shared-key-secret \"$CALLWATCH_SHARED_KEY_SECRET\"",
            shell_quote(settings)
        )),
        None => cmd.push_str(" --auth-token \"$TWILIO_AUTH_TOKEN\""),
    }
    Ok(cmd)
}

/// The OSC 52 sequence that puts `text` on the system clipboard: the text travels base64
/// encoded, so no byte of it reaches the terminal raw.
pub fn osc52(text: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{encoded}\x07")
}

/// Whether the terminal named by `$TERM` can be asked to set the clipboard (OSC 52). The
/// Linux console and `dumb` cannot; the others are asked, and the text is shown too.
pub fn osc52_allowed(term: Option<&str>) -> bool {
    !matches!(term, None | Some("" | "dumb" | "linux"))
}

/// A delivery to send again to a URL the user typed.
#[derive(Debug, Clone)]
pub struct ResendRequest {
    /// The delivery, by arrival number.
    pub seq: u64,
    /// Where to send it, checked.
    pub url: String,
    /// The body, unchanged.
    pub body: bytes::Bytes,
    /// Its `Content-Type` and `User-Agent`, as received.
    pub headers: Vec<(&'static str, String)>,
}

impl ResendRequest {
    /// The request for `d` to `url`, or why there is none (a bad URL, no body).
    pub fn new(d: &Delivery, url: &str) -> Result<Self, String> {
        let url = url.trim();
        crate::twilio::url::validate_public_url(url)
            .map_err(|e| format!("`{}`: {}", e.shown, e.problem()))?;
        if d.method != "POST" || d.body.is_empty() || d.body_clipped() {
            return Err(format!(
                "delivery #{} has no whole body to resend (refused unread or clipped)",
                d.seq
            ));
        }
        let headers = ["content-type", "user-agent"]
            .into_iter()
            .filter_map(|name| d.headers.get(name).map(|v| (name, v.to_owned())))
            .collect();
        Ok(Self {
            seq: d.seq,
            url: url.to_owned(),
            body: d.body.clone(),
            headers,
        })
    }
}

/// Signs `request` for its URL with `key` and POSTs it once, as `replay --to` does; the
/// outcome in a sentence (escaped: the URL was typed, the error may quote it).
pub async fn resend(request: ResendRequest, key: ResignKey) -> Result<String, String> {
    let sender = WebhookSender::new(
        &key.0,
        SenderOptions {
            timeout: Duration::from_secs(10),
            ..SenderOptions::default()
        },
    )
    .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
    let signed = sender.sign(&request.url, request.body.clone());
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(n, v)| (*n, v.as_str()))
        .collect();
    let outcome = sender.post(&signed, &headers).await;
    let url = crate::twilio::url::display_url(&request.url).into_owned();
    let ms = outcome.latency.as_millis();
    let text = match &outcome.status {
        Ok(status) => format!(
            "resent #{} to {url}: answered {status} in {ms} ms",
            request.seq
        ),
        Err(e) => format!("resent #{} to {url}: not sent: {e}", request.seq),
    };
    let text = crate::text::terminal_safe(&text).into_owned();
    match outcome.status {
        Ok(200..=299) => Ok(text),
        _ => Err(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(body: &str) -> Delivery {
        let mut d = Delivery::accepted(7, std::time::SystemTime::UNIX_EPOCH, Vec::new());
        d.body = bytes::Bytes::from(body.to_owned());
        d.body_len = body.len();
        d.headers.push("content-type", "application/json");
        d.headers.push("x-twilio-signature", "c2lnbmF0dXJl+/=");
        d.signed_url = Some("https://abc.ngrok.app/events?bodySHA256=00ff".into());
        d
    }

    #[test]
    fn quotes_survive_the_shell() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$HOME `x`"), "'$HOME `x`'");
    }

    #[test]
    fn curl_sends_the_body_as_received_to_the_signed_url() {
        let d = delivery("[{\"note\":\"it's\"}]\n");
        assert_eq!(
            curl_command(&d).expect("copyable"),
            "printf '%s' '[{\"note\":\"it'\\''s\"}]\n' | curl -sS -X POST \
             'https://abc.ngrok.app/events?bodySHA256=00ff' -H 'Content-Type: application/json' \
             -H 'X-Twilio-Signature: c2lnbmF0dXJl+/=' --data-binary @-"
        );
    }

    #[test]
    fn verify_names_the_token_by_its_variable() {
        let d = delivery("[]");
        let cmd = verify_command(&d).expect("copyable");
        assert_eq!(
            cmd,
            "printf '%s' '[]' | callwatch verify --url \
             'https://abc.ngrok.app/events?bodySHA256=00ff' --signature 'c2lnbmF0dXJl+/=' \
             --body-file - --auth-token \"$TWILIO_AUTH_TOKEN\""
        );
        let mut shared = delivery("[]");
        shared
            .headers
            .push(SETTINGS_HEADER, "key=KS1,algorithm=HMAC_SHA256");
        let cmd = verify_command(&shared).expect("copyable");
        assert!(
            cmd.ends_with(
                "--signature-settings 'key=KS1,algorithm=HMAC_SHA256' \
                 --shared-key-secret \"$CALLWATCH_SHARED_KEY_SECRET\""
            ),
            "{cmd}"
        );
    }

    #[test]
    fn hostile_or_partial_bodies_are_not_copied() {
        assert!(curl_command(&delivery("[\"\x1b]52;c;AAAA\x07\"]")).is_err());
        let mut clipped = delivery("[1,2,3]");
        clipped.body_len = 100;
        assert!(verify_command(&clipped).is_err());
        let mut unsigned = delivery("[]");
        unsigned.headers = crate::ingest::Headers::default();
        assert!(curl_command(&unsigned).is_err());
    }

    #[test]
    fn osc52_carries_the_text_base64_encoded() {
        assert_eq!(osc52("CA1"), "\x1b]52;c;Q0Ex\x07");
        let seq = osc52("a\x1b[2J\u{202e}b");
        assert!(seq.starts_with("\x1b]52;c;") && seq.ends_with('\x07'));
        let inner = &seq["\x1b]52;c;".len()..seq.len() - 1];
        assert!(
            inner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        );
        assert!(osc52_allowed(Some("xterm-256color")));
        assert!(!osc52_allowed(Some("dumb")));
        assert!(!osc52_allowed(None));
    }

    #[test]
    fn the_resend_key_is_never_shown() {
        assert_eq!(format!("{:?}", ResignKey::new("secret")), "ResignKey(***)");
    }

    #[test]
    fn a_resend_needs_a_url_and_a_whole_body() {
        let d = delivery("[]");
        assert!(ResendRequest::new(&d, "not a url").is_err());
        assert!(ResendRequest::new(&d, "ftp://x/events").is_err());
        let ok = ResendRequest::new(&d, " http://127.0.0.1:9/hook ").expect("ok");
        assert_eq!(ok.url, "http://127.0.0.1:9/hook");
        assert_eq!(
            ok.headers,
            [("content-type", "application/json".to_owned())]
        );
        let mut empty = delivery("");
        empty.body_len = 0;
        assert!(ResendRequest::new(&empty, "http://127.0.0.1:9/hook").is_err());
    }
}
