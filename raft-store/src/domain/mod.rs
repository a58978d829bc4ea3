//! The coupon domain: values, their validation, and the eligibility rule of a redeem. Pure data
//! and functions; nothing here knows about Raft or storage.

mod alert;
mod api_key;
mod audit;
mod campaign;
mod code;
mod code_job;
mod coupon;
mod coupon_changes;
mod currency;
mod discount;
mod eligibility;
mod hold;
mod ids;
mod invalid;
mod metadata;
mod money;
mod redemption;
mod status;
mod time;

#[cfg(test)]
pub(crate) mod fixtures;

pub use alert::Alert;
pub use api_key::{ApiKey, KeyDigest, KeyId, KeyLabel, Role};
pub use audit::{AuditAction, AuditRecord};
pub use campaign::Campaign;
pub use code::{CouponCode, CROCKFORD_ALPHABET};
pub use code_job::{CodeJob, CodePattern, JobState};
pub use coupon::{check_window, parse_cap, parse_count, parse_minimum, Coupon, CouponTerms};
pub use coupon_changes::CouponChanges;
pub use currency::Currency;
pub use discount::{AmountOverflow, Discount};
pub use eligibility::{check_order_currency, check_redeem, OrderFacts, RedeemRejection};
pub use hold::{Hold, HoldState};
pub use ids::{
    AlertId, AuditId, CampaignId, CampaignName, CouponId, HoldId, JobId, OrderId, RedemptionId,
    UserId,
};
pub use invalid::{BoundsError, Invalid};
pub use metadata::Metadata;
pub use money::{
    check_amount_range, parse_amount, parse_positive_amount, round_to_minor_unit, AMOUNT_MAX,
    ROUNDING, UNSTATED_CURRENCY_MINOR_UNITS,
};
pub use redemption::Redemption;
pub use status::{CouponStatus, IndexedStatus};
pub use time::Timestamp;
