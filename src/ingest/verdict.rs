//! Judging one request to the events path: the checks run in the order Twilio's own helper
//! libraries imply (size, signature and body hash, JSON), then duplicates are set aside.
//! Judging is a plain function of the request so that `replay` can run the same path.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::calls::dedupe::DedupeWindow;
use crate::twilio::cloudevent::{DeliveredEvent, age_at, parse_delivery, parse_time_ns};
use crate::twilio::signature::{Secrets, SignatureVerdict, verify_json_delivery};

/// What callwatch decided about a delivery; the ndjson `verdict` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryVerdict {
    /// Verified and parsed; its events were applied.
    Ok,
    /// Verified, but every event in it had been received before.
    Duplicate,
    /// Verified, but every new event in it was older than `--max-event-age`: answered 2xx (a
    /// retry would be as old) and not applied.
    TooOld,
    /// The signature matched no URL variant (or the algorithm could not be used).
    BadSignature,
    /// The body does not match `bodySHA256`, or the URL carries none.
    BadBodyHash,
    /// No `X-Twilio-Signature` header.
    MissingSignature,
    /// Verified, but the body is not an array of CloudEvents.
    Malformed(String),
    /// The body is larger than [`super::MAX_BODY_BYTES`].
    TooLarge,
    /// Not a POST.
    MethodNotAllowed,
    /// A POST to another path than the events path (the path of the public URL): answered 404
    /// unread. Listed so that a sink pointed at the wrong path shows up, not as silence.
    WrongPath,
    /// Would have been accepted, but could not be written durably to the `--record` file: answered
    /// 503 so that Twilio delivers it again.
    NotRecorded,
}

impl DeliveryVerdict {
    /// The contract name of the verdict (docs/ndjson.md).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Duplicate => "duplicate",
            Self::TooOld => "too_old",
            Self::BadSignature => "bad_signature",
            Self::BadBodyHash => "bad_body_hash",
            Self::MissingSignature => "missing_signature",
            Self::Malformed(_) => "malformed",
            Self::TooLarge => "too_large",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::WrongPath => "wrong_path",
            Self::NotRecorded => "not_recorded",
        }
    }

    /// The verdict named `name` (the inverse of [`Self::as_str`]), as read back from a
    /// recording; `reason` fills [`Self::Malformed`]. `None` for a name this version does not know.
    pub fn from_name(name: &str, reason: Option<&str>) -> Option<Self> {
        Some(match name {
            "ok" => Self::Ok,
            "duplicate" => Self::Duplicate,
            "too_old" => Self::TooOld,
            "bad_signature" => Self::BadSignature,
            "bad_body_hash" => Self::BadBodyHash,
            "missing_signature" => Self::MissingSignature,
            "malformed" => Self::Malformed(reason.unwrap_or_default().to_owned()),
            "too_large" => Self::TooLarge,
            "method_not_allowed" => Self::MethodNotAllowed,
            "wrong_path" => Self::WrongPath,
            "not_recorded" => Self::NotRecorded,
            _ => return None,
        })
    }

    /// True when the delivery was acknowledged with a 2xx.
    pub fn is_accepted(&self) -> bool {
        matches!(self, Self::Ok | Self::Duplicate | Self::TooOld)
    }

    /// True for the verdicts that come from the signature or body-hash check.
    pub fn is_signature_failure(&self) -> bool {
        matches!(
            self,
            Self::BadSignature | Self::BadBodyHash | Self::MissingSignature
        )
    }
}

/// The verdict a signature check leads to.
pub fn verdict_of_signature(check: &SignatureVerdict) -> DeliveryVerdict {
    match check {
        SignatureVerdict::Valid { .. } => DeliveryVerdict::Ok,
        SignatureVerdict::MissingSignature => DeliveryVerdict::MissingSignature,
        SignatureVerdict::MissingBodyHash | SignatureVerdict::BodyHashMismatch { .. } => {
            DeliveryVerdict::BadBodyHash
        }
        SignatureVerdict::SignatureMismatch { .. }
        | SignatureVerdict::UnsupportedAlgorithm { .. }
        | SignatureVerdict::NoSharedKeyConfigured { .. }
        | SignatureVerdict::InvalidPort { .. } => DeliveryVerdict::BadSignature,
    }
}

/// What judging needs besides the request.
pub struct Judge {
    /// Secrets the signature is checked with; `None` skips the check (replay without --verify).
    pub secrets: Option<Secrets>,
    /// Status answered for a failed signature or body hash (403 unless `--reject-status`).
    pub reject_status: u16,
    /// Recently seen event ids.
    pub dedupe: Mutex<DedupeWindow>,
    /// `--max-event-age`: events older than this when they arrive are answered but not applied.
    pub max_event_age: Option<Duration>,
}

/// The outcome of judging one POST body.
#[derive(Debug)]
pub struct Judgement {
    /// Status to answer.
    pub status: u16,
    /// The verdict.
    pub verdict: DeliveryVerdict,
    /// The signature check, when made.
    pub signature: Option<SignatureVerdict>,
    /// Events not seen before.
    pub fresh_events: Vec<DeliveredEvent>,
    /// All events in the body.
    pub event_count: usize,
    /// Distinct event types in the body, in order of first appearance.
    pub event_types: Vec<String>,
}

impl Judge {
    /// A judge with the default dedupe window.
    pub fn new(secrets: Option<Secrets>, reject_status: u16) -> Self {
        Self {
            secrets,
            reject_status,
            dedupe: Mutex::new(DedupeWindow::default()),
            max_event_age: None,
        }
    }

    /// Sets events older than `age` aside (`--max-event-age`): answered 2xx, never applied.
    pub fn with_max_event_age(mut self, age: Option<Duration>) -> Self {
        self.max_event_age = age;
        self
    }

