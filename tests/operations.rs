//! Running the service: request logs, JSON logs, graceful shutdown, and
//! start-up refusing a configuration that cannot keep secrets.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Answer, TestDatabase, TestServer};
use mcp_registry::config::SECRET_KEY_ENV;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn each_request_is_logged_once_with_method_path_status_latency_and_id() {
    let server = TestServer::spawn().await;
    let response = server
        .client
        .post(server.url("/v1/mcp-servers?secret=dont-log-me"))
        .json(&json!({"name": "logged", "url": "https://a.example/"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let logs = server.logs_once_seen("request completed").await;
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains(&request_id) && l.contains("request completed"))
        .collect();
    assert_eq!(lines.len(), 1, "{logs}");
    let line = lines[0];
    for part in [
        "method=POST",
        "path=/v1/mcp-servers",
        "status=201",
        "latency_ms=",
    ] {
        assert!(line.contains(part), "{part} in {line}");
    }
    assert!(
        !logs.contains("dont-log-me"),
        "query strings stay out of the log"
    );
}

#[tokio::test]
async fn json_log_format_writes_one_json_object_per_line() {
    let server = TestServer::builder()
        .args(&["--log-format", "json"])
        .spawn()
        .await;
    let Answer { status, .. } = server
        .create(&json!({"name": "json-logged", "url": "https://a.example/"}))
        .await;
    assert_eq!(status, 201);
    let logs = server.logs_once_seen("request completed").await;
    let events: Vec<Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let completed = events
        .iter()
        .find(|e| e["message"] == "request completed")
        .expect("a request line");
    assert_eq!(completed["status"], 201);
    assert_eq!(completed["method"], "POST");
    assert!(completed["span"]["request_id"].is_string(), "{completed}");
}

/// Starts a create whose body is only half sent, delivers `signal`, then sends
/// the rest: the request must still be answered 201 before the server exits.
async fn in_flight_request_finishes_after(signal: &str) {
    let mut server = TestServer::spawn().await;
    let body = br#"{"name":"in-flight","url":"https://mcp.example.com/"}"#;
    let mut stream = tokio::net::TcpStream::connect(&server.address)
        .await
        .unwrap();
    let head = format!(
        "POST /v1/mcp-servers HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    Command::new("kill")
        .args([&format!("-{signal}"), &server.pid().to_string()])
        .status()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(&body[10..]).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(server.terminate().success());
    server.logs_once_seen("shutting down").await;
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish() {
    in_flight_request_finishes_after("TERM").await;
}

#[tokio::test]
async fn ctrl_c_lets_an_in_flight_request_finish() {
    in_flight_request_finishes_after("INT").await;
}

#[tokio::test]
async fn settings_come_from_flags_or_environment() {
    let output = Command::new(env!("CARGO_BIN_EXE_mcp-registry"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for setting in [
        "--bind",
        "MCP_REGISTRY_BIND",
        "--database-url",
        "DATABASE_URL",
        "--log-format",
        "MCP_REGISTRY_LOG_FORMAT",
        "MCP_REGISTRY_SECRET_KEY",
        "RUST_LOG",
    ] {
        assert!(help.contains(setting), "{setting} documented in --help");
    }
}

#[tokio::test]
async fn postgres_without_a_secret_key_refuses_to_start() {
    let output = Command::new(env!("CARGO_BIN_EXE_mcp-registry"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env(
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/postgres",
        )
        .env_remove(SECRET_KEY_ENV)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("MCP_REGISTRY_SECRET_KEY must be set"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_malformed_secret_key_refuses_to_start_without_echoing_it() {
    let db = TestDatabase::fresh().await;
    let output = Command::new(env!("CARGO_BIN_EXE_mcp-registry"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &db.url)
        .env(SECRET_KEY_ENV, "c2hvcnQta2V5LXNlY3JldA==")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(all.contains("base64 of exactly 32 bytes"), "{all}");
    assert!(!all.contains("c2hvcnQta2V5LXNlY3JldA"), "{all}");
}
