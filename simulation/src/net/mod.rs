//! HTTP over madsim's simulated TCP: the node's `Transport` and the client's `Exchange`, and the
//! wide-area delays of a region run on every message of both.

mod connection_pool;
mod http_call;
mod sim_exchange;
mod sim_transport;
pub mod wan;

pub use http_call::{http_call, FailureKind, HttpFailure};
pub use sim_exchange::SimExchange;
pub use sim_transport::SimTransport;
