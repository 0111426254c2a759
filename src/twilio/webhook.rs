//! Sending a delivery the way Twilio Event Streams does: signed for its destination (the query
//! exactly as the HTTP client puts it on the wire), POSTed as `application/json` with Twilio's
//! user agent and its 5-second timeout, and, when asked, retried like Event Streams after a 5xx
//! or a failed connection, never after a 4xx.
//!
//! The one sender of the simulated Twilio (`demo`), `send` and `replay --to`.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::signature::{Algorithm, sign_json_delivery_as_sent};

/// What Twilio's webhook requests announce themselves as.
pub const USER_AGENT: &str = "TwilioProxy/1.1";

/// "The maximum timeout for a webhook Sink response is 5 seconds." (docs/signatures.md,
/// "Retries and what an answer means")
pub const TWILIO_TIMEOUT: Duration = Duration::from_secs(5);

/// Waits before each retry of a 5xx or a failed connection ([`Retries::LikeEventStreams`]).
pub const RETRY_BACKOFF: [Duration; 2] = [Duration::from_millis(250), Duration::from_millis(750)];

/// Whether a delivery that failed is sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retries {
    /// Sent once: the caller reports each answer (`send`, `replay --to`).
    Never,
    /// After a 5xx or a failed connection, sent again after each [`RETRY_BACKOFF`] (the demo).
    LikeEventStreams,
}

/// How the sender's HTTP client is set up.
#[derive(Debug, Clone)]
pub struct SenderOptions {
    /// Per request; Twilio gives up after [`TWILIO_TIMEOUT`].
    pub timeout: Duration,
    /// What failed requests get.
    pub retries: Retries,
}

impl Default for SenderOptions {
    fn default() -> Self {
        Self {
            timeout: TWILIO_TIMEOUT,
            retries: Retries::Never,
        }
    }
}

/// A delivery signed for one destination, ready to POST (and to POST again).
#[derive(Debug, Clone)]
pub struct SignedDelivery {
    /// The destination with `bodySHA256` in its query, as it goes on the wire.
    pub url: String,
    /// `X-Twilio-Signature`.
    pub signature: String,
    /// The body, unchanged.
    pub body: Bytes,
}

/// How one POST ended.
#[derive(Debug)]
pub struct SendOutcome {
    /// The final status, or why there was none (connection refused, timeout…).
    pub status: Result<u16, String>,
    /// Retries it took.
    pub retries: u8,
    /// From the first send to the end of the last answer.
    pub latency: Duration,
}

/// Signs and POSTs deliveries like Event Streams; cheap to clone (the HTTP client is shared).
#[derive(Debug, Clone)]
pub struct WebhookSender {
    /// Through the environment's proxy, if any.
    client: reqwest::Client,
    /// Without it, for destinations on this machine ([`super::url::is_loopback`]).
    direct: reqwest::Client,
    token: String,
    retries: Retries,
}

impl WebhookSender {
    /// A sender signing with `auth_token` (HMAC-SHA1, as Twilio signs with the account's token).
    pub fn new(auth_token: &str, options: SenderOptions) -> Result<Self, reqwest::Error> {
        let builder = || {
            reqwest::Client::builder()
                .timeout(options.timeout)
                .user_agent(USER_AGENT)
        };
        Ok(Self {
            client: builder().build()?,
            direct: builder().no_proxy().build()?,
            token: auth_token.to_owned(),
            retries: options.retries,
        })
    }

    /// Signs `body` for `destination` with the sender's token ([`sign`]).
    pub fn sign(&self, destination: &str, body: impl Into<Bytes>) -> SignedDelivery {
        sign(&self.token, destination, body)
    }

    /// POSTs `delivery` (retrying as the sender was told), with `headers` added or replacing
    /// the defaults (a recorded delivery's own `content-type` and `user-agent`), and reads the
    /// answer so that the connection can be reused.
    pub async fn post(&self, delivery: &SignedDelivery, headers: &[(&str, &str)]) -> SendOutcome {
        let started = Instant::now();
        let client = if super::url::is_loopback(&delivery.url) {
            &self.direct
        } else {
            &self.client
        };
        let mut retries: u8 = 0;
        loop {
            let mut request = client
                .post(&delivery.url)
                .header("X-Twilio-Signature", &delivery.signature)
                .header(reqwest::header::CONTENT_TYPE, "application/json");
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let result = request.body(delivery.body.clone()).send().await;
            let retry = match &result {
                Ok(response) => response.status().is_server_error(),
                Err(_) => true,
            };
            if retry
                && self.retries == Retries::LikeEventStreams
                && let Some(&backoff) = RETRY_BACKOFF.get(usize::from(retries))
            {
                tokio::time::sleep(backoff).await;
                retries += 1;
                continue;
            }
            let status = match result {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let _ = response.bytes().await;
                    Ok(status)
                }
                Err(e) => Err(describe_error(&e)),
            };
            return SendOutcome {
                status,
                retries,
                latency: started.elapsed(),
            };
        }
    }
}

