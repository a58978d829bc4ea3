//! `Ledger`: a minimal state machine for tests: each request is one log entry, applied with the
//! state machine's own `apply_batch` and committed.

use crate::apply::apply_batch;
use crate::command::{Batch, CodeChoice, Command, RedeemCommand, Request};
use crate::domain::fixtures::*;
use crate::domain::{CouponCode, CouponId, CouponTerms, Timestamp};
use crate::idempotency::{Fingerprint, IdempotencyKey, IdempotencyToken};
use crate::outcome::{Outcome, Response};
use crate::state_meta::StateMeta;
use crate::state_reader::StateReader;
use crate::storage::{Backend, MemDisk, PendingWrites, Tree, TreeReader};

#[derive(Default)]
pub struct Ledger {
    disk: MemDisk,
    meta: StateMeta,
    entries: u64,
}

impl Ledger {
    /// Applies `request` as the next log entry, stamped `now`.
    pub fn run(&mut self, request: Request, now: Timestamp) -> Response {
        self.run_entry(vec![request], now).pop().expect("one response per request")
    }

    /// Applies `requests` together as the next log entry, stamped `now`.
    pub fn run_entry(&mut self, requests: Vec<Request>, now: Timestamp) -> Vec<Response> {
        let committed = TreeReader { backend: &self.disk, tree: Tree::StateMachine };
        let mut pending = PendingWrites::new(&committed);
        self.entries += 1;
        let batch = Batch { stamped_at: now, requests };
        let responses = apply_batch(&batch, self.entries, &mut self.meta, &mut pending).unwrap();
        let ops = pending.into_ops();
        self.disk.commit(Tree::StateMachine, ops).unwrap();
        responses.0
    }

    pub fn outcome(&mut self, command: Command, now: Timestamp) -> Outcome {
        let response = self.run(Request { idempotency: None, command }, now);
        assert!(!response.replayed);
        response.outcome
    }

    pub fn read<T>(&self, query: impl FnOnce(&StateReader<'_>) -> crate::Result<T>) -> T {
        let committed = TreeReader { backend: &self.disk, tree: Tree::StateMachine };
        query(&StateReader::new(&committed)).unwrap()
    }

    /// Creates a coupon with `terms` and code `code`, returning its id.
    pub fn create(&mut self, code: &str, terms: CouponTerms) -> CouponId {
        let code = CodeChoice::Chosen(CouponCode::parse(code).unwrap());
        match self.outcome(Command::CreateCoupon { code, terms }, at(0)) {
            Outcome::Created(coupon) => coupon.id,
            other => panic!("create failed: {other:?}"),
        }
    }
}

pub fn redeem_by(coupon_id: CouponId, user_id: &str) -> Command {
    Command::Redeem(RedeemCommand {
        coupon_id,
        user_id: user(user_id),
        order_id: None,
        order_amount: None,
        currency: None,
    })
}

pub fn redeem_for_order(coupon_id: CouponId, user_id: &str, order_id: &str) -> Command {
    Command::Redeem(RedeemCommand {
        coupon_id,
        user_id: user(user_id),
        order_id: Some(order(order_id)),
        order_amount: Some(dec("50.00")),
        currency: None,
    })
}

pub fn with_key(key: &str, fingerprint: &[u8], command: Command) -> Request {
    let token = IdempotencyToken {
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: Fingerprint::of(&[fingerprint]),
    };
    Request { idempotency: Some(token), command }
}
