//! The config file through the real binary: precedence (flag > environment > file > default)
//! as `callwatch config show` reports it, mistakes that name the line and the key, masked
//! secrets, and file values that really change a run.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A home of its own: `$XDG_CONFIG_HOME/callwatch/config.toml` is the default file.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn config_path(&self) -> PathBuf {
        self.dir
            .path()
            .join("config")
            .join("callwatch")
            .join("config.toml")
    }

    fn write_config(&self, text: &str) -> PathBuf {
        let path = self.config_path();
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write config");
        path
    }

    /// The binary with nothing from the outer environment but `env`.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_callwatch"))
            .args(args)
            .env_clear()
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .envs(env.iter().copied())
            .output()
            .expect("run callwatch")
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The VALUE and FROM columns of `name`'s row in `config show` output (columns are two or
/// more spaces apart; no cell holds two spaces in a row).
fn row(show: &str, name: &str) -> (String, String) {
    let line = show
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row {name} in:\n{show}"));
    let cells: Vec<&str> = line
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    match cells.as_slice() {
        [_, value, from] => ((*value).to_owned(), (*from).to_owned()),
        _ => panic!("not three columns: {line:?}"),
    }
}

#[test]
fn flag_beats_env_beats_file_beats_default() {
    // (key, flag, env variable, file line, the built-in default)
    let keys = [
        (
            "port",
            "--port=9003",
            ("CALLWATCH_PORT", "9002"),
            "port = 9001",
            "8080",
        ),
        (
            "reject-status",
            "--reject-status=504",
            ("CALLWATCH_REJECT_STATUS", "503"),
            "reject-status = 502",
            "403",
        ),
        (
            "bind",
            "--bind=127.0.0.3",
            ("CALLWATCH_BIND", "127.0.0.2"),
            "bind = \"127.0.0.1\"",
            "127.0.0.1",
        ),
        (
            "color",
            "--color=never",
            ("CALLWATCH_COLOR", "always"),
            "color = \"never\"",
            "auto",
        ),
        (
            "api-base",
            "--api-base=http://flag.test",
            ("CALLWATCH_EVENTS_API_BASE", "http://env.test"),
            "api-base = \"http://file.test\"",
            "https://events.twilio.com",
        ),
        (
            "monitor-api-base",
            "--monitor-api-base=http://flag.test",
            ("CALLWATCH_MONITOR_API_BASE", "http://env.test"),
            "monitor-api-base = \"http://file.test\"",
            "https://monitor.twilio.com",
        ),
    ];
    for (key, flag, (env_name, env_value), file_line, default) in keys {
        let file_value = file_line
            .split_once('=')
            .map(|(_, v)| v.trim().trim_matches('"'))
            .unwrap_or_default();
        let flag_value = flag.split_once('=').map(|(_, v)| v).unwrap_or_default();
        // (file?, env?, flag?) → (value, from)
        let layers = [
            (false, false, false, default, "default".to_owned()),
            (true, false, false, file_value, "file, line 1".to_owned()),
            (true, true, false, env_value, format!("env {env_name}")),
            (true, true, true, flag_value, format!("flag --{key}")),
            (false, true, false, env_value, format!("env {env_name}")),
            (true, false, true, flag_value, format!("flag --{key}")),
        ];
        for (with_file, with_env, with_flag, value, from) in layers {
            let home = Home::new();
            if with_file {
                home.write_config(&format!("{file_line}\n"));
            }
            let mut args = vec!["config", "show", "listen"];
            if with_flag {
                args.push(flag);
            }
            let env: Vec<(&str, &str)> = if with_env {
                vec![(env_name, env_value)]
            } else {
                Vec::new()
            };
            let out = home.run(&args, &env);
            let show = text(&out.stdout);
            assert!(out.status.success(), "{key}: {}", text(&out.stderr));
            assert_eq!(
                row(&show, key),
                (value.to_owned(), from.clone()),
                "{key} with file={with_file} env={with_env} flag={with_flag}"
            );
        }
    }
}

