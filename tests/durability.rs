//! A record answered with 201 is on disk: it survives a restart and SIGKILL.

mod common;

use common::TestServer;
use serde_json::json;

async fn assert_name_taken(server: &TestServer, name: &str) {
    let (status, body) = server
        .create(&json!({"name": name, "url": "https://a.example/"}))
        .await;
    assert_eq!(status, 400, "{name} should already exist: {body}");
}

#[tokio::test]
async fn a_created_record_survives_a_graceful_restart() {
    let mut server = TestServer::spawn().await;
    let (status, body) = server
        .create(&json!({"name": "kept", "url": "https://a.example/"}))
        .await;
    assert_eq!(status, 201);
    assert!(server.terminate().success(), "SIGTERM exits cleanly");
    server.restart().await;
    assert_name_taken(&server, "kept").await;
    let rows = server.db.rows("SELECT * FROM mcp_servers").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], body["id"]);
}

#[tokio::test]
async fn a_created_record_survives_sigkill_right_after_the_answer() {
    let mut server = TestServer::spawn().await;
    let mut ids = Vec::new();
    for i in 0..20 {
        let (status, body) = server
            .create(&json!({"name": format!("durable-{i}"), "url": "https://a.example/"}))
            .await;
        assert_eq!(status, 201);
        ids.push(body["id"].clone());
    }
    server.kill_hard();
    server.restart().await;
    let rows = server
        .db
        .rows("SELECT * FROM mcp_servers ORDER BY id")
        .await;
    let stored: Vec<_> = rows.iter().map(|row| row["id"].clone()).collect();
    assert_eq!(stored, ids);
    assert_name_taken(&server, "durable-19").await;
}

#[tokio::test]
async fn the_embedded_database_runs_in_wal_mode() {
    let server = TestServer::spawn().await;
    if !server.db.is_sqlite() {
        return;
    }
    let db = server.db.connect().await;
    let row = sea_orm::ConnectionTrait::query_one_raw(
        &db,
        sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Sqlite, "PRAGMA journal_mode"),
    )
    .await
    .unwrap()
    .unwrap();
    let mode: String = row.try_get_by_index(0).unwrap();
    assert_eq!(mode, "wal");
}
