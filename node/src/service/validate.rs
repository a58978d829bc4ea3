//! Validate: would a redeem succeed now? Decided by the same rule as apply, on a read of the
//! state; it never consumes a use.

use coupon_client::api::{self, FieldError, ValidateQuery};
use raft_store::domain::{check_redeem, CouponId, Timestamp};

use super::{CouponService, ServiceError};
use crate::convert::{self, InvalidFields};

impl CouponService {
    /// The verdict on `query` for coupon `id`; `None` when there is no such coupon.
    pub async fn validate(
        &self,
        id: CouponId,
        query: &ValidateQuery,
    ) -> Result<Option<api::ValidateResponse>, ServiceError> {
        let order = convert::order_facts_query(query)?;
        let consistency = query.consistency.unwrap_or_default();
        let decided = self
            .read(consistency, |state| {
                let Some(coupon) = state.coupon(id)? else { return Ok(None) };
                // Never earlier than the log's own clock, so a coupon the log saw expire stays
                // expired.
                let now = Timestamp::from_datetime(self.now()).max(state.meta()?.log_time);
                // Validate takes no order id: an order's earlier redeem is not weighed.
                let facts = state.order_facts(
                    &coupon,
                    order.user_id.as_ref(),
                    None,
                    order.order_amount,
                    order.currency.as_ref(),
                )?;
                Ok(Some((check_redeem(&coupon, &facts, now), coupon)))
            })
            .await?;
        let Some((verdict, coupon)) = decided else { return Ok(None) };
        order.check_for(&coupon.terms.discount)?;
        let mut response = api::ValidateResponse {
            valid: verdict.is_ok(),
            coupon_id: Some(api::CouponId(id.0)),
            remaining: Some(u64::from(coupon.remaining())),
            discount_amount: None,
            reason: None,
        };
        match verdict {
            Ok(Ok(discount)) => response.discount_amount = discount,
            // Unreachable with an order amount the conversion accepted; refused all the same.
            Ok(Err(overflow)) => {
                let field = FieldError::new("order_amount", overflow.to_string());
                return Err(InvalidFields(vec![field]).into());
            }
            Err(rejection) => response.reason = Some(convert::rejection_reason(rejection)),
        }
        Ok(Some(response))
    }
}
