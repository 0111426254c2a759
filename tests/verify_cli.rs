//! `callwatch verify` through the real binary, on the Event-Streams-shaped vectors of
//! docs/signatures.md, "Test vectors" (token `12345`, the 332-byte test-event body): valid
//! deliveries exit 0, invalid ones exit 1 and say which check failed, usage errors exit 2.

mod listen_process;

use std::io::Write;
use std::process::{Output, Stdio};

use listen_process::callwatch;

const BODY: &[u8] = br#"[{"specversion":"1.0","type":"com.twilio.eventstreams.test-event","source":"Sink","id":"AC11111111111111111111111111111111","dataschema":"https://events-schemas.twilio.com/EventStreams.TestSink/1.json","datacontenttype":"application/json","time":"2026-06-10T06:02:54.377Z","data":{"test_id":"cae2f9e2-c277-4612-8ad3-93c1a7a3ef88"}}]"#;
const SHA: &str = "f4dc494f1e604a19df36cdd069f7956b1f261dc954ae1c698ed8b4939fd9ab54";
const SIG: &str = "xWpMQ9oup5I4GzSsMkdAInacfMM=";
const SIG_443: &str = "re4Er8fvBtK64LE4Pa2OIR1xrNI=";
const SIG_SHA256: &str = "k7vmuP2Y/EvWc3i8kBAu8YSCHW88SICILAZP9zjHBEM=";

fn url() -> String {
    format!("https://example.com/twilio/events?bodySHA256={SHA}")
}

fn body_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(bytes).expect("write");
    file
}

fn verify(url: &str, sig: &str, body: &[u8], extra: &[&str], env: &[(&str, &str)]) -> Output {
    let file = body_file(body);
    let path = file.path().to_str().expect("utf-8 path").to_owned();
    let mut command = callwatch();
    command
        .args([
            "verify",
            "--url",
            url,
            "--signature",
            sig,
            "--body-file",
            &path,
        ])
        .args(extra)
        .env_remove("TWILIO_AUTH_TOKEN")
        .env_remove("CALLWATCH_SHARED_KEY_SECRET");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run callwatch verify")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn valid_delivery_exits_0_and_shows_every_check() {
    let out = verify(&url(), SIG, BODY, &[], &[("TWILIO_AUTH_TOKEN", "12345")]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("expected  {SHA}  (bodySHA256 in the URL)")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("actual    {SHA}  (SHA-256 of the body)")),
        "{stdout}"
    );
    assert!(stdout.contains("✓ matches"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "✓ {SIG}  https://example.com/twilio/events?bodySHA256={SHA}"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "✗ {SIG_443}  https://example.com:443/twilio/events?bodySHA256={SHA}"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("\nvalid: the signature matches https://example.com/twilio/events?"),
        "{stdout}"
    );
}

#[test]
fn the_443_variant_is_valid_too() {
    let out = verify(&url(), SIG_443, BODY, &["--auth-token", "12345"], &[]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(&format!("✓ {SIG_443}  https://example.com:443/")),
        "{stdout}"
    );
}

