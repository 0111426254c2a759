//! What a newcomer reads, pinned through the real binary: `--help` of every command (found by
//! walking the clap definitions, so new commands are covered without touching this file), the
//! bash completion script, the config template and the man page.
//!
//! After a deliberate change to flags or help text: `INSTA_UPDATE=always cargo test --test
//! cli_docs` (or `cargo insta accept`), then review the diff.

use std::process::{Command, Output};

/// The binary in a known environment: no variables leak in (the help shows the value of
/// `[env: ...]` variables that are set), a fixed home so the file paths are stable, and no
/// terminal so the width is clap's default. The home is a name only: `--config /dev/null`
/// keeps a config file that a machine may have there from giving the flags defaults, and
/// none of these commands writes a log.
fn callwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callwatch"))
        .args(["--config", "/dev/null"])
        .args(args)
        .env_clear()
        .env("HOME", "/home/user")
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("run callwatch")
}

fn stdout_of(args: &[&str]) -> String {
    let out = callwatch(args);
    assert!(
        out.status.success(),
        "callwatch {args:?} exited {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Every command path: `[]`, `["demo"]`, `["sinks"]`, `["sinks", "list"]`, ...
fn command_paths(cmd: &clap::Command, prefix: Vec<String>, paths: &mut Vec<Vec<String>>) {
    paths.push(prefix.clone());
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut path = prefix.clone();
        path.push(sub.get_name().to_owned());
        command_paths(sub, path, paths);
    }
}

#[test]
fn help_of_every_command_is_pinned() {
    let mut paths = Vec::new();
    command_paths(&callwatch::config::command(), Vec::new(), &mut paths);
    assert!(paths.len() > 10, "{paths:?}");
    for path in paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let text = stdout_of(&args);
        let name = if path.is_empty() {
            "help_callwatch".to_owned()
        } else {
            format!("help_{}", path.join("_"))
        };
        insta::assert_snapshot!(name, text);
    }
}

#[test]
fn top_level_help_shows_the_config_and_log_paths_and_the_exit_codes() {
    let text = stdout_of(&["--help"]);
    assert!(
        text.contains("/home/user/.config/callwatch/config.toml"),
        "{text}"
    );
    assert!(
        text.contains("/home/user/.local/state/callwatch/callwatch.log"),
        "{text}"
    );
    assert!(
        text.contains("Exit codes: 0 success, 1 runtime failure, 2 usage error"),
        "{text}"
    );
}

#[test]
fn bash_completion_script_is_pinned() {
    let script = stdout_of(&["completions", "bash"]);
    assert!(script.contains("complete -F _callwatch"), "{script}");
    insta::assert_snapshot!("completions_bash", script);
}

#[test]
fn every_shell_gets_a_script_that_knows_the_commands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        for word in ["listen", "demo", "public-url", "config"] {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
    }
}

#[test]
fn config_template_is_pinned() {
    let template = stdout_of(&["config", "template"]);
    insta::assert_snapshot!("config_template", template);
}

#[test]
fn man_pages_are_roff_for_callwatch_and_each_command() {
    let page = stdout_of(&["man"]);
    assert!(
        page.contains(".TH callwatch 1"),
        "{}",
        &page[..page.len().min(300)]
    );
    assert!(page.contains("listen"), "the page lists the commands");
    let page = stdout_of(&["man", "sinks", "create"]);
    assert!(
        page.contains(".TH callwatch-sinks-create 1"),
        "{}",
        &page[..page.len().min(300)]
    );
    assert!(page.contains("public\\-url"), "the page lists the flags");

    let dir = tempfile::tempdir().expect("tempdir");
    let out = callwatch(&["man", "--dir", dir.path().to_str().expect("utf-8 path")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "callwatch.1",
        "callwatch-listen.1",
        "callwatch-sinks-list.1",
    ] {
        assert!(dir.path().join(name).exists(), "{name} not written");
    }

    let out = callwatch(&["man", "lisen"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no command `lisen`"));
}
