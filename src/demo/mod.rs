//! `callwatch demo`: a simulated Twilio that needs no account and no network. [`generator`]
//! makes realistic call-summary CloudEvents from a seed, ending as a
//! [`scenario`] says; [`simulator`] signs them with a demo
//! token and POSTs them over real HTTP to a sink, as Event Streams does.

mod data;
mod edges;
mod facts;
pub mod generator;
mod live;
mod prng;
pub mod scenario;
pub mod simulator;

pub use generator::{CallGenerator, Scenario, SimulatedCall, SimulatedEvent};
pub use simulator::{DEMO_AUTH_TOKEN, SimulatorConfig, SimulatorStats, run};
