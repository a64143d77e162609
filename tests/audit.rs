//! Every change is an audit event: actor, source address, record id, names of
//! the fields changed, and never a secret's value.

mod common;

use common::TestServer;
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
