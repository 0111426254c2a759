//! `--filter EXPR` through the real binary: call lines are filtered in ndjson and compact,
//! everything else is not, and a bad expression is a usage error with a caret.

#[path = "support/hermetic.rs"]
mod hermetic;

use std::collections::BTreeSet;
use std::process::Output;

fn callwatch(args: &[&str]) -> Output {
    hermetic::callwatch()
        .args(args)
        .output()
        .expect("run callwatch")
}

/// A short, busy demo (many calls, so every state shows up) with a filter, as ndjson lines.
fn demo_ndjson(filter: &str) -> Vec<serde_json::Value> {
    let out = callwatch(&[
        "demo",
        "--output",
        "ndjson",
        "--duration",
        "3",
        "--rate",
        "600",
        "--filter",
        filter,
    ]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

fn call_states(lines: &[serde_json::Value]) -> BTreeSet<String> {
    lines
        .iter()
        .filter(|l| l["type"] == "call")
        .map(|l| l["call_state"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn demo_ndjson_filter_prints_only_matching_call_lines() {
    let lines = demo_ndjson("state=busy or state=fail");
    let states = call_states(&lines);
    assert!(!states.is_empty(), "no call line at all");
    assert!(
        states.iter().all(|s| s == "busy" || s == "fail"),
        "states: {states:?}"
    );
    // Only call lines are filtered.
    assert_eq!(lines[0]["type"], "listening");
    assert!(lines.iter().any(|l| l["type"] == "test_event"));
    let deliveries = lines.iter().filter(|l| l["type"] == "delivery").count();
    let calls = lines.iter().filter(|l| l["type"] == "call").count();
    assert!(
        deliveries > calls,
        "every delivery has its line: {deliveries} deliveries, {calls} calls"
    );
}

#[test]
fn demo_ndjson_negated_filter_prints_the_other_calls() {
    let lines = demo_ndjson("!(state=busy or state=failed)");
    let states = call_states(&lines);
    assert!(!states.is_empty(), "no call line at all");
    assert!(
        !states.contains("busy") && !states.contains("fail"),
        "states: {states:?}"
    );
}

#[test]
fn demo_compact_filter_prints_only_matching_calls() {
    let out = callwatch(&[
        "demo",
        "--output",
        "compact",
        "--duration",
        "3",
        "--rate",
        "600",
        "--filter",
        "state=busy",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("sink test event received"), "{text}");
    let states: BTreeSet<&str> = text
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let sid = words.nth(1)?;
            sid.starts_with("CA").then(|| words.next()).flatten()
        })
        .collect();
    assert_eq!(states, BTreeSet::from(["busy"]), "{text}");
}

#[test]
fn bad_filter_is_a_usage_error_with_a_caret() {
    let out = callwatch(&[
        "demo",
        "--output",
        "ndjson",
        "--duration",
        "3",
        "--filter",
        "carier=x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing starts: {:?}", out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown field `carier` at column 1: did you mean `carrier`?"),
        "{stderr}"
    );
    assert!(stderr.contains("\n  carier=x\n  ^"), "{stderr}");
}

#[test]
fn listen_checks_the_filter_before_binding() {
    let out = callwatch(&[
        "listen",
        "--public-url",
        "http://127.0.0.1/events",
        "--auth-token",
        "test-token",
        "--port",
        "0",
        "--output",
        "ndjson",
        "--filter",
        "state=busy (pdd>3s",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unclosed `(` at column 12"), "{stderr}");
    assert!(
        stderr.contains("\n  state=busy (pdd>3s\n             ^"),
        "{stderr}"
    );
}
