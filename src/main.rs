//! The `callwatch` binary: parse flags, run the command, map the outcome to an exit code
//! (0 success, 1 runtime failure, 2 usage error).

use std::process::ExitCode;

use clap::Parser;

use callwatch::cli::{Cli, Command};
use callwatch::commands::{self, Reported, UsageError};

fn main() -> ExitCode {
    // Before any thread exists: the local UTC offset can only be read then.
    callwatch::tui::init_local_offset();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Demo(a) => commands::demo::run(a).await,
            Command::Listen(a) => commands::listen::run(a).await,
            Command::Sinks(a) => commands::events_admin::run_sinks(a).await,
            Command::Subscriptions(a) => commands::events_admin::run_subscriptions(a).await,
            Command::Types(a) => commands::events_admin::run_types(a).await,
            Command::Replay(a) => commands::replay::run(a).await,
            Command::Export(a) => commands::export::run(a).await,
            Command::Verify(a) => commands::verify::run(a),
            Command::Send(a) => commands::send::run(a).await,
            Command::Setup(a) => commands::setup::run(a).await,
        }
    });
    // Do not wait for stray tasks (a slow client) once the command is done.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            if e.downcast_ref::<Reported>().is_some() {
                return ExitCode::from(1);
            }
            eprintln!("error: {e:#}");
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