#[test]
fn flags_and_variables_beat_the_file_for_switches_too() {
    let home = Home::new();
    home.write_config("mask = true\nmouse = true\n");
    let show = text(&home.run(&["config", "show", "demo"], &[]).stdout);
    assert_eq!(row(&show, "mask"), ("true".into(), "file, line 1".into()));
    assert_eq!(row(&show, "mouse"), ("true".into(), "file, line 2".into()));
    let show = text(
        &home
            .run(&["config", "show", "demo"], &[("CALLWATCH_MASK", "false")])
            .stdout,
    );
    assert_eq!(
        row(&show, "mask"),
        ("false".into(), "env CALLWATCH_MASK".into())
    );
}

#[test]
fn a_flag_sets_aside_the_file_value_it_conflicts_with() {
    let home = Home::new();
    home.write_config("tunnel = \"ngrok\"\n");
    let out = home.run(
        &[
            "config",
            "show",
            "listen",
            "--public-url",
            "https://abc.example/events",
        ],
        &[],
    );
    let show = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        row(&show, "public-url"),
        (
            "https://abc.example/events".into(),
            "flag --public-url".into()
        )
    );
    let (value, from) = row(&show, "tunnel");
    assert_eq!(value, "-");
    assert!(from.contains("set aside"), "{from}");
}

