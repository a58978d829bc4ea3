//! Bounded polling: every wait in the tests ends by itself with a message saying what it waited for.

use std::future::Future;
use std::time::Duration;

const POLL: Duration = Duration::from_millis(50);

/// Polls `probe` until it yields `Some`, for at most `limit`.
pub async fn until<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}
