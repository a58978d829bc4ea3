//! The CLI's subcommands against a real cluster, in text and JSON.

use predicates::str::contains;

use crate::cli_exit_codes::{coupon, json_of};
use crate::support::LocalCluster;

/// Goal: generate, get (by id and by code), validate, redeem (with a key, replayed), history
/// and rollback work end to end. Steps: one coupon by code; use it twice, once retried with the
/// same key; read the history; roll one redemption back.
#[test]
fn a_coupon_from_creation_to_rollback() {
    let cluster = LocalCluster::start(3);
    coupon(&cluster)
        .args(["generate", "--fixed", "5.00", "--currency", "eur", "--expires-in", "1d"])
        .args(["--usage-limit", "3", "--code", "it-cli-1", "--meta", "campaign=it"])
        .assert()
        .success()
        .stdout(contains("IT-CLI-1"))
        .stdout(contains("5.00 EUR"));
    let got = coupon(&cluster).args(["--json", "get", "it-cli-1"]).assert().success();
    let coupon_json = json_of(got.get_output());
    assert_eq!(coupon_json["metadata"]["campaign"], "it");
    let id = coupon_json["id"].as_u64().expect("an id").to_string();

    coupon(&cluster).args(["validate", "IT-CLI-1", "--currency", "EUR"]).assert().code(0);
    let redeem = ["--json", "redeem", "IT-CLI-1", "--user", "u-1", "--idempotency-key", "it-cli"];
    let redeem = [&redeem[..], &["--currency", "EUR"]].concat();
    let redeem = &redeem;
    let first = json_of(coupon(&cluster).args(redeem).assert().success().get_output());
    let again = json_of(coupon(&cluster).args(redeem).assert().success().get_output());
    assert_eq!(first["redemption"]["id"], again["redemption"]["id"], "replayed, not applied twice");
    let in_eur = ["--currency", "EUR"];
    coupon(&cluster)
        .args(["redeem", &id, "--user", "u-2", "--order", "o-2"])
        .args(in_eur)
        .assert()
        .success();

    let history =
        coupon(&cluster).args(["--json", "history", &id, "--limit", "1", "--all"]).assert();
    let history = json_of(history.success().get_output());
    assert_eq!(history["redemptions"].as_array().expect("a list").len(), 2);
    let redemption = first["redemption"]["id"].as_u64().expect("an id").to_string();
    coupon(&cluster)
        .args(["rollback", &redemption])
        .assert()
        .success()
        .stdout(contains("rolled back"));
    coupon(&cluster).args(["rollback", &redemption]).assert().code(2);
    let after = json_of(coupon(&cluster).args(["--json", "get", &id]).assert().get_output());
    assert_eq!(after["remaining"], 2);
}

/// Goal: hold, confirm and release work end to end. Steps: a coupon of 2 uses; hold one by
/// code and one by id; a third hold is refused (exit 2); confirm one (a redemption), confirm it
/// again (the same redemption), release the other; the coupon has 1 redeemed, 0 held, 1 left.
#[test]
fn a_checkout_holds_then_confirms_or_releases() {
    let cluster = LocalCluster::start(3);
    coupon(&cluster)
        .args(["generate", "--percent", "10", "--expires-in", "1d", "--usage-limit", "2"])
        .args(["--code", "it-hold-1"])
        .assert()
        .success();
    let hold = ["--json", "hold", "it-hold-1", "--user", "u-1", "--order-amount", "20.00"];
    let hold = [&hold[..], &["--currency", "EUR"]].concat();
    let first = json_of(coupon(&cluster).args(hold).assert().success().get_output());
    assert_eq!(
        (first["state"].as_str(), first["discount_amount"].as_str()),
        (Some("held"), Some("2.00"))
    );
    let id = first["coupon_id"].as_u64().expect("a coupon id").to_string();
    let second_hold = ["--json", "hold", &id, "--user", "u-2", "--ttl", "600"];
    let second = json_of(coupon(&cluster).args(second_hold).assert().success().get_output());
    coupon(&cluster).args(["hold", &id, "--user", "u-3"]).assert().code(2);

    let first_hold = first["id"].as_u64().expect("a hold id").to_string();
    let confirmed = json_of(
        coupon(&cluster).args(["--json", "confirm", &first_hold]).assert().success().get_output(),
    );
    let again = json_of(
        coupon(&cluster).args(["--json", "confirm", &first_hold]).assert().success().get_output(),
    );
    assert_eq!(confirmed["redemption"]["id"], again["redemption"]["id"], "one redemption");
    let second_hold = second["id"].as_u64().expect("a hold id").to_string();
    coupon(&cluster)
        .args(["release", &second_hold])
        .assert()
        .success()
        .stdout(contains("released"));
    let after = json_of(coupon(&cluster).args(["--json", "get", &id]).assert().get_output());
    assert_eq!(
        (after["times_redeemed"].as_u64(), after["held"].as_u64(), after["remaining"].as_u64()),
        (Some(1), Some(0), Some(1))
    );
}

