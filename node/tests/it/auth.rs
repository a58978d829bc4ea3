//! API keys and roles against real nodes: the role matrix over every documented route, the
//! bootstrap key, revocation on every node, an open node, and the audit trail (its actor and its
//! hash chain).

use raft_store::domain::{AuditAction, KeyId};
use serde_json::{json, Value};

use crate::support::http::{client, coupon_body, send, Reply};
use crate::support::in_process::InProcessCluster;
use crate::support::ONE_CLUSTER_AT_A_TIME;

const ADMIN: &str = "test-admin-key-0123456789";
const ADMIN_FLAG: &str = "--admin-key=test-admin-key-0123456789";
/// Stands for every `{id}`: no coupon, redemption, node or key has it, so no call changes anything.
const SAMPLE_ID: &str = "999999";

/// `method` on `path` at `api`, with `secret` as the bearer key when given; writes carry `{}`,
/// which every body route refuses (422) before it changes anything.
async fn call(api: &str, method: &str, path: &str, secret: Option<&str>) -> Reply {
    let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
    let mut request = client().request(method.clone(), format!("http://{api}{path}"));
    if let Some(secret) = secret {
        request = request.bearer_auth(secret);
    }
    if method == reqwest::Method::POST {
        request = request.header("content-type", "application/json").body("{}");
    }
    send(request).await
}

async fn post(api: &str, path: &str, body: &Value, secret: &str) -> Reply {
    send(client().post(format!("http://{api}{path}")).bearer_auth(secret).json(body)).await
}

async fn create_key(api: &str, role: &str) -> (String, String) {
    let reply = post(api, "/keys", &json!({"role": role, "label": role}), ADMIN).await;
    assert_eq!(reply.status, 201, "create a {role} key: {}", reply.body);
    let secret = reply.body["secret"].as_str().expect("a new key shows its secret").to_owned();
    (reply.body["id"].as_str().unwrap().to_owned(), secret)
}

/// What the contract lets `role` call (API.md's roles, written out here independently of the
/// node's own table).
fn allowed(role: &str, method: &str, template: &str) -> bool {
    match role {
        "admin" => true,
        "readonly" => method == "get",
        "storefront" => matches!(
            (method, template),
            ("get", "/coupons/{id}/validate")
                | ("post", "/coupons/{id}/redeem")
                | ("get", "/codes/{code}/validate")
                | ("post", "/codes/{code}/redeem")
                | ("post", "/coupons/{id}/holds")
                | ("post", "/codes/{code}/holds")
                | ("get", "/holds/{id}")
                | ("post", "/holds/{id}/confirm")
                | ("post", "/holds/{id}/release")
                | ("get", "/openapi.json")
        ),
        _ => unreachable!(),
    }
}

/// Goal: every documented route answers by the caller's role. Steps: a node with a bootstrap
/// admin key; a storefront and a readonly key; then every (method, route) of the document, with
/// `{id}` a value nothing has: without a key and with an unknown one 401 (problem+json with
/// `WWW-Authenticate: Bearer`) but for the probes; with each role's key 403 exactly where the
/// role does not allow the route, and an answer past the key check (not 401/403) elsewhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_by_the_callers_role() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[ADMIN_FLAG]).await;
    let api = &cluster.nodes[0].api_addr;
    let keys = [
        ("admin", ADMIN.to_owned()),
        ("storefront", create_key(api, "storefront").await.1),
        ("readonly", create_key(api, "readonly").await.1),
    ];
    let document = call(api, "get", "/openapi.json", Some(ADMIN)).await.body;
    let mut operations = Vec::new();
    for (template, item) in document["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if let Some(operation) = item.get(method) {
                operations.push((method, template.clone(), operation.clone()));
            }
        }
    }
    assert!(operations.len() >= 20, "{} operations", operations.len());
    for (method, template, operation) in &operations {
        let path = template.replace("{id}", SAMPLE_ID).replace("{code}", "NO-SUCH-CODE");
        let probe = template == "/healthz" || template == "/readyz";
        for secret in [None, Some("cpk_not_a_key")] {
            let reply = call(api, method, &path, secret).await;
            let what =
                format!("{method} {template} with {secret:?}: {} {}", reply.status, reply.body);
            if probe {
                assert!(reply.status != 401 && reply.status != 403, "{what}");
                continue;
            }
            assert_eq!((reply.status, reply.code()), (401, "unauthorized"), "{what}");
            assert!(reply.is_problem(), "{what}");
            assert_eq!(reply.headers["www-authenticate"], "Bearer", "{what}");
        }
        for (role, secret) in &keys {
            let reply = call(api, method, &path, Some(secret)).await;
            let what = format!("{method} {template} as {role}: {} {}", reply.status, reply.body);
            if probe || allowed(role, method, template) {
                assert!(reply.status != 401 && reply.status != 403, "{what}");
            } else {
                assert_eq!((reply.status, reply.code()), (403, "forbidden"), "{what}");
                assert!(reply.is_problem(), "{what}");
            }
        }
        if !probe {
            let documented: Vec<&str> = operation["x-roles"]
                .as_array()
                .map(|roles| roles.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let expected: Vec<&str> = ["admin", "storefront", "readonly"]
                .into_iter()
                .filter(|role| allowed(role, method, template))
                .collect();
            assert_eq!(documented, expected, "x-roles of {method} {template}");
        }
    }
}

