//! Text forms of the service's answers, for people. Scripts use `--json` instead, so this text
//! may change; the JSON is the contract's.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use coupon_client::api::{
    Coupon, CouponList, Discount, HistoryPage, Hold, HoldState, RedeemResponse, Redemption,
};
use rust_decimal::Decimal;

/// A coupon as an aligned block of `name  value` lines.
pub fn coupon(coupon: &Coupon) -> String {
    let rows = [
        ("id", coupon.id.to_string()),
        ("code", coupon.code.clone()),
        ("discount", discount(&coupon.discount, coupon.max_discount_amount)),
        ("remaining", format!("{} of {}", coupon.remaining, coupon.usage_limit)),
        ("held", format!("{} uses", coupon.held)),
        ("redeemed", format!("{} times", coupon.times_redeemed)),
        ("per user", optional(coupon.per_user_limit)),
        ("min order", optional(coupon.min_order_amount)),
        ("starts", optional(coupon.starts_at.map(time))),
        ("expires", time(coupon.expires_at)),
        ("active", yes_no(coupon.active)),
        ("low stock at", optional(coupon.low_stock_threshold)),
        ("metadata", serde_json::Value::Object(coupon.metadata.clone()).to_string()),
        ("created", time(coupon.created_at)),
    ];
    let mut text = String::new();
    for (name, value) in rows {
        let _ = writeln!(text, "{name:<13} {value}");
    }
    text.trim_end().to_owned()
}

/// `15% (at most 30.00 EUR)`, `15% (in EUR)`, `15%` or `10.00 EUR`.
pub fn discount(discount: &Discount, cap: Option<Decimal>) -> String {
    match discount {
        Discount::Percentage { value, currency } => match (cap, currency) {
            (Some(cap), Some(currency)) => format!("{value}% (at most {cap} {currency})"),
            (Some(cap), None) => format!("{value}% (at most {cap})"),
            (None, Some(currency)) => format!("{value}% (in {currency})"),
            (None, None) => format!("{value}%"),
        },
        Discount::Fixed { value, currency } => format!("{value} {currency}"),
    }
}

/// The one-line summary of a redeem.
pub fn redeemed(answer: &RedeemResponse, replayed: bool) -> String {
    let redemption = &answer.redemption;
    let replay = if replayed { " (replayed: this write was already applied)" } else { "" };
    format!(
        "redeemed: redemption {} of coupon {} ({}), discount {}, {} of {} left{replay}",
        redemption.id,
        answer.coupon.id,
        answer.coupon.code,
        optional(redemption.discount_amount),
        answer.coupon.remaining,
        answer.coupon.usage_limit,
    )
}

/// `hold 5 of coupon 42: held until 2026-11-26T10:15:00Z, discount 7.50`.
pub fn hold(hold: &Hold, replayed: bool) -> String {
    let replay = if replayed { " (replayed: this write was already applied)" } else { "" };
    let state = match hold.state {
        HoldState::Held => format!("held until {}", time(hold.expires_at)),
        HoldState::Confirmed => {
            format!("confirmed as redemption {}", optional(hold.redemption_id.map(|id| id.0)))
        }
        HoldState::Released => format!("released at {}", optional(hold.ended_at.map(time))),
        HoldState::Expired => format!("expired at {}", time(hold.expires_at)),
    };
    format!(
        "hold {} of coupon {}: {state}, discount {}{replay}",
        hold.id,
        hold.coupon_id,
        optional(hold.discount_amount)
    )
}

/// A page of the catalogue as a table.
pub fn coupon_list(list: &CouponList) -> String {
    let mut text = format!(
        "{:<10} {:<24} {:<28} {:<15} {:<7} {}\n",
        "ID", "CODE", "DISCOUNT", "REMAINING", "ACTIVE", "EXPIRES AT"
    );
    for coupon in &list.coupons {
        let _ = writeln!(
            text,
            "{:<10} {:<24} {:<28} {:<15} {:<7} {}",
            coupon.id.to_string(),
            coupon.code,
            discount(&coupon.discount, coupon.max_discount_amount),
            format!("{} of {}", coupon.remaining, coupon.usage_limit),
            yes_no(coupon.active),
            time(coupon.expires_at),
        );
    }
    match list.next_after {
        Some(after) => {
            let _ = write!(text, "more: --after {after}");
        }
        None => {
            let _ = write!(text, "{} coupons", list.coupons.len());
        }
    }
    text
}

/// A history page as a table.
pub fn history(page: &HistoryPage) -> String {
    let mut text = format!(
        "{:<10} {:<20} {:<20} {:<10} {:<25} {}\n",
        "ID", "USER", "ORDER", "DISCOUNT", "REDEEMED AT", "ROLLED BACK AT"
    );
    for redemption in &page.redemptions {
        text.push_str(&history_row(redemption));
        text.push('\n');
    }
    match page.next_after {
        Some(after) => {
            let _ = write!(text, "more: --after {after}");
        }
        None => {
            let _ = write!(text, "{} redemptions", page.redemptions.len());
        }
    }
    text
}

fn history_row(redemption: &Redemption) -> String {
    format!(
        "{:<10} {:<20} {:<20} {:<10} {:<25} {}",
        redemption.id,
        // `ExternalId`'s Display ignores widths; a String honours them.
        redemption.user_id.to_string(),
        optional(redemption.order_id.as_ref()),
        optional(redemption.discount_amount),
        time(redemption.redeemed_at),
        optional(redemption.rolled_back_at.map(time)),
    )
}

/// A rolled-back redemption.
pub fn rolled_back(redemption: &Redemption, replayed: bool) -> String {
    let replay = if replayed { " (replayed)" } else { "" };
    format!(
        "rolled back: redemption {} of coupon {} at {}{replay}",
        redemption.id,
        redemption.coupon_id,
        optional(redemption.rolled_back_at.map(time)),
    )
}

/// RFC 3339 in UTC with a `Z`, as the API writes times.
fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub fn optional(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "-".to_owned(), |value| value.to_string())
}

fn yes_no(flag: bool) -> String {
    if flag { "yes" } else { "no" }.to_owned()
}
