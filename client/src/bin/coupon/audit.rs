//! `coupon audit list|verify`: the audit trail, and a check of its hash chain.

use anyhow::Context as _;
use clap::Subcommand;
use coupon_client::api::audit::verify_chain;
use coupon_client::api::AuditQuery;
use coupon_client::HttpCouponClient;

use crate::exit::Done;
use crate::output::Output;

/// Records fetched per page.
const PAGE: u32 = 500;
/// Pages `verify` reads at most (5,000,000 records), so that it ends on any trail.
const PAGES_MAX: usize = 10_000;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// The trail, oldest first, one record per line.
    List,
    /// Reads the whole trail and recomputes its hash chain; exits 1 naming the first record
    /// where it breaks (a record removed, inserted or altered).
    Verify,
}

impl AuditCommand {
    pub async fn run(self, client: &HttpCouponClient, output: Output) -> anyhow::Result<Done> {
        let records = whole_trail(client).await?;
        match self {
            Self::List => {
                for record in &records {
                    output.print_json(record);
                }
                Ok(Done::Success)
            }
            Self::Verify => match verify_chain(&records) {
                Ok(count) => {
                    output.emit(&serde_json::json!({"verified": count}), || {
                        format!("the chain of {count} records is intact")
                    });
                    Ok(Done::Success)
                }
                Err(broken) => anyhow::bail!("the audit chain is broken: {broken}"),
            },
        }
    }
}

async fn whole_trail(client: &HttpCouponClient) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut records = Vec::new();
    let mut after = None;
    for _ in 0..PAGES_MAX {
        let query = AuditQuery { after, limit: Some(PAGE), consistency: None };
        let (page, next) = client.audit_page(&query).await.context("read the audit trail")?;
        records.extend(page);
        match next {
            Some(next) => after = Some(next),
            None => return Ok(records),
        }
    }
    anyhow::bail!("the audit trail has more than {} records", PAGES_MAX * PAGE as usize)
}
