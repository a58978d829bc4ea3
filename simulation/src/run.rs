//! One seeded run of a scenario: boot the cluster, create the race coupons, let the clients race
//! while the fault driver injects and heals the plan's faults, measure liveness after the last
//! heal, let the replicas settle, read the final state, and check every invariant.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use coupon_client::CouponClient;
use madsim::runtime::Handle;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::faults::{FaultDriver, FaultLog, FaultPlan, FaultWindow, MembershipResult};
use crate::final_state::FinalState;
use crate::harness::address::{api_addr, client_ip};
use crate::harness::Cluster;
use crate::invariants::{check_all, quiet_stretches, Evidence};
use crate::liveness::{redeem_after_heal, Liveness};
use crate::net::{wan, SimExchange};
use crate::region::{Region, RegionLayout};
use crate::region_latency::RegionLatency;
use crate::report;
use crate::scenario::Scenario;
use crate::workload::setup::create_until_acknowledged;
use crate::workload::{Checkout, CouponPool, History, Racer, WorkloadSpec};

/// The history's client number of the harness's own client (setup, liveness, membership).
const ADMIN: usize = 0;
/// Uses of the liveness coupon: never the limit that stops a liveness redeem.
const LIVENESS_LIMIT: u32 = 1_000_000;
/// How long clients keep going after the last heal, so healed-cluster traffic is checked too.
const AFTER_HEAL: Duration = Duration::from_secs(1);
const SETTLE_PATIENCE: Duration = Duration::from_secs(30);

struct Run {
    plan: FaultPlan,
    workload: WorkloadSpec,
    cluster: Arc<Cluster>,
    history: History,
    log: FaultLog,
    rng: StdRng,
}

/// What a run leaves for the invariants besides the history and the observer.
struct Outcome {
    pool: Vec<crate::workload::PoolCoupon>,
    membership: Vec<MembershipResult>,
    liveness: Liveness,
    final_state: FinalState,
}

/// Runs `scenario` on the current madsim seed and panics with a report if a check fails.
pub async fn run_scenario(scenario: Scenario) {
    let handle = Handle::current();
    let seed = handle.seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let plan = scenario.plan(&mut rng);
    let workload = scenario.workload(&mut rng);
    let setup = json!({"plan": plan, "workload": workload});
    println!("[sim] scenario {} seed {seed}: {setup}", scenario.name());
    let _wan = plan.regions.as_ref().map(|layout| wan::install(layout.delays));
    let cluster = Cluster::boot(plan.voters, plan.spares, plan.timing, plan.regions.as_ref());
    let history = History::new();
    let log = FaultLog::new(history.start());
    report::arm(scenario.name(), seed, &setup, &history, &log);
    let control_ip = IpAddr::V4(Ipv4Addr::new(10, 0, 2, 1));
    let control = handle.create_node().name("control").ip(control_ip).build();
    if let Some(layout) = &plan.regions {
        wan::place(control.id(), control_ip, layout.preferred);
    }
    let regions = plan.regions.clone();
    let run = Run { plan, workload, cluster: cluster.clone(), history: history.clone(), log, rng };
    let log = run.log.clone();
    let outcome = match control.spawn(run.execute()).await {
        Ok(outcome) => outcome,
        Err(error) => panic!("the control task failed: {error}"),
    };
    let record = Record {
        scenario,
        seed,
        setup,
        log: log.lines(),
        fault_windows: log.windows(),
        regions,
        ops: history.ops(),
        observations: cluster.observer().snapshot(),
        outcome,
    };
    record.conclude();
}

/// Everything one run produced, judged and reported together.
struct Record {
    scenario: Scenario,
    seed: u64,
    setup: serde_json::Value,
    log: Vec<String>,
    fault_windows: Vec<FaultWindow>,
    regions: Option<RegionLayout>,
    ops: Vec<crate::workload::Op>,
    observations: crate::harness::Observations,
    outcome: Outcome,
}

