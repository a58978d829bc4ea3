//! What applying a request decided. A refusal is an `Outcome` too, never an `Err`: openraft treats
//! an error from apply as a storage fault.

use serde::{Deserialize, Serialize};

use crate::domain::{Alert, ApiKey, Campaign, CodeJob, Coupon, Hold, RedeemRejection, Redemption};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Created(Coupon),
    Redeemed {
        redemption: Redemption,
        coupon: Coupon,
        /// The low-stock alert this redeem raised, if it crossed the threshold.
        alert: Option<Alert>,
    },
    RolledBack {
        redemption: Redemption,
        coupon: Coupon,
    },
    /// The coupon after a deactivate or reactivate.
    Updated(Coupon),
    AlertDeliveryConfirmed,
    KeyCreated(ApiKey),
    /// The key after its revocation (revoking a revoked key answers it again).
    KeyRevoked(ApiKey),
    MembershipNoted,
    /// A hold placed, or released (or found ended by expiry when released), with its coupon.
    HoldPlaced {
        hold: Hold,
        coupon: Coupon,
    },
    HoldReleased {
        hold: Hold,
        coupon: Coupon,
    },
    CampaignCreated(Campaign),
    /// Every code of an import was added, as coupons with consecutive ids from `first`.
    CampaignCodesAdded {
        campaign: Campaign,
        first: crate::domain::CouponId,
        count: u32,
    },
    /// Nothing was added: these codes of the import (positions in it, from 0) exist already.
    CampaignCodesTaken {
        positions: Vec<u32>,
    },
    /// A job as it stands after starting, or after a chunk ran.
    CodeJob(CodeJob),
    Rejected(Rejection),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rejection {
    CouponNotFound,
    CodeAlreadyExists,
    RedemptionNotFound,
    AlreadyRolledBack,
    Redeem(RedeemRejection),
    /// The idempotency key was first used for a different request.
    IdempotencyKeyReused,
    KeyNotFound,
    /// A key with this id or this secret exists already.
    KeyAlreadyExists,
    /// The cluster holds `KEYS_MAX` keys.
    TooManyKeys,
    /// A `PATCH` would take `usage_limit` below the uses taken.
    UsageLimitBelowUsed,
    /// A `PATCH` would add or remove the per-user limit of a coupon with live redemptions.
    PerUserLimitAfterRedemptions,
    HoldNotFound,
    /// A confirm at or after the hold's expiry: its use went back.
    HoldExpired,
    /// A confirm of a released hold.
    HoldReleased,
    /// A release of a confirmed hold: roll its redemption back instead.
    HoldConfirmed,
    CampaignNotFound,
    JobNotFound,
    /// The pattern cannot hold the codes asked for while staying at most half full.
    PatternTooSmall,
    /// The command breaks a bound of the state (`KeyedCommand::check_bounds`). The node checks
    /// every command before it proposes it, so only a command that came round that check (a
    /// forged or corrupt one) gets here; apply refuses it and changes nothing.
    InvalidCommand,
}

/// What apply decided for one keyed command of a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedOutcome {
    pub outcome: Outcome,
    /// The outcome was stored under the request's idempotency key by an earlier request, and is
    /// returned again unchanged.
    pub replayed: bool,
}

/// The answers to one log entry, in request order (empty for blank and membership entries).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedOutcomes(pub Vec<AppliedOutcome>);
