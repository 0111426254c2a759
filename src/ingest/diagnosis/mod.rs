//! Why a delivery was refused, in one sentence: compares the public URL callwatch checks
//! signatures against with what the request itself shows (Host, X-Forwarded-*, port, path) and,
//! with the secret at hand, confirms which URL Twilio really signed.
//!
//! Rule of thumb for readers of [`Diagnosis`]: show [`signature_prefix`]es, never a full
//! expected signature — a full one would let anyone who reads the log forge the refused body.

use super::public_url::PublicUrl;
use super::{Delivery, DeliveryVerdict};
use crate::twilio::signature::{Secrets, SignatureVerdict, TriedUrl, body_hash_params};
use crate::twilio::url::display_url;

mod request_url;
use request_url::{RequestView, SeenUrl, UrlContext, header, other_secret};

/// How many characters of a signature are shown: 48 bits, enough to compare by eye, far too
/// few to forge anything with.
pub const SIGNATURE_PREFIX_LEN: usize = 8;

/// What went wrong with one refused delivery, for the deliveries view and the ndjson line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// Which check failed, in a few words ("signature matches no URL variant").
    pub reason: String,
    /// Each URL variant the signature was checked against, with the signature it would need.
    /// Show only [`signature_prefix`] of those signatures.
    pub tried_urls: Vec<TriedUrl>,
    /// The `X-Twilio-Signature` received, if any.
    pub received_signature: Option<String>,
    /// One sentence: the most likely cause, and what to change.
    pub hint: String,
    /// The public URL as the request shows it (scheme from `X-Forwarded-Proto`, host from
    /// `X-Forwarded-Host` or `Host`), when the host looks public; `None` behind a tunnel that
    /// rewrites `Host` to `localhost`.
    pub seen_url: Option<String>,
    /// A URL other than the configured one whose signature matches the one received: proof of
    /// the URL Twilio really signed (query omitted).
    pub matched_url: Option<String>,
}

impl Diagnosis {
    /// The bytes its texts hold.
    pub fn retained_bytes(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        self.reason.len()
            + self.hint.len()
            + opt(&self.received_signature)
            + opt(&self.seen_url)
            + opt(&self.matched_url)
            + self
                .tried_urls
                .iter()
                .map(|t| t.url.len() + t.expected_signature.len() + 48)
                .sum::<usize>()
    }

    /// Cuts each of its texts to at most `max` bytes ([`crate::text::clip`]): a refused request
    /// brought them, and may have brought a lot.
    pub fn clip(&mut self, max: usize) {
        crate::text::clip(&mut self.reason, max);
        crate::text::clip(&mut self.hint, max);
        for text in [
            &mut self.received_signature,
            &mut self.seen_url,
            &mut self.matched_url,
        ]
        .into_iter()
        .flatten()
        {
            crate::text::clip(text, max);
        }
        for tried in &mut self.tried_urls {
            crate::text::clip(&mut tried.url, max);
        }
    }
}

/// The first [`SIGNATURE_PREFIX_LEN`] characters of a signature (all of it when shorter).
pub fn signature_prefix(signature: &str) -> &str {
    match signature.char_indices().nth(SIGNATURE_PREFIX_LEN) {
        Some((cut, _)) => &signature[..cut],
        None => signature,
    }
}

/// The reason and hint for a failed signature check on its own, without a request to compare
/// with (`callwatch verify`). `None` when the check passed.
pub fn explain_check(check: &SignatureVerdict) -> Option<(String, String)> {
    let pair = match check {
        SignatureVerdict::Valid { .. } => return None,
        SignatureVerdict::MissingSignature => (
            "no X-Twilio-Signature header".to_owned(),
            "no X-Twilio-Signature: not sent by Twilio, or a proxy strips it".to_owned(),
        ),
        SignatureVerdict::MissingBodyHash => {
            (REASON_NO_BODY_HASH.to_owned(), HINT_NO_BODY_HASH.to_owned())
        }
        SignatureVerdict::BodyHashMismatch { expected, .. } => {
            (REASON_BODY_HASH.to_owned(), body_hash_hint(expected, None))
        }
        SignatureVerdict::SignatureMismatch { shared_key, .. } => (
            REASON_NO_VARIANT.to_owned(),
            format!(
                "no URL variant matches: either this is not the exact URL Twilio signed (scheme, \
                 host, port, path and query must all match the sink's destination) or the \
                 signature was made with {}",
                other_secret(*shared_key)
            ),
        ),
        SignatureVerdict::UnsupportedAlgorithm { name } => unsupported_algorithm(name),
        SignatureVerdict::NoSharedKeyConfigured { key_id } => no_shared_key(key_id.as_deref()),
        SignatureVerdict::InvalidPort { port } => (
            format!("port {port} in the signed URL is not a port"),
            format!(
                "the URL checked has port {port}, not a number from 0 to 65535: no Twilio \
                 library accepts such a URL; give the sink's destination exactly"
            ),
        ),
    };
    Some(pair)
}

