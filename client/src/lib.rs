//! coupon-client: the coupon service's wire contract and a typed Rust client for it.
//!
//! - [`api`]: request/response types, error codes, problem bodies, header names. No HTTP
//!   dependency; the node uses it with this crate's `http` feature off.
//! - [`CouponClient`]: every endpoint of the API, with failover across nodes, bounded retries
//!   with jittered exponential backoff, and one `Idempotency-Key` per logical write.
//! - [`Exchange`]: the outgoing-HTTP seam the client sends through. [`ReqwestExchange`]
//!   (feature `http`, on by default) in production; the simulation brings its own over madsim.
//! - The `coupon` binary (`src/bin/coupon/`, feature `cli`, on by default): the command-line
//!   client and the `coupon bench` load generator. Its dependencies (clap, indicatif,
//!   hdrhistogram) are optional, so the library as the node uses it never pulls them in.
//!
//! Must never depend on: coupon-node, raft-store, openraft, sled, axum. The wire contract is
//! what the client publishes and the server implements, not the other way round. Time and
//! randomness come from `tokio::time` (madsim-tokio) and a seedable RNG, so the client is
//! deterministic in simulation.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod api;
mod client;
mod config;
mod error;
mod policy;
#[cfg(feature = "http")]
mod reqwest_exchange;
mod transport;

#[cfg(feature = "http")]
pub use client::HttpCouponClient;
pub use client::{CouponClient, HoldTarget, WriteReply};
pub use config::{
    ClientConfig, ATTEMPTS_MAX_DEFAULT, ATTEMPTS_MAX_LIMIT, BACKOFF_BASE_DEFAULT,
    BACKOFF_MAX_DEFAULT, CONNECT_TIMEOUT_DEFAULT, REQUEST_TIMEOUT_DEFAULT, RETRY_AFTER_MAX_DEFAULT,
};
pub use error::{ClientError, ConfigError, Result};
pub use policy::RetryPolicy;
#[cfg(feature = "http")]
pub use reqwest_exchange::ReqwestExchange;
pub use transport::{Exchange, TransportError, TransportErrorKind};
