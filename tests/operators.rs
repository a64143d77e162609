//! What operators run the service with: probes, metrics, migrations apart from
//! serving, settings in --help, and several instances on one database.

mod common;

use std::process::Command;

use common::{TestDatabase, TestServer};
use futures::future::join_all;
use serde_json::json;

fn registry(args: &[&str], db: &TestDatabase) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcp-registry"));
    command.args(args).env("DATABASE_URL", &db.url);
    if let Some(key) = &db.secret_key {
        command.env(mcp_registry::config::SECRET_KEY_ENV, key);
    }
    let output = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test]
async fn probes_answer_alive_and_ready() {
    let server = TestServer::spawn().await;
    assert_eq!(server.get("/healthz").await.body, json!({"status": "ok"}));
    assert_eq!(server.get("/readyz").await.body, json!({"status": "ready"}));
}

#[tokio::test]
async fn metrics_count_requests_per_route_and_status_and_show_the_pool() {
    let server = TestServer::spawn().await;
    server
        .created(&json!({"name": "metered", "url": "https://a.example/"}))
        .await;
    for _ in 0..3 {
        server
            .get("/v1/mcp-servers/mcp_01933b5a000070008000000000000001")
            .await;
    }
    let response = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains(
            r#"http_requests_total{method="POST",route="/v1/mcp-servers",status="201"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"http_requests_total{method="GET",route="/v1/mcp-servers/{id}",status="404"} 3"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"http_request_duration_seconds_bucket{le="#)
            || text.contains("http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(text.contains(r#"http_request_duration_seconds_count{method="GET",route="/v1/mcp-servers/{id}",status="404"} 3"#), "{text}");
    for gauge in [
        "db_pool_connections ",
        "db_pool_idle_connections ",
        "db_pool_max_connections ",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(gauge)),
            "{gauge} in {text}"
        );
    }
}

#[tokio::test]
async fn the_pool_size_is_a_setting_for_database_servers() {
    let server = TestServer::builder()
        .args(&["--database-max-connections", "3"])
        .spawn()
        .await;
    let expected = if server.db.is_sqlite() {
        // One writer: SQLite keeps a single connection whatever is asked.
        "db_pool_max_connections 1"
    } else {
        "db_pool_max_connections 3"
    };
    let text = server.metrics_text().await;
    assert!(
        text.lines().any(|line| line == expected),
        "{expected} in {text}"
    );

    let (started, output) = registry(&["serve", "--database-max-connections", "0"], &server.db);
    assert!(!started);
    assert!(output.contains("--database-max-connections"), "{output}");
}

