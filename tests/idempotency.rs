//! POST with Idempotency-Key: retries are answered with the first response.

mod common;

use common::{TestServer, error_message};
use futures::future::join_all;
use serde_json::Value;

async fn post_with_key(server: &TestServer, key: &str, body: &str) -> common::Answer {
    let request = server
        .client
        .post(server.url("/v1/mcp-servers"))
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(body.to_owned());
    server.send(request).await
}

const BODY: &str =
    r#"{"name":"once","url":"https://a.example/","api_key":"sk-idem","headers":{"X-T":"t"}}"#;

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_gets_the_first_response() {
    let server = TestServer::spawn().await;
    let first = post_with_key(&server, "key-1", BODY).await;
    assert_eq!(first.status, 201);
    // Same request, other spacing and key order: still the same request.
    let reordered = r#"{ "url":"https://a.example/", "headers":{"X-T":"t"}, "api_key":"sk-idem", "name":"once" }"#;
    for body in [BODY, reordered] {
        let retry = post_with_key(&server, "key-1", body).await;
        assert_eq!(retry.status, 201);
        assert_eq!(retry.body, first.body);
        assert_eq!(retry.headers["location"], first.headers["location"]);
        assert_eq!(retry.etag(), first.etag());
    }
    assert_eq!(server.db.rows("SELECT * FROM mcp_servers").await.len(), 1);
}

/// The create happened, so a retry says so even after the record is gone;
/// only a new key makes a new record.
#[tokio::test]
async fn a_retry_after_the_record_was_deleted_answers_the_first_create_and_makes_nothing() {
    let server = TestServer::spawn().await;
    let first = post_with_key(&server, "key-gone", BODY).await;
    assert_eq!(first.status, 201);
    let id = first.body["id"].as_str().unwrap().to_owned();
    assert_eq!(server.delete(&id).await.status, 204);

    let retry = post_with_key(&server, "key-gone", BODY).await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.body, first.body);
    assert_eq!(
        server.get(&format!("/v1/mcp-servers/{id}")).await.status,
        404
    );
    assert!(server.db.rows("SELECT * FROM mcp_servers").await.is_empty());

    let fresh = post_with_key(&server, "key-new", BODY).await;
    assert_eq!(fresh.status, 201);
    assert_ne!(fresh.body["id"], first.body["id"]);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422() {
    let server = TestServer::spawn().await;
    assert_eq!(post_with_key(&server, "key-2", BODY).await.status, 201);
    let other = BODY.replace("sk-idem", "sk-other");
    let answer = post_with_key(&server, "key-2", &other).await;
    assert_eq!(answer.status, 422);
    assert!(error_message(&answer.body).starts_with("Idempotency-Key:"));
    assert!(!answer.body.to_string().contains("sk-"));
}

#[tokio::test]
async fn keys_survive_a_restart() {
    let mut server = TestServer::spawn().await;
    let first = post_with_key(&server, "key-3", BODY).await;
    server.restart().await;
    let retry = post_with_key(&server, "key-3", BODY).await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.body, first.body);
}

#[tokio::test]
async fn a_retry_racing_itself_creates_one_record() {
    let server = TestServer::spawn().await;
    let answers = join_all((0..12).map(|_| post_with_key(&server, "key-race", BODY))).await;
    let ids: Vec<&Value> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, 201, "{}", a.body);
            &a.body["id"]
        })
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "one id for all: {ids:?}"
    );
    assert_eq!(server.db.rows("SELECT * FROM mcp_servers").await.len(), 1);
}

#[tokio::test]
async fn keys_are_forgotten_after_their_time_to_live() {
    let server = TestServer::builder()
        .args(&["--idempotency-ttl-secs", "1"])
        .spawn()
        .await;
    assert_eq!(post_with_key(&server, "key-ttl", BODY).await.status, 201);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    // Forgotten: the key is free for a new request.
    let other = BODY.replace("\"once\"", "\"twice\"");
    assert_eq!(post_with_key(&server, "key-ttl", &other).await.status, 201);
}

#[tokio::test]
async fn malformed_keys_are_400_and_the_response_is_not_stored_in_plaintext() {
    let server = TestServer::spawn().await;
    for key in [
        "x".repeat(256),
        "has space".to_owned(),
        "tab\tkey".to_owned(),
    ] {
        let answer = post_with_key(&server, &key, BODY).await;
        assert_eq!(answer.status, 400, "{key:?}");
        assert!(error_message(&answer.body).starts_with("Idempotency-Key:"));
    }
    assert_eq!(post_with_key(&server, "key-sealed", BODY).await.status, 201);
    let db = server.db.connect().await;
    let rows = sea_orm::ConnectionTrait::query_all_raw(
        &db,
        sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT response_sealed, request_hash FROM idempotency_keys",
        ),
    )
    .await
    .unwrap();
    let sealed: String = rows[0].try_get("", "response_sealed").unwrap();
    let hash: String = rows[0].try_get("", "request_hash").unwrap();
    assert!(sealed.starts_with("v1:") && !sealed.contains("once"));
    assert_eq!(hash.len(), 64);
}

/// A key is its caller's own: another writer who knows (or guesses) it can
/// neither get the first answer nor learn, from 201 or 422, whether a guess
/// of the write-only secret it carried was right.
#[tokio::test]
async fn keys_are_the_callers_own_and_no_oracle_for_another_callers_secrets() {
    let db = common::TestDatabase::fresh().await;
    let file = common::tokens_file(
        db.dir.path(),
        &[
            ("deployer", "write", "deployer-tok"),
            ("intruder", "write", "intruder-tok"),
        ],
    );
    let server = TestServer::builder()
        .database(db)
        .args(&["--api-tokens-file", &file])
        .spawn()
        .await;
    let post = |token: &'static str, body: String| {
        let request = server
            .client
            .post(server.url("/v1/mcp-servers"))
            .bearer_auth(token)
            .header("idempotency-key", "deploy-42")
            .header("content-type", "application/json")
            .body(body);
        server.send(request)
    };
    let body = |key: &str| {
        format!(
            r#"{{"name":"payments","url":"https://a.example/","headers":{{"X-Api-Key":"{key}"}}}}"#
        )
    };
    let first = post("deployer-tok", body("sk-real-8c1f0e")).await;
    assert_eq!(first.status, 201);

    // The intruder's guesses, right and wrong, under the same key: each is
    // a create of its own (the name is taken: 400), never the first answer
    // and never 422.
    for guess in ["sk-wrong-000000", "sk-real-8c1f0e"] {
        let answer = post("intruder-tok", body(guess)).await;
        assert_eq!(answer.status, 400, "{guess}: {}", answer.body);
        assert!(error_message(&answer.body).contains("already exists"));
    }
    // The deployer's retry is still answered as before.
    let retry = post("deployer-tok", body("sk-real-8c1f0e")).await;
    assert_eq!((retry.status, &retry.body), (first.status, &first.body));
}
