//! `coupon campaign create|show|codes|import|export`: one set of rules behind many codes, with
//! the codes generated on the server (a job, followed with a progress bar), imported from a file
//! or exported as CSV.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use coupon_client::api::{
    Budget, CampaignId, CreateCampaignRequest, GenerateCodesRequest, JobState, ReadConsistency,
};
use coupon_client::HttpCouponClient;
use indicatif::{ProgressBar, ProgressStyle};

use crate::exit::Done;
use crate::generate::TermsArgs;
use crate::output::Output;

/// How often `codes` asks how far the job got.
const JOB_POLL: Duration = Duration::from_millis(500);
/// Codes one import request carries (the service's bound).
const IMPORT_CHUNK: usize = 1000;

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Create a campaign; `--usage-limit` is each code's own limit.
    Create(Box<CreateArgs>),
    /// Show a campaign and its counts.
    Show { campaign: u64 },
    /// Generate codes on the server and follow the job to its end.
    Codes(CodesArgs),
    /// Import codes from a file, one a line (the first column of a CSV), 1000 a request.
    Import { campaign: u64, file: PathBuf },
    /// Print the campaign's codes as CSV.
    Export { campaign: u64 },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[arg(long)]
    name: String,
    /// Uses across all codes (default: no budget, only each code's limit).
    #[arg(long, value_name = "USES")]
    budget: Option<u64>,
    #[command(flatten)]
    terms: TermsArgs,
}

#[derive(Debug, Args)]
pub struct CodesArgs {
    campaign: u64,
    /// How many codes, up to 1,000,000.
    #[arg(long)]
    count: u32,
    /// Every code starts with it.
    #[arg(long)]
    prefix: Option<String>,
    /// Characters after the prefix, the check character included (6 to 32; default 12).
    #[arg(long)]
    length: Option<u8>,
}

impl CampaignCommand {
    pub async fn run(self, client: &HttpCouponClient, output: Output) -> anyhow::Result<Done> {
        match self {
            Self::Create(args) => {
                let terms = args.terms.request()?;
                let request = CreateCampaignRequest {
                    name: args.name,
                    discount: terms.discount,
                    starts_at: terms.starts_at,
                    expires_at: terms.expires_at,
                    usage_limit_per_code: terms.usage_limit,
                    per_user_limit: terms.per_user_limit,
                    min_order_amount: terms.min_order_amount,
                    max_discount_amount: terms.max_discount_amount,
                    budget: args.budget.map(|redemptions| Budget { redemptions }),
                    metadata: terms.metadata,
                };
                let key = client.new_idempotency_key();
                let reply =
                    client.create_campaign_with_key(&request, key).await.context("create")?;
                let campaign = reply.value;
                output.emit(&campaign, || format!("campaign {}: {}", campaign.id, campaign.name));
            }
            Self::Show { campaign } => {
                let id = CampaignId(campaign);
                let campaign = client.get_campaign(id, ReadConsistency::Linearizable).await?;
                output.emit(&campaign, || {
                    format!(
                        "campaign {} ({}): {} codes, {} redeemed, {} held, budget left {}",
                        campaign.id,
                        campaign.name,
                        campaign.codes,
                        campaign.times_redeemed,
                        campaign.held,
                        crate::render::optional(campaign.budget_remaining)
                    )
                });
            }
            Self::Codes(args) => return generate(client, args, output).await,
            Self::Import { campaign, file } => {
                return import(client, campaign, &file, output).await
            }
            Self::Export { campaign } => {
                let csv = client.export_codes(CampaignId(campaign)).await.context("export")?;
                print!("{csv}");
            }
        }
        Ok(Done::Success)
    }
}

/// Starts the job, then follows it with a progress bar until it is done or failed.
async fn generate(
    client: &HttpCouponClient,
    args: CodesArgs,
    output: Output,
) -> anyhow::Result<Done> {
    let id = CampaignId(args.campaign);
    let request =
        GenerateCodesRequest { count: args.count, prefix: args.prefix, length: args.length };
    let key = client.new_idempotency_key();
    let mut job = client.generate_codes_with_key(id, &request, key).await.context("start")?.value;
    let bar = ProgressBar::new(u64::from(job.requested));
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} codes ({per_sec}, eta {eta})")
    {
        bar.set_style(style);
    }
    // Bounded: a job makes at least one chunk per poll while it runs, so this ends; the bound is
    // for a job that stops making progress (no leader), reported as a failure.
    let mut stalled = 0;
    while job.state == JobState::Running && stalled < 120 {
        tokio::time::sleep(JOB_POLL).await;
        let next = match client.get_code_job(id, job.id).await {
            Ok(next) => next,
            // A node busy applying the job's chunks can miss a linearizable read's deadline
            // (503): the job goes on, so the poll counts as one without progress.
            Err(error) if error.is_retryable() => {
                stalled += 1;
                continue;
            }
            Err(error) => return Err(error).context("follow the job"),
        };
        stalled = if next.created == job.created { stalled + 1 } else { 0 };
        job = next;
        bar.set_position(u64::from(job.created));
    }
    bar.finish_and_clear();
    output.emit(&job, || {
        format!("job {}: {:?}, {} of {} codes", job.id, job.state, job.created, job.requested)
    });
    match job.state {
        JobState::Done => Ok(Done::Success),
        JobState::Running => anyhow::bail!("job {} made no progress for a minute", job.id),
        JobState::Failed => anyhow::bail!("job {} failed after {} codes", job.id, job.created),
    }
}

async fn import(
    client: &HttpCouponClient,
    campaign: u64,
    file: &PathBuf,
    output: Output,
) -> anyhow::Result<Done> {
    let text = std::fs::read_to_string(file).with_context(|| format!("read {}", file.display()))?;
    let codes: Vec<String> = text
        .lines()
        .map(|line| line.split(',').next().unwrap_or_default().trim().to_owned())
        .filter(|code| !code.is_empty())
        .collect();
    let mut added = 0;
    for chunk in codes.chunks(IMPORT_CHUNK) {
        let key = client.new_idempotency_key();
        let reply = client
            .import_codes_with_key(CampaignId(campaign), chunk, key)
            .await
            .with_context(|| format!("imported {added} codes, then a request was refused"))?;
        added += reply.value.added;
    }
    output.emit(&serde_json::json!({"added": added}), || format!("imported {added} codes"));
    Ok(Done::Success)
}
