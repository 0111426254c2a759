//! The flags of `callwatch verify`.

use std::path::PathBuf;

use clap::Args;

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
