//! Cluster endpoints: status, bootstrap, membership changes, and the health and readiness probes.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use coupon_client::api::{
    AddMemberRequest, ClusterMember, ClusterStatus, InitClusterRequest, NodeRole,
};
use openraft::ServerState;
use raft_store::NodeInfo;

use super::extract::{JsonBody, PathId};
use super::ApiError;
use crate::app::{App, AppState};
use crate::cluster_admin::MembershipChange;
use crate::limits::READINESS_CHECK_TIMEOUT;

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
        })
        .collect();
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
    }
}

pub async fn get_cluster(State(app): State<AppState>) -> Json<ClusterStatus> {
    Json(cluster_status(&app))
}

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

pub async fn add_member(
    State(app): State<AppState>,
    JsonBody(request): JsonBody<AddMemberRequest>,
) -> Result<Json<ClusterStatus>, ApiError> {
    if request.id == 0 {
        return Err(ApiError::invalid_field("id", "must be a positive integer"));
    }
    let node = member_node(&request)?;
    app.admin.change(MembershipChange::Add { id: request.id, node }).await?;
    Ok(Json(cluster_status(&app)))
}

pub async fn remove_member(
    State(app): State<AppState>,
    PathId(id): PathId,
) -> Result<Json<ClusterStatus>, ApiError> {
    app.admin.change(MembershipChange::Remove { id }).await?;
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
    Ok(NodeInfo { api_addr: member.api_addr.clone(), peer_addr: member.peer_addr.clone() })
}

pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// Ready when this node can serve a linearizable read now: a leader confirmed by a quorum, and
/// this node caught up to that leader's commit index. A node that only remembers a leader (after a
/// restart, say) is not ready until that leader answers.
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
