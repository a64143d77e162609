//! ETags from a version kept in the database; If-Match guards writes.

mod common;

use common::{TestServer, error_message};
use futures::future::join_all;
use serde_json::json;

#[tokio::test]
async fn every_answer_with_a_server_carries_its_etag() {
    let server = TestServer::spawn().await;
    let response = server
        .client
        .post(server.url("/v1/mcp-servers"))
        .json(&json!({"name": "tagged", "url": "https://a.example/"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["etag"], "\"1\"");
    let id = response.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        server.get(&format!("/v1/mcp-servers/{id}")).await.etag(),
        "\"1\""
    );
    assert_eq!(
        server.patch(&id, &json!({"description": "x"})).await.etag(),
        "\"2\""
    );
    assert_eq!(
        server.get(&format!("/v1/mcp-servers/{id}")).await.etag(),
        "\"2\""
    );
}

#[tokio::test]
async fn eight_patches_with_one_etag_let_exactly_one_through() {
    let server = TestServer::spawn().await;
    let created = server
        .created(&json!({"name": "contended", "url": "https://a.example/"}))
        .await;
    let id = created["id"].as_str().unwrap();
    let patches = (0..8).map(|i| {
        let request = server
            .client
            .patch(server.url(&format!("/v1/mcp-servers/{id}")))
            .header("if-match", "\"1\"")
            .json(&json!({"description": format!("writer {i}")}));
        server.send(request)
    });
    let answers = join_all(patches).await;
    let ok: Vec<_> = answers.iter().filter(|a| a.status == 200).collect();
    assert_eq!(ok.len(), 1);
    for answer in answers.iter().filter(|a| a.status != 200) {
        assert_eq!(answer.status, 412);
        error_message(&answer.body);
    }
    let stored = server.get(&format!("/v1/mcp-servers/{id}")).await;
    assert_eq!(
        stored.body["description"], ok[0].body["description"],
        "the winner's change is what is stored"
    );
    assert_eq!(stored.etag(), "\"2\"");
}

#[tokio::test]
async fn patches_without_if_match_all_apply() {
    let server = TestServer::spawn().await;
    let created = server
        .created(&json!({"name": "unguarded", "url": "https://a.example/"}))
        .await;
    let id = created["id"].as_str().unwrap();
    let answers = join_all((0..8).map(|i| {
        let server = &server;
        async move {
            server
                .patch(id, &json!({"description": format!("w{i}")}))
                .await
        }
    }))
    .await;
    assert!(answers.iter().all(|a| a.status == 200));
    assert_eq!(
        server.get(&format!("/v1/mcp-servers/{id}")).await.etag(),
        "\"9\""
    );
}

#[tokio::test]
async fn if_match_guards_patch_and_delete() {
    let server = TestServer::spawn().await;
    let created = server
        .created(&json!({"name": "guarded", "url": "https://a.example/"}))
        .await;
    let id = created["id"].as_str().unwrap();
    let path = server.url(&format!("/v1/mcp-servers/{id}"));
    let patch = |tag: &str| {
        server
            .client
            .patch(&path)
            .header("if-match", tag)
            .json(&json!({"description": "g"}))
    };

    assert_eq!(server.send(patch("\"2\"")).await.status, 412);
    assert_eq!(
        server.send(patch("W/\"1\"")).await.status,
        412,
        "If-Match compares strongly"
    );
    assert_eq!(server.send(patch("\"5\", \"1\"")).await.status, 200);
    assert_eq!(server.send(patch("*")).await.status, 200);

    let delete = |tag: &str| server.client.delete(&path).header("if-match", tag);
    let stale = server.send(delete("\"1\"")).await;
    assert_eq!(stale.status, 412);
    assert_eq!(
        server.get(&format!("/v1/mcp-servers/{id}")).await.status,
        200,
        "still there"
    );
    assert_eq!(server.send(delete("\"3\"")).await.status, 204);
    assert_eq!(server.send(delete("\"3\"")).await.status, 404);
}
