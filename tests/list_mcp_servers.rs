//! GET /v1/mcp-servers: newest first, cursor pagination, filters.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{TestServer, error_message};
use sea_orm::{ConnectionTrait, Statement};
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

/// A text search reads the newest 2,000 rows in order first and asks the
/// search index for older matches only when those hold less than a page: the
/// answer must be the same wherever the matches are.
#[tokio::test]
async fn a_search_finds_old_and_new_matches_alike_across_pages() {
    let server = TestServer::spawn().await;
    // Rare matches among the oldest rows and the newest ones.
    let is_needle = |i: usize| !(3..2055).contains(&i);
    let mut expected = Vec::new();
    let mut old_plain = String::new();
    for chunk in (0..2060).collect::<Vec<usize>>().chunks(30) {
        let creates = chunk.iter().map(|&i| {
            let description = if is_needle(i) {
                format!("Has the Needle-{i}")
            } else {
                format!("plain server {i}")
            };
            let body = json!({"name": format!("bulk-{i:04}"), "url": "https://a.example/",
                              "description": description});
            let server = &server;
            async move { (i, server.created(&body).await) }
        });
        for (i, record) in futures::future::join_all(creates).await {
            let id = record["id"].as_str().unwrap().to_owned();
            if i == 10 {
                old_plain = id.clone();
            }
            if is_needle(i) {
                expected.push(id);
            }
        }
    }
    expected.sort();
    expected.reverse();
    assert_eq!(expected.len(), 8);
    assert_eq!(walk(&server, "q=needle&limit=2").await, expected, "paged");
    assert_eq!(walk(&server, "q=NEEDLE").await, expected, "one page");
    assert_eq!(walk(&server, "q=no-such-text").await, Vec::<String>::new());
    // A common term fills its pages from the newest rows.
    let plain = walk(&server, "q=plain%20server&limit=200").await;
    assert_eq!(plain.len(), 2060 - 8);
    assert!(plain.windows(2).all(|w| w[0] > w[1]), "newest first");

    // Changes reach the search index: an old match edited away, an old row
    // edited into one, another deleted; a phrase with quotes.
    let (oldest_needle, second_needle) = (expected[7].clone(), expected[6].clone());
    let edited = json!({"description": "edited away"});
    assert_eq!(server.patch(&oldest_needle, &edited).await.status, 200);
    let edited = json!({"description": "now a NEEDLE, \"quoted\""});
    assert_eq!(server.patch(&old_plain, &edited).await.status, 200);
    assert_eq!(server.delete(&second_needle).await.status, 204);
    let mut now_expected: Vec<String> = expected[..6].to_vec();
    now_expected.push(old_plain.clone());
    now_expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(walk(&server, "q=needle&limit=3").await, now_expected);
    assert_eq!(walk(&server, "q=%22quoted%22").await, [old_plain]);
    assert_eq!(walk(&server, "q=edited%20away").await, [oldest_needle]);
    // Two characters hold no trigram: the table is read instead.
    assert_eq!(walk(&server, "q=e-").await, expected[..6].to_vec());
    if server.db.url.starts_with("postgres") {
        let db = server.db.connect().await;
        let indexes = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'mcp_servers_%_trgm'",
            ))
            .await
            .unwrap();
        assert_eq!(indexes.len(), 2, "the trigram indexes exist on PostgreSQL");
    }
}

