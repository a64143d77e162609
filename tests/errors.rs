//! Every error the server can produce is `{"error": "..."}` with the right
//! status: never plain text, never 500 for a client's mistake.

mod common;

use common::{Answer, TestServer, error_message, json_of};
use serde_json::{Value, json};

const VALID: &str = r#"{"name":"shape","url":"https://mcp.example.com/"}"#;

async fn post_raw(server: &TestServer, content_type: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    let mut request = server.client.post(server.url("/v1/mcp-servers")).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let Answer { status, body, .. } = json_of(request.send().await.unwrap()).await;
    (status.as_u16(), body)
}

#[tokio::test]
async fn malformed_json_is_400() {
    let server = TestServer::spawn().await;
    for body in [
        r#"{"name":"a""#,
        "{",
        "nope",
        r#"{"name":"a",}"#,
        r#"{"name":"a"} trailing"#,
        "[]",
        "null",
        "42",
        r#"["positional","https://a.example/"]"#,
    ] {
        let (status, response) = post_raw(&server, Some("application/json"), body.into()).await;
        assert_eq!(status, 400, "{body}");
        assert!(error_message(&response).contains("JSON"), "{response}");
    }
}

#[tokio::test]
async fn empty_body_is_400() {
    let server = TestServer::spawn().await;
    for body in ["", "   \n"] {
        let (status, response) = post_raw(&server, Some("application/json"), body.into()).await;
        assert_eq!(status, 400);
        assert!(error_message(&response).contains("empty"), "{response}");
    }
}

#[tokio::test]
async fn non_utf8_body_is_400() {
    let server = TestServer::spawn().await;
    let body = b"{\"name\":\"\xff\xfe\",\"url\":\"https://a.example/\"}".to_vec();
    let (status, response) = post_raw(&server, Some("application/json"), body).await;
    assert_eq!(status, 400);
    error_message(&response);
}

#[tokio::test]
async fn non_json_content_type_is_415() {
    let server = TestServer::spawn().await;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/xml"),
        None,
    ] {
        let (status, response) = post_raw(&server, content_type, VALID.into()).await;
        assert_eq!(status, 415, "{content_type:?}");
        assert!(
            error_message(&response).contains("application/json"),
            "{response}"
        );
    }
}

#[tokio::test]
async fn json_content_types_with_parameters_or_suffix_are_accepted() {
    let server = TestServer::spawn().await;
    for (i, content_type) in [
        "application/json; charset=utf-8",
        "application/merge-patch+json",
        "Application/JSON",
    ]
    .into_iter()
    .enumerate()
    {
        let body = format!(r#"{{"name":"ct-{i}","url":"https://mcp.example.com/"}}"#);
        let (status, response) = post_raw(&server, Some(content_type), body.into()).await;
        assert_eq!(status, 201, "{content_type}: {response}");
    }
}

#[tokio::test]
async fn body_over_1_mib_is_413_and_at_1_mib_is_accepted() {
    let server = TestServer::spawn().await;
    let limit = 1024 * 1024;
    let padded = |json: &str, len: usize| format!("{json}{}", " ".repeat(len - json.len()));
    let at_limit = padded(VALID, limit);
    assert_eq!(at_limit.len(), limit);
    let (status, response) = post_raw(&server, Some("application/json"), at_limit.into()).await;
    assert_eq!(status, 201, "{response}");

    let over = padded(
        r#"{"name":"big","url":"https://mcp.example.com/"}"#,
        limit + 1,
    );
    let (status, response) = post_raw(&server, Some("application/json"), over.into()).await;
    assert_eq!(status, 413);
    assert!(
        error_message(&response).contains("larger than"),
        "{response}"
    );
}

#[tokio::test]
async fn chunked_body_over_1_mib_is_413() {
    let server = TestServer::spawn().await;
    let chunk = vec![b' '; 64 * 1024];
    let mut request = b"POST /v1/mcp-servers HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for _ in 0..17 {
        request.extend(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend(&chunk);
        request.extend(b"\r\n");
    }
    request.extend(b"0\r\n\r\n");
    let (status, body) = server.raw(&request).await;
    assert_eq!(status, 413, "{body}");
    let body: Value = serde_json::from_str(&body).expect("JSON body");
    error_message(&body);
}

#[tokio::test]
async fn unknown_route_is_404_and_wrong_method_is_405() {
    let server = TestServer::spawn().await;
    let Answer { status, body, .. } = json_of(
        server
            .client
            .get(server.url("/v1/nope"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    assert!(error_message(&body).contains("/v1/nope"));
    let item = "/v1/mcp-servers/mcp_01933b5a000070008000000000000001";
    for (method, path) in [
        ("PUT", "/v1/mcp-servers"),
        ("DELETE", "/v1/mcp-servers"),
        ("PATCH", "/v1/mcp-servers"),
        ("PUT", item),
        ("POST", item),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = server
            .client
            .request(method.clone(), server.url(path))
            .send()
            .await
            .unwrap();
        let allow = response.headers()["allow"].to_str().unwrap().to_owned();
        assert_eq!(
            allow,
            if path == item {
                "DELETE, GET, PATCH"
            } else {
                "GET, POST"
            }
        );
        let Answer { status, body, .. } = json_of(response).await;
        assert_eq!(status, 405, "{method} {path}");
        assert!(error_message(&body).contains("not allowed"), "{body}");
    }
}

#[tokio::test]
async fn wrong_types_name_the_field() {
    let server = TestServer::spawn().await;
    let Answer { status, body, .. } = server
        .create(
            &json!({"name": "a", "url": "https://a.example/", "headers": {"X-A": {"nested": 1}}}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(error_message(&body).contains("headers.X-A"), "{body}");
}

#[tokio::test]
async fn server_error_is_500_with_a_request_id_and_nothing_internal() {
    let server = TestServer::spawn().await;
    // Break storage underneath the running server: every insert now fails.
    let db = server.db.connect().await;
    sea_orm::ConnectionTrait::execute_unprepared(&db, "DROP TABLE mcp_servers")
        .await
        .unwrap();
    let response = server
        .client
        .post(server.url("/v1/mcp-servers"))
        .header("x-request-id", "trace-me-123")
        .json(&json!({"name": "doomed", "url": "https://a.example/"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me-123");
    let Answer { status, body, .. } = json_of(response).await;
    assert_eq!(status, 500);
    let message = error_message(&body);
    assert_eq!(message, "internal server error (request id trace-me-123)");
    let logs = server.logs_once_seen("storage failed").await;
    let error_line = logs
        .lines()
        .find(|line| line.contains("storage failed"))
        .expect("the cause is logged");
    assert!(error_line.contains("trace-me-123"), "{error_line}");
    assert!(
        error_line.contains("mcp_servers"),
        "the log keeps the detail: {error_line}"
    );
}
