//! GET /v1/mcp-servers: newest first, cursor pagination, filters.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{TestServer, error_message};
use serde_json::{Value, json};

async fn create_many(server: &TestServer, prefix: &str, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..count {
        let body = server
            .created(&json!({"name": format!("{prefix}-{i:03}"), "url": "https://a.example/"}))
            .await;
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    ids
}

fn ids_of(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Follows next_cursor to the end; answers every id seen, in order.
async fn walk(server: &TestServer, query: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/mcp-servers?{query}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let answer = server.get(&path).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        seen.extend(ids_of(&answer.body));
        match answer.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return seen,
        }
    }
}

#[tokio::test]
async fn an_empty_registry_lists_nothing() {
    let server = TestServer::spawn().await;
    let answer = server.get("/v1/mcp-servers").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, json!({"data": [], "next_cursor": null}));
}

#[tokio::test]
async fn pages_are_newest_first_50_by_default_and_cover_everything_once() {
    let server = TestServer::spawn().await;
    let mut ids = create_many(&server, "page", 55).await;
    ids.reverse();
    let first = server.get("/v1/mcp-servers").await;
    assert_eq!(ids_of(&first.body), ids[..50]);
    assert!(first.body["next_cursor"].is_string());
    assert_eq!(walk(&server, "limit=7").await, ids);
    assert_eq!(walk(&server, "limit=200").await, ids);
    assert_eq!(walk(&server, "limit=1").await.len(), 55);
}

#[tokio::test]
async fn limit_must_be_1_to_200_and_the_cursor_one_we_issued() {
    let server = TestServer::spawn().await;
    for bad in [
        "limit=0",
        "limit=201",
        "limit=-1",
        "limit=abc",
        "cursor=not-a-cursor",
        "cursor=",
        "status=gone",
    ] {
        let answer = server.get(&format!("/v1/mcp-servers?{bad}")).await;
        assert_eq!(answer.status, 400, "{bad}: {}", answer.body);
        let field = bad.split('=').next().unwrap();
        assert!(
            error_message(&answer.body).contains(field),
            "{}",
            answer.body
        );
    }
}

#[tokio::test]
async fn filters_by_status_text_and_update_time() {
    let server = TestServer::spawn().await;
    let github = server
        .created(&json!({"name": "GitHub-Tools", "url": "https://a.example/", "description": "Code hosting"}))
        .await;
    let jira = server
        .created(&json!({"name": "jira", "url": "https://a.example/", "description": "Tickets for GITHUB issues"}))
        .await;
    let other = server
        .created(&json!({"name": "weather_100%", "url": "https://a.example/"}))
        .await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let disabled = server
        .patch(&id(&jira), &json!({"status": "disabled"}))
        .await;
    assert_eq!(disabled.status, 200);

    let q = |query: &str| {
        let query = query.to_owned();
        let server = &server;
        async move { ids_of(&server.get(&format!("/v1/mcp-servers?{query}")).await.body) }
    };
    assert_eq!(
        q("q=github").await,
        vec![id(&jira), id(&github)],
        "name or description, any case"
    );
    assert_eq!(q("q=HOSTING").await, vec![id(&github)]);
    assert_eq!(q("q=100%25").await, vec![id(&other)], "% matches itself");
    assert_eq!(q("q=_").await, vec![id(&other)], "_ matches itself");
    assert_eq!(q("status=disabled").await, vec![id(&jira)]);
    assert_eq!(q("status=active").await, vec![id(&other), id(&github)]);
    assert_eq!(q("status=active&q=github").await, vec![id(&github)]);

    let since = disabled.body["updated_at"]
        .as_str()
        .unwrap()
        .replace("+00:00", "Z");
    assert_eq!(q(&format!("updated_since={since}")).await, vec![id(&jira)]);
    assert!(q("updated_since=2999-01-01T00:00:00Z").await.is_empty());
    assert_eq!(
        server
            .get("/v1/mcp-servers?updated_since=yesterday")
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn paging_while_others_insert_yields_no_duplicates_and_misses_nothing_older() {
    let server = Arc::new(TestServer::spawn().await);
    let existing: HashSet<String> = create_many(&server, "old", 60).await.into_iter().collect();
    let done = Arc::new(AtomicBool::new(false));
    let inserter = {
        let server = server.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut i = 0;
            while !done.load(Ordering::Relaxed) {
                server
                    .created(&json!({"name": format!("new-{i}"), "url": "https://a.example/"}))
                    .await;
                i += 1;
            }
            i
        })
    };
    let seen = walk(&server, "limit=5").await;
    done.store(true, Ordering::Relaxed);
    let inserted = inserter.await.unwrap();
    assert!(inserted > 0, "sanity: inserts happened while paging");
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates");
    assert!(
        existing.iter().all(|id| unique.contains(id)),
        "every record older than the walk is seen"
    );
}
