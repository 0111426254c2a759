//! The tests do not depend on the machine they run on: every test that starts callwatch gets
//! it sealed from the machine's environment and config file (`tests/support/hermetic.rs`),
//! and these tests keep it so. `.ci/run` runs the whole suite a second time with a hostile
//! environment (a user config file, read-only home and state directories, `CALLWATCH_*`,
//! `TWILIO_*`, proxy variables...), where `a_sealed_callwatch_sees_only_defaults` shows that
//! none of it reaches the binary.

#[path = "support/hermetic.rs"]
mod hermetic;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read tests/") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn every_test_file_that_starts_callwatch_seals_it() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut files = Vec::new();
    rust_files(&tests, &mut files);
    let binary = concat!("CARGO_BIN_EXE_", "callwatch");
    let unsealed: Vec<String> = files
        .iter()
        .filter(|f| !f.ends_with("support/hermetic.rs"))
        .filter(|f| {
            let text = std::fs::read_to_string(f).expect("read a test file");
            // `hermetic::seal`, or an environment of the test's own making from nothing.
            text.contains(binary)
                && !text.contains("hermetic::seal")
                && !text.contains(".env_clear()")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        unsealed.is_empty(),
        "start callwatch with `hermetic::callwatch()` (tests/support/hermetic.rs), not \
         `Command::new(env!(\"{binary}\"))`: {unsealed:?}"
    );
}

#[test]
fn a_sealed_callwatch_sees_only_defaults() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_callwatch"));
    let scratch = hermetic::seal(&mut command);
    let out = command
        .args(["config", "show", "listen"])
        .output()
        .expect("run callwatch");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = scratch.join("config/callwatch/config.toml");
    let log = scratch.join("state/callwatch/callwatch.log");
    assert!(
        stdout.contains(&format!(
            "config file  {} (default location; not found)",
            config.display()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("log file     {}", log.display())),
        "{stdout}"
    );
    // Below the header: the settings and credentials, each from its default or not set.
    let rows = stdout
        .lines()
        .skip_while(|l| !l.starts_with("SETTING"))
        .filter(|l| !l.is_empty() && !l.starts_with("SETTING") && !l.starts_with("CREDENTIAL"));
    let mut count = 0;
    for row in rows {
        count += 1;
        assert!(
            row.ends_with("  default") || row.ends_with("  not set"),
            "a setting came from the machine: {row:?}\n{stdout}"
        );
    }
    assert!(count >= 10, "{stdout}");
}
