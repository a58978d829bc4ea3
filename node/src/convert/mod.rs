//! Conversions between the wire types (`coupon_client::api`) and the domain (`raft_store`):
//! requests are validated into commands here, and outcomes rendered back.

mod campaign;
mod coupon_update;
mod listing;
mod new_coupon;
mod redeem;
mod to_wire;

use coupon_client::api::{ErrorCode, FieldError, RejectionReason};
use raft_store::domain::{BoundsError, RedeemRejection};
use raft_store::outcome::Rejection;

pub use campaign::{campaign_codes, code_job_command, new_campaign};
pub use coupon_update::coupon_changes;
pub use listing::coupon_filter;
pub use new_coupon::new_coupon;
pub use redeem::{hold_command, order_facts_query, redeem_command};
pub use to_wire::{alert, api_key, campaign, code_job, coupon, domain_role, hold, redemption};

/// The wire word for a redeem refusal; validate answers it as `reason`.
pub fn rejection_reason(rejection: RedeemRejection) -> RejectionReason {
    match rejection {
        RedeemRejection::Inactive => RejectionReason::Inactive,
        RedeemRejection::NotStarted => RejectionReason::NotStarted,
        RedeemRejection::Expired => RejectionReason::Expired,
        RedeemRejection::UsageLimitReached => RejectionReason::UsageLimitReached,
        RedeemRejection::CampaignBudgetReached => RejectionReason::CampaignBudgetReached,
        RedeemRejection::PerUserLimitReached => RejectionReason::PerUserLimitReached,
        RedeemRejection::OrderAlreadyRedeemed => RejectionReason::OrderAlreadyRedeemed,
        RedeemRejection::CurrencyMismatch => RejectionReason::CurrencyMismatch,
        RedeemRejection::MinOrderNotMet => RejectionReason::MinOrderNotMet,
    }
}

/// The contract's error code for a refusal decided by apply.
pub fn rejection_code(rejection: Rejection) -> ErrorCode {
    match rejection {
        Rejection::CouponNotFound => ErrorCode::CouponNotFound,
        Rejection::CodeAlreadyExists => ErrorCode::CodeAlreadyExists,
        Rejection::RedemptionNotFound => ErrorCode::RedemptionNotFound,
        Rejection::AlreadyRolledBack => ErrorCode::AlreadyRolledBack,
        Rejection::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
        // A command past the state's bounds: refused like any request out of bounds (422).
        Rejection::InvalidCommand => ErrorCode::InvalidRequest,
        Rejection::Redeem(reason) => ErrorCode::from(rejection_reason(reason)),
        Rejection::KeyNotFound => ErrorCode::KeyNotFound,
        Rejection::KeyAlreadyExists => ErrorCode::KeyAlreadyExists,
        Rejection::TooManyKeys => ErrorCode::KeyLimitReached,
        Rejection::UsageLimitBelowUsed => ErrorCode::UsageLimitBelowUsed,
        Rejection::PerUserLimitAfterRedemptions => ErrorCode::PerUserLimitAfterRedemptions,
        Rejection::HoldNotFound => ErrorCode::HoldNotFound,
        Rejection::HoldExpired => ErrorCode::HoldExpired,
        Rejection::HoldReleased => ErrorCode::HoldReleased,
        Rejection::HoldConfirmed => ErrorCode::HoldConfirmed,
        Rejection::CampaignNotFound => ErrorCode::CampaignNotFound,
        Rejection::JobNotFound => ErrorCode::JobNotFound,
        Rejection::PatternTooSmall => ErrorCode::CodePatternTooSmall,
    }
}

/// A command past the state's bounds (`KeyedCommand::check_bounds`), as the 422 field error.
pub fn out_of_bounds(error: BoundsError) -> InvalidFields {
    InvalidFields(vec![FieldError::new(error.field, error.invalid.to_string())])
}

/// A request that does not meet the contract, with every offending field, so that one answer
/// lists every problem.
#[derive(Debug, thiserror::Error)]
#[error("{} invalid field(s)", .0.len())]
pub struct InvalidFields(pub Vec<FieldError>);

/// Collects field errors while a request is checked.
#[derive(Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// The value, or `None` after recording why `field` is invalid.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        value: Result<T, E>,
    ) -> Option<T> {
        match value {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(FieldError::new(field, error.to_string()));
                None
            }
        }
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// `Ok(value)` when no error was recorded (the value must then be complete).
    pub fn finish<T>(self, value: Option<T>) -> Result<T, InvalidFields> {
        match (self.0.is_empty(), value) {
            (true, Some(value)) => Ok(value),
            (true, None) => Err(InvalidFields(vec![FieldError::new("body", "is invalid")])),
            (false, _) => Err(InvalidFields(self.0)),
        }
    }
}
