//! `RejectionReason`: why a redeem is refused (409) or a validate answers `valid: false`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a coupon cannot be redeemed now. A rejected redeem is a 409 whose `code` is this word; a
/// validate returns it as `reason` with a 200.
///
/// **Precedence:** when several apply, the first in declaration order wins, and the derived
/// `Ord` follows that order, so the winner of a set of reasons is its minimum. The domain's
/// `RedeemRejection` (raft-store) decides in the same order; the node maps one onto the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(description = "Why a coupon \
    cannot be redeemed now: the `code` of a redeem's 409, and validate's `reason`. When several \
    apply, the first in this order wins: `inactive`, `not_started`, `expired` (at `expires_at` \
    and after), `usage_limit_reached`, `campaign_budget_reached` (the code's campaign has used its \
    budget), `per_user_limit_reached`, `order_already_redeemed`, \
    `currency_mismatch` (a fixed discount and a `currency` that differs), `min_order_not_met` \
    (the coupon has a minimum and `order_amount` is below it or absent).")
)]
#[serde(rename_all = "snake_case")]
pub enum RejectionReason {
    /// The coupon has been voided.
    Inactive,
    /// `now < starts_at`.
    NotStarted,
    /// `now >= expires_at`.
    Expired,
    /// No uses left (`remaining == 0`).
    UsageLimitReached,
    /// The code has uses left, but its campaign's budget has none.
    CampaignBudgetReached,
    /// This `user_id` has used its `per_user_limit`.
    PerUserLimitReached,
    /// This coupon was already redeemed for this `order_id` (and not rolled back).
    OrderAlreadyRedeemed,
    /// A fixed discount and a `currency` that differs; no `currency` given, no check.
    CurrencyMismatch,
    /// The coupon has a minimum and `order_amount` is below it or absent.
    MinOrderNotMet,
}

impl RejectionReason {
    /// Every reason, in precedence order (first wins).
    pub const ALL: [RejectionReason; 9] = [
        Self::Inactive,
        Self::NotStarted,
        Self::Expired,
        Self::UsageLimitReached,
        Self::CampaignBudgetReached,
        Self::PerUserLimitReached,
        Self::OrderAlreadyRedeemed,
        Self::CurrencyMismatch,
        Self::MinOrderNotMet,
    ];

    /// The wire word, e.g. `"usage_limit_reached"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inactive => "inactive",
            Self::NotStarted => "not_started",
            Self::Expired => "expired",
            Self::UsageLimitReached => "usage_limit_reached",
            Self::CampaignBudgetReached => "campaign_budget_reached",
            Self::PerUserLimitReached => "per_user_limit_reached",
            Self::OrderAlreadyRedeemed => "order_already_redeemed",
            Self::CurrencyMismatch => "currency_mismatch",
            Self::MinOrderNotMet => "min_order_not_met",
        }
    }
}

impl fmt::Display for RejectionReason {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::RejectionReason;

    #[test]
    fn wire_words_match_serde() {
        for reason in RejectionReason::ALL {
            let json = serde_json::to_string(&reason).unwrap();
            assert_eq!(json, format!("\"{}\"", reason.as_str()));
            assert_eq!(serde_json::from_str::<RejectionReason>(&json).unwrap(), reason);
        }
    }

    #[test]
    fn precedence_is_the_declaration_order() {
        let mut sorted = RejectionReason::ALL;
        sorted.sort();
        assert_eq!(sorted, RejectionReason::ALL);
        let several = [RejectionReason::MinOrderNotMet, RejectionReason::Expired];
        assert_eq!(several.into_iter().min(), Some(RejectionReason::Expired));
    }
}
