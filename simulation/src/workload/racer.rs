//! `Racer`: one simulated client. It races the others for the last uses of the pool's coupons,
//! reads them on chosen nodes, rolls back and replays its own redemptions, creates coupons, and
//! checks out (holds, confirms, releases, campaign redeems), recording every operation in the
//! history.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use coupon_client::api::{RedeemRequest, RedemptionId};
use coupon_client::CouponClient;
use raft_store::NodeId;
use rand::rngs::StdRng;
use rand::Rng;

use super::checkout::Checkout;
use super::history::{Call, History, Outcome, ReadKind};
use super::holds::PlacedHold;
use super::pinned::{client_error_outcome, read_at, redeem_at};
use super::pool::CouponPool;
use super::setup::create_coupon;
use super::spec::WorkloadSpec;
use crate::net::SimExchange;

/// A redeem this client saw acknowledged and has not rolled back.
pub(super) struct Acked {
    pub coupon: u64,
    pub redemption: u64,
    pub key: String,
    pub request: RedeemRequest,
}

enum Action {
    Redeem,
    PinnedRedeem,
    KeylessRedeem,
    TwinRedeem,
    Read,
    RollBack,
    Replay,
    Create,
    PlaceHold,
    ConfirmHold,
    ReleaseHold,
    CampaignRedeem,
}

pub struct Racer {
    pub index: usize,
    pub client: CouponClient<SimExchange>,
    pub nodes: Vec<NodeId>,
    pub history: History,
    pub pool: CouponPool,
    pub checkout: Checkout,
    pub spec: WorkloadSpec,
    pub rng: StdRng,
    pub(super) acked: Vec<Acked>,
    pub(super) holds: Vec<PlacedHold>,
    pub(super) sequence: u64,
}

impl Racer {
    pub fn new(
        index: usize,
        client: CouponClient<SimExchange>,
        nodes: Vec<NodeId>,
        (history, pool, checkout): (History, CouponPool, Checkout),
        spec: WorkloadSpec,
        rng: StdRng,
    ) -> Self {
        let (acked, holds, sequence) = (Vec::new(), Vec::new(), 0);
        Self { index, client, nodes, history, pool, checkout, spec, rng, acked, holds, sequence }
    }

    /// Runs operations until `stop` is raised (after the last fault healed).
    pub async fn run(mut self, stop: Arc<AtomicBool>) {
        while !stop.load(Ordering::Relaxed) {
            let (low, high) = self.spec.think_ms;
            madsim::time::sleep(Duration::from_millis(self.rng.gen_range(low..=high))).await;
            self.sequence += 1;
            match self.pick() {
                Action::Redeem => self.redeem().await,
                Action::PinnedRedeem => self.pinned_redeem().await,
                Action::KeylessRedeem => self.keyless_redeem().await,
                Action::TwinRedeem => self.twin_redeem().await,
                Action::Read => self.read().await,
                Action::RollBack => self.roll_back().await,
                Action::Replay => self.replay().await,
                Action::Create => self.create().await,
                Action::PlaceHold => self.place_hold().await,
                Action::ConfirmHold => self.confirm_hold().await,
                Action::ReleaseHold => self.release_hold().await,
                Action::CampaignRedeem => self.campaign_redeem().await,
            }
        }
    }

    fn pick(&mut self) -> Action {
        let w = self.spec.weights;
        let mut draw = self.rng.gen_range(0..w.total().max(1));
        let table = [
            (w.redeem, Action::Redeem),
            (w.pinned_redeem, Action::PinnedRedeem),
            (w.keyless_redeem, Action::KeylessRedeem),
            (w.twin_redeem, Action::TwinRedeem),
            (w.read, Action::Read),
            (w.rollback, Action::RollBack),
            (w.replay, Action::Replay),
            (w.create, Action::Create),
            (w.hold, Action::PlaceHold),
            (w.confirm, Action::ConfirmHold),
            (w.release, Action::ReleaseHold),
        ];
        for (weight, action) in table {
            if draw < weight {
                return action;
            }
            draw -= weight;
        }
        Action::CampaignRedeem
    }

    async fn read(&mut self) {
        let Some(coupon) = self.pool.pick(&mut self.rng) else { return };
        let node = self.nodes[self.rng.gen_range(0..self.nodes.len())];
        let kind = if self.rng.gen_bool(0.5) { ReadKind::Validate } else { ReadKind::GetCoupon };
        let op = self.history.invoke(self.index, Call::Read { coupon: coupon.id, node, kind });
        let outcome = read_at(node, coupon.id, kind, self.spec.client_timeout).await;
        self.history.complete(op, outcome);
    }

    async fn roll_back(&mut self) {
        if self.acked.is_empty() {
            return;
        }
        let acked = self.acked.swap_remove(self.rng.gen_range(0..self.acked.len()));
        let call = Call::RollBack { coupon: acked.coupon, redemption: acked.redemption };
        let op = self.history.invoke(self.index, call);
        let outcome = match self.client.rollback(RedemptionId(acked.redemption)).await {
            Ok(_) => Outcome::RolledBack,
            Err(error) => client_error_outcome(&error),
        };
        self.history.complete(op, outcome);
    }

    async fn replay(&mut self) {
        if self.acked.is_empty() {
            return;
        }
        let index = self.rng.gen_range(0..self.acked.len());
        let node = self.nodes[self.rng.gen_range(0..self.nodes.len())];
        let acked = &self.acked[index];
        let call = Call::Replay {
            coupon: acked.coupon,
            key: acked.key.clone(),
            node,
            first_redemption: acked.redemption,
        };
        let op = self.history.invoke(self.index, call);
        let timeout = self.spec.client_timeout;
        let key = Some(acked.key.as_str());
        let outcome = redeem_at(node, acked.coupon, &acked.request, key, timeout).await;
        self.history.complete(op, outcome);
    }

    async fn create(&mut self) {
        let tag = format!("{}-{}", self.index, self.sequence);
        let limit = self.rng.gen_range(self.spec.usage_limit.0..=self.spec.usage_limit.1);
        let limits = (limit, None);
        let created = create_coupon(&self.client, &self.history, self.index, &tag, limits).await;
        if let Some(coupon) = created {
            self.pool.add(coupon);
        }
    }
}
