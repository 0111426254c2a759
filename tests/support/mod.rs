//! Shared pieces of the integration tests.

pub mod fake_events_api;
pub mod fake_insights_api;
pub mod fake_monitor_api;
pub mod hermetic;
pub mod openapi;
