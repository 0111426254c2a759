//! The calls we know about: every call-summary event merged by call SID into one record per
//! call ([`store`]), and the bounded memory of event ids that recognises Twilio's at-least-once
//! re-deliveries ([`dedupe`]).

pub mod dedupe;
pub mod store;
