//! A local Kinesis for the tests: kinesalite (Node.js, in memory, the real Kinesis wire
//! protocol) started on a free loopback port and stopped when dropped, with an AWS SDK client
//! to create streams, put records and reshard as Twilio and an operator would.
//!
//! kinesalite is installed by `npm ci --omit=optional` in `tests/kinesis/` (`.ci/run` does it
//! first; on a fresh clone the first test that needs it runs it, so `cargo test` alone is
//! enough where the npm registry is reachable); without `node` on `PATH` or that install,
//! [`Kinesalite::start`] fails the test and says so.
//! `tests/kinesis/clock.js` is preloaded: [`Kinesalite::jump_clock`] moves kinesalite's clock
//! past the five minutes a shard iterator lives.

#![allow(dead_code)] // Each test binary uses a different part.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::StreamStatus;
use aws_smithy_http_client::proxy::ProxyConfig;

/// The environment a `callwatch kinesis` child needs for kinesalite: any credentials and a
/// region, and no instance metadata lookups.
pub const CHILD_ENV: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "x"),
    ("AWS_SECRET_ACCESS_KEY", "x"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
];

/// A running kinesalite.
pub struct Kinesalite {
    child: Child,
    /// kinesalite's stdout lines, read by a thread (so that it never blocks writing).
    lines: std::sync::mpsc::Receiver<String>,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// A client of it.
    pub client: Client,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kinesis")
}

/// `node` from `PATH`.
fn node() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("node"))
        .find(|candidate| candidate.is_file())
}

/// Installs kinesalite with `npm ci --omit=optional` (the versions of `package-lock.json`)
/// when `cli` is missing: once per test binary (cargo runs the binaries one after another).
/// A failure is left to the caller's check, which says what to run.
fn install_once(cli: &Path) {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    if cli.is_file() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--omit=optional", "--no-audit", "--no-fund"])
        .current_dir(dir())
        .stdout(Stdio::null())
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        eprintln!("`npm ci --omit=optional` in tests/kinesis failed: {status:?}");
    }
}

impl Kinesalite {
    /// Starts kinesalite on a free port and waits until it answers. Panics (failing the test)
    /// with the command to run when node or kinesalite is missing.
    pub fn start() -> Self {
        let cli = dir().join("node_modules/kinesalite/cli.js");
        let Some(node) = node() else {
            panic!(
                "the kinesis tests need Node.js: `node` is not on PATH. Install Node.js, then \
                 run `npm ci --omit=optional` in tests/kinesis"
            );
        };
        install_once(&cli);
        assert!(
            cli.is_file(),
            "kinesalite is not installed: run `cd tests/kinesis && npm ci --omit=optional` \
             (.ci/run does), then the tests again"
        );
        for _attempt in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let mut child = Command::new(&node)
                .current_dir(dir())
                .arg("-r")
                .arg("./clock.js")
                .arg(&cli)
                .args(["--port", &port.to_string()])
                .args(["--createStreamMs", "1", "--updateStreamMs", "1"])
                .args(["--deleteStreamMs", "1", "--shardLimit", "50"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("start node");
            let stdout = child.stdout.take().expect("stdout");
            let (tx, lines) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { return };
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            });
            let first = lines
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_default();
            if first.starts_with("Listening at") {
                let endpoint = format!("http://127.0.0.1:{port}");
                // Straight to loopback: no proxy from the environment, no TLS.
                let http = aws_smithy_http_client::Builder::new().build_with_connector_fn(
                    |settings, _| {
                        let mut connector = aws_smithy_http_client::Connector::builder()
                            .proxy_config(ProxyConfig::disabled());
                        if let Some(settings) = settings {
                            connector = connector.connector_settings(settings.clone());
                        }
                        connector.build_http()
                    },
                );
                let config = aws_sdk_kinesis::Config::builder()
                    .http_client(http)
                    .behavior_version(BehaviorVersion::latest())
                    .region(Region::new("us-east-1"))
                    .endpoint_url(&endpoint)
                    .credentials_provider(Credentials::new("x", "x", None, None, "test"))
                    .build();
                return Self {
                    child,
                    lines,
                    endpoint,
                    client: Client::from_conf(config),
                };
            }
            // The port was taken between the probe and kinesalite's bind: another one.
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("kinesalite did not start on any of 5 ports");
    }

    /// Creates `name` with `shards` shards and waits until it is active.
    pub async fn create_stream(&self, name: &str, shards: i32) {
        self.client
            .create_stream()
            .stream_name(name)
            .shard_count(shards)
            .send()
            .await
            .expect("CreateStream");
        self.wait_active(name).await;
    }

    /// Waits until `name` is active (after a create or a reshard).
    pub async fn wait_active(&self, name: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let summary = self
                .client
                .describe_stream_summary()
                .stream_name(name)
                .send()
                .await
                .expect("DescribeStreamSummary");
            let status = summary
                .stream_description_summary()
                .map(|s| s.stream_status().clone());
            if status == Some(StreamStatus::Active) {
                return;
            }
            assert!(Instant::now() < deadline, "{name} never became active");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Puts one record; returns its shard.
    pub async fn put(&self, stream: &str, partition_key: &str, data: &[u8]) -> String {
        self.client
            .put_record()
            .stream_name(stream)
            .partition_key(partition_key)
            .data(Blob::new(data))
            .send()
            .await
            .expect("PutRecord")
            .shard_id()
            .to_owned()
    }

    /// The open shards of `stream`, with their hash key ranges.
    pub async fn open_shards(&self, stream: &str) -> Vec<(String, u128, u128)> {
        let listing = self
            .client
            .list_shards()
            .stream_name(stream)
            .send()
            .await
            .expect("ListShards");
        listing
            .shards()
            .iter()
            .filter(|s| {
                s.sequence_number_range()
                    .is_some_and(|r| r.ending_sequence_number().is_none())
            })
            .map(|s| {
                let range = s.hash_key_range().expect("hash key range");
                (
                    s.shard_id().to_owned(),
                    range.starting_hash_key().parse().expect("a number"),
                    range.ending_hash_key().parse().expect("a number"),
                )
            })
            .collect()
    }

    /// Splits `shard` of `stream` in two halves and waits until the stream is active again;
    /// returns the shards open afterwards.
    pub async fn split(&self, stream: &str, shard: &str) -> Vec<(String, u128, u128)> {
        let open = self.open_shards(stream).await;
        let (_, start, end) = open
            .iter()
            .find(|(id, _, _)| id == shard)
            .expect("the shard is open");
        let middle = start + (end - start) / 2;
        self.client
            .split_shard()
            .stream_name(stream)
            .shard_to_split(shard)
            .new_starting_hash_key(middle.to_string())
            .send()
            .await
            .expect("SplitShard");
        self.wait_active(stream).await;
        self.open_shards(stream).await
    }

    /// Moves kinesalite's clock 301 s ahead: every shard iterator handed out so far expires.
    pub fn jump_clock(&self) {
        let status = Command::new("kill")
            .args(["-USR2", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -USR2 failed");
        let said = self
            .lines
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_default();
        assert!(
            said.starts_with("clock moved ahead"),
            "kinesalite's clock did not move: {said:?}"
        );
    }
}

impl Drop for Kinesalite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
