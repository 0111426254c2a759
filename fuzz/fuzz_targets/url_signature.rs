//! Fuzzes URL and signature handling: `url_variants`, `signed_url`, `verify_json_delivery` and
//! the refused-delivery `diagnose`, on any URL, query, headers and body. Nothing may panic, the
//! variants must start with the URL itself without repeats, and a delivery signed the way
//! Twilio signs it must verify.
//!
//! Input layout: URL, query, signature and settings header separated by `\n`, then the body.

#![no_main]

use callwatch::ingest::Delivery;
use callwatch::ingest::diagnosis::diagnose;
use callwatch::ingest::public_url::PublicUrl;
use callwatch::ingest::verdict::{Judge, signed_url};
use callwatch::twilio::signature::{
    Algorithm, Secrets, SignatureVerdict, sign_json_delivery, url_variants, verify_json_delivery,
};
use libfuzzer_sys::fuzz_target;

const TOKEN: &str = "fuzz-auth-token";

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(5, |&b| b == b'\n');
    let text = |part: Option<&[u8]>| String::from_utf8_lossy(part.unwrap_or_default()).into_owned();
    let url = text(parts.next());
    let query = text(parts.next());
    let signature = text(parts.next());
    let settings = text(parts.next());
    let body = parts.next().unwrap_or_default();

    let variants = url_variants(&url);
    assert_eq!(variants.first(), Some(&url), "the URL as given comes first");
    for (i, v) in variants.iter().enumerate() {
        assert!(!variants[..i].contains(v), "no repeated variant: {v}");
    }

    let signed = signed_url(&url, &query);
    let secrets = Secrets {
        auth_token: TOKEN.into(),
        shared_key_secret: Some("fuzz-shared-key".into()),
    };
    let signature = Some(signature.as_str()).filter(|s| !s.is_empty());
    let settings = Some(settings.as_str()).filter(|s| !s.is_empty());
    let _ = verify_json_delivery(&secrets, &signed, signature, settings, body);

    // The judge and the diagnosis of whatever it refuses, as the listener runs them.
    let judge = Judge::new(Some(secrets.clone()), 403);
    let judgement = judge.judge(&signed, signature, settings, body);
    let mut delivery = Delivery::accepted(1, std::time::SystemTime::UNIX_EPOCH, Vec::new());
    delivery.query = query.clone();
    delivery.headers = [
        ("host", url.as_str()),
        ("x-forwarded-host", query.as_str()),
        ("x-twilio-signature", signature.unwrap_or_default()),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    delivery.body = body.to_vec().into();
    delivery.body_len = body.len();
    delivery.status = judgement.status;
    delivery.verdict = judgement.verdict;
    delivery.signature = judgement.signature;
    delivery.signed_url = Some(signed.clone());
    let _ = diagnose(&delivery, &PublicUrl::Fixed(url.clone()), Some(&secrets));
    let _ = diagnose(
        &delivery,
        &PublicUrl::FromForwardedHeaders { path: url.clone() },
        None,
    );

    // Signed like Twilio, it verifies: Twilio appends bodySHA256 to the destination it was
    // given, so only destinations that carry no hash of their own and no fragment qualify.
    // A port Twilio's libraries cannot parse (not 0-65535) is refused whatever the signature.
    if !url.contains("bodySHA256") && !url.contains('#') {
        let (full, sig) = sign_json_delivery(TOKEN.as_bytes(), &url, body, Algorithm::HmacSha1);
        let check = verify_json_delivery(&secrets, &full, Some(&sig), None, body);
        assert!(
            check.is_valid() || matches!(check, SignatureVerdict::InvalidPort { .. }),
            "{url:?} signed as {full:?}: {check:?}"
        );
    }
});
