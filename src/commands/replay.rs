//! `callwatch replay FILE`: runs a `--record` file through the listener's judge into any output
//! mode, at the recorded pace (times `--speed`) or `--max`; or, with `--to URL`, re-signs each
//! delivery for URL like Twilio and POSTs it there (a resend).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::cli::{ReplayAction, ReplaySettings, ReplayShow, ReplaySpeed};
use crate::ingest::ListenerStats;
use crate::ingest::replay::{RecordedDelivery, Warning, read_recording, rejudge};
use crate::ingest::verdict::{Judge, signed_url};
use crate::monitor::{self, CHANNEL_CAPACITY, Presentation};
use crate::output::{OutputMode, ndjson};
use crate::tui::HeaderInfo;
use crate::twilio::url::has_masked_password;
use crate::twilio::webhook::{SenderOptions, WebhookSender};

/// Runs `callwatch replay`.
pub async fn run(args: ReplaySettings) -> anyhow::Result<()> {
    let (mut recorded, warnings) = read(&args.file)?;
    let pace = Pace::new(args.speed.factor());
    match args.action {
        ReplayAction::Resend {
            to,
            auth_token,
            include_refused,
        } => resend(&recorded, &to, &auth_token, include_refused, pace).await,
        ReplayAction::Show(how) => {
            if let Some(verify) = &how.verify {
                resign_for(&mut recorded, verify.destination.as_deref(), &args.file);
            }
            show(&args.file, args.speed, *how, recorded, warnings.len(), pace).await
        }
    }
}

/// Reads a recording, reporting unreadable lines on stderr.
pub fn read(file: &Path) -> anyhow::Result<(Vec<RecordedDelivery>, Vec<Warning>)> {
    let (recorded, warnings) = read_recording(file)
        .with_context(|| format!("cannot read the recording {}", file.display()))?;
    if recorded.is_empty() && !warnings.is_empty() {
        bail!(
            "{} holds no delivery that callwatch can read: is it a recording written by \
             `listen --record FILE` or `demo --record FILE`?",
            file.display()
        );
    }
    for warning in &warnings {
        let warning = format!("{}: {warning}", file.display());
        eprintln!("warning: {}", crate::text::terminal_safe(&warning));
    }
    Ok((recorded, warnings))
}

/// Points each recorded POST at `destination` plus its recorded query, the URL `--verify`
/// checks; without one, warns once when recorded URLs had their password masked, since those
/// signatures cannot be checked again.
fn resign_for(recorded: &mut [RecordedDelivery], destination: Option<&str>, file: &Path) {
    match destination {
        Some(destination) => {
            for rec in recorded.iter_mut().filter(|rec| rec.method == "POST") {
                rec.signed_url = Some(signed_url(destination, &rec.query));
            }
        }
        None => {
            let masked = recorded
                .iter()
                .filter_map(|rec| rec.signed_url.as_deref())
                .find(|url| has_masked_password(url));
            if let Some(url) = masked {
                eprintln!(
                    "warning: {}: recorded URLs such as {url} keep their password masked, so \
                     their signatures cannot be checked again: pass --destination with the \
                     sink's destination",
                    file.display()
                );
            }
        }
    }
}

/// When each recorded delivery is due: at its offset from the first one, divided by the
/// speed; `None` plays everything at once.
struct Pace {
    speed: Option<f64>,
    origin: Option<(SystemTime, Instant)>,
}

impl Pace {
    fn new(speed: Option<f64>) -> Self {
        Self {
            speed,
            origin: None,
        }
    }

    /// Waits until the delivery recorded at `at` is due.
    async fn wait(&mut self, at: SystemTime) {
        let Some(speed) = self.speed else { return };
        let (first, start) = *self.origin.get_or_insert_with(|| (at, Instant::now()));
        // Concurrent arrivals are not always recorded in time order; an earlier one is due now.
        let offset = at.duration_since(first).unwrap_or_default();
        tokio::time::sleep_until(start + offset.div_f64(speed)).await;
    }
}

