//! Campaigns: one set of rules behind many codes, imported and exported; a budget across all of
//! them that no race exceeds.

use futures::future::join_all;
use serde_json::{json, Value};

use crate::support::cpu_throttle::CpuThrottle;
use crate::support::http::{client, get, post_json, send};
use crate::support::in_process::InProcessCluster;
use crate::support::processes::ProcessCluster;
use crate::support::ONE_CLUSTER_AT_A_TIME;

fn campaign_body(budget: u64, per_code: u64) -> Value {
    let expires_at = chrono::Utc::now() + chrono::Duration::days(30);
    json!({
        "name": "winter", "discount": {"type": "percentage", "value": "10"},
        "expires_at": expires_at, "usage_limit_per_code": per_code,
        "budget": {"redemptions": budget}
    })
}

async fn create_campaign(api: &str, body: &Value) -> u64 {
    let reply = post_json(api, "/campaigns", body, None).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["id"].as_u64().expect("a campaign id")
}

async fn import(api: &str, id: u64, content_type: &str, body: &str) -> crate::support::http::Reply {
    let url = format!("http://{api}/campaigns/{id}/codes/import");
    send(client().post(url).header("content-type", content_type).body(body.to_owned())).await
}

/// Goal: a campaign's routes and refusals. Steps: one node; create a campaign (201, `Location`);
/// import 4 codes as CSV (201, consecutive ids); import a JSON array where one code is taken
/// (409 `codes_taken` naming it, nothing added); bad lines 422 naming each; another media type
/// 415; the campaign counts 4 codes; the listing by `campaign_id` and the export show exactly
/// them; an unknown campaign is 404 everywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_routes_answer_as_the_contract_says() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = &cluster.nodes[0].api_addr;
    let created = post_json(api, "/campaigns", &campaign_body(10, 2), None).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_u64().unwrap();
    assert_eq!(created.headers["location"], format!("/campaigns/{id}"));
    assert_eq!(created.body["budget_remaining"], 10);

    let imported = import(api, id, "text/csv", "W-1\nw-2\n\nW-3,note\nW-4\n").await;
    assert_eq!(imported.status, 201, "{}", imported.body);
    let first = imported.body["first_coupon_id"].as_u64().unwrap();
    assert_eq!(imported.body["added"], 4);
    let taken = import(api, id, "application/json", r#"["W-5", "w-3", "W-6"]"#).await;
    assert_eq!((taken.status, taken.code()), (409, "codes_taken"), "{}", taken.body);
    assert_eq!(taken.body["errors"][0]["field"], "codes[1]");
    let bad = import(api, id, "text/csv", "W-7\nw 8\nW-7\n").await;
    assert_eq!((bad.status, bad.code()), (422, "invalid_request"), "{}", bad.body);
    let fields: Vec<&str> =
        bad.body["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["line 2", "line 3"]);
    let wrong_type = import(api, id, "text/plain", "W-9").await;
    assert_eq!((wrong_type.status, wrong_type.code()), (415, "unsupported_media_type"));

    let campaign = get(api, &format!("/campaigns/{id}")).await;
    assert_eq!(campaign.body["codes"], 4, "{}", campaign.body);
    let listed = get(api, &format!("/coupons?campaign_id={id}&limit=10")).await;
    let ids: Vec<u64> = listed.body["coupons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|coupon| coupon["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (first..first + 4).collect::<Vec<_>>(), "{}", listed.body);
    assert_eq!(listed.body["coupons"][0]["campaign_id"], id);

    let export =
        client().get(format!("http://{api}/campaigns/{id}/codes/export")).send().await.unwrap();
    assert_eq!(export.status(), 200);
    assert!(export.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = export.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].starts_with("code,"));
    let codes: Vec<&str> = lines[1..].iter().map(|line| line.split(',').next().unwrap()).collect();
    assert_eq!(codes, ["W-1", "W-2", "W-3", "W-4"]);

    for reply in [
        get(api, "/campaigns/999").await,
        get(api, "/campaigns/999/codes/export").await,
        import(api, 999, "text/csv", "Z-1").await,
    ] {
        assert_eq!((reply.status, reply.code()), (404, "campaign_not_found"), "{}", reply.body);
    }
    let invalid = post_json(api, "/campaigns", &json!({"name": "", "discount": {"type": "percentage", "value": "0"}, "expires_at": "2020-01-01T00:00:00Z", "usage_limit_per_code": 0}), None).await;
    assert_eq!((invalid.status, invalid.code()), (422, "invalid_request"), "{}", invalid.body);
    let invalid_fields: Vec<&str> = invalid.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    for field in ["name", "discount.value", "expires_at", "usage_limit_per_code"] {
        assert!(invalid_fields.contains(&field), "{field} in {invalid_fields:?}");
    }
}