impl Record {
    fn conclude(self) {
        let evidence = Evidence {
            ops: &self.ops,
            pool: &self.outcome.pool,
            final_state: &self.outcome.final_state,
            observations: &self.observations,
            liveness: &self.outcome.liveness,
            membership: &self.outcome.membership,
            fault_windows: &self.fault_windows,
            regions: self.regions.as_ref(),
        };
        let violations = check_all(&evidence);
        let (name, seed) = (self.scenario.name(), self.seed);
        let fingerprint = self.fingerprint();
        if !violations.is_empty() {
            let report = json!({
                "scenario": name, "seed": seed, "broken": report::broken_feature(),
                "rerun": report::rerun_command(name, seed), "fingerprint": fingerprint,
                "violations": violations, "setup": self.setup, "fault_log": self.log,
                "membership": self.outcome.membership, "liveness": self.outcome.liveness,
                "pool": self.outcome.pool, "observations": self.observations,
                "final_state": self.outcome.final_state, "history": self.ops,
            });
            report::fail(name, seed, &violations, report);
        }
        report::disarm();
        let unknown = self.ops.iter().filter(|op| op.is_unknown()).count();
        let (ops, redemptions) = (self.ops.len(), self.outcome.final_state.redemptions.len());
        println!(
            "[sim] scenario {name} seed {seed} passed: {ops} operations ({unknown} unknown), \
             {redemptions} redemptions"
        );
        for line in &self.log {
            println!("[sim]   {line}");
        }
        // For sim.sh's reports: how far log time ever ran ahead of the true time of day, and
        // from each election (and from the first commit of its term) to its first write.
        let log_times = &self.observations.log_times;
        println!(
            "[sim] log_time_lead {name} {seed} {} ms after index {}",
            log_times.lead_max_ms, log_times.lead_max_index
        );
        let elections = &self.observations.elections;
        let latencies = elections.latencies_ms();
        let listed = |pick: fn(&(f64, f64)) -> f64| -> String {
            latencies.iter().map(|pair| format!("{:.1}", pick(pair))).collect::<Vec<_>>().join(" ")
        };
        let without_write = elections.without_write();
        println!(
            "[sim] failover {name} {seed} without_write={without_write} ms: {}",
            listed(|p| p.0)
        );
        println!("[sim] quorum_to_write {name} {seed} ms: {}", listed(|p| p.1));
        if let Some(layout) = &self.regions {
            RegionLatency::measure(layout, &evidence).print(name, seed);
            // How long after the start and each heal the leader settled in the preferred region.
            let settled: Vec<String> = quiet_stretches(&evidence, layout)
                .iter()
                .map(|stretch| match stretch.settled_after_ns() {
                    Some(after) => format!("{:.1}", after as f64 / 1e6),
                    None => {
                        format!("never/{:.1}", (stretch.until_ns - stretch.from_ns) as f64 / 1e6)
                    }
                })
                .collect();
            println!("[sim] preferred_leader {name} {seed} ms: {}", settled.join(" "));
        }
        println!("[sim] fingerprint {name} {seed} {fingerprint}");
    }

    /// A hash of everything observable about the run: the same seed must give the same one.
    fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        let parts = [
            serde_json::to_vec(&self.ops),
            serde_json::to_vec(&self.log),
            serde_json::to_vec(&self.outcome.final_state),
            serde_json::to_vec(&self.observations),
        ];
        for part in parts {
            hasher.update(part.unwrap_or_default());
        }
        hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
    }
}