/// Feeds the recording through the judge into the chosen output.
async fn show(
    file: &Path,
    speed: ReplaySpeed,
    how: ReplayShow,
    recorded: Vec<RecordedDelivery>,
    unreadable: usize,
    mut pace: Pace,
) -> anyhow::Result<()> {
    let verify = how.verify.is_some();
    let judge = Judge::new(how.verify.map(|v| v.secrets), 403);
    let mode = how.output;
    let stats = Arc::new(ListenerStats::default());
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let (stop_tx, mut stop_rx) = watch::channel(false);
    let total = recorded.len();
    let feeder_stats = Arc::clone(&stats);
    let feeder = tokio::spawn(async move {
        for (i, rec) in recorded.iter().enumerate() {
            tokio::select! {
                () = pace.wait(rec.received_at) => {}
                _ = stop_rx.wait_for(|stop| *stop) => return,
            }
            let delivery = rejudge(&judge, rec, i as u64 + 1);
            feeder_stats.arrived(rec.received_at);
            feeder_stats.answered(&delivery);
            // Waiting for room rather than dropping: a replay has all the time it needs.
            if tx.send(delivery).await.is_err() {
                return;
            }
        }
    });

    let file = file.display().to_string();
    let speed_note = match speed {
        ReplaySpeed::Max => "as fast as possible".to_owned(),
        ReplaySpeed::Times(x) => format!("at {x}x"),
        ReplaySpeed::Recorded => "at the recorded pace".to_owned(),
    };
    let header = HeaderInfo {
        listen_addr: "(replay: nothing listens)".into(),
        public_url: file.clone(),
        url_source: "recording".into(),
        mode_note: Some(format!(
            "replay of {file}, {total} requests {speed_note}{}",
            if unreadable > 0 {
                format!(", {unreadable} unreadable lines")
            } else {
                String::new()
            }
        )),
        color: how.color,
        hyperlinks: true,
        ..HeaderInfo::default()
    };
    let replaying = if mode == OutputMode::Ndjson {
        let line = serde_json::json!({
            "type": "replaying",
            "file": file,
            "requests": total,
            "speed": speed.factor(),
            "verify": verify,
        });
        ndjson::write_line(&mut std::io::stdout().lock(), &line)
    } else {
        Ok(())
    };
    let presentation = Presentation {
        output: mode,
        header,
        tui: how.view,
        alerts: None,
    };
    // No listener catches the signals: the lines stop on one here, the TUI on its own.
    let result = match replaying {
        Ok(()) => {
            monitor::show(
                rx,
                stats,
                presentation,
                &stop_tx,
                crate::shutdown::shutdown_signal(),
            )
            .await
        }
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e).context("writing to stdout"),
    };
    let _ = stop_tx.send(true);
    let _ = feeder.await;
    result
}

/// Re-signs every recorded delivery for `to` and POSTs it there, one at a time.
async fn resend(
    recorded: &[RecordedDelivery],
    to: &str,
    token: &str,
    include_refused: bool,
    mut pace: Pace,
) -> anyhow::Result<()> {
    let sender = WebhookSender::new(
        token,
        SenderOptions {
            timeout: Duration::from_secs(10),
            ..SenderOptions::default()
        },
    )
    .context("starting the HTTP client")?;
    let (mut ok, mut refused, mut failed, mut skipped) = (0u64, 0u64, 0u64, 0u64);
    for rec in recorded {
        // A body refused unread (too large) or a request that was not a POST has nothing to resend.
        let has_body = rec.method == "POST" && rec.verdict != "too_large";
        if !has_body || !(rec.was_accepted() || include_refused) {
            skipped += 1;
            continue;
        }
        pace.wait(rec.received_at).await;
        let signed = sender.sign(to, rec.body.clone());
        // The recorded delivery's own content type and user agent, as Twilio sent them.
        let headers: Vec<(&str, &str)> = ["content-type", "user-agent"]
            .into_iter()
            .filter_map(|name| rec.header(name).map(|value| (name, value)))
            .collect();
        match sender.post(&signed, &headers).await.status {
            Ok(status) => {
                if (200..300).contains(&status) {
                    ok += 1;
                } else {
                    refused += 1;
                }
                let line = format!(
                    "{} line {} ({}, {} bytes)",
                    status,
                    rec.line,
                    rec.verdict,
                    rec.body.len()
                );
                println!("{}", crate::text::terminal_safe(&line));
            }
            Err(e) => {
                failed += 1;
                let line = format!(
                    "--- line {} ({}, {} bytes): not sent: {e}",
                    rec.line,
                    rec.verdict,
                    rec.body.len()
                );
                println!("{}", crate::text::terminal_safe(&line));
            }
        }
    }
    println!(
        "resent {} deliveries to {to}: {ok} accepted (2xx), {refused} refused, {failed} not sent; {skipped} skipped{}",
        ok + refused + failed,
        if include_refused {
            ""
        } else {
            " (refused when recorded, or without a body; --include-refused sends the refused)"
        }
    );
    if refused + failed > 0 {
        bail!(
            "{} of {} deliveries were not accepted by {to}",
            refused + failed,
            ok + refused + failed
        );
    }
    Ok(())
}
