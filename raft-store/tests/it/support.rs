//! Building stores over sled in a temporary directory or over a `MemDisk`, and log entries.

use std::sync::Arc;

use openraft::{CommittedLeaderId, EntryPayload, LogId};
use raft_store::command::{Batch, CodeChoice, Command, RedeemCommand, Request};
use raft_store::domain::{
    CouponCode, CouponId, CouponTerms, Discount, Metadata, Timestamp, UserId,
};
use raft_store::storage::{Backend, MemDisk, SledBackend};
use raft_store::type_config::Entry;
use raft_store::{LogStore, StateMachine};
use rust_decimal::Decimal;

pub fn open_sled(dir: &tempfile::TempDir) -> Arc<SledBackend> {
    Arc::new(SledBackend::open(dir.path()).expect("open sled"))
}

pub fn stores(backend: Arc<dyn Backend>) -> (LogStore, StateMachine) {
    (LogStore::new(backend.clone()), StateMachine::new(backend))
}

pub fn mem_disk() -> Arc<MemDisk> {
    Arc::new(MemDisk::new())
}

pub fn log_id(term: u64, index: u64) -> LogId<u64> {
    LogId::new(CommittedLeaderId::new(term, 1), index)
}

pub fn entry(term: u64, index: u64, requests: Vec<Request>) -> Entry {
    Entry {
        log_id: log_id(term, index),
        payload: EntryPayload::Normal(Batch {
            stamped_at: Timestamp::from_unix_millis(index as i64 * 1000),
            requests,
        }),
    }
}

pub fn create(code: &str, usage_limit: u32) -> Request {
    let terms = CouponTerms {
        discount: Discount::percentage(Decimal::TEN).expect("10 %"),
        max_discount_amount: None,
        min_order_amount: None,
        starts_at: None,
        expires_at: Timestamp::from_unix_millis(i64::MAX / 2),
        usage_limit,
        per_user_limit: None,
        low_stock_threshold: None,
        metadata: Metadata::default(),
    };
    let code = CodeChoice::Chosen(CouponCode::parse(code).expect("code"));
    Request { idempotency: None, command: Command::CreateCoupon { code, terms } }
}

pub fn redeem(coupon_id: u64, user: &str) -> Request {
    let command = Command::Redeem(RedeemCommand {
        coupon_id: CouponId(coupon_id),
        user_id: UserId::parse(user).expect("user"),
        order_id: None,
        order_amount: None,
        currency: None,
    });
    Request { idempotency: None, command }
}
