//! A record answered with 201 is on disk: it survives a restart and SIGKILL.

mod common;

use common::{Answer, TestServer};
use serde_json::json;

async fn assert_name_taken(server: &TestServer, name: &str) {
    let Answer { status, body, .. } = server
        .create(&json!({"name": name, "url": "https://a.example/"}))
        .await;
    assert_eq!(status, 400, "{name} should already exist: {body}");
}

#[tokio::test]
async fn a_created_record_survives_a_graceful_restart() {
    let mut server = TestServer::spawn().await;
    let Answer { status, body, .. } = server
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
        let Answer { status, body, .. } = server
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

#[tokio::test]
async fn sigkill_during_a_concurrent_create_load_loses_no_answered_record() {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};

    let mut server = TestServer::spawn().await;
    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let client = server.client.clone();
    let url = server.url("/v1/mcp-servers");
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let (client, url, answered) = (client.clone(), url.clone(), answered.clone());
            tokio::spawn(async move {
                for i in 0.. {
                    let body = json!({"name": format!("load-{writer}-{i}"), "url": "https://a.example/", "api_key": "k"});
                    let Ok(response) = client.post(&url).json(&body).send().await else {
                        return; // the server is gone
                    };
                    if response.status() != 201 {
                        return;
                    }
                    let Ok(body) = response.json::<serde_json::Value>().await else {
                        return;
                    };
                    answered.lock().unwrap().push(body["id"].as_str().unwrap().to_owned());
                }
            })
        })
        .collect();
    // Let the load build up, then pull the plug mid-stream.
    while answered.lock().unwrap().len() < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.kill_hard();
    for writer in writers {
        writer.await.unwrap();
    }
    let answered: Vec<String> = answered.lock().unwrap().clone();

    server.restart().await;
    let stored: HashSet<String> = server
        .db
        .rows("SELECT * FROM mcp_servers")
        .await
        .iter()
        .map(|row| row["id"].as_str().unwrap().to_owned())
        .collect();
    let lost: Vec<&String> = answered.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} answered records lost: {lost:?}",
        lost.len(),
        answered.len()
    );
    // Every stored record is whole: it reads back through the API.
    let listed = server.get("/v1/mcp-servers?limit=200").await;
    assert_eq!(listed.status, 200);
}
