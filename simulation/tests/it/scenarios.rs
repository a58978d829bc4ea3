//! One test per scenario; each seed draws its own cluster, faults and workload, and every run
//! is checked for every invariant (see `coupon_simulation::invariants`).

use coupon_simulation::{run_scenario, Scenario};

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        // Quiet unless RUST_LOG asks: a passing seed prints one line.
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
        )
        .with_test_writer()
        .try_init();
}

#[madsim::test]
async fn partitions() {
    // Goal: leader isolation, minority splits, one-way clogs and long pauses never break a
    // promise. Steps: run the partitions scenario on this seed; its checks panic on a violation.
    init_tracing();
    run_scenario(Scenario::Partitions).await;
}

#[madsim::test]
async fn crashes() {
    // Goal: power loss of one node, a majority or all nodes loses nothing acknowledged. Steps:
    // run the crashes scenario on this seed.
    init_tracing();
    run_scenario(Scenario::Crashes).await;
}

#[madsim::test]
async fn snapshot_catch_up() {
    // Goal: a follower that fell behind the purged log catches up from a snapshot with the
    // idempotency records intact. Steps: run the snapshot scenario on this seed.
    init_tracing();
    run_scenario(Scenario::SnapshotCatchUp).await;
}

#[madsim::test]
async fn membership() {
    // Goal: adding and removing voters through the API during faults keeps every promise.
    // Steps: run the membership scenario on this seed.
    init_tracing();
    run_scenario(Scenario::Membership).await;
}

#[madsim::test]
async fn lossy_network() {
    // Goal: slow, lossy links and short client deadlines (many unknown outcomes, retries with
    // one key through other nodes) apply every write at most once. Steps: run the lossy scenario.
    init_tracing();
    run_scenario(Scenario::LossyNetwork).await;
}

#[madsim::test]
async fn truncation() {
    // Goal: with 5 voters, entries truncated on an old leader and committed later by a follower
    // that kept them are applied once, the node's own resends included. Steps: run the
    // truncation scenario on this seed.
    init_tracing();
    run_scenario(Scenario::Truncation).await;
}

#[madsim::test]
async fn clock_skew() {
    // Goal: a node whose clock leaps a day ahead or an hour behind, leading or winning while it
    // is wrong, moves log time by at most the bound and expires nothing early. Steps: run the
    // clock-skew scenario on this seed.
    init_tracing();
    run_scenario(Scenario::ClockSkew).await;
}

#[madsim::test]
async fn mixed() {
    // Goal: overlapping faults (a crash during a partition, a pause on a lossy network) keep
    // every promise. Steps: run the mixed scenario on this seed.
    init_tracing();
    run_scenario(Scenario::Mixed).await;
}

#[madsim::test]
async fn regions_3() {
    // Goal: three voters in three regions, over wide-area delays, keep every promise while a
    // whole region is cut off or powered off, and the leader goes back to the preferred region
    // after each heal. Steps: run the three-region scenario on this seed.
    init_tracing();
    run_scenario(Scenario::RegionsThree).await;
}

#[madsim::test]
async fn regions_5() {
    // Goal: as regions_3, with five voters (two in eu, two in us, one in ap). Steps: run the
    // five-voter region scenario on this seed.
    init_tracing();
    run_scenario(Scenario::RegionsFive).await;
}

#[madsim::test]
async fn preferred_region_loss() {
    // Goal: when the preferred leader region is lost, another region leads; when it is back,
    // the lead returns to it within the bound. Steps: run the preferred-region-loss scenario.
    init_tracing();
    run_scenario(Scenario::PreferredRegionLoss).await;
}
