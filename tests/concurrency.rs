//! Many clients at once: uniqueness holds by the index, and nothing is a 500.

mod common;

use common::{TestServer, error_message};
use futures::future::join_all;
use serde_json::json;

#[tokio::test]
async fn forty_clients_racing_for_one_name_get_one_201_and_thirty_nine_400() {
    let server = TestServer::spawn().await;
    let attempts = (0..40).map(|i| {
        // Same name in different cases: they collide too.
        let name = if i % 2 == 0 { "Race-Name" } else { "race-name" };
        let body = json!({"name": name, "url": "https://mcp.example.com/"});
        let server = &server;
        async move { server.create(&body).await }
    });
    let results = join_all(attempts).await;
    let created = results.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(created, 1, "{results:?}");
    for (status, body) in results.iter().filter(|(status, _)| *status != 201) {
        assert_eq!(*status, 400, "{body}");
        assert!(error_message(body).contains("already exists"), "{body}");
    }
}

#[tokio::test]
async fn two_hundred_concurrent_distinct_creates_all_succeed() {
    let server = TestServer::spawn().await;
    let attempts = (0..200).map(|i| {
        let body = json!({
            "name": format!("distinct-{i}"),
            "url": "https://mcp.example.com/",
            "api_key": format!("key-{i}"),
            "headers": {"Authorization": format!("Bearer {i}")}
        });
        let server = &server;
        async move { server.create(&body).await }
    });
    let results = join_all(attempts).await;
    let mut ids: Vec<&str> = results
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 201, "{body}");
            body["id"].as_str().unwrap()
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 200, "every id is distinct");
    let stored = server.db.rows("SELECT * FROM mcp_servers").await;
    assert_eq!(stored.len(), 200, "every answered record is stored");
}
