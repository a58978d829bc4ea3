//! `Change`: one write that apply decided on, and the one place that turns changes into stored
//! key-value writes (with the invariants asserted on the way in).

use crate::domain::{
    Alert, ApiKey, AuditRecord, Campaign, CampaignId, CodeJob, CodePattern, Coupon, CouponCode,
    CouponId, Hold, HoldState, JobState, OrderId, Redemption, RedemptionId, Timestamp, UserId,
};
use crate::error::Result;
use crate::idempotency::{IdempotencyKey, IdempotencyRecord, NodeBatchRecord};
use crate::keyspace::{
    self, Alerts, ApiKeys, AuditLog, CampaignCodes, Campaigns, CodeIndex, CodeJobs,
    CouponRedemptions, Coupons, HoldExpiry, Holds, IdempotencyExpiry, IdempotencyRecords,
    KeyDigests, NodeBatchRecords, OrderHolds, OrderRedemptions, PatternCodes, Redemptions,
    RunningJobs, UndeliveredAlerts, UserRedemptionCounts,
};
use crate::storage::PendingWrites;

use super::coupon_index;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    PutCoupon(Coupon),
    IndexCode {
        code: CouponCode,
        coupon_id: CouponId,
    },
    /// Stores a redemption and lists it in its coupon's history.
    PutRedemption(Redemption),
    /// Live redemptions of a coupon by a user; zero removes the entry.
    SetUserRedemptions {
        coupon_id: CouponId,
        user_id: UserId,
        count: u32,
    },
    /// The live redemption of a coupon for an order; `None` frees the order.
    SetOrderRedemption {
        coupon_id: CouponId,
        order_id: OrderId,
        redemption_id: Option<RedemptionId>,
    },
    RecordIdempotency {
        key: IdempotencyKey,
        record: Box<IdempotencyRecord>,
    },
    /// Stores the record of a node's batch, by the batch's key.
    RecordNodeBatch {
        batch: IdempotencyKey,
        record: Box<NodeBatchRecord>,
    },
    /// Lists the keys one log entry recorded (requests' and node batches'), for their expiry.
    ListIdempotencyKeys {
        recorded_at: Timestamp,
        entry_index: u64,
        keys: Vec<IdempotencyKey>,
    },
    /// Forgets the records of a listed entry, and the listing.
    ExpireIdempotencyKeys {
        recorded_at: Timestamp,
        entry_index: u64,
        keys: Vec<IdempotencyKey>,
    },
    /// Stores an alert; an undelivered one is also listed for the webhook.
    PutAlert(Alert),
    /// Stores a key and indexes its digest (a key's digest never changes).
    PutKey(ApiKey),
    RecordAudit(AuditRecord),
    /// Stores a hold; a live one is also listed for expiry and takes its order, an ended one
    /// leaves both.
    PutHold(Hold),
    PutCampaign(Campaign),
    /// Lists a new coupon among its campaign's codes.
    ListCampaignCode {
        campaign_id: CampaignId,
        coupon_id: CouponId,
    },
    /// Stores a job; a running one is also listed for the runner.
    PutJob(CodeJob),
    /// The codes every job admitted so far asked of `pattern`.
    CountPatternCodes {
        pattern: CodePattern,
        codes: u64,
    },
}

