//! Memory stays bounded whatever valid input arrives: the hostile load of
//! issue 16, as a caller with a write token (or anyone on loopback) could send it.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{TestServer, error_message, sealed_field};

use sea_orm::ConnectionTrait;
use serde_json::{Map, Value, json};

fn headers(count: usize, bytes: usize) -> Map<String, Value> {
    (0..count)
        .map(|n| (format!("X-Header-{n:03}"), Value::from("h".repeat(bytes))))
        .collect()
}

/// Pages through every record with `limit=200`; answers the ids in order and
/// the largest page, in bytes.
async fn walk(client: reqwest::Client, base_url: String) -> (Vec<String>, usize) {
    let (mut ids, mut largest) = (Vec::new(), 0);
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/v1/mcp-servers?limit=200&cursor={cursor}"),
            None => "/v1/mcp-servers?limit=200".to_owned(),
        };
        let response = client
            .get(format!("{base_url}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let bytes = response.bytes().await.unwrap();
        largest = largest.max(bytes.len());
        let page: Value = serde_json::from_slice(&bytes).unwrap();
        ids.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|record| record["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (ids, largest),
        }
    }
}

/// 32 clients at once, each creating `per_client` records of `body(client,
/// n)` one after another: every answer's status and body.
async fn create_at_once(
    server: &TestServer,
    per_client: usize,
    body: impl Fn(usize, usize) -> Value + Copy + Send + 'static,
) -> Vec<(u16, Value)> {
    let clients: Vec<_> = (0..32)
        .map(|client| {
            let (http, url) = (server.client.clone(), server.url("/v1/mcp-servers"));
            tokio::spawn(async move {
                let mut answers = Vec::new();
                for n in 0..per_client {
                    let response = http.post(&url).json(&body(client, n)).send().await;
                    let answer = common::json_of(response.unwrap()).await;
                    answers.push((answer.status.as_u16(), answer.body));
                }
                answers
            })
        })
        .collect();
    let mut answers = Vec::new();
    for client in clients {
        answers.extend(client.await.unwrap());
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_hostile_load_of_issue_16_stays_within_256_mib() {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty()) {
        // Minutes in a debug build: once, on SQLite, is enough for CI; the
        // database servers are measured by bench/memory.py.
        return;
    }
    let server = TestServer::builder()
        .args(&["--rate-limit", "0", "--health-interval-secs", "0"])
        .spawn()
        .await;

    // 32 clients with records of 100 headers of 8,000 bytes and a 10 KiB
    // description (820 KB a record): refused, saying why. (The issue's 8 a
    // client are in bench/memory.py; here 2, as parsing 200 MB of JSON in a
    // debug build takes a minute.)
    let hostile = |client: usize, n: usize| {
        json!({
            "name": format!("hostile-{client}-{n}"),
            "url": "https://mcp.example.com/mcp",
            "description": "d".repeat(10 * 1024),
            "headers": headers(100, 8000),
        })
    };
    for (status, body) in create_at_once(&server, 2, hostile).await {
        assert_eq!(status, 400, "{body}");
        assert!(
            error_message(&body)
                .starts_with("headers: names and values together must be at most 16384 bytes"),
            "{body}"
        );
    }

    // The same clients at today's limits: 16 KiB of headers, a 10 KiB
    // description, a 4 KiB api_key.
    let largest = |client: usize, n: usize| {
        json!({
            "name": format!("largest-{client}-{n}"),
            "url": "https://mcp.example.com/mcp",
            "description": "d".repeat(10 * 1024),
            "api_key": "k".repeat(4096),
            "headers": headers(2, 8000 - 12),
        })
    };
    let mut created = BTreeSet::new();
    for (status, body) in create_at_once(&server, 8, largest).await {
        assert_eq!(status, 201, "{body}");
        created.insert(body["id"].as_str().unwrap().to_owned());
    }

    // And 48 records stored before the headers' limit, with 820 KB each.
    let db = server.db.connect().await;
    let boxer = server.db.boxer();
    let old_headers = Value::Object(headers(100, 8000)).to_string();
    for id in created.iter().step_by(5).take(48) {
        let sealed = boxer
            .seal(old_headers.as_bytes(), &sealed_field(id, "headers"))
            .unwrap();
        db.execute_unprepared(&format!(
            "UPDATE mcp_servers SET headers_sealed = '{sealed}' WHERE id = '{id}'"
        ))
        .await
        .unwrap();
    }
    let before_reads = server.peak_rss_mib();

    // 8 clients page through all of it at once, 200 at a time; meanwhile
    // someone else is answered promptly.
    let readers: Vec<_> = (0..8)
        .map(|_| tokio::spawn(walk(server.client.clone(), server.base_url.clone())))
        .collect();
    let (started, mut slowest) = (Instant::now(), Duration::ZERO);
    while !readers.iter().all(|reader| reader.is_finished()) {
        let asked = Instant::now();
        assert_eq!(server.get("/healthz").await.status, 200);
        slowest = slowest.max(asked.elapsed());
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the walks take too long"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Served throughout. How fast is the benchmark's business (bench/memory.py,
    // release build): here a debug build shares two cores with the walks.
    for reader in readers {
        let (ids, largest_page) = reader.await.unwrap();
        let seen: BTreeSet<String> = ids.iter().cloned().collect();
        assert_eq!(ids.len(), seen.len(), "a record came twice");
        assert_eq!(seen, created, "every record, once");
        // The byte budget (2 MiB of stored rows) and one old record past it.
        assert!(
            largest_page < 4 * 1024 * 1024,
            "a page of {largest_page} bytes"
        );
    }
    let peak = server.peak_rss_mib();
    eprintln!(
        "peak RSS: {before_reads:.1} MiB after the creates, {peak:.1} MiB after the reads; \
         healthz at worst {slowest:?}"
    );
    assert!(peak <= 256.0, "peak RSS {peak:.1} MiB");
}
