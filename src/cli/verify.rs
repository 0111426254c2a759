//! The flags of `callwatch verify`.

use std::path::PathBuf;

use clap::Args;

use super::UsageError;

use crate::twilio::signature::{Algorithm, Secrets, algorithm_from_settings};

/// `callwatch verify`.
#[derive(Debug, Clone, Args)]
#[command(after_help = "Examples:\n  \
TWILIO_AUTH_TOKEN=... callwatch verify \\\n    \
--url 'https://abc.ngrok.app/events?bodySHA256=f4dc494f…ab54' \\\n    \
--signature 'xWpMQ9oup5I4GzSsMkdAInacfMM=' --body-file delivery.json\n  \
pbpaste | callwatch verify --url \"$URL\" --signature \"$SIG\" --body-file -\n\n\
The URL is the full URL Twilio requested: the sink's destination plus the bodySHA256 query\n\
parameter it appended. The body file must hold the raw bytes as delivered (no added newline).\n\n\
Exit codes: 0 valid, 1 not valid, 2 usage error.")]
pub struct VerifyArgs {
    /// The full URL Twilio requested, including `?bodySHA256=…`.
    #[arg(long, value_name = "FULL_URL")]
    pub url: String,
    /// The X-Twilio-Signature header value.
    #[arg(long, value_name = "SIG")]
    pub signature: String,
    /// The raw body (`-` reads standard input).
    #[arg(long, value_name = "FILE")]
    pub body_file: PathBuf,
    /// Auth token of the account the sink belongs to.
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub auth_token: Option<String>,
    /// Read the auth token from this file instead of --auth-token (surrounding whitespace and
    /// the final newline are ignored), so that it is not in the process list.
    #[arg(long, value_name = "PATH")]
    pub auth_token_file: Option<std::path::PathBuf>,
    /// Secret of a Webhook SharedKey, for deliveries signed with HMAC-SHA256.
    #[arg(long, env = "CALLWATCH_SHARED_KEY_SECRET", hide_env_values = true)]
    pub shared_key_secret: Option<String>,
    /// The X-Twilio-Webhooks-Signature-Settings header value, e.g.
    /// `key=KS…,algorithm=HMAC_SHA256` [default: HMAC_SHA256 with --shared-key-secret alone,
    /// HMAC_SHA1 otherwise].
    #[arg(long, value_name = "VALUE")]
    pub signature_settings: Option<String>,
}

/// `callwatch verify`, checked: what [`VerifyArgs::check`] gives the command.
pub struct VerifySettings {
    /// The full URL Twilio requested, as given.
    pub url: String,
    /// The X-Twilio-Signature header value, as given.
    pub signature: String,
    /// The raw body (`-` is standard input), read by the command.
    pub body_file: PathBuf,
    /// The auth token (empty when not given) and the SharedKey secret.
    pub secrets: Secrets,
    /// The signature settings header: as given, or the one `--shared-key-secret` alone implies.
    pub signature_settings: Option<String>,
    /// The algorithm the settings name.
    pub algorithm: Algorithm,
    /// Keyed with the SharedKey secret (a settings header applies), not the auth token.
    pub shared_key: bool,
    /// The key the listener would check with: not empty.
    pub key: Vec<u8>,
}

impl std::fmt::Debug for VerifySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifySettings")
            .field("url", &self.url)
            .field("signature", &self.signature)
            .field("body_file", &self.body_file)
            .field("secrets", &self.secrets)
            .field("signature_settings", &self.signature_settings)
            .field("algorithm", &self.algorithm)
            .field("shared_key", &self.shared_key)
            .field("key", &"***")
            .finish()
    }
}

impl VerifyArgs {
    /// Checks the algorithm the signature settings name, then that the key they call for is
    /// given; gives the settings `verify` runs with.
    pub fn check(self) -> Result<VerifySettings, UsageError> {
        let settings = self.signature_settings.or_else(|| {
            let only_shared_key = self.shared_key_secret.is_some() && self.auth_token.is_none();
            only_shared_key.then(|| "algorithm=HMAC_SHA256".to_owned())
        });
        let algorithm = algorithm_from_settings(settings.as_deref()).map_err(|name| {
            UsageError(format!(
                "--signature-settings names algorithm {name}: only HMAC_SHA1 and HMAC_SHA256 exist"
            ))
        })?;
        let secrets = Secrets {
            auth_token: self.auth_token.unwrap_or_default(),
            shared_key_secret: self.shared_key_secret,
        };
        // The same key the listener would use: the SharedKey secret whenever a settings header
        // is given, whatever algorithm it names.
        let shared_key = settings.as_deref().is_some_and(|s| !s.trim().is_empty());
        let key = secrets
            .key_for(settings.as_deref())
            .filter(|k| !k.is_empty())
            .map(<[u8]>::to_vec);
        let Some(key) = key else {
            return Err(UsageError(if shared_key {
                "a delivery with X-Twilio-Webhooks-Signature-Settings is signed with a SharedKey: \
                 pass its secret with --shared-key-secret"
                    .to_owned()
            } else {
                "verify needs the auth token that signed the delivery: set TWILIO_AUTH_TOKEN or \
                 pass --auth-token"
                    .to_owned()
            }));
        };
        Ok(VerifySettings {
            url: self.url,
            signature: self.signature,
            body_file: self.body_file,
            secrets,
            signature_settings: settings,
            algorithm,
            shared_key,
            key,
        })
    }
}
