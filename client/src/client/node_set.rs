//! [`NodeSet`]: the nodes a client may talk to, and its memory of which ones answered well.

use std::sync::{Mutex, MutexGuard, PoisonError};

use http::uri::Authority;

use crate::error::ConfigError;

/// Where a request may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// Any node; start with the last one that answered well.
    Any,
    /// A write: start with the leader if a node named it, else as `Any`. Followers forward
    /// writes anyway; going to the leader first saves a hop.
    Leader,
    /// This node only, one attempt: health probes and per-node status ask about the node
    /// itself, so another node's answer would be wrong.
    Pinned(Authority),
}

/// How a client reaches its nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// The configured nodes plus two hints. Hints only choose where to start; failover still
/// walks every node in order, so a stale hint costs one attempt at most.
#[derive(Debug)]
pub(crate) struct NodeSet {
    nodes: Vec<Authority>,
    scheme: Scheme,
    hints: Mutex<Hints>,
    /// Whether `X-Coupon-Leader` is followed at all ([`crate::ClientConfig::follow_leader_hint`]).
    follow_leader_hint: bool,
}

#[derive(Debug, Default)]
struct Hints {
    /// The node that last answered (with anything but a retryable failure).
    preferred: usize,
    /// The leader as named by the last `X-Coupon-Leader` header, if it is one of `nodes`.
    leader: Option<usize>,
}

