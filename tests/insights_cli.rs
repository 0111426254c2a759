//! `callwatch call`, `callwatch annotate` and `callwatch poll` through the real binary against
//! the fake Voice Insights API, which refuses (400) any request whose method, path, parameter
//! names or enum values Twilio's API description does not allow: every test also checks that
//! no request was refused so.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;
use support::fake_insights_api::{FakeInsightsApi, NewCall};
use support::openapi::RecordedRequest;

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "insights-test-token-0123456789";

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `callwatch ARGS --insights-api-base FAKE` sealed, with `token` as the Auth Token.
async fn callwatch_with(fake: &FakeInsightsApi, token: &str, args: &[&str]) -> Run {
    let mut command = tokio::process::Command::from(support::hermetic::callwatch());
    command
        .args(args)
        .args(["--insights-api-base", &fake.base_url()])
        .env("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
        .env("TWILIO_AUTH_TOKEN", token);
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("callwatch finished within 60 s")
        .expect("callwatch ran");
    let run = Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !run.stdout.contains(AUTH_TOKEN) && !run.stderr.contains(AUTH_TOKEN),
        "the token was printed"
    );
    run
}

async fn callwatch(fake: &FakeInsightsApi, args: &[&str]) -> Run {
    callwatch_with(fake, AUTH_TOKEN, args).await
}

/// No request was refused for its shape (400) or sent without the account's user name.
fn assert_shapes_allowed(requests: &[RecordedRequest]) {
    assert!(!requests.is_empty(), "callwatch made no request");
    for r in requests {
        assert_ne!(r.status, 400, "refused by the API description: {r:?}");
        assert_eq!(r.username.as_deref(), Some(ACCOUNT_SID), "{r:?}");
    }
}