#[test]
fn the_file_is_found_by_flag_by_variable_and_at_the_default_place() {
    let home = Home::new();
    let default = home.write_config("port = 9001\n");
    let elsewhere = home.dir.path().join("other.toml");
    std::fs::write(&elsewhere, "port = 9002\n").expect("write");
    let elsewhere_text = elsewhere.to_str().expect("utf-8");

    let out = home.run(&["config", "path"], &[]);
    assert_eq!(text(&out.stdout).trim(), default.to_str().expect("utf-8"));

    let show = text(&home.run(&["config", "show"], &[]).stdout);
    assert_eq!(row(&show, "port").0, "9001");
    let show = text(
        &home
            .run(&["config", "show"], &[("CALLWATCH_CONFIG", elsewhere_text)])
            .stdout,
    );
    assert_eq!(row(&show, "port").0, "9002");
    let show = text(
        &home
            .run(&["--config", elsewhere_text, "config", "show"], &[])
            .stdout,
    );
    assert_eq!(row(&show, "port").0, "9002");
    assert!(show.contains("(--config)"), "{show}");

    let out = home.run(&["--config", "/nonexistent/callwatch.toml", "demo"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("/nonexistent/callwatch.toml"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_malformed_file_names_the_line_and_the_key_and_exits_2() {
    // (file, line, key, words the message must hold)
    let cases: &[(&str, usize, &str, &[&str])] = &[
        ("port = 9000\noutput = \"tui\n", 2, "output", &[]),
        (
            "# comment\n\nprot = 9000\n",
            3,
            "prot",
            &["did you mean `port`?"],
        ),
        (
            "public_url = \"https://a.example/events\"\n",
            1,
            "public_url",
            &["did you mean `public-url`?"],
        ),
        (
            "mask = true\nport = \"9000\"\n",
            2,
            "port",
            &["a number without quotes"],
        ),
        ("port = 70000\n", 1, "port", &["70000"]),
        (
            "output = \"fancy\"\n",
            1,
            "output",
            &["tui, ndjson, compact, quiet"],
        ),
        (
            "filter = \"carier=x\"\n",
            1,
            "filter",
            &["did you mean `carrier`?"],
        ),
        (
            "mask = true\ncolumns = \"started,state,carrier\"\n",
            2,
            "columns",
            &["unknown column `carrier`", "from-carrier, to-carrier"],
        ),
        (
            "bind = \"0.0.0.0\"\nauth_token = \"0123456789abcdef\"\n",
            2,
            "auth_token",
            &["TWILIO_AUTH_TOKEN"],
        ),
        (
            "[twilio]\naccount_sid = \"AC123\"\n",
            1,
            "twilio",
            &["TWILIO_ACCOUNT_SID"],
        ),
    ];
    for (file, line, key, words) in cases {
        let home = Home::new();
        let path = home.write_config(file);
        for args in [
            &["demo", "--output", "quiet", "--duration", "1"][..],
            &["config", "show"][..],
        ] {
            let out = home.run(args, &[]);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{file:?} {args:?}: {stderr}");
            let expected = format!("config file {}, line {line}, key `{key}`", path.display());
            assert!(stderr.contains(&expected), "{file:?}: {stderr}");
            for word in *words {
                assert!(stderr.contains(word), "{file:?}: {stderr}");
            }
            assert!(
                !stderr.contains("0123456789abcdef"),
                "a secret is never echoed: {stderr}"
            );
        }
    }
}

#[test]
fn secrets_are_masked_in_config_show() {
    let home = Home::new();
    let token = "tok0123456789abcdef0123456789abc";
    let secret = "sec0123456789abcdef";
    let shared = "shr0123456789";
    let out = home.run(
        &["config", "show", "listen", "--api-secret", secret],
        &[
            ("TWILIO_AUTH_TOKEN", token),
            ("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"),
            ("CALLWATCH_SHARED_KEY_SECRET", shared),
        ],
    );
    let show = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for value in [token, secret, shared] {
        assert!(!show.contains(value), "a secret is shown: {show}");
        assert!(
            !show.contains(&value[..4]),
            "too much of a secret is shown: {show}"
        );
    }
    assert_eq!(
        row(&show, "TWILIO_AUTH_TOKEN"),
        ("to…(32 chars)".into(), "env TWILIO_AUTH_TOKEN".into())
    );
    assert_eq!(
        row(&show, "TWILIO_API_SECRET"),
        ("se…(19 chars)".into(), "flag --api-secret".into())
    );
    assert_eq!(
        row(&show, "CALLWATCH_SHARED_KEY_SECRET"),
        (
            "sh…(13 chars)".into(),
            "env CALLWATCH_SHARED_KEY_SECRET".into()
        )
    );
    // The Account SID names the account; it is not a secret.
    assert!(
        show.contains("AC0123456789abcdef0123456789abcdef"),
        "{show}"
    );
}

/// `columns` in the file is the table's columns, as `config show` reports; `--columns` beats
/// it and is checked the same way.
#[test]
fn the_columns_key_is_read_and_checked() {
    let home = Home::new();
    home.write_config("columns = \"started, state,SID,q850\"\n");
    let out = home.run(&["config", "show", "demo"], &[]);
    let show = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        row(&show, "columns"),
        ("started, state,SID,q850".into(), "file, line 1".into())
    );
    // The demo runs with them (quiet: no screen in a test).
    let out = home.run(&["demo", "--output", "quiet", "--duration", "1"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A flag beats the file; a bad flag is a usage error naming the column.
    let out = home.run(&["config", "show", "demo", "--columns", "sid,state"], &[]);
    assert_eq!(row(&text(&out.stdout), "columns").0, "sid,state");
    let out = home.run(
        &[
            "demo",
            "--output",
            "quiet",
            "--duration",
            "1",
            "--columns",
            "sid,nope",
        ],
        &[],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown column `nope`"), "{stderr}");
    let out = home.run(
        &[
            "demo",
            "--output",
            "quiet",
            "--duration",
            "1",
            "--columns",
            "sid,sid",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("named twice"));
}

#[test]
fn file_values_change_a_real_run() {
    let home = Home::new();
    home.write_config("output = \"compact\"\nfilter = \"state=completed\"\n");
    let out = home.run(&["demo", "--duration", "2", "--rate", "600"], &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!stdout.trim().is_empty(), "compact lines expected");
    assert!(
        stdout.lines().all(|l| !l.starts_with('{')),
        "compact, not ndjson: {stdout}"
    );
    // A flag still wins over the file.
    let out = home.run(&["demo", "--duration", "1", "--output", "ndjson"], &[]);
    let first = text(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(first.starts_with("{\"type\":\"listening\""), "{first}");
}

#[test]
fn config_show_of_a_bad_command_line_is_a_usage_error() {
    let home = Home::new();
    let out = home.run(&["config", "show", "listen", "--port", "notaport"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("notaport"),
        "{}",
        text(&out.stderr)
    );
    let out = home.run(&["config", "show", "completions"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_path_template_and_completions_still_work_with_a_broken_file() {
    let home = Home::new();
    let path = home.write_config("prot = 1\n");
    for args in [
        &["--help"][..],
        &["listen", "--help"][..],
        &["config", "path"][..],
        &["config", "template"][..],
        &["completions", "bash"][..],
    ] {
        let out = home.run(args, &[]);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    }
    let out = home.run(&["config", "path"], &[]);
    assert_eq!(text(&out.stdout).trim(), path.to_str().expect("utf-8"));
    assert!(
        text(&out.stderr).contains("line 1, key `prot`"),
        "{}",
        text(&out.stderr)
    );
}