/// Goal: a campaign's budget holds under a race across its codes, counted in the same apply as
/// each code's own limit. Steps: three nodes; a budget of 30 over 20 codes of 5 uses each (100
/// in all); 200 redeems at once over random codes and nodes; exactly 30 are granted, every other
/// is 409 `campaign_budget_reached` or `usage_limit_reached`; the campaign counts 30, and the
/// codes' own counts add up to 30.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_redeems_never_exceed_the_campaign_budget() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(3, &["--rate-limit-per-second", "0"]).await;
    let apis = cluster.api_addrs();
    let id = create_campaign(&apis[0], &campaign_body(30, 5)).await;
    let codes: Vec<String> = (0..20).map(|n| format!("RACE-{n}")).collect();
    let imported = import(&apis[0], id, "text/csv", &codes.join("\n")).await;
    assert_eq!(imported.status, 201, "{}", imported.body);
    let redeems = (0..200).map(|n| {
        let url = format!("http://{}/codes/{}/redeem", apis[n % 3], codes[(n * 7) % 20]);
        let request = client().post(url).header("Idempotency-Key", format!("budget-{n}"));
        send(request.json(&json!({"user_id": format!("u-{n}")})))
    });
    let replies = join_all(redeems).await;
    let granted = replies.iter().filter(|reply| reply.status == 201).count();
    for reply in replies.iter().filter(|reply| reply.status != 201) {
        assert!(
            matches!(reply.code(), "campaign_budget_reached" | "usage_limit_reached"),
            "{} {}",
            reply.status,
            reply.body
        );
    }
    assert_eq!(granted, 30);
    let campaign = get(&apis[1], &format!("/campaigns/{id}")).await;
    assert_eq!(
        (campaign.body["times_redeemed"].as_u64(), campaign.body["budget_remaining"].as_u64()),
        (Some(30), Some(0))
    );
    let listed = get(&apis[2], &format!("/coupons?campaign_id={id}&limit=50")).await;
    let used: u64 = listed.body["coupons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|coupon| coupon["times_redeemed"].as_u64().unwrap())
        .sum();
    assert_eq!(used, 30);
}

