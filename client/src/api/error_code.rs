//! `ErrorCode`: the machine-readable `code` of every problem+json body, and the one place that
//! maps a code to its HTTP status and title.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::RejectionReason;

/// Every error `code` the API returns. Stable snake_case words: clients match on these, never
/// on `detail`. The status of a code is fixed here and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: malformed JSON, or an empty body where one is required.
    MalformedRequest,
    /// 401: a peer route called with a wrong cluster secret.
    Unauthorized,
    /// 404: no coupon with this id or code.
    CouponNotFound,
    /// 404: no redemption with this id.
    RedemptionNotFound,
    /// 404: an unknown route.
    NotFound,
    /// 405: a wrong method on a known route.
    MethodNotAllowed,
    /// 409: a coupon with this code (case-insensitively) exists.
    CodeAlreadyExists,
    /// 409: rollback of a redemption already rolled back.
    AlreadyRolledBack,
    /// 409: `POST /cluster/init` on a node that already belongs to a cluster.
    ClusterAlreadyInitialized,
    /// 409: redeem rejected, see [`RejectionReason::Inactive`].
    Inactive,
    /// 409: redeem rejected, see [`RejectionReason::NotStarted`].
    NotStarted,
    /// 409: redeem rejected, see [`RejectionReason::Expired`].
    Expired,
    /// 409: redeem rejected, see [`RejectionReason::UsageLimitReached`].
    UsageLimitReached,
    /// 409: redeem rejected, see [`RejectionReason::PerUserLimitReached`].
    PerUserLimitReached,
    /// 409: redeem rejected, see [`RejectionReason::OrderAlreadyRedeemed`].
    OrderAlreadyRedeemed,
    /// 409: redeem rejected, see [`RejectionReason::CurrencyMismatch`].
    CurrencyMismatch,
    /// 409: redeem rejected, see [`RejectionReason::MinOrderNotMet`].
    MinOrderNotMet,
    /// 413: request body over the size limit.
    PayloadTooLarge,
    /// 415: wrong `Content-Type` on a body.
    UnsupportedMediaType,
    /// 422: a field missing, of the wrong type or out of bounds; a bad path id or query value.
    InvalidRequest,
    /// 422: an `Idempotency-Key` reused with a different request.
    IdempotencyKeyReused,
    /// 429: the client exceeded its rate; comes with `Retry-After`.
    RateLimited,
    /// 500: a bug or a storage fault on the server.
    Internal,
    /// 503: no leader known, or the node is shedding load; comes with `Retry-After`.
    Unavailable,
    /// 503: a membership change reached a non-leader that could not forward it.
    NotLeader,
    /// 504: the outcome is unknown; retry with the same `Idempotency-Key`.
    Timeout,
}

impl ErrorCode {
    /// Every code, for tables (OpenAPI enums, metrics labels, tests).
    pub const ALL: [ErrorCode; 26] = [
        Self::MalformedRequest,
        Self::Unauthorized,
        Self::CouponNotFound,
        Self::RedemptionNotFound,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::CodeAlreadyExists,
        Self::AlreadyRolledBack,
        Self::ClusterAlreadyInitialized,
        Self::Inactive,
        Self::NotStarted,
        Self::Expired,
        Self::UsageLimitReached,
        Self::PerUserLimitReached,
        Self::OrderAlreadyRedeemed,
        Self::CurrencyMismatch,
        Self::MinOrderNotMet,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::InvalidRequest,
        Self::IdempotencyKeyReused,
        Self::RateLimited,
        Self::Internal,
        Self::Unavailable,
        Self::NotLeader,
        Self::Timeout,
    ];

    /// The HTTP status that always accompanies this code.
    pub fn status(self) -> u16 {
        match self {
            Self::MalformedRequest => 400,
            Self::Unauthorized => 401,
            Self::CouponNotFound | Self::RedemptionNotFound | Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::CodeAlreadyExists
            | Self::AlreadyRolledBack
            | Self::ClusterAlreadyInitialized
            | Self::Inactive
            | Self::NotStarted
            | Self::Expired
            | Self::UsageLimitReached
            | Self::PerUserLimitReached
            | Self::OrderAlreadyRedeemed
            | Self::CurrencyMismatch
            | Self::MinOrderNotMet => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::InvalidRequest | Self::IdempotencyKeyReused => 422,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Unavailable | Self::NotLeader => 503,
            Self::Timeout => 504,
        }
    }

