//! `StateReader`: typed reads of the coupon state from one tree view: the committed tree, or the
//! tree with a batch's pending writes on top. Apply decides through it; the node reads through it.

use std::ops::Bound;

use rust_decimal::Decimal;

use crate::domain::{
    Alert, AlertId, ApiKey, AuditId, AuditRecord, Campaign, CampaignId, CodeJob, CodePattern,
    Coupon, CouponCode, CouponId, Currency, Hold, HoldId, JobId, KeyDigest, KeyId, OrderFacts,
    OrderId, Redemption, RedemptionId, Timestamp, UserId,
};
use crate::error::Result;
use crate::idempotency::{IdempotencyKey, IdempotencyRecord, NodeBatchRecord};
use crate::keyspace::{
    self, Alerts, ApiKeys, AuditLog, CampaignCodes, Campaigns, CodeIndex, CodeJobs,
    CouponRedemptions, Coupons, HoldExpiry, Holds, IdempotencyExpiry, IdempotencyRecords,
    KeyDigests, KeySpace, Meta, NodeBatchRecords, OrderHolds, OrderRedemptions, PatternCodes,
    Redemptions, RunningJobs, UndeliveredAlerts, UserRedemptionCounts,
};
use crate::state_meta::StateMeta;
use crate::storage::{ReadTree, ScanOrder};

mod coupon_listing;

pub use coupon_listing::{CouponFilter, CouponPage};

#[derive(Clone, Copy)]
pub struct StateReader<'a> {
    tree: &'a dyn ReadTree,
}

/// The idempotency keys one log entry recorded, due for expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiringKeys {
    pub recorded_at: Timestamp,
    pub entry_index: u64,
    pub keys: Vec<IdempotencyKey>,
}

/// One page of a coupon's redemption history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryPage {
    pub redemptions: Vec<Redemption>,
    /// The id to pass as `after` for the next page; `None` on the last page.
    pub next_after: Option<RedemptionId>,
}

impl<'a> StateReader<'a> {
    pub fn new(tree: &'a dyn ReadTree) -> Self {
        Self { tree }
    }

    pub fn meta(&self) -> Result<StateMeta> {
        Ok(keyspace::get::<Meta>(self.tree, &())?.unwrap_or_default())
    }

    pub fn coupon(&self, id: CouponId) -> Result<Option<Coupon>> {
        let coupon = keyspace::get::<Coupons>(self.tree, &id)?;
        if let Some(coupon) = &coupon {
            // Paired with the check where a coupon is written (`write_change`).
            assert_eq!(coupon.id, id, "coupon {id} is stored under its own id");
            coupon.assert_within_limit();
        }
        Ok(coupon)
    }

    pub fn coupon_id_by_code(&self, code: &CouponCode) -> Result<Option<CouponId>> {
        keyspace::get::<CodeIndex>(self.tree, code)
    }

    pub fn redemption(&self, id: RedemptionId) -> Result<Option<Redemption>> {
        keyspace::get::<Redemptions>(self.tree, &id)
    }

    /// Uses of `coupon_id` taken by `user_id`: live redemptions and live holds. Kept only for
    /// coupons with a per-user limit (added or removed only while no use is taken), so for the
    /// others this is always 0.
    pub fn user_redemptions(&self, coupon_id: CouponId, user_id: &UserId) -> Result<u32> {
        let key = (coupon_id, user_id.clone());
        Ok(keyspace::get::<UserRedemptionCounts>(self.tree, &key)?.unwrap_or(0))
    }

