//! The Twilio credentials flags ([`ApiAuthArgs`]) that every command talking to Twilio's APIs
//! flattens in, and `--auth-token-file`, read once for every command that takes one.

use std::fmt;
use std::path::{Path, PathBuf};

use clap::ArgMatches;
use clap::parser::ValueSource;

use super::{Command, UsageError};
use crate::twilio::api::{ApiError, Credentials, DEFAULT_API_BASE, EventsClient};
use crate::twilio::insights_api::DEFAULT_INSIGHTS_API_BASE;

/// Where the Events API is and who is calling it. Flattened into every command that talks to
/// Twilio; the flags are global so they may follow the subcommand.
#[derive(Clone, clap::Args)]
pub struct ApiAuthArgs {
    /// Base URL of the Events API (for tests and proxies).
    #[arg(
        long = "api-base",
        env = "CALLWATCH_EVENTS_API_BASE",
        default_value = DEFAULT_API_BASE,
        value_name = "URL",
        global = true
    )]
    pub api_base: String,

    /// Twilio Account SID (AC…), used with --auth-token.
    #[arg(long, env = "TWILIO_ACCOUNT_SID", value_name = "SID", global = true)]
    pub account_sid: Option<String>,

    /// Auth Token of the account: authenticates API requests (unless an API key is given), and
    /// is the key Twilio signs deliveries with.
    #[arg(
        long,
        env = "TWILIO_AUTH_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN",
        global = true
    )]
    pub auth_token: Option<String>,

    /// Read the Auth Token from this file instead of --auth-token (surrounding whitespace and
    /// the final newline are ignored), so that it is not in the process list.
    #[arg(long, value_name = "PATH", global = true)]
    pub auth_token_file: Option<PathBuf>,

    /// API Key SID (SK…), used with --api-secret instead of the Auth Token.
    #[arg(long, env = "TWILIO_API_KEY", value_name = "SID", global = true)]
    pub api_key: Option<String>,

    /// Secret of the API key.
    #[arg(
        long,
        env = "TWILIO_API_SECRET",
        hide_env_values = true,
        value_name = "SECRET",
        global = true
    )]
    pub api_secret: Option<String>,
}

impl fmt::Debug for ApiAuthArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |secret: &Option<String>| secret.as_ref().map(|_| "<redacted>");
        f.debug_struct("ApiAuthArgs")
            .field("api_base", &self.api_base)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &shown(&self.auth_token))
            .field("auth_token_file", &self.auth_token_file)
            .field("api_key", &self.api_key)
            .field("api_secret", &shown(&self.api_secret))
            .finish()
    }
}

impl ApiAuthArgs {
    /// The credentials to use: an API key when both its parts are given, else the Account SID
    /// and Auth Token. The error names the variables that are missing.
    pub fn credentials(&self) -> anyhow::Result<Credentials> {
        let given = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let (account_sid, auth_token) = (given(&self.account_sid), given(&self.auth_token));
        let (api_key, api_secret) = (given(&self.api_key), given(&self.api_secret));
        match (api_key, api_secret, account_sid, auth_token) {
            (Some(key), Some(secret), _, _) => Ok(Credentials::from_api_key(key, secret)),
            (_, _, Some(sid), Some(token)) => Ok(Credentials::from_auth_token(sid, token)),
            (key, secret, sid, token) => {
                let mut partial = Vec::new();
                if key.is_some() {
                    partial.push("TWILIO_API_KEY is set but TWILIO_API_SECRET is not");
                }
                if secret.is_some() {
                    partial.push("TWILIO_API_SECRET is set but TWILIO_API_KEY is not");
                }
                if sid.is_some() {
                    partial.push("TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not");
                }
                if token.is_some() {
                    partial.push("TWILIO_AUTH_TOKEN is set but TWILIO_ACCOUNT_SID is not");
                }
                let detail = if partial.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", partial.join("; "))
                };
                // Like `listen` without a token: the command cannot start as given (exit 2).
                Err(UsageError(format!(
                    "no Twilio credentials{detail}: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, \
                     or TWILIO_API_KEY and TWILIO_API_SECRET (or pass --account-sid/--auth-token \
                     or --api-key/--api-secret)"
                ))
                .into())
            }
        }
    }

    /// A client for the configured API base with these credentials.
    pub fn events_client(&self) -> anyhow::Result<EventsClient> {
        let credentials = self.credentials()?;
        EventsClient::new(&self.api_base, credentials).map_err(|e| match e {
            ApiError::BadBaseUrl { .. } => UsageError(format!(
                "{e}; set --api-base (or CALLWATCH_EVENTS_API_BASE, or api-base in the config \
                 file) to a URL such as {DEFAULT_API_BASE}"
            ))
            .into(),
            other => other.into(),
        })
    }
}

/// `--insights-api-base`: where the Voice Insights API is (`poll`, `call`, `annotate`,
/// `listen --since`).
#[derive(Debug, Clone, clap::Args)]
pub struct InsightsBaseArgs {
    /// Base URL of the Voice Insights API (tests, proxies).
    #[arg(
        long,
        env = "CALLWATCH_INSIGHTS_API_BASE",
        default_value = DEFAULT_INSIGHTS_API_BASE,
        value_name = "URL"
    )]
    pub insights_api_base: String,
}

