//! Test clusters of real nodes on 127.0.0.1: in-process (`InProcessCluster`, for tests that look
//! inside a node) and as child processes (`ProcessCluster`, for SIGKILL), plus HTTP helpers.

pub mod cpu_throttle;
pub mod http;
pub mod in_process;
pub mod processes;
pub mod relay;
pub mod wait;
pub mod webhook;

/// Cluster tests share two cores; running them one at a time keeps elections and deadlines
/// meaningful. Each test holds this for its whole run.
pub static ONE_CLUSTER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
