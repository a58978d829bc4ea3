//! `coupon get` and `coupon history`: reads.

use anyhow::Context as _;
use clap::Args;
use coupon_client::api::{HistoryPage, HistoryQuery, ReadConsistency, RedemptionId};
use coupon_client::HttpCouponClient;

use crate::coupon_ref::CouponRef;
use crate::exit::Done;
use crate::output::Output;
use crate::render;

/// Pages fetched by `history --all` at most: 10,000 pages of 500 is five million redemptions,
/// far beyond a coupon a person pages through; the bound keeps a loop from running forever.
const HISTORY_PAGES_MAX: u32 = 10_000;

#[derive(Debug, Args)]
pub struct GetArgs {
    /// Coupon id, or code.
    coupon: CouponRef,
    /// Read this node's possibly stale state instead of a linearizable read.
    #[arg(long)]
    local: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Coupon id, or code.
    coupon: CouponRef,
    /// Start after this redemption id (the previous page's `next_after`).
    #[arg(long, value_name = "REDEMPTION_ID")]
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

pub fn consistency(local: bool) -> ReadConsistency {
    if local {
        ReadConsistency::Local
    } else {
        ReadConsistency::Linearizable
    }
}

impl GetArgs {
    pub async fn run(self, client: &HttpCouponClient, output: Output) -> anyhow::Result<Done> {
        let consistency = consistency(self.local);
        let coupon = match &self.coupon {
            CouponRef::Id(id) => client.get_coupon(*id, consistency).await,
            CouponRef::Code(code) => client.get_coupon_by_code(code, consistency).await,
        }
        .with_context(|| format!("get coupon {}", describe(&self.coupon)))?;
        output.emit(&coupon, || render::coupon(&coupon));
        Ok(Done::Success)
    }
}

impl HistoryArgs {
    pub async fn run(self, client: &HttpCouponClient, output: Output) -> anyhow::Result<Done> {
        let id = self.coupon.resolve(client).await.context("find the coupon")?;
        let mut query = HistoryQuery {
            after: self.after.map(RedemptionId),
            limit: self.limit,
            consistency: Some(consistency(self.local)).filter(|c| *c == ReadConsistency::Local),
        };
        let mut page = client.history(id, &query).await.context("history")?;
        let mut pages = 1;
        while self.all && page.next_after.is_some() && pages < HISTORY_PAGES_MAX {
            query.after = page.next_after;
            let next = client.history(id, &query).await.context("history")?;
            page = HistoryPage {
                redemptions: page.redemptions.into_iter().chain(next.redemptions).collect(),
                next_after: next.next_after,
            };
            pages += 1;
        }
        output.emit(&page, || render::history(&page));
        Ok(Done::Success)
    }
}

fn describe(coupon: &CouponRef) -> String {
    match coupon {
        CouponRef::Id(id) => id.to_string(),
        CouponRef::Code(code) => format!("with code {code}"),
    }
}
