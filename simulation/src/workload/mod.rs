//! The simulated clients: what they do (`spec`), the coupons they race for (`pool`), one client's
//! loop (`racer`), single pinned attempts (`pinned`), coupon creation (`setup`), the coupons and
//! campaign of checkouts (`checkout`, raced for by `holds`), and the record of every operation
//! (`history`).

pub mod checkout;
pub mod history;
mod holds;
pub mod pinned;
pub mod pool;
pub mod racer;
mod redeems;
pub mod setup;
pub mod spec;

pub use checkout::Checkout;
pub use history::{Call, History, Op, OpId, Outcome, ReadKind, Via};
pub use pool::{CouponPool, PoolCoupon};
pub use racer::Racer;
pub use spec::{Weights, WorkloadSpec};
