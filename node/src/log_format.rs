//! A log line format that starts every line with the node's id. A `node{id}` span does not
//! follow the tasks that axum and openraft spawn, so in the `coupon-node` binary (one node per
//! process) the id is written by the formatter itself.

use std::fmt;

use raft_store::NodeId;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

pub struct WithNodeId<F> {
    node_id: NodeId,
    inner: F,
}

impl<F> WithNodeId<F> {
    pub fn new(node_id: NodeId, inner: F) -> Self {
        Self { node_id, inner }
    }
}

impl<S, N, F> FormatEvent<S, N> for WithNodeId<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        context: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(writer, "node={} ", self.node_id)?;
        self.inner.format_event(context, writer, event)
    }
}
