//! `Ledger`: the real state machine over an in-memory disk, for tests: each `run` is one log
//! entry, applied by `StateMachine::apply_entries` (so counters, log time and `last_applied` make
//! the same round trip through the stored metadata as in production).

use std::sync::Arc;

use openraft::{CommittedLeaderId, EntryPayload, LogId};

use crate::command::{Batch, CodeChoice, Command, RedeemCommand, Request};
use crate::domain::fixtures::*;
use crate::domain::{CouponCode, CouponId, CouponTerms, Timestamp};
use crate::idempotency::{Fingerprint, IdempotencyKey, IdempotencyToken};
use crate::outcome::{Outcome, Response};
use crate::state_reader::StateReader;
use crate::storage::{MemDisk, Tree, TreeReader};
use crate::type_config::Entry;
use crate::StateMachine;

pub struct Ledger {
    disk: Arc<MemDisk>,
    state: StateMachine,
    entries: u64,
}

impl Default for Ledger {
    fn default() -> Self {
        let disk = Arc::new(MemDisk::default());
        Self { state: StateMachine::new(disk.clone()), disk, entries: 0 }
    }
}

impl Ledger {
    /// Applies `request` as the next log entry, stamped `now`.
    pub fn run(&mut self, request: Request, now: Timestamp) -> Response {
        self.run_entry(vec![request], now).pop().expect("one response per request")
    }

    /// Applies `requests` together as the next log entry, stamped `now`.
    pub fn run_entry(&mut self, requests: Vec<Request>, now: Timestamp) -> Vec<Response> {
        self.entries += 1;
        let entry = Entry {
            log_id: LogId::new(CommittedLeaderId::new(1, 1), self.entries),
            payload: EntryPayload::Normal(Batch { stamped_at: now, requests }),
        };
        let mut answers = self.state.apply_entries(vec![entry]).unwrap();
        answers.pop().expect("one answer per entry").0
    }

    pub fn outcome(&mut self, command: Command, now: Timestamp) -> Outcome {
        let response = self.run(Request { idempotency: None, command }, now);
        assert!(!response.replayed);
        response.outcome
    }

    pub fn read<T>(&self, query: impl FnOnce(&StateReader<'_>) -> crate::Result<T>) -> T {
        let committed = TreeReader { backend: self.disk.as_ref(), tree: Tree::StateMachine };
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
        key: IdempotencyKey::from_validated(key.to_owned()),
        fingerprint: Fingerprint::of(&[fingerprint]),
    };
    Request { idempotency: Some(token), command }
}
