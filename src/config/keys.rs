//! The keys of the config file: each one is the long name of a flag, with the type the file
//! must give it, the environment variable that overrides it, and a line for the template.
//! Credentials are not keys; [`credential_variable`] recognises them to refuse them by name.

use crate::text::edit_distance;

/// The TOML type a key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A quoted string: `bind = "0.0.0.0"`.
    Text,
    /// A bare number: `port = 8080`.
    Integer,
    /// `true` or `false`: `mask = true`.
    Bool,
}

impl ValueKind {
    /// How to write a value of this kind, for error messages.
    pub fn described(self) -> &'static str {
        match self {
            Self::Text => "a string in quotes",
            Self::Integer => "a number without quotes",
            Self::Bool => "true or false, without quotes",
        }
    }
}

/// One key of the config file.
#[derive(Debug, PartialEq, Eq)]
pub struct Key {
    /// The key, which is also the long flag it sets the default of (`port` → `--port`).
    pub name: &'static str,
    /// The TOML type it takes.
    pub kind: ValueKind,
    /// The environment variable that beats the file, added to the flag when it has none of its
    /// own; empty for keys that have none (`public-url` and `tunnel` exclude each other, and two
    /// variables set at once could only be an error).
    pub env: &'static str,
    /// The only commands it applies to; empty means every command that has the flag.
    pub only: &'static [&'static str],
    /// What it does, one line, for the template.
    pub about: &'static str,
    /// A value to show in the template when the flag has no built-in default.
    pub example: &'static str,
}

/// Every key, in the order of the template.
pub const KEYS: &[Key] = &[
    Key {
        name: "bind",
        kind: ValueKind::Text,
        env: "CALLWATCH_BIND",
        only: &[],
        about: "Address the listener binds: 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).",
        example: "",
    },
    Key {
        name: "port",
        kind: ValueKind::Integer,
        env: "CALLWATCH_PORT",
        // `demo` listens on a free loopback port of its own: a shared port would collide with
        // a running `listen`.
        only: &["listen", "setup"],
        about: "Port the listener binds; 0 picks a free one. (`demo` always picks its own.)",
        example: "",
    },
    Key {
        name: "public-url",
        kind: ValueKind::Text,
        env: "",
        only: &[],
        about: "The URL Twilio delivers to: exactly the sink's destination, since Twilio signs it. \
                Set public-url or tunnel, not both.",
        example: "https://abc123.ngrok.app/events",
    },
    Key {
        name: "tunnel",
        kind: ValueKind::Text,
        env: "",
        only: &[],
        about: "Find the public URL from a tunnel instead: ngrok or cloudflared.",
        example: "ngrok",
    },
    Key {
        name: "forward-to",
        kind: ValueKind::Text,
        env: "CALLWATCH_FORWARD_TO",
        only: &[],
        about: "POST every verified, non-duplicate delivery on to your own app too, \
                signed again for this URL with the same key.",
        example: "http://localhost:3000/twilio/events",
    },
    Key {
        name: "reject-status",
        kind: ValueKind::Integer,
        env: "CALLWATCH_REJECT_STATUS",
        only: &[],
        about: "HTTP status answered when a signature fails. Twilio never retries a 4xx; \
                503 makes it retry while you fix the cause.",
        example: "",
    },
    Key {
        name: "output",
        kind: ValueKind::Text,
        env: "CALLWATCH_OUTPUT",
        only: &[],
        about: "How to show calls: tui, ndjson, compact or quiet \
                (default: tui on a terminal, ndjson otherwise).",
        example: "tui",
    },
    Key {
        name: "filter",
        kind: ValueKind::Text,
        env: "CALLWATCH_FILTER",
        only: &[],
        about: "Show only calls matching this expression (README: \"Filter expressions\").",
        example: "state=fail carrier~vodafone",
    },
    Key {
        name: "mask",
        kind: ValueKind::Bool,
        env: "CALLWATCH_MASK",
        only: &[],
        about: "Mask phone numbers and IP addresses everywhere (demos, screenshots). \
                CALLWATCH_MASK=false turns it off again for one run.",
        example: "",
    },
    Key {
        name: "mouse",
        kind: ValueKind::Bool,
        env: "CALLWATCH_MOUSE",
        only: &[],
        about: "Let the mouse select rows, scroll, and sort by a column in the table.",
        example: "",
    },
    Key {
        name: "columns",
        kind: ValueKind::Text,
        env: "CALLWATCH_COLUMNS",
        only: &[],
        about: "The calls table's columns, in order (key `c` in the table chooses them and \
                saves them here). Columns: started, updated, sid, direction, from-to, type, \
                state, quality, summary, duration, pdd, from-carrier, to-carrier, hangup, q850, \
                sip, tags.",
        example: "started,sid,from-to,state,quality,summary,duration,from-carrier,to-carrier,hangup,q850,sip",
    },
    Key {
        name: "color",
        kind: ValueKind::Text,
        env: "CALLWATCH_COLOR",
        only: &[],
        about: "Colours in the table: auto (on unless NO_COLOR is set), always or never.",
        example: "",
    },
    Key {
        name: "api-base",
        kind: ValueKind::Text,
        env: "CALLWATCH_EVENTS_API_BASE",
        only: &[],
        about: "Base URL of Twilio's Events API (sinks, subscriptions; proxies and tests).",
        example: "",
    },
    Key {
        name: "monitor-api-base",
        kind: ValueKind::Text,
        env: "CALLWATCH_MONITOR_API_BASE",
        only: &[],
        about: "Base URL of Twilio's Monitor API, polled for the sink's failed deliveries.",
        example: "",
    },
    Key {
        name: "insights-api-base",
        kind: ValueKind::Text,
        env: "CALLWATCH_INSIGHTS_API_BASE",
        only: &[],
        about: "Base URL of Twilio's Voice Insights API (poll, call, annotate, --since).",
        example: "",
    },
];

