#![forbid(unsafe_code)]
//! callwatch: a Twilio Event Streams webhook sink with a live terminal table of Voice Insights
//! call summaries.
//!
//! The map, in the order a delivery travels:
//!
//! - [`twilio`]: the wire protocol. Signature checks ([`twilio::signature`]), CloudEvent
//!   envelopes ([`twilio::cloudevent`]), the typed call summary ([`twilio::summary`]) and the
//!   part of it every call keeps ([`twilio::summary_core`]), what Q.850/SIP codes and tags mean
//!   ([`twilio::codes`]), the REST clients (Events v1, Monitor v1), the rules of `setup`
//!   ([`twilio::provision`]) and the one sender of signed deliveries ([`twilio::webhook`]).
//! - [`ingest`]: the hyper listener that Twilio POSTs to; it verifies, parses, deduplicates and
//!   answers at once, then hands [`ingest::Delivery`]s to a bounded channel.
//! - [`kinesis`]: the other way in: reading the Amazon Kinesis stream a Twilio Kinesis sink
//!   writes to, shard by shard, each record judged like a webhook body without a signature.
//! - [`calls`]: the call store that merges summaries by call SID without ever regressing.
//! - [`tui`] and [`output`]: the consumers of that channel: the live table, or ndjson /
//!   compact lines.
//! - [`alerts`]: Twilio's side of the story, the Debugger alerts about the sink, polled from
//!   the Monitor API and shown beside the deliveries.
//! - [`demo`]: a simulated Twilio that signs realistic deliveries and POSTs them over HTTP.
//! - [`monitor`]: a run put together: the listener on its socket, the channel and one consumer
//!   (the TUI or a line writer), started, presented and shut down together; `listen`, `demo`
//!   and `setup` run through it, and `replay` presents through it.
//! - [`cli`] and [`commands`]: every flag, turned in one step into a command's checked
//!   settings ([`cli::UsageError`], exit code 2, when a check fails), and one runner per
//!   subcommand that takes only those settings.
//! - [`session`]: what every consumer of the channel keeps (the store, recent deliveries,
//!   alerts) and the options every output starts with ([`session::ViewOptions`]).
//! - [`config`] and [`logging`]: the config file that sets the flags' defaults, and the log
//!   file (never the terminal).
//! - [`text`]: the one escaper of network and file text on its way to a terminal, and the text
//!   tools several modules share (edit distance, plain tables).
//! - [`shutdown`]: the signals (Ctrl-C, SIGTERM, SIGHUP) that stop a run.
//! - [`timestamp`]: how times are written and read (RFC 3339, the screen's local clock).
//!
//! The long version, with the flow drawn and the command-line contract: `docs/architecture.md`;
//! the ndjson lines: `docs/ndjson.md`; the signature rules and their sources:
//! `docs/signatures.md`.

pub mod alerts;
pub mod calls;
pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod ingest;
pub mod kinesis;
pub mod logging;
pub mod monitor;
pub mod output;
pub mod session;
pub mod shutdown;
pub mod text;
pub mod timestamp;
pub mod tui;
pub mod tunnel;
pub mod twilio;
