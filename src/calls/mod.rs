//! The calls we know about: every call-summary event merged by call SID into one record per call.

pub mod store;
