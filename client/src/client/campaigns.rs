//! Campaign endpoints of [`CouponClient`]: create, read, generate codes (a job), import, export.

use http::Method;

use super::call::Call;
use super::coupons::explicit;
use super::node_set::Route;
use super::{CouponClient, WriteReply};
use crate::api::{
    Campaign, CampaignId, CodeJob, CreateCampaignRequest, GenerateCodesRequest, IdempotencyKey,
    ImportedCodes, JobId, ReadConsistency, ReadQuery,
};
use crate::error::Result;
use crate::transport::Exchange;

impl<E: Exchange> CouponClient<E> {
    /// `POST /campaigns` deduplicated by the caller's `key`.
    pub async fn create_campaign_with_key(
        &self,
        request: &CreateCampaignRequest,
        key: IdempotencyKey,
    ) -> Result<WriteReply<Campaign>> {
        let call = Call::with_body(Method::POST, "/campaigns".into(), request, Route::Leader)?;
        self.write(call, key).await
    }

    /// `GET /campaigns/{id}`.
    pub async fn get_campaign(
        &self,
        id: CampaignId,
        consistency: ReadConsistency,
    ) -> Result<Campaign> {
        let query = ReadQuery { consistency: explicit(consistency) };
        let call = Call::get(format!("/campaigns/{id}"), &query, Route::Any)?;
        self.execute(&call).await?.decode()
    }

    /// `POST /campaigns/{id}/codes`: starts a job; follow it with [`Self::get_code_job`].
    pub async fn generate_codes_with_key(
        &self,
        id: CampaignId,
        request: &GenerateCodesRequest,
        key: IdempotencyKey,
    ) -> Result<WriteReply<CodeJob>> {
        let path = format!("/campaigns/{id}/codes");
        let call = Call::with_body(Method::POST, path, request, Route::Leader)?;
        self.write(call, key).await
    }

    /// `GET /campaigns/{id}/jobs/{job}`.
    pub async fn get_code_job(&self, id: CampaignId, job: JobId) -> Result<CodeJob> {
        let query = ReadQuery { consistency: None };
        let call = Call::get(format!("/campaigns/{id}/jobs/{job}"), &query, Route::Any)?;
        self.execute(&call).await?.decode()
    }

    /// `POST /campaigns/{id}/codes/import` with `codes` as a JSON array: all of them, or none
    /// (an `Api` error `codes_taken` naming the taken ones by index).
    pub async fn import_codes_with_key(
        &self,
        id: CampaignId,
        codes: &[String],
        key: IdempotencyKey,
    ) -> Result<WriteReply<ImportedCodes>> {
        let path = format!("/campaigns/{id}/codes/import");
        let call = Call::with_body(Method::POST, path, &codes, Route::Leader)?;
        self.write(call, key).await
    }

    /// `GET /campaigns/{id}/codes/export`: the CSV text (the server streams it; this reads it
    /// whole).
    pub async fn export_codes(&self, id: CampaignId) -> Result<String> {
        let query = ReadQuery { consistency: None };
        let call = Call::get(format!("/campaigns/{id}/codes/export"), &query, Route::Any)?;
        let answer = self.execute(&call).await?;
        Ok(String::from_utf8_lossy(&answer.body).into_owned())
    }
}
