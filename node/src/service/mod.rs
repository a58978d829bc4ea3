//! `CouponService`: the coupon operations without HTTP. Each owns its request from parsed input to
//! outcome: it binds the idempotency key to a fingerprint of the request, converts the wire
//! request into a command, writes it through the log (or reads the state at the consistency
//! asked for), and hands back what apply decided. Choosing a status is the HTTP layer's business.

mod campaigns;
mod holds;
mod keys;
mod validate;
mod writes;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use coupon_client::api::ReadConsistency;
use raft_store::command::KeyedCommand;
use raft_store::idempotency::{Fingerprint, IdempotencyKey, IdempotencyToken};
use raft_store::outcome::AppliedOutcome;
use raft_store::state_reader::StateReader;
use raft_store::{StateHandle, StoreError};

use crate::convert::InvalidFields;
use crate::read_barrier::{ReadBarrier, ReadError};
use crate::wall_clock::WallClock;
use crate::write::{Proposer, WriteError};

pub use keys::{Caller, Created, Denied, KeyService, Revoked};

#[derive(Clone)]
pub struct CouponService {
    proposer: Proposer,
    barrier: ReadBarrier,
    state: StateHandle,
    wall_clock: Arc<WallClock>,
}

/// Why an operation produced no outcome.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request does not meet the contract; nothing was proposed.
    #[error(transparent)]
    Invalid(#[from] InvalidFields),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request could not be serialised for its fingerprint (a bug, never the client's).
    #[error("cannot fingerprint the request: {0}")]
    Fingerprint(#[from] serde_json::Error),
}

impl CouponService {
    pub fn new(
        proposer: Proposer,
        barrier: ReadBarrier,
        state: StateHandle,
        wall_clock: Arc<WallClock>,
    ) -> Self {
        Self { proposer, barrier, state, wall_clock }
    }

    /// This node's time of day, what a request is checked against before it is proposed.
    pub fn now(&self) -> DateTime<Utc> {
        self.wall_clock.now()
    }

    /// Runs `query` on this node's state: after a read barrier when linearizable, at once when
    /// `local` (possibly stale, and served without a leader).
    pub async fn read<T>(
        &self,
        consistency: ReadConsistency,
        query: impl FnOnce(&StateReader<'_>) -> raft_store::Result<T>,
    ) -> Result<T, ServiceError> {
        if consistency == ReadConsistency::Linearizable {
            self.barrier.linearize().await?;
        }
        Ok(self.state.read(query)?)
    }

    /// The id of the coupon with `code`. A code's coupon never changes, so this node's own state
    /// answers when it holds the code; only a miss (the coupon may be too new to have been applied
    /// here) waits for a read barrier and looks again, so `None` is linearizable.
    pub async fn coupon_id_for_code(
        &self,
        code: &raft_store::domain::CouponCode,
    ) -> Result<Option<raft_store::domain::CouponId>, ServiceError> {
        if let Some(id) = self.state.read(|state| state.coupon_id_by_code(code))? {
            return Ok(Some(id));
        }
        self.read(ReadConsistency::Linearizable, |state| state.coupon_id_by_code(code)).await
    }

    /// The discount of coupon `id`: like a code's coupon, this node's own state answers when it
    /// holds the coupon, and only a miss waits for a read barrier. Its kind and amount never
    /// change; a percentage may gain a currency (`PATCH`), which a stale read here misses, so
    /// apply checks an order's currency again against the coupon as it is. `None`: there is no
    /// such coupon.
    pub async fn coupon_discount(
        &self,
        id: raft_store::domain::CouponId,
    ) -> Result<Option<raft_store::domain::Discount>, ServiceError> {
        let discount =
            |state: &StateReader<'_>| Ok(state.coupon(id)?.map(|coupon| coupon.terms.discount));
        if let Some(discount) = self.state.read(discount)? {
            return Ok(Some(discount));
        }
        self.read(ReadConsistency::Linearizable, discount).await
    }

    /// Writes this node holds now (queued or awaiting commit).
    pub fn proposals_in_flight(&self) -> usize {
        self.proposer.in_flight()
    }

    pub fn state(&self) -> &StateHandle {
        &self.state
    }

    pub fn barrier(&self) -> &ReadBarrier {
        &self.barrier
    }
}

/// What a write answers: the outcome apply decided.
pub type WriteResult = Result<AppliedOutcome, ServiceError>;

/// Binds an idempotency key to its request. `route` is the method and concrete path (`POST /coupons/42/redeem`).
fn token(
    key: Option<IdempotencyKey>,
    route: &str,
    body: &impl serde::Serialize,
) -> Result<Option<IdempotencyToken>, serde_json::Error> {
    let Some(key) = key else { return Ok(None) };
    let canonical = serde_json::to_vec(body)?;
    let fingerprint = Fingerprint::of(&[route.as_bytes(), &canonical]);
    Ok(Some(IdempotencyToken { key, fingerprint }))
}

/// Writes `request` through the Raft log; the answer is what apply decided for it. The command is
/// held to the state's bounds first (the conversions keep them already; this is the check every
/// command passes where it enters the log, as `/peer/propose` does).
async fn submit(proposer: &Proposer, request: KeyedCommand) -> WriteResult {
    request.check_bounds().map_err(crate::convert::out_of_bounds)?;
    Ok(proposer.propose(request).await?)
}
