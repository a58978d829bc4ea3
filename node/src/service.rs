//! `CouponService`: the operations of the API without HTTP: write a request through the log,
//! or read the state at the consistency asked for.

use coupon_client::api::ReadConsistency;
use raft_store::command::Request;
use raft_store::outcome::Response;
use raft_store::state_reader::StateReader;
use raft_store::{StateHandle, StoreError};

use crate::read_barrier::{ReadBarrier, ReadError};
use crate::write::{Proposer, WriteError};

#[derive(Clone)]
pub struct CouponService {
    proposer: Proposer,
    barrier: ReadBarrier,
    state: StateHandle,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CouponService {
    pub fn new(proposer: Proposer, barrier: ReadBarrier, state: StateHandle) -> Self {
        Self { proposer, barrier, state }
    }

    /// Writes `request` through the Raft log; the answer is what apply decided for it.
    #[tracing::instrument(skip_all)]
    pub async fn submit(&self, request: Request) -> Result<Response, ServiceError> {
        Ok(self.proposer.propose(request).await?)
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
