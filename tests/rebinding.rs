//! A web page the operator visits cannot use the registry through the
//! operator's browser: with DNS rebinding its requests name the page's host
//! (in `Host` and `Origin`), which the registry refuses on every route; a
//! page of another site is refused by its `Origin` even when it names the
//! registry's own host.

mod common;

use common::mcp::{AGENT, initialize, registry};
use common::peers::stdlib_peer;
use common::{TestServer, error_message, json_of};
use reqwest::Method;
use serde_json::{Value, json};

const PAGE: &str = "attacker.example";

/// `method path` with `body`, naming `host` and sent from a page of `origin`.
async fn from_page(
    server: &TestServer,
    (method, path, body): (Method, &str, Option<Value>),
    host: &str,
    origin: Option<&str>,
) -> (u16, String) {
    let mut request = server
        .client
        .request(method, server.url(path))
        .header("host", host)
        .header("accept", "application/json, text/event-stream");
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

/// Every kind of route, one request each.
fn routes(id: &str) -> Vec<(Method, String, Option<Value>)> {
    let record = format!("/v1/mcp-servers/{id}");
    vec![
        (
            Method::POST,
            "/v1/mcp-servers".into(),
            Some(json!({"name": "planted", "url": "https://a.example/"})),
        ),
        (Method::GET, "/v1/mcp-servers".into(), None),
        (
            Method::PATCH,
            record.clone(),
            Some(json!({"description": "changed"})),
        ),
        (Method::GET, format!("{record}/tools"), None),
        (Method::GET, "/v1/tools".into(), None),
        (Method::POST, format!("{record}/probe"), None),
        (Method::POST, format!("{record}/mcp"), Some(initialize())),
        (Method::POST, "/mcp".into(), Some(initialize())),
        (Method::GET, "/docs".into(), None),
        (Method::GET, "/openapi.json".into(), None),
        (Method::GET, "/metrics".into(), None),
        (Method::DELETE, record, None),
    ]
}

#[tokio::test]
async fn without_tokens_a_rebinding_page_is_refused_on_every_route() {
    let peer = stdlib_peer("echoing.py", &["json"]);
    let server = TestServer::builder()
        .args(&[
            "--allowed-networks",
            "127.0.0.0/8",
            "--health-interval-secs",
            "0",
        ])
        .spawn()
        .await;
    let id = server
        .created(&json!({"name": "tools", "url": peer.mcp_url()}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let port = server.address.rsplit(':').next().unwrap().to_owned();
    let page_host = format!("{PAGE}:{port}");
    let page_origin = format!("http://{page_host}");

    for (method, path, body) in routes(&id) {
        for (host, origin) in [
            // DNS rebinding: the page's name, pointed at the registry.
            (page_host.as_str(), Some(page_origin.as_str())),
            (page_host.as_str(), None),
            // Another site's page calling the loopback address itself.
            (server.address.as_str(), Some("https://evil.example")),
            (server.address.as_str(), Some("null")),
        ] {
            let request = (method.clone(), path.as_str(), body.clone());
            let (status, text) = from_page(&server, request, host, origin).await;
            assert_eq!(status, 403, "{method} {path} {host} {origin:?}: {text}");
            let body: Value = serde_json::from_str(&text).unwrap();
            assert!(
                error_message(&body).contains("DNS rebinding"),
                "it says why: {text}"
            );
        }
    }
    // Nothing was made or changed, and the record is still there.
    let list = server.get("/v1/mcp-servers").await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
    assert!(list.body["data"][0]["description"].is_null());

    // The registry's own names, and pages of its own origin, are answered.
    for host in [server.address.clone(), format!("localhost:{port}")] {
        let origin = format!("http://{host}");
        let get = (Method::GET, "/v1/mcp-servers", None);
        assert_eq!(from_page(&server, get, &host, Some(&origin)).await.0, 200);
        let mcp = (Method::POST, "/mcp", Some(initialize()));
        assert_eq!(from_page(&server, mcp, &host, Some(&origin)).await.0, 200);
    }
    // Whether it lives may be asked by any name (a load balancer's check).
    let health = (Method::GET, "/healthz", None);
    assert_eq!(from_page(&server, health, &page_host, None).await.0, 200);
}

#[tokio::test]
async fn listed_hosts_are_answered_and_with_tokens_a_foreign_page_is_still_refused() {
    let open = TestServer::builder()
        .args(&["--allowed-hosts", "registry.lan,10.1.2.3:8080"])
        .spawn()
        .await;
    for (host, status) in [
        ("registry.lan:9000", 200),
        ("10.1.2.3:8080", 200),
        ("10.1.2.3:8081", 403),
        (PAGE, 403),
    ] {
        let get = (Method::GET, "/v1/mcp-servers", None);
        let origin = format!("http://{host}");
        assert_eq!(
            from_page(&open, get, host, Some(&origin)).await.0,
            status,
            "{host}"
        );
    }

    // With tokens any name reaches the registry (the token guards it), but
    // a browser page of another site is refused before its token is read.
    let registry = registry(&[]).await;
    let server = &registry.server;
    let get = || (Method::GET, "/v1/mcp-servers", None);
    assert_eq!(
        from_page(server, get(), "registry.example.com", None)
            .await
            .0,
        200
    );
    let same_site = Some("https://registry.example.com");
    assert_eq!(
        from_page(server, get(), "registry.example.com", same_site)
            .await
            .0,
        200
    );
    let (status, text) = from_page(
        server,
        get(),
        "registry.example.com",
        Some("https://evil.example"),
    )
    .await;
    assert_eq!(status, 403, "{text}");
    let agent = common::http_client().build().unwrap();
    let refused = agent
        .post(server.url("/mcp"))
        .bearer_auth(AGENT)
        .header("origin", "https://evil.example")
        .header("accept", "application/json, text/event-stream")
        .json(&initialize())
        .send()
        .await
        .unwrap();
    let refused = json_of(refused).await;
    assert_eq!(refused.status, 403);
    assert!(error_message(&refused.body).contains("evil.example"));
}
