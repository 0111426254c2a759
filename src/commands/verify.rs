//! `callwatch verify`: checks one delivery by hand, exactly as the listener would, and prints
//! every step — the body hash expected and actual, each URL variant with its signature — so a
//! failing signature can be debugged away from the listener. Exit 0 valid, 1 not, 2 usage.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::bail;

use crate::cli::{UsageError, VerifySettings};
use crate::ingest::diagnosis::explain_check;
use crate::twilio::signature::{
    Algorithm, SignatureVerdict, body_hash_params, body_sha256_hex, compute_signature,
    url_variants, verify_json_delivery,
};
use crate::twilio::url::display_url;

/// Runs the checks and prints them; an error (exit 1) when the delivery is not valid.
pub fn run(settings: VerifySettings) -> anyhow::Result<()> {
    let body = read_body(&settings.body_file)?;
    let report = Report::new(
        &settings.url,
        settings.signature.trim(),
        &body,
        settings.algorithm,
        settings.shared_key,
        &settings.key,
    );
    let verdict = verify_json_delivery(
        &settings.secrets,
        &settings.url,
        Some(&settings.signature),
        settings.signature_settings.as_deref(),
        &body,
    );
    // The report quotes the URL, the signature and the file name as given: escaped, as every
    // text from a file or a capture.
    let mut report_text = Vec::new();
    report.print(&mut report_text, &settings.body_file, &verdict)?;
    let report_text = String::from_utf8_lossy(&report_text);
    let mut out = std::io::stdout().lock();
    out.write_all(crate::text::terminal_safe_lines(&report_text).as_bytes())?;
    out.flush()?;
    match explain(&verdict, &settings.url) {
        None => Ok(()),
        Some((reason, _)) => bail!("not valid: {reason}"),
    }
}

/// Why `verify` says the delivery is not valid, and what to do; `None` when it is valid.
///
/// A URL without `bodySHA256` is said to be one before anything else the signature check
/// found: Twilio signs the URL with that parameter, so no variant of a URL without it can
/// match, and "matches no URL variant" would send people looking at the token or the host.
fn explain(verdict: &SignatureVerdict, url: &str) -> Option<(String, String)> {
    let about_the_url = matches!(
        verdict,
        SignatureVerdict::SignatureMismatch { .. } | SignatureVerdict::MissingBodyHash
    );
    if about_the_url && body_hash_params(url).is_empty() {
        return Some((REASON_NO_QUERY.to_owned(), HINT_NO_QUERY.to_owned()));
    }
    explain_check(verdict)
}

/// `verify`'s reason for a URL without `bodySHA256`.
const REASON_NO_QUERY: &str = "the URL has no bodySHA256 query parameter";

/// `verify`'s hint for a URL without `bodySHA256`.
const HINT_NO_QUERY: &str = "Twilio adds ?bodySHA256=<hex SHA-256 of the body> to the sink URL \
     of every JSON (Event Streams) delivery and signs the URL with it: pass the full URL of the \
     request, query string included, to --url";

fn read_body(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    let mut body = Vec::new();
    let result = if path.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut body).map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut body).map(|_| ()))
    };
    result.map_err(|e| UsageError(format!("cannot read --body-file {}: {e}", path.display())))?;
    Ok(body)
}

/// Every check, computed independently of the verdict so that all of them can be shown.
struct Report {
    /// The URL as given.
    url: String,
    algorithm: Algorithm,
    /// Keyed with the SharedKey secret (a settings header was given), not the auth token.
    shared_key: bool,
    received: String,
    /// `bodySHA256` values in the URL.
    expected_hashes: Vec<String>,
    actual_hash: String,
    /// The hash of the body without its final newline, when the file ends with one.
    hash_without_newline: Option<String>,
    /// (variant, its signature, matches the received one).
    variants: Vec<(String, String, bool)>,
}

impl Report {
    fn new(
        url: &str,
        received: &str,
        body: &[u8],
        algorithm: Algorithm,
        shared_key: bool,
        key: &[u8],
    ) -> Self {
        let variants = url_variants(url)
            .into_iter()
            .map(|variant| {
                let signature = compute_signature(key, &variant, &[], algorithm);
                let matches = signature == received;
                (variant, signature, matches)
            })
            .collect();
        let trimmed = body
            .strip_suffix(b"\r\n")
            .or_else(|| body.strip_suffix(b"\n"));
        Self {
            url: url.to_owned(),
            algorithm,
            shared_key,
            received: received.to_owned(),
            expected_hashes: body_hash_params(url),
            actual_hash: body_sha256_hex(body),
            hash_without_newline: trimmed.map(body_sha256_hex),
            variants,
        }
    }

