//! `callwatch call` and `callwatch annotate`: one call in depth from Twilio's Voice Insights
//! REST API (summary, every event, every 10-second sample, the annotation), and a person's
//! verdict on it saved there. Also the one place that builds an [`InsightsClient`] from the
//! flags and turns the API's errors into a sentence saying what to do ([`explained`]), for
//! `poll` and `listen --since` too.

use std::io::Write;

use anyhow::Context;
use serde_json::json;

use crate::cli::{AnnotateSettings, ApiAuthArgs, CallSettings, UsageError};
use crate::text::terminal_safe;
use crate::twilio::insights_api::{
    CallInDepth, DEFAULT_INSIGHTS_API_BASE, InsightsClient, annotation_text, fetch_call, what_to_do,
};
use crate::twilio::live::{CallEvent, CallMetric};
use crate::twilio::rest::ApiError;

/// A client for `base` with the credentials of `api`; a bad base or missing credentials are
/// usage errors.
pub fn insights_client(api: &ApiAuthArgs, base: &str) -> anyhow::Result<InsightsClient> {
    let credentials = api.credentials()?;
    InsightsClient::new(base, credentials).map_err(|e| {
        UsageError(format!(
            "{e}; set --insights-api-base (or CALLWATCH_INSIGHTS_API_BASE, or insights-api-base \
             in the config file) to a URL such as {DEFAULT_INSIGHTS_API_BASE}"
        ))
        .into()
    })
}

/// `error` with the sentence that says what to do about it, when there is one; logged.
pub fn explained(error: ApiError) -> anyhow::Error {
    let advice = what_to_do(&error);
    tracing::warn!(error = %error, advice = advice.unwrap_or(""), "Voice Insights API error");
    match advice {
        Some(advice) => anyhow::Error::new(error).context(advice),
        None => anyhow::Error::new(error),
    }
}

/// `callwatch call CALLSID [--json]`.
pub async fn run_call(settings: CallSettings) -> anyhow::Result<()> {
    let client = insights_client(&settings.api, &settings.insights_api_base)?;
    let call = fetch_call(&client, &settings.call_sid)
        .await
        .map_err(explained)?;
    let mut out = std::io::stdout().lock();
    if settings.json {
        let object = json!({
            "summary": call.summary,
            "events": call.events,
            "metrics": call.metrics,
            "annotation": call.annotation,
        });
        let text = serde_json::to_string(&object).context("writing the call as JSON")?;
        writeln!(out, "{}", crate::text::json_safe(&text)).context("writing to stdout")?;
        return Ok(());
    }
    write!(out, "{}", describe_call(&call)).context("writing to stdout")?;
    Ok(())
}

/// `callwatch annotate CALLSID ...`.
pub async fn run_annotate(settings: AnnotateSettings) -> anyhow::Result<()> {
    let client = insights_client(&settings.api, &settings.insights_api_base)?;
    let saved = client
        .update_annotation(&settings.call_sid, &settings.update)
        .await
        .map_err(explained)?;
    tracing::info!(call_sid = %settings.call_sid, "annotation saved");
    let mut out = std::io::stdout().lock();
    if settings.json {
        let text = serde_json::to_string(&saved).context("writing the annotation")?;
        writeln!(out, "{}", crate::text::json_safe(&text)).context("writing to stdout")?;
    } else {
        writeln!(
            out,
            "annotation saved for {}: {}",
            settings.call_sid,
            annotation_text(&saved)
        )
        .context("writing to stdout")?;
    }
    Ok(())
}

/// The call as text: summary, annotation, timeline and quality samples.
fn describe_call(call: &CallInDepth) -> String {
    let s = &call.summary;
    let text = |v: &str| terminal_safe(v).into_owned();
    let opt = |v: &Option<String>| v.as_deref().map(text).unwrap_or_else(|| "-".into());
    let mut out = String::new();
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    line(format!(
        "call {}  {}  {}  {}",
        text(&s.call_sid),
        s.call_type.as_str(),
        s.call_state.as_str(),
        s.processing_state.as_str()
    ));
    line(format!(
        "  from {} ({})  to {} ({})",
        text(&s.from.caller),
        text(&s.from.carrier),
        text(&s.to.callee),
        text(&s.to.carrier)
    ));
    line(format!(
        "  start {}  end {}  duration {}",
        opt(&s.start_time),
        opt(&s.end_time),
        s.duration.map_or("-".into(), |d| format!("{d}s"))
    ));
    if !s.tags.is_empty() {
        line(format!("  tags {}", text(&s.tags.join(", "))));
    }
    line(format!(
        "annotation: {}",
        call.annotation
            .as_ref()
            .map_or_else(|| "none".to_owned(), annotation_text)
    ));
    line(format!("events ({}):", call.events.len()));
    for value in &call.events {
        match serde_json::from_value::<CallEvent>(value.clone()) {
            Ok(e) => line(format!(
                "  {}  {:<12} {:<8} {}/{}",
                opt(&e.timestamp),
                text(&e.edge),
                e.level.as_str(),
                text(&e.group),
                text(&e.name)
            )),
            Err(_) => line("  (an event callwatch cannot read)".into()),
        }
    }
    line(format!("metrics ({} samples):", call.metrics.len()));
    let figure = |v: Option<f64>, unit: &str| v.map_or("-".into(), |v| format!("{v:.1}{unit}"));
    for value in &call.metrics {
        let Ok(m) = serde_json::from_value::<CallMetric>(value.clone()) else {
            line("  (a sample callwatch cannot read)".into());
            continue;
        };
        for r in m.readings() {
            line(format!(
                "  {}  {:<8} {:<8} jitter {:>8}  loss {:>6}  rtt {:>8}  mos {}",
                opt(&m.timestamp),
                r.edge.label(),
                r.direction.label(),
                figure(r.jitter_ms, "ms"),
                figure(r.loss_pct, "%"),
                figure(r.rtt_ms, "ms"),
                r.mos.map_or("-".into(), |v| format!("{v:.2}"))
            ));
        }
    }
    out
}
