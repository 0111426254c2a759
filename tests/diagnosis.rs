//! A deliberately mis-set listener (the real binary) names the cause of each refusal in the
//! ndjson `delivery` line: wrong public URL, wrong token, a proxy changing the scheme, a
//! changed body, no bodySHA256, no signature. Also: --trust-forwarded-headers derivation.

mod listen_process;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use callwatch::twilio::signature::{Algorithm, compute_signature, sign_json_delivery};
use listen_process::{ListenProcess, callwatch, free_port};
use serde_json::Value;

const TOKEN: &str = "listener-token";

fn body() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/twilio/fixtures/test-event.json"
    ))
    .expect("fixture")
}

fn listen(args: &[&str]) -> ListenProcess {
    let mut all = vec!["--port", "0", "--auth-token", TOKEN];
    all.extend_from_slice(args);
    ListenProcess::start(&all, &[])
}

/// POSTs `body` to the listener with the query Twilio would use for `destination` (signed with
/// `token`), plus `headers`; returns the status.
async fn deliver(
    run: &ListenProcess,
    destination: &str,
    token: &str,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> u16 {
    let (full, sig) = sign_json_delivery(token.as_bytes(), destination, &body, Algorithm::HmacSha1);
    let query = full.split_once('?').map_or("", |(_, q)| q).to_owned();
    post(run, &query, Some(&sig), body, headers).await
}

async fn post(
    run: &ListenProcess,
    query: &str,
    sig: Option<&str>,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> u16 {
    let url = format!("{}/events?{query}", run.base());
    let mut req = listen_process::http_client()
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(sig) = sig {
        req = req.header("x-twilio-signature", sig);
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.expect("send").status().as_u16()
}

fn delivery_line(run: &mut ListenProcess) -> Value {
    let line = run.next_of_type("delivery");
    let keys: Vec<&String> = line.as_object().expect("object").keys().collect();
    assert_eq!(keys[0], "type");
    line
}

#[tokio::test]
async fn wrong_public_url_names_the_url_twilio_reached() {
    let mut run = listen(&["--public-url", "https://xyz.ngrok.app/events"]);
    let headers = [("host", "abc.ngrok.app"), ("x-forwarded-proto", "https")];
    let status = deliver(
        &run,
        "https://abc.ngrok.app/events",
        TOKEN,
        body(),
        &headers,
    )
    .await;
    assert_eq!(status, 403);
    let line = delivery_line(&mut run);
    assert_eq!(line["verdict"], "bad_signature");
    assert_eq!(line["reason"], "signature matches no URL variant");
    assert_eq!(
        line["hint"],
        "Twilio reached this listener as https://abc.ngrok.app/events but --public-url is \
         https://xyz.ngrok.app/events (the signature matches https://abc.ngrok.app/events)"
    );
    assert_eq!(line["matched_url"], "https://abc.ngrok.app/events");
    let tried = line["tried_urls"].as_array().expect("tried_urls");
    assert!(tried.len() >= 2, "{tried:?}");
    for t in tried {
        let url = t["url"].as_str().expect("url");
        assert!(url.starts_with("https://xyz.ngrok.app"), "{url}");
        assert!(url.contains("bodySHA256="), "{url}");
        assert_eq!(t["signature_prefix"].as_str().map(str::len), Some(8), "{t}");
        assert!(
            t.get("expected_signature").is_none(),
            "never a full signature: {t}"
        );
    }
    assert_eq!(
        line["received_signature_prefix"].as_str().map(str::len),
        Some(8)
    );
}

#[tokio::test]
async fn wrong_token_is_named_when_the_url_matches() {
    let mut run = listen(&["--public-url", "https://abc.ngrok.app/events"]);
    let headers = [("host", "abc.ngrok.app"), ("x-forwarded-proto", "https")];
    let status = deliver(
        &run,
        "https://abc.ngrok.app/events",
        "subaccount-token",
        body(),
        &headers,
    )
    .await;
    assert_eq!(status, 403);
    let line = delivery_line(&mut run);
    assert_eq!(
        line["hint"],
        "signature made with another auth token (subaccount?): the request shows the same URL \
         as --public-url (https://abc.ngrok.app/events), so use the auth token of the account \
         that owns the sink"
    );
    assert!(line.get("matched_url").is_none());
}

#[tokio::test]
async fn wrong_token_behind_a_tunnel_that_rewrites_host_mentions_the_url() {
    let mut run = listen(&["--public-url", "https://abc.ngrok.app/events"]);
    // reqwest sends Host: 127.0.0.1:PORT, as a tunnel agent rewriting Host would.
    let status = deliver(
        &run,
        "https://abc.ngrok.app/events",
        "subaccount-token",
        body(),
        &[],
    )
    .await;
    assert_eq!(status, 403);
    let hint = delivery_line(&mut run)["hint"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(hint.starts_with("signature made with another auth token (subaccount?), or the sink's destination is not https://abc.ngrok.app/events"), "{hint}");
}

#[tokio::test]
async fn proxy_changing_the_scheme_is_named() {
    // The sink's destination is http; the proxy says so; --public-url says https.
    let mut run = listen(&["--public-url", "https://hooks.example.com/events"]);
    let headers = [("host", "hooks.example.com"), ("x-forwarded-proto", "http")];
    let status = deliver(
        &run,
        "http://hooks.example.com/events",
        TOKEN,
        body(),
        &headers,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        delivery_line(&mut run)["hint"],
        "the request came through a proxy as http://hooks.example.com/events but --public-url \
         says https://hooks.example.com/events (the signature matches \
         http://hooks.example.com/events)"
    );

    // Trusting forwarded headers from a proxy that reports http for an https request.
    let mut run = listen(&["--trust-forwarded-headers"]);
    let status = deliver(
        &run,
        "https://hooks.example.com/events",
        TOKEN,
        body(),
        &headers,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        delivery_line(&mut run)["hint"],
        "Twilio signed https://hooks.example.com/events but the URL rebuilt from X-Forwarded-* \
         headers is http://hooks.example.com/events: the proxy reports the wrong scheme \
         (X-Forwarded-Proto), so fix it or pass --public-url https://hooks.example.com/events"
    );
}

#[tokio::test]
async fn changed_body_missing_body_hash_and_missing_signature() {
    let public = "https://abc.ngrok.app/events";
    let mut run = listen(&["--public-url", public]);
    let headers = [("host", "abc.ngrok.app")];

    let original = body();
    let (full, sig) = sign_json_delivery(TOKEN.as_bytes(), public, &original, Algorithm::HmacSha1);
    let query = full.split_once('?').map_or("", |(_, q)| q).to_owned();
    let mut changed = original.clone();
    changed.extend_from_slice(b"\n");
    assert_eq!(post(&run, &query, Some(&sig), changed, &headers).await, 403);
    let line = delivery_line(&mut run);
    assert_eq!(line["verdict"], "bad_body_hash");
    assert_eq!(
        line["hint"],
        "the body does not match bodySHA256: something between Twilio and here changed it"
    );

    let url_only = compute_signature(TOKEN.as_bytes(), public, &[], Algorithm::HmacSha1);
    assert_eq!(
        post(&run, "", Some(&url_only), original.clone(), &headers).await,
        403
    );
    let line = delivery_line(&mut run);
    assert_eq!(line["reason"], "no bodySHA256 in the URL");
    assert_eq!(
        line["hint"],
        "no bodySHA256 in the URL: this is not an Event Streams delivery"
    );

    assert_eq!(post(&run, &query, None, original, &headers).await, 403);
    let line = delivery_line(&mut run);
    assert_eq!(line["verdict"], "missing_signature");
    assert_eq!(
        line["hint"],
        "no X-Twilio-Signature: not sent by Twilio, or a proxy strips it"
    );
}

#[tokio::test]
async fn forwarded_headers_derive_the_public_url() {
    let mut run = listen(&["--trust-forwarded-headers"]);
    assert_eq!(
        run.listening["public_url"],
        "from X-Forwarded-* headers, path /events"
    );
    assert_eq!(run.listening["url_source"], "X-Forwarded-* headers");

    // Behind a TLS proxy: X-Forwarded-Proto and X-Forwarded-Host give the URL Twilio signed.
    let headers = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "hooks.example.com"),
    ];
    let status = deliver(
        &run,
        "https://hooks.example.com/events",
        TOKEN,
        body(),
        &headers,
    )
    .await;
    assert_eq!(status, 200);
    let line = delivery_line(&mut run);
    assert_eq!(line["verdict"], "ok");
    assert!(
        line.get("hint").is_none(),
        "no diagnosis when accepted: {line}"
    );

    // Without proxy headers the Host header (and http) is the URL.
    let own = format!("http://{}/events", run.addr);
    assert_eq!(deliver(&run, &own, TOKEN, body(), &[]).await, 200);
    assert_eq!(delivery_line(&mut run)["verdict"], "ok");

    // --events-path moves the events path.
    let mut run = listen(&["--trust-forwarded-headers", "--events-path", "/twilio/hook"]);
    assert_eq!(
        run.listening["public_url"],
        "from X-Forwarded-* headers, path /twilio/hook"
    );
    let own = format!("http://{}/twilio/hook", run.addr);
    let (full, sig) = sign_json_delivery(TOKEN.as_bytes(), &own, &body(), Algorithm::HmacSha1);
    let status = listen_process::http_client()
        .post(&full)
        .header("x-twilio-signature", sig)
        .body(body())
        .send()
        .await
        .expect("send")
        .status()
        .as_u16();
    assert_eq!(status, 200);
    assert_eq!(delivery_line(&mut run)["verdict"], "ok");
}

#[tokio::test]
async fn compact_output_prints_the_hint_on_the_refusal_line() {
    let port = free_port();
    let mut child = callwatch()
        .args(["listen", "--output", "compact", "--port", &port.to_string()])
        .args([
            "--public-url",
            "https://xyz.ngrok.app/events",
            "--auth-token",
            TOKEN,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let body = body();
    let (full, sig) = sign_json_delivery(
        TOKEN.as_bytes(),
        "https://abc.ngrok.app/events",
        &body,
        Algorithm::HmacSha1,
    );
    let query = full.split_once('?').map_or("", |(_, q)| q);
    let url = format!("http://127.0.0.1:{port}/events?{query}");
    let mut status = None;
    for _ in 0..100 {
        // The listener may still be starting.
        let sent = listen_process::http_client()
            .post(&url)
            .header("x-twilio-signature", &sig)
            .header("host", "abc.ngrok.app")
            .body(body.clone())
            .send()
            .await;
        if let Ok(resp) = sent {
            status = Some(resp.status().as_u16());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, Some(403));
    let line = std::iter::from_fn(|| rx.recv_timeout(Duration::from_secs(10)).ok())
        .find(|l| l.contains("refused"))
        .expect("a refusal line");
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains("refused POST /events → 403 bad_signature: Twilio reached this listener as https://abc.ngrok.app/events but --public-url is https://xyz.ngrok.app/events"), "{line}");
}