/// Goal: once `DELETE /keys/{id}` has answered, no node accepts the key. Steps: three nodes; five
/// times: create a storefront key, see every node accept it, revoke it through a follower, and at
/// once ask every node with it (401 from each); the key stays listed, with `revoked_at`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_is_refused_by_every_node_once_the_revocation_answered() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(3, &[ADMIN_FLAG]).await;
    let apis = cluster.api_addrs();
    let follower = &apis[(cluster.leader_with_key(ADMIN).await + 1) % 3];
    let coupon = post(&apis[0], "/coupons/generate", &coupon_body("REVOKE-ME", 100), ADMIN).await;
    assert_eq!(coupon.status, 201, "{}", coupon.body);
    let validate = format!("/coupons/{}/validate", coupon.body["id"]);
    for round in 0..5 {
        let (id, secret) = create_key(&apis[0], "storefront").await;
        for api in &apis {
            let accepted = crate::support::wait::until(
                "every node applied the new key",
                std::time::Duration::from_secs(10),
                || async {
                    (call(api, "get", &validate, Some(&secret)).await.status == 200).then_some(())
                },
            );
            accepted.await;
        }
        let revoked = call(follower, "delete", &format!("/keys/{id}"), Some(ADMIN)).await;
        assert_eq!(revoked.status, 200, "round {round}: {}", revoked.body);
        assert!(revoked.body["revoked_at"].is_string(), "{}", revoked.body);
        assert!(revoked.headers.get("revocation-unconfirmed").is_none(), "every member confirmed");
        for api in &apis {
            let reply = call(api, "get", &validate, Some(&secret)).await;
            assert_eq!(
                (reply.status, reply.code()),
                (401, "unauthorized"),
                "round {round} at {api}"
            );
        }
    }
    let listed = call(&apis[2], "get", "/keys", Some(ADMIN)).await;
    let keys = listed.body["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 6, "the bootstrap key and five revoked ones: {}", listed.body);
    assert!(keys.iter().all(|key| key.get("secret").is_none()), "no secret is listed");
    let bootstrap =
        keys.iter().find(|key| key["id"] == KeyId::bootstrap().as_str()).expect("key_admin");
    assert_eq!((bootstrap["role"].as_str(), bootstrap.get("revoked_at")), (Some("admin"), None));
}

/// Goal: a node with no key configured runs open until the cluster holds a key, and then needs
/// one like any other. Steps: one node without `--admin-key`; a coupon without a key (201); create
/// an admin key without a key; from then on, no key is 401 and the new key works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_node_needs_keys_once_the_cluster_holds_one() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[]).await;
    let api = &cluster.nodes[0].api_addr;
    let open = send(
        client().post(format!("http://{api}/coupons/generate")).json(&coupon_body("OPEN-1", 5)),
    )
    .await;
    assert_eq!(open.status, 201, "{}", open.body);
    let created =
        send(client().post(format!("http://{api}/keys")).json(&json!({"role": "admin"}))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    let without = call(api, "get", "/cluster", None).await;
    assert_eq!((without.status, without.code()), (401, "unauthorized"));
    assert_eq!(call(api, "get", "/cluster", Some(&secret)).await.status, 200);
}