    fn print(
        &self,
        out: &mut impl std::io::Write,
        body_file: &std::path::Path,
        verdict: &SignatureVerdict,
    ) -> std::io::Result<()> {
        let mark = |ok: bool| if ok { "✓" } else { "✗" };
        let key_name = format!(
            "{} with the {}",
            self.algorithm.as_str(),
            if self.shared_key {
                "SharedKey secret"
            } else {
                "auth token"
            }
        );
        writeln!(out, "body hash ({})", body_file.display())?;
        if self.expected_hashes.is_empty() {
            writeln!(out, "  expected  (no bodySHA256 in the URL)")?;
        }
        for expected in &self.expected_hashes {
            writeln!(out, "  expected  {expected}  (bodySHA256 in the URL)")?;
        }
        writeln!(
            out,
            "  actual    {}  (SHA-256 of the body)",
            self.actual_hash
        )?;
        let hash_ok = !self.expected_hashes.is_empty()
            && self.expected_hashes.iter().all(|h| *h == self.actual_hash);
        writeln!(
            out,
            "  {} {}",
            mark(hash_ok),
            if hash_ok { "matches" } else { "does not match" }
        )?;
        if !hash_ok
            && let Some(trimmed) = &self.hash_without_newline
            && self.expected_hashes.contains(trimmed)
        {
            writeln!(
                out,
                "  note: the file ends with a newline the delivery did not have; without it the \
                 hash matches"
            )?;
        }
        writeln!(out)?;
        writeln!(out, "signature ({key_name})")?;
        writeln!(out, "  received  {}", self.received)?;
        for (variant, signature, matches) in &self.variants {
            writeln!(
                out,
                "  {} {signature}  {}",
                mark(*matches),
                display_url(variant)
            )?;
        }
        writeln!(out)?;
        match verdict {
            SignatureVerdict::Valid { matched_url, .. } => {
                writeln!(
                    out,
                    "valid: the signature matches {} and the body matches bodySHA256",
                    display_url(matched_url)
                )
            }
            other => {
                let (reason, hint) = explain(other, &self.url).unwrap_or_default();
                writeln!(out, "not valid: {reason}")?;
                writeln!(out, "hint: {hint}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twilio::signature::Secrets;

    const BODY: &[u8] = br#"[{"specversion":"1.0","type":"com.twilio.eventstreams.test-event","source":"Sink","id":"AC11111111111111111111111111111111","dataschema":"https://events-schemas.twilio.com/EventStreams.TestSink/1.json","datacontenttype":"application/json","time":"2026-06-10T06:02:54.377Z","data":{"test_id":"cae2f9e2-c277-4612-8ad3-93c1a7a3ef88"}}]"#;
    const URL: &str = "https://example.com/twilio/events?bodySHA256=f4dc494f1e604a19df36cdd069f7956b1f261dc954ae1c698ed8b4939fd9ab54";

    fn printed(received: &str, body: &[u8]) -> String {
        let report = Report::new(URL, received, body, Algorithm::HmacSha1, false, b"12345");
        let secrets = Secrets {
            auth_token: "12345".into(),
            shared_key_secret: None,
        };
        let verdict = verify_json_delivery(&secrets, URL, Some(received), None, body);
        let mut out = Vec::new();
        report
            .print(&mut out, std::path::Path::new("body.json"), &verdict)
            .expect("written");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn every_variant_is_listed_with_its_signature() {
        let text = printed("xWpMQ9oup5I4GzSsMkdAInacfMM=", BODY);
        assert!(
            text.contains("✓ xWpMQ9oup5I4GzSsMkdAInacfMM=  https://example.com/twilio/events?")
        );
        assert!(
            text.contains("✗ re4Er8fvBtK64LE4Pa2OIR1xrNI=  https://example.com:443/twilio/events?")
        );
        assert!(text.contains("  ✓ matches"));
        assert!(text.ends_with("valid: the signature matches https://example.com/twilio/events?bodySHA256=f4dc494f1e604a19df36cdd069f7956b1f261dc954ae1c698ed8b4939fd9ab54 and the body matches bodySHA256\n"));
    }

    #[test]
    fn a_trailing_newline_is_pointed_out() {
        let mut body = BODY.to_vec();
        body.push(b'\n');
        let text = printed("xWpMQ9oup5I4GzSsMkdAInacfMM=", &body);
        assert!(text.contains("✗ does not match"));
        assert!(text.contains("the file ends with a newline"));
        assert!(text.contains("not valid: body does not match bodySHA256"));
    }
}
