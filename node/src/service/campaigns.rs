//! The campaign operations: create one, give it codes (an import), read it, and read its codes
//! page by page for an export.

use coupon_client::api::{CreateCampaignRequest, GenerateCodesRequest, ReadConsistency};
use raft_store::command::Command;
use raft_store::domain::{Campaign, CampaignId, CodeJob, Coupon, CouponCode, JobId};
use raft_store::idempotency::IdempotencyKey;

use super::{Caller, CouponService, ServiceError, WriteResult};
use crate::convert;

/// Patterns (each listed once, however many jobs used it) a miss by code is checked against.
const PATTERNS_CHECKED_MAX: usize = 1000;

impl CouponService {
    #[tracing::instrument(skip_all)]
    pub async fn create_campaign(
        &self,
        caller: &Caller,
        key: Option<IdempotencyKey>,
        request: &CreateCampaignRequest,
    ) -> WriteResult {
        let command = || Ok(Command::CreateCampaign(convert::new_campaign(request, self.now())?));
        self.write(caller, key, "POST /campaigns", request, command).await
    }

    /// Gives `codes` to the campaign: all, or none when any is taken (the outcome names them).
    #[tracing::instrument(skip_all)]
    pub async fn import_codes(
        &self,
        campaign_id: CampaignId,
        caller: &Caller,
        key: Option<IdempotencyKey>,
        codes: Vec<CouponCode>,
    ) -> WriteResult {
        let route = format!("POST /campaigns/{}/codes/import", campaign_id.0);
        let fingerprinted: Vec<&str> = codes.iter().map(CouponCode::as_str).collect();
        let body = serde_json::to_value(&fingerprinted)?;
        let command = || Ok(Command::AddCampaignCodes { campaign_id, codes });
        self.write(caller, key, &route, &body, command).await
    }

    /// Starts a job generating codes for the campaign; the seed is drawn here, never in apply.
    #[tracing::instrument(skip_all)]
    pub async fn start_code_job(
        &self,
        campaign_id: CampaignId,
        caller: &Caller,
        key: Option<IdempotencyKey>,
        request: &GenerateCodesRequest,
    ) -> WriteResult {
        let route = format!("POST /campaigns/{}/codes", campaign_id.0);
        let command = || {
            let mut seed = [0u8; 16];
            crate::entropy::fill(&mut seed);
            convert::code_job_command(campaign_id, request, seed)
        };
        self.write(caller, key, &route, request, command).await
    }

    /// Whether `code` (which names no coupon) has the shape of a generation job's codes but a
    /// wrong check character. Read from this node's state: jobs' patterns never change.
    pub fn is_mistyped(&self, code: &CouponCode) -> Result<bool, ServiceError> {
        let patterns = self.state().read(|state| state.code_patterns(PATTERNS_CHECKED_MAX))?;
        Ok(patterns.iter().any(|pattern| pattern.is_mistyped(code)))
    }

    /// The job, if it is one of the campaign's.
    pub async fn code_job(
        &self,
        campaign_id: CampaignId,
        job_id: JobId,
        consistency: ReadConsistency,
    ) -> Result<Option<CodeJob>, ServiceError> {
        let job = self.read(consistency, |state| state.code_job(job_id)).await?;
        Ok(job.filter(|job| job.campaign_id == campaign_id))
    }

    pub async fn campaign(
        &self,
        id: CampaignId,
        consistency: ReadConsistency,
    ) -> Result<Option<Campaign>, ServiceError> {
        self.read(consistency, |state| state.campaign(id)).await
    }

    /// One page of the campaign's codes after `after` (coupon ids), read at `consistency`.
    pub async fn campaign_code_page(
        &self,
        id: CampaignId,
        after: Option<raft_store::domain::CouponId>,
        limit: usize,
        consistency: ReadConsistency,
    ) -> Result<Vec<Coupon>, ServiceError> {
        self.read(consistency, |state| {
            let mut coupons = Vec::new();
            for coupon_id in state.campaign_codes(id, after, limit)? {
                coupons.extend(state.coupon(coupon_id)?);
            }
            Ok(coupons)
        })
        .await
    }
}
