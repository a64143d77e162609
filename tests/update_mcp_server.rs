//! PATCH /v1/mcp-servers/{id}: partial updates under the create rules, and
//! stored credentials that never follow the URL to another origin.

mod common;

use common::{TestServer, error_message};
use futures::future::join_all;
use serde_json::{Value, json};

async fn setup(server: &TestServer) -> String {
    let created = server
        .created(&json!({
            "name": "patchable", "url": "https://mcp.example.com/mcp", "description": "before",
            "api_key": "sk-stored", "headers": {"Authorization": "Bearer stored", "X-Tenant": "acme"}
        }))
        .await;
    created["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn each_field_can_be_changed_alone() {
    let server = TestServer::spawn().await;
    let id = setup(&server).await;
    let before = server.get(&format!("/v1/mcp-servers/{id}")).await.body;
    for (change, field, expected) in [
        (json!({"name": "renamed"}), "name", json!("renamed")),
        (
            json!({"description": "after"}),
            "description",
            json!("after"),
        ),
        (json!({"description": null}), "description", Value::Null),
        (
            json!({"url": "https://mcp.example.com/v2"}),
            "url",
            json!("https://mcp.example.com/v2"),
        ),
        (json!({"status": "disabled"}), "status", json!("disabled")),
        (
            json!({"version": "3.0.0-rc.2"}),
            "version",
            json!("3.0.0-rc.2"),
        ),
        (json!({"status": "active"}), "status", json!("active")),
        (
            json!({"transport_type": "http"}),
            "transport_type",
            json!("http"),
        ),
    ] {
        let answer = server.patch(&id, &change).await;
        assert_eq!(answer.status, 200, "{change}: {}", answer.body);
        assert_eq!(answer.body[field], expected, "{change}");
        for untouched in ["api_key_set", "headers", "created_at", "id"] {
            assert_eq!(
                answer.body[untouched], before[untouched],
                "{change} left {untouched}"
            );
        }
    }
}

#[tokio::test]
async fn updated_at_moves_created_at_does_not_and_the_change_is_stored() {
    let server = TestServer::spawn().await;
    let id = setup(&server).await;
    let before = server.get(&format!("/v1/mcp-servers/{id}")).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let answer = server.patch(&id, &json!({"description": "later"})).await;
    assert_eq!(answer.body["created_at"], before.body["created_at"]);
    assert!(answer.body["updated_at"].as_str() > before.body["updated_at"].as_str());
    assert_eq!(answer.etag(), "\"2\"");
    let after = server.get(&format!("/v1/mcp-servers/{id}")).await;
    assert_eq!(
        common::without_health(after.body.clone()),
        common::without_health(answer.body.clone())
    );
    assert_eq!(after.etag(), "\"2\"");
}

#[tokio::test]
async fn api_key_is_set_by_a_string_and_cleared_by_null() {
    let server = TestServer::spawn().await;
    let id = setup(&server).await;
    let answer = server.patch(&id, &json!({"api_key": "sk-new"})).await;
    assert_eq!(answer.body["api_key_set"], true);
    assert_eq!(
        server.db.stored_secrets(&id).await.0.as_deref(),
        Some("sk-new")
    );
    let answer = server.patch(&id, &json!({"api_key": null})).await;
    assert_eq!(answer.body["api_key_set"], false);
    assert_eq!(server.db.stored_secrets(&id).await.0, None);
    assert!(!answer.body.to_string().contains("sk-new"));
}

#[tokio::test]
async fn headers_are_replaced_and_a_masked_credential_keeps_its_stored_value() {
    let server = TestServer::spawn().await;
    let id = setup(&server).await;
    let answer = server
        .patch(
            &id,
            &json!({"headers": {"authorization": "********", "X-Region": "eu"}}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.body["headers"],
        json!({"authorization": "********", "X-Region": "eu"})
    );
    let (_, stored) = server.db.stored_secrets(&id).await;
    assert_eq!(
        stored,
        json!({"authorization": "Bearer stored", "X-Region": "eu"})
    );

    // The mask only stands in for a credential that is stored.
    let answer = server
        .patch(&id, &json!({"headers": {"X-Api-Key": "********"}}))
        .await;
    assert_eq!(answer.status, 400);
    assert!(
        error_message(&answer.body).contains("masked value"),
        "{}",
        answer.body
    );

    let answer = server.patch(&id, &json!({"headers": null})).await;
    assert_eq!(answer.body["headers"], json!({}));
}

#[tokio::test]
async fn the_create_rules_apply() {
    let server = TestServer::spawn().await;
    let id = setup(&server).await;
    for (change, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": " padded"}), "name"),
        (json!({"name": "n".repeat(256)}), "name"),
        (json!({"name": null}), "name"),
        (json!({"url": "ftp://a.example/"}), "url"),
        (json!({"url": null}), "url"),
        (
            json!({"description": "d".repeat(10 * 1024 + 1)}),
            "description",
        ),
        (json!({"api_key": ""}), "api_key"),
        (json!({"status": "deleted"}), "status"),
        (json!({"status": null}), "status"),
        (json!({"transport_type": "grpc"}), "transport_type"),
        (json!({"version": "latest"}), "version"),
        (json!({"version": null}), "version"),
        (json!({"headers": {"Host": "x"}}), "headers"),
        (json!({"headers": {"X-A": "a\nb"}}), "headers"),
    ] {
        let answer = server.patch(&id, &change).await;
        assert_eq!(answer.status, 400, "{change}");
        assert!(
            error_message(&answer.body).starts_with(field),
            "{change}: {}",
            answer.body
        );
    }
    // An array is no patch, not even an empty one.
    let answer = server.patch(&id, &json!([])).await;
    assert_eq!(answer.status, 400);
    let unchanged = server.get(&format!("/v1/mcp-servers/{id}")).await;
    assert_eq!(
        unchanged.etag(),
        "\"1\"",
        "a rejected update changes nothing"
    );
}

#[tokio::test]
async fn names_stay_unique_and_renames_racing_for_one_name_let_one_win() {
    let server = TestServer::spawn().await;
    server
        .created(&json!({"name": "taken", "url": "https://a.example/"}))
        .await;
    let id = setup(&server).await;
    let answer = server.patch(&id, &json!({"name": "TAKEN"})).await;
    assert_eq!(answer.status, 400);
    assert!(error_message(&answer.body).contains("already exists"));
    // Renaming to its own name in another case is fine.
    assert_eq!(
        server
            .patch(&id, &json!({"name": "PATCHABLE"}))
            .await
            .status,
        200
    );

    let mut ids = Vec::new();
    for i in 0..8 {
        let body = server
            .created(&json!({"name": format!("racer-{i}"), "url": "https://a.example/"}))
            .await;
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let renames = ids.iter().map(|id| {
        let server = &server;
        async move { server.patch(id, &json!({"name": "finish-line"})).await }
    });
    let answers = join_all(renames).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        7,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn an_unknown_id_is_404() {
    let server = TestServer::spawn().await;
    let answer = server
        .patch(
            "mcp_01933b5a000070008000000000000001",
            &json!({"name": "x"}),
        )
        .await;
    assert_eq!(answer.status, 404);
    assert_eq!(
        server.patch("bogus", &json!({"name": "x"})).await.status,
        400
    );
}

#[tokio::test]
async fn credentials_do_not_follow_the_url_to_another_origin() {
    let server = TestServer::spawn().await;
    let id = setup(&server).await;
    for url in [
        "https://attacker.example/mcp",
        "http://mcp.example.com/mcp",
        "https://mcp.example.com:8443/mcp",
    ] {
        let answer = server.patch(&id, &json!({"url": url})).await;
        assert_eq!(answer.status, 400, "{url}");
        let message = error_message(&answer.body);
        assert!(
            message.starts_with("url:")
                && message.contains("api_key")
                && message.contains("Authorization"),
            "{message}"
        );
        // Sending the masked value back still carries the stored credential.
        let answer = server
            .patch(
                &id,
                &json!({"url": url, "api_key": null, "headers": {"Authorization": "********"}}),
            )
            .await;
        assert_eq!(answer.status, 400, "{url}");
    }
    // The same origin may change paths freely.
    let answer = server
        .patch(&id, &json!({"url": "https://mcp.example.com:443/other"}))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    // Supplying or clearing every credential in the same request allows the move.
    let answer = server
        .patch(&id, &json!({"url": "https://new.example/mcp", "api_key": "sk-for-new", "headers": {"X-Tenant": "acme"}}))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let (api_key, headers) = server.db.stored_secrets(&id).await;
    assert_eq!(api_key.as_deref(), Some("sk-for-new"));
    assert_eq!(headers, json!({"X-Tenant": "acme"}));
}
