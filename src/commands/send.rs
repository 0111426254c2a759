//! `callwatch send`: our `stripe trigger`. Signs deliveries exactly as Twilio Event Streams does
//! (`bodySHA256` appended to the URL, the full URL signed) and POSTs them to any sink, then
//! prints each answer and a summary; exits non-zero when an answer was not 2xx.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use time::OffsetDateTime;
use tokio::sync::{Semaphore, mpsc};

use crate::cli::{SendScenario, SendSettings, SummaryStage, UsageError};
use crate::demo::generator::{CallGenerator, delivery_body, test_event};
use crate::twilio::live::LiveKind;
use crate::twilio::webhook::{SenderOptions, WebhookSender};

/// One delivery to send.
#[derive(Debug, Clone)]
struct Prepared {
    /// What it is, for the per-request line.
    label: String,
    body: Vec<u8>,
}

/// The answer to one request.
#[derive(Debug)]
struct Outcome {
    index: usize,
    label: String,
    status: Result<u16, String>,
    latency: Duration,
}

/// Sends, prints and summarises; an error (exit 1) when some answer was not 2xx.
pub async fn run(settings: SendSettings) -> anyhow::Result<()> {
    let mut source = Source::new(&settings)?;
    let sender = WebhookSender::new(
        &settings.auth_token,
        SenderOptions {
            timeout: settings.timeout,
            ..SenderOptions::default()
        },
    )
    .context("cannot build the HTTP client")?;
    let signer = Arc::new(Signer {
        url: settings.url,
        sender,
    });
    let permits = Arc::new(Semaphore::new(settings.concurrency as usize));
    let (tx, mut rx) = mpsc::unbounded_channel::<Outcome>();
    let count = settings.count;
    // Sequences are made only when a slot is free, so --count 1000000 needs no more memory
    // than --concurrency sequences.
    tokio::spawn(async move {
        let mut index = 0;
        for _ in 0..count {
            let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                return;
            };
            let numbered: Vec<(usize, Prepared)> = source
                .next_sequence()
                .into_iter()
                .map(|p| {
                    index += 1;
                    (index, p)
                })
                .collect();
            let (signer, tx) = (Arc::clone(&signer), tx.clone());
            tokio::spawn(async move {
                let _permit = permit;
                for (index, prepared) in numbered {
                    let outcome = signer.post(index, prepared).await;
                    if tx.send(outcome).is_err() {
                        return;
                    }
                }
            });
        }
    });

    let mut summary = Summary::default();
    while let Some(outcome) = rx.recv().await {
        // The receiver's error, and the label of a body file.
        println!("{}", crate::text::terminal_safe(&outcome.line()));
        summary.add(&outcome);
    }
    println!("{}", summary.line());
    if summary.sent == 0 {
        bail!(UsageError(
            "nothing was sent: the calls had no event of that kind (SDK events come from \
             client calls whose quality suffers: try --scenario degraded)"
                .into()
        ));
    }
    let failed = summary.sent - summary.ok;
    if failed > 0 {
        bail!(
            "{failed} of {} requests were not answered 2xx",
            summary.sent
        );
    }
    Ok(())
}

/// Where bodies come from: a file sent as it is, or the demo's call generator.
enum Source {
    File {
        label: String,
        body: Vec<u8>,
    },
    Generated {
        generator: Box<CallGenerator>,
        scenario: SendScenario,
        stage: Option<SummaryStage>,
    },
}

impl Source {
    fn new(settings: &SendSettings) -> Result<Self, UsageError> {
        if let Some(path) = &settings.body_file {
            let body = std::fs::read(path).map_err(|e| {
                UsageError(format!("cannot read --body-file {}: {e}", path.display()))
            })?;
            let label = format!("{} ({} bytes)", path.display(), body.len());
            return Ok(Self::File { label, body });
        }
        let seed = settings
            .seed
            .unwrap_or_else(|| OffsetDateTime::now_utc().unix_timestamp_nanos() as u64);
        Ok(Self::Generated {
            generator: Box::new(CallGenerator::new(seed)),
            scenario: settings.scenario,
            stage: settings.event,
        })
    }

