//! Domain values into their wire form. Money is written with exactly its currency's minor units
//! as fraction digits (EUR "10.00", JPY "500", KWD "1.250"), percentages without trailing zeros.

use chrono::{DateTime, Utc};
use coupon_client::api;
use raft_store::domain::{
    Alert, ApiKey, Campaign, CodeJob, Coupon, Currency, Discount, Hold, HoldState, JobState,
    Redemption, Role, Timestamp,
};
use rust_decimal::Decimal;

fn time(at: Timestamp) -> DateTime<Utc> {
    // Stored timestamps come from `DateTime`s, so they are always in chrono's range.
    at.to_datetime().unwrap_or(DateTime::UNIX_EPOCH)
}

/// Every stored amount has a currency (the bounds of the state require it), and fits its minor
/// unit, so rescaling only pads.
fn money(amount: Decimal, currency: Option<&Currency>) -> Decimal {
    let mut amount = amount;
    if let Some(currency) = currency {
        amount.rescale(currency.minor_units());
    }
    amount
}

fn wire_currency(currency: &Currency) -> api::Currency {
    api::Currency::new(currency.as_str())
}

fn discount(discount: &Discount) -> api::Discount {
    match discount {
        Discount::Percentage { percent, currency } => api::Discount::Percentage {
            value: percent.normalize(),
            currency: currency.as_ref().map(wire_currency),
        },
        Discount::Fixed { amount, currency } => api::Discount::Fixed {
            value: money(*amount, Some(currency)),
            currency: wire_currency(currency),
        },
    }
}

pub fn coupon(coupon: &Coupon) -> api::Coupon {
    let terms = &coupon.terms;
    let in_currency = |amount| money(amount, terms.discount.currency());
    api::Coupon {
        id: api::CouponId(coupon.id.0),
        code: coupon.code.as_str().to_owned(),
        discount: discount(&terms.discount),
        max_discount_amount: terms.max_discount_amount.map(in_currency),
        min_order_amount: terms.min_order_amount.map(in_currency),
        starts_at: terms.starts_at.map(time),
        expires_at: time(terms.expires_at),
        usage_limit: u64::from(terms.usage_limit),
        per_user_limit: terms.per_user_limit.map(u64::from),
        times_redeemed: u64::from(coupon.times_redeemed),
        held: u64::from(coupon.held),
        remaining: u64::from(coupon.remaining()),
        redeemed: coupon.is_fully_redeemed(),
        active: coupon.active,
        low_stock_threshold: terms.low_stock_threshold.map(u64::from),
        metadata: serde_json::from_str(terms.metadata.as_json()).unwrap_or_default(),
        created_at: time(coupon.created_at),
        campaign_id: coupon.campaign_id.map(|id| api::CampaignId(id.0)),
    }
}

pub fn code_job(job: &CodeJob) -> api::CodeJob {
    api::CodeJob {
        id: api::JobId(job.id.0),
        campaign_id: api::CampaignId(job.campaign_id.0),
        state: match job.state {
            JobState::Running => api::JobState::Running,
            JobState::Done => api::JobState::Done,
            JobState::Failed => api::JobState::Failed,
        },
        created: job.created,
        requested: job.requested,
        prefix: job.pattern.prefix.clone(),
        length: job.pattern.length,
        started_at: time(job.started_at),
        finished_at: job.finished_at.map(time),
    }
}

/// A campaign; its terms are written as a coupon's are.
pub fn campaign(campaign: &Campaign) -> api::Campaign {
    let terms = &campaign.terms;
    let in_currency = |amount| money(amount, terms.discount.currency());
    api::Campaign {
        id: api::CampaignId(campaign.id.0),
        name: campaign.name.as_str().to_owned(),
        discount: discount(&terms.discount),
        starts_at: terms.starts_at.map(time),
        expires_at: time(terms.expires_at),
        usage_limit_per_code: u64::from(terms.usage_limit),
        per_user_limit: terms.per_user_limit.map(u64::from),
        min_order_amount: terms.min_order_amount.map(in_currency),
        max_discount_amount: terms.max_discount_amount.map(in_currency),
        budget: campaign.budget.map(|budget| api::Budget { redemptions: u64::from(budget) }),
        times_redeemed: campaign.times_redeemed,
        held: campaign.held,
        budget_remaining: campaign.budget_left(),
        codes: campaign.codes,
        created_at: time(campaign.created_at),
    }
}

/// A hold as stored; read it `as_of` log time first where a due hold must read as expired.
pub fn hold(hold: &Hold) -> api::Hold {
    let (state, redemption_id, ended_at) = match hold.state {
        HoldState::Held => (api::HoldState::Held, None, None),
        HoldState::Confirmed { redemption_id } => {
            (api::HoldState::Confirmed, Some(api::RedemptionId(redemption_id.0)), None)
        }
        HoldState::Released { at } => (api::HoldState::Released, None, Some(time(at))),
        HoldState::Expired => (api::HoldState::Expired, None, None),
    };
    api::Hold {
        id: api::HoldId(hold.id.0),
        coupon_id: api::CouponId(hold.coupon_id.0),
        user_id: api::ExternalId::new(hold.user_id.as_str()),
        order_id: hold.order_id.as_ref().map(|order| api::ExternalId::new(order.as_str())),
        state,
        placed_at: time(hold.placed_at),
        expires_at: time(hold.expires_at),
        discount_amount: hold.discount_amount.map(|amount| money(amount, hold.currency.as_ref())),
        redemption_id,
        ended_at,
    }
}

pub fn redemption(redemption: &Redemption) -> api::Redemption {
    api::Redemption {
        id: api::RedemptionId(redemption.id.0),
        coupon_id: api::CouponId(redemption.coupon_id.0),
        user_id: api::ExternalId::new(redemption.user_id.as_str()),
        order_id: redemption.order_id.as_ref().map(|order| api::ExternalId::new(order.as_str())),
        redeemed_at: time(redemption.redeemed_at),
        discount_amount: redemption
            .discount_amount
            .map(|amount| money(amount, redemption.currency.as_ref())),
        rolled_back_at: redemption.rolled_back_at.map(time),
    }
}

pub fn alert(alert: &Alert) -> api::Alert {
    api::Alert {
        id: api::AlertId(alert.id.0),
        coupon_id: api::CouponId(alert.coupon_id.0),
        code: alert.code.as_str().to_owned(),
        remaining: u64::from(alert.remaining),
        threshold: u64::from(alert.threshold),
        raised_at: time(alert.raised_at),
    }
}

pub fn api_key(key: &ApiKey) -> api::ApiKey {
    api::ApiKey {
        id: key.id.as_str().to_owned(),
        role: role(key.role),
        label: key.label.as_str().to_owned(),
        created_at: time(key.created_at),
        revoked_at: key.revoked_at.map(time),
    }
}

pub fn role(role: Role) -> api::KeyRole {
    match role {
        Role::Admin => api::KeyRole::Admin,
        Role::Storefront => api::KeyRole::Storefront,
        Role::Readonly => api::KeyRole::Readonly,
    }
}

/// The wire role back into the domain's (every wire role has one).
pub fn domain_role(role: api::KeyRole) -> Role {
    match role {
        api::KeyRole::Admin => Role::Admin,
        api::KeyRole::Storefront => Role::Storefront,
        api::KeyRole::Readonly => Role::Readonly,
    }
}
