//! `callwatch demo`: the real listener on loopback, fed by a simulated Twilio in the same
//! process that signs realistic deliveries with a demo token and POSTs them over HTTP.

use anyhow::Context;

use crate::cli::DemoSettings;
use crate::commands::listen::bind_error;
use crate::demo::simulator::{self, DEMO_AUTH_TOKEN, SimulatorConfig};
use crate::ingest::forward::ForwardKeys;
use crate::ingest::public_url::PublicUrl;
use crate::ingest::server::{ServeLimits, bind};
use crate::ingest::verdict::Judge;
use crate::monitor::{self, MonitorSpec, Recording};
use crate::tui::HeaderInfo;
use crate::tui::actions::ResignKey;
use crate::tui::simulation::SimulationEnd;
use crate::twilio::signature::Secrets;
use std::sync::Arc;

/// Runs the demo.
pub async fn run(args: DemoSettings) -> anyhow::Result<()> {
    let addr = args.addr;
    let socket = bind(addr).await.map_err(|e| bind_error(addr, e))?;
    let bound = socket.local_addr().context("reading the bound address")?;
    let public_url = format!("http://{bound}/events");
    let secrets = Secrets {
        auth_token: DEMO_AUTH_TOKEN.to_owned(),
        shared_key_secret: None,
    };
    let sim = SimulatorConfig {
        destination: public_url.clone(),
        auth_token: DEMO_AUTH_TOKEN.to_owned(),
        seed: args.seed,
        calls_per_minute: args.rate,
        duration: args.duration,
        send_test_event_first: true,
    };
    // Marked when the simulated Twilio stops: the header says so, and unfinished calls too.
    let simulation_end = Arc::new(SimulationEnd::default());
    let spec = MonitorSpec {
        socket,
        public_url: PublicUrl::Fixed(public_url),
        judge: Judge::new(Some(secrets), 403),
        output: args.output,
        header: HeaderInfo {
            url_source: "demo".into(),
            mode_note: Some(format!(
                "demo: simulated Twilio, {} calls/min, seed {}",
                args.rate, args.seed
            )),
            color: args.color,
            hyperlinks: true,
            reject_status: 403,
            simulation_end: Some(Arc::clone(&simulation_end)),
            resign_key: Some(ResignKey::new(DEMO_AUTH_TOKEN)),
            ..HeaderInfo::default()
        },
        tui: args.view,
        alerts: None,
        limits: ServeLimits::default(),
        forward: args.forward_to.clone().map(|target| {
            let keys = ForwardKeys {
                auth_token: DEMO_AUTH_TOKEN.to_owned(),
                shared_key_secret: None,
            };
            (target, keys)
        }),
    };
    let background = move |mut stop: tokio::sync::watch::Receiver<bool>| async move {
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let _ = simulator::run(sim, stopped).await;
        simulation_end.mark(std::time::SystemTime::now());
    };
    let recording = Recording {
        path: args.record,
        ..Recording::default()
    };
    monitor::run(spec, recording, Some(background), args.duration.is_some()).await
}
