//! `RegionLayout`: which region every voter and every client of a region run sits in, and which
//! region the cluster prefers its leader in.

use std::time::Duration;

use raft_store::NodeId;
use serde::Serialize;

use super::{LatencyMatrix, Region};

#[derive(Clone, Debug, Serialize)]
pub struct RegionLayout {
    /// Where voter `id` sits: `voters[id - 1]`.
    pub voters: Vec<Region>,
    pub preferred: Region,
    pub delays: LatencyMatrix,
}

impl RegionLayout {
    /// The region of node `id`; `None` for a node the layout does not place.
    pub fn node(&self, id: NodeId) -> Option<Region> {
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        self.voters.get(index).copied()
    }

    pub fn nodes_in(&self, region: Region) -> Vec<NodeId> {
        (1..=self.voters.len() as NodeId).filter(|id| self.node(*id) == Some(region)).collect()
    }

    /// Clients are spread over the regions in turn, so every region has clients.
    pub fn client(&self, index: usize) -> Region {
        Region::ALL[index % Region::ALL.len()]
    }

    /// The nodes in the order a client of `region` tries them: its own region's first.
    pub fn nodes_for_client(&self, region: Region) -> Vec<NodeId> {
        let mut nodes: Vec<NodeId> = (1..=self.voters.len() as NodeId).collect();
        nodes.sort_by_key(|id| (self.node(*id) != Some(region), *id));
        nodes
    }

    /// The base round trip between two placed nodes (zero if either is not placed).
    pub fn round_trip(&self, a: NodeId, b: NodeId) -> Duration {
        match (self.node(a), self.node(b)) {
            (Some(a), Some(b)) => self.delays.round_trip(a, b),
            _ => Duration::ZERO,
        }
    }

    /// How long `leader` waits at least for a majority of the voters to answer it: the round
    /// trip to the nearest voters that make a majority with it.
    pub fn quorum_round_trip(&self, leader: NodeId) -> Duration {
        let mut trips: Vec<Duration> = (1..=self.voters.len() as NodeId)
            .filter(|id| *id != leader)
            .map(|id| self.round_trip(leader, id))
            .collect();
        trips.sort();
        let others_needed = self.voters.len() / 2;
        others_needed.checked_sub(1).and_then(|at| trips.get(at)).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(voters: Vec<Region>) -> RegionLayout {
        RegionLayout { voters, preferred: Region::Eu, delays: LatencyMatrix::WORLD }
    }

    #[test]
    fn a_quorum_is_the_nearest_majority() {
        let three = layout(vec![Region::Eu, Region::Us, Region::Ap]);
        assert_eq!(three.quorum_round_trip(1), Duration::from_millis(80));
        assert_eq!(three.quorum_round_trip(3), Duration::from_millis(180));
        let five = layout(vec![Region::Eu, Region::Eu, Region::Us, Region::Us, Region::Ap]);
        assert_eq!(five.quorum_round_trip(1), Duration::from_millis(80), "eu + one us voter");
        assert_eq!(five.quorum_round_trip(3), Duration::from_millis(80), "us + one eu voter");
        assert_eq!(five.quorum_round_trip(5), Duration::from_millis(180), "both us voters");
    }

    #[test]
    fn a_client_tries_its_own_region_first() {
        let five = layout(vec![Region::Eu, Region::Eu, Region::Us, Region::Us, Region::Ap]);
        assert_eq!(five.nodes_for_client(Region::Us), vec![3, 4, 1, 2, 5]);
        assert_eq!(five.nodes_for_client(Region::Ap), vec![5, 1, 2, 3, 4]);
        assert_eq!(five.nodes_in(Region::Eu), vec![1, 2]);
        assert_eq!(five.node(6), None);
        assert_eq!(five.client(4), Region::Us);
    }
}
