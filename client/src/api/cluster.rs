//! Cluster operations: `GET /cluster`, `POST /cluster/init`, `POST /cluster/members`,
//! `DELETE /cluster/members/{id}`.

use serde::{Deserialize, Serialize};

use super::NodeId;

/// A node's Raft role as this node sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeRole {
    /// Accepts writes.
    Leader,
    /// Replicates the leader's log and votes.
    Follower,
    /// Standing for election.
    Candidate,
    /// Replicates but does not vote (a node being added).
    Learner,
    /// Shutting down.
    Shutdown,
    /// A role this client does not know (a newer server); kept so the status still parses.
    #[serde(other)]
    Unknown,
}

/// One member of the cluster, as stored in the Raft membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterMember {
    /// Raft node id.
    #[cfg_attr(feature = "openapi", schema(value_type = u64, minimum = 1, example = 1))]
    pub id: NodeId,
    /// `host:port` of its HTTP API.
    #[cfg_attr(feature = "openapi", schema(example = "127.0.0.1:8081"))]
    pub api_addr: String,
    /// `host:port` of its Raft peer listener.
    #[cfg_attr(feature = "openapi", schema(example = "127.0.0.1:9081"))]
    pub peer_addr: String,
    /// False for a learner.
    pub voter: bool,
    /// The region it runs in (its `--region`); `null` when it was given none.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, pattern = "^[a-z0-9-]{1,32}$", example = "eu")
    )]
    pub region: Option<String>,
}

/// 200 answer of `GET /cluster` (and of the membership changes): the answering node's view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterStatus {
    /// The answering node.
    #[cfg_attr(feature = "openapi", schema(value_type = u64, minimum = 1, example = 1))]
    pub node_id: NodeId,
    /// Its role.
    pub role: NodeRole,
    /// The leader it knows; `null` when none.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u64>, required = true, minimum = 1, example = 1))]
    pub leader_id: Option<NodeId>,
    /// Its current term.
    #[cfg_attr(feature = "openapi", schema(example = 3))]
    pub term: u64,
    /// Index of its last log entry; `null` before the first.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, example = 120))]
    pub last_log_index: Option<u64>,
    /// Index of the last entry it applied; `null` before the first.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, example = 120))]
    pub last_applied: Option<u64>,
    /// Voters and learners, by id.
    pub members: Vec<ClusterMember>,
    /// The answering node's region; `null` when it has none.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, example = "eu"))]
    pub region: Option<String>,
    /// The region of the leader it knows; `null` when it knows none or the leader has none.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, example = "eu"))]
    pub leader_region: Option<String>,
    /// The region leadership is moved to when a voter there has caught up
    /// (`--preferred-leader-region`); `null` when none is set.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true, example = "eu"))]
    pub preferred_leader_region: Option<String>,
}

/// A node to put in the cluster: the body of `POST /cluster/members` and one entry of
/// `POST /cluster/init`. Unknown fields are a 422.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    /// Raft node id, unique in the cluster.
    #[cfg_attr(feature = "openapi", schema(value_type = u64, minimum = 1, example = 2))]
    pub id: NodeId,
    /// `host:port` of its HTTP API.
    #[cfg_attr(feature = "openapi", schema(example = "127.0.0.1:8082"))]
    pub api_addr: String,
    /// `host:port` of its Raft peer listener.
    #[cfg_attr(feature = "openapi", schema(example = "127.0.0.1:9082"))]
    pub peer_addr: String,
    /// The region it runs in. On `POST /cluster/members` it may be left out: the leader records
    /// the region the node itself is configured with, and refuses one stated otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z0-9-]{1,32}$", example = "us"))]
    pub region: Option<String>,
}

/// Body of `POST /cluster/init`: bootstrap a new cluster with these voters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InitClusterRequest {
    /// The first voters, with distinct positive ids; the node receiving the request must be
    /// one of them.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub members: Vec<AddMemberRequest>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{ClusterStatus, InitClusterRequest, NodeRole};

    #[test]
    fn api_md_status_parses_with_peer_addr() {
        let literal = json!({
            "node_id": 1, "role": "leader", "leader_id": 1, "term": 3, "last_log_index": 120,
            "last_applied": 120,
            "members": [{"id": 1, "api_addr": "127.0.0.1:8081", "peer_addr": "127.0.0.1:9081", "voter": true}]
        });
        let status: ClusterStatus = serde_json::from_value(literal).unwrap();
        assert_eq!(status.role, NodeRole::Leader);
        assert_eq!(status.members[0].peer_addr, "127.0.0.1:9081");
        assert_eq!((status.region, status.members[0].region.clone()), (None, None));
    }

    #[test]
    fn regions_are_shown_and_null_when_unset() {
        let literal = json!({
            "node_id": 2, "role": "follower", "leader_id": 1, "term": 3, "last_log_index": 120,
            "last_applied": 120,
            "members": [
                {"id": 1, "api_addr": "a:1", "peer_addr": "a:2", "voter": true, "region": "eu"},
                {"id": 2, "api_addr": "b:1", "peer_addr": "b:2", "voter": true, "region": null}
            ],
            "region": null, "leader_region": "eu", "preferred_leader_region": "eu"
        });
        let status: ClusterStatus = serde_json::from_value(literal.clone()).unwrap();
        assert_eq!(status.leader_region.as_deref(), Some("eu"));
        assert_eq!(serde_json::to_value(&status).unwrap(), literal);
    }

    #[test]
    fn unknown_roles_still_parse() {
        assert_eq!(
            serde_json::from_value::<NodeRole>(json!("observer")).unwrap(),
            NodeRole::Unknown
        );
    }

    #[test]
    fn init_body_round_trips_and_denies_unknown_fields() {
        let literal = json!({"members": [{"id": 1, "api_addr": "a:1", "peer_addr": "a:2"}]});
        let request: InitClusterRequest = serde_json::from_value(literal.clone()).unwrap();
        assert_eq!(serde_json::to_value(&request).unwrap(), literal);
        let stray =
            json!({"members": [{"id": 1, "api_addr": "a:1", "peer_addr": "a:2", "voter": true}]});
        assert!(serde_json::from_value::<InitClusterRequest>(stray).is_err());
    }
}
