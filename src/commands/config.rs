//! `callwatch config template|show|path`: a commented config file to start from, the settings
//! a command would run with and where each came from (secrets masked), and where the file is.

use std::ffi::OsString;
use std::io::Write;

use crate::cli::{ConfigCommand, ConfigSettings, UsageError};
use crate::config::keys::ValueKind;
use crate::config::resolve::{KeyFacts, key_facts};
use crate::config::{self, ConfigFile, ConfigOrigin, Source, StartError, mask_secret};
use crate::text::TextTable;
use crate::twilio::url::display_url;

/// Runs `callwatch config ...`. `file` is the config file this run read (its `--config` is
/// passed on to the command line that `show` looks at).
pub fn run(settings: ConfigSettings, file: Option<&ConfigFile>) -> anyhow::Result<()> {
    let text = match settings.command {
        ConfigCommand::Template => template(),
        ConfigCommand::Path => match file.map(|f| f.path.clone()).or_else(|| {
            let args: Vec<OsString> = std::env::args_os().collect();
            config::resolve::locate(&args).map(|(path, _)| path)
        }) {
            Some(path) => format!("{}\n", path.display()),
            None => {
                return Err(UsageError(
                    "no home directory, so no default config file: give one with --config PATH"
                        .into(),
                )
                .into());
            }
        },
        ConfigCommand::Show { command } => show(command, file)?,
    };
    // `show` quotes the config file.
    let text = crate::text::terminal_safe_lines(&text);
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

const TEMPLATE_HEADER: &str = "\
# callwatch config file (TOML): defaults you set once.
#
# `callwatch config path` prints where callwatch looks for it; --config PATH or
# CALLWATCH_CONFIG=PATH choose another file. Each key is the flag of the same name: a flag
# beats an environment variable, which beats this file, which beats the built-in default.
# `callwatch config show` prints what is in effect and where each value came from.
#
# Credentials are never read from this file: set TWILIO_AUTH_TOKEN and TWILIO_ACCOUNT_SID
# (or TWILIO_API_KEY and TWILIO_API_SECRET) in the environment, or pass them as flags.
#
# Every key below is commented out and shows its default; remove the `# ` to set it.
";

/// The commented template: every key, the commands it applies to, its environment variable,
/// and its default (or an example, for keys without one).
pub fn template() -> String {
    let mut out = String::from(TEMPLATE_HEADER);
    for KeyFacts {
        key,
        commands,
        default,
        env,
    } in key_facts()
    {
        out.push('\n');
        for line in wrap(key.about, 90) {
            out.push_str(&format!("# {line}\n"));
        }
        let env = env
            .map(|e| format!(" Environment: {e}."))
            .unwrap_or_default();
        out.push_str(&format!("# Used by: {}.{env}\n", commands.join(", ")));
        let value = match (key.kind, default) {
            (ValueKind::Bool, _) => "false".to_owned(),
            (ValueKind::Integer, Some(n)) => n,
            (ValueKind::Text, Some(text)) => toml::Value::String(text).to_string(),
            (_, None) => {
                out.push_str("# No default; for example:\n");
                toml::Value::String(key.example.to_owned()).to_string()
            }
        };
        out.push_str(&format!("# {} = {value}\n", key.name));
    }
    out
}

/// The effective settings of `command` (default `listen`) as a table.
fn show(command: Vec<OsString>, file: Option<&ConfigFile>) -> anyhow::Result<String> {
    let mut argv: Vec<OsString> = vec!["callwatch".into()];
    if let Some(file) = file.filter(|f| f.origin == ConfigOrigin::Flag) {
        argv.push("--config".into());
        argv.push(file.path.clone().into_os_string());
    }
    if command.is_empty() {
        argv.push("listen".into());
    } else {
        argv.extend(command);
    }
    let invocation = match config::parse_args(&argv) {
        Ok(invocation) => invocation,
        Err(StartError::Clap(e)) => {
            if !e.use_stderr() {
                // `config show listen --help`: the help of the command looked at.
                return Ok(e.to_string());
            }
            return Err(UsageError(format!(
                "config show: {}",
                e.to_string().trim_start_matches("error: ").trim_end()
            ))
            .into());
        }
        Err(StartError::Config(e)) => return Err(UsageError(e.to_string()).into()),
    };
    let name = invocation.matches.subcommand_name().unwrap_or("listen");
    if matches!(name, "config" | "completions" | "man") {
        return Err(UsageError(format!(
            "config show: `{name}` has no settings; name a command that runs, e.g. \
             `callwatch config show listen` or `callwatch config show demo`"
        ))
        .into());
    }
    let mut out = String::new();
    let file_line = match &invocation.file {
        Some(file) => format!(
            "{} ({}{})",
            file.path.display(),
            file.origin.describe(),
            if file.exists { "" } else { "; not found" }
        ),
        None => "none (no home directory; give one with --config PATH)".to_owned(),
    };
    let log_line = invocation
        .cli
        .global
        .log_file
        .clone()
        .or_else(config::default_log_path)
        .map_or_else(|| "none".to_owned(), |p| p.display().to_string());
    out.push_str(&format!("config file  {file_line}\n"));
    out.push_str(&format!("log file     {log_line}\n"));
    out.push_str(&format!("command      callwatch {name}\n"));
    let settings = config::settings(&invocation);
    let (keys, credentials): (Vec<_>, Vec<_>) = settings
        .iter()
        .partition(|s| config::keys::key(&s.name).is_some());
    let row = |s: &config::Setting| {
        let value = match (&s.value, s.secret) {
            (None, _) => "-".to_owned(),
            (Some(v), true) => mask_secret(v),
            (Some(v), false) if v.is_empty() => "\"\"".to_owned(),
            // A URL's password (`--public-url https://user:pass@…`) is shown as `•••`.
            (Some(v), false) => display_url(v).into_owned(),
        };
        let mut from = s.source.to_string();
        if invocation.set_aside.contains(&s.name.as_str()) {
            from.push_str(" (the file's value is set aside: a flag given conflicts with it)");
        }
        [s.name.clone(), value, from]
    };
    if !keys.is_empty() {
        out.push('\n');
        let mut table = TextTable::new(["SETTING", "VALUE", "FROM"]);
        for s in keys {
            table.row(row(s));
        }
        out.push_str(&table.render());
    }
    if !credentials.is_empty() {
        out.push('\n');
        let mut table = TextTable::new(["CREDENTIAL", "VALUE", "FROM"]);
        for s in credentials {
            let [_, value, from] = row(s);
            let name = s.env.clone().unwrap_or_else(|| format!("--{}", s.name));
            let from = if s.source == Source::Unset {
                "not set".to_owned()
            } else {
                from
            };
            table.row([name, value, from]);
        }
        out.push_str(&table.render());
    }
    Ok(out)
}

/// `text` in lines of at most `width` characters, broken at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::file::parse;
    use crate::config::keys::KEYS;

    #[test]
    fn the_template_is_valid_toml_with_every_key_and_each_line_uncommented_is_too() {
        let text = template();
        assert!(parse("template", &text).unwrap().is_empty());
        for key in KEYS {
            let prefix = format!("# {} = ", key.name);
            let line = text
                .lines()
                .find(|l| l.starts_with(&prefix))
                .unwrap_or_else(|| panic!("no line for `{}`", key.name));
            let entries = parse("template", &line[2..]).unwrap();
            assert_eq!(entries.len(), 1, "{line}");
        }
    }

    #[test]
    fn long_descriptions_wrap_at_spaces() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("", 5), Vec::<String>::new());
    }
}
