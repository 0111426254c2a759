//! Reading the config file: TOML, flat, one value per key of [`super::keys::KEYS`]. Every
//! mistake (bad syntax, an unknown key, a wrong type, a credential) is a [`ConfigError`] that
//! names the file, the line and the key.

use std::path::{Path, PathBuf};

use super::keys::{self, Key, ValueKind};

/// Where the path of the config file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigOrigin {
    /// `--config PATH`.
    Flag,
    /// `CALLWATCH_CONFIG`.
    Env,
    /// The platform's config directory: the file is optional there.
    DefaultLocation,
}

impl ConfigOrigin {
    /// How to name the origin in messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Flag => "--config",
            Self::Env => "CALLWATCH_CONFIG",
            Self::DefaultLocation => "default location",
        }
    }
}

/// One value set by the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Which key.
    pub key: &'static Key,
    /// The value as a flag would take it (`8080`, `true`, `https://…`).
    pub value: String,
    /// Its line in the file, from 1.
    pub line: usize,
}

/// The config file in use, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    /// Its path.
    pub path: PathBuf,
    /// Why this path.
    pub origin: ConfigOrigin,
    /// False when the default location holds no file (which is fine).
    pub exists: bool,
    /// The values it sets, in file order.
    pub entries: Vec<Entry>,
}

/// A config file that cannot be used (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file named by `--config` or `CALLWATCH_CONFIG` does not exist, or cannot be read.
    #[error(
        "cannot read the config file {path} (from {origin}): {message}; \
         `callwatch config template > FILE` writes one to start from"
    )]
    Read {
        /// The file.
        path: String,
        /// [`ConfigOrigin::describe`].
        origin: &'static str,
        /// The operating system's message.
        message: String,
    },
    /// The file is read but wrong at one place.
    #[error("config file {path}, line {line}{}: {message}", key.as_ref().map(|k| format!(", key `{k}`")).unwrap_or_default())]
    Invalid {
        /// The file.
        path: String,
        /// From 1.
        line: usize,
        /// The key on that line, when there is one.
        key: Option<String>,
        /// What is wrong and what to write instead.
        message: String,
    },
}

impl ConfigFile {
    /// Reads the file at `path`. A missing file is an error only when it was asked for by
    /// name (`--config`, `CALLWATCH_CONFIG`).
    pub fn load(path: &Path, origin: ConfigOrigin) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    && origin == ConfigOrigin::DefaultLocation =>
            {
                return Ok(Self {
                    path: path.to_owned(),
                    origin,
                    exists: false,
                    entries: Vec::new(),
                });
            }
            Err(e) => {
                return Err(ConfigError::Read {
                    path: path.display().to_string(),
                    origin: origin.describe(),
                    message: e.to_string(),
                });
            }
        };
        let entries = parse(&path.display().to_string(), &text)?;
        Ok(Self {
            path: path.to_owned(),
            origin,
            exists: true,
            entries,
        })
    }

    /// The value the file sets for `key`, if any.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key.name == key)
    }
}

/// The keys and values of a config file's text; `shown_path` names it in errors.
pub fn parse(shown_path: &str, text: &str) -> Result<Vec<Entry>, ConfigError> {
    type Document = std::collections::BTreeMap<toml::Spanned<String>, toml::Spanned<toml::Value>>;
    let invalid = |offset: usize, key: Option<String>, message: String| ConfigError::Invalid {
        path: shown_path.to_owned(),
        line: line_of(text, offset),
        key,
        message,
    };
    let document: Document = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let message = e.message().trim().to_owned();
        invalid(offset, key_on_line(text, offset), message)
    })?;
    let mut found: Vec<(&toml::Spanned<String>, &toml::Spanned<toml::Value>)> =
        document.iter().collect();
    found.sort_by_key(|(name, _)| name.span().start);
    let mut entries = Vec::with_capacity(found.len());
    for (name, value) in found {
        let offset = name.span().start;
        let fail = |message: String| invalid(offset, Some(name.get_ref().clone()), message);
        if let Some(variable) = credential_inside(name.get_ref(), value.get_ref()) {
            let file_flag = if variable == "TWILIO_AUTH_TOKEN" {
                ", or keep it in a file of its own and pass --auth-token-file PATH"
            } else {
                ""
            };
            return Err(fail(format!(
                "credentials are never read from the config file: set {variable} in the \
                 environment (or pass it as a flag){file_flag}, and delete this line"
            )));
        }
        let Some(key) = keys::key(name.get_ref()) else {
            let list = keys::KEYS
                .iter()
                .map(|k| k.name)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(fail(
                match (value.get_ref(), keys::did_you_mean(name.get_ref())) {
                    (toml::Value::Table(_), _) => format!(
                        "the config file has no sections: write every key at the top level. \
                     Keys: {list}"
                    ),
                    (_, Some(suggestion)) => {
                        format!("unknown key; did you mean `{suggestion}`? Keys: {list}")
                    }
                    (_, None) => format!("unknown key. Keys: {list}"),
                },
            ));
        };
        let text_value = match (key.kind, value.get_ref()) {
            (ValueKind::Text, toml::Value::String(s)) => s.clone(),
            (ValueKind::Integer, toml::Value::Integer(n)) => n.to_string(),
            (ValueKind::Bool, toml::Value::Boolean(b)) => b.to_string(),
            (kind, _) => {
                return Err(fail(format!(
                    "`{}` takes {}, e.g. {}",
                    key.name,
                    kind.described(),
                    example_line(key)
                )));
            }
        };
        entries.push(Entry {
            key,
            value: text_value,
            line: line_of(text, offset),
        });
    }
    Ok(entries)
}

