//! `WallClock`: the node's one reading of the time of day: the leader's stamps, and the checks of
//! a request against the present (a create's expiry, validate's now, a listing's statuses).
//! Production reads the system clock. Under the simulation every node shares madsim's one clock,
//! so the node's own reading carries a skew the harness sets, to leap a node's clock ahead and
//! back as a misconfigured host would.

use chrono::{DateTime, Utc};

#[derive(Debug, Default)]
pub struct WallClock {
    /// How far this node's clock reads ahead of the simulated time (negative: behind), in ms.
    #[cfg(madsim)]
    skew_ms: std::sync::atomic::AtomicI64,
}

impl WallClock {
    pub fn now(&self) -> DateTime<Utc> {
        #[cfg(madsim)]
        {
            let skew = self.skew_ms.load(std::sync::atomic::Ordering::Relaxed);
            Utc::now() + chrono::TimeDelta::milliseconds(skew)
        }
        #[cfg(not(madsim))]
        Utc::now()
    }

    /// Sets this node's clock `skew` ahead of the simulated time (a zero skew puts it right).
    #[cfg(madsim)]
    pub fn set_skew(&self, skew: chrono::TimeDelta) {
        let skew = skew.num_milliseconds();
        self.skew_ms.store(skew, std::sync::atomic::Ordering::Relaxed);
    }
}
