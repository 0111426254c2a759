//! The `callwatch` binary: read the config file, parse flags, start the log, run the command,
//! map the outcome to an exit code (0 success, 1 runtime failure, 2 usage error).

use std::process::ExitCode;

use callwatch::cli::{self, Command, UsageError};
use callwatch::commands::{self, Reported};
use callwatch::config::{Invocation, StartError};
use callwatch::logging::{self, LogGuard};

/// Deliveries are parsed on the listener's threads and freed on the screen's: mimalloc frees
/// across threads cheaply and keeps memory compact (README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Before any thread exists: the local UTC offset can only be read then.
    callwatch::timestamp::init_local_offset();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let Invocation {
        cli, file, matches, ..
    } = match callwatch::config::parse_args(&args) {
        Ok(invocation) => invocation,
        Err(StartError::Clap(e)) => e.exit(),
        Err(StartError::Config(e)) => {
            // Quotes the config file.
            eprintln!(
                "error: {}",
                callwatch::text::terminal_safe_lines(&e.to_string())
            );
            return ExitCode::from(2);
        }
    };
    let command_name = matches.subcommand_name().unwrap_or_default().to_owned();
    let log = match cli.command {
        // They only print; a log file would be noise.
        Command::Config(_) | Command::Completions(_) | Command::Man(_) => LogGuard::none(),
        _ => logging::init(
            cli.global
                .log_file
                .clone()
                .or_else(callwatch::config::default_log_path),
            cli.global.verbose,
        ),
    };
    tracing::info!(
        command = %command_name,
        version = env!("CARGO_PKG_VERSION"),
        config = ?file.as_ref().filter(|f| f.exists).map(|f| &f.path),
        "callwatch started"
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async move {
        let mut command = cli.command;
        cli::read_auth_token_files(&mut command, &matches)?;
        match command {
            Command::Demo(a) => commands::demo::run(a.check()?).await,
            Command::Listen(a) => commands::listen::run(a.check()?).await,
            Command::Sinks(a) => commands::events_admin::run_sinks(a.check()?).await,
            Command::Subscriptions(a) => {
                commands::events_admin::run_subscriptions(a.check()?).await
            }
            Command::Types(a) => commands::events_admin::run_types(a.check()?).await,
            Command::Kinesis(a) => commands::kinesis::run(a.check()?).await,
            Command::Replay(a) => commands::replay::run(a.check()?).await,
            Command::Export(a) => commands::export::run(a.check()?).await,
            Command::Verify(a) => commands::verify::run(a.check()?),
            Command::Send(a) => commands::send::run(a.check()?).await,
            Command::Setup(a) => match a.check_mode()? {
                cli::SetupMode::Webhook(s) => commands::setup::run(*s).await,
                cli::SetupMode::Kinesis(s) => commands::setup_kinesis::run(*s).await,
            },
            Command::Config(a) => commands::config::run(a.check()?, file.as_ref()),
            Command::Completions(a) => commands::completions::run(a),
            Command::Man(a) => commands::man::run(a),
            Command::Poll(a) => commands::poll::run(a.check()?).await,
            Command::Call(a) => commands::insights::run_call(a.check()?).await,
            Command::Annotate(a) => commands::insights::run_annotate(a.check()?).await,
        }
    });
    // Do not wait for stray tasks (a slow client) once the command is done.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    let code = match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let usage = e.downcast_ref::<UsageError>().is_some();
            tracing::error!(
                command = %command_name,
                usage,
                error = %format!("{e:#}"),
                "callwatch failed"
            );
            if e.downcast_ref::<Reported>().is_none() {
                // Errors quote what Twilio's APIs, recordings and receivers answered.
                let error = format!("{e:#}");
                eprintln!("error: {}", callwatch::text::terminal_safe_lines(&error));
            }
            if usage {
                ExitCode::from(2)
            } else {
                if let Some(path) = log.path() {
                    eprintln!("details in {}", path.display());
                }
                ExitCode::from(1)
            }
        }
    };
    tracing::info!(command = %command_name, "callwatch stopped");
    code
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
