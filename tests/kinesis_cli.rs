//! The real binary against a real Kinesis API: `callwatch kinesis` reading kinesalite streams
//! of several shards that hold Twilio-shaped records (one CloudEvent each), from
//! `trim-horizon` and from `latest`, across a shard split made mid-read, through iterators
//! made to expire, and with two callwatch processes reading the same stream at once.
//!
//! Needs Node.js; kinesalite is installed in tests/kinesis on first use (see its README). A
//! test fails, saying so, when either is missing.

#[path = "support/hermetic.rs"]
mod hermetic;
#[path = "support/kinesalite.rs"]
mod kinesalite;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use callwatch::demo::generator::CallGenerator;
use kinesalite::{CHILD_ENV, Kinesalite};
use serde_json::Value;
use time::OffsetDateTime;

/// How long a test waits for callwatch to show what was put.
const PATIENCE: Duration = Duration::from_secs(30);

/// The summaries of `count` calls from the demo generator: per call, its SID, its events (in
/// delivery order, each one record) and the final `call_state`.
struct Calls {
    calls: Vec<(String, Vec<Vec<u8>>, String)>,
}

fn calls(seed: u64, count: usize) -> Calls {
    let mut generator = CallGenerator::new(seed);
    let started = OffsetDateTime::now_utc() - time::Duration::minutes(5);
    let calls = (0..count)
        .map(|i| {
            let call = generator.next_call(None, started + time::Duration::seconds(i as i64));
            let records: Vec<Vec<u8>> = call
                .events
                .iter()
                .map(|e| serde_json::to_vec(&e.event).expect("JSON"))
                .collect();
            let last = &call.events.last().expect("events").event;
            let state = last["data"]["call_state"]
                .as_str()
                .expect("a call_state")
                .to_owned();
            assert_eq!(
                last["type"], "com.twilio.voice.insights.call-summary.complete",
                "the generator ends a call with its complete summary"
            );
            (call.call_sid, records, state)
        })
        .collect();
    Calls { calls }
}

impl Calls {
    /// Puts every record of every call (partition key: the call SID, so that a call's records
    /// keep their order in one shard); returns the shards written to.
    async fn put_all(&self, kinesis: &Kinesalite, stream: &str) -> BTreeSet<String> {
        let mut shards = BTreeSet::new();
        for (sid, records, _) in &self.calls {
            for record in records {
                shards.insert(kinesis.put(stream, sid, record).await);
            }
        }
        shards
    }

    /// Call SID → final call state.
    fn finals(&self) -> BTreeMap<String, String> {
        self.calls
            .iter()
            .map(|(sid, _, state)| (sid.clone(), state.clone()))
            .collect()
    }
}

/// A `callwatch kinesis ... --output ndjson` process whose lines are collected as they come.
struct Viewer {
    child: Child,
    lines: Arc<Mutex<Vec<Value>>>,
    log: PathBuf,
}