/// The line (from 1) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The key written on the line holding `offset` (`port = x` → `port`), for syntax errors.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let line = text.lines().nth(line_of(text, offset) - 1)?;
    let (name, _) = line.split_once('=')?;
    let name = name.trim().trim_matches('"');
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    plain.then(|| name.to_owned())
}

/// The variable to use instead, when `name`, or a key of a table under it, is a credential.
fn credential_inside(name: &str, value: &toml::Value) -> Option<&'static str> {
    keys::credential_variable(name).or_else(|| match value {
        toml::Value::Table(table) => table
            .iter()
            .find_map(|(inner, value)| credential_inside(inner, value)),
        _ => None,
    })
}

/// Sets `key = "value"` in the config file at `path`: the line that sets `key` is replaced, or
/// the line added at the end (the file is created when missing); every other line stays as it
/// was. Written to a file beside it and renamed over it, so that a crash leaves the old file
/// or the new one. A path that is not a regular file (`/dev/null`) is refused.
pub fn save_value(path: &Path, key: &str, value: &str) -> Result<(), std::io::Error> {
    use std::io::{Error, ErrorKind};
    let text = match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("{} is not a regular file", path.display()),
            ));
        }
        Ok(_) => std::fs::read_to_string(path)?,
        Err(e) if e.kind() == ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let line = format!("{key} = {}", toml::Value::String(value.to_owned()));
    let sets_key = |l: &str| {
        l.split_once('=')
            .is_some_and(|(name, _)| name.trim().trim_matches('"') == key)
    };
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    match lines.iter_mut().find(|l| sets_key(l)) {
        Some(l) => *l = line,
        None => lines.push(line),
    }
    let mut out = lines.join("\n");
    out.push('\n');
    // The new text must read back as a config file before it replaces the old one.
    parse(&path.display().to_string(), &out)
        .map_err(|e| Error::new(ErrorKind::InvalidData, e.to_string()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut temp = path.as_os_str().to_owned();
    temp.push(".callwatch-new");
    let temp = PathBuf::from(temp);
    std::fs::write(&temp, out)?;
    std::fs::rename(&temp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

/// `port = 8080`, `bind = "127.0.0.1"`, for messages.
pub fn example_line(key: &Key) -> String {
    let value = match key.kind {
        ValueKind::Integer if key.name == "port" => "8080".to_owned(),
        ValueKind::Integer => "503".to_owned(),
        ValueKind::Bool => "true".to_owned(),
        ValueKind::Text if !key.example.is_empty() => format!("\"{}\"", key.example),
        ValueKind::Text => "\"...\"".to_owned(),
    };
    format!("{} = {value}", key.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> (usize, Option<String>, String) {
        match parse("config.toml", text) {
            Err(ConfigError::Invalid {
                line, key, message, ..
            }) => (line, key, message),
            other => panic!("expected an error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn values_of_each_kind_are_read_with_their_lines() {
        let entries = parse(
            "c",
            "# comment\nport = 9000\n\nbind = \"0.0.0.0\"\nmask = true\n",
        )
        .unwrap();
        let seen: Vec<(&str, &str, usize)> = entries
            .iter()
            .map(|e| (e.key.name, e.value.as_str(), e.line))
            .collect();
        assert_eq!(
            seen,
            [
                ("port", "9000", 2),
                ("bind", "0.0.0.0", 4),
                ("mask", "true", 5)
            ]
        );
    }

    #[test]
    fn mistakes_name_the_line_and_the_key() {
        let (line, key, message) = error_of("bind = \"x\"\nprot = 8080\n");
        assert_eq!((line, key.as_deref()), (2, Some("prot")));
        assert!(message.contains("did you mean `port`?"), "{message}");

        let (line, key, message) = error_of("\n\nport = \"8080\"\n");
        assert_eq!((line, key.as_deref()), (3, Some("port")));
        assert!(message.contains("a number without quotes"), "{message}");

        let (line, key, message) = error_of("mask = true\nport = 80 80\n");
        assert_eq!((line, key.as_deref()), (2, Some("port")), "{message}");

        let (line, key, _) = error_of("output = \"tui\n");
        assert_eq!((line, key.as_deref()), (1, Some("output")));
    }

    #[test]
    fn credentials_are_refused_with_the_variable_to_use() {
        let (line, key, message) = error_of("port = 1\nauth_token = \"abc\"\n");
        assert_eq!((line, key.as_deref()), (2, Some("auth_token")));
        assert!(message.contains("TWILIO_AUTH_TOKEN"), "{message}");
        assert!(message.contains("--auth-token-file PATH"), "{message}");
        assert!(
            !message.contains("abc"),
            "the value is never repeated: {message}"
        );

        let (_, key, message) = error_of("[twilio]\napi_secret = \"s\"\n");
        assert_eq!(key.as_deref(), Some("twilio"));
        assert!(message.contains("TWILIO_API_SECRET"), "{message}");
    }

    #[test]
    fn sections_are_refused() {
        let (_, _, message) = error_of("[listen]\nport = 1\n");
        assert!(message.contains("no sections"), "{message}");
    }

    #[test]
    fn a_missing_default_file_is_fine_but_a_named_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.toml");
        let file = ConfigFile::load(&path, ConfigOrigin::DefaultLocation).unwrap();
        assert!(!file.exists && file.entries.is_empty());
        let error = ConfigFile::load(&path, ConfigOrigin::Flag).unwrap_err();
        assert!(error.to_string().contains("from --config"), "{error}");
    }
}