    /// What eligibility weighs about an order for `coupon`, the counts read from this state: the
    /// user's live redemptions (counted only under a per-user limit) and whether `order_id`
    /// already has a live redemption. Apply decides a redeem on these facts, validate too.
    pub fn order_facts<'o>(
        &self,
        coupon: &Coupon,
        user_id: Option<&UserId>,
        order_id: Option<&OrderId>,
        order_amount: Option<Decimal>,
        currency: Option<&'o Currency>,
    ) -> Result<OrderFacts<'o>> {
        let user_redemptions = match user_id {
            Some(user_id) if coupon.terms.per_user_limit.is_some() => {
                self.user_redemptions(coupon.id, user_id)?
            }
            _ => 0,
        };
        let order_already_redeemed = match order_id {
            Some(order_id) => {
                self.order_redemption(coupon.id, order_id)?.is_some()
                    || self.order_hold(coupon.id, order_id)?.is_some()
            }
            None => false,
        };
        let campaign_budget_left = match coupon.campaign_id {
            Some(id) => self.campaign(id)?.and_then(|campaign| campaign.budget_left()),
            None => None,
        };
        Ok(OrderFacts {
            order_amount,
            currency,
            user_redemptions,
            order_already_redeemed,
            campaign_budget_left,
        })
    }

    /// The live redemption of `coupon_id` for `order_id`, if there is one.
    pub fn order_redemption(
        &self,
        coupon_id: CouponId,
        order_id: &OrderId,
    ) -> Result<Option<RedemptionId>> {
        keyspace::get::<OrderRedemptions>(self.tree, &(coupon_id, order_id.clone()))
    }

    pub fn code_job(&self, id: JobId) -> Result<Option<CodeJob>> {
        keyspace::get::<CodeJobs>(self.tree, &id)
    }

    /// Up to `limit` jobs still running, oldest first.
    pub fn running_jobs(&self, limit: usize) -> Result<Vec<JobId>> {
        let running = keyspace::scan::<RunningJobs>(
            self.tree,
            Bound::Unbounded,
            Bound::Unbounded,
            ScanOrder::Ascending,
            limit,
        )?;
        Ok(running.into_iter().map(|(id, ())| id).collect())
    }

    /// Up to `limit` jobs (every job, finished ones too) with ids above `after`, oldest first.
    pub fn code_jobs(&self, after: Option<JobId>, limit: usize) -> Result<Vec<CodeJob>> {
        self.values_after::<CodeJobs>(after.as_ref(), limit)
    }

    /// The codes every job admitted so far asked of `pattern` (made or not yet).
    pub fn pattern_codes(&self, pattern: &CodePattern) -> Result<u64> {
        Ok(keyspace::get::<PatternCodes>(self.tree, pattern)?.unwrap_or(0))
    }

    /// Up to `limit` patterns that jobs were admitted for, in key order.
    pub fn code_patterns(&self, limit: usize) -> Result<Vec<CodePattern>> {
        let patterns = keyspace::scan::<PatternCodes>(
            self.tree,
            Bound::Unbounded,
            Bound::Unbounded,
            ScanOrder::Ascending,
            limit,
        )?;
        Ok(patterns.into_iter().map(|(pattern, _)| pattern).collect())
    }

    pub fn campaign(&self, id: CampaignId) -> Result<Option<Campaign>> {
        keyspace::get::<Campaigns>(self.tree, &id)
    }

    /// Up to `limit` of a campaign's codes (their coupon ids) after `after`, in id order.
    pub fn campaign_codes(
        &self,
        campaign_id: CampaignId,
        after: Option<CouponId>,
        limit: usize,
    ) -> Result<Vec<CouponId>> {
        let from = match after {
            Some(after) => Bound::Excluded((campaign_id, after)),
            None => Bound::Included((campaign_id, CouponId(0))),
        };
        let codes = keyspace::scan::<CampaignCodes>(
            self.tree,
            from.as_ref(),
            Bound::Included(&(campaign_id, CouponId(u64::MAX))),
            ScanOrder::Ascending,
            limit,
        )?;
        Ok(codes.into_iter().map(|((_, coupon_id), ())| coupon_id).collect())
    }

    /// The live hold that takes `order_id` on `coupon_id`, if there is one.
    pub fn order_hold(&self, coupon_id: CouponId, order_id: &OrderId) -> Result<Option<HoldId>> {
        keyspace::get::<OrderHolds>(self.tree, &(coupon_id, order_id.clone()))
    }

    pub fn hold(&self, id: HoldId) -> Result<Option<Hold>> {
        let hold = keyspace::get::<Holds>(self.tree, &id)?;
        if let Some(hold) = &hold {
            assert_eq!(hold.id, id, "hold {id} is stored under its own id");
        }
        Ok(hold)
    }

    /// Up to `limit` live holds whose expiry is at or before `now`, soonest first.
    pub fn holds_due(&self, now: Timestamp, limit: usize) -> Result<Vec<HoldId>> {
        let due = keyspace::scan::<HoldExpiry>(
            self.tree,
            Bound::Unbounded,
            Bound::Included(&(now, HoldId(u64::MAX))),
            ScanOrder::Ascending,
            limit,
        )?;
        Ok(due.into_iter().map(|((_, id), ())| id).collect())
    }

    pub fn idempotency_record(&self, key: &IdempotencyKey) -> Result<Option<IdempotencyRecord>> {
        keyspace::get::<IdempotencyRecords>(self.tree, key)
    }

    /// The record of a node's batch, by the batch's key (`IdempotencyKey::node_batch_slot`).
    pub fn node_batch_record(&self, batch: &IdempotencyKey) -> Result<Option<NodeBatchRecord>> {
        keyspace::get::<NodeBatchRecords>(self.tree, batch)
    }

    /// Up to `limit` of the oldest listings of idempotency keys recorded before `cutoff`.
    pub fn idempotency_expiring(
        &self,
        cutoff: Timestamp,
        limit: usize,
    ) -> Result<Vec<ExpiringKeys>> {
        let oldest = keyspace::scan::<IdempotencyExpiry>(
            self.tree,
            Bound::Unbounded,
            Bound::Excluded(&(cutoff, 0)),
            ScanOrder::Ascending,
            limit,
        )?;
        Ok(oldest
            .into_iter()
            .map(|((recorded_at, entry_index), keys)| ExpiringKeys {
                recorded_at,
                entry_index,
                keys,
            })
            .collect())
    }

    /// Redemptions of `coupon_id` with ids above `after`, oldest first, at most `limit`.
    pub fn coupon_history(
        &self,
        coupon_id: CouponId,
        after: Option<RedemptionId>,
        limit: usize,
    ) -> Result<HistoryPage> {
        // Bounds, not arithmetic on the cursor: `after` may be any u64, `u64::MAX` included.
        let from = after.map_or(Bound::Included((coupon_id, RedemptionId(0))), |after| {
            Bound::Excluded((coupon_id, after))
        });
        let to = (coupon_id, RedemptionId(u64::MAX));
        // One more than the page, to learn whether another page follows.
        let ids = keyspace::scan::<CouponRedemptions>(
            self.tree,
            from.as_ref(),
            Bound::Included(&to),
            ScanOrder::Ascending,
            limit.saturating_add(1),
        )?;
        let more = ids.len() > limit;
        let mut redemptions = Vec::with_capacity(limit.min(ids.len()));
        for ((_, redemption_id), ()) in ids.into_iter().take(limit) {
            let redemption = self.redemption(redemption_id)?;
            debug_assert!(redemption.is_some(), "history index points at a missing redemption");
            redemptions.extend(redemption);
        }
        let next_after = if more { redemptions.last().map(|r| r.id) } else { None };
        Ok(HistoryPage { redemptions, next_after })
    }

    pub fn alert(&self, id: AlertId) -> Result<Option<Alert>> {
        keyspace::get::<Alerts>(self.tree, &id)
    }

    /// Alerts, oldest first, after `after`, at most `limit`.
    pub fn alerts(&self, after: Option<AlertId>, limit: usize) -> Result<Vec<Alert>> {
        self.values_after::<Alerts>(after.as_ref(), limit)
    }

    /// Alerts whose webhook delivery is not yet confirmed, oldest first.
    pub fn undelivered_alerts(&self, limit: usize) -> Result<Vec<Alert>> {
        let ids = keyspace::scan::<UndeliveredAlerts>(
            self.tree,
            Bound::Unbounded,
            Bound::Unbounded,
            ScanOrder::Ascending,
            limit,
        )?;
        let mut alerts = Vec::with_capacity(ids.len());
        for (id, ()) in ids {
            alerts.extend(keyspace::get::<Alerts>(self.tree, &id)?);
        }
        Ok(alerts)
    }

    pub fn api_key(&self, id: &KeyId) -> Result<Option<ApiKey>> {
        keyspace::get::<ApiKeys>(self.tree, id)
    }

    /// The key whose secret has this digest, revoked or not.
    pub fn api_key_by_digest(&self, digest: &KeyDigest) -> Result<Option<ApiKey>> {
        let Some(id) = keyspace::get::<KeyDigests>(self.tree, digest)? else { return Ok(None) };
        let key = self.api_key(&id)?;
        // Paired with `write_change`, which writes a key and its digest together.
        assert!(
            key.as_ref().is_some_and(|key| key.digest == *digest),
            "digest index of {id} is stale"
        );
        Ok(key)
    }

    /// Keys in id order after `after`, at most `limit`, revoked ones included.
    pub fn api_keys(&self, after: Option<&KeyId>, limit: usize) -> Result<Vec<ApiKey>> {
        self.values_after::<ApiKeys>(after, limit)
    }

    /// Whether the cluster holds any key (revoked ones count): once it does, every request needs one.
    pub fn holds_keys(&self) -> Result<bool> {
        Ok(!self.api_keys(None, 1)?.is_empty())
    }

    /// The hash of the trail's last record (`GENESIS_HASH` before the first): what the next
    /// record chains to.
    pub fn last_audit_hash(&self) -> Result<String> {
        let last = keyspace::scan::<AuditLog>(
            self.tree,
            Bound::Unbounded,
            Bound::Unbounded,
            ScanOrder::Descending,
            1,
        )?;
        Ok(last.into_iter().next().map_or_else(
            || coupon_client::api::audit::GENESIS_HASH.to_owned(),
            |(_, record)| record.hash,
        ))
    }

    /// Audit records after `after`, oldest first, at most `limit`.
    pub fn audit_records(&self, after: Option<AuditId>, limit: usize) -> Result<Vec<AuditRecord>> {
        self.values_after::<AuditLog>(after.as_ref(), limit)
    }

    /// The values of `S` with keys above `after`, in key order, at most `limit`: one page.
    fn values_after<S: KeySpace>(
        &self,
        after: Option<&S::Key>,
        limit: usize,
    ) -> Result<Vec<S::Value>> {
        let from = after.map_or(Bound::Unbounded, Bound::Excluded);
        let entries =
            keyspace::scan::<S>(self.tree, from, Bound::Unbounded, ScanOrder::Ascending, limit)?;
        Ok(entries.into_iter().map(|(_, value)| value).collect())
    }
}
