//! `FaultLog`: what the fault driver did and when (simulated time), for the failure report.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

#[derive(Clone)]
pub struct FaultLog {
    start: madsim::time::Instant,
    lines: Arc<Mutex<Vec<String>>>,
}

impl FaultLog {
    /// A log whose clock starts at `start` (the history's), so both read on one time line.
    pub fn new(start: madsim::time::Instant) -> Self {
        Self { start, lines: Arc::new(Mutex::new(Vec::new())) }
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
}