    /// The problem's `title`: short, human, the same for every occurrence of the code.
    pub fn title(self) -> &'static str {
        match self {
            Self::MalformedRequest => "Malformed request",
            Self::Unauthorized => "Unauthorized",
            Self::CouponNotFound => "Coupon not found",
            Self::RedemptionNotFound => "Redemption not found",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::CodeAlreadyExists => "Code already exists",
            Self::AlreadyRolledBack => "Already rolled back",
            Self::ClusterAlreadyInitialized => "Cluster already initialized",
            Self::Inactive => "Coupon inactive",
            Self::NotStarted => "Coupon not started",
            Self::Expired => "Coupon expired",
            Self::UsageLimitReached => "Usage limit reached",
            Self::PerUserLimitReached => "Per-user limit reached",
            Self::OrderAlreadyRedeemed => "Order already redeemed",
            Self::CurrencyMismatch => "Currency mismatch",
            Self::MinOrderNotMet => "Minimum order not met",
            Self::PayloadTooLarge => "Payload too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::InvalidRequest => "Invalid request",
            Self::IdempotencyKeyReused => "Idempotency key reused",
            Self::RateLimited => "Rate limited",
            Self::Internal => "Internal server error",
            Self::Unavailable => "Service unavailable",
            Self::NotLeader => "Not leader",
            Self::Timeout => "Timeout",
        }
    }

    /// The wire word, e.g. `"usage_limit_reached"` (the same as its serde form).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedRequest => "malformed_request",
            Self::Unauthorized => "unauthorized",
            Self::CouponNotFound => "coupon_not_found",
            Self::RedemptionNotFound => "redemption_not_found",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::CodeAlreadyExists => "code_already_exists",
            Self::AlreadyRolledBack => "already_rolled_back",
            Self::ClusterAlreadyInitialized => "cluster_already_initialized",
            Self::Inactive => "inactive",
            Self::NotStarted => "not_started",
            Self::Expired => "expired",
            Self::UsageLimitReached => "usage_limit_reached",
            Self::PerUserLimitReached => "per_user_limit_reached",
            Self::OrderAlreadyRedeemed => "order_already_redeemed",
            Self::CurrencyMismatch => "currency_mismatch",
            Self::MinOrderNotMet => "min_order_not_met",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::InvalidRequest => "invalid_request",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
            Self::NotLeader => "not_leader",
            Self::Timeout => "timeout",
        }
    }

    /// The rejection reason this code stands for, if it is one of the eight.
    pub fn rejection_reason(self) -> Option<RejectionReason> {
        match self {
            Self::Inactive => Some(RejectionReason::Inactive),
            Self::NotStarted => Some(RejectionReason::NotStarted),
            Self::Expired => Some(RejectionReason::Expired),
            Self::UsageLimitReached => Some(RejectionReason::UsageLimitReached),
            Self::PerUserLimitReached => Some(RejectionReason::PerUserLimitReached),
            Self::OrderAlreadyRedeemed => Some(RejectionReason::OrderAlreadyRedeemed),
            Self::CurrencyMismatch => Some(RejectionReason::CurrencyMismatch),
            Self::MinOrderNotMet => Some(RejectionReason::MinOrderNotMet),
            _ => None,
        }
    }
}

impl From<RejectionReason> for ErrorCode {
    fn from(reason: RejectionReason) -> Self {
        match reason {
            RejectionReason::Inactive => Self::Inactive,
            RejectionReason::NotStarted => Self::NotStarted,
            RejectionReason::Expired => Self::Expired,
            RejectionReason::UsageLimitReached => Self::UsageLimitReached,
            RejectionReason::PerUserLimitReached => Self::PerUserLimitReached,
            RejectionReason::OrderAlreadyRedeemed => Self::OrderAlreadyRedeemed,
            RejectionReason::CurrencyMismatch => Self::CurrencyMismatch,
            RejectionReason::MinOrderNotMet => Self::MinOrderNotMet,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests;