/// Goal: `list` pages and filters the catalogue and `edit` changes a coupon's terms. Steps: one
/// node; three coupons, two with the prefix LIST-; list by prefix, a page of one with --all;
/// edit one (limit, cap removed, metadata replaced) by code; an edit naming nothing exits 64;
/// an edit below the uses taken exits 2.
#[test]
fn list_and_edit_the_catalogue() {
    let cluster = LocalCluster::start(1);
    for code in ["list-a", "list-b", "other-c"] {
        coupon(&cluster)
            .args(["generate", "--percent", "10", "--currency", "EUR", "--max-discount", "5"])
            .args(["--expires-in", "1d", "--usage-limit", "3", "--code", code])
            .assert()
            .success();
    }
    let listed = coupon(&cluster)
        .args(["--json", "list", "--code-prefix", "list-", "--limit", "1", "--all"])
        .assert()
        .success();
    let listed = json_of(listed.get_output());
    let codes: Vec<_> =
        listed["coupons"].as_array().expect("coupons").iter().map(|c| c["code"].clone()).collect();
    assert_eq!(codes, ["LIST-A", "LIST-B"], "{listed}");
    assert_eq!(listed["next_after"], serde_json::Value::Null);
    coupon(&cluster)
        .args(["list", "--status", "active"])
        .assert()
        .success()
        .stdout(contains("OTHER-C"));
    coupon(&cluster).args(["list", "--status", "gone"]).assert().code(64);

    let edited = coupon(&cluster)
        .args(["--json", "edit", "list-b", "--usage-limit", "7", "--no-max-discount"])
        .args(["--meta", "campaign=edited"])
        .assert()
        .success();
    let edited = json_of(edited.get_output());
    assert_eq!(edited["usage_limit"], 7);
    assert_eq!(edited["max_discount_amount"], serde_json::Value::Null);
    assert_eq!(edited["metadata"]["campaign"], "edited");
    coupon(&cluster).args(["edit", "list-b"]).assert().code(64);
    for user in ["u-1", "u-2"] {
        let redeem = ["redeem", "list-a", "--user", user, "--currency", "EUR"];
        coupon(&cluster).args(redeem).assert().success();
    }
    coupon(&cluster).args(["edit", "list-a", "--usage-limit", "1"]).assert().code(2);
}

/// Goal: bulk generation creates every coupon with the prefix. Steps: --count 25 with a code
/// prefix and --json; 25 lines, 25 distinct codes, each with the prefix.
#[test]
fn bulk_generate_with_a_prefix() {
    let cluster = LocalCluster::start(3);
    let output = coupon(&cluster)
        .args(["--json", "generate", "--percent", "5", "--expires-in", "1d", "--count", "25"])
        .args(["--code-prefix", "bulk-", "--concurrency", "8"])
        .assert()
        .success()
        .get_output()
        .clone();
    let codes: std::collections::BTreeSet<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let coupon: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            coupon["code"].as_str().expect("a code").to_owned()
        })
        .collect();
    assert_eq!(codes.len(), 25);
    assert!(codes.iter().all(|code| code.starts_with("BULK-") && code.len() == 13), "{codes:?}");
}

/// Goal: cluster status shows every node, a dead one as unreachable, and fails only when no
/// node answers. Steps: 3 nodes; status lists one leader; kill a follower; status still exits
/// 0 and marks it; kill the rest; status exits 1.
#[test]
fn cluster_status_reports_each_node() {
    let mut cluster = LocalCluster::start(3);
    let status = json_of(
        coupon(&cluster).args(["--json", "cluster", "status"]).assert().success().get_output(),
    );
    let nodes = status["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 3);
    let leaders = nodes.iter().filter(|node| node["status"]["role"] == "leader").count();
    assert_eq!(leaders, 1);

    let follower = (cluster.leader() + 1) % 3;
    cluster.kill(follower);
    coupon(&cluster).args(["cluster", "status"]).assert().success().stdout(contains("unreachable"));
    for index in 0..3 {
        cluster.kill(index);
    }
    coupon(&cluster).args(["--attempts", "1", "cluster", "status"]).assert().code(1);
}
