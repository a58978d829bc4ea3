//! The storefront routes by code: the id forms' answers, idempotency and race, for a code as a
//! shopper types it.

use futures::future::join_all;
use serde_json::json;

use crate::support::http::{client, coupon_body, create_coupon, get, post_json, redeem_body, send};
use crate::support::in_process::InProcessCluster;
use crate::support::ONE_CLUSTER_AT_A_TIME;

/// Goal: `/codes/{code}/...` behaves exactly as `/coupons/{id}/...`. Steps: three nodes; a coupon
/// with code SPRING-26; validate by code in another case and by id on a follower (same answer);
/// redeem by code with a key (201), then the same key by id (the stored answer, replayed); an
/// unknown code is 404 `coupon_not_found` for both routes, a malformed one 422.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_by_code_answer_as_the_id_routes() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(3, &[]).await;
    let apis = cluster.api_addrs();
    let id = create_coupon(&apis[0], &coupon_body("SPRING-26", 5)).await;

    let by_code =
        get(&apis[1], "/codes/spring-26/validate?user_id=u-1&order_amount=40.00&currency=EUR")
            .await;
    let by_id = get(
        &apis[2],
        &format!("/coupons/{id}/validate?user_id=u-1&order_amount=40.00&currency=EUR"),
    )
    .await;
    assert_eq!(by_code.status, 200, "{}", by_code.body);
    assert_eq!(by_code.body, by_id.body);

    let redeemed = post_json(
        &apis[1],
        "/codes/Spring-26/redeem",
        &redeem_body("u-1", Some("o-1")),
        Some("k-code-1"),
    )
    .await;
    assert_eq!(redeemed.status, 201, "{}", redeemed.body);
    assert_eq!(redeemed.body["coupon"]["id"], id);
    let replayed = post_json(
        &apis[2],
        &format!("/coupons/{id}/redeem"),
        &redeem_body("u-1", Some("o-1")),
        Some("k-code-1"),
    )
    .await;
    assert_eq!(replayed.status, 201, "{}", replayed.body);
    assert_eq!(replayed.headers["idempotent-replayed"], "true");
    assert_eq!(replayed.body, redeemed.body, "one write, whichever form named the coupon");

    for reply in [
        get(&apis[0], "/codes/NO-SUCH-CODE/validate").await,
        post_json(&apis[0], "/codes/NO-SUCH-CODE/redeem", &redeem_body("u-1", None), None).await,
    ] {
        assert_eq!((reply.status, reply.code()), (404, "coupon_not_found"), "{}", reply.body);
        assert!(reply.is_problem());
    }
    let malformed = get(&apis[0], "/codes/a%20b/validate").await;
    assert_eq!(
        (malformed.status, malformed.code()),
        (422, "invalid_request"),
        "{}",
        malformed.body
    );
}

/// Goal: redeems by code race as redeems by id do: exactly `usage_limit` granted. Steps: three
/// nodes; a coupon of 20 uses; 120 redeems by code at once, spread over the nodes, each its own
/// user and key; exactly 20 are 201 and the rest 409 `usage_limit_reached`; the coupon says 20.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_redeems_by_code_grant_exactly_the_limit() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(3, &[]).await;
    let apis = cluster.api_addrs();
    let id = create_coupon(&apis[0], &coupon_body("RACE-BY-CODE", 20)).await;
    let redeems = (0..120).map(|n| {
        let url = format!("http://{}/codes/race-by-code/redeem", apis[n % 3]);
        let request = client().post(url).header("Idempotency-Key", format!("race-{n}"));
        send(request.json(
            &json!({"user_id": format!("u-{n}"), "order_amount": "10.00", "currency": "EUR"}),
        ))
    });
    let replies = join_all(redeems).await;
    let granted = replies.iter().filter(|reply| reply.status == 201).count();
    let refused = replies.iter().filter(|reply| reply.code() == "usage_limit_reached").count();
    assert_eq!((granted, refused), (20, 100));
    let coupon = get(&apis[1], &format!("/coupons/{id}")).await;
    assert_eq!(coupon.body["times_redeemed"], 20);
}
