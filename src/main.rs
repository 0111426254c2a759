use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = callwatch::cli::Cli::parse();
    let result = match cli.command {
        callwatch::cli::Command::Sinks(a) => callwatch::commands::events_admin::run_sinks(a).await,
        callwatch::cli::Command::Subscriptions(a) => {
            callwatch::commands::events_admin::run_subscriptions(a).await
        }
        callwatch::cli::Command::Types(a) => callwatch::commands::events_admin::run_types(a).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