impl Run {
    async fn execute(mut self) -> Outcome {
        self.cluster.wait_for_leader(Duration::from_secs(20)).await;
        let admin_seed = self.rng.gen();
        let admin = self.client(admin_seed, self.plan.regions.as_ref().map(|l| l.preferred));
        let pool = CouponPool::default();
        for index in 0..self.workload.race_coupons {
            let (low, high) = self.workload.usage_limit;
            let limit = self.rng.gen_range(low..=high);
            let tag = format!("race-{index}");
            // The first race coupon holds the shared users to a per-user limit too.
            let per_user = (index == 0).then_some(self.workload.per_user_limit);
            let (history, limits) = (&self.history, (limit, per_user));
            if let Some(coupon) =
                create_until_acknowledged(&admin, history, ADMIN, &tag, limits, 5).await
            {
                pool.add(coupon);
            }
        }
        let checkout =
            Checkout::prepare(&admin, &self.history, ADMIN, &self.workload.checkout).await;
        let limits = (LIVENESS_LIMIT, None);
        let live = create_until_acknowledged(&admin, &self.history, ADMIN, "live", limits, 5).await;
        let stop = Arc::new(AtomicBool::new(false));
        let racers = self.spawn_racers((&pool, &checkout), &stop);
        let driver = FaultDriver {
            cluster: self.cluster.clone(),
            admin: admin.clone(),
            log: self.log.clone(),
            rng: StdRng::seed_from_u64(self.rng.gen()),
        };
        let membership = driver.run(&self.plan).await;
        // The probe starts the moment the last fault heals.
        let (probe_client, history) = (admin.clone(), self.history.clone());
        let probe = madsim::task::spawn(async move {
            redeem_after_heal(&probe_client, live.map(|coupon| coupon.id), &history).await
        });
        madsim::time::sleep(AFTER_HEAL).await;
        stop.store(true, Ordering::Relaxed);
        for racer in racers {
            let _ = racer.await;
        }
        let liveness = match probe.await {
            Ok(liveness) => liveness,
            Err(error) => panic!("the liveness probe failed: {error}"),
        };
        let final_state =
            FinalState::settle_and_read(&self.cluster, SETTLE_PATIENCE, self.history.now_ns())
                .await;
        Outcome { pool: pool.all(), membership, liveness, final_state }
    }

    /// A client of the cluster; in a region run, of `region`: it tries its own region's nodes
    /// first and sends writes there too (they forward to the leader), not to the leader.
    fn client(&self, seed: u64, region: Option<Region>) -> CouponClient<SimExchange> {
        let ids = match (&self.plan.regions, region) {
            (Some(layout), Some(region)) => layout.nodes_for_client(region),
            _ => self.cluster.ids(),
        };
        let nodes = ids.into_iter().map(|id| api_addr(id).to_string()).collect();
        let mut config = self.workload.client_config(seed);
        config.follow_leader_hint = region.is_none();
        match CouponClient::with_exchange(nodes, config, SimExchange) {
            Ok(client) => client,
            Err(error) => panic!("the simulated node list is always valid: {error}"),
        }
    }

    fn spawn_racers(
        &mut self,
        (pool, checkout): (&CouponPool, &Checkout),
        stop: &Arc<AtomicBool>,
    ) -> Vec<madsim::task::JoinHandle<()>> {
        let handle = Handle::current();
        (0..self.workload.clients)
            .map(|index| {
                let client_seed = self.rng.gen();
                let region = self.plan.regions.as_ref().map(|layout| layout.client(index));
                let client = self.client(client_seed, region);
                let rng = StdRng::seed_from_u64(self.rng.gen());
                // In a region run, its pinned calls and reads go to its own region's nodes.
                let nodes = match (&self.plan.regions, region) {
                    (Some(layout), Some(region)) => layout.nodes_in(region),
                    _ => self.cluster.ids(),
                };
                let shared = (self.history.clone(), pool.clone(), checkout.clone());
                let racer =
                    Racer::new(index + 1, client, nodes, shared, self.workload.clone(), rng);
                let node = handle
                    .create_node()
                    .name(format!("client-{index}"))
                    .ip(client_ip(index))
                    .build();
                if let Some(region) = region {
                    wan::place(node.id(), client_ip(index), region);
                }
                let stop = stop.clone();
                node.spawn(racer.run(stop))
            })
            .collect()
    }
}