/// Goal: codes generated on the server, as a job. Steps: three nodes; a campaign; a job of 2,500
/// codes with a prefix (202, `Location`); follow it to `done` on a follower; the campaign has
/// 2,500 codes, the export 2,500 distinct lines with the prefix; a generated code redeems by code;
/// the same code with one character changed is 404 `code_mistyped`, a code of another shape
/// `coupon_not_found`; a pattern too small for the count is 422 `code_pattern_too_small`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_generates_unique_checked_codes() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(3, &[]).await;
    let apis = cluster.api_addrs();
    let id = create_campaign(&apis[0], &campaign_body(100, 1)).await;
    let body = json!({"count": 2500, "prefix": "gen-", "length": 8});
    let started = post_json(&apis[1], &format!("/campaigns/{id}/codes"), &body, None).await;
    assert_eq!(started.status, 202, "{}", started.body);
    let location = started.headers["location"].to_str().unwrap().to_owned();
    let mut job = started.body;
    for _ in 0..120 {
        if job["state"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        job = get(&apis[2], &location).await.body;
    }
    assert_eq!(
        (job["state"].as_str(), job["created"].as_u64()),
        (Some("done"), Some(2500)),
        "{job}"
    );
    let campaign = get(&apis[0], &format!("/campaigns/{id}")).await;
    assert_eq!(campaign.body["codes"], 2500);

    let export =
        client().get(format!("http://{}/campaigns/{id}/codes/export", apis[2])).send().await;
    let text = export.unwrap().text().await.unwrap();
    let codes: Vec<&str> =
        text.lines().skip(1).map(|line| line.split(',').next().unwrap()).collect();
    let distinct: std::collections::BTreeSet<&str> = codes.iter().copied().collect();
    assert_eq!((codes.len(), distinct.len()), (2500, 2500));
    assert!(codes.iter().all(|code| code.starts_with("GEN-") && code.len() == 12));

    let code = codes[0];
    let redeemed = post_json(
        &apis[0],
        &format!("/codes/{}/redeem", code.to_lowercase()),
        &json!({"user_id": "u-1"}),
        None,
    )
    .await;
    assert_eq!(redeemed.status, 201, "{}", redeemed.body);
    let mut typo = code.as_bytes().to_vec();
    typo[5] = if typo[5] == b'A' { b'B' } else { b'A' };
    let typo = String::from_utf8(typo).unwrap();
    let mistyped = get(&apis[1], &format!("/codes/{typo}/validate")).await;
    assert_eq!((mistyped.status, mistyped.code()), (404, "code_mistyped"), "{}", mistyped.body);
    let unknown = get(&apis[1], "/codes/OTHER-SHAPE/validate").await;
    assert_eq!(unknown.code(), "coupon_not_found");

    let too_many = json!({"count": 1_000_000, "prefix": "gen-", "length": 6});
    for _ in 0..16 {
        let admitted =
            post_json(&apis[0], &format!("/campaigns/{id}/codes"), &too_many, None).await;
        if admitted.status != 202 {
            assert_eq!(
                (admitted.status, admitted.code()),
                (422, "code_pattern_too_small"),
                "{}",
                admitted.body
            );
            return;
        }
    }
    let refused = post_json(&apis[0], &format!("/campaigns/{id}/codes"), &too_many, None).await;
    assert_eq!(
        (refused.status, refused.code()),
        (422, "code_pattern_too_small"),
        "{}",
        refused.body
    );
}

/// Codes of a job that `api` has applied, read locally (what that node itself holds).
async fn created_at(api: &str, location: &str) -> (u64, String) {
    let job = get(api, &format!("{location}?consistency=local")).await.body;
    (job["created"].as_u64().unwrap_or(0), job["state"].as_str().unwrap_or("").to_owned())
}

/// Goal: a code generation job goes no faster than its slowest voter applies it, so that voter
/// never falls more than the chunk in flight behind. Steps: three node processes; one follower
/// held to a fifth of a core (a cgroup); a job of six chunks on the leader; while it runs, the
/// leader's codes and then the slow follower's are read, each as applied there; the leader is
/// never more than one chunk (1,000 codes) ahead, and the job ends with every code on both.
/// Paced by the leader's own apply alone, the slow follower fell further behind every chunk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_job_waits_for_a_voter_that_applies_slowly() {
    const CHUNK: u64 = raft_store::limits::CODE_JOB_CHUNK_CODES as u64;
    const COUNT: u64 = 6 * CHUNK;
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = ProcessCluster::start(3, &[]).await;
    let apis = cluster.api_addrs();
    let leader = cluster.leader().await;
    let slow = (leader + 1) % apis.len();
    let pid = cluster.nodes[slow].pid().expect("the follower runs");
    let Some(_throttle) = CpuThrottle::hold(pid, 20) else { return };

    let id = create_campaign(&apis[leader], &campaign_body(100, 1)).await;
    let body = json!({"count": COUNT, "length": 10});
    let started = post_json(&apis[leader], &format!("/campaigns/{id}/codes"), &body, None).await;
    assert_eq!(started.status, 202, "{}", started.body);
    let location = started.headers["location"].to_str().unwrap().to_owned();
    let mut widest = 0;
    let mut ended = false;
    for _ in 0..1_200 {
        // The leader first: the follower, read after it, can only have caught up meanwhile.
        let (at_leader, state) = created_at(&apis[leader], &location).await;
        let (at_slow, _) = created_at(&apis[slow], &location).await;
        widest = widest.max(at_leader.saturating_sub(at_slow));
        if state == "done" && at_slow == COUNT {
            ended = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ended, "the job did not end on both nodes within the test's wait");
    assert!(widest <= CHUNK, "the slow voter fell {widest} codes behind the leader");
}
