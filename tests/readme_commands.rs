//! The README's examples run: every `callwatch ...` line of its ```sh blocks is run against
//! the real binary and must exit 0, unless [`SKIP`] says why it cannot run here (it needs a
//! Twilio account, a tunnel, the network, or a person at a terminal).
//!
//! Lines are run by `sh` in a scratch directory that holds `tests/data/` and a fresh
//! `calls.ndjson` recording; comments and anything after a pipe (`| jq ...`) are left off.

#[path = "support/hermetic.rs"]
mod hermetic;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Lines that are not run, by a piece of their text, with the reason. Each piece must still
/// match a README line, so that a stale entry is noticed.
const SKIP: &[(&str, &str)] = &[
    (
        "callwatch listen --public-url https://<tunnel>",
        "needs Twilio to deliver through a tunnel",
    ),
    (
        "callwatch listen --public-url https://abc.ngrok.app",
        "needs Twilio to deliver through a tunnel",
    ),
    ("callwatch setup", "needs a Twilio account and a tunnel"),
    (
        "callwatch poll",
        "needs a Twilio account (Voice Insights API)",
    ),
    (
        "callwatch call CA",
        "needs a Twilio account (Voice Insights API)",
    ),
    (
        "callwatch annotate CA",
        "needs a Twilio account (Voice Insights API)",
    ),
    ("callwatch sinks", "needs a Twilio account"),
    ("callwatch subscriptions", "needs a Twilio account"),
    ("callwatch types", "needs a Twilio account"),
    (
        "callwatch send http://127.0.0.1:8080",
        "needs a listener running on port 8080",
    ),
    (
        "--to https://staging.example.com",
        "POSTs to a host on the internet",
    ),
    (
        "callwatch demo --filter 'state=fail carrier~vodafone'",
        "the live table: runs until q",
    ),
    (
        "--forward-to http://localhost:3000",
        "needs your app on port 3000 (and a tunnel); tests/forward_cli.rs runs --forward-to",
    ),
];

/// Examples that open the live table and run until `q` are recognised by having no
/// `--duration`, `--output` or one-shot command: `callwatch demo` alone is one.
const INTERACTIVE: &[&str] = &["callwatch demo"];

/// One example: its README line number and the command.
#[derive(Debug, Clone)]
struct Example {
    line: usize,
    text: String,
}

/// Every `callwatch ...` line of the ```sh blocks, continuation lines joined.
fn examples(readme: &str) -> Vec<Example> {
    let mut found = Vec::new();
    let mut in_sh = false;
    let mut pending: Option<Example> = None;
    for (i, line) in readme.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_sh = !in_sh && matches!(trimmed, "```sh" | "```bash" | "```console");
            continue;
        }
        if !in_sh {
            continue;
        }
        let (text, start) = match pending.take() {
            Some(mut example) => {
                example.text.push(' ');
                example.text.push_str(trimmed);
                (example.text, example.line)
            }
            None => (trimmed.to_owned(), i + 1),
        };
        if let Some(joined) = text.strip_suffix('\\') {
            pending = Some(Example {
                line: start,
                text: joined.trim_end().to_owned(),
            });
            continue;
        }
        let command = without_assignments(&text);
        if command.starts_with("callwatch ") || command == "callwatch" {
            found.push(Example { line: start, text });
        }
    }
    found
}

/// The line without leading `NAME=value` words.
fn without_assignments(text: &str) -> &str {
    let mut rest = text;
    while let Some((word, after)) = rest.split_once(' ') {
        let is_assignment = word.split_once('=').is_some_and(|(name, _)| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        });
        if !is_assignment {
            break;
        }
        rest = after.trim_start();
    }
    rest
}

/// The command to run: up to an unquoted `|` or ` #` comment.
fn runnable(text: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for c in text.chars() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '|') => break,
            (None, '#') if previous.is_whitespace() => break,
            (None, _) => {}
        }
        out.push(c);
        previous = c;
    }
    out.trim().to_owned()
}