#[tokio::test]
async fn call_json_has_every_event_and_sample_across_pages() {
    let fake = FakeInsightsApi::start(ACCOUNT_SID, AUTH_TOKEN).await;
    let sid = fake.add_call(NewCall::default());
    fake.add_events(&sid, 7);
    fake.add_metrics(&sid, 8);
    let run = callwatch(&fake, &["call", &sid, "--json"]).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let call: Value = serde_json::from_str(&run.stdout).expect("one JSON object");
    assert_eq!(call["summary"]["call_sid"], sid.as_str());
    assert_eq!(call["summary"]["to"]["carrier"], "AT&T Wireless");
    assert_eq!(call["events"].as_array().map(Vec::len), Some(7));
    assert_eq!(call["metrics"].as_array().map(Vec::len), Some(8));
    assert_eq!(call["annotation"], Value::Null);
    let requests = fake.requests();
    assert_shapes_allowed(&requests);
    // Pages of 3: 7 events take 3 pages, 8 samples 3 pages, each after the first by token.
    let pages = |path: &str| requests.iter().filter(|r| r.path == path).count();
    assert_eq!(pages(&format!("/v1/Voice/{sid}/Events")), 3);
    assert_eq!(pages(&format!("/v1/Voice/{sid}/Metrics")), 3);
    assert!(
        requests
            .iter()
            .any(|r| r.query_value("PageToken").is_some()),
        "next_page_url was followed"
    );

    let text = callwatch(&fake, &["call", &sid]).await;
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    assert!(text.stdout.contains("events (7):"), "{}", text.stdout);
    assert!(
        text.stdout.contains("metrics (8 samples):"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("mos 4.40"), "{}", text.stdout);
}

#[tokio::test]
async fn annotate_saves_the_fields_and_call_json_shows_them() {
    let fake = FakeInsightsApi::start(ACCOUNT_SID, AUTH_TOKEN).await;
    let sid = fake.add_call(NewCall::default());
    let run = callwatch(
        &fake,
        &[
            "annotate",
            &sid,
            "--answered-by",
            "human",
            "--connectivity-issue",
            "dropped_call",
            "--quality-issues",
            "echo,latency",
            "--spam",
            "false",
            "--score",
            "2",
            "--comment",
            "caller heard echo",
            "--incident",
            "INC-42",
        ],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("annotation saved"), "{}", run.stdout);
    let post = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .expect("one POST");
    assert_eq!(post.path, format!("/v1/Voice/{sid}/Annotation"));
    assert_eq!(post.form_value("QualityIssues"), Some("echo,latency"));
    assert_eq!(post.form_value("CallScore"), Some("2"));
    assert_eq!(post.form_value("Spam"), Some("false"));

    let call = callwatch(&fake, &["call", &sid, "--json"]).await;
    assert_eq!(call.code, Some(0), "{}", call.stderr);
    let call: Value = serde_json::from_str(&call.stdout).unwrap();
    assert_eq!(call["annotation"]["answered_by"], "human");
    assert_eq!(
        call["annotation"]["quality_issues"],
        serde_json::json!(["echo", "latency"])
    );
    assert_eq!(call["annotation"]["call_score"], 2);
    assert_eq!(call["annotation"]["comment"], "caller heard echo");
    assert_shapes_allowed(&fake.requests());
}

#[tokio::test]
async fn annotate_refuses_each_kind_of_bad_value_before_sending() {
    let fake = FakeInsightsApi::start(ACCOUNT_SID, AUTH_TOKEN).await;
    let sid = fake.add_call(NewCall::default());
    let long = "x".repeat(101);
    let cases: [(&[&str], &str); 8] = [
        (
            &["--answered-by", "robot"],
            "unknown_answered_by, human, machine",
        ),
        (&["--connectivity-issue", "static"], "number_reachability"),
        (&["--quality-issues", "echo,hiss"], "static_noise"),
        (&["--quality-issues", ","], "one or more of"),
        (&["--spam", "yes"], "true or false"),
        (&["--score", "6"], "1, 2, 3, 4 or 5"),
        (&["--comment", &long], "at most 100"),
        (&[], "nothing to annotate"),
    ];
    for (flags, needle) in cases {
        let mut args = vec!["annotate", sid.as_str()];
        args.extend_from_slice(flags);
        let run = callwatch(&fake, &args).await;
        assert_eq!(run.code, Some(2), "{flags:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{flags:?}: {}", run.stderr);
    }
    let account_sid = callwatch(&fake, &["annotate", ACCOUNT_SID, "--score", "3"]).await;
    assert_eq!(account_sid.code, Some(2));
    assert!(
        account_sid.stderr.contains("account SID"),
        "{}",
        account_sid.stderr
    );
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[tokio::test]
async fn wrong_credentials_unknown_calls_and_throttling_each_say_what_to_do() {
    let fake = FakeInsightsApi::start(ACCOUNT_SID, AUTH_TOKEN).await;
    let sid = fake.add_call(NewCall::default());

    let run = callwatch_with(&fake, "not-the-token", &["call", &sid, "--json"]).await;
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("Twilio refused the credentials"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("20003"), "{}", run.stderr);

    let unknown = "CAffffffffffffffffffffffffffffffff";
    let run = callwatch(&fake, &["call", unknown]).await;
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("no Voice Insights data"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("20404"), "{}", run.stderr);

    fake.fail_next(
        1,
        403,
        20403,
        "Voice Insights Advanced Features is not enabled",
    );
    let run = callwatch(&fake, &["annotate", &sid, "--score", "4"]).await;
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("Advanced Features are not enabled"),
        "{}",
        run.stderr
    );

    // 429 four times: the first GET and its three retries; then the advice.
    let before = fake.requests().len();
    fake.fail_next(4, 429, 20429, "Too Many Requests");
    let run = callwatch(&fake, &["poll", "--output", "ndjson", "--duration", "1"]).await;
    let throttled = fake.requests()[before..]
        .iter()
        .filter(|r| r.status == 429)
        .count();
    assert_eq!(throttled, 4, "the GET was retried 3 times");
    assert!(run.stderr.contains("rate limiting"), "{}", run.stderr);
    assert_eq!(run.code, Some(0), "a 429 waits, it does not end poll");
}

/// Reads a running `callwatch poll`'s ndjson lines as they come.
struct Poll {
    child: std::process::Child,
    lines: mpsc::Receiver<Value>,
}

impl Poll {
    fn start(fake: &FakeInsightsApi, args: &[&str]) -> Self {
        let mut command = support::hermetic::callwatch();
        command
            .arg("poll")
            .args(args)
            .args([
                "--output",
                "ndjson",
                "--insights-api-base",
                &fake.base_url(),
            ])
            .env("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
            .env("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = command.spawn().expect("callwatch poll starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(value) = serde_json::from_str(&line) {
                    let _ = tx.send(value);
                }
            }
        });
        Self { child, lines }
    }

    /// The lines up to and including the next `delivery` line's calls (the `call` lines that
    /// follow it until the next delivery or the deadline).
    fn next_round(&self, within: Duration) -> Vec<Value> {
        let deadline = Instant::now() + within;
        let mut round = Vec::new();
        let mut in_round = false;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let wait = if in_round {
                Duration::from_millis(700).min(left)
            } else {
                left
            };
            match self.lines.recv_timeout(wait) {
                Ok(line) => {
                    if line["type"] == "delivery" {
                        if in_round {
                            panic!("two rounds arrived together: {round:?} then {line}");
                        }
                        in_round = true;
                    }
                    if in_round {
                        round.push(line);
                    }
                }
                Err(_) if in_round => return round,
                Err(_) => break,
            }
        }
        round
    }
}

