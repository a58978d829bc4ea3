//! The catalogue listing: `GET /coupons` without `code`, by status, prefix and creation time,
//! paged by `next_after`.

use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use crate::support::http::{coupon_body, create_coupon, get, post_json, redeem_body};
use crate::support::in_process::InProcessCluster;
use crate::support::ONE_CLUSTER_AT_A_TIME;

/// Every coupon id of the listing `query`, following `next_after` with pages of `limit`.
async fn listed(api: &str, query: &str, limit: u32) -> Vec<u64> {
    let mut ids = Vec::new();
    let mut after = String::new();
    for _ in 0..100 {
        let reply = get(api, &format!("/coupons?limit={limit}{query}{after}")).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.body);
        let coupons = reply.body["coupons"].as_array().expect("a page").clone();
        assert!(coupons.len() <= limit as usize);
        ids.extend(coupons.iter().map(|coupon| coupon["id"].as_u64().unwrap()));
        match reply.body["next_after"].as_u64() {
            Some(next) => after = format!("&after={next}"),
            None => return ids,
        }
    }
    panic!("the listing {query} never ended");
}

/// Goal: each filter shows exactly the coupons it names, oldest first, across pages. Steps: one
/// node; coupons that are active (two, one prefixed), inactive, exhausted, not started and expired
/// (its expiry passes during the test); list everything with pages of 2, then each status, a
/// prefix and a creation time; a lookup by code still answers one coupon, and bad parameters 422.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listing_filters_by_status_prefix_and_time_and_pages() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = &cluster.nodes[0].api_addr;
    let active = create_coupon(api, &coupon_body("LIST-ACTIVE", 5)).await;
    let inactive = create_coupon(api, &coupon_body("LIST-INACTIVE", 5)).await;
    let deactivate =
        crate::support::http::client().post(format!("http://{api}/coupons/{inactive}/deactivate"));
    assert_eq!(crate::support::http::send(deactivate).await.status, 200);
    let exhausted = create_coupon(api, &coupon_body("LIST-EXHAUSTED", 1)).await;
    let redeem =
        post_json(api, &format!("/coupons/{exhausted}/redeem"), &redeem_body("u", None), None)
            .await;
    assert_eq!(redeem.status, 201);
    let mut later = coupon_body("LIST-LATER", 5);
    later["starts_at"] = Value::from((Utc::now() + chrono::Duration::days(1)).to_rfc3339());
    let not_started = create_coupon(api, &later).await;
    let mut soon = coupon_body("LIST-SOON", 5);
    soon["expires_at"] =
        Value::from((Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339());
    let expired = create_coupon(api, &soon).await;
    let cutoff = Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let other = create_coupon(api, &coupon_body("OTHER-ACTIVE", 5)).await;
    tokio::time::sleep(Duration::from_millis(1600)).await;

    let all = [active, inactive, exhausted, not_started, expired, other];
    assert_eq!(listed(api, "", 2).await, all);
    assert_eq!(listed(api, "&status=active", 1).await, [active, other]);
    assert_eq!(listed(api, "&status=inactive", 50).await, [inactive]);
    assert_eq!(listed(api, "&status=exhausted", 50).await, [exhausted]);
    assert_eq!(listed(api, "&status=not_started", 50).await, [not_started]);
    assert_eq!(listed(api, "&status=expired", 50).await, [expired]);
    assert_eq!(
        listed(api, "&code_prefix=list-", 3).await,
        [active, inactive, exhausted, not_started, expired]
    );
    let since = cutoff.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert_eq!(
        listed(api, &format!("&created_after={}", since.replace('+', "%2B")), 50).await,
        [other]
    );
    assert_eq!(listed(api, &format!("&after={}", u64::MAX), 50).await, Vec::<u64>::new());

    let one = get(api, "/coupons?code=list-active").await;
    assert_eq!((one.status, one.body["id"].as_u64()), (200, Some(active)));
    for bad in [
        "status=gone",
        "limit=0",
        "limit=501",
        "code=LIST-ACTIVE&status=active",
        "code_prefix=a%20b",
        "campaign=1",
    ] {
        let reply = get(api, &format!("/coupons?{bad}")).await;
        assert_eq!((reply.status, reply.code()), (422, "invalid_request"), "{bad}: {}", reply.body);
    }
}
