//! Twilio's side of the wire: how deliveries are signed, what they contain, what the codes in
//! them mean, and the REST APIs (Events v1 for sinks and subscriptions, Monitor v1 for the
//! Debugger's alerts, Voice Insights v1 for call summaries, events, metrics and annotations),
//! the rules that provision a sink and its subscription ([`provision`]), and the sender that
//! signs and POSTs deliveries as Event Streams does ([`webhook`]).

pub mod api;
pub mod cloudevent;
pub mod codes;
mod edge;
pub mod insights_api;
mod lenient;
pub mod live;
pub mod monitor_api;
pub mod provision;
pub mod rest;
pub mod signature;
pub mod summary;
pub mod summary_core;
pub mod url;
pub mod webhook;
