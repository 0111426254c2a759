//! A `callwatch listen --output ndjson` process for integration tests: started from the real
//! binary, its stdout read line by line on a thread, its `listening` line parsed, and the
//! process killed when the test ends.

#![allow(dead_code)] // Each test binary uses a different part.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "../support/hermetic.rs"]
mod hermetic;

/// The callwatch binary under test, sealed from the machine's environment and config file.
#[allow(unused_imports)] // Each test binary uses a different part.
pub use hermetic::{callwatch, http_client, seal};

/// A port that was free a moment ago (for flags that need the port before binding).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running `callwatch listen`.
pub struct ListenProcess {
    child: Child,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    /// The first line (`listening`).
    pub listening: Value,
    /// `listening.addr`, e.g. `127.0.0.1:40123`.
    pub addr: String,
    /// Every stdout line read so far by [`Self::lines`] / [`Self::wait_for`], from the first.
    seen: Vec<Value>,
}

impl ListenProcess {
    /// Starts `callwatch listen --output ndjson <args>` (sealed: see [`callwatch`]) with `env`
    /// added, and waits for its `listening` line.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = callwatch();
        command
            .args(["listen", "--output", "ndjson"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start callwatch");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("stderr");
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        let mut process = Self {
            child,
            lines,
            stderr,
            listening: Value::Null,
            addr: String::new(),
            seen: Vec::new(),
        };
        let first = process.next_line(Duration::from_secs(20));
        assert_eq!(first["type"], "listening", "first line: {first}");
        process.addr = first["addr"].as_str().expect("addr").to_owned();
        process.listening = first.clone();
        process.seen.push(first);
        process
    }

    /// Every line written so far, the `listening` line first (reads what is waiting).
    pub fn lines(&mut self) -> Vec<Value> {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON: {line}: {e}")),
            );
        }
        self.seen.clone()
    }

    /// Reads lines until `done` holds for all lines so far; panics (with stderr) after 20 s or
    /// if the process ends first.
    pub fn wait_for(&mut self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let lines = self.lines();
            if done(&lines) {
                return lines;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "callwatch exited ({status}) while waiting for {what}; stderr: {}",
                    self.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {lines:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills it without warning (SIGKILL) and waits for it to be gone.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }

    /// `http://<addr>`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What it wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The next stdout line as JSON; panics (with stderr) after `timeout`.
    pub fn next_line(&mut self, timeout: Duration) -> Value {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => {
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON: {line}: {e}"))
            }
            Err(RecvTimeoutError::Timeout) => {
                panic!("no line within {timeout:?}; stderr: {}", self.stderr())
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait().ok();
                panic!("callwatch ended ({status:?}); stderr: {}", self.stderr())
            }
        }
    }

    /// The next line whose `type` is `line_type`, skipping others.
    pub fn next_of_type(&mut self, line_type: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.next_line(left.max(Duration::from_millis(1)));
            if line["type"] == line_type {
                return line;
            }
        }
    }

    /// Waits until deliveries are being presented: a GET to the events path (answered 405)
    /// comes back as a `delivery` line. Signal handlers are in place from then on.
    pub fn wait_until_presenting(&mut self, events_path: &str) {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(&self.addr).expect("connect");
        let request = format!("GET {events_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).expect("request");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
        assert_eq!(
            self.next_of_type("delivery")["verdict"],
            "method_not_allowed"
        );
    }

    /// The OS process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit on its own; panics (with stderr) after `timeout`.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "callwatch did not exit within {timeout:?}; stderr: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM (what a service manager or Ctrl-C would) and waits for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "callwatch did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ListenProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// POSTs `body` to `addr` with `path_and_query` and extra header lines; returns the status.
pub fn post_raw(addr: &str, path_and_query: &str, headers: &[(&str, &str)], body: &[u8]) -> u16 {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let mut head = format!(
        "POST {path_and_query} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    std::io::Write::write_all(&mut stream, head.as_bytes()).expect("head");
    std::io::Write::write_all(&mut stream, body).expect("body");
    let mut answer = String::new();
    let _ = std::io::Read::read_to_string(&mut stream, &mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"))
}
