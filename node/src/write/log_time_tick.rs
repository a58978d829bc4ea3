//! `tick_log_time`: while a leader writes nothing else, it appends an empty entry every
//! `LOG_TIME_TICK`, so that log time keeps up with real time. Apply moves log time forward by at
//! most `LOG_TIME_STEP_MAX` per entry (a leap of a leader's clock is absorbed so); without ticks,
//! the first write after a long quiet spell would be judged at a log time up to the length of the
//! quiet spell behind, and a coupon could be redeemed after it expired.

use std::time::Duration;

use raft_store::limits::LOG_TIME_STEP_MAX;

use super::Writer;
use crate::shutdown::Shutdown;

/// How often a quiet leader stamps an empty entry: well inside the step apply allows.
pub const LOG_TIME_TICK: Duration = Duration::from_secs(15);
const _: () = assert!(LOG_TIME_TICK.as_secs() * 2 <= LOG_TIME_STEP_MAX.as_secs());

/// Ticks from whichever node leads, until shutdown. An entry of other writes in between does the
/// same job; one empty entry every 15 s is the whole cost of a quiet cluster.
pub async fn tick_log_time(writer: Writer, shutdown: Shutdown) {
    let stop = shutdown.requested();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(LOG_TIME_TICK) => {}
        }
        if writer.leads() {
            writer.hold_clock_to_quorum(writer.term()).await;
            if let Err(error) = writer.write_as_leader(Vec::new()).await {
                tracing::debug!(%error, "the log time tick was not written");
            }
        }
    }
}
