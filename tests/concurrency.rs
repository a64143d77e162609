//! Many clients at once: uniqueness holds by the index, and nothing is a 500.

mod common;

use common::{Answer, TestServer, error_message};
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
    let created = results.iter().filter(|answer| answer.status == 201).count();
    assert_eq!(created, 1, "{results:?}");
    for Answer { status, body, .. } in results.iter().filter(|answer| answer.status != 201) {
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
        .map(|Answer { status, body, .. }| {
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

/// The value of a metric line `name value` in the /metrics text.
async fn metric(server: &TestServer, name: &str) -> u64 {
    let text = server.metrics_text().await;
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

#[tokio::test]
async fn a_burst_of_new_names_duplicates_and_retries_gets_the_answers_each_would_get_alone() {
    let server = TestServer::spawn().await;
    let retry_body = r#"{"name":"retried","url":"https://mcp.example.com/","api_key":"sk-r"}"#;
    let new_names = (0..30).map(|i| {
        let server = &server;
        async move {
            let body = json!({"name": format!("burst-{i}"), "url": "https://mcp.example.com/",
                              "api_key": format!("sk-burst-{i}")});
            ("new", server.create(&body).await)
        }
    });
    let duplicates = (0..10).map(|_| {
        let server = &server;
        async move {
            let body = json!({"name": "contested", "url": "https://mcp.example.com/"});
            ("duplicate", server.create(&body).await)
        }
    });
    let retries = (0..10).map(|_| {
        let server = &server;
        async move {
            let request = server
                .client
                .post(server.url("/v1/mcp-servers"))
                .header("idempotency-key", "burst-retry")
                .header("content-type", "application/json")
                .body(retry_body);
            ("retry", server.send(request).await)
        }
    });
    let mut attempts: Vec<_> = Vec::new();
    attempts.extend(new_names.map(futures::FutureExt::boxed));
    attempts.extend(duplicates.map(futures::FutureExt::boxed));
    attempts.extend(retries.map(futures::FutureExt::boxed));
    let results = join_all(attempts).await;

    let of = |kind: &'static str| {
        results
            .iter()
            .filter(move |(k, _)| *k == kind)
            .map(|(_, answer)| answer)
    };
    assert!(of("new").all(|answer| answer.status == 201), "{results:?}");
    let contested: Vec<_> = of("duplicate")
        .map(|answer| answer.status.as_u16())
        .collect();
    assert_eq!(
        contested.iter().filter(|s| **s == 201).count(),
        1,
        "{contested:?}"
    );
    assert_eq!(
        contested.iter().filter(|s| **s == 400).count(),
        9,
        "{contested:?}"
    );
    let retried_ids: Vec<_> = of("retry")
        .map(|Answer { status, body, .. }| {
            assert_eq!(*status, 201, "{body}");
            body["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert!(
        retried_ids.iter().all(|id| *id == retried_ids[0]),
        "{retried_ids:?}"
    );

    let stored = server.db.rows("SELECT * FROM mcp_servers").await;
    assert_eq!(stored.len(), 32, "30 new, one contested, one retried");
    let retried = server
        .get(&format!("/v1/mcp-servers/{}", retried_ids[0]))
        .await;
    assert_eq!(retried.status, 200, "{}", retried.body);
    assert_eq!(retried.body["api_key_set"], true);

    // Creates that arrived together were committed together.
    assert_eq!(
        metric(&server, "db_group_committed_creates_total").await,
        32
    );
    let commits = metric(&server, "db_group_commits_total").await;
    assert!(
        (1..32).contains(&commits),
        "{commits} commits for 32 creates"
    );
}

#[tokio::test]
async fn every_answered_create_is_readable_at_once_while_others_are_written() {
    let server = TestServer::spawn().await;
    let clients = (0..40).map(|i| {
        let server = &server;
        async move {
            let name = format!("read-back-{i}");
            let created = server
                .created(
                    &json!({"name": name, "url": "https://mcp.example.com/", "api_key": "sk-rb"}),
                )
                .await;
            let id = created["id"].as_str().unwrap().to_owned();
            let read = server.get(&format!("/v1/mcp-servers/{id}")).await;
            assert_eq!(read.status, 200, "{}", read.body);
            assert_eq!(
                common::without_health(read.body),
                common::without_health(created.clone())
            );
            let listed = server.get(&format!("/v1/mcp-servers?q={name}")).await;
            assert!(
                listed.body["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s["id"] == id.as_str()),
                "{}",
                listed.body
            );
        }
    });
    join_all(clients).await;
}
