//! Failure reports: the seed, how to rerun it, and the whole run (plan, fault log, history,
//! final state, observations) written to `target/sim-failures/<scenario>-seed-<seed>.json`.
//!
//! A panic anywhere in the run (a node's debug assertion, a harness bug) writes what has been
//! recorded so far too: a per-thread flight recorder, read by a panic hook. madsim runs each
//! seed on its own thread, so the recorder of the failing run is the one on the panicking thread.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Once;

use serde::Serialize;
use serde_json::{json, Value};

use crate::faults::FaultLog;
use crate::invariants::Violation;
use crate::workload::History;

/// Where failure reports go: the workspace's `target/sim-failures`.
pub fn failure_dir() -> PathBuf {
    let crate_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir.parent().unwrap_or(crate_dir).join("target").join("sim-failures")
}

/// The deliberately broken feature this build has, if any.
pub fn broken_feature() -> Option<&'static str> {
    [
        (cfg!(feature = "broken-no-idempotency"), "broken-no-idempotency"),
        (cfg!(feature = "broken-ack-before-flush"), "broken-ack-before-flush"),
        (
            cfg!(feature = "broken-snapshot-without-idempotency"),
            "broken-snapshot-without-idempotency",
        ),
        (cfg!(feature = "broken-stale-follower-reads"), "broken-stale-follower-reads"),
        (cfg!(feature = "broken-blind-resend"), "broken-blind-resend"),
        (cfg!(feature = "broken-confirm-after-expiry"), "broken-confirm-after-expiry"),
        (cfg!(feature = "broken-no-leader-preference"), "broken-no-leader-preference"),
        (cfg!(feature = "broken-unheld-first-stamp"), "broken-unheld-first-stamp"),
        (cfg!(feature = "broken-ungated-elections"), "broken-ungated-elections"),
    ]
    .into_iter()
    .find_map(|(on, name)| on.then_some(name))
}

pub fn rerun_command(scenario: &str, seed: u64) -> String {
    let broken = broken_feature().map(|name| format!(" --broken {name}")).unwrap_or_default();
    format!("MADSIM_TEST_SEED={seed} scripts/sim.sh --scenario {scenario}{broken} 1")
}

/// What the panic hook can write if the run dies before its checks.
struct FlightRecorder {
    scenario: &'static str,
    seed: u64,
    plan: Value,
    history: History,
    log: FaultLog,
}

thread_local! {
    static RECORDER: RefCell<Option<FlightRecorder>> = const { RefCell::new(None) };
}

/// Arms the flight recorder for the run on this thread.
pub fn arm(
    scenario: &'static str,
    seed: u64,
    plan: &impl Serialize,
    history: &History,
    log: &FaultLog,
) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = RECORDER.try_with(|recorder| {
                if let Ok(recorder) = recorder.try_borrow() {
                    if let Some(recorder) = recorder.as_ref() {
                        let violation = format!("panic: {info}");
                        write_crash_report(recorder, &violation);
                    }
                }
            });
            previous(info);
        }));
    });
    let plan = serde_json::to_value(plan).unwrap_or(Value::Null);
    let recorder =
        FlightRecorder { scenario, seed, plan, history: history.clone(), log: log.clone() };
    RECORDER.with(|slot| *slot.borrow_mut() = Some(recorder));
}

/// Disarms the recorder: the run is over and reported normally.
pub fn disarm() {
    RECORDER.with(|slot| *slot.borrow_mut() = None);
}

fn write_crash_report(recorder: &FlightRecorder, violation: &str) {
    let report = json!({
        "scenario": recorder.scenario,
        "seed": recorder.seed,
        "rerun": rerun_command(recorder.scenario, recorder.seed),
        "violations": [violation],
        "plan": recorder.plan,
        "fault_log": recorder.log.try_lines(),
        "history": recorder.history.try_ops(),
    });
    if let Some(path) = write(recorder.scenario, recorder.seed, &report) {
        eprintln!(
            "simulation {} seed {} panicked; history: {}; rerun: {}",
            recorder.scenario,
            recorder.seed,
            path.display(),
            rerun_command(recorder.scenario, recorder.seed)
        );
    }
}

fn write(scenario: &str, seed: u64, report: &Value) -> Option<PathBuf> {
    let dir = failure_dir();
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join(format!("{scenario}-seed-{seed}.json"));
    let text = serde_json::to_string_pretty(report).ok()?;
    std::fs::write(&path, text).ok()?;
    Some(path)
}

/// Writes the report and panics with the seed, the violations and the rerun command.
pub fn fail(scenario: &'static str, seed: u64, violations: &[Violation], report: Value) -> ! {
    disarm();
    let path = write(scenario, seed, &report)
        .map_or_else(|| "(could not be written)".to_owned(), |path| path.display().to_string());
    let mut message = format!("simulation scenario `{scenario}` failed on seed {seed}:\n");
    for violation in violations.iter().take(12) {
        message.push_str(&format!("  [{}] {}\n", violation.invariant, violation.detail));
    }
    if violations.len() > 12 {
        message.push_str(&format!("  ... and {} more\n", violations.len() - 12));
    }
    message.push_str(&format!("history: {path}\nrerun: {}", rerun_command(scenario, seed)));
    panic!("{message}");
}
