//! `History`: every operation the simulated clients invoked, with invoke and return times in
//! simulated time. An operation whose outcome the client could not learn (timeout, 5xx, broken
//! connection, retries exhausted) is recorded as `Unknown`, never as failed: it may still have
//! been applied, and the checkers treat it that way.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use raft_store::NodeId;
use serde::Serialize;

/// What a client asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Call {
    /// Create a coupon with a chosen code; `marker` (in its metadata) is unique per logical
    /// create, so a create applied twice shows up as two coupons with one marker.
    Create { marker: String, code: String, usage_limit: u32 },
    /// One logical redeem. Its `user`, or for a shared user its `order`, is unique per logical
    /// redeem, so a redeem applied twice shows up as two redemptions of one (user, order). `key` is its Idempotency-Key (`None`: sent without
    /// one). `via` is how it was sent.
    Redeem { coupon: u64, user: String, order: Option<String>, key: Option<String>, via: Via },
    /// The same request and key as a `Redeem` sent with `Via::Twin`, sent to another node at the
    /// same moment: both must get the outcome of whichever was applied first.
    Duplicate { coupon: u64, user: String, key: String, node: NodeId },
    /// The same request and key as an acknowledged redeem, sent again to another node, as a
    /// client whose answer was lost would: it must be answered with the first answer.
    Replay { coupon: u64, key: String, node: NodeId, first_redemption: u64 },
    /// Give back the use of an acknowledged redemption (each is rolled back at most once).
    RollBack { coupon: u64, redemption: u64 },
    /// A linearizable read of the coupon's remaining uses on one node.
    Read { coupon: u64, node: NodeId, kind: ReadKind },
    /// Set a use of a checkout coupon aside for `ttl_seconds` of log time. Its user (and order,
    /// when it has one) belongs to this hold alone, so its confirm's redemption is named by it.
    PlaceHold { coupon: u64, user: String, order: Option<String>, ttl_seconds: u32 },
    /// Confirm an acknowledged hold, which expires at `expires_at_ms` (log time, Unix ms).
    ConfirmHold { hold: u64, expires_at_ms: i64 },
    /// Give an acknowledged hold's use back.
    ReleaseHold { hold: u64 },
}

/// Which path a redeem took.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Via {
    /// The real `CouponClient`: failover and retries with one key across nodes.
    Client,
    /// Sent to one node; after an unknown outcome, sent again with the same key to the others.
    PinnedThenOthers(NodeId),
    /// Sent once to one node without an Idempotency-Key: the node's own retries (forwarding
    /// to a new leader) must still apply it at most once.
    Keyless(NodeId),
    /// Sent once to one node while a `Duplicate` with the same key goes to another.
    Twin(NodeId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ReadKind {
    Validate,
    GetCoupon,
}

/// What the client learnt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Outcome {
    Created {
        coupon: u64,
    },
    Redeemed {
        redemption: u64,
        remaining: u32,
        replayed: bool,
    },
    RolledBack,
    HoldPlaced {
        hold: u64,
        /// Log time, Unix ms.
        expires_at_ms: i64,
    },
    /// The hold is ended (released, or expired before the release came).
    HoldEnded,
    Read {
        remaining: u32,
    },
    /// A definite refusal (4xx problem) with its code.
    Rejected {
        status: u16,
        code: String,
    },
    /// Nothing definite: the operation may or may not have taken effect.
    Unknown {
        why: String,
    },
}

#[derive(Clone, Debug, Serialize)]
pub struct Op {
    pub client: usize,
    pub call: Call,
    pub invoked_ns: u64,
    /// `None` while in flight; the run ends only after every client has returned.
    pub returned_ns: Option<u64>,
    pub outcome: Option<Outcome>,
}

impl Op {
    pub fn is_unknown(&self) -> bool {
        !matches!(self.outcome, Some(ref outcome) if !matches!(outcome, Outcome::Unknown { .. }))
    }
}

#[derive(Clone)]
pub struct History {
    start: madsim::time::Instant,
    ops: Arc<Mutex<Vec<Op>>>,
}

/// The index of an operation in the history.
#[derive(Clone, Copy, Debug)]
pub struct OpId(usize);

impl History {
    /// A history whose clock starts now.
    pub fn new() -> Self {
        Self { start: madsim::time::Instant::now(), ops: Arc::new(Mutex::new(Vec::new())) }
    }

    /// The instant the history's clock counts from.
    pub fn start(&self) -> madsim::time::Instant {
        self.start
    }

    /// Simulated nanoseconds since the history began.
    pub fn now_ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    pub fn invoke(&self, client: usize, call: Call) -> OpId {
        let op = Op { client, call, invoked_ns: self.now_ns(), returned_ns: None, outcome: None };
        let mut ops = self.lock();
        ops.push(op);
        OpId(ops.len() - 1)
    }

    pub fn complete(&self, id: OpId, outcome: Outcome) {
        let now = self.now_ns();
        if let Some(op) = self.lock().get_mut(id.0) {
            op.returned_ns = Some(now);
            op.outcome = Some(outcome);
        }
    }

    pub fn ops(&self) -> Vec<Op> {
        self.lock().clone()
    }

    /// The history for a failure report, without blocking if the lock is held (a panic hook may
    /// run while a client holds it).
    pub fn try_ops(&self) -> Option<Vec<Op>> {
        self.ops.try_lock().ok().map(|ops| ops.clone())
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Op>> {
        // The history is plain data, valid whatever a panicking holder left behind.
        self.ops.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for History {
    fn default() -> Self {
        Self::new()
    }
}
