//! `FaultLog`: what the fault driver did and when (simulated time), for the failure report, and
//! when each fault held, for the checks and measurements that need the cluster quiet.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;

#[derive(Clone)]
pub struct FaultLog {
    start: madsim::time::Instant,
    lines: Arc<Mutex<Vec<String>>>,
    windows: Arc<Mutex<Vec<FaultWindow>>>,
}

/// From the moment a fault began to its heal, on the history's clock.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct FaultWindow {
    pub begun_ns: u64,
    /// `None` while it holds.
    pub healed_ns: Option<u64>,
}

impl FaultLog {
    /// A log whose clock starts at `start` (the history's), so both read on one time line.
    pub fn new(start: madsim::time::Instant) -> Self {
        Self { start, lines: Arc::new(Mutex::new(Vec::new())), windows: Arc::default() }
    }

    /// A fault begins now.
    pub fn fault_begins(&self) {
        let begun_ns = self.now_ns();
        self.windows_lock().push(FaultWindow { begun_ns, healed_ns: None });
    }

    /// The fault that began last is healed now.
    pub fn fault_healed(&self) {
        let now_ns = self.now_ns();
        if let Some(window) = self.windows_lock().last_mut() {
            window.healed_ns.get_or_insert(now_ns);
        }
    }

    pub fn windows(&self) -> Vec<FaultWindow> {
        self.windows_lock().clone()
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    pub fn note(&self, line: String) {
        let at = self.start.elapsed().as_secs_f64();
        tracing::info!(at, "{line}");
        self.lock().push(format!("t={at:.3}s {line}"));
    }

    pub fn lines(&self) -> Vec<String> {
        self.lock().clone()
    }

    pub fn try_lines(&self) -> Option<Vec<String>> {
        self.lines.try_lock().ok().map(|lines| lines.clone())
    }

    fn lock(&self) -> MutexGuard<'_, Vec<String>> {
        // Plain lines, valid whatever a panicking holder left behind.
        self.lines.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn windows_lock(&self) -> MutexGuard<'_, Vec<FaultWindow>> {
        self.windows.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
