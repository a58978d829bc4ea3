//! `coupon edit`: change a coupon's terms (`PATCH /coupons/{id}`). Each term is set with its
//! flag and removed with its `--no-…` flag; terms not named stay as they are.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use clap::Args;
use coupon_client::api::{Currency, IdempotencyKey, Metadata, UpdateCouponRequest};
use coupon_client::HttpCouponClient;
use rust_decimal::Decimal;

use crate::coupon_ref::CouponRef;
use crate::exit::{Done, UsageError};
use crate::generate::parse_meta;
use crate::output::Output;
use crate::render;

#[derive(Debug, Args)]
pub struct EditArgs {
    /// Coupon id, or code.
    coupon: CouponRef,
    /// A new expiry, in the future (RFC 3339).
    #[arg(long, value_name = "TIME")]
    expires_at: Option<DateTime<Utc>>,
    /// A new start, before the expiry (RFC 3339).
    #[arg(long, value_name = "TIME", conflicts_with = "no_start")]
    starts_at: Option<DateTime<Utc>>,
    /// Valid at once: remove the start.
    #[arg(long)]
    no_start: bool,
    /// Total uses, at least the uses taken.
    #[arg(long)]
    usage_limit: Option<u64>,
    /// Uses per user.
    #[arg(long, conflicts_with = "no_per_user_limit")]
    per_user_limit: Option<u64>,
    /// Remove the per-user limit.
    #[arg(long)]
    no_per_user_limit: bool,
    /// Orders below this amount (in the coupon's currency) cannot use the coupon.
    #[arg(long, value_name = "AMOUNT", conflicts_with = "no_min_order")]
    min_order: Option<Decimal>,
    /// Remove the minimum order.
    #[arg(long)]
    no_min_order: bool,
    /// Cap on a percentage discount (in the coupon's currency).
    #[arg(long, value_name = "AMOUNT", conflicts_with = "no_max_discount")]
    max_discount: Option<Decimal>,
    /// Remove the cap.
    #[arg(long)]
    no_max_discount: bool,
    /// Raise a low-stock alert when the remaining uses fall to this.
    #[arg(long, value_name = "N", conflicts_with = "no_low_stock_threshold")]
    low_stock_threshold: Option<u64>,
    /// Remove the low-stock alert.
    #[arg(long)]
    no_low_stock_threshold: bool,
    /// Give a percentage discount this currency (ISO 4217, e.g. EUR): its money bounds are in it,
    /// and it takes orders in it only. A fixed discount keeps its own.
    #[arg(long, value_name = "CODE")]
    currency: Option<String>,
    /// Replace the metadata with these entries (repeatable).
    #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = parse_meta)]
    metadata: Vec<(String, String)>,
    /// Replace the metadata with `{}`.
    #[arg(long, conflicts_with = "metadata")]
    clear_metadata: bool,
    /// Idempotency-Key of this write, to retry it safely later (default: a fresh one).
    #[arg(long, value_name = "KEY")]
    idempotency_key: Option<String>,
}

impl EditArgs {
    pub async fn run(self, client: &HttpCouponClient, output: Output) -> anyhow::Result<Done> {
        let request = self.request();
        if request.is_empty() {
            return Err(UsageError("name at least one term to change".into()).into());
        }
        let key = match self.idempotency_key.as_deref().map(IdempotencyKey::new) {
            None => client.new_idempotency_key(),
            Some(Ok(key)) => key,
            Some(Err(error)) => return Err(UsageError(error.to_string()).into()),
        };
        let id = self.coupon.resolve(client).await.context("find the coupon")?;
        let reply = client.update_coupon_with_key(id, &request, key).await.context("edit")?;
        output.emit(&reply.value, || render::coupon(&reply.value));
        Ok(Done::Success)
    }

    /// The merge patch the flags describe.
    fn request(&self) -> UpdateCouponRequest {
        let metadata = (self.clear_metadata || !self.metadata.is_empty()).then(|| {
            self.metadata
                .iter()
                .map(|(key, value)| (key.clone(), serde_json::Value::String(value.clone())))
                .collect::<Metadata>()
        });
        UpdateCouponRequest {
            expires_at: self.expires_at,
            starts_at: set_or_remove(self.starts_at, self.no_start),
            usage_limit: self.usage_limit,
            per_user_limit: set_or_remove(self.per_user_limit, self.no_per_user_limit),
            min_order_amount: set_or_remove(self.min_order, self.no_min_order),
            max_discount_amount: set_or_remove(self.max_discount, self.no_max_discount),
            low_stock_threshold: set_or_remove(
                self.low_stock_threshold,
                self.no_low_stock_threshold,
            ),
            metadata,
            currency: self.currency.clone().map(Currency::new),
        }
    }
}

/// A term's change: `Some(Some(v))` sets it, `Some(None)` (its `--no-…` flag) removes it,
/// `None` leaves it.
fn set_or_remove<T>(value: Option<T>, remove: bool) -> Option<Option<T>> {
    match (value, remove) {
        (Some(value), _) => Some(Some(value)),
        (None, true) => Some(None),
        (None, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use serde_json::json;

    use crate::cli::{Cli, Command};

    fn patch(args: &[&str]) -> serde_json::Value {
        let cli = Cli::try_parse_from([&["coupon", "edit", "7"], args].concat()).unwrap();
        let Command::Edit(edit) = cli.command else { panic!("not edit") };
        serde_json::to_value(edit.request()).unwrap()
    }

    #[test]
    fn flags_set_remove_or_leave_each_term() {
        assert_eq!(
            patch(&["--usage-limit", "9", "--no-per-user-limit", "--min-order", "20.00"]),
            json!({"usage_limit": 9, "per_user_limit": null, "min_order_amount": "20.00"})
        );
        assert_eq!(patch(&["--clear-metadata"]), json!({"metadata": {}}));
        assert_eq!(patch(&["--meta", "a=b"]), json!({"metadata": {"a": "b"}}));
        assert_eq!(patch(&[]), json!({}));
    }
}
