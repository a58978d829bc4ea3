//! coupon-node's integration tests: real clusters on 127.0.0.1, in-process or as processes.

mod auth;
mod campaigns;
mod catalogue;
mod cluster_crash;
mod cluster_membership;
mod cluster_race;
mod cluster_regions;
mod cluster_snapshot;
mod codes;
mod holds;
mod http_contract;
mod http_replay;
mod money;
mod openapi;
mod operations;
mod support;
