//! Rotating the secret key: previous keys keep old data readable, and
//! `mcp-registry rotate-secrets` re-seals everything under the current key.

mod common;

use std::process::Command;

use common::{TestDatabase, TestServer, random_key};
use mcp_registry::config::{PREVIOUS_SECRET_KEYS_ENV, SECRET_KEY_ENV};
use serde_json::json;

async fn post_with_key(server: &TestServer, key: &str, body: &serde_json::Value) -> common::Answer {
    let request = server
        .client
        .post(server.url("/v1/mcp-servers"))
        .header("idempotency-key", key)
        .json(body);
    server.send(request).await
}

fn key_ids(rows: &[serde_json::Value]) -> Vec<String> {
    rows.iter()
        .flat_map(|row| [&row["api_key_sealed"], &row["headers_sealed"]])
        .filter_map(|v| v.as_str())
        .map(|sealed| sealed.split(':').nth(1).unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn rotation_keeps_every_secret_readable_and_retires_the_old_key() {
    let old_key = random_key();
    let new_key = random_key();
    let mut db = TestDatabase::fresh().await;
    db.secret_key = Some(old_key.clone());
    let body = json!({"name": "rotated", "url": "https://a.example/", "api_key": "sk-rot", "headers": {"Authorization": "Bearer rot", "X-T": "t"}});
    let mut server = TestServer::builder().database(db).spawn().await;
    let first = post_with_key(&server, "idem-rot", &body).await;
    assert_eq!(first.status, 201);
    let id = first.body["id"].as_str().unwrap().to_owned();
    server.kill_hard();

    // New key, old one as previous: everything still reads, retries still replay.
    let previous = [(PREVIOUS_SECRET_KEYS_ENV, old_key.as_str())];
    let mut db = std::mem::replace(&mut server.db, TestDatabase::fresh().await);
    db.secret_key = Some(new_key.clone());
    drop(server);
    let server = TestServer::builder()
        .database(db)
        .env(&previous)
        .spawn()
        .await;
    let read = server.get(&format!("/v1/mcp-servers/{id}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(
        read.body["headers"],
        json!({"Authorization": "********", "X-T": "t"})
    );
    assert_eq!(
        post_with_key(&server, "idem-rot", &body).await.body,
        first.body
    );
    let old_id = key_ids(&server.db.rows("SELECT * FROM mcp_servers").await)[0].clone();

    let output = Command::new(env!("CARGO_BIN_EXE_mcp-registry"))
        .arg("rotate-secrets")
        .env("DATABASE_URL", &server.db.url)
        .env(SECRET_KEY_ENV, &new_key)
        .env(PREVIOUS_SECRET_KEYS_ENV, &old_key)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("re-sealed the secrets of 1 MCP servers and 1 idempotency keys"),
        "{stdout}"
    );
    let ids = key_ids(&server.db.rows("SELECT * FROM mcp_servers").await);
    assert_eq!(ids.len(), 2);
    assert!(
        ids.iter().all(|id| *id != old_id),
        "nothing left under the old key: {ids:?}"
    );
    assert!(!stdout.contains(&new_key) && !stdout.contains(&old_key));

    // The old key can go: the new one alone reads everything.
    let mut server = server;
    let mut db = std::mem::replace(&mut server.db, TestDatabase::fresh().await);
    db.secret_key = Some(new_key.clone());
    drop(server);
    let server = TestServer::builder().database(db).spawn().await;
    let (api_key, headers) = server.db.stored_secrets(&id).await;
    assert_eq!(api_key.as_deref(), Some("sk-rot"));
    assert_eq!(headers["Authorization"], "Bearer rot");
    assert_eq!(
        server.get(&format!("/v1/mcp-servers/{id}")).await.status,
        200
    );
    // Idempotency fingerprints made with the old key cannot be re-made without
    // the original request: README asks to keep the previous key configured
    // for one idempotency TTL after rotating.
    let again = Command::new(env!("CARGO_BIN_EXE_mcp-registry"))
        .arg("rotate-secrets")
        .env("DATABASE_URL", &server.db.url)
        .env(SECRET_KEY_ENV, &new_key)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("of 0 MCP servers and 0 idempotency keys")
    );
}
