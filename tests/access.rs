//! Who may call: bearer tokens with scopes, open probes and docs, a loopback-only
//! default without tokens, rate limits, and nothing secret in the logs.

mod common;

use std::process::Command;
use std::time::Duration;

use common::peers::{Peer, hostile};
use common::{Answer, TestDatabase, TestServer, error_message, json_of, tokens_file};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ADMIN: &str = "admin-token-5f2c9e1d7a";

#[tokio::test]
async fn a_missing_or_wrong_token_is_401_with_www_authenticate() {
    let server = TestServer::builder().api_token(ADMIN).spawn().await;
    let bare = common::http_client().build().unwrap();
    let url = server.url("/v1/mcp-servers");
    for request in [
        bare.get(&url),
        bare.get(&url).bearer_auth("wrong-token"),
        bare.get(&url)
            .header("authorization", format!("Basic {ADMIN}")),
        bare.post(&url)
            .json(&json!({"name": "x", "url": "https://a.example/"})),
        bare.delete(server.url("/v1/mcp-servers/mcp_01933b5a000070008000000000000001")),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let Answer { status, body, .. } = json_of(response).await;
        assert_eq!(status, 401);
        assert!(error_message(&body).contains("bearer token"));
    }
    let Answer { status, .. } = server
        .create(&json!({"name": "ok", "url": "https://a.example/"}))
        .await;
    assert_eq!(status, 201, "the admin token writes");
    let logs = server.logs_once_seen("status=201").await;
    assert!(
        !logs.contains(ADMIN) && !logs.contains("wrong-token"),
        "no token in the logs"
    );
}