impl Drop for Poll {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn calls_of(round: &[Value]) -> Vec<(String, String)> {
    round
        .iter()
        .filter(|l| l["type"] == "call")
        .map(|l| {
            (
                l["call_sid"].as_str().unwrap_or_default().to_owned(),
                l["call_state"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

// The lines are read blocking: the fake serves from the other worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_shows_the_window_then_only_what_changed_across_pages() {
    let fake = FakeInsightsApi::start(ACCOUNT_SID, AUTH_TOKEN).await;
    let minutes_ago = |m: u64| SystemTime::now() - Duration::from_secs(m * 60);
    let mut sids = Vec::new();
    for i in 0..5 {
        sids.push(fake.add_call(NewCall {
            start: minutes_ago(5 + i),
            processing_state: if i == 0 { "partial" } else { "complete" }.into(),
            ..NewCall::default()
        }));
    }
    let too_old = fake.add_call(NewCall {
        start: minutes_ago(90),
        ..NewCall::default()
    });
    let poll = Poll::start(&fake, &["--since", "1h", "--interval", "5"]);

    let first = poll.next_round(Duration::from_secs(20));
    let mut seen: Vec<String> = calls_of(&first).into_iter().map(|(s, _)| s).collect();
    seen.sort();
    let mut want = sids.clone();
    want.sort();
    assert_eq!(seen, want, "the last hour, every page, not the older call");
    assert!(!seen.contains(&too_old));

    // A partial becomes complete and failed, and a new call starts; nothing else changes.
    fake.update_call(&sids[0], |s| {
        s["processing_state"] = "complete".into();
        s["call_state"] = "fail".into();
    });
    let new = fake.add_call(NewCall {
        start: minutes_ago(1),
        call_state: "busy".into(),
        ..NewCall::default()
    });
    let second = poll.next_round(Duration::from_secs(20));
    let mut changed = calls_of(&second);
    changed.sort();
    let mut want = vec![
        (sids[0].clone(), "fail".to_owned()),
        (new.clone(), "busy".to_owned()),
    ];
    want.sort();
    assert_eq!(changed, want);

    let requests = fake.requests();
    assert_shapes_allowed(&requests);
    let lists: Vec<&RecordedRequest> = requests
        .iter()
        .filter(|r| r.path == "/v1/Voice/Summaries")
        .collect();
    let first_pages: Vec<&&RecordedRequest> = lists
        .iter()
        .filter(|r| r.query_value("PageToken").is_none())
        .collect();
    assert!(first_pages.len() >= 2, "{lists:?}");
    for r in &first_pages {
        assert_eq!(r.query_value("ProcessingState"), Some("all"));
        assert!(r.query_value("StartTime").is_some());
    }
    assert!(
        lists.iter().any(|r| r.query_value("PageToken").is_some()),
        "6 calls in pages of 3 need a second page"
    );
}

// The lines are read blocking: the fake serves from the other worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_sends_the_filters_the_api_can_apply_and_keeps_the_rest_local() {
    let fake = FakeInsightsApi::start(ACCOUNT_SID, AUTH_TOKEN).await;
    let failed_sip = fake.add_call(NewCall {
        call_state: "fail".into(),
        call_type: "sip".into(),
        tags: vec!["high_jitter".into()],
        ..NewCall::default()
    });
    fake.add_call(NewCall {
        call_state: "completed".into(),
        ..NewCall::default()
    });
    let poll = Poll::start(
        &fake,
        &[
            "--filter",
            "state=fail type=sip tag~jitter direction=inbound",
            "--interval",
            "5",
        ],
    );
    let round = poll.next_round(Duration::from_secs(20));
    assert_eq!(calls_of(&round), vec![(failed_sip, "fail".to_owned())]);
    let requests = fake.requests();
    assert_shapes_allowed(&requests);
    let list = requests
        .iter()
        .find(|r| r.path == "/v1/Voice/Summaries")
        .expect("a list request");
    assert_eq!(list.query_value("CallState"), Some("fail"));
    assert_eq!(list.query_value("CallType"), Some("sip"));
    assert_eq!(list.query_value("Direction"), Some("inbound"));
    assert_eq!(list.query_value("HasTag"), Some("true"));
    assert_eq!(list.query_value("ProcessingState"), Some("all"));
}

#[tokio::test]
async fn poll_with_wrong_credentials_or_a_wrong_base_ends_saying_what_to_do() {
    let fake = FakeInsightsApi::start(ACCOUNT_SID, AUTH_TOKEN).await;
    let run = callwatch_with(&fake, "wrong", &["poll", "--output", "ndjson"]).await;
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("Twilio refused the credentials"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);

    fake.fail_next(
        1,
        404,
        20404,
        "The requested resource /Voice/Summaries was not found",
    );
    let run = callwatch(&fake, &["poll", "--output", "ndjson"]).await;
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("20404"), "{}", run.stderr);

    let run = callwatch(&fake, &["poll", "--interval", "2"]).await;
    assert_eq!(run.code, Some(2), "{}", run.stderr);
}

#[tokio::test]
async fn poll_records_its_rounds_for_export() {
    let fake = FakeInsightsApi::start(ACCOUNT_SID, AUTH_TOKEN).await;
    let sids = [
        fake.add_call(NewCall::default()),
        fake.add_call(NewCall {
            call_state: "busy".into(),
            ..NewCall::default()
        }),
    ];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("polled.ndjson");
    let file = file.to_str().unwrap();
    let run = callwatch(
        &fake,
        &[
            "poll",
            "--output",
            "quiet",
            "--duration",
            "1",
            "--record",
            file,
        ],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let export = support::hermetic::callwatch()
        .args(["export", file, "--format", "json"])
        .output()
        .expect("callwatch export ran");
    let stdout = String::from_utf8_lossy(&export.stdout);
    assert_eq!(export.status.code(), Some(0), "{stdout}");
    let calls: Value = serde_json::from_str(&stdout).expect("JSON");
    let mut exported: Vec<&str> = calls
        .as_array()
        .expect("an array of calls")
        .iter()
        .filter_map(|c| c["call_sid"].as_str())
        .collect();
    exported.sort();
    let mut want: Vec<&str> = sids.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(exported, want);
    assert!(stdout.contains("busy"), "{stdout}");
}