fn skip_reason(text: &str) -> Option<&'static str> {
    if INTERACTIVE.contains(&runnable(text).as_str()) {
        return Some("the live table: runs until q");
    }
    SKIP.iter()
        .find(|(piece, _)| format!("{text} ").contains(piece))
        .map(|(_, why)| *why)
}

/// A scratch directory with `tests/data/` and a recording made by `callwatch demo`.
fn workspace(bin: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data");
    let target = dir.path().join("tests").join("data");
    std::fs::create_dir_all(&target).expect("mkdir");
    for entry in std::fs::read_dir(&data).expect("tests/data") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), target.join(entry.file_name())).expect("copy");
    }
    // Where the README's install lines write completions (it says to create them first).
    for completions in [
        ".local/share/bash-completion/completions",
        ".zfunc",
        ".config/fish/completions",
    ] {
        std::fs::create_dir_all(dir.path().join("home").join(completions)).expect("mkdir");
    }
    let mut record = Command::new(bin);
    hermetic::seal(&mut record);
    let made = record
        .args([
            "demo",
            "--record",
            "calls.ndjson",
            "--duration",
            "2",
            "--rate",
            "300",
        ])
        .args(["--output", "quiet"])
        .current_dir(dir.path())
        .env("CALLWATCH_CONFIG", "/dev/null")
        .status()
        .expect("record a demo");
    assert!(made.success());
    dir
}

/// Runs one example with `sh`; the exit code, or `None` on a timeout.
fn run(bin_dir: &Path, dir: &Path, command: &str) -> (Option<i32>, String) {
    let home = dir.join("home");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .env_clear()
        .env(
            "PATH",
            format!("{}:/usr/local/bin:/usr/bin:/bin", bin_dir.display()),
        )
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sh");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                use std::io::Read;
                let _ = pipe.read_to_string(&mut stderr);
            }
            return (status.code(), stderr);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return (None, String::new());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn every_documented_command_runs_or_says_why_not() {
    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&readme_path).expect("README.md");
    let found = examples(&readme);
    assert!(found.len() >= 5, "too few examples found: {found:?}");

    for (piece, _) in SKIP {
        assert!(
            found.iter().any(|e| format!("{} ", e.text).contains(piece)),
            "SKIP entry {piece:?} matches no README example any more: remove it"
        );
    }

    let bin = PathBuf::from(env!("CARGO_BIN_EXE_callwatch"));
    let bin_dir = bin.parent().expect("bin dir").to_owned();
    let dir = workspace(&bin);
    let mut ran = 0;
    let mut failures = Vec::new();
    for example in &found {
        if let Some(why) = skip_reason(&example.text) {
            eprintln!("skip README.md:{}: {} ({why})", example.line, example.text);
            continue;
        }
        let command = runnable(&example.text);
        eprintln!("run  README.md:{}: {command}", example.line);
        let (code, stderr) = run(&bin_dir, dir.path(), &command);
        ran += 1;
        match code {
            Some(0) => {}
            Some(code) => failures.push(format!(
                "README.md:{}: `{command}` exited {code}: {}",
                example.line,
                stderr.trim()
            )),
            None => failures.push(format!(
                "README.md:{}: `{command}` did not finish in 60 s (interactive? add it to SKIP)",
                example.line
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(ran >= 3, "only {ran} examples ran");
}

#[test]
fn examples_are_read_as_a_shell_would() {
    let readme = "text\n```sh\nTOKEN=1 callwatch verify --url 'a|b' \\\n  --signature x   # why\nexport X=1\n```\n```\ncallwatch not-sh\n```\n";
    let found = examples(readme);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].line, 3);
    assert_eq!(
        runnable(&found[0].text),
        "TOKEN=1 callwatch verify --url 'a|b' --signature x"
    );
    assert_eq!(
        runnable("callwatch demo --output ndjson | jq ."),
        "callwatch demo --output ndjson"
    );
    assert_eq!(
        skip_reason("callwatch demo      # the live table"),
        Some("the live table: runs until q")
    );
}