#[test]
fn every_setting_is_a_flag_and_an_environment_variable_in_help() {
    let output = Command::new(env!("CARGO_BIN_EXE_mcp-registry"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for (flag, env) in [
        ("--bind", "MCP_REGISTRY_BIND"),
        ("--database-url", "DATABASE_URL"),
        (
            "--database-max-connections",
            "MCP_REGISTRY_DATABASE_MAX_CONNECTIONS",
        ),
        ("--skip-migrations", "MCP_REGISTRY_SKIP_MIGRATIONS"),
        (
            "--idempotency-ttl-secs",
            "MCP_REGISTRY_IDEMPOTENCY_TTL_SECS",
        ),
        ("--allowed-networks", "MCP_REGISTRY_ALLOWED_NETWORKS"),
        ("--api-tokens-file", "MCP_REGISTRY_API_TOKENS_FILE"),
        (
            "--allow-unauthenticated",
            "MCP_REGISTRY_ALLOW_UNAUTHENTICATED",
        ),
        (
            "--request-timeout-secs",
            "MCP_REGISTRY_REQUEST_TIMEOUT_SECS",
        ),
        (
            "--max-concurrent-requests",
            "MCP_REGISTRY_MAX_CONCURRENT_REQUESTS",
        ),
        ("--max-header-bytes", "MCP_REGISTRY_MAX_HEADER_BYTES"),
        ("--rate-limit", "MCP_REGISTRY_RATE_LIMIT"),
        ("--rate-limit-burst", "MCP_REGISTRY_RATE_LIMIT_BURST"),
        ("--log-format", "MCP_REGISTRY_LOG_FORMAT"),
        ("--allowed-hosts", "MCP_REGISTRY_ALLOWED_HOSTS"),
        ("--max-connections", "MCP_REGISTRY_MAX_CONNECTIONS"),
        ("--mcp-max-sessions", "MCP_REGISTRY_MCP_MAX_SESSIONS"),
        (
            "--mcp-max-sessions-per-token",
            "MCP_REGISTRY_MCP_MAX_SESSIONS_PER_TOKEN",
        ),
        (
            "--gateway-max-streams-per-server",
            "MCP_REGISTRY_GATEWAY_MAX_STREAMS_PER_SERVER",
        ),
        (
            "--gateway-max-streams-per-token",
            "MCP_REGISTRY_GATEWAY_MAX_STREAMS_PER_TOKEN",
        ),
    ] {
        assert!(
            help.contains(flag) && help.contains(env),
            "{flag} / {env} in:\n{help}"
        );
    }
    // The scopes a token may have, the use scope among them.
    assert!(help.contains(r#""read"|"use"|"write""#), "{help}");
    let top = Command::new(env!("CARGO_BIN_EXE_mcp-registry"))
        .arg("--help")
        .output()
        .unwrap();
    let top = String::from_utf8(top.stdout).unwrap();
    for secret_env in [
        "MCP_REGISTRY_SECRET_KEY",
        "MCP_REGISTRY_SECRET_KEY_PREVIOUS",
        "MCP_REGISTRY_API_TOKEN",
    ] {
        assert!(top.contains(secret_env), "{secret_env} documented");
    }
    for command in [
        "serve",
        "migrate",
        "rotate-secrets",
        "hash-token",
        "openapi",
    ] {
        assert!(top.contains(command), "{command} listed");
    }
}

#[tokio::test]
async fn migrations_can_run_apart_from_serving() {
    let db = TestDatabase::fresh().await;
    let (ok, status) = registry(&["migrate", "status"], &db);
    assert!(ok, "{status}");
    assert!(
        status.contains("pending m20261124_000001_create_mcp_servers"),
        "{status}"
    );

    // A server told not to migrate refuses a schema that is behind.
    let (ok, refused) = registry(
        &["serve", "--bind", "127.0.0.1:0", "--skip-migrations"],
        &db,
    );
    assert!(!ok);
    assert!(
        refused.contains("run `mcp-registry migrate up`"),
        "{refused}"
    );

    let (ok, up) = registry(&["migrate", "up"], &db);
    assert!(ok, "{up}");
    assert!(
        up.contains("applied m20261124_000001_create_mcp_servers"),
        "{up}"
    );
    assert!(!up.lines().any(|l| l.starts_with("pending ")), "{up}");

    let server = TestServer::builder()
        .database(db)
        .args(&["--skip-migrations"])
        .spawn()
        .await;
    server
        .created(&json!({"name": "premigrated", "url": "https://a.example/"}))
        .await;
}

#[tokio::test]
async fn two_instances_on_one_database_let_one_of_a_racing_name_win() {
    let first = TestServer::spawn().await;
    // The second instance shares the first one's database (and key).
    let shared = TestDatabase {
        url: first.db.url.clone(),
        dir: tempfile::tempdir().unwrap(),
        secret_key: first.db.secret_key.clone(),
    };
    let second = if shared.is_sqlite() {
        let key = std::fs::read_to_string(first.db.key_file()).unwrap();
        let mut shared = shared;
        shared.secret_key = Some(key.trim().to_owned());
        TestServer::builder().database(shared).spawn().await
    } else {
        TestServer::builder().database(shared).spawn().await
    };
    let attempts = (0..20).map(|i| {
        let server = if i % 2 == 0 { &first } else { &second };
        async move {
            server
                .create(&json!({"name": "across-instances", "url": "https://a.example/"}))
                .await
                .status
        }
    });
    let statuses = join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        19,
        "{statuses:?}"
    );
    // Each instance reads what the other wrote.
    let listed_first = first.get("/v1/mcp-servers").await.body;
    let listed_second = second.get("/v1/mcp-servers").await.body;
    assert_eq!(
        common::without_health(listed_first),
        common::without_health(listed_second)
    );
}