/// Diagnoses a refused delivery; `None` for an accepted one.
///
/// `public_url` is what the listener checks signatures against; `secrets`, when given, let the
/// diagnosis test the URLs the request suggests (the host it shows, the other scheme) and say
/// for certain which one Twilio signed. Costs a few HMACs, and only for refused deliveries.
pub fn diagnose(
    delivery: &Delivery,
    public_url: &PublicUrl,
    secrets: Option<&Secrets>,
) -> Option<Diagnosis> {
    if delivery.verdict.is_accepted() {
        return None;
    }
    let view = RequestView::of(delivery);
    let received_signature = view.signature.map(str::to_owned);
    let mut diagnosis = Diagnosis {
        reason: String::new(),
        tried_urls: Vec::new(),
        received_signature,
        hint: String::new(),
        seen_url: None,
        matched_url: None,
    };
    let (reason, hint) = match &delivery.verdict {
        DeliveryVerdict::Ok | DeliveryVerdict::Duplicate | DeliveryVerdict::TooOld => {
            return None;
        }
        DeliveryVerdict::Malformed(why) => (
            why.clone(),
            format!("the body is not a JSON array of CloudEvents: {why}"),
        ),
        DeliveryVerdict::TooLarge => (
            "body over 1 MiB".to_owned(),
            "the body is over 1 MiB while Event Streams batches stay under 64 kB: this is not an \
             Event Streams delivery"
                .to_owned(),
        ),
        DeliveryVerdict::MethodNotAllowed => (
            format!("method {} not allowed", delivery.method),
            format!(
                "{} instead of POST: Event Streams sinks POST, so this is a browser, a health \
                 check (use GET /healthz) or a sink configured with method GET",
                delivery.method
            ),
        ),
        DeliveryVerdict::WrongPath => {
            let events_path = public_url.events_path();
            let sender = if view.signature.is_some() {
                "a Twilio-signed POST"
            } else {
                "a POST"
            };
            (
                format!(
                    "POST to {}, not to the events path {events_path}",
                    delivery.path
                ),
                format!(
                    "{sender} reached this listener at {} but callwatch takes deliveries at \
                     {events_path} (the path of the public URL): end the sink's destination URL \
                     with {events_path}, or give callwatch the URL the sink uses",
                    delivery.path
                ),
            )
        }
        DeliveryVerdict::NotRecorded => (
            "not written to the --record file".to_owned(),
            "the --record file could not be written, so the delivery was answered 503 and \
             Twilio will send it again: check the disk the recording is on"
                .to_owned(),
        ),
        DeliveryVerdict::MissingSignature => {
            let from_twilio = view
                .user_agent
                .is_some_and(|ua| ua.to_ascii_lowercase().contains("twilioproxy"));
            let hint = if from_twilio {
                "no X-Twilio-Signature although the User-Agent is Twilio's: a proxy between \
                 Twilio and here strips it"
            } else {
                "no X-Twilio-Signature: not sent by Twilio, or a proxy strips it"
            };
            ("no X-Twilio-Signature header".to_owned(), hint.to_owned())
        }
        DeliveryVerdict::BadSignature | DeliveryVerdict::BadBodyHash => {
            let context = UrlContext::new(delivery, public_url, &view);
            diagnosis.seen_url = context.seen.as_ref().map(SeenUrl::display);
            let check = delivery.signature.as_ref();
            if let Some(SignatureVerdict::SignatureMismatch { tried, .. }) = check {
                // A diagnosis is shown and logged: the URLs go with their password masked.
                diagnosis.tried_urls = tried
                    .iter()
                    .map(|t| TriedUrl {
                        url: display_url(&t.url).into_owned(),
                        expected_signature: t.expected_signature.clone(),
                    })
                    .collect();
            }
            if body_hash_params(&format!("?{}", delivery.query)).is_empty() {
                // Without bodySHA256 nothing else matters: this is some other kind of request.
                (REASON_NO_BODY_HASH.to_owned(), no_body_hash_hint(&view))
            } else {
                match check {
                    Some(SignatureVerdict::SignatureMismatch {
                        received,
                        algorithm,
                        shared_key,
                        ..
                    }) => {
                        let settings =
                            header(&delivery.headers, "x-twilio-webhooks-signature-settings");
                        let key = secrets.and_then(|s| s.key_for(settings));
                        let found = context.url_hint(received, *algorithm, *shared_key, key);
                        diagnosis.matched_url = found.matched;
                        (REASON_NO_VARIANT.to_owned(), found.hint)
                    }
                    Some(SignatureVerdict::BodyHashMismatch { expected, .. }) => (
                        REASON_BODY_HASH.to_owned(),
                        body_hash_hint(expected, view.content_encoding),
                    ),
                    Some(other) => explain_check(other)
                        .unwrap_or_else(|| (delivery.verdict.as_str().to_owned(), String::new())),
                    None => (
                        delivery.verdict.as_str().to_owned(),
                        "refused by the signature check".to_owned(),
                    ),
                }
            }
        }
    };
    diagnosis.reason = reason;
    diagnosis.hint = hint;
    Some(diagnosis)
}