/// The key named `name`, if there is one.
pub fn key(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

impl Key {
    /// Whether the key applies to the top-level command `command` (given it has the flag).
    pub fn applies_to(&self, command: &str) -> bool {
        self.only.is_empty() || self.only.contains(&command)
    }
}

/// The key meant by a misspelled or snake_case name: `public_url` → `public-url`, `prot` →
/// `port`.
pub fn did_you_mean(name: &str) -> Option<&'static str> {
    let normal = name.trim().to_ascii_lowercase().replace('_', "-");
    if let Some(k) = key(&normal) {
        return Some(k.name);
    }
    let limit = if normal.chars().count() >= 4 { 2 } else { 1 };
    KEYS.iter()
        .map(|k| (edit_distance(&normal, k.name), k.name))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, name)| name)
}

/// The environment variable to use instead, when `name` is a credential (`auth_token`,
/// `TWILIO_API_SECRET`, `token`, ...); `None` for anything else.
pub fn credential_variable(name: &str) -> Option<&'static str> {
    let normal = name.trim().to_ascii_lowercase().replace('_', "-");
    let normal = normal.strip_prefix("twilio-").unwrap_or(&normal);
    Some(match normal {
        "auth-token" | "token" | "authtoken" => "TWILIO_AUTH_TOKEN",
        "account-sid" | "account" | "sid" => "TWILIO_ACCOUNT_SID",
        "api-key" | "api-key-sid" => "TWILIO_API_KEY",
        "api-secret" | "api-key-secret" | "secret" | "password" => "TWILIO_API_SECRET",
        "shared-key-secret" | "shared-key" | "callwatch-shared-key-secret" => {
            "CALLWATCH_SHARED_KEY_SECRET"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspellings_and_snake_case_find_the_key() {
        assert_eq!(did_you_mean("public_url"), Some("public-url"));
        assert_eq!(did_you_mean("prot"), Some("port"));
        assert_eq!(did_you_mean("reject-stauts"), Some("reject-status"));
        assert_eq!(did_you_mean("colour"), Some("color"));
        assert_eq!(did_you_mean("something-else"), None);
    }

    #[test]
    fn credentials_are_recognised_in_any_spelling() {
        assert_eq!(credential_variable("auth_token"), Some("TWILIO_AUTH_TOKEN"));
        assert_eq!(
            credential_variable("TWILIO_AUTH_TOKEN"),
            Some("TWILIO_AUTH_TOKEN")
        );
        assert_eq!(credential_variable("api-secret"), Some("TWILIO_API_SECRET"));
        assert_eq!(
            credential_variable("shared_key_secret"),
            Some("CALLWATCH_SHARED_KEY_SECRET")
        );
        assert_eq!(credential_variable("port"), None);
    }

    #[test]
    fn key_names_are_unique_and_kebab_case() {
        for (i, k) in KEYS.iter().enumerate() {
            assert!(
                k.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                k.name
            );
            assert!(KEYS[..i].iter().all(|o| o.name != k.name), "{}", k.name);
            assert_eq!(credential_variable(k.name), None, "{}", k.name);
        }
    }
}