impl NodeSet {
    /// Parses `host:port` addresses, each optionally `http://` or `https://` first. Any
    /// `https://`, or `tls` (a CA was given), makes every request go to `https://`; an explicit
    /// `http://` beside either is refused.
    pub fn new(
        nodes: Vec<String>,
        follow_leader_hint: bool,
        tls: bool,
    ) -> Result<Self, ConfigError> {
        if nodes.is_empty() {
            return Err(ConfigError::NoNodes);
        }
        let mut schemes = Vec::new();
        let nodes = nodes
            .into_iter()
            .map(|node| {
                let (scheme, authority) = split_scheme(&node);
                schemes.extend(scheme);
                Authority::try_from(authority.trim_end_matches('/'))
                    .map_err(|source| ConfigError::InvalidNode { node, source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let https = tls || schemes.contains(&Scheme::Https);
        let scheme = if https { Scheme::Https } else { Scheme::Http };
        if https && schemes.contains(&Scheme::Http) {
            return Err(ConfigError::MixedSchemes);
        }
        Ok(Self { nodes, scheme, hints: Mutex::new(Hints::default()), follow_leader_hint })
    }

    /// The scheme of every request.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The configured nodes (host:port), in order.
    pub fn nodes(&self) -> &[Authority] {
        &self.nodes
    }

    /// Index of the node to try first for `route` (`Pinned` does not use an index).
    pub fn first(&self, route: &Route) -> usize {
        let hints = self.hints();
        match route {
            Route::Leader => hints.leader.unwrap_or(hints.preferred),
            Route::Any | Route::Pinned(_) => hints.preferred,
        }
    }

    /// The node at `index`.
    pub fn get(&self, index: usize) -> &Authority {
        &self.nodes[index % self.nodes.len()]
    }

    /// The node after `index`, wrapping around.
    pub fn next(&self, index: usize) -> usize {
        (index + 1) % self.nodes.len()
    }

    /// `index` answered (with anything but a retryable failure); start there next time.
    pub fn record_answer(&self, index: usize) {
        self.hints().preferred = index % self.nodes.len();
    }

    /// A node named the leader (`X-Coupon-Leader`); follow it if it is one of ours. `None`
    /// (no header) keeps the current hint; so does a set that does not follow hints.
    pub fn record_leader(&self, leader: Option<&str>) {
        let Some(leader) = leader.filter(|_| self.follow_leader_hint) else { return };
        self.hints().leader = self.nodes.iter().position(|node| node.as_str() == leader);
    }

    /// `index` could not serve; stop preferring it.
    pub fn record_failure(&self, index: usize) {
        let mut hints = self.hints();
        if hints.leader == Some(index) {
            hints.leader = None;
        }
        if hints.preferred == index {
            hints.preferred = self.next(index);
        }
    }

    /// Where to go after `index` failed: for a write, the leader if a node has named another
    /// one since; otherwise the next node in order.
    pub fn after_failure(&self, route: &Route, index: usize) -> usize {
        let leader = match route {
            Route::Leader => self.hints().leader.filter(|leader| *leader != index),
            Route::Any | Route::Pinned(_) => None,
        };
        leader.unwrap_or_else(|| self.next(index))
    }

    fn hints(&self) -> MutexGuard<'_, Hints> {
        // The hints are plain indexes, valid whatever a panicking holder left behind.
        self.hints.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `https://n1:80` is `(Some(Https), "n1:80")`; a bare `n1:80` has no scheme of its own.
fn split_scheme(node: &str) -> (Option<Scheme>, &str) {
    if let Some(rest) = node.strip_prefix("https://") {
        (Some(Scheme::Https), rest)
    } else if let Some(rest) = node.strip_prefix("http://") {
        (Some(Scheme::Http), rest)
    } else {
        (None, node)
    }
}

#[cfg(test)]
mod tests {
    use super::{NodeSet, Route, Scheme};
    use crate::error::ConfigError;

    fn three() -> NodeSet {
        NodeSet::new(vec!["a:1".into(), "b:2".into(), "c:3".into()], true, false).unwrap()
    }

    #[test]
    fn https_nodes_or_a_ca_make_every_request_https() {
        let set = |nodes: &[&str], tls| {
            NodeSet::new(nodes.iter().map(|node| (*node).to_owned()).collect(), true, tls)
        };
        assert_eq!(three().scheme(), Scheme::Http);
        assert_eq!(set(&["http://a:1/", "b:2"], false).unwrap().scheme(), Scheme::Http);
        let https = set(&["https://a:1", "b:2"], false).unwrap();
        assert_eq!(https.scheme(), Scheme::Https);
        assert_eq!(https.nodes()[0].as_str(), "a:1", "the leader hint matches host:port");
        assert_eq!(set(&["a:1"], true).unwrap().scheme(), Scheme::Https);
        assert!(matches!(
            set(&["https://a:1", "http://b:2"], false),
            Err(ConfigError::MixedSchemes)
        ));
        assert!(matches!(set(&["http://a:1"], true), Err(ConfigError::MixedSchemes)));
    }

    #[test]
    fn rejects_empty_and_malformed_lists() {
        assert!(matches!(NodeSet::new(vec![], true, false), Err(ConfigError::NoNodes)));
        let bad = NodeSet::new(vec!["a:1".into(), "not a host".into()], true, false);
        assert!(matches!(bad, Err(ConfigError::InvalidNode { .. })));
    }

    #[test]
    fn answers_and_leader_hints_choose_the_start() {
        let nodes = three();
        assert_eq!(nodes.first(&Route::Any), 0);
        nodes.record_answer(1);
        nodes.record_leader(Some("c:3"));
        assert_eq!(nodes.first(&Route::Any), 1);
        assert_eq!(nodes.first(&Route::Leader), 2);
        nodes.record_leader(None);
        assert_eq!(nodes.first(&Route::Leader), 2, "no header keeps the hint");
        nodes.record_leader(Some("elsewhere:9"));
        assert_eq!(nodes.first(&Route::Leader), 1, "unknown leaders are not followed");
    }

    #[test]
    fn failures_move_the_hints_on() {
        let nodes = three();
        nodes.record_answer(2);
        nodes.record_leader(Some("c:3"));
        nodes.record_failure(2);
        assert_eq!(nodes.first(&Route::Leader), 0);
        assert_eq!(nodes.first(&Route::Any), 0);
        assert_eq!(nodes.after_failure(&Route::Leader, 2), 0);
    }

    #[test]
    fn writes_fail_over_to_a_named_leader() {
        let nodes = three();
        nodes.record_leader(Some("b:2"));
        assert_eq!(nodes.after_failure(&Route::Leader, 2), 1);
        assert_eq!(nodes.after_failure(&Route::Any, 2), 0);
        assert_eq!(nodes.after_failure(&Route::Leader, 1), 2, "never back to the failed node");
    }

    #[test]
    fn a_set_that_ignores_hints_starts_writes_where_reads_start() {
        let nodes = NodeSet::new(vec!["a:1".into(), "b:2".into()], false, false).unwrap();
        nodes.record_answer(1);
        nodes.record_leader(Some("a:1"));
        assert_eq!(nodes.first(&Route::Leader), 1);
        assert_eq!(nodes.after_failure(&Route::Leader, 1), 0);
    }
}
