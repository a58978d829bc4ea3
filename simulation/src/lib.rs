//! coupon-simulation: the real coupon cluster (raft-store, openraft, the axum routers,
//! forwarding, idempotency, the real client) inside madsim's deterministic simulation, with
//! faults chosen by a seed and every run checked for what the service promises.
//!
//! - `net`: HTTP over simulated TCP, behind the node's `Transport` and the client's `Exchange`.
//! - `harness`: simulated nodes on crash-able in-memory disks; the observer of Raft invariants.
//! - `faults`: per-seed fault plans and the driver that injects and heals them.
//! - `workload`: simulated clients racing for coupons, and the history of what they saw.
//! - `checker`: a linearizability checker and the model of a coupon.
//! - `region`: where each host of a region run sits and the delays between regions (plain data,
//!   below everything); `region_scenarios` plans those runs, `region_latency` measures them.
//! - `invariants`: one checked property per file.
//! - `scenario`, `run`, `report`: what a test runs, and what a failure leaves behind.
//!
//! Builds only with `RUSTFLAGS="--cfg madsim"` (see `scripts/sim.sh`). Nothing depends on it.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

#[cfg(not(madsim))]
compile_error!(
    "coupon-simulation runs only under madsim: use scripts/sim.sh (RUSTFLAGS=\"--cfg madsim\")"
);

pub mod checker;
pub mod faults;
pub mod final_state;
pub mod harness;
pub mod invariants;
pub mod liveness;
pub mod net;
pub mod region;
pub mod region_latency;
pub mod region_scenarios;
pub mod report;
pub mod run;
pub mod scenario;
pub mod workload;

pub use run::run_scenario;
pub use scenario::Scenario;
