//! From the command line, the environment and the config file to a parsed [`Cli`]: each value
//! of the file becomes the runtime default of the matching flag, so that clap's own order
//! (flag, then environment variable, then default) gives flag > environment > file > built-in
//! default, and [`ArgMatches::value_source`] says where each value came from.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command, CommandFactory, FromArgMatches};

use super::file::{ConfigError, ConfigFile, ConfigOrigin, Entry};
use super::keys::{KEYS, Key, ValueKind};
use crate::cli::Cli;

/// Why the command line could not be turned into a [`Cli`].
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A usage error, or `--help` / `--version` (clap prints and exits).
    #[error(transparent)]
    Clap(#[from] clap::Error),
    /// The config file is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// A parsed command line, with what the config file contributed.
#[derive(Debug)]
pub struct Invocation {
    /// The typed flags.
    pub cli: Cli,
    /// The raw matches, for [`ArgMatches::value_source`].
    pub matches: ArgMatches,
    /// The config file in use (`None` only without a home directory and without `--config`).
    pub file: Option<ConfigFile>,
    /// Keys of the file that a conflicting flag set aside (`tunnel` in the file, `--public-url`
    /// on the command line).
    pub set_aside: Vec<&'static str>,
}

/// Where the value of one setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A flag on the command line (`--port`).
    Flag(String),
    /// An environment variable.
    Env(String),
    /// The config file, at this line.
    File(usize),
    /// The built-in default.
    Default,
    /// Nowhere: the setting has no value.
    Unset,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Flag(flag) => write!(f, "flag {flag}"),
            Self::Env(name) => write!(f, "env {name}"),
            Self::File(line) => write!(f, "file, line {line}"),
            Self::Default => f.write_str("default"),
            Self::Unset => f.write_str("not set"),
        }
    }
}

/// One effective setting of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The key, or the flag's long name for credentials.
    pub name: String,
    /// The value as given (`None` when unset). Secrets are the caller's to mask: see
    /// [`Setting::secret`].
    pub value: Option<String>,
    /// Where it came from.
    pub source: Source,
    /// The environment variable that sets it, if any.
    pub env: Option<String>,
    /// A secret: never show `value` in full.
    pub secret: bool,
}

/// The command definitions as callwatch runs them, without any config file: the derive
/// definitions, plus the environment variables of the config keys and the paths of the config
/// file and the log at the end of `--help`. `--help`, completions and the man page come from it.
pub fn command() -> Command {
    with_keys(with_files_help(Cli::command()), None, &[])
}

/// Parses `args` (the program name first) with the config file that `--config`,
/// `CALLWATCH_CONFIG` or the default location names.
pub fn parse_args(args: &[OsString]) -> Result<Invocation, StartError> {
    let loaded = locate(args).map(|(path, origin)| {
        ConfigFile::load(&path, origin).and_then(|file| check_entries(&file).map(|()| file))
    });
    let file = match loaded {
        None => None,
        Some(Ok(file)) => Some(file),
        Some(Err(error)) => {
            works_without_settings(args, &error)?;
            None
        }
    };
    let mut set_aside: Vec<&'static str> = Vec::new();
    loop {
        let mut cmd = with_keys(with_files_help(Cli::command()), file.as_ref(), &set_aside);
        let matches = cmd.try_get_matches_from_mut(args)?;
        let overruled = overruled_by_flags(&cmd, &matches, file.as_ref(), &set_aside);
        if overruled.is_empty() {
            let cli = Cli::from_arg_matches(&matches)?;
            return Ok(Invocation {
                cli,
                matches,
                file,
                set_aside,
            });
        }
        // Parse again without them: a file value must never clash with a flag.
        set_aside.extend(overruled);
    }
}

/// `--help`, `--version`, `config path`, `config template`, `completions` and `man` still work
/// when the config file is broken (they are how one fixes it): `Ok` after a warning for those,
/// the error for everything else.
fn works_without_settings(args: &[OsString], error: &ConfigError) -> Result<(), StartError> {
    let mut cmd = with_keys(with_files_help(Cli::command()), None, &[]);
    match cmd.try_get_matches_from_mut(args) {
        Err(e) if !e.use_stderr() => Err(StartError::Clap(e)),
        Ok(matches) => {
            let harmless = match matches.subcommand() {
                Some(("completions" | "man", _)) => true,
                Some(("config", sub)) => matches!(sub.subcommand_name(), Some("path" | "template")),
                _ => false,
            };
            if harmless {
                eprintln!(
                    "warning: {}",
                    crate::text::terminal_safe_lines(&error.to_string())
                );
                Ok(())
            } else {
                Err(StartError::Config(error.clone()))
            }
        }
        Err(_) => Err(StartError::Config(error.clone())),
    }
}