    /// Judges a POST body that arrived at `signed_url` (public URL + raw query) with these
    /// signature headers.
    pub fn judge(
        &self,
        signed_url: &str,
        signature: Option<&str>,
        settings_header: Option<&str>,
        body: &[u8],
    ) -> Judgement {
        let check = self
            .secrets
            .as_ref()
            .map(|s| verify_json_delivery(s, signed_url, signature, settings_header, body));
        if let Some(check) = &check
            && !check.is_valid()
        {
            return Judgement {
                status: self.reject_status,
                verdict: verdict_of_signature(check),
                signature: Some(check.clone()),
                fresh_events: Vec::new(),
                event_count: 0,
                event_types: Vec::new(),
            };
        }
        let events = match parse_delivery(body) {
            Ok(events) => events,
            Err(e) => {
                return Judgement {
                    status: 400,
                    verdict: DeliveryVerdict::Malformed(e.to_string()),
                    signature: check,
                    fresh_events: Vec::new(),
                    event_count: 0,
                    event_types: Vec::new(),
                };
            }
        };
        let event_count = events.len();
        let mut event_types: Vec<String> = Vec::new();
        for e in &events {
            if !event_types.iter().any(|t| t == e.event_type()) {
                event_types.push(e.event_type().to_owned());
            }
        }
        let now = SystemTime::now();
        let mut too_old = 0usize;
        let fresh_events: Vec<DeliveredEvent> = {
            // A poisoned lock only means another request panicked mid-insert; the window is
            // still a valid set of ids, so keep using it.
            let mut window = self.dedupe.lock().unwrap_or_else(|p| p.into_inner());
            events
                .into_iter()
                .filter(|e| {
                    // A test event's id is an account SID, the same for every test: never a duplicate.
                    matches!(e, DeliveredEvent::TestEvent { .. }) || window.first_sighting(e.id())
                })
                .filter(|e| {
                    let old = self.max_event_age.is_some_and(|max| {
                        let time_ns = e.time().map_or(0, parse_time_ns);
                        age_at(time_ns, now).is_some_and(|age| age > max)
                    });
                    too_old += usize::from(old);
                    !old
                })
                .collect()
        };
        let verdict = if event_count > 0 && fresh_events.is_empty() {
            if too_old > 0 {
                DeliveryVerdict::TooOld
            } else {
                DeliveryVerdict::Duplicate
            }
        } else {
            DeliveryVerdict::Ok
        };
        Judgement {
            status: 200,
            verdict,
            signature: check,
            fresh_events,
            event_count,
            event_types,
        }
    }
}

impl Judge {
    /// Forgets the ids of `events`, so that a re-delivery of them is applied rather than taken
    /// for a duplicate (the delivery that carried them was answered 503).
    pub fn forget(&self, events: &[DeliveredEvent]) {
        let mut window = self.dedupe.lock().unwrap_or_else(|p| p.into_inner());
        for e in events {
            window.forget(e.id());
        }
    }

    /// Replaces the window of seen ids (`--resume` hands over the ids found in the recording).
    pub fn with_dedupe(mut self, window: DedupeWindow) -> Self {
        self.dedupe = Mutex::new(window);
        self
    }
}

/// The URL Twilio signed: the configured public URL without its own query, then `?` and the raw
/// query string as received (which already carries the destination's query and `bodySHA256`).
pub fn signed_url(public_url: &str, raw_query: &str) -> String {
    let base = public_url.split_once('?').map_or(public_url, |(b, _)| b);
    let base = base.split_once('#').map_or(base, |(b, _)| b);
    if raw_query.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{raw_query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_url_replaces_the_destination_query_with_the_received_one() {
        assert_eq!(
            signed_url(
                "https://x.ngrok.app/events?tenant=acme",
                "tenant=acme&bodySHA256=ab"
            ),
            "https://x.ngrok.app/events?tenant=acme&bodySHA256=ab"
        );
        assert_eq!(
            signed_url("https://x.ngrok.app/events", "bodySHA256=ab"),
            "https://x.ngrok.app/events?bodySHA256=ab"
        );
        assert_eq!(signed_url("https://x/events", ""), "https://x/events");
    }

    #[test]
    fn verdict_names_match_the_contract() {
        let names: Vec<&str> = [
            DeliveryVerdict::Ok,
            DeliveryVerdict::Duplicate,
            DeliveryVerdict::BadSignature,
            DeliveryVerdict::BadBodyHash,
            DeliveryVerdict::MissingSignature,
            DeliveryVerdict::Malformed(String::new()),
            DeliveryVerdict::TooLarge,
        ]
        .iter()
        .map(DeliveryVerdict::as_str)
        .collect();
        assert_eq!(
            names,
            [
                "ok",
                "duplicate",
                "bad_signature",
                "bad_body_hash",
                "missing_signature",
                "malformed",
                "too_large"
            ]
        );
    }

    #[test]
    fn verdict_names_read_back() {
        for v in [
            DeliveryVerdict::Ok,
            DeliveryVerdict::Duplicate,
            DeliveryVerdict::BadSignature,
            DeliveryVerdict::BadBodyHash,
            DeliveryVerdict::MissingSignature,
            DeliveryVerdict::Malformed("why".into()),
            DeliveryVerdict::TooLarge,
            DeliveryVerdict::MethodNotAllowed,
            DeliveryVerdict::NotRecorded,
            DeliveryVerdict::WrongPath,
        ] {
            assert_eq!(DeliveryVerdict::from_name(v.as_str(), Some("why")), Some(v));
        }
        assert_eq!(DeliveryVerdict::from_name("something_new", None), None);
    }
}
