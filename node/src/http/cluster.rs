//! Cluster endpoints: status, bootstrap, membership changes, and the health and readiness probes.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::{Extension, Json};
use coupon_client::api::{
    AddMemberRequest, ClusterMember, ClusterStatus, InitClusterRequest, NodeRole, ReadQuery,
};
use openraft::ServerState;
use raft_store::command::MembershipNote;
use raft_store::{NodeInfo, Region};

use super::app::{App, AppState};
use super::extract::{JsonBody, PathId, QueryParams};
use super::problems::{
    AddMemberProblems, InitClusterProblems, NotReadyProblems, QueryProblems, RemoveMemberProblems,
};
use super::ApiError;
use crate::cluster_admin::MembershipChange;
use crate::limits::READINESS_CHECK_TIMEOUT;
use crate::service::Caller;

pub fn cluster_status(app: &App) -> ClusterStatus {
    let metrics = app.raft.metrics().borrow().clone();
    let membership = metrics.membership_config.membership();
    let members = membership
        .nodes()
        .map(|(id, node)| ClusterMember {
            id: *id,
            api_addr: node.api_addr.clone(),
            peer_addr: node.peer_addr.clone(),
            voter: membership.voter_ids().any(|voter| voter == *id),
            region: node.region.as_ref().map(Region::to_string),
        })
        .collect();
    let leader_region = metrics
        .current_leader
        .and_then(|leader| membership.get_node(&leader)?.region.as_ref())
        .map(Region::to_string);
    let role = match metrics.state {
        ServerState::Leader => NodeRole::Leader,
        ServerState::Follower => NodeRole::Follower,
        ServerState::Candidate => NodeRole::Candidate,
        ServerState::Learner => NodeRole::Learner,
        ServerState::Shutdown => NodeRole::Shutdown,
    };
    ClusterStatus {
        node_id: app.node_id,
        role,
        leader_id: metrics.current_leader,
        term: metrics.current_term,
        last_log_index: metrics.last_log_index,
        last_applied: metrics.last_applied.map(|log_id| log_id.index),
        members,
        region: app.region.as_ref().map(Region::to_string),
        leader_region,
        preferred_leader_region: app.preferred_leader_region.as_ref().map(Region::to_string),
    }
}

/// This node's view of the cluster: its role, the leader it knows, its log, the members.
///
/// Always the answering node's own view: `consistency` is checked, as on every `GET` (another
/// value or parameter is 422), and changes nothing here.
#[utoipa::path(
    get, path = "/cluster", tag = "cluster",
    params(ReadQuery),
    responses(
        (status = 200, description = "The answering node's view", body = ClusterStatus),
        QueryProblems,
    )
)]
pub async fn get_cluster(
    State(app): State<AppState>,
    QueryParams(_): QueryParams<ReadQuery>,
) -> Json<ClusterStatus> {
    Json(cluster_status(&app))
}

/// Bootstrap a new cluster from the listed members (voters).
///
/// Sent once, to one of the members; that node must be in the list.
#[utoipa::path(
    post, path = "/cluster/init", tag = "cluster",
    request_body = InitClusterRequest,
    responses(
        (status = 200, description = "Initialised: the answering node's view", body = ClusterStatus),
        InitClusterProblems,
    )
)]
pub async fn init_cluster(
    State(app): State<AppState>,
    JsonBody(request): JsonBody<InitClusterRequest>,
) -> Result<Json<ClusterStatus>, ApiError> {
    let mut members = BTreeMap::new();
    for member in request.members {
        let node = member_node(&member)?;
        if member.id == 0 || members.insert(member.id, node).is_some() {
            return Err(ApiError::invalid_field("members", "ids must be positive and distinct"));
        }
    }
    if members.is_empty() {
        return Err(ApiError::invalid_field("members", "must list at least this node"));
    }
    app.admin.initialize(members).await?;
    Ok(Json(cluster_status(&app)))
}

