//! `callwatch sinks`, `callwatch subscriptions` and `callwatch types`: the Events v1 API from the
//! command line, as aligned tables for people or `--json` for scripts.
//!
//! One file per resource (`sinks.rs`, `subscriptions.rs`, `types.rs`: flags, runner, table);
//! here is what they share: [`ApiAuthArgs`] (API base + credentials, also used by `setup`, which
//! needs the same client), `--json`, the table renderer and the writers to stdout.

use std::fmt;
use std::io::{self, Write};
use std::path::PathBuf;

use serde::Serialize;

use crate::twilio::api::{ApiError, Credentials, DEFAULT_API_BASE, EventsClient};

/// The paragraph about credentials that ends every `--help` here (a macro so `concat!` can
/// use it).
macro_rules! credentials_help {
    () => {
        "Credentials come from flags or the variables Twilio's own tools use: TWILIO_ACCOUNT_SID +
TWILIO_AUTH_TOKEN, or TWILIO_API_KEY + TWILIO_API_SECRET (an API key is used when both of
its parts are set). Secrets are never printed."
    };
}

// After the macro: a `macro_rules!` is only visible to the modules declared below it.
mod sinks;
mod subscriptions;
mod types;

pub(crate) use sinks::DEFAULT_SINK_DESCRIPTION;
pub use sinks::{SinksArgs, SinksCommand, run_sinks};
pub(crate) use subscriptions::DEFAULT_SUBSCRIPTION_DESCRIPTION;
pub use subscriptions::{SubscriptionsArgs, SubscriptionsCommand, run_subscriptions};
pub use types::{TypesArgs, run_types};

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
                Err(crate::commands::UsageError(format!(
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
            ApiError::BadBaseUrl { .. } => crate::commands::UsageError(format!(
                "{e}; set --api-base (or CALLWATCH_EVENTS_API_BASE, or api-base in the config \
                 file) to a URL such as {DEFAULT_API_BASE}"
            ))
            .into(),
            other => other.into(),
        })
    }
}

/// `--json`: machine-readable output.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct JsonFlag {
    /// Print the API objects as JSON (an array for lists) instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The `--json` answer of a delete.
#[derive(Serialize)]
struct Deleted {
    sid: String,
    deleted: bool,
}

fn or_dash(value: Option<&str>) -> String {
    match value {
        Some(v) if !v.trim().is_empty() => v.to_owned(),
        _ => "-".to_owned(),
    }
}

/// At most `max` characters on one line, `…` marking a cut.
fn shorten(value: Option<&str>, max: usize) -> String {
    let one_line = or_dash(value)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Writes `value` as pretty JSON, with the controls serde_json leaves raw escaped (see
/// [`crate::text::json_safe`]): the values are Twilio's, and still the same to a JSON reader.
fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut text = crate::text::json_safe(&serde_json::to_string_pretty(value)?).into_owned();
    text.push('\n');
    print_text(&text)
}

/// Writes to stdout, escaped but for line breaks (descriptions and URLs are Twilio's); a
/// closed pipe (`| head`) is not an error.
fn print_text(text: &str) -> anyhow::Result<()> {
    let text = crate::text::terminal_safe_lines(text);
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::TextTable;

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

    #[test]
    fn tables_align_columns_and_trim_line_ends() {
        let mut table = TextTable::new(["SID", "STATUS", "NOTE"]);
        table.row(["DG1".to_owned(), "active".to_owned(), "-".to_owned()]);
        table.row([
            "DG22222".to_owned(),
            "failed".to_owned(),
            "long note".to_owned(),
        ]);
        assert_eq!(
            table.render(),
            "SID      STATUS  NOTE\nDG1      active  -\nDG22222  failed  long note\n"
        );
    }

    #[test]
    fn long_descriptions_are_cut_on_one_line() {
        assert_eq!(shorten(Some("a\nb"), 10), "a b");
        assert_eq!(shorten(Some("abcdefghijkl"), 5), "abcd…");
        assert_eq!(shorten(None, 5), "-");
    }
}
