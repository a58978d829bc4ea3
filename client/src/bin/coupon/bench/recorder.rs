//! `Recorder`: what one worker saw (latencies, grants, errors by code), merged at the end.

use std::collections::BTreeMap;
use std::time::Duration;

use coupon_client::ClientError;
use hdrhistogram::Histogram;

/// Latencies are recorded in microseconds, from 1 µs to 5 minutes, to 3 significant digits.
const LATENCY_MICROS_MAX: u64 = 300_000_000;
const SIGNIFICANT_DIGITS: u8 = 3;

#[derive(Debug, Clone)]
pub struct Recorder {
    latency_micros: Histogram<u64>,
    pub granted: u64,
    pub errors_by_code: BTreeMap<String, u64>,
}

impl Recorder {
    pub fn new() -> anyhow::Result<Self> {
        let latency_micros = Histogram::new_with_bounds(1, LATENCY_MICROS_MAX, SIGNIFICANT_DIGITS)?;
        Ok(Self { latency_micros, granted: 0, errors_by_code: BTreeMap::new() })
    }

    /// One request: its latency, and a grant or the error it ended with.
    pub fn record<T>(&mut self, latency: Duration, outcome: &Result<T, ClientError>) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency_micros.saturating_record(micros.max(1));
        match outcome {
            Ok(_) => self.granted += 1,
            Err(error) => *self.errors_by_code.entry(error_label(error)).or_default() += 1,
        }
    }

    pub fn merge(&mut self, other: &Recorder) -> anyhow::Result<()> {
        self.latency_micros.add(&other.latency_micros)?;
        self.granted += other.granted;
        for (code, count) in &other.errors_by_code {
            *self.errors_by_code.entry(code.clone()).or_default() += count;
        }
        Ok(())
    }

    pub fn requests(&self) -> u64 {
        self.latency_micros.len()
    }

    /// The latency at `quantile` (0.0 to 1.0), in milliseconds.
    pub fn quantile_ms(&self, quantile: f64) -> f64 {
        micros_to_ms(self.latency_micros.value_at_quantile(quantile))
    }

    pub fn max_ms(&self) -> f64 {
        micros_to_ms(self.latency_micros.max())
    }
}

fn micros_to_ms(micros: u64) -> f64 {
    // u64 → f64 loses precision only above 2^53 µs (285 years).
    #[allow(clippy::cast_precision_loss)]
    let micros = micros as f64;
    micros / 1000.0
}

/// The contract's `code` when the service answered; otherwise what kind of failure it was.
pub fn error_label(error: &ClientError) -> String {
    match error {
        ClientError::Api { problem, .. } => problem.code.as_str().to_owned(),
        ClientError::Transport(failure) => {
            format!("transport_{}", format!("{:?}", failure.kind).to_lowercase())
        }
        ClientError::Decode { status, .. } => format!("undecodable_{status}"),
        ClientError::Encode(_) | ClientError::Request(_) => "client".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use coupon_client::api::{ErrorCode, Problem};
    use coupon_client::{ClientError, TransportError};

    use super::Recorder;

    #[test]
    fn records_merge_and_quantiles() {
        let mut first = Recorder::new().unwrap();
        let mut second = Recorder::new().unwrap();
        for millis in 1..=100 {
            first.record(Duration::from_millis(millis), &Ok::<(), ClientError>(()));
        }
        let rejected = ClientError::Api {
            status: 409,
            problem: Problem::from_code(ErrorCode::UsageLimitReached),
            retry_after: None,
        };
        second.record(Duration::from_millis(500), &Err::<(), _>(rejected));
        let refused = ClientError::from(TransportError::connect("refused"));
        second.record(Duration::from_millis(1), &Err::<(), _>(refused));
        first.merge(&second).unwrap();
        assert_eq!((first.requests(), first.granted), (102, 100));
        assert_eq!(first.errors_by_code["usage_limit_reached"], 1);
        assert_eq!(first.errors_by_code["transport_connect"], 1);
        assert!((first.quantile_ms(0.5) - 50.0).abs() < 0.1, "{}", first.quantile_ms(0.5));
        assert!((first.max_ms() - 500.0).abs() < 0.5);
    }
}
