//! `Campaign`: one set of rules behind many codes. Each code is a coupon with the campaign's terms
//! and its `campaign_id`; a use of any of them also counts against the campaign's budget, in the
//! same apply.

use serde::{Deserialize, Serialize};

use super::{CampaignId, CampaignName, CouponTerms, Timestamp};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: CampaignId,
    pub name: CampaignName,
    /// Every code's terms; `usage_limit` is the limit of each code.
    pub terms: CouponTerms,
    /// Uses across all codes (redeemed and held); `None`: only each code's own limit.
    pub budget: Option<u32>,
    /// Live redemptions across all codes.
    pub times_redeemed: u64,
    /// Uses held across all codes.
    pub held: u64,
    /// Codes the campaign has.
    pub codes: u64,
    pub created_at: Timestamp,
}

impl Campaign {
    pub fn uses_taken(&self) -> u64 {
        self.times_redeemed + self.held
    }

    /// Uses the budget has left; `None` when there is no budget.
    pub fn budget_left(&self) -> Option<u64> {
        self.budget.map(|budget| u64::from(budget).saturating_sub(self.uses_taken()))
    }

    /// The write-path invariant, checked wherever a campaign is stored: the uses taken stay
    /// within the budget.
    pub fn assert_within_budget(&self) {
        if let Some(budget) = self.budget {
            assert!(
                self.uses_taken() <= u64::from(budget),
                "campaign {} over its budget: {} redeemed and {} held of {budget}",
                self.id,
                self.times_redeemed,
                self.held
            );
        }
    }
}
