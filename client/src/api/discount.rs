//! `Discount`: what a coupon takes off an order.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::decimal::decimal_str;
use super::Currency;

/// `{"type": "percentage", "value": "15"}` (with an optional `"currency"`) or
/// `{"type": "fixed", "value": "10.00", "currency": "EUR"}`.
///
/// Bounds (checked by the server): a percentage is `0 < value <= 100` with at most 4 fraction
/// digits; a fixed amount is `> 0` with at most its currency's minor units (EUR 2, JPY 0, KWD
/// 3). `currency` is the coupon's: its money bounds (`min_order_amount`, `max_discount_amount`)
/// are in it, and orders in another are `currency_mismatch`. A fixed discount always has one; a
/// percentage needs one when the coupon has a money bound, and without one works in any
/// currency.
///
/// Unknown fields are refused even though a coupon response carries this type: the shape is a
/// closed union (a new kind of discount would be a new `type`, which old clients cannot read
/// either).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(description = "What a coupon \
    takes off, by `type`. `percentage`: `0 < value <= 100`, at most 4 fraction digits. `fixed`: \
    `value > 0` in `currency` (required), with at most that currency's minor units as fraction \
    digits (EUR 2, JPY 0, KWD 3). `currency` is the coupon's: `min_order_amount` and \
    `max_discount_amount` are in it, so a percentage that has either needs one (422 on \
    `discount.currency` without), and a coupon with one takes orders in it only (a redeem or \
    validate must send `currency`: 422 without, `currency_mismatch` for another). Unknown \
    fields are 422.")
)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Discount {
    /// A share of the order amount, in percent.
    Percentage {
        /// Percent as a decimal string, `"15"` for 15 %: `0 < value <= 100`, at most 4
        /// fraction digits.
        #[serde(with = "decimal_str")]
        #[cfg_attr(
            feature = "openapi",
            schema(value_type = String, pattern = "^(0*(100([.]0+)?|[1-9][0-9]?([.][0-9]{1,4}0*)?)|0+[.]([1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9])0*)$", example = "15")
        )]
        value: Decimal,
        /// The currency of the coupon's money bounds; required when it has any. Absent: the
        /// percentage applies in any currency.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        currency: Option<Currency>,
    },
    /// A fixed amount off, in one currency.
    Fixed {
        /// The amount as a decimal string, `"10.00"`: greater than 0, with at most the
        /// currency's minor units as fraction digits.
        #[serde(with = "decimal_str")]
        #[cfg_attr(
            feature = "openapi",
            schema(value_type = String, pattern = "^(0*[1-9][0-9]*([.][0-9]+)?|0+[.][0-9]*[1-9][0-9]*)$", example = "10.00")
        )]
        value: Decimal,
        /// The amount's currency; a redeem in another currency is `currency_mismatch`.
        currency: Currency,
    },
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use serde_json::json;

    use super::Discount;
    use crate::api::Currency;

    #[test]
    fn both_kinds_round_trip() {
        let percentage = json!({"type": "percentage", "value": "15"});
        let fixed = json!({"type": "fixed", "value": "10.00", "currency": "EUR"});
        let parsed: Discount = serde_json::from_value(percentage.clone()).unwrap();
        assert_eq!(parsed, Discount::Percentage { value: Decimal::new(15, 0), currency: None });
        assert_eq!(serde_json::to_value(&parsed).unwrap(), percentage);
        let in_eur = json!({"type": "percentage", "value": "15", "currency": "EUR"});
        let parsed: Discount = serde_json::from_value(in_eur.clone()).unwrap();
        let expected = Discount::Percentage {
            value: Decimal::new(15, 0),
            currency: Some(Currency::from("EUR")),
        };
        assert_eq!(parsed, expected);
        assert_eq!(serde_json::to_value(&parsed).unwrap(), in_eur);
        let parsed: Discount = serde_json::from_value(fixed.clone()).unwrap();
        let expected =
            Discount::Fixed { value: Decimal::new(1000, 2), currency: Currency::from("EUR") };
        assert_eq!(parsed, expected);
        assert_eq!(serde_json::to_value(&parsed).unwrap(), fixed);
    }

    #[test]
    fn numbers_unknown_kinds_and_stray_fields_are_rejected() {
        let bad = [
            json!({"type": "percentage", "value": 15}),
            json!({"type": "fixed", "value": 10.5, "currency": "EUR"}),
            json!({"type": "fixed", "value": "10.00"}),
            json!({"type": "bogus", "value": "1"}),
            json!({"value": "1"}),
            json!({"type": "percentage", "value": "15", "cap": "5"}),
        ];
        for value in bad {
            assert!(serde_json::from_value::<Discount>(value.clone()).is_err(), "{value}");
        }
    }
}
