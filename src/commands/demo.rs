//! `callwatch demo`: the real listener on loopback, fed by a simulated Twilio in the same
//! process that signs realistic deliveries with a demo token and POSTs them over HTTP.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context;

use crate::cli::DemoArgs;
use crate::commands::listen::bind_error;
use crate::demo::simulator::{self, DEMO_AUTH_TOKEN, SimulatorConfig};
use crate::ingest::public_url::PublicUrl;
use crate::ingest::server::{ServeLimits, bind};
use crate::ingest::verdict::Judge;
use crate::monitor::{self, MonitorSpec, Recording};
use crate::tui::HeaderInfo;
use crate::twilio::signature::Secrets;

/// Runs the demo.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
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
        duration: args.duration.map(Duration::from_secs_f64),
        send_test_event_first: true,
    };
    let spec = MonitorSpec {
        socket,
        public_url: PublicUrl::Fixed(public_url),
        judge: Judge::new(Some(secrets), 403),
        output: args.output.mode(),
        header: HeaderInfo {
            url_source: "demo".into(),
            mode_note: Some(format!(
                "demo: simulated Twilio, {} calls/min, seed {}",
                args.rate, args.seed
            )),
            color: args.output.color_enabled(),
            hyperlinks: true,
            reject_status: 403,
            ..HeaderInfo::default()
        },
        tui: crate::session::ViewOptions {
            max_calls: args.max_calls,
            ..args.output.view_options()?
        },
        alerts: None,
        limits: ServeLimits::default(),
    };
    let background = move |mut stop: tokio::sync::watch::Receiver<bool>| async move {
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let _ = simulator::run(sim, stopped).await;
    };
    let recording = Recording {
        path: args.record.clone(),
        ..Recording::default()
    };
    monitor::run(spec, recording, Some(background), args.duration.is_some()).await
}
