//! Linearizability checking: a generic Wing–Gong–Lowe search (`wgl`) and the model of one
//! coupon as a counter with a limit (`counter_model`).

pub mod counter_model;
pub mod wgl;

#[cfg(test)]
mod tests;

pub use counter_model::{CounterOp, CounterState, CounterWithLimit};
pub use wgl::{check, Model, Timed, Verdict};
