//! `FinalState`: the cluster after the faults healed and every member caught up: every coupon,
//! redemption, hold and campaign (read from the leader's state machine), and each member's
//! applied log id, state digest and confirms made at or after their hold's expiry, taken at one
//! instant.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use coupon_client::api::audit::{verify_chain, GENESIS_HASH};
use raft_store::domain::{CampaignId, CouponId, HoldId, HoldState, RedemptionId};
use raft_store::state_reader::StateReader;
use raft_store::NodeId;
use serde::Serialize;

use crate::harness::{Cluster, LiveNode};

#[derive(Clone, Debug, Serialize)]
pub struct FinalCoupon {
    pub id: u64,
    pub code: String,
    pub usage_limit: u32,
    pub per_user_limit: Option<u32>,
    pub times_redeemed: u32,
    pub held: u32,
    pub campaign: Option<u64>,
    /// The `marker` of its metadata, which names the logical create that made it.
    pub marker: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FinalRedemption {
    pub id: u64,
    pub coupon: u64,
    pub user: String,
    pub order: Option<String>,
    pub rolled_back: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct FinalHold {
    pub id: u64,
    pub coupon: u64,
    pub user: String,
    /// Log time, Unix ms.
    pub expires_at_ms: i64,
    pub state: FinalHoldState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum FinalHoldState {
    Held,
    /// With its redemption, and the log time that redemption was made at (Unix ms).
    Confirmed {
        redemption: u64,
        redeemed_at_ms: Option<i64>,
    },
    Released,
    Expired,
}

#[derive(Clone, Debug, Serialize)]
pub struct FinalCampaign {
    pub id: u64,
    pub budget: Option<u32>,
    pub times_redeemed: u64,
    pub held: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Replica {
    pub last_applied: Option<(u64, u64)>,
    pub digest: Option<String>,
    pub audit: AuditChain,
    /// Holds this replica has confirmed at or after their expiry (or whose state it cannot read).
    pub late_confirms: Vec<String>,
}

/// A replica's audit trail, its chain recomputed as a client would (`verify_chain`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum AuditChain {
    /// The chain holds: `records` of them, the last one's hash.
    Whole { records: u64, last_hash: String },
    /// Where the chain breaks, or why the trail could not be read.
    Broken(String),
}

#[derive(Clone, Debug, Serialize)]
pub struct FinalState {
    /// When it was read, on the history's clock.
    pub read_at_ns: u64,
    pub leader: Option<NodeId>,
    /// Voters and learners of the final membership.
    pub members: BTreeSet<NodeId>,
    /// Whether every member reached the leader's last log index before the deadline.
    pub settled: bool,
    pub replicas: BTreeMap<NodeId, Replica>,
    pub coupons: BTreeMap<u64, FinalCoupon>,
    pub redemptions: Vec<FinalRedemption>,
    pub holds: Vec<FinalHold>,
    pub campaigns: Vec<FinalCampaign>,
    /// Why the state could not be read, if it could not.
    pub read_error: Option<String>,
}

impl FinalState {
    /// Waits up to `patience` for every member to apply the leader's whole log, then reads.
    pub async fn settle_and_read(cluster: &Cluster, patience: Duration, now_ns: u64) -> Self {
        let deadline = madsim::time::Instant::now() + patience;
        loop {
            let settled = settled_members(cluster);
            if settled.is_some() || madsim::time::Instant::now() >= deadline {
                return Self::read(cluster, settled.is_some(), now_ns);
            }
            madsim::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Reads everything in one synchronous step, so every replica is seen at the same instant.
    fn read(cluster: &Cluster, settled: bool, read_at_ns: u64) -> Self {
        let registry = cluster.registry();
        let leader = registry.leader();
        let members = leader.and_then(|id| registry.get(id)).map(|node| members_of(&node));
        let members = members.unwrap_or_default();
        let replicas = members
            .iter()
            .map(|id| (*id, registry.get(*id).map_or_else(Replica::missing, |n| Replica::of(&n))))
            .collect();
        let mut state = FinalState {
            read_at_ns,
            leader,
            members,
            settled,
            replicas,
            coupons: BTreeMap::new(),
            redemptions: Vec::new(),
            holds: Vec::new(),
            campaigns: Vec::new(),
            read_error: None,
        };
        match leader.and_then(|id| registry.get(id)) {
            Some(node) => {
                if let Err(error) = node.state.read(|reader| state.read_records(reader)) {
                    state.read_error = Some(error.to_string());
                }
            }
            None => state.read_error = Some("no leader to read the final state from".to_owned()),
        }
        state
    }

    fn read_records(&mut self, reader: &StateReader<'_>) -> raft_store::Result<()> {
        let counters = reader.meta()?.counters;
        for id in 1..counters.next_coupon_id.0 {
            let Some(coupon) = reader.coupon(CouponId(id))? else { continue };
            let marker = serde_json::from_str::<serde_json::Value>(coupon.terms.metadata.as_json())
                .ok()
                .and_then(|value| value.get("marker").and_then(|m| m.as_str()).map(str::to_owned));
            let final_coupon = FinalCoupon {
                id,
                code: coupon.code.as_str().to_owned(),
                usage_limit: coupon.terms.usage_limit,
                per_user_limit: coupon.terms.per_user_limit,
                times_redeemed: coupon.times_redeemed,
                held: coupon.held,
                campaign: coupon.campaign_id.map(|id| id.0),
                marker,
            };
            self.coupons.insert(id, final_coupon);
        }
        for id in 1..counters.next_redemption_id.0 {
            let Some(redemption) = reader.redemption(RedemptionId(id))? else { continue };
            self.redemptions.push(FinalRedemption {
                id,
                coupon: redemption.coupon_id.0,
                user: redemption.user_id.as_str().to_owned(),
                order: redemption.order_id.as_ref().map(|order| order.as_str().to_owned()),
                rolled_back: !redemption.is_live(),
            });
        }
        self.holds = read_holds(reader)?;
        for id in 1..counters.next_campaign_id.0 {
            let Some(campaign) = reader.campaign(CampaignId(id))? else { continue };
            self.campaigns.push(FinalCampaign {
                id,
                budget: campaign.budget,
                times_redeemed: campaign.times_redeemed,
                held: campaign.held,
            });
        }
        Ok(())
    }
}

/// Every hold, with the log time of its confirm's redemption.
fn read_holds(reader: &StateReader<'_>) -> raft_store::Result<Vec<FinalHold>> {
    let mut holds = Vec::new();
    for id in 1..reader.meta()?.counters.next_hold_id.0 {
        let Some(hold) = reader.hold(HoldId(id))? else { continue };
        let state = match hold.state {
            HoldState::Held => FinalHoldState::Held,
            HoldState::Confirmed { redemption_id } => FinalHoldState::Confirmed {
                redemption: redemption_id.0,
                redeemed_at_ms: reader
                    .redemption(redemption_id)?
                    .map(|redemption| redemption.redeemed_at.unix_millis()),
            },
            HoldState::Released { .. } => FinalHoldState::Released,
            HoldState::Expired => FinalHoldState::Expired,
        };
        holds.push(FinalHold {
            id,
            coupon: hold.coupon_id.0,
            user: hold.user_id.as_str().to_owned(),
            expires_at_ms: hold.expires_at.unix_millis(),
            state,
        });
    }
    Ok(holds)
}

/// The holds `node` confirmed into a redemption made at or after the hold's expiry, or without
/// one.
fn late_confirms(node: &LiveNode) -> Vec<String> {
    let holds = match node.state.read(read_holds) {
        Ok(holds) => holds,
        Err(error) => return vec![format!("holds unreadable: {error}")],
    };
    holds
        .iter()
        .filter_map(|hold| match hold.state {
            FinalHoldState::Confirmed { redeemed_at_ms: Some(at), .. }
                if at < hold.expires_at_ms =>
            {
                None
            }
            FinalHoldState::Confirmed { redemption, redeemed_at_ms } => Some(format!(
                "hold {} (expires at {} ms) confirmed into redemption {redemption} made at \
                 {redeemed_at_ms:?} ms",
                hold.id, hold.expires_at_ms
            )),
            _ => None,
        })
        .collect()
}

impl Replica {
    fn of(node: &LiveNode) -> Self {
        let applied = node.metrics().last_applied;
        let digest = node
            .state
            .digest()
            .ok()
            .map(|digest| digest.iter().map(|byte| format!("{byte:02x}")).collect::<String>());
        let audit = AuditChain::of(node);
        let last_applied = applied.map(|id| (id.leader_id.term, id.index));
        Replica { last_applied, digest, audit, late_confirms: late_confirms(node) }
    }

    fn missing() -> Self {
        let audit = AuditChain::Broken("the member is not running".to_owned());
        Replica { last_applied: None, digest: None, audit, late_confirms: Vec::new() }
    }
}

impl AuditChain {
    fn of(node: &LiveNode) -> Self {
        let records = match node.state.read(|reader| reader.audit_records(None, usize::MAX)) {
            Ok(records) => records,
            Err(error) => return AuditChain::Broken(format!("unreadable: {error}")),
        };
        let served: Vec<serde_json::Value> = records
            .iter()
            .map(|record| {
                let mut served = record.body();
                served["hash"] = serde_json::Value::from(record.hash.clone());
                served
            })
            .collect();
        match verify_chain(&served) {
            Ok(count) => AuditChain::Whole {
                records: count,
                last_hash: records
                    .last()
                    .map_or_else(|| GENESIS_HASH.to_owned(), |r| r.hash.clone()),
            },
            Err(broken) => AuditChain::Broken(broken.to_string()),
        }
    }
}

fn members_of(node: &LiveNode) -> BTreeSet<NodeId> {
    node.metrics().membership_config.membership().nodes().map(|(id, _)| *id).collect()
}

/// `Some(())` when a leader exists and every member has applied its whole log.
fn settled_members(cluster: &Cluster) -> Option<()> {
    let registry = cluster.registry();
    let leader = registry.get(registry.leader()?)?;
    let metrics = leader.metrics();
    let target = metrics.last_log_index;
    (metrics.last_applied.map(|id| id.index) == target).then_some(())?;
    for id in members_of(&leader) {
        let applied = registry.get(id)?.metrics().last_applied.map(|id| id.index);
        (applied == target).then_some(())?;
    }
    Some(())
}
