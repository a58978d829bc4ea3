//! coupon-client's integration tests: the typed client and the `coupon` CLI against real
//! `coupon-node` processes on free 127.0.0.1 ports, started and stopped (by pid) by the tests
//! themselves. They never use `scripts/`. How the node binary is found: `support/node_binary.rs`.

mod cli_bench;
mod cli_commands;
mod cli_exit_codes;
mod client_errors;
mod client_failover;
mod client_idempotency;
mod client_tls;
mod support;

use std::time::Duration;

use chrono::Utc;
use coupon_client::api::{CreateCouponRequest, Discount};
use coupon_client::{ClientConfig, HttpCouponClient};
use rust_decimal::Decimal;

/// A client of `nodes` patient enough to ride out an election (about 1 to 2 s here).
pub fn client(nodes: Vec<String>) -> HttpCouponClient {
    let config = ClientConfig {
        attempts_max: 20,
        backoff_max: Duration::from_millis(500),
        ..ClientConfig::default()
    };
    HttpCouponClient::new(nodes, config).expect("a valid node list")
}

/// A 10 % coupon with `usage_limit` uses, valid for a day.
pub fn coupon_request(usage_limit: u64) -> CreateCouponRequest {
    let discount = Discount::Percentage { value: Decimal::new(10, 0), currency: None };
    CreateCouponRequest::new(discount, Utc::now() + chrono::Duration::days(1), usage_limit)
}