/// Signs `body` for `destination` with `auth_token` as Twilio would (HMAC-SHA1 over the URL
/// with `bodySHA256` added, the query as the HTTP client will send it).
pub fn sign(auth_token: &str, destination: &str, body: impl Into<Bytes>) -> SignedDelivery {
    let body = body.into();
    let (url, signature) = sign_json_delivery_as_sent(
        auth_token.as_bytes(),
        destination,
        &body,
        Algorithm::HmacSha1,
    );
    SignedDelivery {
        url,
        signature,
        body,
    }
}

/// A failed request in a few words: a timeout, the deepest cause of a failed connection, or
/// the client's own message.
pub fn describe_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".to_owned()
    } else if e.is_connect() {
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
        let mut deepest = e.to_string();
        while let Some(s) = source {
            deepest = s.to_string();
            source = s.source();
        }
        format!("cannot connect: {deepest}")
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twilio::signature::{Secrets, verify_json_delivery};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-connection-at-a-time HTTP server answering each request with the next status of
    /// `statuses`, and handing back what it received.
    async fn answering(statuses: Vec<u16>) -> (String, tokio::sync::mpsc::Receiver<String>) {
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = socket.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        tokio::spawn(async move {
            for status in statuses {
                let Ok((mut stream, _)) = socket.accept().await else {
                    return;
                };
                let mut buf = vec![0u8; 64 * 1024];
                let mut got = Vec::new();
                loop {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&got);
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length: "))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if body.len() >= len {
                            break;
                        }
                    }
                }
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = tx.send(String::from_utf8_lossy(&got).into_owned()).await;
            }
        });
        (format!("http://{addr}/events"), rx)
    }

    #[tokio::test]
    async fn a_delivery_is_signed_for_its_destination_and_sent_as_twilio_sends_it() {
        let (url, mut received) = answering(vec![200]).await;
        let sender = WebhookSender::new("token", SenderOptions::default()).expect("client");
        let body = br#"[{"id":"EZ1"}]"#.to_vec();
        let signed = sender.sign(&url, body.clone());
        let outcome = sender.post(&signed, &[]).await;
        assert_eq!(outcome.status, Ok(200));
        let request = received.recv().await.expect("a request");
        assert!(request.contains("user-agent: TwilioProxy/1.1"), "{request}");
        assert!(
            request.contains("content-type: application/json"),
            "{request}"
        );
        let secrets = Secrets {
            auth_token: "token".into(),
            shared_key_secret: None,
        };
        assert!(
            verify_json_delivery(&secrets, &signed.url, Some(&signed.signature), None, &body)
                .is_valid()
        );
    }

    #[tokio::test]
    async fn like_event_streams_a_5xx_is_retried_and_a_4xx_is_not() {
        let (url, _received) = answering(vec![503, 503, 200]).await;
        let options = SenderOptions {
            retries: Retries::LikeEventStreams,
            ..SenderOptions::default()
        };
        let sender = WebhookSender::new("token", options.clone()).expect("client");
        let outcome = sender.post(&sender.sign(&url, "[]"), &[]).await;
        assert_eq!((outcome.status, outcome.retries), (Ok(200), 2));

        let (url, _received) = answering(vec![403, 200]).await;
        let sender = WebhookSender::new("token", options).expect("client");
        let outcome = sender.post(&sender.sign(&url, "[]"), &[]).await;
        assert_eq!((outcome.status, outcome.retries), (Ok(403), 0));

        let (url, _received) = answering(vec![503, 200]).await;
        let sender = WebhookSender::new("token", SenderOptions::default()).expect("client");
        let outcome = sender.post(&sender.sign(&url, "[]"), &[]).await;
        assert_eq!(
            (outcome.status, outcome.retries),
            (Ok(503), 0),
            "no retry unless asked"
        );
    }
}