/// The config file to read, and why: `--config PATH` (looked for before clap parses, since
/// the file changes what clap is given), `CALLWATCH_CONFIG`, else the default location.
pub fn locate(args: &[OsString]) -> Option<(PathBuf, ConfigOrigin)> {
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        if arg == "--" {
            break;
        }
        if arg == "--config" {
            return rest
                .next()
                .map(|path| (PathBuf::from(path), ConfigOrigin::Flag));
        }
        if let Some(path) = arg.to_str().and_then(|a| a.strip_prefix("--config=")) {
            return Some((PathBuf::from(path), ConfigOrigin::Flag));
        }
    }
    if let Some(path) = std::env::var_os("CALLWATCH_CONFIG").filter(|p| !p.is_empty()) {
        return Some((PathBuf::from(path), ConfigOrigin::Env));
    }
    super::default_config_path().map(|path| (path, ConfigOrigin::DefaultLocation))
}

/// The effective settings of the command that `invocation` runs: every config key the
/// command has, then its credentials (flags that Twilio's variables or a hidden env value set).
pub fn settings(invocation: &Invocation) -> Vec<Setting> {
    let Some((name, matches)) = invocation.matches.subcommand() else {
        return Vec::new();
    };
    let cmd = command();
    let Some(sub) = cmd.find_subcommand(name) else {
        return Vec::new();
    };
    let mut settings = Vec::new();
    for key in KEYS.iter().filter(|k| k.applies_to(name)) {
        let Some(arg) = find_long(sub, key.name) else {
            continue;
        };
        let entry = invocation
            .file
            .as_ref()
            .and_then(|f| f.entry(key.name))
            .filter(|_| !invocation.set_aside.contains(&key.name));
        settings.push(setting(arg, key.name, matches, entry));
    }
    for arg in sub.get_arguments() {
        let credential = arg.is_hide_env_values_set()
            || arg
                .get_env()
                .is_some_and(|env| env.to_string_lossy().starts_with("TWILIO_"));
        if credential && let Some(long) = arg.get_long() {
            settings.push(setting(arg, long, matches, None));
        }
    }
    settings
}

/// What the command definitions say about one key, for the template.
#[derive(Debug, Clone)]
pub struct KeyFacts {
    /// The key.
    pub key: &'static Key,
    /// The top-level commands whose flag it sets.
    pub commands: Vec<String>,
    /// The flag's built-in default, if it has one (switches: none, they are off).
    pub default: Option<String>,
    /// The environment variable that beats the file.
    pub env: Option<String>,
}

/// Every key with the commands it applies to, its built-in default and its variable.
pub fn key_facts() -> Vec<KeyFacts> {
    let cmd = command();
    KEYS.iter()
        .map(|key| {
            let mut facts = KeyFacts {
                key,
                commands: Vec::new(),
                default: None,
                env: None,
            };
            for sub in cmd
                .get_subcommands()
                .filter(|s| key.applies_to(s.get_name()))
            {
                let Some(arg) = find_long(sub, key.name) else {
                    continue;
                };
                facts.commands.push(sub.get_name().to_owned());
                let values: Vec<String> = arg
                    .get_default_values()
                    .iter()
                    .map(|v| v.to_string_lossy().into_owned())
                    .collect();
                if facts.default.is_none() && !values.is_empty() && key.kind != ValueKind::Bool {
                    facts.default = Some(values.join(" "));
                }
                if facts.env.is_none() {
                    facts.env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
                }
            }
            facts
        })
        .collect()
}

/// One setting from the matches of its command.
fn setting(arg: &Arg, name: &str, matches: &ArgMatches, entry: Option<&Entry>) -> Setting {
    let id = arg.get_id().as_str();
    let value = matches.get_raw(id).map(|values| {
        values
            .map(|v| v.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    });
    let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
    let source = match matches.value_source(id) {
        Some(ValueSource::CommandLine) => Source::Flag(format!("--{name}")),
        Some(ValueSource::EnvVariable) => Source::Env(env.clone().unwrap_or_default()),
        Some(ValueSource::DefaultValue) => match entry {
            Some(entry) => Source::File(entry.line),
            None => Source::Default,
        },
        _ => Source::Unset,
    };
    Setting {
        name: name.to_owned(),
        value,
        source,
        env,
        secret: arg.is_hide_env_values_set(),
    }
}

/// The argument whose long flag is `long`.
fn find_long<'a>(cmd: &'a Command, long: &str) -> Option<&'a Arg> {
    cmd.get_arguments().find(|a| a.get_long() == Some(long))
}