    /// The next sequence: one call's deliveries in order, one test event, or the file.
    fn next_sequence(&mut self) -> Vec<Prepared> {
        let (generator, scenario, stage) = match self {
            Self::File { label, body } => {
                return vec![Prepared {
                    label: label.clone(),
                    body: body.clone(),
                }];
            }
            Self::Generated {
                generator,
                scenario,
                stage,
            } => (generator, *scenario, *stage),
        };
        let now = OffsetDateTime::now_utc();
        let (forced, degraded) = match scenario {
            SendScenario::TestEvent => {
                let test_id = generator.next_test_id();
                let event = test_event(&test_id, generator.account_sid(), now);
                return vec![Prepared {
                    label: format!("test-event {test_id}"),
                    body: delivery_body(std::slice::from_ref(&event)),
                }];
            }
            SendScenario::Call(s) => (Some(s), false),
            SendScenario::Degraded => (None, true),
            SendScenario::Random => (None, false),
        };
        let call = generator.next_live_call_sent_at(forced, degraded, now);
        let name = if degraded {
            "degraded"
        } else {
            call.scenario.as_str()
        };
        call.events
            .iter()
            .filter_map(|e| {
                let event_type = e.event.get("type").and_then(|t| t.as_str()).unwrap_or("");
                if stage.is_some_and(|stage| stage.event_type() != event_type) {
                    return None;
                }
                Some(Prepared {
                    label: format!("{name} {} {}", call.call_sid, describe(&e.event)),
                    body: delivery_body(std::slice::from_ref(&e.event)),
                })
            })
            .collect()
    }
}

/// What an event is, for its line: the summary stage (`partial`, `complete`…), or the live
/// kind and what it says (`progress ringing`, `metrics carrier_edge inbound`,
/// `sdk-event high-jitter network-quality-warning-raised`, `sdk-metrics`).
fn describe(event: &serde_json::Value) -> String {
    let event_type = event.get("type").and_then(|t| t.as_str()).unwrap_or("");
    let field = |key: &str| {
        event
            .get("data")
            .and_then(|d| d.get(key))
            .and_then(|v| v.as_str())
            .unwrap_or("")
    };
    match LiveKind::from_event_type(event_type) {
        Some(kind @ LiveKind::GatewayEvent) => format!("{} {}", kind.label(), field("name")),
        Some(kind @ LiveKind::SdkEvent) => {
            format!("{} {} {}", kind.label(), field("name"), field("group"))
        }
        Some(kind @ LiveKind::GatewayMetrics) => {
            format!("{} {} {}", kind.label(), field("edge"), field("direction"))
        }
        Some(kind @ LiveKind::SdkMetrics) => kind.label().to_owned(),
        None => event_type
            .rsplit('.')
            .next()
            .unwrap_or(event_type)
            .to_owned(),
    }
}

/// Signs and POSTs like Event Streams.
struct Signer {
    url: String,
    sender: WebhookSender,
}

impl Signer {
    async fn post(&self, index: usize, prepared: Prepared) -> Outcome {
        let signed = self.sender.sign(&self.url, prepared.body);
        let sent = self.sender.post(&signed, &[]).await;
        Outcome {
            index,
            label: prepared.label,
            status: sent.status,
            latency: sent.latency,
        }
    }
}

impl Outcome {
    fn line(&self) -> String {
        let answer = match &self.status {
            Ok(code) => {
                let reason = http::StatusCode::from_u16(*code)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("");
                format!("{code} {reason}")
            }
            Err(e) => format!("error: {e}"),
        };
        format!(
            "#{:<5} {answer:<24} {:>8}  {}",
            self.index,
            format_ms(self.latency),
            self.label
        )
    }
}

fn format_ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Counts and latencies of every request.
#[derive(Debug, Default)]
struct Summary {
    sent: usize,
    ok: usize,
    non_2xx: usize,
    errors: usize,
    latencies: Vec<Duration>,
}

impl Summary {
    fn add(&mut self, outcome: &Outcome) {
        self.sent += 1;
        match outcome.status {
            Ok(200..=299) => self.ok += 1,
            Ok(_) => self.non_2xx += 1,
            Err(_) => self.errors += 1,
        }
        if outcome.status.is_ok() {
            self.latencies.push(outcome.latency);
        }
    }

