//! coupon-client: the coupon service's wire contract and a typed Rust client for it.
//!
//! - [`api`]: request/response types, error codes, problem bodies, header names. No HTTP
//!   dependency; the node uses it with this crate's `http` feature off.
//!
//! Must never depend on: coupon-node, raft-store, openraft, sled, axum. The wire contract is
//! what the client publishes and the server implements, not the other way round.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod api;