/// Adds the config file and log paths to the end of the top-level `--help`.
fn with_files_help(cmd: Command) -> Command {
    let shown = |path: Option<PathBuf>| {
        path.map_or_else(
            || "(no home directory: give a path)".to_owned(),
            |p| p.display().to_string(),
        )
    };
    let before = cmd
        .get_after_help()
        .map(|text| format!("{text}\n\n"))
        .unwrap_or_default();
    let text = format!(
        "{before}Files:\n  \
         config  {}\n          \
         (--config PATH or CALLWATCH_CONFIG; `callwatch config template` writes one)\n  \
         log     {}\n          \
         (--log-file PATH; more detail with -v, -vv or RUST_LOG)",
        shown(super::default_config_path()),
        shown(super::default_log_path()),
    );
    cmd.after_help(text)
}

/// Gives each key's flag its environment variable and, from the file, its default; keys in
/// `set_aside` keep their built-in default.
fn with_keys(mut cmd: Command, file: Option<&ConfigFile>, set_aside: &[&str]) -> Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        let top = name.clone();
        cmd = cmd.mut_subcommand(&name, |sub| with_keys_under(sub, &top, file, set_aside));
    }
    cmd
}

/// [`with_keys`] for one command and the commands under it; `top` is the top-level command
/// that [`Key::only`] names.
fn with_keys_under(
    mut cmd: Command,
    top: &str,
    file: Option<&ConfigFile>,
    set_aside: &[&str],
) -> Command {
    for key in KEYS.iter().filter(|k| k.applies_to(top)) {
        let Some(id) = find_long(&cmd, key.name).map(|a| a.get_id().to_string()) else {
            continue;
        };
        let from_file = file
            .and_then(|f| f.entry(key.name))
            .filter(|_| !set_aside.contains(&key.name))
            .map(|e| e.value.clone());
        cmd = cmd.mut_arg(id, |mut arg| {
            if arg.get_env().is_none() && !key.env.is_empty() {
                arg = arg.env(key.env);
                if key.kind == ValueKind::Bool {
                    // CALLWATCH_MASK=0, =no, =off: what people write in the environment.
                    arg = arg.value_parser(BoolishValueParser::new());
                }
            }
            match from_file {
                Some(value) => arg.default_value(value),
                None => arg,
            }
        });
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(&name, |sub| with_keys_under(sub, top, file, set_aside));
    }
    cmd
}

/// The file's keys whose value a conflicting flag (or environment variable) given for this run
/// must win over, e.g. `tunnel = "ngrok"` in the file and `--public-url` on the command line.
fn overruled_by_flags(
    cmd: &Command,
    matches: &ArgMatches,
    file: Option<&ConfigFile>,
    set_aside: &[&str],
) -> Vec<&'static str> {
    let (Some(file), Some((name, sub_matches))) = (file, matches.subcommand()) else {
        return Vec::new();
    };
    let Some(sub) = cmd.find_subcommand(name) else {
        return Vec::new();
    };
    let explicit = |arg: &Arg| {
        matches!(
            sub_matches.value_source(arg.get_id().as_str()),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        )
    };
    let mut overruled = Vec::new();
    for entry in &file.entries {
        if set_aside.contains(&entry.key.name) || !entry.key.applies_to(name) {
            continue;
        }
        let Some(arg) = find_long(sub, entry.key.name) else {
            continue;
        };
        if sub_matches.value_source(arg.get_id().as_str()) != Some(ValueSource::DefaultValue) {
            continue;
        }
        if sub
            .get_arguments()
            .any(|other| explicit(other) && conflict(sub, arg, other))
        {
            overruled.push(entry.key.name);
        }
    }
    overruled
}

/// Whether `a` and `b` exclude each other (declared on either side).
fn conflict(cmd: &Command, a: &Arg, b: &Arg) -> bool {
    let names = |x: &Arg, y: &Arg| {
        cmd.get_arg_conflicts_with(x)
            .iter()
            .any(|c| c.get_id() == y.get_id())
    };
    names(a, b) || names(b, a)
}

