//! Faults: the per-seed plan, the driver that injects and heals them, membership changes
//! through the API, and the log of what was done.

mod driver;
mod log;
mod membership;
mod plan;
mod truncation;

pub use driver::FaultDriver;
pub use log::{FaultLog, FaultWindow};
pub use membership::MembershipResult;
pub use plan::{as_millis, Fault, FaultPlan, MembershipChange, Step, Target};
