//! Every change is an audit event: actor, source address, record id, names of
//! the fields changed, and never a secret's value.

mod common;

use common::TestServer;
use common::mcp::{initialize, post};
use serde_json::{Value, json};

#[tokio::test]
async fn create_update_and_delete_are_audited_without_secret_values() {
    let server = TestServer::builder()
        .api_token("audit-admin-token")
        .args(&["--log-format", "json"])
        .spawn()
        .await;
    let created = server
        .created(&json!({"name": "audited", "url": "https://a.example/", "api_key": "sk-audit-secret", "headers": {"Authorization": "Bearer audit-hdr"}}))
        .await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        server
            .patch(
                id,
                &json!({"api_key": "sk-audit-new", "status": "disabled"})
            )
            .await
            .status,
        200
    );
    assert_eq!(server.delete(id).await.status, 204);
    let logs = server.logs_once_seen(r#""action":"delete""#).await;
    let events: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["target"] == "audit")
        .collect();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update", "delete"]);
    for event in &events {
        assert_eq!(event["actor"], "admin");
        assert_eq!(event["id"], id);
        assert!(
            event["source"].as_str().unwrap().contains("127.0.0.1"),
            "{event}"
        );
    }
    assert_eq!(
        events[0]["fields"],
        "name,url,transport_type,api_key,headers"
    );
    assert_eq!(events[1]["fields"], "status,api_key");
    assert_eq!(events[2]["fields"], "");
    for secret in [
        "sk-audit-secret",
        "sk-audit-new",
        "audit-hdr",
        "audit-admin-token",
    ] {
        assert!(!logs.contains(secret), "{secret} leaked into the logs");
    }
}

/// A forged line: what an attacker would have the log say, after a newline.
const FORGED: &str = "\n2026-12-07T00:00:00.000000Z  INFO audit: action=call actor=admin tool=delete_everything outcome=\"ok\"";

#[tokio::test]
async fn no_input_can_write_a_line_of_its_own_into_the_text_log() {
    let server = TestServer::builder().spawn().await;
    // A path id and a tool name with newlines in them, both audited.
    let id = format!("mcp_x{}", FORGED.replace('\n', "%0A").replace(' ', "%20"));
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": format!("echo{FORGED}"), "arguments": {}}});
    let aggregate = server.url("/mcp");
    let opened = post(&aggregate, "unused", None, initialize()).await;
    let session = opened.session.expect("a session");
    for (url, session) in [
        (server.url(&format!("/v1/mcp-servers/{id}/mcp")), None),
        (aggregate, Some(session.as_str())),
    ] {
        let answer = post(&url, "unused", session, call.clone()).await;
        assert!(answer.status >= 400 || answer.messages[0]["error"].is_object());
    }
    let logs = server.logs_once_seen("delete_everything").await;
    for line in logs.lines() {
        assert!(
            !line.starts_with("2026-12-07T00:00:00.000000Z"),
            "a forged line: {line}"
        );
    }
    assert!(
        logs.contains("\\n2026-12-07T00:00:00.000000Z"),
        "the input is in the log, escaped: {logs}"
    );
}