/// PostgreSQL only: a database user who may not create pg_trgm still gets a
/// working server, with a warning at start that says what to run; once run,
/// the warning is gone.
#[tokio::test]
async fn without_pg_trgm_search_still_works_and_the_server_says_what_to_run() {
    let db = common::TestDatabase::fresh().await;
    if !db.url.starts_with("postgres") {
        return;
    }
    let admin = db.connect().await;
    let role = format!("limited_{}", uuid::Uuid::new_v4().simple());
    for sql in [
        format!("CREATE ROLE {role} LOGIN"),
        format!("GRANT CREATE ON SCHEMA public TO {role}"),
    ] {
        admin.execute_unprepared(&sql).await.unwrap();
    }
    let limited_url = db.url.replacen("://postgres@", &format!("://{role}@"), 1);
    assert_ne!(
        limited_url, db.url,
        "the test expects the postgres user in the URL"
    );
    let limited = common::TestDatabase {
        url: limited_url,
        dir: tempfile::tempdir().unwrap(),
        secret_key: db.secret_key.clone(),
    };
    let mut server = TestServer::builder().database(limited).spawn().await;
    let logs = server.logs_once_seen("pg_trgm").await;
    assert!(
        logs.contains("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            && logs.contains("CREATE INDEX IF NOT EXISTS mcp_servers_name_key_trgm"),
        "{logs}"
    );
    server
        .created(
            &json!({"name": "findme", "url": "https://a.example/", "description": "Rare words"}),
        )
        .await;
    assert_eq!(
        walk(&server, "q=rare").await.len(),
        1,
        "search works without the indexes"
    );

    // As the operator is told: run the statements as a user who may.
    let statements = logs
        .split("Run as a user who may: ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap()
        .trim_end_matches('"')
        .to_owned();
    for sql in statements.split("; ") {
        admin.execute_unprepared(sql).await.unwrap();
    }
    let seen = server.logs().len();
    server.restart().await;
    assert_eq!(walk(&server, "q=rare").await.len(), 1);
    let since_restart = server.logs()[seen..].to_owned();
    assert!(since_restart.contains("listening"), "{since_restart}");
    assert!(
        !since_restart.contains("pg_trgm"),
        "no warning once indexed: {since_restart}"
    );
    drop(server);
    for sql in [
        format!("REASSIGN OWNED BY {role} TO CURRENT_USER"),
        format!("DROP OWNED BY {role}"),
        format!("DROP ROLE {role}"),
    ] {
        admin.execute_unprepared(&sql).await.unwrap();
    }
}

/// SQLite: a database made before the search table had it gets it filled
/// from its records at the upgrade, so old records are found through it.
#[tokio::test]
async fn an_upgraded_sqlite_database_searches_its_old_records() {
    let db = common::TestDatabase::fresh().await;
    if !db.is_sqlite() {
        return;
    }
    let old = sea_orm::Database::connect(format!("{}?mode=rwc", db.url))
        .await
        .unwrap();
    use migration::MigratorTrait;
    migration::Migrator::up(&old, Some(5)).await.unwrap();
    old.execute_unprepared(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2100)
         INSERT INTO mcp_servers (id, name, name_key, description, url, transport_type, status,
                                  api_key_sealed, headers_sealed, created_at, updated_at, version)
         SELECT printf('mcp_%032x', i), 'old-' || i, 'old-' || i,
                CASE WHEN i = 5 THEN 'the lost needle' ELSE 'plain' END, 'https://a.example/',
                'http', 'active', NULL, NULL, '2026-01-01T00:00:00+00:00',
                '2026-01-01T00:00:00+00:00', 1
         FROM n",
    )
    .await
    .unwrap();
    old.close().await.unwrap();
    let server = TestServer::builder().database(db).spawn().await;
    assert_eq!(
        walk(&server, "q=lost%20needle").await,
        [format!("mcp_{:032x}", 5)]
    );
    assert_eq!(walk(&server, "q=plain&limit=200").await.len(), 2099);
}

#[tokio::test]
async fn a_page_of_large_records_ends_at_its_byte_budget_and_the_cursor_goes_on() {
    let server = TestServer::spawn().await;
    // Records stored before the headers' total limit: on SQLite and
    // PostgreSQL six of 820 KB (200 of them would be a page of 160 MB); on
    // MariaDB, whose TEXT column holds 64 KB, sixty of 40 KB.
    let (large, headers_each) = if server.db.url.starts_with("mysql") {
        (60, 5)
    } else {
        (6, 100)
    };
    let mut created = Vec::new();
    for n in 0..30 + large {
        let record = server
            .created(&json!({"name": format!("large-{n:02}"), "url": "https://a.example/"}))
            .await;
        created.push(record["id"].as_str().unwrap().to_owned());
    }
    let headers: serde_json::Map<String, Value> = (0..headers_each)
        .map(|n| (format!("X-Header-{n:03}"), Value::from("h".repeat(8000))))
        .collect();
    let plaintext = Value::Object(headers).to_string();
    let db = server.db.connect().await;
    let boxer = server.db.boxer();
    for id in created.iter().rev().take(large) {
        let sealed = boxer
            .seal(plaintext.as_bytes(), &common::sealed_field(id, "headers"))
            .unwrap();
        db.execute_unprepared(&format!(
            "UPDATE mcp_servers SET headers_sealed = '{sealed}' WHERE id = '{id}'"
        ))
        .await
        .unwrap();
    }

    // Pages of at most 200 end early, each within a few MiB, and walking them
    // yields every record once, newest first.
    let (mut seen, mut cursor, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/v1/mcp-servers?limit=200&cursor={cursor}"),
            None => "/v1/mcp-servers?limit=200".to_owned(),
        };
        let response = server.client.get(server.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let bytes = response.bytes().await.unwrap();
        assert!(
            bytes.len() < 4 * 1024 * 1024,
            "a page of {} bytes",
            bytes.len()
        );
        let page: Value = serde_json::from_slice(&bytes).unwrap();
        let data = page["data"].as_array().unwrap();
        assert!(!data.is_empty(), "an empty page");
        seen.extend(data.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    created.reverse();
    assert_eq!(seen, created);
    // 6 × 820 KB (or 60 × 40 KB) over a 2 MiB budget: more than one page.
    assert!(pages >= 2, "{pages} pages");
}
