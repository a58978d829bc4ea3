//! What a benchmark run found, as a table for people and as JSON for tools.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use super::recorder::Recorder;

/// One workload run with one client setting.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// `spread`, `validate` or `hot`.
    pub workload: &'static str,
    /// Whether clients sent writes to the leader the nodes named (`X-Coupon-Leader`), or
    /// spread them over every node (followers forward).
    pub leader_hint: bool,
    pub concurrency: usize,
    pub nodes: usize,
    /// The measured window.
    pub seconds: f64,
    /// Requests that completed in the window, granted or not.
    pub requests: u64,
    /// Successful redeems in the window (`validate`: validations answered).
    pub redeems: u64,
    pub redeems_per_s: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Requests that did not succeed, except the `usage_limit_reached` that end `hot`.
    pub errors: u64,
    /// Every non-success by the contract's `code` (or `transport_*` when no answer came).
    pub errors_by_code: BTreeMap<String, u64>,
    /// `spread`: pre-creating the coupons (not part of the measurement).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup: Option<Setup>,
    /// `hot`: the race for one coupon.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub hot: Option<HotFacts>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Setup {
    pub coupons: usize,
    pub seconds: f64,
    pub coupons_per_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct HotFacts {
    pub usage_limit: u64,
    /// Grants the clients saw.
    pub granted: u64,
    /// Time from the start to the last grant; `null` if the limit was never reached.
    pub seconds_to_exhaust: Option<f64>,
    /// What the service says afterwards: `times_redeemed` and the history's length.
    pub times_redeemed: u64,
    pub history_len: u64,
    /// All three equal the limit.
    pub exact: bool,
}

impl RunReport {
    /// The figures of `recorder` over a window of `window`.
    pub fn new(
        workload: &'static str,
        leader_hint: bool,
        concurrency: usize,
        nodes: usize,
        window: Duration,
        recorder: &Recorder,
    ) -> Self {
        let seconds = window.as_secs_f64();
        let expected = if workload == "hot" { "usage_limit_reached" } else { "" };
        let errors = recorder
            .errors_by_code
            .iter()
            .filter(|(code, _)| code.as_str() != expected)
            .map(|(_, count)| count)
            .sum();
        #[allow(clippy::cast_precision_loss)]
        let per_s = recorder.granted as f64 / seconds.max(f64::EPSILON);
        Self {
            workload,
            leader_hint,
            concurrency,
            nodes,
            seconds: round(seconds, 3),
            requests: recorder.requests(),
            redeems: recorder.granted,
            redeems_per_s: round(per_s, 1),
            p50_ms: round(recorder.quantile_ms(0.50), 3),
            p90_ms: round(recorder.quantile_ms(0.90), 3),
            p99_ms: round(recorder.quantile_ms(0.99), 3),
            max_ms: round(recorder.max_ms(), 3),
            errors,
            errors_by_code: recorder.errors_by_code.clone(),
            setup: None,
            hot: None,
        }
    }

    /// The name of this run in reports: the workload; when the same workload also ran with the
    /// leader hint, that run is `<workload>_via_leader`. So `spread` and `hot` are always there,
    /// whichever hint setting was asked for alone.
    pub fn name(&self, both_hints: bool) -> String {
        let suffix = if both_hints && self.leader_hint { "_via_leader" } else { "" };
        format!("{}{suffix}", self.workload)
    }

    /// The headline figures `scripts/bench.sh --json` promises, in its order.
    fn summary(&self) -> Summary {
        match &self.hot {
            None => Summary::Spread {
                redeems_per_s: self.redeems_per_s,
                p50_ms: self.p50_ms,
                p99_ms: self.p99_ms,
                errors: self.errors,
            },
            Some(hot) => Summary::Hot {
                granted: hot.granted,
                seconds_to_exhaust: hot.seconds_to_exhaust,
                p99_ms: self.p99_ms,
            },
        }
    }
}

/// A run's headline figures. Structs keep their field order in JSON, unlike a `json!` map.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Summary {
    Spread { redeems_per_s: f64, p50_ms: f64, p99_ms: f64, errors: u64 },
    Hot { granted: u64, seconds_to_exhaust: Option<f64>, p99_ms: f64 },
}

pub fn round(value: f64, digits: i32) -> f64 {
    let scale = 10_f64.powi(digits);
    (value * scale).round() / scale
}

/// `{"<run name>": report, ...}` in run order, or with `summary` only each run's headline
/// figures.
pub struct JsonReport<'a> {
    runs: &'a [RunReport],
    summary: bool,
}

pub fn json(runs: &[RunReport], summary: bool) -> JsonReport<'_> {
    JsonReport { runs, summary }
}

impl Serialize for JsonReport<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let both = both_hints(self.runs);
        let mut map = serializer.serialize_map(Some(self.runs.len()))?;
        for run in self.runs {
            if self.summary {
                map.serialize_entry(&run.name(both), &run.summary())?;
            } else {
                map.serialize_entry(&run.name(both), run)?;
            }
        }
        map.end()
    }
}

/// Whether some run used the leader hint and another did not.
fn both_hints(runs: &[RunReport]) -> bool {
    runs.iter().any(|run| run.leader_hint) && runs.iter().any(|run| !run.leader_hint)
}

/// The runs as a table, then the setup, hot-coupon and error details.
pub fn table(runs: &[RunReport]) -> String {
    let both = both_hints(runs);
    let mut text = format!(
        "{:<18} {:>5} {:>8} {:>8} {:>10} {:>8} {:>8} {:>8} {:>8} {:>7}\n",
        "RUN",
        "CONC",
        "SECONDS",
        "REDEEMS",
        "REDEEMS/S",
        "P50_MS",
        "P90_MS",
        "P99_MS",
        "MAX_MS",
        "ERRORS"
    );
    for run in runs {
        let _ = writeln!(
            text,
            "{:<18} {:>5} {:>8.2} {:>8} {:>10.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7}",
            run.name(both),
            run.concurrency,
            run.seconds,
            run.redeems,
            run.redeems_per_s,
            run.p50_ms,
            run.p90_ms,
            run.p99_ms,
            run.max_ms,
            run.errors
        );
    }
    // The runs of one workload share its setup; say it once.
    if let Some(setup) = runs.iter().find_map(|run| run.setup.as_ref()) {
        let _ = writeln!(
            text,
            "spread: pre-created {} coupons in {:.2} s ({:.0}/s), not measured",
            setup.coupons, setup.seconds, setup.coupons_per_s
        );
    }
    for run in runs {
        details(&mut text, run, &run.name(both));
    }
    if let Some(run) = runs.first().filter(|_| !both) {
        let how = if run.leader_hint { "to the leader (X-Coupon-Leader)" } else { "to every node" };
        let _ = writeln!(text, "clients sent their writes {how}");
    }
    text.trim_end().to_owned()
}

fn details(text: &mut String, run: &RunReport, name: &str) {
    if let Some(hot) = &run.hot {
        let time = hot.seconds_to_exhaust.map_or("never".to_owned(), |s| format!("in {s:.3} s"));
        let verdict = if hot.exact { "exact" } else { "NOT EXACT" };
        let _ = writeln!(
            text,
            "{name}: granted {} of {} {time}; the coupon says {} redeemed, its history holds {}: {verdict}",
            hot.granted, hot.usage_limit, hot.times_redeemed, hot.history_len
        );
    }
    if !run.errors_by_code.is_empty() {
        let codes: Vec<String> =
            run.errors_by_code.iter().map(|(code, count)| format!("{code}={count}")).collect();
        let _ = writeln!(text, "{name}: not granted: {}", codes.join(", "));
    }
}