impl Viewer {
    fn start(kinesis: &Kinesalite, stream: &str, from: &str) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_callwatch"));
        let scratch = hermetic::seal(&mut command);
        let log = scratch.join("callwatch.log");
        command
            .args(["kinesis", stream, "--endpoint-url", &kinesis.endpoint])
            .args(["--from", from, "--output", "ndjson"])
            .arg("--log-file")
            .arg(&log)
            .envs(CHILD_ENV.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().expect("start callwatch");
        let stdout = child.stdout.take().expect("stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let value: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not a JSON line: {line}: {e}"));
                sink.lock().expect("lines").push(value);
            }
        });
        let viewer = Self { child, lines, log };
        viewer.wait_for("the reading line", |lines| {
            lines.first().is_some_and(|l| l["type"] == "reading")
        });
        viewer
    }

    fn lines(&self) -> Vec<Value> {
        self.lines.lock().expect("lines").clone()
    }

    /// Waits until `done` holds of the lines so far; fails the test after [`PATIENCE`].
    fn wait_for(&self, what: &str, done: impl Fn(&[Value]) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if done(&self.lines()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "callwatch never showed {what}; its lines:\n{}",
                self.lines()
                    .iter()
                    .map(Value::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Call SID → the state of its last `call` line.
    fn finals(&self) -> BTreeMap<String, String> {
        let mut finals = BTreeMap::new();
        for line in self.lines().iter().filter(|l| l["type"] == "call") {
            finals.insert(
                line["call_sid"].as_str().expect("call_sid").to_owned(),
                format!(
                    "{}/{}",
                    line["processing_state"].as_str().unwrap_or("?"),
                    line["call_state"].as_str().unwrap_or("?")
                ),
            );
        }
        finals
    }

    /// Waits until every call of `expected` shows its complete summary's state.
    fn wait_for_finals(&self, expected: &BTreeMap<String, String>) {
        self.wait_for("every call in its final state", |_| {
            let finals = self.finals();
            expected
                .iter()
                .all(|(sid, state)| finals.get(sid) == Some(&format!("complete/{state}")))
        });
    }

    /// The `delivery` lines.
    fn deliveries(&self) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|l| l["type"] == "delivery")
            .collect()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops callwatch with SIGTERM; it must exit 0.
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().expect("wait for callwatch");
        assert!(status.success(), "callwatch exited with {status}");
    }
}

