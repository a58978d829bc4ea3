//! `WorkloadSpec`: what the simulated clients do in one run, chosen per seed.

use std::time::Duration;

use coupon_client::ClientConfig;
use rand::Rng;
use serde::Serialize;

/// Relative weights of the operations a client picks from.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Weights {
    /// A redeem through the real client (failover, retries, one key).
    pub redeem: u32,
    /// A redeem sent to one node, then with the same key to the others if the outcome is unknown.
    pub pinned_redeem: u32,
    /// A redeem sent once without an Idempotency-Key.
    pub keyless_redeem: u32,
    /// A redeem sent to two nodes at once with one key.
    pub twin_redeem: u32,
    /// A linearizable validate or get, at a chosen node.
    pub read: u32,
    /// A rollback of one of the client's acknowledged redemptions.
    pub rollback: u32,
    /// An acknowledged redeem sent again with its key, as if its answer had been lost.
    pub replay: u32,
    /// A new coupon, created while the faults run.
    pub create: u32,
    /// A hold on a checkout coupon (a campaign's code or a coupon of its own).
    pub hold: u32,
    /// A confirm of one of the client's holds, in time or late (after its expiry).
    pub confirm: u32,
    /// A release of one of the client's holds.
    pub release: u32,
    /// A redeem of one of the campaign's codes, against the campaign's budget.
    pub campaign_redeem: u32,
}

impl Weights {
    pub fn total(&self) -> u32 {
        self.redeem
            + self.pinned_redeem
            + self.keyless_redeem
            + self.twin_redeem
            + self.read
            + self.rollback
            + self.replay
            + self.create
            + self.hold
            + self.confirm
            + self.release
            + self.campaign_redeem
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct WorkloadSpec {
    pub clients: usize,
    /// Pause between a client's operations, drawn uniformly from this range (ms).
    pub think_ms: (u64, u64),
    /// Coupons created before the faults start, raced for by every client.
    pub race_coupons: usize,
    /// Usage limits of created coupons, drawn from this range: small, so that clients race for
    /// the last uses.
    pub usage_limit: (u32, u32),
    pub weights: Weights,
    /// One attempt of the real client; shorter than the node's deadline on some seeds, so that
    /// clients give up on writes that still commit and retry them elsewhere.
    #[serde(serialize_with = "crate::faults::as_millis")]
    pub client_timeout: Duration,
    pub client_attempts: u32,
    /// Users that many logical redeems share (each with an order of its own), and the chance
    /// that a redeem is one of theirs: the per-user limit of the first race coupon binds them.
    pub shared_users: u32,
    pub shared_user_chance: f64,
    /// The per-user limit of the first race coupon.
    pub per_user_limit: u32,
    pub checkout: CheckoutSpec,
}

/// The coupons holds are placed on and the campaign whose budget its codes share. They are apart
/// from the race coupons, whose counter model knows nothing of holds or budgets.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CheckoutSpec {
    /// Coupons of their own for holds, and the usage limit of each.
    pub coupons: usize,
    pub coupon_limit: u32,
    /// The campaign's codes, the uses of each, and the budget they share (below their sum, so
    /// that the budget is what runs out).
    pub campaign_codes: u32,
    pub code_limit: u32,
    pub budget: u32,
    /// Times to live of holds: short ones expire while the run goes on, long ones outlast it.
    pub ttl_short_seconds: (u32, u32),
    pub ttl_long_seconds: (u32, u32),
    pub short_ttl_chance: f64,
}

impl CheckoutSpec {
    fn draw(rng: &mut impl Rng) -> Self {
        let (campaign_codes, code_limit) = (rng.gen_range(3..=5), rng.gen_range(2..=3));
        Self {
            coupons: rng.gen_range(1..=2),
            coupon_limit: rng.gen_range(3..=6),
            campaign_codes,
            code_limit,
            budget: rng.gen_range(2..campaign_codes * code_limit),
            ttl_short_seconds: (1, 3),
            ttl_long_seconds: (60, 600),
            short_ttl_chance: rng.gen_range(0.5..0.8),
        }
    }
}

/// Shared users are named so; every other user belongs to one logical redeem.
const SHARED_USER_PREFIX: &str = "shared-";

/// The name of shared user number `index`.
pub fn shared_user(index: u32) -> String {
    format!("{SHARED_USER_PREFIX}{index}")
}

/// Whether `user` is shared by several logical redeems (told apart by their orders).
pub fn is_shared_user(user: &str) -> bool {
    user.starts_with(SHARED_USER_PREFIX)
}

impl WorkloadSpec {
    /// The default mix, with per-seed numbers drawn from `rng`.
    pub fn draw(rng: &mut impl Rng) -> Self {
        let weights = Weights {
            redeem: 26,
            pinned_redeem: 10,
            keyless_redeem: 4,
            twin_redeem: 6,
            read: 30,
            rollback: 8,
            replay: 8,
            create: 2,
            hold: 12,
            confirm: 10,
            release: 3,
            campaign_redeem: 5,
        };
        Self {
            clients: rng.gen_range(6..=14),
            think_ms: (5, rng.gen_range(60..=200)),
            race_coupons: rng.gen_range(2..=4),
            usage_limit: (2, rng.gen_range(4..=12)),
            weights,
            client_timeout: Duration::from_millis(rng.gen_range(600..=3000)),
            client_attempts: rng.gen_range(3..=6),
            shared_users: rng.gen_range(2..=4),
            shared_user_chance: rng.gen_range(0.1..0.4),
            per_user_limit: rng.gen_range(1..=2),
            checkout: CheckoutSpec::draw(rng),
        }
    }

    /// The real client's configuration for client number `index`, with its own seed.
    pub fn client_config(&self, seed: u64) -> ClientConfig {
        ClientConfig {
            request_timeout: self.client_timeout,
            attempts_max: self.client_attempts,
            backoff_base: Duration::from_millis(20),
            backoff_max: Duration::from_millis(500),
            retry_after_max: Duration::from_secs(1),
            rng_seed: Some(seed),
            ..ClientConfig::default()
        }
    }
}
