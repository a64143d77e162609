//! DELETE /v1/mcp-servers/{id}.

mod common;

use common::{TestServer, error_message};
use serde_json::json;

#[tokio::test]
async fn a_deleted_server_is_gone_and_its_name_free_again() {
    let server = TestServer::spawn().await;
    let created = server
        .created(&json!({"name": "Doomed", "url": "https://a.example/"}))
        .await;
    let id = created["id"].as_str().unwrap();
    let answer = server.delete(id).await;
    assert_eq!(answer.status, 204);
    assert!(answer.body.is_null());
    assert_eq!(
        server.get(&format!("/v1/mcp-servers/{id}")).await.status,
        404
    );
    let again = server.delete(id).await;
    assert_eq!(again.status, 404);
    error_message(&again.body);
    assert!(server.db.rows("SELECT * FROM mcp_servers").await.is_empty());
    let reborn = server
        .created(&json!({"name": "doomed", "url": "https://a.example/"}))
        .await;
    assert_ne!(reborn["id"], created["id"]);
}

#[tokio::test]
async fn a_malformed_id_is_400() {
    let server = TestServer::spawn().await;
    let answer = server.delete("mcp_XYZ").await;
    assert_eq!(answer.status, 400);
    assert!(error_message(&answer.body).starts_with("id:"));
}
