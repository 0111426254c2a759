//! Twilio's side of the wire: how deliveries are signed, what they contain, what the codes in
//! them mean, and the Events v1 REST API.

pub mod api;
pub mod cloudevent;
pub mod codes;
pub mod signature;
pub mod summary;
