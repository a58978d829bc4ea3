//! `run_blocking`: storage work that blocks (sled's fsync, encoding or installing a snapshot)
//! runs on tokio's blocking threads, never on the async workers that drive Raft and HTTP.

use crate::error::Result;

/// Runs `work` on a blocking thread; a panic there becomes `StoreError::Task`.
pub async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    // In the simulation, madsim runs the work as a simulated task (its disk never blocks), so the
    // run stays deterministic; it marks the function deprecated to warn off real blocking work.
    #[cfg_attr(madsim, allow(deprecated))]
    let task = tokio::task::spawn_blocking(work);
    task.await?
}
