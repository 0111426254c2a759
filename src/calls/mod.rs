//! The calls we know about: every call-summary event merged by call SID into one record per
//! call ([`store`]), and the bounded memory of event ids that recognises Twilio's at-least-once
//! re-deliveries ([`dedupe`]). [`filter`] is the query language that picks calls out of the store;
//! [`search`] is what it reads of every call, and [`packed`] keeps each call's full summary
//! compressed beside the record.

pub mod columns;
pub mod dedupe;
pub mod filter;
pub mod live;
pub mod packed;
pub mod quality;
pub mod search;
pub mod sid;
pub mod stats;
pub mod store;