/// Goal: each admin change is recorded with the key that made it, and a refused request records
/// nothing. Steps: one node; a storefront key tries to create a coupon (403); the admin creates
/// one and deactivates it, creates a key and revokes it; the audit trail holds exactly these
/// changes, in order, each with `key_admin` as actor (the bootstrap key's creation: no actor).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_admin_change_records_the_key_that_made_it() {
    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[ADMIN_FLAG]).await;
    let node = &cluster.nodes[0];
    let api = &node.api_addr;
    let (store_id, store_secret) = create_key(api, "storefront").await;
    let refused = post(api, "/coupons/generate", &coupon_body("AUDIT-NO", 5), &store_secret).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let coupon = post(api, "/coupons/generate", &coupon_body("AUDIT-1", 5), ADMIN).await;
    let coupon_id = coupon.body["id"].as_u64().expect("created");
    assert_eq!(
        call(api, "post", &format!("/coupons/{coupon_id}/deactivate"), Some(ADMIN)).await.status,
        200
    );
    assert_eq!(call(api, "delete", &format!("/keys/{store_id}"), Some(ADMIN)).await.status, 200);

    let records = node.running().state.read(|state| state.audit_records(None, 100)).unwrap();
    let trail: Vec<(Option<String>, AuditAction)> = records
        .into_iter()
        .map(|record| (record.actor.map(|actor| actor.as_str().to_owned()), record.action))
        .collect();
    let admin = Some(KeyId::bootstrap().as_str().to_owned());
    let store = KeyId::parse(&store_id).unwrap();
    assert_eq!(
        trail,
        vec![
            (None, AuditAction::KeyCreated(KeyId::bootstrap())),
            (admin.clone(), AuditAction::KeyCreated(store.clone())),
            (admin.clone(), AuditAction::CouponCreated(raft_store::domain::CouponId(coupon_id))),
            (
                admin.clone(),
                AuditAction::CouponDeactivated(raft_store::domain::CouponId(coupon_id))
            ),
            (admin, AuditAction::KeyRevoked(store)),
        ]
    );
}

/// Goal: the trail a client reads verifies, and a record altered or removed breaks it there.
/// Steps: one node with an admin key; create a coupon, change it, deactivate it, create and
/// revoke a key; read `GET /audit` in pages of 2 (readonly key; a storefront key gets 403);
/// `verify_chain` accepts the whole trail; with one record's `after` altered it names that
/// record, with one removed it names the gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_is_a_hash_chain_a_client_can_verify() {
    use coupon_client::api::audit::{verify_chain, ChainBreak};

    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = InProcessCluster::start(1, &[ADMIN_FLAG]).await;
    let api = &cluster.nodes[0].api_addr;
    let (_, reader) = create_key(api, "readonly").await;
    let (store_id, store) = create_key(api, "storefront").await;
    let coupon = post(api, "/coupons/generate", &coupon_body("AUDIT-CHAIN", 5), ADMIN).await;
    let id = coupon.body["id"].as_u64().unwrap();
    let patched = send(
        client()
            .patch(format!("http://{api}/coupons/{id}"))
            .bearer_auth(ADMIN)
            .json(&json!({"usage_limit": 9})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(
        call(api, "post", &format!("/coupons/{id}/deactivate"), Some(ADMIN)).await.status,
        200
    );
    assert_eq!(call(api, "delete", &format!("/keys/{store_id}"), Some(ADMIN)).await.status, 200);
    assert_eq!(call(api, "get", "/audit", Some(&store)).await.status, 401, "a revoked key");

    let records = whole_trail(api, &reader).await;
    let actions: Vec<&str> = records.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "key.create",
            "key.create",
            "key.create",
            "coupon.create",
            "coupon.update",
            "coupon.deactivate",
            "key.revoke"
        ]
    );
    let update = &records[4];
    assert_eq!(
        (update["subject"].as_str(), update["actor"].as_str()),
        (Some(format!("coupon:{id}").as_str()), Some("key_admin"))
    );
    assert_eq!(
        (
            update["before"]["terms"]["usage_limit"].as_u64(),
            update["after"]["terms"]["usage_limit"].as_u64()
        ),
        (Some(5), Some(9))
    );
    assert_eq!(verify_chain(&records), Ok(7));

    let mut altered = records.clone();
    altered[4]["after"]["terms"]["usage_limit"] = json!(90);
    assert_eq!(verify_chain(&altered), Err(ChainBreak::Hash { seq: 5 }));
    let mut removed = records.clone();
    removed.remove(2);
    assert_eq!(verify_chain(&removed), Err(ChainBreak::Gap { seq: 4, previous: 2 }));
}