/// Writes `change`, decided at log time `now` (the listing's indexes record statuses at it).
pub fn write_change(change: Change, now: Timestamp, pending: &mut PendingWrites<'_>) -> Result<()> {
    match change {
        Change::PutCoupon(coupon) => put_coupon(&coupon, now, pending)?,
        Change::IndexCode { code, coupon_id } => {
            pending.push(keyspace::put::<CodeIndex>(&code, &coupon_id)?)
        }
        Change::PutRedemption(redemption) => put_redemption(&redemption, pending)?,
        Change::SetUserRedemptions { coupon_id, user_id, count: 0 } => {
            pending.push(keyspace::delete::<UserRedemptionCounts>(&(coupon_id, user_id)));
        }
        Change::SetUserRedemptions { coupon_id, user_id, count } => {
            pending.push(keyspace::put::<UserRedemptionCounts>(&(coupon_id, user_id), &count)?);
        }
        Change::SetOrderRedemption { coupon_id, order_id, redemption_id: Some(id) } => {
            pending.push(keyspace::put::<OrderRedemptions>(&(coupon_id, order_id), &id)?);
        }
        Change::SetOrderRedemption { coupon_id, order_id, redemption_id: None } => {
            pending.push(keyspace::delete::<OrderRedemptions>(&(coupon_id, order_id)));
        }
        Change::RecordIdempotency { key, record } => {
            pending.push(keyspace::put::<IdempotencyRecords>(&key, &record)?);
        }
        Change::RecordNodeBatch { batch, record } => {
            assert!(batch.is_node_batch(), "a node batch's record is kept under its batch's key");
            pending.push(keyspace::put::<NodeBatchRecords>(&batch, &record)?);
        }
        Change::ListIdempotencyKeys { recorded_at, entry_index, keys } => {
            pending.push(keyspace::put::<IdempotencyExpiry>(&(recorded_at, entry_index), &keys)?);
        }
        Change::ExpireIdempotencyKeys { recorded_at, entry_index, keys } => {
            for key in &keys {
                let forgotten = if key.is_node_batch() {
                    keyspace::delete::<NodeBatchRecords>(key)
                } else {
                    keyspace::delete::<IdempotencyRecords>(key)
                };
                pending.push(forgotten);
            }
            pending.push(keyspace::delete::<IdempotencyExpiry>(&(recorded_at, entry_index)));
        }
        Change::PutAlert(alert) => {
            let listed = match alert.delivered_at {
                None => keyspace::put::<UndeliveredAlerts>(&alert.id, &())?,
                Some(_) => keyspace::delete::<UndeliveredAlerts>(&alert.id),
            };
            pending.push(listed);
            pending.push(keyspace::put::<Alerts>(&alert.id, &alert)?);
        }
        Change::PutKey(key) => {
            pending.push(keyspace::put::<KeyDigests>(&key.digest, &key.id)?);
            pending.push(keyspace::put::<ApiKeys>(&key.id, &key)?);
        }
        Change::PutHold(hold) => put_hold(&hold, pending)?,
        Change::PutCampaign(campaign) => {
            campaign.assert_within_budget();
            assert!(campaign.id.0 > 0, "ids are positive");
            pending.push(keyspace::put::<Campaigns>(&campaign.id, &campaign)?);
        }
        Change::ListCampaignCode { campaign_id, coupon_id } => {
            pending.push(keyspace::put::<CampaignCodes>(&(campaign_id, coupon_id), &())?);
        }
        Change::PutJob(job) => put_job(&job, pending)?,
        Change::CountPatternCodes { pattern, codes } => count_codes(&pattern, codes, pending)?,
        Change::RecordAudit(record) => {
            assert!(record.id.0 > 0, "ids are positive");
            pending.push(keyspace::put::<AuditLog>(&record.id, &record)?);
        }
    }
    Ok(())
}

/// A coupon, with its entries in the listing's indexes as of `now`.
fn put_coupon(coupon: &Coupon, now: Timestamp, pending: &mut PendingWrites<'_>) -> Result<()> {
    // Paired with the check where a coupon is read back (`StateReader::coupon`).
    coupon.assert_within_limit();
    assert!(coupon.id.0 > 0, "ids are positive");
    coupon_index::index(coupon, now, pending)?;
    pending.push(keyspace::put::<Coupons>(&coupon.id, coupon)?);
    Ok(())
}

/// A redemption, listed under its coupon.
fn put_redemption(redemption: &Redemption, pending: &mut PendingWrites<'_>) -> Result<()> {
    assert!(redemption.id.0 > 0, "ids are positive");
    let listed = (redemption.coupon_id, redemption.id);
    pending.push(keyspace::put::<CouponRedemptions>(&listed, &())?);
    pending.push(keyspace::put::<Redemptions>(&redemption.id, redemption)?);
    Ok(())
}

/// A hold, with its listing for expiry and its order while it is live; both go when it ends.
fn put_hold(hold: &Hold, pending: &mut PendingWrites<'_>) -> Result<()> {
    assert!(hold.id.0 > 0, "ids are positive");
    let expiry = (hold.expires_at, hold.id);
    let order = hold.order_id.clone().map(|order_id| (hold.coupon_id, order_id));
    if hold.state == HoldState::Held {
        pending.push(keyspace::put::<HoldExpiry>(&expiry, &())?);
        if let Some(order) = &order {
            pending.push(keyspace::put::<OrderHolds>(order, &hold.id)?);
        }
    } else {
        pending.push(keyspace::delete::<HoldExpiry>(&expiry));
        if let Some(order) = &order {
            pending.push(keyspace::delete::<OrderHolds>(order));
        }
    }
    pending.push(keyspace::put::<Holds>(&hold.id, hold)?);
    Ok(())
}

/// The codes asked of a pattern, never more than half of it. Paired with the admission rule that
/// reads it back (`code_jobs::start`).
fn count_codes(pattern: &CodePattern, codes: u64, pending: &mut PendingWrites<'_>) -> Result<()> {
    assert!(
        u128::from(codes) * 2 <= pattern.capacity(),
        "pattern {pattern:?} is asked for more than half its codes"
    );
    pending.push(keyspace::put::<PatternCodes>(pattern, &codes)?);
    Ok(())
}

/// A job, listed for the runner while it runs.
fn put_job(job: &CodeJob, pending: &mut PendingWrites<'_>) -> Result<()> {
    assert!(job.created <= job.requested, "job {} made more than asked", job.id);
    let listed = match job.state {
        JobState::Running => keyspace::put::<RunningJobs>(&job.id, &())?,
        JobState::Done | JobState::Failed => keyspace::delete::<RunningJobs>(&job.id),
    };
    pending.push(listed);
    pending.push(keyspace::put::<CodeJobs>(&job.id, job)?);
    Ok(())
}
