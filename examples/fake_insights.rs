//! A standalone fake of Twilio's Voice Insights API (the one the integration tests use,
//! `tests/support/fake_insights_api.rs`), to run callwatch against by hand without an account:
//!
//! ```text
//! cargo run --example fake_insights -- 127.0.0.1:4600 40
//! TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef TWILIO_AUTH_TOKEN=fake-insights-token \
//!   callwatch poll --since 2h --insights-api-base http://127.0.0.1:4600
//! ```
//!
//! It serves `CALLS` calls (default 40) of the last two hours, each with events and samples,
//! and answers until stopped.

mod support {
    #[path = "../../tests/support/fake_insights_api.rs"]
    pub mod fake_insights_api;
    #[path = "../../tests/support/openapi.rs"]
    pub mod openapi;
}

use std::time::{Duration, SystemTime};

use support::fake_insights_api::{FakeInsightsApi, NewCall};

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "fake-insights-token";

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:4600".to_owned());
    let calls: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(40);
    let fake = FakeInsightsApi::start_on(&addr, ACCOUNT_SID, AUTH_TOKEN).await;
    let states = [
        "completed",
        "completed",
        "fail",
        "busy",
        "noanswer",
        "canceled",
    ];
    let types = ["carrier", "sip", "client"];
    let carriers = ["Vodafone", "AT&T Wireless", "T-Mobile USA, Inc.", "Verizon"];
    for i in 0..calls {
        let i_us = i as usize;
        let sid = fake.add_call(NewCall {
            start: SystemTime::now() - Duration::from_secs(60 + i * 170),
            call_state: states[i_us % states.len()].into(),
            processing_state: if i % 7 == 0 { "partial" } else { "complete" }.into(),
            call_type: types[i_us % types.len()].into(),
            direction: if i % 2 == 0 {
                "inbound"
            } else {
                "outbound_api"
            }
            .into(),
            from_carrier: carriers[i_us % carriers.len()].into(),
            to_carrier: carriers[(i_us + 1) % carriers.len()].into(),
            tags: if i % 5 == 0 {
                vec!["high_jitter".into()]
            } else {
                Vec::new()
            },
        });
        fake.add_events(&sid, 4);
        fake.add_metrics(&sid, 6);
    }
    println!(
        "fake Voice Insights API on {} ({calls} calls); TWILIO_ACCOUNT_SID={ACCOUNT_SID} \
         TWILIO_AUTH_TOKEN={AUTH_TOKEN}",
        fake.base_url()
    );
    let _ = tokio::signal::ctrl_c().await;
}