#[test]
fn wrong_signature_exits_1_with_the_hint() {
    let out = verify(
        &url(),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        BODY,
        &["--auth-token", "12345"],
        &[],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let matching_variants = stdout
        .lines()
        .filter(|l| l.starts_with("  ✓ ") && l.contains("https://"))
        .count();
    assert_eq!(matching_variants, 0, "{stdout}");
    assert_eq!(
        stdout.matches("  ✗ ").count(),
        2,
        "both variants listed: {stdout}"
    );
    assert!(
        stdout.contains("not valid: signature matches no URL variant"),
        "{stdout}"
    );
    assert!(
        stdout.contains("another auth token (subaccount?)"),
        "{stdout}"
    );
    assert!(
        stderr.contains("not valid: signature matches no URL variant"),
        "{stderr}"
    );
}

#[test]
fn wrong_token_exits_1() {
    let out = verify(&url(), SIG, BODY, &["--auth-token", "54321"], &[]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn changed_body_exits_1_and_shows_both_hashes() {
    let mut changed = BODY.to_vec();
    changed[3] = b'S';
    let out = verify(&url(), SIG, &changed, &["--auth-token", "12345"], &[]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("✗ does not match"), "{stdout}");
    assert!(stdout.contains(&format!("expected  {SHA}")), "{stdout}");
    assert!(!stdout.contains(&format!("actual    {SHA}")), "{stdout}");
    // The signature itself is fine: the URL variant still matches.
    assert!(stdout.contains(&format!("✓ {SIG}")), "{stdout}");
    assert!(
        stdout.contains(
            "hint: the body does not match bodySHA256: something between Twilio and here changed it"
        ),
        "{stdout}"
    );
}

#[test]
fn a_body_file_with_an_added_newline_is_pointed_out() {
    let mut body = BODY.to_vec();
    body.push(b'\n');
    let out = verify(&url(), SIG, &body, &["--auth-token", "12345"], &[]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("the file ends with a newline"), "{stdout}");
}

#[test]
fn no_body_hash_in_the_url_exits_1() {
    let out = verify(
        "https://example.com/twilio/events",
        SIG,
        BODY,
        &["--auth-token", "12345"],
        &[],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("(no bodySHA256 in the URL)"), "{stdout}");
    assert_says_the_query_is_missing(&stdout, &stderr);
}

/// A URL without `?bodySHA256=` is said to be one, not "matches no URL variant": whether the
/// signature given is Twilio's (made over the URL with the query) or one over the bare URL.
#[test]
fn a_url_without_the_body_hash_query_is_named_as_the_problem() {
    // HMAC-SHA1 of `https://example.com/twilio/events` with the token `12345`.
    const SIG_OF_THE_BARE_URL: &str = "M71u5zXF5DWmOkjR5pZMT41ftO0=";
    for sig in [SIG, SIG_OF_THE_BARE_URL] {
        let out = verify(
            "https://example.com/twilio/events",
            sig,
            BODY,
            &["--auth-token", "12345"],
            &[],
        );
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{sig}: {stdout}{stderr}");
        assert_says_the_query_is_missing(&stdout, &stderr);
    }
}

fn assert_says_the_query_is_missing(stdout: &str, stderr: &str) {
    assert!(
        stdout.contains("not valid: the URL has no bodySHA256 query parameter"),
        "{stdout}"
    );
    assert!(
        stdout.contains("hint: Twilio adds ?bodySHA256=<hex SHA-256 of the body> to the sink URL"),
        "{stdout}"
    );
    assert!(stdout.contains("query string included"), "{stdout}");
    assert!(!stdout.contains("matches no URL variant"), "{stdout}");
    assert!(
        stderr.contains("not valid: the URL has no bodySHA256 query parameter"),
        "{stderr}"
    );
}

#[test]
fn shared_key_signatures() {
    let out = verify(
        &url(),
        SIG_SHA256,
        BODY,
        &["--shared-key-secret", "shared-secret"],
        &[],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("HMAC_SHA256 with the SharedKey secret"),
        "{stdout}"
    );
    let out = verify(
        &url(),
        SIG_SHA256,
        BODY,
        &[
            "--signature-settings",
            "key=KS1,algorithm=HMAC_SHA256",
            "--auth-token",
            "12345",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "a SHA256 signature needs the shared key secret"
    );
}

#[test]
fn body_from_stdin() {
    let mut child = callwatch()
        .args([
            "verify",
            "--url",
            &url(),
            "--signature",
            SIG,
            "--body-file",
            "-",
        ])
        .env("TWILIO_AUTH_TOKEN", "12345")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(BODY)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = verify(&url(), SIG, BODY, &[], &[]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("TWILIO_AUTH_TOKEN"), "{stderr}");

    let out = callwatch()
        .args([
            "verify",
            "--url",
            &url(),
            "--signature",
            SIG,
            "--body-file",
            "/no/such/file",
        ])
        .env("TWILIO_AUTH_TOKEN", "12345")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/file"));

    let out = callwatch()
        .args(["verify", "--url", &url()])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "missing flags");
}

/// The README shows `verify`'s output for this vector verbatim, full signatures included:
/// what it says `verify` prints is what `verify` prints.
#[test]
fn the_readme_shows_what_verify_prints() {
    let out = callwatch()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "verify",
            "--url",
            &url(),
            "--signature",
            SIG,
            "--body-file",
            "tests/data/sink-test-event.json",
        ])
        .env("TWILIO_AUTH_TOKEN", "12345")
        .env_remove("CALLWATCH_SHARED_KEY_SECRET")
        .output()
        .expect("run callwatch verify");
    assert_eq!(out.status.code(), Some(0));
    let (stdout, _) = text(&out);
    assert!(stdout.contains(&format!("✓ {SIG}  {}", url())));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    assert!(
        readme.contains(&stdout),
        "README.md must show verify's output verbatim:\n{stdout}"
    );
}
