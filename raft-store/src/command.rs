//! What goes through the Raft log: a batch of requests stamped with the leader's clock.
//!
//! These types are a durable on-disk format (they live in log entries and snapshots), distinct
//! from the HTTP wire types; the node converts between the two.
//!
//! `check_bounds` is the one check of a command against the bounds of the state
//! (`crate::limits`): the node runs it wherever a command enters the log (its own write path and
//! a follower's forwarded batch), and apply runs it again, refusing what fails it.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{
    parse_amount, parse_count, AlertId, BoundsError, CampaignId, CampaignName, CodePattern,
    CouponChanges, CouponCode, CouponId, CouponTerms, Currency, HoldId, Invalid, JobId, KeyDigest,
    KeyId, KeyLabel, OrderId, RedemptionId, Role, Timestamp, UserId,
};
use crate::idempotency::IdempotencyToken;
use crate::limits::{
    ALERTS_PER_CONFIRMATION_MAX, CAMPAIGN_CODES_PER_COMMAND_MAX, CODE_JOB_CODES_MAX,
    HOLD_TTL_SECONDS_MAX, HOLD_TTL_SECONDS_MIN, REQUESTS_PER_ENTRY_MAX,
};

/// The application payload of one log entry. The node batches concurrent proposals into one
/// entry so that one log append, one fsync and one replication round carry many requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// The proposing leader's wall clock. Apply takes time from here, never from a local clock.
    pub stamped_at: Timestamp,
    pub requests: Vec<KeyedCommand>,
}

impl Batch {
    /// The entry's own bounds: a stamp in the state's time range, and at most
    /// `REQUESTS_PER_ENTRY_MAX` requests. (Each request is checked on its own by apply.)
    pub fn check_bounds(&self) -> Result<(), BoundsError> {
        self.stamped_at.check().map_err(BoundsError::at("stamped_at"))?;
        if self.requests.len() > REQUESTS_PER_ENTRY_MAX {
            let invalid = Invalid::TooMany { max: REQUESTS_PER_ENTRY_MAX };
            return Err(BoundsError { field: "requests", invalid });
        }
        Ok(())
    }
}

/// One command of a batch, with the idempotency token it was submitted under (if any).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyedCommand {
    pub idempotency: Option<IdempotencyToken>,
    /// The API key that sent the command, for the audit trail; `None` on an open node and for
    /// the node's own housekeeping.
    pub actor: Option<KeyId>,
    pub command: Command,
}

