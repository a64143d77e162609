//! Each validation rule at its bound (accepted) and past it (400 naming the field).

mod common;

use common::{Answer, TestServer, error_message};
use serde_json::{Map, Value, json};

fn request(extra: Value) -> Value {
    let mut body = json!({"name": format!("srv-{}", uuid::Uuid::new_v4().simple()), "url": "https://mcp.example.com/mcp"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    body
}

async fn assert_accepted(server: &TestServer, extra: Value) -> Value {
    let Answer { status, body, .. } = server.create(&request(extra.clone())).await;
    assert_eq!(status, 201, "{extra} -> {body}");
    body
}

async fn assert_rejected(server: &TestServer, extra: Value, field: &str, rule: &str) {
    let Answer { status, body, .. } = server.create(&request(extra.clone())).await;
    assert_eq!(status, 400, "{extra} -> {body}");
    let message = error_message(&body);
    assert!(message.starts_with(field), "{message} should name {field}");
    assert!(message.contains(rule), "{message} should say {rule}");
}

#[tokio::test]
async fn name_length_is_1_to_255_characters() {
    let server = TestServer::spawn().await;
    assert_accepted(&server, json!({"name": "n".repeat(255)})).await;
    assert_accepted(&server, json!({"name": "é".repeat(255)})).await;
    assert_accepted(&server, json!({"name": "x"})).await;
    assert_rejected(
        &server,
        json!({"name": "n".repeat(256)}),
        "name",
        "at most 255 characters",
    )
    .await;
    assert_rejected(&server, json!({"name": ""}), "name", "must not be empty").await;
}

#[tokio::test]
async fn name_has_no_outer_whitespace_or_control_characters() {
    let server = TestServer::spawn().await;
    assert_accepted(&server, json!({"name": "inner space ok"})).await;
    for name in [" lead", "trail ", "\tlead", "trail\n"] {
        assert_rejected(&server, json!({"name": name}), "name", "whitespace").await;
    }
    for name in ["bell\u{7}", "nul\u{0}x", "esc\u{1b}[31m", "del\u{7f}"] {
        assert_rejected(&server, json!({"name": name}), "name", "control characters").await;
    }
}

#[tokio::test]
async fn name_and_url_are_required_strings() {
    let server = TestServer::spawn().await;
    for (body, field) in [
        (json!({"url": "https://a.example/"}), "name"),
        (json!({"name": "a"}), "url"),
        (json!({"name": null, "url": "https://a.example/"}), "name"),
        (json!({"name": "a", "url": 7}), "url"),
        (json!({"name": ["a"], "url": "https://a.example/"}), "name"),
    ] {
        let Answer {
            status,
            body: response,
            ..
        } = server.create(&body).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            error_message(&response).contains(field),
            "{response} names {field}"
        );
    }
}

#[tokio::test]
async fn url_is_an_absolute_http_or_https_url_with_a_host_up_to_2048_characters() {
    let server = TestServer::spawn().await;
    let base = "https://mcp.example.com/";
    assert_accepted(
        &server,
        json!({"url": format!("{base}{}", "a".repeat(2048 - base.len()))}),
    )
    .await;
    assert_accepted(
        &server,
        json!({"url": "http://mcp.example.com:8080/mcp?x=1"}),
    )
    .await;
    assert_rejected(
        &server,
        json!({"url": format!("{base}{}", "a".repeat(2049 - base.len()))}),
        "url",
        "at most 2048",
    )
    .await;
    for url in [
        "ftp://mcp.example.com/",
        "file:///etc/passwd",
        "mailto:a@b.example",
        "javascript:alert(1)",
    ] {
        assert_rejected(&server, json!({"url": url}), "url", "http or https").await;
    }
    for url in [
        "mcp.example.com/mcp",
        "/v1/mcp",
        "",
        "https://",
        "not a url",
    ] {
        assert_rejected(&server, json!({"url": url}), "url", "").await;
    }
    assert_rejected(
        &server,
        json!({"url": "https://user:pw@mcp.example.com/"}),
        "url",
        "user name or password",
    )
    .await;
}

#[tokio::test]
async fn description_is_at_most_10_kib() {
    let server = TestServer::spawn().await;
    let body = assert_accepted(&server, json!({"description": "d".repeat(10 * 1024)})).await;
    assert_eq!(body["description"].as_str().unwrap().len(), 10 * 1024);
    assert_accepted(&server, json!({"description": ""})).await;
    assert_rejected(
        &server,
        json!({"description": "d".repeat(10 * 1024 + 1)}),
        "description",
        "at most 10240 bytes",
    )
    .await;
    assert_rejected(
        &server,
        json!({"description": 5}),
        "description",
        "invalid type",
    )
    .await;
}

#[tokio::test]
async fn api_key_is_non_empty_and_at_most_4_kib() {
    let server = TestServer::spawn().await;
    let body = assert_accepted(&server, json!({"api_key": "k".repeat(4096)})).await;
    assert_eq!(body["api_key_set"], true);
    assert_rejected(
        &server,
        json!({"api_key": "k".repeat(4097)}),
        "api_key",
        "at most 4096 bytes",
    )
    .await;
    assert_rejected(
        &server,
        json!({"api_key": ""}),
        "api_key",
        "must not be empty",
    )
    .await;
    assert_rejected(
        &server,
        json!({"api_key": 12345}),
        "api_key",
        "invalid type",
    )
    .await;
}

#[tokio::test]
async fn transport_type_allows_only_http() {
    let server = TestServer::spawn().await;
    assert_accepted(&server, json!({"transport_type": "http"})).await;
    for value in [json!("grpc"), json!("HTTP"), json!("sse"), json!(1)] {
        assert_rejected(
            &server,
            json!({"transport_type": value}),
            "transport_type",
            "",
        )
        .await;
    }
}

fn many_headers(count: usize) -> Value {
    Value::Object(
        (0..count)
            .map(|i| (format!("X-H{i}"), Value::from("v")))
            .collect::<Map<_, _>>(),
    )
}

#[tokio::test]
async fn headers_are_at_most_100() {
    let server = TestServer::spawn().await;
    let body = assert_accepted(&server, json!({"headers": many_headers(100)})).await;
    assert_eq!(body["headers"].as_object().unwrap().len(), 100);
    assert_rejected(
        &server,
        json!({"headers": many_headers(101)}),
        "headers",
        "at most 100 entries",
    )
    .await;
}

#[tokio::test]
async fn header_names_are_tokens_unique_regardless_of_case() {
    let server = TestServer::spawn().await;
    assert_accepted(
        &server,
        json!({"headers": {"X-Custom_Header.v1~!#$%&'*+^`|": "v"}}),
    )
    .await;
    for name in [
        "",
        "Bad Name",
        "X:Colon",
        "X(paren)",
        "Ünïcode",
        "X\"quote",
        "X/slash",
    ] {
        assert_rejected(
            &server,
            json!({"headers": {name: "v"}}),
            "headers[",
            "RFC 7230 token",
        )
        .await;
    }
    assert_rejected(
        &server,
        json!({"headers": {"X-Dup": "1", "x-dup": "2"}}),
        "headers[",
        "unique",
    )
    .await;
}

#[tokio::test]
async fn header_values_are_at_most_8_kib_without_cr_lf_or_nul() {
    let server = TestServer::spawn().await;
    assert_accepted(&server, json!({"headers": {"X-Big": "v".repeat(8192)}})).await;
    assert_accepted(
        &server,
        json!({"headers": {"X-Tab": "a\tb", "X-Empty": ""}}),
    )
    .await;
    assert_rejected(
        &server,
        json!({"headers": {"X-Big": "v".repeat(8193)}}),
        "headers[",
        "at most 8192 bytes",
    )
    .await;
    for value in ["a\rb", "a\nb", "a\r\nX-Injected: 1", "a\u{0}b"] {
        assert_rejected(
            &server,
            json!({"headers": {"X-Bad": value}}),
            "headers[",
            "CR, LF or NUL",
        )
        .await;
    }
    assert_rejected(
        &server,
        json!({"headers": {"X-Num": 1}}),
        "headers",
        "invalid type",
    )
    .await;
    assert_rejected(
        &server,
        json!({"headers": ["X-A"]}),
        "headers",
        "invalid type",
    )
    .await;
}

#[tokio::test]
async fn hop_by_hop_and_framing_headers_are_refused() {
    let server = TestServer::spawn().await;
    for name in [
        "Host",
        "Content-Length",
        "Transfer-Encoding",
        "Connection",
        "Upgrade",
        "TE",
        "Trailer",
        "Keep-Alive",
        "Proxy-Connection",
        "host",
        "CONTENT-LENGTH",
    ] {
        assert_rejected(
            &server,
            json!({"headers": {name: "x"}}),
            "headers[",
            "hop-by-hop",
        )
        .await;
    }
}

#[tokio::test]
async fn headers_together_are_at_most_16_kib_and_older_records_over_it_stay_readable_and_can_be_patched_down()
 {
    let server = TestServer::spawn().await;
    let value = "v".repeat(8000);
    // 2 × (3 + 8000) + 3 + 375 = 16384: at the bound.
    let at_bound = json!({"X-A": value, "X-B": value, "X-C": "v".repeat(375)});
    assert_accepted(&server, json!({"headers": at_bound})).await;
    let over = json!({"X-A": value, "X-B": value, "X-C": "v".repeat(376)});
    assert_rejected(
        &server,
        json!({"headers": over.clone()}),
        "headers",
        "names and values together must be at most 16384 bytes (got 16385)",
    )
    .await;

    // A record stored before the limit, with 24 KB of headers.
    let created = assert_accepted(&server, json!({"headers": {"X-A": "small"}})).await;
    let id = created["id"].as_str().unwrap();
    let stored = json!({"X-A": value, "X-B": value, "X-C": value}).to_string();
    let sealed = server
        .db
        .boxer()
        .seal(stored.as_bytes(), &common::sealed_field(id, "headers"))
        .unwrap();
    let db = server.db.connect().await;
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(&format!(
        "UPDATE mcp_servers SET headers_sealed = '{sealed}' WHERE id = '{id}'"
    ))
    .await
    .unwrap();
    let read = server.get(&format!("/v1/mcp-servers/{id}")).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["headers"]["X-C"].as_str().unwrap().len(), 8000);
    // Other fields can change without touching the headers …
    let described = server
        .patch(id, &json!({"description": "still here"}))
        .await;
    assert_eq!(described.status, 200, "{}", described.body);
    // … the headers can be brought under the limit, not kept over it.
    let still_over = server.patch(id, &json!({"headers": over})).await;
    assert_eq!(still_over.status, 400, "{}", still_over.body);
    let down = server
        .patch(id, &json!({"headers": {"X-A": "small again"}}))
        .await;
    assert_eq!(down.status, 200, "{}", down.body);
    assert_eq!(down.body["headers"], json!({"X-A": "small again"}));
}
