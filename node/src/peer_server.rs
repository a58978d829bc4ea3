//! The peer listener's router: Raft RPC, forwarded proposals, read-index requests, membership
//! changes and key revocation checks, all bincode, all behind the cluster secret when one is
//! configured; and the identity challenge, the one route open without the secret (its answer
//! proves the secret, never shows it).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use coupon_client::api::ErrorCode;
use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest, VoteRequest};
use openraft::ServerState;
use raft_store::command::KeyedCommand;
use raft_store::domain::{KeyId, Timestamp};
use raft_store::{NodeId, Raft, Region, TypeConfig};
use serde::de::DeserializeOwned;
use serde::Serialize;
// Compared in constant time, so the time taken does not reveal how much of the secret matched.
use subtle::ConstantTimeEq;

use crate::cluster_admin::{ClusterAdmin, MembershipChange};
use crate::http::ApiError;
use crate::limits::{APPLIED_WAIT_MAX, PEER_BODY_BYTES_MAX, REQUESTS_PER_BATCH_MAX};
use crate::peer::identity::{self, IdentityChallenge};
use crate::peer::{codec, path, CLUSTER_SECRET_HEADER};
use crate::read_barrier::ReadBarrier;
use crate::service::KeyService;
use crate::wall_clock::WallClock;
use crate::write::Proposer;

#[derive(Clone)]
pub struct PeerState {
    pub node_id: NodeId,
    pub raft: Raft,
    pub proposer: Proposer,
    pub barrier: ReadBarrier,
    pub admin: ClusterAdmin,
    pub keys: KeyService,
    pub secret: Option<Arc<str>>,
    /// Named in this node's answer to the identity challenge.
    pub region: Option<Region>,
    /// Read by a new leader before its first stamp (`write::quorum_clock`).
    pub wall_clock: Arc<WallClock>,
}

pub fn peer_router(state: PeerState) -> Router {
    let open = Router::new().route(path::IDENTITY, post(prove_identity));
    let guarded = Router::new()
        .route(path::APPEND, post(append))
        .route(path::VOTE, post(vote))
        .route(path::SNAPSHOT, post(install_snapshot))
        .route(path::PROPOSE, post(propose))
        .route(path::READ_INDEX, post(read_index))
        .route(path::MEMBERSHIP, post(membership))
        .route(path::KEY_REFUSED, post(key_refused))
        .route(path::CAMPAIGN, post(campaign))
        .route(path::CLOCK, post(clock))
        .route(path::APPLIED, post(applied))
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "no such peer route") })
        .layer(middleware::from_fn_with_state(state.secret.clone(), require_secret));
    open.merge(guarded).layer(DefaultBodyLimit::max(PEER_BODY_BYTES_MAX)).with_state(state)
}

async fn require_secret(
    State(secret): State<Option<Arc<str>>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(secret) = secret else { return next.run(request).await };
    let presented = request.headers().get(CLUSTER_SECRET_HEADER).map(HeaderValue::as_bytes);
    if presented.is_some_and(|presented| bool::from(presented.ct_eq(secret.as_bytes()))) {
        next.run(request).await
    } else {
        ApiError::new(ErrorCode::Unauthorized, "peer routes need the cluster secret")
            .into_response()
    }
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    codec::decode(body)
        .map_err(|error| ApiError::new(ErrorCode::MalformedRequest, format!("peer body: {error}")))
}

fn reply<T: Serialize>(value: &T) -> Response {
    match codec::encode(value) {
        Ok(bytes) => {
            let mut response = (StatusCode::OK, bytes).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
            response
        }
        Err(error) => ApiError::internal(&error).into_response(),
    }
}

async fn append(State(peer): State<PeerState>, body: Bytes) -> Result<Response, ApiError> {
    let request: AppendEntriesRequest<TypeConfig> = decode(&body)?;
    Ok(reply(&peer.raft.append_entries(request).await))
}

async fn vote(State(peer): State<PeerState>, body: Bytes) -> Result<Response, ApiError> {
    let request: VoteRequest<NodeId> = decode(&body)?;
    Ok(reply(&peer.raft.vote(request).await))
}

async fn install_snapshot(
    State(peer): State<PeerState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: InstallSnapshotRequest<TypeConfig> = decode(&body)?;
    Ok(reply(&peer.raft.install_snapshot(request).await))
}

/// A follower's batch: joins this node's queue if it leads; never forwarded again. Every command
/// is held to the state's bounds first, as on the public write path: a follower checked its
/// requests already, so a batch with one out of bounds is forged or corrupt, and refused whole
/// (422) before anything of it is proposed.
async fn propose(State(peer): State<PeerState>, body: Bytes) -> Result<Response, ApiError> {
    let requests: Vec<KeyedCommand> = decode(&body)?;
    check_forwarded(&requests)?;
    Ok(reply(&peer.proposer.propose_forwarded(requests).await))
}