/// Replaces the `--auth-token-file` of any command that takes one by the token it holds, so
/// that every runner reads `auth_token` as if it had been given with `--auth-token`.
/// `matches` (the parse of the same command line) tells `--auth-token` on the command line,
/// which is refused alongside the file, from `TWILIO_AUTH_TOKEN`, which the file beats as any
/// flag beats its variable. (clap's `conflicts_with` would count the variable too.)
pub fn read_auth_token_files(
    command: &mut Command,
    matches: &ArgMatches,
) -> Result<(), UsageError> {
    let (token, file) = match command {
        Command::Listen(a) => (&mut a.api.auth_token, &a.api.auth_token_file),
        Command::Setup(a) => (&mut a.listen.api.auth_token, &a.listen.api.auth_token_file),
        Command::Sinks(a) => (&mut a.api.auth_token, &a.api.auth_token_file),
        Command::Subscriptions(a) => (&mut a.api.auth_token, &a.api.auth_token_file),
        Command::Types(a) => (&mut a.api.auth_token, &a.api.auth_token_file),
        Command::Send(a) => (&mut a.auth_token, &a.auth_token_file),
        Command::Verify(a) => (&mut a.auth_token, &a.auth_token_file),
        Command::Replay(a) => (&mut a.auth_token, &a.auth_token_file),
        Command::Poll(a) => (&mut a.api.auth_token, &a.api.auth_token_file),
        Command::Call(a) => (&mut a.api.auth_token, &a.api.auth_token_file),
        Command::Annotate(a) => (&mut a.api.auth_token, &a.api.auth_token_file),
        Command::Demo(_)
        | Command::Kinesis(_)
        | Command::Export(_)
        | Command::Config(_)
        | Command::Completions(_)
        | Command::Man(_) => return Ok(()),
    };
    if let Some(path) = file {
        if given_on_command_line(matches, "auth_token") {
            return Err(UsageError(
                "--auth-token and --auth-token-file both give the auth token: pass one of them"
                    .into(),
            ));
        }
        *token = Some(auth_token_from_file(path)?);
    }
    Ok(())
}

/// True when the argument `id` of the command that runs (or of a command above it) was given
/// as a flag, not by its environment variable or a default.
fn given_on_command_line(matches: &ArgMatches, id: &str) -> bool {
    let mut current = Some(matches);
    while let Some(m) = current {
        // `try_contains_id` first: `value_source` panics for an id this level does not define.
        if m.try_contains_id(id).unwrap_or(false)
            && m.value_source(id) == Some(ValueSource::CommandLine)
        {
            return true;
        }
        current = m.subcommand().map(|(_, sub)| sub);
    }
    false
}

/// The auth token in the file at `path`: its content without surrounding whitespace (the
/// final newline an editor adds). Neither the token nor any of the file is ever in a message.
pub fn auth_token_from_file(path: &Path) -> Result<String, UsageError> {
    let content = std::fs::read(path).map_err(|e| {
        UsageError(format!(
            "cannot read --auth-token-file {}: {e}",
            path.display()
        ))
    })?;
    let text = String::from_utf8(content).map_err(|_| {
        UsageError(format!(
            "--auth-token-file {} is not text: it must hold the auth token alone",
            path.display()
        ))
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(UsageError(format!(
            "--auth-token-file {} is empty: it must hold the auth token (the account's, from \
             the Twilio console)",
            path.display()
        )));
    }
    if token.contains(char::is_whitespace) {
        return Err(UsageError(format!(
            "--auth-token-file {} holds more than one word: it must hold the auth token alone",
            path.display()
        )));
    }
    Ok(token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(
        sid: Option<&str>,
        token: Option<&str>,
        key: Option<&str>,
        secret: Option<&str>,
    ) -> ApiAuthArgs {
        ApiAuthArgs {
            api_base: DEFAULT_API_BASE.to_owned(),
            account_sid: sid.map(str::to_owned),
            auth_token: token.map(str::to_owned),
            auth_token_file: None,
            api_key: key.map(str::to_owned),
            api_secret: secret.map(str::to_owned),
        }
    }

    #[test]
    fn an_api_key_pair_wins_over_the_auth_token() {
        let credentials = auth(Some("AC1"), Some("tok"), Some("SK1"), Some("sec"))
            .credentials()
            .unwrap();
        assert_eq!(credentials.username(), "SK1");
        let credentials = auth(Some("AC1"), Some("tok"), Some("SK1"), None)
            .credentials()
            .unwrap();
        assert_eq!(credentials.username(), "AC1");
    }

    #[test]
    fn missing_credentials_name_the_variables() {
        let error = auth(None, None, None, None)
            .credentials()
            .unwrap_err()
            .to_string();
        for name in [
            "TWILIO_ACCOUNT_SID",
            "TWILIO_AUTH_TOKEN",
            "TWILIO_API_KEY",
            "TWILIO_API_SECRET",
        ] {
            assert!(error.contains(name), "{error}");
        }
        let error = auth(Some("AC1"), Some("  "), None, None)
            .credentials()
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not"),
            "{error}"
        );
    }

    #[test]
    fn debug_of_the_flags_hides_secrets() {
        let text = format!(
            "{:?}",
            auth(Some("AC1"), Some("tok-xyz"), Some("SK1"), Some("sec-xyz"))
        );
        assert!(!text.contains("xyz"), "{text}");
        assert!(text.contains("AC1") && text.contains("SK1"), "{text}");
    }
}
