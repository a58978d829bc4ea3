//! Operational endpoints of [`CouponClient`]: cluster status and membership, alerts, probes.

use http::uri::Authority;
use http::Method;

use super::call::Call;
use super::node_set::Route;
use super::CouponClient;
use crate::api::{
    AddMemberRequest, AlertList, AlertsQuery, AuditQuery, ClusterStatus, InitClusterRequest, NodeId,
};
use crate::error::{ClientError, Result};
use crate::transport::Exchange;

impl<E: Exchange> CouponClient<E> {
    /// `GET /cluster` from whichever node answers: that node's view of the cluster.
    pub async fn cluster_status(&self) -> Result<ClusterStatus> {
        let call = Call::bare(Method::GET, "/cluster".into(), Route::Any);
        self.execute(&call).await?.decode()
    }

    /// `GET /cluster` from `node` (`host:port`, not necessarily configured), once, no failover.
    pub async fn cluster_status_of(&self, node: &str) -> Result<ClusterStatus> {
        let call = Call::bare(Method::GET, "/cluster".into(), pinned(node)?);
        self.execute(&call).await?.decode()
    }

    /// `POST /cluster/init`: bootstrap a new cluster. The node that receives it must be one of
    /// `request.members`; a node already in a cluster answers `cluster_already_initialized`.
    pub async fn init_cluster(&self, request: &InitClusterRequest) -> Result<ClusterStatus> {
        let call = Call::with_body(Method::POST, "/cluster/init".into(), request, Route::Any)?;
        self.execute(&call).await?.decode()
    }

    /// `POST /cluster/members`: add a node (as learner, then voter).
    pub async fn add_member(&self, request: &AddMemberRequest) -> Result<ClusterStatus> {
        let call =
            Call::with_body(Method::POST, "/cluster/members".into(), request, Route::Leader)?;
        self.execute(&call).await?.decode()
    }

    /// `DELETE /cluster/members/{id}`: remove a node.
    pub async fn remove_member(&self, id: NodeId) -> Result<ClusterStatus> {
        let call = Call::bare(Method::DELETE, format!("/cluster/members/{id}"), Route::Leader);
        self.execute(&call).await?.decode()
    }

    /// `GET /audit`: one page of the audit trail, as served (JSON objects, for `verify_chain`).
    pub async fn audit_page(
        &self,
        query: &AuditQuery,
    ) -> Result<(Vec<serde_json::Value>, Option<u64>)> {
        let call = Call::get("/audit".into(), query, Route::Any)?;
        let page: serde_json::Value = self.execute(&call).await?.decode()?;
        let records = page["records"].as_array().cloned().unwrap_or_default();
        Ok((records, page["next_after"].as_u64()))
    }

    /// `GET /alerts`: one page of low-stock alerts, oldest first.
    pub async fn alerts(&self, query: &AlertsQuery) -> Result<AlertList> {
        let call = Call::get("/alerts".into(), query, Route::Any)?;
        self.execute(&call).await?.decode()
    }

    /// `GET /healthz` on `node`, once: `Ok` when the process is up.
    pub async fn health(&self, node: &str) -> Result<()> {
        let call = Call::bare(Method::GET, "/healthz".into(), pinned(node)?);
        self.execute(&call).await.map(drop)
    }

    /// `GET /readyz` on `node`, once: whether it knows a leader and has applied what it
    /// committed. A 503 is `Ok(false)`; no answer at all is an error.
    pub async fn ready(&self, node: &str) -> Result<bool> {
        let call = Call::bare(Method::GET, "/readyz".into(), pinned(node)?);
        match self.execute(&call).await {
            Ok(_) => Ok(true),
            Err(error) if error.status() == Some(503) => Ok(false),
            Err(error) => Err(error),
        }
    }
}

fn pinned(node: &str) -> Result<Route> {
    let node = Authority::try_from(node).map_err(|error| ClientError::Request(error.into()))?;
    Ok(Route::Pinned(node))
}