    fn line(&mut self) -> String {
        self.latencies.sort();
        let latency = match (
            self.latencies.get(self.latencies.len() / 2),
            self.latencies.last(),
        ) {
            (Some(p50), Some(max)) => {
                format!("; latency p50 {}, max {}", format_ms(*p50), format_ms(*max))
            }
            _ => String::new(),
        };
        format!(
            "sent {}: {} 2xx, {} non-2xx, {} without answer{latency}",
            self.sent, self.ok, self.non_2xx, self.errors
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::SendArgs;
    use crate::demo::generator::Scenario;
    use crate::twilio::cloudevent::GATEWAY_EVENT_TYPE;

    fn args(scenario: Option<SendScenario>, event: Option<SummaryStage>, count: u32) -> SendArgs {
        SendArgs {
            url: "http://127.0.0.1:1/events".into(),
            auth_token: Some("t".into()),
            auth_token_file: None,
            scenario,
            body_file: None,
            event,
            count,
            concurrency: 1,
            seed: Some(7),
            timeout: 5.0,
        }
    }

    fn types(sequence: &[Prepared]) -> Vec<String> {
        sequence
            .iter()
            .map(|p| {
                let v: serde_json::Value = serde_json::from_slice(&p.body).expect("json");
                v[0]["type"].as_str().unwrap_or_default().to_owned()
            })
            .collect()
    }

    fn prepare(args: &SendArgs) -> Vec<Vec<Prepared>> {
        let settings = args.clone().check().expect("settings");
        let mut source = Source::new(&settings).expect("source");
        (0..args.count).map(|_| source.next_sequence()).collect()
    }

    fn data(p: &Prepared) -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_slice(&p.body).expect("json");
        v[0]["data"].clone()
    }

    #[test]
    fn a_scenario_is_the_whole_sequence_of_one_call() {
        let seqs = prepare(&args(Some(SendScenario::Call(Scenario::Busy)), None, 2));
        assert_eq!(seqs.len(), 2);
        for seq in &seqs {
            let t = types(seq);
            assert!(t.len() >= 5, "{t:?}");
            // Progress: initiated, then busy; then the summaries.
            assert_eq!(t[0], GATEWAY_EVENT_TYPE);
            assert_eq!(data(&seq[0])["name"], "initiated");
            let summaries = t
                .iter()
                .position(|t| t.contains(".call-summary."))
                .expect("summaries");
            assert!(
                t[..summaries].iter().all(|t| *t == GATEWAY_EVENT_TYPE),
                "{t:?}"
            );
            assert_eq!(data(&seq[summaries - 1])["name"], "busy");
            assert!(
                t[summaries..t.len() - 2]
                    .iter()
                    .all(|t| t.ends_with(".partial")),
                "{t:?}"
            );
            assert!(t[t.len() - 2].ends_with(".predicted-complete"));
            assert!(t[t.len() - 1].ends_with(".complete"));
            assert_eq!(data(&seq[seq.len() - 1])["call_state"], "busy");
            assert!(seq[0].label.starts_with("busy CA"), "{}", seq[0].label);
            assert!(
                seq[0].label.ends_with(" progress initiated"),
                "{}",
                seq[0].label
            );
        }
        // Each repetition is a new call.
        assert_ne!(seqs[0][0].label, seqs[1][0].label);
    }

    #[test]
    fn nothing_sent_claims_a_moment_still_to_come() {
        let before = OffsetDateTime::now_utc();
        let seqs = prepare(&args(Some(SendScenario::Degraded), None, 1));
        let after = OffsetDateTime::now_utc();
        let parse = |v: &serde_json::Value| {
            OffsetDateTime::parse(
                v.as_str().unwrap_or_default(),
                &time::format_description::well_known::Rfc3339,
            )
            .expect("a time")
        };
        for p in &seqs[0] {
            let v: serde_json::Value = serde_json::from_slice(&p.body).expect("json");
            let time = parse(&v[0]["time"]);
            assert!(time <= after, "{time} after {after}");
            for key in ["timestamp", "start_time", "end_time"] {
                if let Some(t) = v[0]["data"].get(key) {
                    assert!(parse(t) <= time, "{key}: {}", v[0]);
                }
            }
        }
        let last = seqs[0].last().map(|p| {
            let v: serde_json::Value = serde_json::from_slice(&p.body).expect("json");
            parse(&v[0]["time"])
        });
        assert!(last.is_some_and(|t| t >= before - time::Duration::seconds(1)));
    }

    #[test]
    fn event_narrows_to_one_stage() {
        let seqs = prepare(&args(None, Some(SummaryStage::Complete), 3));
        for seq in &seqs {
            assert_eq!(
                types(seq),
                ["com.twilio.voice.insights.call-summary.complete"]
            );
        }
        let seqs = prepare(&args(
            Some(SendScenario::Call(Scenario::Completed)),
            Some(SummaryStage::Progress),
            1,
        ));
        let names: Vec<String> = seqs[0]
            .iter()
            .map(|p| data(p)["name"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(names, ["initiated", "ringing", "answered", "completed"]);
    }

    #[test]
    fn degraded_sends_samples_and_an_sdk_warning_raised_then_cleared() {
        let seqs = prepare(&args(
            Some(SendScenario::Degraded),
            Some(SummaryStage::SdkEvent),
            1,
        ));
        let groups: Vec<String> = seqs[0]
            .iter()
            .map(|p| {
                let d = data(p);
                format!(
                    "{} {}",
                    d["name"].as_str().unwrap_or(""),
                    d["group"].as_str().unwrap_or("")
                )
            })
            .collect();
        assert_eq!(
            groups,
            [
                "high-jitter network-quality-warning-raised",
                "high-jitter network-quality-warning-cleared"
            ]
        );
        assert!(
            seqs[0][0].label.starts_with("degraded CA")
                && seqs[0][0]
                    .label
                    .ends_with(" sdk-event high-jitter network-quality-warning-raised"),
            "{}",
            seqs[0][0].label
        );
        for (stage, edge) in [
            (SummaryStage::Metrics, "client_edge"),
            (SummaryStage::SdkMetrics, "sdk_edge"),
        ] {
            let seqs = prepare(&args(Some(SendScenario::Degraded), Some(stage), 1));
            assert!(seqs[0].len() >= 9, "{stage:?}: {}", seqs[0].len());
            for p in &seqs[0] {
                let d = data(p);
                assert_eq!(d["edge"], edge);
                assert!(d[edge]["interval"]["jitter"]["value"].is_number(), "{d}");
            }
            let jitter: Vec<f64> = seqs[0]
                .iter()
                .filter_map(|p| data(p)[edge]["interval"]["jitter"]["value"].as_f64())
                .collect();
            assert!(
                jitter.iter().any(|&j| j > 20.0),
                "{stage:?} spikes: {jitter:?}"
            );
        }
    }

    #[test]
    fn test_event_scenario() {
        let seqs = prepare(&args(Some(SendScenario::TestEvent), None, 1));
        assert_eq!(types(&seqs[0]), ["com.twilio.eventstreams.test-event"]);
    }

    #[test]
    fn scenario_names() {
        assert_eq!("random".parse(), Ok(SendScenario::Random));
        assert_eq!("degraded".parse(), Ok(SendScenario::Degraded));
        assert_eq!("test-event".parse(), Ok(SendScenario::TestEvent));
        assert_eq!(
            "noanswer".parse(),
            Ok(SendScenario::Call(Scenario::NoAnswer))
        );
        assert!("nope".parse::<SendScenario>().is_err());
    }

    #[test]
    fn summary_counts_and_latency() {
        let mut s = Summary::default();
        for (i, (status, ms)) in [
            (Ok(200), 3),
            (Ok(403), 9),
            (Err("x".to_owned()), 1),
            (Ok(204), 5),
        ]
        .into_iter()
        .enumerate()
        {
            s.add(&Outcome {
                index: i + 1,
                label: String::new(),
                status,
                latency: Duration::from_millis(ms),
            });
        }
        assert_eq!(
            s.line(),
            "sent 4: 2 2xx, 1 non-2xx, 1 without answer; latency p50 5.0 ms, max 9.0 ms"
        );
    }
}
