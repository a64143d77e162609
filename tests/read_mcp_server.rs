//! GET /v1/mcp-servers/{id}: one record, with its ETag.

mod common;

use common::{TestServer, error_message, without_health};
use serde_json::json;

#[tokio::test]
async fn a_created_server_reads_back_as_it_was_answered() {
    let server = TestServer::spawn().await;
    let created = server
        .created(&json!({
            "name": "readable", "url": "https://mcp.example.com/mcp", "description": "d",
            "api_key": "sk-read-1", "headers": {"Authorization": "Bearer r", "X-Tenant": "t"}
        }))
        .await;
    let id = created["id"].as_str().unwrap();
    let answer = server.get(&format!("/v1/mcp-servers/{id}")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(without_health(answer.body.clone()), without_health(created));
    assert_eq!(answer.etag(), "\"1\"");
    assert!(!answer.body.to_string().contains("sk-read-1"));
    assert_eq!(answer.body["headers"]["Authorization"], "********");
}

#[tokio::test]
async fn an_unknown_id_is_404_and_a_malformed_one_400() {
    let server = TestServer::spawn().await;
    let answer = server
        .get("/v1/mcp-servers/mcp_01933b5a000070008000000000000001")
        .await;
    assert_eq!(answer.status, 404);
    assert!(error_message(&answer.body).contains("mcp_01933b5a000070008000000000000001"));
    for bad in [
        "nope",
        "mcp_",
        "mcp_01933B5A000070008000000000000001",
        "mcp_01933b5a00007000800000000000001",
        "mcp_01933b5a0000700080000000000000011",
        "MCP_01933b5a000070008000000000000001",
        "mcp_01933b5a-0000-7000-8000-000000000001",
    ] {
        let answer = server.get(&format!("/v1/mcp-servers/{bad}")).await;
        assert_eq!(answer.status, 400, "{bad}");
        assert!(
            error_message(&answer.body).starts_with("id:"),
            "{}",
            answer.body
        );
    }
}

#[tokio::test]
async fn if_none_match_with_the_current_etag_answers_304() {
    let server = TestServer::spawn().await;
    let created = server
        .created(&json!({"name": "cached", "url": "https://a.example/"}))
        .await;
    let path = format!("/v1/mcp-servers/{}", created["id"].as_str().unwrap());
    let current = server.get(&path).await.etag().to_owned();

    for header in [current.as_str(), "W/\"1\"", "\"7\", \"1\"", "*"] {
        let answer = server
            .send(
                server
                    .client
                    .get(server.url(&path))
                    .header("if-none-match", header),
            )
            .await;
        assert_eq!(answer.status, 304, "{header}");
        assert_eq!(answer.etag(), current);
        assert!(answer.body.is_null());
    }
    let stale = server
        .send(
            server
                .client
                .get(server.url(&path))
                .header("if-none-match", "\"0\""),
        )
        .await;
    assert_eq!(stale.status, 200);
}
