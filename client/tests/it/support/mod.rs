//! A real cluster of `coupon-node` processes for the client's and the CLI's tests.

pub mod local_cluster;
pub mod node_binary;
pub mod probe;
pub mod test_ca;

pub use local_cluster::LocalCluster;
pub use test_ca::TestCa;
