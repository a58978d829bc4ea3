//! The ways a `Racer` redeems: through the real client, pinned to one node then the others with
//! the same key, once without a key, and twice at once with one key.

use coupon_client::api::{CouponId, ExternalId, RedeemRequest};
use raft_store::NodeId;
use rand::Rng;

use super::history::{Call, Outcome, Via};
use super::pinned::{client_error_outcome, redeem_at};
use super::pool::PoolCoupon;
use super::racer::{Acked, Racer};
use super::spec::shared_user;

impl Racer {
    /// A fresh request whose user (and order, when there is one) no other redeem uses; or, now
    /// and then, a shared user's with an order no other redeem uses.
    fn fresh_request(&mut self) -> RedeemRequest {
        self.fresh_request_with_orders(0.5)
    }

    /// `fresh_request`, where a user of its own comes with an order at `order_chance`.
    fn fresh_request_with_orders(&mut self, order_chance: f64) -> RedeemRequest {
        let tag = format!("{}-{}", self.index, self.sequence);
        let order = || Some(ExternalId::new(format!("o{tag}")));
        if self.spec.shared_users > 0 && self.rng.gen_bool(self.spec.shared_user_chance) {
            let user = shared_user(self.rng.gen_range(0..self.spec.shared_users));
            let mut request = RedeemRequest::new(user);
            request.order_id = order();
            return request;
        }
        let mut request = RedeemRequest::new(format!("u{tag}"));
        if self.rng.gen_bool(order_chance) {
            request.order_id = order();
        }
        request
    }

    fn redeem_call(
        coupon: &PoolCoupon,
        request: &RedeemRequest,
        key: Option<&str>,
        via: Via,
    ) -> Call {
        Call::Redeem {
            coupon: coupon.id,
            user: request.user_id.to_string(),
            order: request.order_id.as_ref().map(ToString::to_string),
            key: key.map(str::to_owned),
            via,
        }
    }

    fn random_node(&mut self) -> NodeId {
        self.nodes[self.rng.gen_range(0..self.nodes.len())]
    }

    pub(super) async fn redeem(&mut self) {
        let Some(coupon) = self.pool.pick(&mut self.rng) else { return };
        self.redeem_coupon(coupon).await;
    }

    /// A redeem of `coupon` through the real client.
    pub(super) async fn redeem_coupon(&mut self, coupon: PoolCoupon) {
        let request = self.fresh_request();
        let key = self.client.new_idempotency_key();
        let call = Self::redeem_call(&coupon, &request, Some(key.as_str()), Via::Client);
        let op = self.history.invoke(self.index, call);
        let answer = self.client.redeem_with_key(CouponId(coupon.id), &request, key.clone()).await;
        let outcome = match answer {
            Ok(reply) => Outcome::Redeemed {
                redemption: reply.value.redemption.id.0,
                remaining: u32::try_from(reply.value.coupon.remaining).unwrap_or(u32::MAX),
                replayed: reply.replayed,
            },
            Err(error) => client_error_outcome(&error),
        };
        self.history.complete(op, outcome.clone());
        self.remember(coupon.id, &outcome, key.as_str(), request);
    }

    pub(super) async fn pinned_redeem(&mut self) {
        let Some(coupon) = self.pool.pick(&mut self.rng) else { return };
        let request = self.fresh_request();
        let key = self.client.new_idempotency_key();
        let first = self.random_node();
        let via = Via::PinnedThenOthers(first);
        let op = self
            .history
            .invoke(self.index, Self::redeem_call(&coupon, &request, Some(key.as_str()), via));
        let order = self.nodes.iter().copied().filter(|node| *node != first);
        let mut outcome = Outcome::Unknown { why: "not sent".to_owned() };
        for node in std::iter::once(first).chain(order) {
            let timeout = self.spec.client_timeout;
            outcome = redeem_at(node, coupon.id, &request, Some(key.as_str()), timeout).await;
            if !matches!(outcome, Outcome::Unknown { .. }) {
                break;
            }
        }
        self.history.complete(op, outcome.clone());
        self.remember(coupon.id, &outcome, key.as_str(), request);
    }

    /// Without a key there is nothing to replay or roll back by key: it is not remembered. A
    /// user of its own comes without an order: an order's second redemption would be refused,
    /// so a keyless write applied twice shows only as a user redeemed twice.
    pub(super) async fn keyless_redeem(&mut self) {
        let Some(coupon) = self.pool.pick(&mut self.rng) else { return };
        let request = self.fresh_request_with_orders(0.0);
        let node = self.random_node();
        let op = self
            .history
            .invoke(self.index, Self::redeem_call(&coupon, &request, None, Via::Keyless(node)));
        let outcome = redeem_at(node, coupon.id, &request, None, self.spec.client_timeout).await;
        self.history.complete(op, outcome);
    }

    pub(super) async fn twin_redeem(&mut self) {
        let Some(coupon) = self.pool.pick(&mut self.rng) else { return };
        let request = self.fresh_request();
        let key = self.client.new_idempotency_key();
        let (first, second) = (self.random_node(), self.random_node());
        let call = Self::redeem_call(&coupon, &request, Some(key.as_str()), Via::Twin(first));
        let op = self.history.invoke(self.index, call);
        let user = request.user_id.to_string();
        let twin =
            Call::Duplicate { coupon: coupon.id, user, key: key.as_str().to_owned(), node: second };
        let twin_op = self.history.invoke(self.index, twin);
        let (timeout, history) = (self.spec.client_timeout, &self.history);
        let (request_ref, key_ref) = (&request, key.as_str());
        let send = |node, op| async move {
            let outcome = redeem_at(node, coupon.id, request_ref, Some(key_ref), timeout).await;
            history.complete(op, outcome.clone());
            outcome
        };
        let (outcome, _) = futures::join!(send(first, op), send(second, twin_op));
        self.remember(coupon.id, &outcome, key.as_str(), request);
    }

    fn remember(&mut self, coupon: u64, outcome: &Outcome, key: &str, request: RedeemRequest) {
        if let Outcome::Redeemed { redemption, .. } = outcome {
            let key = key.to_owned();
            self.acked.push(Acked { coupon, redemption: *redemption, key, request });
        }
    }
}
