//! Transition tables and properties of `apply`, run against the real key spaces on a `MemDisk`.

mod ledger;
mod properties;
mod tables;
