//! Rendering what apply decided as an HTTP response: the success body and status of each
//! command, the contract's code for each refusal, and `Idempotent-Replayed` on replays.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use coupon_client::api::{header, ImportedCodes, RedeemResponse};
use raft_store::domain::{CampaignId, CouponId, HoldId, KeyId, RedeemRejection, RedemptionId};
use raft_store::outcome::{AppliedOutcome, Outcome, Rejection};

use raft_store::limits::KEYS_MAX;

use super::ApiError;
use crate::convert;

/// What a request was about, for the `detail` of a refusal.
#[derive(Clone, Debug)]
pub enum Subject {
    NewCoupon,
    Coupon(CouponId),
    Redemption(RedemptionId),
    NewKey,
    Key(KeyId),
    Hold(HoldId),
    NewCampaign,
    Campaign(CampaignId),
}

pub fn render(applied: AppliedOutcome, subject: Subject) -> Response {
    let mut http = match applied.outcome {
        Outcome::Created(coupon) => {
            created_at(&format!("/coupons/{}", coupon.id), convert::coupon(&coupon))
        }
        Outcome::Redeemed { redemption, coupon, .. } => {
            let body = RedeemResponse {
                redemption: convert::redemption(&redemption),
                coupon: convert::coupon(&coupon),
            };
            (StatusCode::CREATED, Json(body)).into_response()
        }
        Outcome::RolledBack { redemption, .. } => {
            Json(convert::redemption(&redemption)).into_response()
        }
        Outcome::Updated(coupon) => Json(convert::coupon(&coupon)).into_response(),
        Outcome::AlertDeliveryConfirmed | Outcome::MembershipNoted => {
            StatusCode::NO_CONTENT.into_response()
        }
        // A replayed creation: the secret was shown once, with the first answer.
        Outcome::KeyCreated(key) => {
            (StatusCode::CREATED, Json(convert::api_key(&key))).into_response()
        }
        Outcome::KeyRevoked(key) => Json(convert::api_key(&key)).into_response(),
        Outcome::HoldPlaced { hold, .. } => {
            created_at(&format!("/holds/{}", hold.id), convert::hold(&hold))
        }
        Outcome::HoldReleased { hold, .. } => Json(convert::hold(&hold)).into_response(),
        Outcome::CampaignCreated(campaign) => {
            created_at(&format!("/campaigns/{}", campaign.id), convert::campaign(&campaign))
        }
        Outcome::CampaignCodesAdded { first, count, .. } => {
            let body = ImportedCodes {
                added: u64::from(count),
                first_coupon_id: coupon_client::api::CouponId(first.0),
            };
            (StatusCode::CREATED, Json(body)).into_response()
        }
        Outcome::CodeJob(job) => {
            let location = format!("/campaigns/{}/jobs/{}", job.campaign_id, job.id);
            let mut accepted = created_at(&location, convert::code_job(&job));
            *accepted.status_mut() = StatusCode::ACCEPTED;
            accepted
        }
        // The handler names the taken lines; only a replay of a refused import gets here.
        Outcome::CampaignCodesTaken { positions } => ApiError::new(
            coupon_client::api::ErrorCode::CodesTaken,
            format!("{} of the codes exist already; none was added", positions.len()),
        )
        .into_response(),
        Outcome::Rejected(rejection) => {
            ApiError::rejected(rejection, detail(rejection, subject)).into_response()
        }
    };
    if applied.replayed {
        http.headers_mut().insert(header::IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    http
}

/// 201 with `body` and the new resource's `Location`.
fn created_at(location: &str, body: impl serde::Serialize) -> Response {
    let mut created = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(location) = HeaderValue::from_str(location) {
        created.headers_mut().insert(header::LOCATION, location);
    }
    created
}

fn detail(rejection: Rejection, subject: Subject) -> String {
    let what = match subject {
        Subject::NewCoupon => "the new coupon".to_owned(),
        Subject::Coupon(id) => format!("coupon {id}"),
        Subject::Redemption(id) => format!("redemption {id}"),
        Subject::NewKey => "the new key".to_owned(),
        Subject::Key(id) => format!("key {id}"),
        Subject::Hold(id) => format!("hold {id}"),
        Subject::NewCampaign => "the new campaign".to_owned(),
        Subject::Campaign(id) => format!("campaign {id}"),
    };
    match rejection {
        Rejection::CouponNotFound => format!("{what} does not exist"),
        Rejection::CodeAlreadyExists => "a coupon with this code already exists".to_owned(),
        Rejection::RedemptionNotFound => format!("{what} does not exist"),
        Rejection::AlreadyRolledBack => format!("{what} was already rolled back"),
        Rejection::IdempotencyKeyReused => {
            "this Idempotency-Key was used for a different request".to_owned()
        }
        Rejection::Redeem(reason) => format!("{what} {}", redeem_detail(reason)),
        Rejection::KeyNotFound => format!("{what} does not exist"),
        Rejection::KeyAlreadyExists => "a key with this id or secret exists already".to_owned(),
        Rejection::UsageLimitBelowUsed => {
            format!("{what} has more uses taken than the new usage_limit")
        }
        Rejection::PerUserLimitAfterRedemptions => format!(
            "{what} has live redemptions: its per-user limit can be changed, not added or removed"
        ),
        Rejection::TooManyKeys => {
            format!("the cluster holds {KEYS_MAX} keys, revoked ones included")
        }
        Rejection::InvalidCommand => "the request is outside the bounds of the state".to_owned(),
        Rejection::HoldNotFound | Rejection::CampaignNotFound => format!("{what} does not exist"),
        Rejection::JobNotFound => "the job does not exist".to_owned(),
        Rejection::PatternTooSmall => {
            "the pattern cannot hold that many more codes while staying half free: ask for a \
             longer length or another prefix"
                .to_owned()
        }
        Rejection::HoldExpired => format!("{what} expired: its use went back"),
        Rejection::HoldReleased => format!("{what} was released: its use went back"),
        Rejection::HoldConfirmed => {
            format!("{what} was confirmed: roll its redemption back to give the use back")
        }
    }
}

fn redeem_detail(reason: RedeemRejection) -> &'static str {
    match reason {
        RedeemRejection::Inactive => "is inactive",
        RedeemRejection::NotStarted => "is not valid yet",
        RedeemRejection::Expired => "has expired",
        RedeemRejection::UsageLimitReached => "has no uses left",
        RedeemRejection::CampaignBudgetReached => "belongs to a campaign whose budget is used up",
        RedeemRejection::PerUserLimitReached => "has no uses left for this user",
        RedeemRejection::OrderAlreadyRedeemed => "was already redeemed for this order",
        RedeemRejection::CurrencyMismatch => "is in another currency than the order",
        RedeemRejection::MinOrderNotMet => "needs a larger order amount",
    }
}
