//! A redeem request (and validate's query) into the domain's terms.

use coupon_client::api::{HoldRequest, RedeemRequest, ValidateQuery};
use raft_store::command::{check_hold_ttl, Command, RedeemCommand};
use raft_store::domain::{
    check_amount_range, check_order_currency, parse_amount, CouponId, Currency, Discount, OrderId,
    UserId,
};
use raft_store::limits::HOLD_TTL_SECONDS_DEFAULT;
use rust_decimal::Decimal;

use super::{FieldErrors, InvalidFields};

/// The redeem `request` asks for, of a coupon whose discount is `discount` (`None`: the coupon
/// is not known, and apply answers `coupon_not_found`).
pub fn redeem_command(
    coupon_id: CouponId,
    request: &RedeemRequest,
    discount: Option<&Discount>,
) -> Result<RedeemCommand, InvalidFields> {
    let mut errors = FieldErrors::default();
    let user_id = errors.check("user_id", UserId::parse(request.user_id.as_str()));
    let order_id = match &request.order_id {
        Some(order) => errors.check("order_id", OrderId::parse(order.as_str())).map(Some),
        None => Some(None),
    };
    let (order_amount, currency) =
        checked_money(request.order_amount, request.currency.as_ref(), &mut errors);
    if let (Some(discount), Some(currency)) = (discount, &currency) {
        errors.check("currency", check_order_currency(discount, currency.as_ref()));
    }
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

/// A hold: the redeem its body describes (checked as `redeem_command` checks one), and its time
/// to live (the default when absent).
pub fn hold_command(
    coupon_id: CouponId,
    request: &HoldRequest,
    discount: Option<&Discount>,
) -> Result<Command, InvalidFields> {
    let redeem = RedeemRequest {
        user_id: request.user_id.clone(),
        order_id: request.order_id.clone(),
        order_amount: request.order_amount,
        currency: request.currency.clone(),
    };
    let ttl = check_hold_ttl(request.ttl_seconds.unwrap_or(HOLD_TTL_SECONDS_DEFAULT));
    match (redeem_command(coupon_id, &redeem, discount), ttl) {
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

impl OrderQuery {
    /// The query holds for a coupon with `discount`: it names a currency when the coupon's
    /// money is in one (as `redeem_command` checks a redeem).
    pub fn check_for(&self, discount: &Discount) -> Result<(), InvalidFields> {
        let mut errors = FieldErrors::default();
        errors.check("currency", check_order_currency(discount, self.currency.as_ref()));
        errors.finish(Some(()))
    }
}

pub fn order_facts_query(query: &ValidateQuery) -> Result<OrderQuery, InvalidFields> {
    let mut errors = FieldErrors::default();
    let user_id = match &query.user_id {
        Some(user) => errors.check("user_id", UserId::parse(user.as_str())).map(Some),
        None => Some(None),
    };
    let (order_amount, currency) =
        checked_money(query.order_amount, query.currency.as_ref(), &mut errors);
    let parsed = (|| {
        Some(OrderQuery { user_id: user_id?, order_amount: order_amount?, currency: currency? })
    })();
    errors.finish(parsed)
}

/// The order's amount and currency, each `Some(None)` when absent and `None` after recording an
/// error: a currency the service takes, and an amount in it, to its minor unit (an amount
/// without a currency is refused: it could be neither checked nor rounded).
fn checked_money(
    amount: Option<Decimal>,
    currency: Option<&coupon_client::api::Currency>,
    errors: &mut FieldErrors,
) -> (Option<Option<Decimal>>, Option<Option<Currency>>) {
    let currency = match currency {
        Some(currency) => errors.check("currency", Currency::parse(currency.as_str())).map(Some),
        None => Some(None),
    };
    let amount = match (amount, &currency) {
        (None, _) => Some(None),
        (Some(amount), Some(currency)) => {
            errors.check("order_amount", parse_amount(amount, currency.as_ref())).map(Some)
        }
        // The currency is refused already: only the amount's range can be checked.
        (Some(amount), None) => errors.check("order_amount", check_amount_range(amount)).map(Some),
    };
    (amount, currency)
}
