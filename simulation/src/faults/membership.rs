//! Membership changes through the public API (`POST /cluster/members`,
//! `DELETE /cluster/members/{id}`), retried until acknowledged or out of time.

use std::time::Duration;

use coupon_client::api::AddMemberRequest;
use coupon_client::CouponClient;
use raft_store::NodeId;
use serde::Serialize;

use super::log::FaultLog;
use super::plan::MembershipChange;
use crate::harness::address::{api_addr, peer_addr};
use crate::net::SimExchange;

/// How long the driver keeps asking for one change.
const CHANGE_PATIENCE: Duration = Duration::from_secs(20);

/// A change and whether the API acknowledged it.
#[derive(Clone, Debug, Serialize)]
pub struct MembershipResult {
    pub change: MembershipChange,
    pub node: NodeId,
    pub acknowledged: bool,
}

pub async fn change_membership(
    admin: &CouponClient<SimExchange>,
    log: &FaultLog,
    change: MembershipChange,
    node: NodeId,
) -> MembershipResult {
    let deadline = madsim::time::Instant::now() + CHANGE_PATIENCE;
    log.note(format!("membership change {change:?} on node {node} starts"));
    while madsim::time::Instant::now() < deadline {
        let answer = match change {
            MembershipChange::AddVoter(_) => {
                let request = AddMemberRequest {
                    id: node,
                    api_addr: api_addr(node).to_string(),
                    peer_addr: peer_addr(node).to_string(),
                    region: None,
                };
                admin.add_member(&request).await
            }
            MembershipChange::RemoveVoter(_) => admin.remove_member(node).await,
        };
        match answer {
            Ok(status) => {
                let members: Vec<_> = status.members.iter().map(|m| (m.id, m.voter)).collect();
                log.note(format!(
                    "membership change {change:?} on node {node} acknowledged: {members:?}"
                ));
                return MembershipResult { change, node, acknowledged: true };
            }
            Err(error) => log.note(format!("membership change {change:?} on node {node}: {error}")),
        }
        // A retry of a change that did happen is refused (the node is already in, or already
        // out): stop asking once the cluster shows the change, without counting it acknowledged.
        if let Ok(status) = admin.cluster_status().await {
            let member = status.members.iter().any(|m| m.id == node && m.voter);
            let in_effect = match change {
                MembershipChange::AddVoter(_) => member,
                MembershipChange::RemoveVoter(_) => !member,
            };
            if in_effect {
                log.note(format!("membership change {change:?} on node {node} is in effect"));
                break;
            }
        }
        madsim::time::sleep(Duration::from_millis(300)).await;
    }
    MembershipResult { change, node, acknowledged: false }
}
