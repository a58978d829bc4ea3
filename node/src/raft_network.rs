//! openraft's network over peer RPC: append-entries, vote and install-snapshot calls to the
//! target node's peer listener.

use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use raft_store::{NodeId, NodeInfo, TypeConfig};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::limits::PEER_RPC_TIMEOUT_MIN;
use crate::peer::{path, PeerCallError, PeerRpc};
use crate::transport::TransportErrorKind;

pub struct PeerNetwork {
    rpc: PeerRpc,
}

impl PeerNetwork {
    pub fn new(rpc: PeerRpc) -> Self {
        Self { rpc }
    }
}

impl RaftNetworkFactory<TypeConfig> for PeerNetwork {
    type Network = PeerConnection;

    async fn new_client(&mut self, target: NodeId, node: &NodeInfo) -> PeerConnection {
        PeerConnection { rpc: self.rpc.clone(), target, peer_addr: node.peer_addr.clone() }
    }
}

pub struct PeerConnection {
    rpc: PeerRpc,
    target: NodeId,
    peer_addr: String,
}

type RpcResult<T, E = openraft::error::Infallible> =
    Result<T, RPCError<NodeId, NodeInfo, RaftError<NodeId, E>>>;

impl PeerConnection {
    async fn send<Req, Resp, E>(
        &self,
        route: &str,
        request: &Req,
        option: &RPCOption,
    ) -> RpcResult<Resp, E>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let timeout = option.hard_ttl().max(PEER_RPC_TIMEOUT_MIN);
        let answer: Result<Resp, RaftError<NodeId, E>> =
            self.rpc.call(&self.peer_addr, route, request, timeout).await.map_err(|error| {
                match &error {
                    // Never connected: openraft backs off from an unreachable node.
                    PeerCallError::Transport(failure)
                        if failure.kind == TransportErrorKind::Unreachable =>
                    {
                        RPCError::Unreachable(Unreachable::new(&error))
                    }
                    _ => RPCError::Network(NetworkError::new(&error)),
                }
            })?;
        answer.map_err(|remote| RPCError::RemoteError(RemoteError::new(self.target, remote)))
    }
}

impl RaftNetwork<TypeConfig> for PeerConnection {
    async fn append_entries(
        &mut self,
        request: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<NodeId>> {
        self.send(path::APPEND, &request, &option).await
    }

    async fn install_snapshot(
        &mut self,
        request: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<NodeId>, InstallSnapshotError> {
        self.send(path::SNAPSHOT, &request, &option).await
    }

    async fn vote(
        &mut self,
        request: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> RpcResult<VoteResponse<NodeId>> {
        self.send(path::VOTE, &request, &option).await
    }
}
