//! POST /v1/mcp-servers: what a caller gets back when the request is valid.

mod common;

use chrono::{DateTime, Utc};
use common::{Answer, TestServer, error_message};
use serde_json::{Value, json};

fn assert_id(id: &str) {
    let hex = id.strip_prefix("mcp_").expect("id starts with mcp_");
    assert_eq!(hex.len(), 32, "{id}");
    assert!(
        hex.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{id}"
    );
    assert_eq!(&hex[12..13], "7", "a UUIDv7: {id}");
}

#[tokio::test]
async fn created_server_is_answered_with_201_location_and_the_full_record() {
    let server = TestServer::spawn().await;
    let before = Utc::now();
    let response = server
        .client
        .post(server.url("/v1/mcp-servers"))
        .json(&json!({
            "name": "atlassian-mcp-server",
            "url": "https://mcp.atlassian.com/v1/mcp",
            "description": "Atlassian MCP Server for Jira and Confluence",
            "transport_type": "http",
            "api_key": "sk-atlassian-123",
            "headers": {"X-Tenant": "acme"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();

    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "api_key_set",
        "created_at",
        "description",
        "headers",
        "id",
        "name",
        "secret_headers",
        "status",
        "transport_type",
        "updated_at",
        "url",
        "version",
    ];
    expected.sort_unstable();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted, expected,
        "exactly the McpServer properties, never api_key"
    );

    let id = body["id"].as_str().unwrap();
    assert_id(id);
    assert_eq!(location, format!("/v1/mcp-servers/{id}"));
    assert_eq!(body["name"], "atlassian-mcp-server");
    assert_eq!(body["url"], "https://mcp.atlassian.com/v1/mcp");
    assert_eq!(
        body["description"],
        "Atlassian MCP Server for Jira and Confluence"
    );
    assert_eq!(body["transport_type"], "http");
    assert_eq!(body["status"], "active");
    assert_eq!(body["api_key_set"], true);
    assert_eq!(body["headers"], json!({"X-Tenant": "acme"}));

    let created = body["created_at"].as_str().unwrap();
    assert_eq!(created, body["updated_at"].as_str().unwrap());
    let parsed = DateTime::parse_from_rfc3339(created).expect("RFC 3339");
    assert_eq!(parsed.offset().local_minus_utc(), 0, "UTC");
    let parsed = parsed.with_timezone(&Utc);
    assert!(parsed >= before - chrono::Duration::seconds(1) && parsed <= Utc::now());
}

#[tokio::test]
async fn minimal_request_gets_the_defaults() {
    let server = TestServer::spawn().await;
    let Answer { status, body, .. } = server
        .create(&json!({"name": "minimal", "url": "https://mcp.example.com/mcp"}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(body["transport_type"], "http");
    assert_eq!(body["status"], "active");
    assert_eq!(body["api_key_set"], false);
    assert_eq!(body["description"], Value::Null);
    assert_eq!(body["headers"], json!({}));
    assert_eq!(body["version"], "1.0.0");
}

#[tokio::test]
async fn version_is_a_semantic_version_kept_as_given() {
    let server = TestServer::spawn().await;
    let created = server
        .created(&json!({
            "name": "versioned", "url": "https://mcp.example.com/mcp",
            "version": "2.1.0-beta.1+build.7"
        }))
        .await;
    assert_eq!(created["version"], "2.1.0-beta.1+build.7");
    let id = created["id"].as_str().unwrap();
    let read = server.get(&format!("/v1/mcp-servers/{id}")).await;
    assert_eq!(read.body["version"], "2.1.0-beta.1+build.7");

    for bad in [
        json!("latest"),
        json!("1.2"),
        json!("v1.0.0"),
        json!(3),
        json!(""),
    ] {
        let Answer { status, body, .. } = server
            .create(
                &json!({"name": "bad-version", "url": "https://mcp.example.com/", "version": bad}),
            )
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(error_message(&body).contains("version"), "{bad}: {body}");
    }
}

#[tokio::test]
async fn explicit_nulls_mean_none() {
    let server = TestServer::spawn().await;
    let Answer { status, body, .. } = server
        .create(&json!({
            "name": "nulls", "url": "https://mcp.example.com/",
            "description": null, "api_key": null, "headers": null
        }))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["description"], Value::Null);
    assert_eq!(body["api_key_set"], false);
    assert_eq!(body["headers"], json!({}));
}

#[tokio::test]
async fn credential_header_values_are_masked_and_others_returned_as_given() {
    let server = TestServer::spawn().await;
    let headers = json!({
        "Authorization": "Bearer abc", "Proxy-Authorization": "Basic xyz", "Cookie": "sid=1",
        "X-API-Key": "k1", "X-Auth-Token": "t1", "X-Client-Secret": "s1", "X-Password": "p1",
        "X-Session-Id": "s2", "X-Credential": "c1",
        "X-Tenant": "acme", "Accept-Language": "en"
    });
    let Answer { status, body, .. } = server
        .create(&json!({"name": "masked", "url": "https://mcp.example.com/", "headers": headers}))
        .await;
    assert_eq!(status, 201);
    let shown = body["headers"].as_object().unwrap();
    assert_eq!(shown.len(), 11, "every name is kept");
    for (name, value) in shown {
        let expected = match name.as_str() {
            "X-Tenant" => "acme",
            "Accept-Language" => "en",
            _ => "********",
        };
        assert_eq!(value, expected, "{name}");
    }
}

#[tokio::test]
async fn names_are_unique_regardless_of_case() {
    let server = TestServer::spawn().await;
    let Answer { status, .. } = server
        .create(&json!({"name": "GitHub", "url": "https://a.example/"}))
        .await;
    assert_eq!(status, 201);
    for name in ["GitHub", "github", "GITHUB"] {
        let Answer { status, body, .. } = server
            .create(&json!({"name": name, "url": "https://b.example/"}))
            .await;
        assert_eq!(status, 400, "{name}");
        let message = error_message(&body);
        assert!(
            message.starts_with("name:") && message.contains("already exists"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn ids_sort_by_creation_time() {
    let server = TestServer::spawn().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let Answer { status, body, .. } = server
            .create(&json!({"name": format!("sorted-{i}"), "url": "https://a.example/"}))
            .await;
        assert_eq!(status, 201);
        ids.push(body["id"].as_str().unwrap().to_owned());
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
}

#[tokio::test]
async fn url_is_answered_in_normalised_form() {
    let server = TestServer::spawn().await;
    let Answer { status, body, .. } = server
        .create(&json!({"name": "normalised", "url": "HTTPS://MCP.Example.COM"}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(body["url"], "https://mcp.example.com/");
}