const REASON_NO_BODY_HASH: &str = "no bodySHA256 in the URL";
const REASON_BODY_HASH: &str = "body does not match bodySHA256";
const REASON_NO_VARIANT: &str = "signature matches no URL variant";
const HINT_NO_BODY_HASH: &str = "no bodySHA256 in the URL: this is not an Event Streams delivery";

fn no_body_hash_hint(view: &RequestView<'_>) -> String {
    let form = view.content_type.is_some_and(|ct| {
        ct.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    if form {
        format!(
            "{HINT_NO_BODY_HASH} (a form-encoded Twilio webhook, such as a call status \
             callback, points at this URL)"
        )
    } else {
        HINT_NO_BODY_HASH.to_owned()
    }
}

fn body_hash_hint(expected: &str, content_encoding: Option<&str>) -> String {
    let mut hint = if expected.contains(',') {
        "the URL carries bodySHA256 values that disagree: something between Twilio and here \
         rewrote the query"
            .to_owned()
    } else {
        "the body does not match bodySHA256: something between Twilio and here changed it"
            .to_owned()
    };
    if let Some(encoding) = content_encoding {
        hint.push_str(&format!(" (Content-Encoding: {encoding})"));
    }
    hint
}

fn unsupported_algorithm(name: &str) -> (String, String) {
    (
        format!("unsupported signature algorithm {name}"),
        format!(
            "X-Twilio-Webhooks-Signature-Settings asks for {name}, which Twilio's libraries do \
             not know: only HMAC_SHA1 and HMAC_SHA256 are checked"
        ),
    )
}

fn no_shared_key(key_id: Option<&str>) -> (String, String) {
    let key = key_id.map_or_else(|| "a SharedKey".to_owned(), |id| format!("SharedKey {id}"));
    (
        "no SharedKey secret configured".to_owned(),
        format!(
            "signed with {key} (X-Twilio-Webhooks-Signature-Settings): pass its secret with \
             --shared-key-secret"
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::ingest::Headers;
    use crate::ingest::verdict::{Judge, signed_url};
    use crate::twilio::signature::sign_json_delivery;
    use crate::twilio::signature::{Algorithm, compute_signature};

    const TOKEN: &str = "listener-token";
    const BODY: &[u8] = br#"[{"specversion":"1.0","type":"com.twilio.eventstreams.test-event","source":"Sink","id":"AC11111111111111111111111111111111","dataschema":"https://events-schemas.twilio.com/EventStreams.TestSink/1.json","datacontenttype":"application/json","time":"2026-06-10T06:02:54.377Z","data":{"test_id":"cae2f9e2-c277-4612-8ad3-93c1a7a3ef88"}}]"#;

    /// A request as Twilio would send it for `destination`, signed with `token`, judged by a
    /// listener configured with `public` and [`TOKEN`]; `headers` as the proxy set them.
    struct Case<'a> {
        public: PublicUrl,
        destination: &'a str,
        token: &'a str,
        headers: Vec<(&'a str, &'a str)>,
        body_sent: Option<&'a [u8]>,
    }

    impl<'a> Case<'a> {
        fn fixed(public: &str, destination: &'a str) -> Self {
            Self {
                public: PublicUrl::Fixed(public.to_owned()),
                destination,
                token: TOKEN,
                headers: Vec::new(),
                body_sent: None,
            }
        }

        fn header(mut self, name: &'a str, value: &'a str) -> Self {
            self.headers.push((name, value));
            self
        }

        fn delivery(&self) -> Delivery {
            let (full, sig) = sign_json_delivery(
                self.token.as_bytes(),
                self.destination,
                BODY,
                Algorithm::HmacSha1,
            );
            let query = full.split_once('?').map_or("", |(_, q)| q).to_owned();
            let mut headers: Vec<(String, String)> = self
                .headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            if !headers.iter().any(|(n, _)| n == "x-twilio-signature") {
                headers.push(("x-twilio-signature".into(), sig));
            }
            self.judged(&query, headers)
        }

        fn judged(&self, query: &str, headers: Vec<(String, String)>) -> Delivery {
            let header_map: http::HeaderMap = headers
                .iter()
                .filter_map(|(n, v)| {
                    Some((
                        http::HeaderName::from_bytes(n.as_bytes()).ok()?,
                        http::HeaderValue::from_str(v).ok()?,
                    ))
                })
                .collect();
            let public = self.public.for_request(&header_map);
            let signed = signed_url(&public, query);
            let judge = Judge::new(Some(secrets()), 403);
            let body = self.body_sent.unwrap_or(BODY);
            let headers = Headers::from(headers);
            let sig = header(&headers, "x-twilio-signature");
            let judgement = judge.judge(
                &signed,
                sig,
                header(&headers, "x-twilio-webhooks-signature-settings"),
                body,
            );
            let mut d = Delivery::accepted(1, SystemTime::UNIX_EPOCH, Vec::new());
            d.path = self.public.events_path();
            d.query = query.to_owned();
            d.headers = headers.clone();
            d.status = judgement.status;
            d.verdict = judgement.verdict;
            d.signature = judgement.signature;
            d.signed_url = Some(signed);
            d
        }

        fn diagnose(&self) -> Option<Diagnosis> {
            diagnose(&self.delivery(), &self.public, Some(&secrets()))
        }

        fn hint(&self) -> String {
            let d = self.diagnose().expect("a refused delivery is diagnosed");
            d.hint
        }
    }

    fn secrets() -> Secrets {
        Secrets {
            auth_token: TOKEN.into(),
            shared_key_secret: Some("shared-secret".into()),
        }
    }

    #[test]
    fn accepted_deliveries_have_no_diagnosis() {
        let case = Case::fixed(
            "https://abc.ngrok.app/events",
            "https://abc.ngrok.app/events",
        )
        .header("host", "abc.ngrok.app");
        assert_eq!(case.delivery().verdict, DeliveryVerdict::Ok);
        assert_eq!(case.diagnose(), None);
    }

    #[test]
    fn wrong_host_names_both_urls_and_proves_it() {
        let case = Case::fixed(
            "https://xyz.ngrok.app/events",
            "https://abc.ngrok.app/events",
        )
        .header("host", "abc.ngrok.app")
        .header("x-forwarded-proto", "https");
        let d = case.diagnose().expect("diagnosed");
        assert_eq!(d.reason, "signature matches no URL variant");
        assert_eq!(
            d.hint,
            "Twilio reached this listener as https://abc.ngrok.app/events but --public-url is \
             https://xyz.ngrok.app/events (the signature matches https://abc.ngrok.app/events)"
        );
        assert_eq!(
            d.matched_url.as_deref(),
            Some("https://abc.ngrok.app/events")
        );
        assert_eq!(d.seen_url.as_deref(), Some("https://abc.ngrok.app/events"));
        let urls: Vec<&str> = d.tried_urls.iter().map(|t| t.url.as_str()).collect();
        assert!(
            urls[0].starts_with("https://xyz.ngrok.app/events?bodySHA256="),
            "{urls:?}"
        );
        assert!(
            urls.iter()
                .any(|u| u.starts_with("https://xyz.ngrok.app:443/events?"))
        );
        assert!(d.received_signature.is_some());
    }

    #[test]
    fn wrong_host_through_x_forwarded_host_when_host_is_rewritten() {
        let case = Case::fixed(
            "https://xyz.ngrok.app/events",
            "https://abc.ngrok.app/events",
        )
        .header("host", "localhost:8080")
        .header("x-forwarded-host", "abc.ngrok.app")
        .header("x-forwarded-proto", "https");
        assert!(
            case.hint()
                .starts_with("Twilio reached this listener as https://abc.ngrok.app/events but")
        );
    }

    #[test]
    fn a_localhost_host_is_never_called_a_host_mismatch() {
        // The tunnel rewrote Host, and the token is wrong: the URL cannot be compared.
        let mut case = Case::fixed(
            "https://xyz.ngrok.app/events",
            "https://xyz.ngrok.app/events",
        )
        .header("host", "127.0.0.1:8080");
        case.token = "another-token";
        let d = case.diagnose().expect("diagnosed");
        assert_eq!(d.seen_url, None);
        assert_eq!(
            d.hint,
            "signature made with another auth token (subaccount?), or the sink's destination is \
             not https://xyz.ngrok.app/events: the request shows only Host 127.0.0.1:8080, so \
             the URL Twilio used cannot be checked here"
        );
    }

    #[test]
    fn a_sender_that_signed_the_local_address_is_named() {
        let case = Case::fixed(
            "https://xyz.ngrok.app/events",
            "http://127.0.0.1:8080/events",
        )
        .header("host", "127.0.0.1:8080");
        let d = case.diagnose().expect("diagnosed");
        assert_eq!(
            d.hint,
            "the sender signed this listener's local address http://127.0.0.1:8080/events, not \
             https://xyz.ngrok.app/events (--public-url): send to the public URL, or pass \
             --public-url http://127.0.0.1:8080/events"
        );
        assert_eq!(
            d.matched_url.as_deref(),
            Some("http://127.0.0.1:8080/events")
        );
        assert_eq!(d.seen_url, None);
    }

    #[test]
    fn wrong_scheme_behind_a_proxy() {
        // The sink's destination is http (proxy says so); --public-url says https.
        let case = Case::fixed(
            "https://hooks.example.com/events",
            "http://hooks.example.com/events",
        )
        .header("host", "hooks.example.com")
        .header("x-forwarded-proto", "http");
        assert_eq!(
            case.hint(),
            "the request came through a proxy as http://hooks.example.com/events but --public-url \
             says https://hooks.example.com/events (the signature matches \
             http://hooks.example.com/events)"
        );
    }

    #[test]
    fn wrong_scheme_without_proxy_headers_is_still_found() {
        let case = Case::fixed(
            "http://hooks.example.com/events",
            "https://hooks.example.com/events",
        )
        .header("host", "127.0.0.1:8080");
        assert_eq!(
            case.hint(),
            "Twilio signed https://hooks.example.com/events but --public-url is \
             http://hooks.example.com/events: pass --public-url https://hooks.example.com/events"
        );
    }

    #[test]
    fn proxy_reporting_the_wrong_scheme_in_forwarded_mode() {
        let mut case = Case::fixed("", "https://hooks.example.com/events")
            .header("host", "hooks.example.com")
            .header("x-forwarded-proto", "http");
        case.public = PublicUrl::FromForwardedHeaders {
            path: "/events".into(),
        };
        let hint = case.hint();
        assert_eq!(
            hint,
            "Twilio signed https://hooks.example.com/events but the URL rebuilt from \
             X-Forwarded-* headers is http://hooks.example.com/events: the proxy reports the \
             wrong scheme (X-Forwarded-Proto), so fix it or pass --public-url \
             https://hooks.example.com/events"
        );
    }

    #[test]
    fn port_variants_are_accepted_and_a_wrong_port_is_named() {
        // Twilio sometimes signs with :443: accepted, nothing to diagnose.
        let case = Case::fixed(
            "https://hooks.example.com/events",
            "https://hooks.example.com:443/events",
        )
        .header("host", "hooks.example.com");
        assert_eq!(case.delivery().verdict, DeliveryVerdict::Ok);
        assert_eq!(case.diagnose(), None);

        // A port in --public-url that Twilio left out is one of the accepted variants too.
        let case = Case::fixed(
            "https://hooks.example.com:8443/events",
            "https://hooks.example.com/events",
        )
        .header("host", "hooks.example.com");
        assert_eq!(case.diagnose(), None);

        // The sink's destination has a port that --public-url lacks; Host shows it.
        let case = Case::fixed(
            "https://hooks.example.com/events",
            "https://hooks.example.com:8443/events",
        )
        .header("host", "hooks.example.com:8443")
        .header("x-forwarded-proto", "https");
        assert_eq!(
            case.hint(),
            "Twilio reached this listener as https://hooks.example.com:8443/events but \
             --public-url is https://hooks.example.com/events (the signature matches \
             https://hooks.example.com:8443/events)"
        );

        // The destination has a port that the proxy reports in X-Forwarded-Port.
        let case = Case::fixed(
            "https://hooks.example.com/events",
            "https://hooks.example.com:8443/events",
        )
        .header("host", "hooks.example.com")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-port", "8443");
        assert!(
            case.hint().starts_with(
                "Twilio reached this listener as https://hooks.example.com:8443/events but"
            ),
            "{}",
            case.hint()
        );
    }

    #[test]
    fn a_path_prefix_stripped_by_the_proxy_is_named() {
        let case = Case::fixed(
            "https://hooks.example.com/events",
            "https://hooks.example.com/api/events",
        )
        .header("host", "hooks.example.com")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-prefix", "/api");
        assert_eq!(
            case.hint(),
            "Twilio reached this listener as https://hooks.example.com/api/events but \
             --public-url is https://hooks.example.com/events (the signature matches \
             https://hooks.example.com/api/events)"
        );
    }

    #[test]
    fn changed_body() {
        let mut case = Case::fixed(
            "https://abc.ngrok.app/events",
            "https://abc.ngrok.app/events",
        )
        .header("host", "abc.ngrok.app");
        let mut changed = BODY.to_vec();
        changed[3] = b'S';
        case.body_sent = Some(&changed);
        let d = case.diagnose().expect("diagnosed");
        assert_eq!(d.reason, "body does not match bodySHA256");
        assert_eq!(
            d.hint,
            "the body does not match bodySHA256: something between Twilio and here changed it"
        );
        let case = case.header("content-encoding", "gzip");
        assert!(case.hint().ends_with("(Content-Encoding: gzip)"));
    }

    #[test]
    fn missing_body_hash() {
        let case = Case::fixed(
            "https://abc.ngrok.app/events",
            "https://abc.ngrok.app/events",
        )
        .header("host", "abc.ngrok.app");
        let sig = compute_signature(
            TOKEN.as_bytes(),
            "https://abc.ngrok.app/events",
            &[],
            Algorithm::HmacSha1,
        );
        let headers = vec![("x-twilio-signature".to_owned(), sig)];
        let d =
            diagnose(&case.judged("", headers), &case.public, Some(&secrets())).expect("diagnosed");
        assert_eq!(d.reason, "no bodySHA256 in the URL");
        assert_eq!(
            d.hint,
            "no bodySHA256 in the URL: this is not an Event Streams delivery"
        );

        // A form-encoded classic webhook fails the signature first; the hint still says why.
        let headers = vec![
            (
                "x-twilio-signature".to_owned(),
                "AAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned(),
            ),
            (
                "content-type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ),
        ];
        let d =
            diagnose(&case.judged("", headers), &case.public, Some(&secrets())).expect("diagnosed");
        assert!(d.hint.starts_with(HINT_NO_BODY_HASH), "{}", d.hint);
        assert!(d.hint.contains("status callback"), "{}", d.hint);
    }

    #[test]
    fn wrong_token() {
        let mut case = Case::fixed(
            "https://abc.ngrok.app/events",
            "https://abc.ngrok.app/events",
        )
        .header("host", "abc.ngrok.app")
        .header("x-forwarded-proto", "https");
        case.token = "a-subaccount-token";
        let d = case.diagnose().expect("diagnosed");
        assert_eq!(d.matched_url, None);
        assert_eq!(
            d.hint,
            "signature made with another auth token (subaccount?): the request shows the same \
             URL as --public-url (https://abc.ngrok.app/events), so use the auth token of the \
             account that owns the sink"
        );
    }

    #[test]
    fn wrong_host_and_wrong_token() {
        let mut case = Case::fixed(
            "https://xyz.ngrok.app/events",
            "https://abc.ngrok.app/events",
        )
        .header("host", "abc.ngrok.app");
        case.token = "a-subaccount-token";
        let hint = case.hint();
        assert!(
            hint.starts_with(
                "Twilio reached this listener as https://abc.ngrok.app/events but --public-url \
                 is https://xyz.ngrok.app/events, and the signature matches neither"
            ),
            "{hint}"
        );
    }

    #[test]
    fn missing_signature() {
        let case = Case::fixed(
            "https://abc.ngrok.app/events",
            "https://abc.ngrok.app/events",
        )
        .header("host", "abc.ngrok.app");
        let (full, _) = sign_json_delivery(
            TOKEN.as_bytes(),
            case.destination,
            BODY,
            Algorithm::HmacSha1,
        );
        let query = full.split_once('?').map_or("", |(_, q)| q);
        let d = diagnose(
            &case.judged(query, Vec::new()),
            &case.public,
            Some(&secrets()),
        )
        .expect("diagnosed");
        assert_eq!(d.reason, "no X-Twilio-Signature header");
        assert_eq!(
            d.hint,
            "no X-Twilio-Signature: not sent by Twilio, or a proxy strips it"
        );
        assert_eq!(d.received_signature, None);

        let headers = vec![("user-agent".to_owned(), "TwilioProxy/1.1".to_owned())];
        let d = diagnose(&case.judged(query, headers), &case.public, Some(&secrets()))
            .expect("diagnosed");
        assert!(
            d.hint.contains("a proxy between Twilio and here strips it"),
            "{}",
            d.hint
        );
    }

    #[test]
    fn shared_key_problems() {
        let case = Case::fixed(
            "https://abc.ngrok.app/events",
            "https://abc.ngrok.app/events",
        )
        .header("host", "abc.ngrok.app")
        .header(
            "x-twilio-webhooks-signature-settings",
            "key=KS123,algorithm=HMAC_MD5",
        );
        let d = case.diagnose().expect("diagnosed");
        assert_eq!(d.reason, "unsupported signature algorithm HMAC_MD5");
        assert!(
            d.hint.contains("only HMAC_SHA1 and HMAC_SHA256"),
            "{}",
            d.hint
        );

        // Signed with a SharedKey the listener has a different secret for.
        let (full, sig) = sign_json_delivery(
            b"other-shared-secret",
            "https://abc.ngrok.app/events",
            BODY,
            Algorithm::HmacSha256,
        );
        let query = full.split_once('?').map_or("", |(_, q)| q);
        let headers = vec![
            ("host".to_owned(), "abc.ngrok.app".to_owned()),
            ("x-twilio-signature".to_owned(), sig),
            (
                "x-twilio-webhooks-signature-settings".to_owned(),
                "key=KS123,algorithm=HMAC_SHA256".to_owned(),
            ),
        ];
        let delivery = case.judged(query, headers);
        let d = diagnose(&delivery, &case.public, Some(&secrets())).expect("diagnosed");
        assert!(
            d.hint
                .starts_with("signature made with another SharedKey secret"),
            "{}",
            d.hint
        );
        assert!(d.hint.ends_with("check --shared-key-secret"), "{}", d.hint);

        // No SharedKey secret at all.
        let no_key = Secrets {
            auth_token: TOKEN.into(),
            shared_key_secret: None,
        };
        let judge = Judge::new(Some(no_key.clone()), 403);
        let mut delivery = delivery;
        let check = judge.judge(
            delivery.signed_url.as_deref().unwrap_or_default(),
            header(&delivery.headers, "x-twilio-signature"),
            Some("key=KS123,algorithm=HMAC_SHA256"),
            BODY,
        );
        delivery.verdict = check.verdict;
        delivery.signature = check.signature;
        let d = diagnose(&delivery, &case.public, Some(&no_key)).expect("diagnosed");
        assert_eq!(d.reason, "no SharedKey secret configured");
        assert_eq!(
            d.hint,
            "signed with SharedKey KS123 (X-Twilio-Webhooks-Signature-Settings): pass its \
             secret with --shared-key-secret"
        );
    }

    #[test]
    fn without_secrets_the_headers_alone_decide() {
        let case = Case::fixed(
            "https://hooks.example.com/events",
            "http://hooks.example.com/events",
        )
        .header("host", "hooks.example.com")
        .header("x-forwarded-proto", "http");
        let d = diagnose(&case.delivery(), &case.public, None).expect("diagnosed");
        assert_eq!(
            d.hint,
            "the request came through a proxy as http://hooks.example.com/events but \
             --public-url says https://hooks.example.com/events"
        );
        assert_eq!(d.matched_url, None);
    }

    #[test]
    fn other_refusals_are_explained() {
        let mut d = Delivery::accepted(1, SystemTime::UNIX_EPOCH, Vec::new());
        let public = PublicUrl::Fixed("https://abc.ngrok.app/events".into());
        d.verdict = DeliveryVerdict::Malformed("expected value at line 1 column 2".into());
        let got = diagnose(&d, &public, None).expect("diagnosed");
        assert_eq!(got.reason, "expected value at line 1 column 2");
        assert!(got.hint.contains("not a JSON array of CloudEvents"));
        d.verdict = DeliveryVerdict::TooLarge;
        assert!(
            diagnose(&d, &public, None)
                .expect("diagnosed")
                .hint
                .contains("64 kB")
        );
        d.verdict = DeliveryVerdict::MethodNotAllowed;
        d.method = "GET".into();
        let got = diagnose(&d, &public, None).expect("diagnosed");
        assert_eq!(got.reason, "method GET not allowed");
        assert!(got.hint.starts_with("GET instead of POST"));
    }

    #[test]
    fn explain_check_covers_every_failure() {
        let failures = [
            SignatureVerdict::MissingSignature,
            SignatureVerdict::MissingBodyHash,
            SignatureVerdict::BodyHashMismatch {
                expected: "a".into(),
                actual: "b".into(),
            },
            SignatureVerdict::SignatureMismatch {
                received: "x".into(),
                tried: Vec::new(),
                algorithm: Algorithm::HmacSha1,
                shared_key: false,
            },
            SignatureVerdict::UnsupportedAlgorithm { name: "X".into() },
            SignatureVerdict::NoSharedKeyConfigured { key_id: None },
            SignatureVerdict::InvalidPort {
                port: "99999".into(),
            },
        ];
        for check in failures {
            let (reason, hint) = explain_check(&check).expect("explained");
            assert!(!reason.is_empty() && !hint.is_empty(), "{check:?}");
        }
        let valid = SignatureVerdict::Valid {
            matched_url: "u".into(),
            algorithm: Algorithm::HmacSha1,
        };
        assert_eq!(explain_check(&valid), None);
    }

    #[test]
    fn the_secret_suspected_is_the_one_the_settings_header_selects() {
        let secrets = Secrets {
            auth_token: "token".into(),
            shared_key_secret: Some("shared".into()),
        };
        let (url, _) =
            sign_json_delivery(b"token", "https://h.example/e", BODY, Algorithm::HmacSha1);
        let wrong = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        let cases = [
            (None, "another auth token (subaccount?)"),
            (
                Some("key=KS1,algorithm=HMAC_SHA1"),
                "another SharedKey secret",
            ),
            (
                Some("key=KS1,algorithm=HMAC_SHA256"),
                "another SharedKey secret",
            ),
        ];
        for (settings, suspect) in cases {
            let check = crate::twilio::signature::verify_json_delivery(
                &secrets,
                &url,
                Some(wrong),
                settings,
                BODY,
            );
            let (_, hint) = explain_check(&check).expect("refused");
            assert!(hint.ends_with(suspect), "{settings:?}: {hint}");
        }
    }

    #[test]
    fn a_password_in_the_public_url_never_reaches_a_diagnosis() {
        // Signed for another host, so the check fails and every URL tried is listed.
        let case = Case::fixed(
            "https://user:hunter2@abc.ngrok.app/events",
            "https://user:hunter2@other.example/events",
        )
        .header("host", "localhost:8080");
        let d = case.diagnose().expect("diagnosed");
        assert_eq!(d.reason, REASON_NO_VARIANT);
        let shown = format!("{d:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            d.hint.contains("https://user:•••@abc.ngrok.app/events"),
            "{}",
            d.hint
        );
        assert!(!d.tried_urls.is_empty());
        for tried in &d.tried_urls {
            assert!(
                tried.url.starts_with("https://user:•••@abc.ngrok.app"),
                "{tried:?}"
            );
        }
    }

    #[test]
    fn signature_prefix_is_short_and_safe() {
        assert_eq!(signature_prefix("xWpMQ9oup5I4GzSsMkdAInacfMM="), "xWpMQ9ou");
        assert_eq!(signature_prefix("abc"), "abc");
        assert_eq!(signature_prefix("ééééééééé"), "éééééééé");
    }
}
