//! Registered URLs will be connected to: by default they may not point at this
//! machine, private networks or cloud metadata, in any spelling.

mod common;

use common::{Answer, TestServer, error_message};
use serde_json::json;

const REFUSED: [&str; 34] = [
    "http://127.0.0.1/mcp",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://0.0.0.0/",
    "http://10.0.0.5/",
    "http://172.31.255.255/",
    "http://192.168.0.10/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.1.1/",
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",
    "http://localhost:8080/",
    "http://LocalHost./",
    "http://tenant.localhost/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://vault.internal/",
    "https://metadata.google.internal./",
    "http://[::]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:a9fe:a9fe::]/latest/meta-data/",
    "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",
    // A cloud platform's own service, and the rest of IANA's ranges that are
    // not globally reachable (documentation, benchmarking, ...).
    "http://168.63.129.16/machine/",
    "http://192.0.2.10/",
    "http://198.51.100.7/",
    "http://203.0.113.99/",
    "http://198.18.0.1/",
    "http://[2001:db8::1]/",
    "http://[3fff::1]/",
    "http://[100::1]/",
];

#[tokio::test]
async fn local_private_and_metadata_hosts_are_refused_on_create() {
    let server = TestServer::spawn().await;
    for (i, url) in REFUSED.iter().enumerate() {
        let Answer { status, body, .. } = server
            .create(&json!({"name": format!("ssrf-{i}"), "url": url}))
            .await;
        assert_eq!(status, 400, "{url} must be refused");
        let message = error_message(&body);
        assert!(
            message.starts_with("url:") && message.contains("MCP_REGISTRY_ALLOWED_NETWORKS"),
            "{url}: {message}"
        );
    }
    assert!(server.db.rows("SELECT * FROM mcp_servers").await.is_empty());
}

#[tokio::test]
async fn and_on_update() {
    let server = TestServer::spawn().await;
    let created = server
        .created(&json!({"name": "moving", "url": "https://mcp.example.com/"}))
        .await;
    let id = created["id"].as_str().unwrap();
    for url in [
        "http://169.254.169.254/",
        "http://[::ffff:10.0.0.1]/",
        "http://2130706433/",
    ] {
        let answer = server.patch(id, &json!({"url": url})).await;
        assert_eq!(answer.status, 400, "{url}");
        assert!(error_message(&answer.body).starts_with("url:"));
    }
}

#[tokio::test]
async fn public_hosts_are_accepted() {
    let server = TestServer::spawn().await;
    for (i, url) in [
        "https://93.184.216.34/mcp",
        "https://[2606:4700:4700::1111]/",
        "https://internal.example.com/",
        "http://100.128.0.1/",
    ]
    .iter()
    .enumerate()
    {
        let Answer { status, body, .. } = server
            .create(&json!({"name": format!("public-{i}"), "url": url}))
            .await;
        assert_eq!(status, 201, "{url}: {body}");
    }
}

#[tokio::test]
async fn the_operator_allowlist_opens_chosen_ranges() {
    let server = TestServer::builder()
        .args(&["--allowed-networks", "10.20.0.0/16,fd00::/8"])
        .spawn()
        .await;
    for (i, url) in [
        "http://10.20.1.2:8080/mcp",
        "http://[fd00::5]/",
        "http://[::ffff:10.20.0.9]/",
    ]
    .iter()
    .enumerate()
    {
        let Answer { status, body, .. } = server
            .create(&json!({"name": format!("inside-{i}"), "url": url}))
            .await;
        assert_eq!(status, 201, "{url}: {body}");
    }
    for url in [
        "http://10.21.0.1/",
        "http://127.0.0.1/",
        "http://169.254.169.254/",
    ] {
        let Answer { status, .. } = server.create(&json!({"name": "outside", "url": url})).await;
        assert_eq!(status, 400, "{url}");
    }
}