impl Drop for Viewer {
    /// A failed test leaves no callwatch running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The expected final states, written as `Viewer::finals` writes them.
fn complete(expected: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    expected
        .iter()
        .map(|(sid, state)| (sid.clone(), format!("complete/{state}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trim_horizon_shows_exactly_the_calls_in_every_shard_in_their_final_states() {
    let kinesis = Kinesalite::start();
    kinesis.create_stream("calls", 3).await;
    let put = calls(11, 8);
    let shards = put.put_all(&kinesis, "calls").await;
    assert!(
        shards.len() >= 2,
        "the calls landed in one shard only: {shards:?}"
    );
    // Kinesis delivers at least once: the same event twice is shown once.
    let (sid, records, _) = &put.calls[0];
    kinesis.put("calls", sid, &records[0]).await;
    // The Sink Test's event, which `sinks validate` needs the test_id of.
    let test_event = serde_json::json!({
        "specversion": "1.0",
        "type": "com.twilio.eventstreams.test-event",
        "source": "Sink",
        "id": "AC11111111111111111111111111111111",
        "dataschema": "https://events-schemas.twilio.com/EventStreams.TestSink/1.json",
        "datacontenttype": "application/json",
        "time": "2026-06-10T06:02:54.377Z",
        "data": {"test_id": "cae2f9e2-c277-4612-8ad3-93c1a7a3ef88"}
    });
    kinesis
        .put("calls", "test", test_event.to_string().as_bytes())
        .await;

    let mut viewer = Viewer::start(&kinesis, "calls", "trim-horizon");
    let reading = &viewer.lines()[0];
    assert_eq!(reading["shards"], 3, "{reading}");
    assert_eq!(reading["from"], "trim-horizon");
    assert_eq!(
        reading["signature"],
        "IAM-authenticated stream, no signature"
    );
    viewer.wait_for_finals(&put.finals());
    let records: usize = put.calls.iter().map(|(_, r, _)| r.len()).sum();
    viewer.wait_for("a delivery line per record", |lines| {
        lines.iter().filter(|l| l["type"] == "delivery").count() == records + 2
    });
    let tests: Vec<Value> = viewer
        .lines()
        .into_iter()
        .filter(|l| l["type"] == "test_event")
        .collect();
    assert_eq!(tests.len(), 1, "{tests:?}");
    assert_eq!(tests[0]["test_id"], "cae2f9e2-c277-4612-8ad3-93c1a7a3ef88");
    assert_eq!(
        viewer.finals(),
        complete(&put.finals()),
        "exactly the calls put"
    );

    let deliveries = viewer.deliveries();
    let verdicts: BTreeMap<&str, usize> =
        deliveries.iter().fold(BTreeMap::new(), |mut counts, d| {
            *counts
                .entry(d["verdict"].as_str().expect("verdict"))
                .or_default() += 1;
            counts
        });
    assert_eq!(
        verdicts,
        BTreeMap::from([("duplicate", 1), ("ok", records + 1)])
    );
    let read_from: BTreeSet<String> = deliveries
        .iter()
        .map(|d| {
            assert_eq!(d["method"], "KINESIS", "{d}");
            let path = d["path"].as_str().expect("path");
            let (shard, sequence) = path.split_once('/').expect("SHARD/SEQUENCE");
            assert!(
                !sequence.is_empty() && sequence.bytes().all(|b| b.is_ascii_digit()),
                "{path}"
            );
            shard.to_owned()
        })
        .collect();
    assert_eq!(read_from, shards, "every shard written to was read");
    viewer.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_shows_only_later_calls_and_follows_a_split_parent_first() {
    let kinesis = Kinesalite::start();
    kinesis.create_stream("calls", 2).await;
    let before = calls(21, 3);
    before.put_all(&kinesis, "calls").await;

    let mut viewer = Viewer::start(&kinesis, "calls", "latest");
    // A call begun before the split and finished after it: its first records go to the
    // parent, the rest to a child.
    let spanning = calls(22, 6);
    for (sid, records, _) in &spanning.calls {
        kinesis.put("calls", sid, &records[0]).await;
    }
    let open = kinesis.split("calls", "shardId-000000000000").await;
    let children: Vec<&str> = open
        .iter()
        .map(|(id, _, _)| id.as_str())
        .filter(|id| *id != "shardId-000000000001")
        .collect();
    assert_eq!(children.len(), 2, "the split made two children: {open:?}");
    let mut in_child = BTreeSet::new();
    for (sid, records, _) in &spanning.calls {
        for record in &records[1..] {
            let shard = kinesis.put("calls", sid, record).await;
            if children.contains(&shard.as_str()) {
                in_child.insert(sid.clone());
            }
        }
    }
    assert!(!in_child.is_empty(), "no call went to a child shard");

    viewer.wait_for_finals(&spanning.finals());
    // Nothing from before the start; exactly the calls put since.
    assert_eq!(viewer.finals(), complete(&spanning.finals()));
    // Every record of the parent came before any record of its children.
    let shards: Vec<String> = viewer
        .deliveries()
        .iter()
        .map(|d| {
            let path = d["path"].as_str().expect("path");
            path.split('/').next().unwrap_or_default().to_owned()
        })
        .collect();
    let last_parent = shards
        .iter()
        .rposition(|s| s == "shardId-000000000000")
        .expect("records read from the parent");
    let first_child = shards
        .iter()
        .position(|s| children.contains(&s.as_str()))
        .expect("records read from a child");
    assert!(
        last_parent < first_child,
        "a child was read before its parent was drained: {shards:?}"
    );
    assert!(
        viewer.log().contains("shard closed and read to its end"),
        "{}",
        viewer.log()
    );
    viewer.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_viewers_read_one_stream_at_once_through_expired_iterators() {
    let kinesis = Kinesalite::start();
    kinesis.create_stream("calls", 2).await;
    let mut first = Viewer::start(&kinesis, "calls", "latest");
    let early = calls(31, 4);
    early.put_all(&kinesis, "calls").await;
    first.wait_for_finals(&early.finals());

    // A second viewer started later sees the same calls from the stream's start.
    let mut second = Viewer::start(&kinesis, "calls", "trim-horizon");
    second.wait_for_finals(&early.finals());

    // Every iterator both hold expires; both must take new ones where they left off.
    kinesis.jump_clock();
    let late = calls(32, 4);
    late.put_all(&kinesis, "calls").await;
    let mut all = early.finals();
    all.extend(late.finals());
    for viewer in [&first, &second] {
        viewer.wait_for_finals(&all);
        assert_eq!(viewer.finals(), complete(&all), "exactly the calls put");
        let log = viewer.log();
        assert!(
            log.contains("shard iterator expired; renewed"),
            "no iterator expired: {log}"
        );
        let deliveries = viewer.deliveries();
        assert!(
            deliveries.iter().all(|d| d["verdict"] == "ok"),
            "a record was read twice across the renewal: {deliveries:?}"
        );
    }
    first.stop();
    second.stop();
}

#[test]
fn a_stream_that_does_not_exist_is_an_error_naming_it() {
    let kinesis = Kinesalite::start();
    let out = hermetic::callwatch()
        .args([
            "kinesis",
            "nosuchstream",
            "--endpoint-url",
            &kinesis.endpoint,
        ])
        .args(["--output", "ndjson"])
        .envs(CHILD_ENV.iter().copied())
        .output()
        .expect("run callwatch");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot list the shards of Kinesis stream nosuchstream")
            && stderr.contains("ResourceNotFound"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing on stdout: {:?}", out.stdout);
}

#[test]
fn usage_errors_name_the_flag() {
    for (args, says) in [
        (vec!["kinesis", "not a name"], "is not a stream name"),
        (
            vec!["kinesis", "arn:aws:sqs:eu-west-1:1:q"],
            "is not a Kinesis stream ARN",
        ),
        (vec!["kinesis", "calls", "--from", "yesterday"], "--from"),
        (
            vec!["kinesis", "calls", "--from", "2999-01-01T00:00:00Z"],
            "is in the future",
        ),
        (
            vec!["kinesis", "calls", "--endpoint-url", "localhost:4567"],
            "--endpoint-url",
        ),
    ] {
        let out = hermetic::callwatch()
            .args(&args)
            .output()
            .expect("run callwatch");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn without_a_region_the_error_says_where_to_give_one() {
    let out = hermetic::callwatch()
        .args(["kinesis", "calls", "--output", "ndjson"])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("run callwatch");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no AWS region") && stderr.contains("--region"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_stream_replays_to_the_same_calls() {
    let kinesis = Kinesalite::start();
    kinesis.create_stream("calls", 2).await;
    let put = calls(41, 5);
    put.put_all(&kinesis, "calls").await;
    let scratch = hermetic::scratch_dir();
    let recording = scratch.join("kinesis.ndjson");
    let out = hermetic::callwatch()
        .args(["kinesis", "calls", "--endpoint-url", &kinesis.endpoint])
        .args([
            "--from",
            "trim-horizon",
            "--output",
            "quiet",
            "--duration",
            "4",
        ])
        .arg("--record")
        .arg(&recording)
        .envs(CHILD_ENV.iter().copied())
        .output()
        .expect("run callwatch");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = hermetic::callwatch()
        .args(["replay", "--max", "--output", "ndjson"])
        .arg(&recording)
        .output()
        .expect("run callwatch replay");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut finals = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let line: Value = serde_json::from_str(line).expect("JSON");
        if line["type"] == "call" {
            finals.insert(
                line["call_sid"].as_str().expect("sid").to_owned(),
                format!(
                    "{}/{}",
                    line["processing_state"].as_str().unwrap_or("?"),
                    line["call_state"].as_str().unwrap_or("?")
                ),
            );
        }
    }
    assert_eq!(finals, complete(&put.finals()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_a_time_shows_only_the_calls_put_since() {
    let kinesis = Kinesalite::start();
    kinesis.create_stream("calls", 2).await;
    let before = calls(51, 3);
    before.put_all(&kinesis, "calls").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let since = OffsetDateTime::now_utc();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after = calls(52, 3);
    after.put_all(&kinesis, "calls").await;
    let from = since
        .format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339");
    let mut viewer = Viewer::start(&kinesis, "calls", &from);
    viewer.wait_for_finals(&after.finals());
    // Give the other calls time to show up, were they read.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(viewer.finals(), complete(&after.finals()));
    viewer.stop();
}
