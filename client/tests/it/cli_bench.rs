//! `coupon bench` end to end on a small scale. Figures are not asserted (they depend on the
//! machine); the hot workload's exactness is.

use crate::cli_exit_codes::{coupon, json_of};
use crate::support::LocalCluster;

/// Goal: both workloads run, report in the documented JSON shape, and hot grants exactly its
/// limit. Steps: `bench all` with 20 coupons, a 1 s window and a hot limit of 40, both leader
/// hint settings; check the keys, zero spread errors and hot's exactness.
#[test]
fn bench_reports_both_workloads_and_hot_is_exact() {
    let cluster = LocalCluster::start(3);
    let output = coupon(&cluster)
        .args(["--json", "bench", "all", "--coupons", "20", "--duration", "1s", "--warmup", "0s"])
        .args(["--concurrency", "8", "--hot-limit", "40", "--leader-hint", "both"])
        .assert()
        .success();
    let report = json_of(output.get_output());
    for run in ["spread", "spread_via_leader"] {
        assert!(report[run]["redeems"].as_u64().expect("redeems") > 0, "{report}");
        assert_eq!(report[run]["errors"], 0, "{report}");
        assert!(report[run]["p99_ms"].is_number());
    }
    for run in ["hot", "hot_via_leader"] {
        assert_eq!(report[run]["granted"], 40, "{report}");
        assert_eq!(report[run]["exact"], true, "{report}");
        assert!(report[run]["seconds_to_exhaust"].is_number());
    }

    let summary = coupon(&cluster)
        .args(["--json", "bench", "hot", "--hot-limit", "10", "--concurrency", "4", "--summary"])
        .assert()
        .success();
    let summary = json_of(summary.get_output());
    let keys: Vec<&String> = summary["hot"].as_object().expect("hot").keys().collect();
    assert_eq!(keys, ["granted", "p99_ms", "seconds_to_exhaust"]);
}
