//! The simulated cluster: coupon nodes on their own madsim machines and disks, the registry of
//! running nodes, and the observer of Raft's own invariants.

pub mod address;
mod cluster;
mod elections;
mod log_times;
mod node_spec;
mod observer;
mod registry;
mod use_probe;

pub use cluster::{Cluster, Power};
pub use elections::{Election, Elections};
pub use log_times::LogTimes;
pub use node_spec::{NodeSpec, Timing};
pub use observer::{CommittedEntry, Observations, Observer};
pub use registry::{LiveNode, Registry};