/// Checks every value of the file as its flag would (ranges, choices, URLs, filter syntax)
/// and that no two keys exclude each other, so that a mistake names its line.
fn check_entries(file: &ConfigFile) -> Result<(), ConfigError> {
    let cmd = command();
    let invalid = |entry: &Entry, message: String| ConfigError::Invalid {
        path: file.path.display().to_string(),
        line: entry.line,
        key: Some(entry.key.name.to_owned()),
        message,
    };
    for entry in &file.entries {
        let arg = cmd
            .get_subcommands()
            .filter(|s| entry.key.applies_to(s.get_name()))
            .find_map(|s| find_long(s, entry.key.name));
        if let Some(arg) = arg
            && entry.key.kind != ValueKind::Bool
        {
            check_value(arg, &entry.value).map_err(|m| invalid(entry, m))?;
        }
        match entry.key.name {
            "filter" if !entry.value.trim().is_empty() => {
                crate::calls::filter::Filter::parse(&entry.value)
                    .map_err(|e| invalid(entry, format!("{e}\n  {}", e.pointer(&entry.value))))?;
            }
            "public-url" => crate::twilio::url::validate_public_url(&entry.value)
                .map_err(|e| invalid(entry, e.to_string()))?,
            "api-base" | "monitor-api-base" | "insights-api-base" => {
                let url = reqwest::Url::parse(entry.value.trim()).ok();
                if !url.is_some_and(|u| matches!(u.scheme(), "https" | "http") && u.has_host()) {
                    return Err(invalid(
                        entry,
                        format!(
                            "`{}` is not an http(s) URL, e.g. https://events.twilio.com",
                            entry.value
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    for (i, a) in file.entries.iter().enumerate() {
        for b in &file.entries[..i] {
            let clash = cmd.get_subcommands().any(|sub| {
                match (find_long(sub, a.key.name), find_long(sub, b.key.name)) {
                    (Some(x), Some(y)) => conflict(sub, x, y),
                    _ => false,
                }
            });
            if clash {
                return Err(invalid(
                    a,
                    format!(
                        "`{}` and `{}` (line {}) exclude each other: keep one of them",
                        a.key.name, b.key.name, b.line
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Runs `value` through `arg`'s own value parser; the error says why it was refused.
fn check_value(arg: &Arg, value: &str) -> Result<(), String> {
    let probe = Arg::new("value")
        .long("value")
        .action(ArgAction::Set)
        .value_parser(arg.get_value_parser().clone());
    let outcome = Command::new("callwatch")
        .no_binary_name(true)
        .arg(probe)
        .try_get_matches_from([format!("--value={value}")]);
    let Err(error) = outcome else {
        return Ok(());
    };
    use clap::error::{ContextKind, ContextValue};
    if let Some(ContextValue::Strings(valid)) = error.get(ContextKind::ValidValue) {
        return Err(format!("`{value}` is not one of {}", valid.join(", ")));
    }
    if let Some(source) = std::error::Error::source(&error) {
        return Err(format!("`{value}`: {source}"));
    }
    Err(format!("`{value}` is not a valid value"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::file::parse;

    fn file_with(text: &str) -> ConfigFile {
        ConfigFile {
            path: PathBuf::from("config.toml"),
            origin: ConfigOrigin::Flag,
            exists: true,
            entries: parse("config.toml", text).unwrap(),
        }
    }

    #[test]
    fn values_are_checked_by_the_flags_own_parser() {
        for (text, line, needle) in [
            ("port = 70000\n", 1, "70000"),
            ("\noutput = \"fancy\"\n", 2, "tui, ndjson, compact, quiet"),
            ("reject-status = 200\n", 1, "200"),
            ("color = \"blue\"\n", 1, "auto, always, never"),
            ("filter = \"carier=x\"\n", 1, "did you mean `carrier`?"),
            ("public-url = \"abc.ngrok.app\"\n", 1, "not an absolute URL"),
            (
                "public-url = \"https://a/events\"\ntunnel = \"ngrok\"\n",
                2,
                "exclude each other",
            ),
            ("tunnel = \"frp\"\n", 1, "ngrok"),
            (
                "api-base = \"events.twilio.com\"\n",
                1,
                "not an http(s) URL",
            ),
        ] {
            match check_entries(&file_with(text)) {
                Err(ConfigError::Invalid {
                    line: l, message, ..
                }) => {
                    assert_eq!(l, line, "{text}: {message}");
                    assert!(message.contains(needle), "{text}: {message}");
                }
                other => panic!("{text}: expected an error, got {other:?}"),
            }
        }
        assert!(
            check_entries(&file_with("port = 9000\nmask = true\nbind = \"0.0.0.0\"\n")).is_ok()
        );
    }

    #[test]
    fn every_key_belongs_to_a_flag_of_some_command() {
        for facts in key_facts() {
            assert!(
                !facts.commands.is_empty(),
                "`{}` sets no flag",
                facts.key.name
            );
        }
    }

    #[test]
    fn the_port_key_leaves_demo_alone() {
        let facts = key_facts();
        let port = facts.iter().find(|f| f.key.name == "port").unwrap();
        assert!(
            !port.commands.contains(&"demo".to_owned()),
            "{:?}",
            port.commands
        );
        assert_eq!(port.default.as_deref(), Some("8080"));
        assert_eq!(port.env.as_deref(), Some("CALLWATCH_PORT"));
    }
}
