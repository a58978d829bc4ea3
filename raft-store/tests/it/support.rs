//! Building stores over sled in a temporary directory or over a `MemDisk`, and log entries.

use std::sync::Arc;

use openraft::{CommittedLeaderId, EntryPayload, LogId};
use raft_store::command::{Batch, CodeChoice, Command, KeyedCommand, RedeemCommand};
use raft_store::domain::{
    CouponCode, CouponId, CouponTerms, Discount, Metadata, Timestamp, UserId,
};
use raft_store::limits::TIMESTAMP_MILLIS_MAX;
use raft_store::snapshot::SnapshotFile;
use raft_store::storage::{Backend, BackendError, DiskBackend, MemDisk, SledBackend};
use raft_store::type_config::Entry;
use raft_store::{LogStore, StateMachine};
use rust_decimal::Decimal;

pub fn open_sled(dir: &tempfile::TempDir) -> Arc<SledBackend> {
    Arc::new(SledBackend::open(dir.path()).expect("open sled"))
}

pub fn open_disk(dir: &tempfile::TempDir) -> Arc<DiskBackend> {
    Arc::new(DiskBackend::open(dir.path()).expect("open the disk backend"))
}

/// A node's storage on `dir`: the disk backend with the state in memory, restored at the start.
pub fn node_storage(dir: &tempfile::TempDir) -> Arc<dyn Backend> {
    raft_store::recovery::recover(open_disk(dir)).expect("recover").backend().clone()
}

/// Opens a directory that another backend just closed. sled's background threads hold the
/// previous handle's file lock for a moment after it is dropped, so opening is retried (for at
/// most five seconds) instead of guessing how long that moment is.
pub async fn reopen<B>(
    dir: &tempfile::TempDir,
    open: impl Fn(&std::path::Path) -> Result<B, BackendError>,
) -> Arc<B> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match open(dir.path()) {
            Ok(backend) => return Arc::new(backend),
            Err(error) if std::time::Instant::now() >= deadline => panic!("reopen: {error}"),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
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

pub fn entry(term: u64, index: u64, requests: Vec<KeyedCommand>) -> Entry {
    Entry {
        log_id: log_id(term, index),
        payload: EntryPayload::Normal(Batch {
            stamped_at: Timestamp::from_unix_millis(index as i64 * 1000),
            requests,
        }),
    }
}

pub fn create(code: &str, usage_limit: u32) -> KeyedCommand {
    let terms = CouponTerms {
        discount: Discount::percentage(Decimal::TEN, None).expect("10 %"),
        max_discount_amount: None,
        min_order_amount: None,
        starts_at: None,
        expires_at: Timestamp::from_unix_millis(TIMESTAMP_MILLIS_MAX),
        usage_limit,
        per_user_limit: None,
        low_stock_threshold: None,
        metadata: Metadata::default(),
    };
    let code = CodeChoice::Chosen(CouponCode::parse(code).expect("code"));
    KeyedCommand { idempotency: None, actor: None, command: Command::CreateCoupon { code, terms } }
}

pub fn redeem(coupon_id: u64, user: &str) -> KeyedCommand {
    let command = Command::Redeem(RedeemCommand {
        coupon_id: CouponId(coupon_id),
        user_id: UserId::parse(user).expect("user"),
        order_id: None,
        order_amount: None,
        currency: None,
    });
    KeyedCommand { idempotency: None, actor: None, command }
}

/// Sends snapshot data into `target` as openraft's chunked transport does: the sender seeks to
/// each chunk's offset and reads `chunk_bytes`, the receiver seeks there and writes it. With
/// `resend`, every other chunk is sent twice, as after an answer lost on the way back.
pub async fn send_snapshot(
    mut data: Box<SnapshotFile>,
    target: &mut StateMachine,
    chunk_bytes: usize,
    resend: bool,
) -> Box<SnapshotFile> {
    use openraft::storage::RaftStateMachine;
    use std::io::SeekFrom;
    use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

    let end = data.seek(SeekFrom::End(0)).await.expect("seek to the end");
    let mut received = target.begin_receiving_snapshot().await.expect("begin receiving");
    let (mut offset, mut sent) = (0, 0);
    while offset < end {
        data.seek(SeekFrom::Start(offset)).await.expect("seek");
        let mut chunk = Vec::with_capacity(chunk_bytes);
        while chunk.len() < chunk_bytes {
            if data.read_buf(&mut chunk).await.expect("read") == 0 {
                break;
            }
        }
        for _ in 0..if resend && sent % 2 == 1 { 2 } else { 1 } {
            received.seek(SeekFrom::Start(offset)).await.expect("seek");
            received.write_all(&chunk).await.expect("write");
        }
        offset += chunk.len() as u64;
        sent += 1;
    }
    received.shutdown().await.expect("shutdown");
    received
}
