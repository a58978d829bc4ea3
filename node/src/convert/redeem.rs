//! A redeem request (and validate's query) into the domain's terms.

use coupon_client::api::{HoldRequest, RedeemRequest, ValidateQuery};
use raft_store::command::{check_hold_ttl, Command, RedeemCommand};
use raft_store::domain::{parse_amount, CouponId, Currency, OrderId, UserId};
use raft_store::limits::HOLD_TTL_SECONDS_DEFAULT;
use rust_decimal::Decimal;

use super::{FieldErrors, InvalidFields};

pub fn redeem_command(
    coupon_id: CouponId,
    request: &RedeemRequest,
) -> Result<RedeemCommand, InvalidFields> {
    let mut errors = FieldErrors::default();
    let user_id = errors.check("user_id", UserId::parse(request.user_id.as_str()));
    let order_id = match &request.order_id {
        Some(order) => errors.check("order_id", OrderId::parse(order.as_str())).map(Some),
        None => Some(None),
    };
    let order_amount = checked_amount(request.order_amount, &mut errors);
    let currency = checked_currency(request.currency.as_ref().map(|c| c.as_str()), &mut errors);
    let command = (|| {
        Some(RedeemCommand {
            coupon_id,
            user_id: user_id?,
            order_id: order_id?,
            order_amount: order_amount?,
            currency: currency?,
        })
    })();
    errors.finish(command)
}

/// A hold: the redeem its body describes, and its time to live (the default when absent).
pub fn hold_command(coupon_id: CouponId, request: &HoldRequest) -> Result<Command, InvalidFields> {
    let redeem = RedeemRequest {
        user_id: request.user_id.clone(),
        order_id: request.order_id.clone(),
        order_amount: request.order_amount,
        currency: request.currency.clone(),
    };
    let ttl = check_hold_ttl(request.ttl_seconds.unwrap_or(HOLD_TTL_SECONDS_DEFAULT));
    match (redeem_command(coupon_id, &redeem), ttl) {
        (Ok(redeem), Ok(ttl_seconds)) => Ok(Command::PlaceHold { redeem, ttl_seconds }),
        (redeem, ttl) => {
            let mut errors = redeem.err().map(|InvalidFields(errors)| errors).unwrap_or_default();
            if let Err(invalid) = ttl {
                errors
                    .push(coupon_client::api::FieldError::new("ttl_seconds", invalid.to_string()));
            }
            Err(InvalidFields(errors))
        }
    }
}

/// What validate asks about: the optional user, order amount and currency.
pub struct OrderQuery {
    pub user_id: Option<UserId>,
    pub order_amount: Option<Decimal>,
    pub currency: Option<Currency>,
}

pub fn order_facts_query(query: &ValidateQuery) -> Result<OrderQuery, InvalidFields> {
    let mut errors = FieldErrors::default();
    let user_id = match &query.user_id {
        Some(user) => errors.check("user_id", UserId::parse(user.as_str())).map(Some),
        None => Some(None),
    };
    let order_amount = checked_amount(query.order_amount, &mut errors);
    let currency = checked_currency(query.currency.as_ref().map(|c| c.as_str()), &mut errors);
    let parsed = (|| {
        Some(OrderQuery { user_id: user_id?, order_amount: order_amount?, currency: currency? })
    })();
    errors.finish(parsed)
}

/// `Some(None)` when absent, `None` after recording an error.
fn checked_amount(amount: Option<Decimal>, errors: &mut FieldErrors) -> Option<Option<Decimal>> {
    match amount {
        Some(amount) => errors.check("order_amount", parse_amount(amount)).map(Some),
        None => Some(None),
    }
}

fn checked_currency(currency: Option<&str>, errors: &mut FieldErrors) -> Option<Option<Currency>> {
    match currency {
        Some(currency) => errors.check("currency", Currency::parse(currency)).map(Some),
        None => Some(None),
    }
}
