//! The CLI's exit codes: 0 done, 1 failed, 2 rejected, 64 usage error.

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::str::contains;
use serde_json::Value;

use crate::support::LocalCluster;

/// The `coupon` binary pointed at `cluster` through `COUPON_NODES`.
pub fn coupon(cluster: &LocalCluster) -> assert_cmd::Command {
    let mut command = cargo_bin_cmd!("coupon");
    command.env("COUPON_NODES", cluster.nodes_arg()).timeout(std::time::Duration::from_secs(60));
    command
}

/// Parses stdout as one JSON object.
pub fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

/// Goal: a grant exits 0, a refusal 2 (with the problem on stdout under --json), an unknown
/// coupon 2, a not-valid validate 2. Steps: a one-use coupon; redeem it; redeem again; get an
/// unknown id; validate the used-up coupon.
#[test]
fn granted_is_0_and_refused_is_2() {
    let cluster = LocalCluster::start(3);
    let created = coupon(&cluster)
        .args(["--json", "generate", "--percent", "10", "--expires-in", "1d", "--usage-limit", "1"])
        .assert()
        .success();
    let id = json_of(created.get_output())["id"].as_u64().expect("an id").to_string();

    coupon(&cluster).args(["redeem", &id, "--user", "u-1"]).assert().code(0);
    let refused =
        coupon(&cluster).args(["--json", "redeem", &id, "--user", "u-2"]).assert().code(2);
    let problem = json_of(refused.get_output());
    assert_eq!(problem["code"], "usage_limit_reached");
    assert_eq!(problem["status"], 409);

    coupon(&cluster).args(["get", "999999"]).assert().code(2).stderr(contains("coupon_not_found"));
    coupon(&cluster)
        .args(["validate", &id])
        .assert()
        .code(2)
        .stdout(contains("usage_limit_reached"));
}

/// Goal: no reachable node exits 1, after bounded retries. Steps: point the CLI at a closed
/// port with two attempts. The port is a privileged one on an address the tests' nodes never
/// bind (they use 127.0.0.1), so no node started meanwhile by a test running beside this one can
/// take it, as a port freed for the purpose could be.
#[test]
fn unreachable_is_1() {
    cargo_bin_cmd!("coupon")
        .args(["--nodes", "127.0.0.2:1", "--attempts", "2", "get", "1"])
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(1)
        .stderr(contains("failed"));
}

/// Goal: command-line mistakes exit 64 and help exits 0. Steps: a redeem without --user, a
/// generate with two discounts, an unprintable idempotency key, and --help.
#[test]
fn usage_errors_are_64() {
    let mut command = cargo_bin_cmd!("coupon");
    command.args(["--nodes", "127.0.0.1:9", "redeem", "1"]).assert().code(64);
    let two_discounts = ["generate", "--percent", "5", "--fixed", "1", "--currency", "EUR"];
    cargo_bin_cmd!("coupon").args(two_discounts).args(["--expires-in", "1d"]).assert().code(64);
    cargo_bin_cmd!("coupon")
        .args(["--nodes", "127.0.0.1:9", "redeem", "1", "--user", "u", "--idempotency-key", " x"])
        .assert()
        .code(64);
    cargo_bin_cmd!("coupon").arg("--help").assert().code(0).stdout(contains("Exit codes"));
}
