//! `coupon list`: the catalogue (`GET /coupons` without a code), a page or every page.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use clap::Args;
use coupon_client::api::{CouponId, CouponList, CouponStatus, CouponsQuery, ReadConsistency};
use coupon_client::HttpCouponClient;

use crate::exit::Done;
use crate::lookup::consistency;
use crate::output::Output;
use crate::render;

/// Pages fetched by `list --all` at most: a page examines at most 5,000 coupons, so 10,000 pages
/// cover fifty million; the bound keeps a loop from running forever.
const LISTING_PAGES_MAX: u32 = 10_000;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only coupons in this status now: active, inactive, not_started, expired or exhausted.
    #[arg(long, value_parser = parse_status)]
    status: Option<CouponStatus>,
    /// Only coupons whose code starts with this (any case).
    #[arg(long, value_name = "PREFIX")]
    code_prefix: Option<String>,
    /// Only coupons created after this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    created_after: Option<DateTime<Utc>>,
    /// Start after this coupon id (the previous page's `next_after`).
    #[arg(long, value_name = "COUPON_ID")]
    after: Option<u64>,
    /// Page size (1 to 500; default 50).
    #[arg(long)]
    limit: Option<u32>,
    /// Fetch every page and print them as one.
    #[arg(long, conflicts_with = "after")]
    all: bool,
    /// Read this node's possibly stale state instead of a linearizable read.
    #[arg(long)]
    local: bool,
}

impl ListArgs {
    pub async fn run(self, client: &HttpCouponClient, output: Output) -> anyhow::Result<Done> {
        let mut query = CouponsQuery {
            status: self.status,
            code_prefix: self.code_prefix.clone(),
            created_after: self.created_after,
            after: self.after.map(CouponId),
            limit: self.limit,
            consistency: Some(consistency(self.local)).filter(|c| *c == ReadConsistency::Local),
            ..CouponsQuery::default()
        };
        let mut list = client.list_coupons(&query).await.context("list coupons")?;
        let mut pages = 1;
        while self.all && list.next_after.is_some() && pages < LISTING_PAGES_MAX {
            query.after = list.next_after;
            let next = client.list_coupons(&query).await.context("list coupons")?;
            list = CouponList {
                coupons: list.coupons.into_iter().chain(next.coupons).collect(),
                next_after: next.next_after,
            };
            pages += 1;
        }
        output.emit(&list, || render::coupon_list(&list));
        Ok(Done::Success)
    }
}

/// A status as the API writes it.
fn parse_status(text: &str) -> Result<CouponStatus, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|_| {
        format!("{text:?} is not one of active, inactive, not_started, expired, exhausted")
    })
}