/// Add a node: first as a learner that catches up, then as a voter.
///
/// Any node takes the request and passes it to the leader, which checks it first: the node at
/// `peer_addr` must answer as node `id` and prove the cluster secret (nothing else is sent to it
/// before), the voters with it must keep a quorum of nodes that replicate now, and it becomes a
/// voter only once it has caught up with the log, within the request deadline; otherwise it is
/// removed again. A refused change is 409 `membership_refused` and changes nothing (504 if
/// removing the learner again did not complete in time). Adding a node that already is a voter at
/// the same addresses answers 200; at other addresses, 409.
#[utoipa::path(
    post, path = "/cluster/members", tag = "cluster",
    request_body = AddMemberRequest,
    responses(
        (status = 200, description = "Added: the answering node's view", body = ClusterStatus),
        AddMemberProblems,
    )
)]
pub async fn add_member(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(request): JsonBody<AddMemberRequest>,
) -> Result<Json<ClusterStatus>, ApiError> {
    if request.id == 0 {
        return Err(ApiError::invalid_field("id", "must be a positive integer"));
    }
    let node = member_node(&request)?;
    app.admin.change(MembershipChange::Add { id: request.id, node }).await?;
    // An error here leaves the change made but unrecorded: the client retries, the change
    // answers 200 again (it is idempotent) and the note is written then.
    app.service.note_membership_change(&caller, MembershipNote::Added(request.id)).await?;
    Ok(Json(cluster_status(&app)))
}

/// Remove a node from the cluster.
///
/// Idempotent: removing a node that is no longer a member answers 200 too, so a removal retried
/// after it took effect gets the same answer. A removal that would leave the voters before or
/// after it without a quorum of nodes that replicate now is 409 `membership_refused`; removing
/// the leader hands leadership to the remaining voters. Stop the removed node afterwards: it no longer hears
/// from the cluster, and answers 503 until it is stopped.
#[utoipa::path(
    delete, path = "/cluster/members/{id}", tag = "cluster",
    params(("id" = u64, Path, minimum = 1, description = "The node to remove")),
    responses(
        (status = 200, description = "Removed: the answering node's view", body = ClusterStatus),
        RemoveMemberProblems,
    )
)]
pub async fn remove_member(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
) -> Result<Json<ClusterStatus>, ApiError> {
    app.admin.change(MembershipChange::Remove { id }).await?;
    app.service.note_membership_change(&caller, MembershipNote::Removed(id)).await?;
    Ok(Json(cluster_status(&app)))
}

fn member_node(member: &AddMemberRequest) -> Result<NodeInfo, ApiError> {
    let valid = |addr: &str| {
        addr.rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
    };
    if !valid(&member.api_addr) {
        return Err(ApiError::invalid_field("api_addr", "must be host:port"));
    }
    if !valid(&member.peer_addr) {
        return Err(ApiError::invalid_field("peer_addr", "must be host:port"));
    }
    let region = match &member.region {
        Some(name) => Some(Region::new(name).map_err(|_| {
            ApiError::invalid_field("region", "must be 1 to 32 characters of a-z, 0-9 and '-'")
        })?),
        None => None,
    };
    Ok(NodeInfo { api_addr: member.api_addr.clone(), peer_addr: member.peer_addr.clone(), region })
}

/// Liveness: the process is up.
#[utoipa::path(
    get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Up", body = Object, example = json!({"status": "ok"})))
)]
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// Readiness: this node can serve a linearizable read now.
///
/// Ready when a leader confirmed by a quorum is known and this node caught up to that leader's
/// commit index. A node that only remembers a leader (after a restart, say) is not ready until
/// that leader answers.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Object,
            example = json!({"status": "ready", "leader_id": 1, "last_applied": 120})),
        NotReadyProblems,
    )
)]
pub async fn readyz(State(app): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    match tokio::time::timeout(READINESS_CHECK_TIMEOUT, app.service.barrier().linearize()).await {
        Ok(Ok(())) => {
            let metrics = app.raft.metrics().borrow().clone();
            let applied = metrics.last_applied.map(|log_id| log_id.index);
            Ok(Json(
                serde_json::json!({"status": "ready", "leader_id": metrics.current_leader, "last_applied": applied}),
            ))
        }
        Ok(Err(error)) => Err(ApiError::unavailable(format!("not ready: {error}"))),
        Err(_) => Err(ApiError::unavailable("not ready: no leader confirmed in time")),
    }
}