/// A forwarded batch holds 1 to `REQUESTS_PER_BATCH_MAX` requests, each within the bounds.
fn check_forwarded(requests: &[KeyedCommand]) -> Result<(), ApiError> {
    if requests.is_empty() || requests.len() > REQUESTS_PER_BATCH_MAX {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("a forwarded batch holds 1 to {REQUESTS_PER_BATCH_MAX} requests"),
        ));
    }
    for (index, request) in requests.iter().enumerate() {
        if let Err(error) = request.check_bounds() {
            let field = format!("requests[{index}].{}", error.field);
            return Err(ApiError::invalid_field(field, error.invalid.to_string()));
        }
    }
    Ok(())
}

async fn read_index(State(peer): State<PeerState>) -> Response {
    reply(&peer.barrier.read_index().await)
}

async fn membership(State(peer): State<PeerState>, body: Bytes) -> Result<Response, ApiError> {
    let change: MembershipChange = decode(&body)?;
    Ok(reply(&peer.admin.change_as_leader(change).await))
}

/// The leader hands leadership to this node (`leader_preference`): stand for election now.
/// Answers whether an election was started; a node that is no voter, or leads already, starts
/// none. An election started at the wrong time is lost and costs a term, nothing else.
async fn campaign(State(peer): State<PeerState>) -> Response {
    let metrics = peer.raft.metrics().borrow().clone();
    let voter = metrics.membership_config.membership().voter_ids().any(|id| id == peer.node_id);
    let standing = voter && metrics.state == ServerState::Follower;
    reply(&(standing && peer.raft.trigger().elect().await.is_ok()))
}

/// This node's wall clock, for a leader that holds its stamps to the voters' clocks.
async fn clock(State(peer): State<PeerState>) -> Response {
    reply(&Timestamp::from_datetime(peer.wall_clock.now()))
}

/// Whether this node has applied the leader's log index, waiting for it at most
/// `APPLIED_WAIT_MAX`: the leader paces a code generation job by the answers.
async fn applied(State(peer): State<PeerState>, body: Bytes) -> Result<Response, ApiError> {
    let index: u64 = decode(&body)?;
    let caught_up = peer
        .raft
        .wait(Some(APPLIED_WAIT_MAX))
        .applied_index_at_least(Some(index), "a leader's pacing")
        .await
        .is_ok();
    Ok(reply(&caught_up))
}

/// Whether this node refuses the key now: a revocation asks every member until each says yes.
async fn key_refused(State(peer): State<PeerState>, body: Bytes) -> Result<Response, ApiError> {
    let id: KeyId = decode(&body)?;
    match peer.keys.refuses(&id) {
        Ok(refused) => Ok(reply(&refused)),
        Err(error) => Err(ApiError::internal(&error)),
    }
}

/// Answers a leader's identity challenge: this node's id and its proof of the cluster secret.
async fn prove_identity(State(peer): State<PeerState>, body: Bytes) -> Result<Response, ApiError> {
    let challenge: IdentityChallenge = decode(&body)?;
    let answer =
        identity::answer(peer.secret.as_deref(), peer.node_id, peer.region.as_ref(), &challenge);
    Ok(reply(&answer))
}

#[cfg(test)]
mod tests {
    use raft_store::command::{Command, RedeemCommand};
    use raft_store::domain::{CouponId, Currency, UserId};
    use rust_decimal::Decimal;

    use super::*;

    fn redeem(order_amount: Decimal) -> KeyedCommand {
        let command = Command::Redeem(RedeemCommand {
            coupon_id: CouponId(1),
            user_id: UserId::parse("u-1").unwrap(),
            order_id: None,
            order_amount: Some(order_amount),
            currency: Some(Currency::parse("EUR").unwrap()),
        });
        KeyedCommand { idempotency: None, actor: None, command }
    }

    #[test]
    fn a_forwarded_batch_with_a_command_out_of_bounds_is_refused_before_it_is_proposed() {
        assert!(check_forwarded(&[redeem(Decimal::ONE)]).is_ok());
        let refused = check_forwarded(&[redeem(Decimal::ONE), redeem(Decimal::MAX)]).unwrap_err();
        assert_eq!(refused.code(), ErrorCode::InvalidRequest);
        assert_eq!(refused.problem().status, 422);
        let fields: Vec<_> =
            refused.problem().errors.iter().flatten().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["requests[1].order_amount"]);
        assert_eq!(check_forwarded(&[]).unwrap_err().code(), ErrorCode::InvalidRequest);
    }
}