#[tokio::test]
async fn read_tokens_read_and_write_tokens_write() {
    let db = TestDatabase::fresh().await;
    let file = tokens_file(
        db.dir.path(),
        &[
            ("dashboard", "read", "read-tok-1"),
            ("deployer", "write", "write-tok-1"),
        ],
    );
    let server = TestServer::builder()
        .database(db)
        .args(&["--api-tokens-file", &file])
        .client_token("write-tok-1")
        .spawn()
        .await;
    let created = server
        .created(&json!({"name": "scoped", "url": "https://a.example/"}))
        .await;
    let id = created["id"].as_str().unwrap();
    let reader = common::http_client().build().unwrap();
    let read = |path: &str| reader.get(server.url(path)).bearer_auth("read-tok-1");
    assert_eq!(read("/v1/mcp-servers").send().await.unwrap().status(), 200);
    assert_eq!(
        read(&format!("/v1/mcp-servers/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    for request in [
        reader
            .post(server.url("/v1/mcp-servers"))
            .json(&json!({"name": "no", "url": "https://a.example/"})),
        reader
            .patch(server.url(&format!("/v1/mcp-servers/{id}")))
            .json(&json!({"name": "no"})),
        reader.delete(server.url(&format!("/v1/mcp-servers/{id}"))),
    ] {
        let Answer { status, body, .. } =
            json_of(request.bearer_auth("read-tok-1").send().await.unwrap()).await;
        assert_eq!(status, 403);
        assert!(error_message(&body).contains("read scope"), "{body}");
    }
    assert_eq!(
        server.get(&format!("/v1/mcp-servers/{id}")).await.body["name"],
        "scoped"
    );
}

#[tokio::test]
async fn docs_contract_and_probes_stay_open() {
    let server = TestServer::builder().api_token(ADMIN).spawn().await;
    let bare = common::http_client().build().unwrap();
    for path in [
        "/docs",
        "/openapi.json",
        "/openapi.yaml",
        "/healthz",
        "/readyz",
    ] {
        let response = bare.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    let ready = bare.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(
        ready.json::<serde_json::Value>().await.unwrap(),
        json!({"status": "ready"})
    );
}

#[tokio::test]
async fn the_contract_declares_the_bearer_scheme_on_every_operation() {
    let server = TestServer::spawn().await;
    let document: serde_json::Value = server.get("/openapi.json").await.body;
    assert_eq!(
        document["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            // The MCP Registry API needs a token only with --registry-api
            // token: a bearer token, or none.
            let security = if path.starts_with("/v0.1/") {
                json!([{"bearerAuth": []}, {}])
            } else {
                json!([{"bearerAuth": []}])
            };
            assert_eq!(operation["security"], security, "{method} {path}");
            assert!(
                operation["responses"]["401"].is_object(),
                "{method} {path} documents 401"
            );
        }
    }
}

#[tokio::test]
async fn without_a_token_it_serves_loopback_only_and_warns() {
    let server = TestServer::spawn().await;
    assert!(server.logs().contains("no API token configured"));
    let db = TestDatabase::fresh().await;
    let output = Command::new(env!("CARGO_BIN_EXE_mcp-registry"))
        .args(["serve", "--bind", "0.0.0.0:0"])
        .env("DATABASE_URL", &db.url)
        .env_remove("MCP_REGISTRY_API_TOKEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to serve 0.0.0.0:0 without an API token"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_non_loopback_address_needs_a_token_or_an_explicit_opt_out() {
    let opted_out = TestServer::builder()
        .args(&["--bind", "0.0.0.0:0", "--allow-unauthenticated"])
        .spawn()
        .await;
    assert!(opted_out.address.starts_with("0.0.0.0:"));
    let with_token = TestServer::builder()
        .api_token(ADMIN)
        .args(&["--bind", "0.0.0.0:0"])
        .spawn()
        .await;
    assert!(!with_token.logs().contains("no API token configured"));
}

#[tokio::test]
async fn each_token_has_its_own_rate_limit_answered_with_429_and_retry_after() {
    let db = TestDatabase::fresh().await;
    let file = tokens_file(
        db.dir.path(),
        &[("busy", "read", "busy-tok"), ("calm", "read", "calm-tok")],
    );
    let server = TestServer::builder()
        .database(db)
        .args(&[
            "--api-tokens-file",
            &file,
            "--rate-limit",
            "1",
            "--rate-limit-burst",
            "3",
        ])
        .spawn()
        .await;
    let client = common::http_client().build().unwrap();
    let mut limited = None;
    for _ in 0..6 {
        let response = client
            .get(server.url("/v1/mcp-servers"))
            .bearer_auth("busy-tok")
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("the busy token is limited");
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let Answer { body, .. } = json_of(limited).await;
    assert!(error_message(&body).contains("too many requests"));
    let calm = client
        .get(server.url("/v1/mcp-servers"))
        .bearer_auth("calm-tok")
        .send()
        .await
        .unwrap();
    assert_eq!(calm.status(), 200, "another token is not limited");
}

#[tokio::test]
async fn oversized_headers_are_431() {
    let server = TestServer::spawn().await;
    let response = server
        .client
        .get(server.url("/v1/mcp-servers"))
        .header("x-padding", "p".repeat(20 * 1024))
        .send()
        .await
        .unwrap();
    let Answer { status, body, .. } = json_of(response).await;
    assert_eq!(status, 431);
    assert!(error_message(&body).contains("headers"));
}

/// A registry whose one record points at a server that accepts and never
/// answers, so that a probe of it runs until the probe timeout (20 s).
async fn registry_with_a_hanging_server(args: &[&str]) -> (TestServer, Peer, String) {
    let hanging = hostile("hang");
    let mut all = vec![
        "--allowed-networks",
        "127.0.0.0/8",
        "--health-interval-secs",
        "0",
    ];
    all.extend_from_slice(args);
    let server = TestServer::builder().args(&all).spawn().await;
    let created = server
        .created(&json!({"name": "hanging", "url": hanging.mcp_url()}))
        .await;
    let probe = server.url(&format!(
        "/v1/mcp-servers/{}/probe",
        created["id"].as_str().unwrap()
    ));
    (server, hanging, probe)
}

#[tokio::test]
async fn a_request_over_the_time_limit_is_503() {
    let (server, _hanging, probe) =
        registry_with_a_hanging_server(&["--request-timeout-secs", "1"]).await;
    let started = std::time::Instant::now();
    let response = server.client.post(&probe).send().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(response.headers()["retry-after"], "1");
    let Answer { status, body, .. } = json_of(response).await;
    assert_eq!(status, 503);
    assert_eq!(
        error_message(&body),
        "the request took longer than the limit of 1 s"
    );
}

#[tokio::test]
async fn a_body_that_does_not_arrive_within_the_client_timeout_is_408() {
    let server = TestServer::builder()
        .args(&["--client-timeout-secs", "1"])
        .spawn()
        .await;
    let mut stream = tokio::net::TcpStream::connect(&server.address)
        .await
        .unwrap();
    let head = "POST /v1/mcp-servers HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection stayed open");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains(r#"{"error":"the request body did not arrive within 1 s"}"#),
        "{answer}"
    );
}

#[tokio::test]
async fn requests_over_the_concurrency_cap_are_refused_with_503() {
    let (server, _hanging, probe) =
        registry_with_a_hanging_server(&["--max-concurrent-requests", "1"]).await;
    let held = tokio::spawn(server.client.post(&probe).send());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let response = server
        .client
        .get(server.url("/v1/mcp-servers"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["retry-after"], "1");
    let Answer { status, body, .. } = json_of(response).await;
    assert_eq!(status, 503);
    assert!(error_message(&body).contains("limit of requests in flight"));
    held.abort();
}

#[tokio::test]
async fn hash_token_prints_the_hash_the_tokens_file_wants() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcp-registry"))
        .arg("hash-token")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"s3cret-token\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().trim(),
        mcp_registry::access::sha256_hex("s3cret-token")
    );
}
