//! `callwatch listen`: be the webhook sink for a real Twilio account.

use std::net::SocketAddr;

use anyhow::bail;

use crate::cli::ListenArgs;
use crate::commands::monitor::{self, MonitorSpec};
use crate::ingest::server::{PublicUrl, bind};
use crate::ingest::verdict::Judge;
use crate::tui::HeaderInfo;
use crate::twilio::signature::Secrets;

/// Runs the listener until the user quits or a signal arrives.
pub async fn run(args: ListenArgs) -> anyhow::Result<()> {
    let Some(public_url) = args.public_url.clone() else {
        bail!(crate::commands::UsageError(
            "listen needs the public URL Twilio delivers to, because Twilio signs that exact URL.\n  \
             --public-url https://<your-tunnel>/events   the sink's destination, as configured in Twilio"
                .into()
        ));
    };
    validate_public_url(&public_url)?;
    let Some(auth_token) = args.auth_token.clone().filter(|t| !t.is_empty()) else {
        bail!(crate::commands::UsageError(
            "listen needs the auth token that signs deliveries: set TWILIO_AUTH_TOKEN or pass --auth-token \
             (the token of the account, or subaccount, that owns the sink)"
                .into()
        ));
    };
    if args.record.is_some() {
        bail!(crate::commands::UsageError("--record is not available in this version yet".into()));
    }
    if args.max_calls.is_some() {
        bail!(crate::commands::UsageError("--max-calls is not available in this version yet".into()));
    }
    let addr = SocketAddr::new(args.bind, args.port);
    let socket = bind(addr).await.map_err(|e| bind_error(addr, e))?;
    let secrets = Secrets {
        auth_token,
        shared_key_secret: args.shared_key_secret.clone(),
    };
    let spec = MonitorSpec {
        socket,
        public_url: PublicUrl::Fixed(public_url),
        judge: Judge::new(Some(secrets), args.reject_status),
        output: args.output.mode(),
        header: HeaderInfo {
            url_source: "--public-url".into(),
            color: crate::commands::color_enabled(),
            ..HeaderInfo::default()
        },
    };
    monitor::run(spec, None::<fn(_) -> std::future::Ready<()>>, false).await
}

/// A public URL must be absolute http(s): it is what Twilio signs.
pub fn validate_public_url(url: &str) -> anyhow::Result<()> {
    let Some((scheme, rest)) = url.split_once("://") else {
        bail!(crate::commands::UsageError(format!(
            "--public-url `{url}` is not an absolute URL; give the sink's destination, e.g. https://abc.ngrok.app/events"
        )));
    };
    if scheme != "https" && scheme != "http" {
        bail!(crate::commands::UsageError(format!(
            "--public-url `{url}` must start with https:// (or http://)"
        )));
    }
    if rest.is_empty() || rest.starts_with('/') {
        bail!(crate::commands::UsageError(format!("--public-url `{url}` has no host")));
    }
    Ok(())
}

/// A bind failure a person can act on.
pub fn bind_error(addr: SocketAddr, e: std::io::Error) -> anyhow::Error {
    let hint = match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "port {} is already in use; pick another with --port (or --port 0 for any free port)",
            addr.port()
        ),
        std::io::ErrorKind::PermissionDenied => {
            format!("not allowed to listen on port {}; use a port above 1023", addr.port())
        }
        _ => "check --bind and --port".to_owned(),
    };
    anyhow::Error::new(e).context(format!("cannot listen on {addr}: {hint}"))
}