/// The whole trail through `GET /audit`, in pages of 2, as `coupon audit verify` reads it.
async fn whole_trail(api: &str, secret: &str) -> Vec<Value> {
    let mut records = Vec::new();
    let mut after = String::new();
    loop {
        let page = call(api, "get", &format!("/audit?limit=2{after}"), Some(secret)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        records.extend(page.body["records"].as_array().unwrap().iter().cloned());
        match page.body["next_after"].as_u64() {
            Some(next) => after = format!("&after={next}"),
            None => return records,
        }
    }
}

/// Goal: a record altered where it is stored (the node's snapshot on its disk, from which a start
/// rebuilds the state, as someone with the disk could alter it) is named by the chain check that
/// `coupon audit verify` runs. Steps: one node with an admin key; create two coupons; take a
/// snapshot and stop the node; rebuild its state from the disk, rewrite the record of the first
/// coupon's creation with another usage limit, its hash left as it was, and store a snapshot of
/// that state; start the node again; the trail read through `GET /audit` breaks at exactly that
/// record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_altered_on_disk_is_named_by_the_chain_check() {
    use coupon_client::api::audit::{verify_chain, ChainBreak};
    use raft_store::domain::AuditId;
    use raft_store::keyspace::{self, AuditLog};
    use raft_store::storage::{Tree, TreeReader};

    let _one = ONE_CLUSTER_AT_A_TIME.lock().await;
    let mut cluster = InProcessCluster::start(1, &[ADMIN_FLAG]).await;
    for code in ["TAMPER-1", "TAMPER-2"] {
        let api = &cluster.nodes[0].api_addr;
        assert_eq!(post(api, "/coupons/generate", &coupon_body(code, 5), ADMIN).await.status, 201);
    }
    let records = whole_trail(&cluster.nodes[0].api_addr, ADMIN).await;
    assert_eq!(verify_chain(&records), Ok(records.len() as u64));
    let created = records.iter().find(|record| record["action"] == "coupon.create").unwrap();
    let seq = created["seq"].as_u64().unwrap();

    let node = &mut cluster.nodes[0];
    let raft = node.running().raft.clone();
    let applied = raft.metrics().borrow().last_applied;
    raft.trigger().snapshot().await.expect("snapshot");
    let covered = |metrics: &openraft::RaftMetrics<_, _>| metrics.snapshot >= applied;
    raft.wait(Some(std::time::Duration::from_secs(10)))
        .metrics(covered, "a snapshot")
        .await
        .unwrap();
    node.stop().await;
    node.alter_storage(|disk| async move {
        let state =
            raft_store::recovery::recover(disk).expect("the state from the disk").backend().clone();
        let reader = TreeReader { backend: state.as_ref(), tree: Tree::StateMachine };
        let mut record = keyspace::get::<AuditLog>(&reader, &AuditId(seq)).unwrap().unwrap();
        let after = record.after.take().unwrap();
        assert!(after.contains(r#""usage_limit":5"#), "{after}");
        record.after = Some(after.replace(r#""usage_limit":5"#, r#""usage_limit":500"#));
        let write = keyspace::put::<AuditLog>(&AuditId(seq), &record).unwrap();
        state.commit(Tree::StateMachine, vec![write]).unwrap();
        let mut builder = raft_store::StateMachine::new(state);
        openraft::RaftSnapshotBuilder::build_snapshot(&mut builder).await.expect("store it");
    })
    .await;
    node.boot().await;
    node.wait_ready().await;
    let records = whole_trail(&node.api_addr, ADMIN).await;
    assert_eq!(records[seq as usize - 1]["after"]["terms"]["usage_limit"], 500, "served as stored");
    assert_eq!(verify_chain(&records), Err(ChainBreak::Hash { seq }));
}
