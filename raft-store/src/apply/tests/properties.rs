//! Properties of apply over arbitrary sequences of redeems and rollbacks.

use proptest::prelude::*;

use super::ledger::*;
use crate::command::Command;
use crate::domain::fixtures::*;
use crate::domain::{CouponTerms, RedemptionId};
use crate::outcome::Outcome;

#[derive(Clone, Debug)]
enum Step {
    Redeem { user: u8, order: Option<u8> },
    RollBack { nth_granted: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u8..6, proptest::option::of(0u8..8)).prop_map(|(user, order)| Step::Redeem { user, order }),
        1 => (0usize..64).prop_map(|nth_granted| Step::RollBack { nth_granted }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whatever the sequence: the counter never exceeds the limit, equals the number of live
    /// redemptions in the history, no user exceeds the per-user limit, and no order holds two
    /// live redemptions.
    #[test]
    fn the_counter_is_the_number_of_live_redemptions_and_never_exceeds_the_limit(
        usage_limit in 1u32..8,
        per_user_limit in proptest::option::of(1u32..4),
        steps in proptest::collection::vec(step(), 1..60),
    ) {
        let mut ledger = Ledger::default();
        let id = ledger.create("PROP", CouponTerms { usage_limit, per_user_limit, ..terms() });
        let mut granted: Vec<RedemptionId> = Vec::new();
        for (t, step) in (1i64..).zip(steps) {
            match step {
                Step::Redeem { user, order: Some(order) } => {
                    let outcome = ledger.outcome(redeem_for_order(id, &format!("u{user}"), &format!("o{order}")), at(t));
                    if let Outcome::Redeemed { redemption, .. } = outcome { granted.push(redemption.id) }
                }
                Step::Redeem { user, order: None } => {
                    if let Outcome::Redeemed { redemption, .. } = ledger.outcome(redeem_by(id, &format!("u{user}")), at(t)) {
                        granted.push(redemption.id)
                    }
                }
                Step::RollBack { nth_granted } if !granted.is_empty() => {
                    let redemption_id = granted[nth_granted % granted.len()];
                    ledger.outcome(Command::RollBack { redemption_id }, at(t));
                }
                Step::RollBack { .. } => {}
            }
            let coupon = ledger.read(|s| s.coupon(id)).unwrap();
            let history = ledger.read(|s| s.coupon_history(id, None, 500)).redemptions;
            let live: Vec<_> = history.iter().filter(|r| r.is_live()).collect();
            prop_assert!(coupon.times_redeemed <= usage_limit);
            prop_assert_eq!(coupon.times_redeemed as usize, live.len());
            prop_assert_eq!(history.len(), granted.len());
            for user in 0..6u8 {
                let user_id = user_of(user);
                let live_of_user = live.iter().filter(|r| r.user_id == user_id).count() as u32;
                let counted = ledger.read(|s| s.user_redemptions(id, &user_id));
                match per_user_limit {
                    Some(limit) => {
                        prop_assert_eq!(counted, live_of_user);
                        prop_assert!(live_of_user <= limit);
                    }
                    None => prop_assert_eq!(counted, 0, "counts are kept only under a per-user limit"),
                }
            }
            let mut live_orders: Vec<_> = live.iter().filter_map(|r| r.order_id.clone()).collect();
            let orders = live_orders.len();
            live_orders.sort();
            live_orders.dedup();
            prop_assert_eq!(live_orders.len(), orders, "an order holds one live redemption");
        }
    }
}

fn user_of(n: u8) -> crate::domain::UserId {
    user(&format!("u{n}"))
}