impl KeyedCommand {
    /// Every bound of the state (`crate::limits`) this command must keep, the first one broken
    /// named by its field.
    pub fn check_bounds(&self) -> Result<(), BoundsError> {
        if let Some(token) = &self.idempotency {
            token.key.check().map_err(BoundsError::at("Idempotency-Key"))?;
        }
        if let Some(actor) = &self.actor {
            actor.check().map_err(BoundsError::at("actor"))?;
        }
        self.command.check_bounds()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    CreateCoupon {
        code: CodeChoice,
        terms: CouponTerms,
    },
    Redeem(RedeemCommand),
    RollBack {
        redemption_id: RedemptionId,
    },
    Deactivate {
        coupon_id: CouponId,
    },
    Reactivate {
        coupon_id: CouponId,
    },
    /// The leader delivered these alerts to the webhook; they are not sent again.
    ConfirmAlertDelivery {
        alert_ids: Vec<AlertId>,
    },
    /// A new API key; the node that took the request drew its id and secret.
    CreateKey(NewKey),
    RevokeKey {
        id: KeyId,
    },
    /// A membership change that completed, for the audit trail (membership itself is Raft's).
    NoteMembershipChange(MembershipNote),
    /// A `PATCH` of the terms.
    UpdateCoupon {
        coupon_id: CouponId,
        changes: CouponChanges,
    },
    /// Sets one use aside for a checkout, on the terms a redeem would be decided on.
    PlaceHold {
        redeem: RedeemCommand,
        ttl_seconds: u32,
    },
    /// Turns a hold into a redemption (payment succeeded).
    ConfirmHold {
        hold_id: HoldId,
    },
    /// Gives a hold's use back (the checkout was abandoned).
    ReleaseHold {
        hold_id: HoldId,
    },
    CreateCampaign(NewCampaign),
    /// Codes the shop chose, given to a campaign: all of them, or none if any is taken.
    AddCampaignCodes {
        campaign_id: CampaignId,
        codes: Vec<CouponCode>,
    },
    /// Starts generating `count` codes of `pattern` for a campaign, from `seed` (drawn by the
    /// node that took the request); nothing is generated until the job runs.
    StartCodeJob {
        campaign_id: CampaignId,
        seed: [u8; 16],
        count: u32,
        pattern: CodePattern,
    },
    /// Makes the next chunk of a job's codes, from index `from`: a chunk already made (a
    /// runner's repeat after a leader change) changes nothing.
    RunCodeJob {
        job_id: JobId,
        from: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCampaign {
    pub name: CampaignName,
    /// The terms of every code (`usage_limit` is each code's own).
    pub terms: CouponTerms,
    pub budget: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewKey {
    pub id: KeyId,
    pub role: Role,
    pub label: KeyLabel,
    pub digest: KeyDigest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MembershipNote {
    /// The node id (a `NodeId`; written as `u64` so that commands stay below the Raft types).
    Added(u64),
    Removed(u64),
}

impl Command {
    pub fn check_bounds(&self) -> Result<(), BoundsError> {
        match self {
            Command::CreateCoupon { code, terms } => {
                let (CodeChoice::Chosen(code) | CodeChoice::Generated(code)) = code;
                code.check().map_err(BoundsError::at("code"))?;
                terms.check_bounds()
            }
            Command::Redeem(redeem) => redeem.check_bounds(),
            Command::ConfirmAlertDelivery { alert_ids } => {
                if alert_ids.len() > ALERTS_PER_CONFIRMATION_MAX {
                    let invalid = Invalid::TooMany { max: ALERTS_PER_CONFIRMATION_MAX };
                    return Err(BoundsError { field: "alert_ids", invalid });
                }
                Ok(())
            }
            Command::CreateKey(new) => {
                new.id.check().map_err(BoundsError::at("id"))?;
                new.label.check().map_err(BoundsError::at("label"))
            }
            Command::RevokeKey { id } => id.check().map_err(BoundsError::at("id")),
            Command::UpdateCoupon { changes, .. } => changes.check_bounds(),
            Command::PlaceHold { redeem, ttl_seconds } => {
                redeem.check_bounds()?;
                check_hold_ttl(*ttl_seconds).map_err(BoundsError::at("ttl_seconds"))?;
                Ok(())
            }
            // Ids are any u64: an unknown one is a `NotFound` rejection, not a bound.
            Command::NoteMembershipChange(_) => Ok(()),
            Command::CreateCampaign(new) => {
                new.name.check().map_err(BoundsError::at("name"))?;
                if let Some(budget) = new.budget {
                    parse_count(u64::from(budget), 1).map_err(BoundsError::at("budget"))?;
                }
                new.terms.check_bounds()
            }
            Command::AddCampaignCodes { codes, .. } => check_campaign_codes(codes),
            Command::StartCodeJob { count, pattern, .. } => {
                pattern.check().map_err(BoundsError::at("pattern"))?;
                if !(1..=CODE_JOB_CODES_MAX).contains(count) {
                    let invalid =
                        Invalid::OutOfRange { min: 1, max: u64::from(CODE_JOB_CODES_MAX) };
                    return Err(BoundsError { field: "count", invalid });
                }
                Ok(())
            }
            Command::RollBack { .. }
            | Command::Deactivate { .. }
            | Command::Reactivate { .. }
            | Command::ConfirmHold { .. }
            | Command::ReleaseHold { .. }
            | Command::RunCodeJob { .. } => Ok(()),
        }
    }
}

/// Codes for a campaign: 1 to `CAMPAIGN_CODES_PER_COMMAND_MAX`, each canonical, no two alike.
pub fn check_campaign_codes(codes: &[CouponCode]) -> Result<(), BoundsError> {
    let at_codes = BoundsError::at("codes");
    if codes.is_empty() || codes.len() > CAMPAIGN_CODES_PER_COMMAND_MAX {
        let (min, max) = (1, CAMPAIGN_CODES_PER_COMMAND_MAX as u64);
        return Err(at_codes(Invalid::OutOfRange { min, max }));
    }
    for code in codes {
        code.check().map_err(BoundsError::at("codes"))?;
    }
    let distinct: std::collections::BTreeSet<&CouponCode> = codes.iter().collect();
    if distinct.len() < codes.len() {
        return Err(at_codes(Invalid::Duplicates));
    }
    Ok(())
}

/// A hold's time to live: `HOLD_TTL_SECONDS_MIN` to `HOLD_TTL_SECONDS_MAX` seconds.
pub fn check_hold_ttl(ttl_seconds: u32) -> Result<u32, Invalid> {
    if (HOLD_TTL_SECONDS_MIN..=HOLD_TTL_SECONDS_MAX).contains(&ttl_seconds) {
        return Ok(ttl_seconds);
    }
    let (min, max) = (u64::from(HOLD_TTL_SECONDS_MIN), u64::from(HOLD_TTL_SECONDS_MAX));
    Err(Invalid::OutOfRange { min, max })
}

/// Where a new coupon's code comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeChoice {
    /// The shop chose it: a collision is a `CodeAlreadyExists` rejection.
    Chosen(CouponCode),
    /// The leader drew it at random: a collision derives another one deterministically.
    Generated(CouponCode),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedeemCommand {
    pub coupon_id: CouponId,
    pub user_id: UserId,
    pub order_id: Option<OrderId>,
    pub order_amount: Option<Decimal>,
    pub currency: Option<Currency>,
}

impl RedeemCommand {
    pub fn check_bounds(&self) -> Result<(), BoundsError> {
        self.user_id.check().map_err(BoundsError::at("user_id"))?;
        if let Some(order_id) = &self.order_id {
            order_id.check().map_err(BoundsError::at("order_id"))?;
        }
        if let Some(amount) = self.order_amount {
            // In the order's currency; without one, to the contract's two fraction digits.
            let currency = self.currency.as_ref();
            parse_amount(amount, currency).map_err(BoundsError::at("order_amount"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::*;
    use crate::domain::AMOUNT_MAX;
    use crate::idempotency::{Fingerprint, IdempotencyKey};

    fn redeem(order_amount: Decimal) -> KeyedCommand {
        let command = Command::Redeem(RedeemCommand {
            coupon_id: CouponId(1),
            user_id: user("u-1"),
            order_id: Some(order("o-1")),
            order_amount: Some(order_amount),
            currency: Some(eur()),
        });
        KeyedCommand { idempotency: None, actor: None, command }
    }

    #[test]
    fn a_redeem_within_the_bounds_passes_and_one_past_them_is_named() {
        assert_eq!(redeem(AMOUNT_MAX).check_bounds(), Ok(()));
        let error = redeem(Decimal::MAX).check_bounds().unwrap_err();
        assert_eq!(error.field, "order_amount");
        assert_eq!(error.to_string(), "order_amount: must be at most 1000000000000000");
        let Command::Redeem(mut redeem) = redeem(dec("1.001")).command else { unreachable!() };
        let error = redeem.check_bounds().unwrap_err();
        assert_eq!(
            (error.field, error.invalid),
            ("order_amount", Invalid::MinorUnits { currency: eur() })
        );
        // An order that states no currency has the contract's two fraction digits.
        redeem.currency = None;
        let error = redeem.check_bounds().unwrap_err();
        assert_eq!((error.field, error.invalid), ("order_amount", Invalid::Scale { max: 2 }));
        redeem.order_amount = Some(dec("1.01"));
        assert_eq!(redeem.check_bounds(), Ok(()));
    }

    #[test]
    fn keys_alert_lists_and_batches_are_bounded() {
        let mut keyed = redeem(dec("1"));
        let key = IdempotencyKey::from_validated("k".repeat(256));
        keyed.idempotency = Some(IdempotencyToken { key, fingerprint: Fingerprint::of(&[]) });
        assert_eq!(keyed.check_bounds().unwrap_err().field, "Idempotency-Key");
        let alert_ids = vec![AlertId(1); ALERTS_PER_CONFIRMATION_MAX + 1];
        let confirm = Command::ConfirmAlertDelivery { alert_ids };
        assert_eq!(confirm.check_bounds().unwrap_err().field, "alert_ids");
        let batch = Batch { stamped_at: Timestamp::from_unix_millis(i64::MAX), requests: vec![] };
        assert_eq!(batch.check_bounds().unwrap_err().field, "stamped_at");
        let requests = vec![redeem(dec("1")); REQUESTS_PER_ENTRY_MAX + 1];
        let batch = Batch { stamped_at: at(1), requests };
        assert_eq!(batch.check_bounds().unwrap_err().field, "requests");
    }
}
