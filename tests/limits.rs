//! Bounds on everything a caller can hold open, each refused at once and
//! clearly (429 for a greedy token, 503 when everyone's share is taken, with
//! Retry-After), never by a stall: `/mcp` sessions per token and in total,
//! streams (GET) per token and per server, connections in total.

mod common;

use std::time::{Duration, Instant};

use common::mcp::{ADMIN, AGENT, UPSTREAM_KEY, initialize, open, post, registry, send, session};
use common::peers::python_peer;
use serde_json::Value;

/// Waits until `token` may open a session on `url` again.
async fn place_comes_back(url: &str, token: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let again = post(url, token, None, initialize()).await;
        if again.status == 200 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the place never came back: {again:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sessions_are_bounded_per_token_and_in_total_with_a_fast_refusal() {
    // By default a token holds at most 64.
    let defaults = registry(&[]).await;
    let url = defaults.server.url("/mcp");
    for _ in 0..64 {
        session(&url, AGENT).await;
    }
    let refused = post(&url, AGENT, None, initialize()).await;
    assert_eq!(refused.status, 429, "the 65th: {refused:?}");
    drop(defaults);

    let registry = registry(&[
        "--mcp-max-sessions-per-token",
        "3",
        "--mcp-max-sessions",
        "5",
    ])
    .await;
    let url = registry.server.url("/mcp");
    let mut agents = Vec::new();
    for _ in 0..3 {
        agents.push(session(&url, AGENT).await);
    }
    let started = Instant::now();
    let refused = post(&url, AGENT, None, initialize()).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused at once"
    );
    assert_eq!(refused.status, 429, "{refused:?}");
    let error = &refused.messages[0];
    assert_eq!(error["id"], 1, "it answers the request: {error}");
    assert_eq!(error["error"]["data"]["reason"], "too_many_sessions");
    assert!(refused.session.is_none());

    // Another token has its own share, up to the total.
    for _ in 0..2 {
        session(&url, ADMIN).await;
    }
    let full = post(&url, ADMIN, None, initialize()).await;
    assert_eq!(full.status, 503, "{full:?}");
    assert_eq!(full.messages[0]["error"]["data"]["reason"], "busy");
    let retry_after = common::http_client()
        .build()
        .unwrap()
        .post(&url)
        .bearer_auth(ADMIN)
        .header("accept", "application/json, text/event-stream")
        .json(&initialize())
        .send()
        .await
        .unwrap();
    assert_eq!(retry_after.headers()["retry-after"], "30");

    // A session that ends gives its place back.
    let (status, _) = send(&url, reqwest::Method::DELETE, AGENT, &agents[0]).await;
    assert_eq!(status, 204);
    place_comes_back(&url, AGENT).await;
}

/// A 2026-07-28 `subscriptions/listen` stream on `/mcp` stays open as long
/// as the agent likes, so it takes a session's place while it is open; the
/// revision's other requests, answered at once, take none.
#[tokio::test]
async fn listen_streams_take_a_session_place_while_they_are_open() {
    let registry = registry(&["--mcp-max-sessions-per-token", "1"]).await;
    let url = registry.server.url("/mcp");
    let client = common::http_client().build().unwrap();
    let send = |method: &'static str, params: Value| {
        let mut params = params;
        params["_meta"] = serde_json::json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": {"name": "script", "version": "1"},
            "io.modelcontextprotocol/clientCapabilities": {},
        });
        client
            .post(&url)
            .bearer_auth(AGENT)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", method)
            .json(
                &serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method,
                                      "params": params}),
            )
            .send()
    };
    let listen = || {
        send(
            "subscriptions/listen",
            serde_json::json!({"notifications": {"toolsListChanged": true}}),
        )
    };
    let mut held = listen().await.unwrap();
    assert_eq!(held.status(), 200);
    let mut seen = String::new();
    while !seen.contains("acknowledged") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), held.chunk())
            .await
            .expect("the listen is acknowledged")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }

    let refused = listen().await.unwrap();
    assert_eq!(refused.status(), 429);
    let text = refused.text().await.unwrap();
    assert!(text.contains("too_many_sessions"), "{text}");
    let legacy = post(&url, AGENT, None, initialize()).await;
    assert_eq!(legacy.status, 429, "the same places: {legacy:?}");
    let listed = send("tools/list", serde_json::json!({})).await.unwrap();
    assert_eq!(listed.status(), 200, "an answered request takes none");
    // Another token has its own place.
    let other = post(&url, ADMIN, None, initialize()).await;
    assert_eq!(other.status, 200, "{other:?}");

    // A closed stream gives its place back.
    drop(held);
    place_comes_back(&url, AGENT).await;
}

#[tokio::test]
async fn streams_are_bounded_per_token_and_per_server() {
    let peer = python_peer("gateway_peer.py", &[UPSTREAM_KEY]);
    // By default a token holds at most 32.
    let defaults = registry(&[]).await;
    let id = defaults
        .register("streaming", &peer.mcp_url(), UPSTREAM_KEY)
        .await;
    let url = defaults.gateway_url(&id);
    let mut held = Vec::new();
    for _ in 0..32 {
        let session = session(&url, AGENT).await;
        let stream = open(&url, reqwest::Method::GET, AGENT, &session).await;
        assert_eq!(stream.status(), 200);
        held.push(stream);
    }
    let session_33 = session(&url, AGENT).await;
    let refused = open(&url, reqwest::Method::GET, AGENT, &session_33).await;
    assert_eq!(refused.status(), 429, "the 33rd");
    drop((held, defaults));

    let registry = registry(&[
        "--gateway-max-streams-per-token",
        "2",
        "--gateway-max-streams-per-server",
        "3",
    ])
    .await;
    let id = registry
        .register("streaming", &peer.mcp_url(), UPSTREAM_KEY)
        .await;
    let url = registry.gateway_url(&id);
    // One stream a session (the protocol allows one); each is held open.
    let mut held = Vec::new();
    let mut agent_sessions = Vec::new();
    for _ in 0..2 {
        let session = session(&url, AGENT).await;
        let stream = open(&url, reqwest::Method::GET, AGENT, &session).await;
        assert_eq!(stream.status(), 200);
        held.push(stream);
        agent_sessions.push(session);
    }
    let third = session(&url, AGENT).await;
    let started = Instant::now();
    let refused = open(&url, reqwest::Method::GET, AGENT, &third).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused at once"
    );
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "5");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["error"]["data"]["reason"], "too_many_streams",
        "{body}"
    );

    // Another token's stream fits, up to the server's share.
    let admin = session(&url, ADMIN).await;
    let stream = open(&url, reqwest::Method::GET, ADMIN, &admin).await;
    assert_eq!(stream.status(), 200);
    held.push(stream);
    let second_admin = session(&url, ADMIN).await;
    let full = open(&url, reqwest::Method::GET, ADMIN, &second_admin).await;
    assert_eq!(full.status(), 503);
    let body: Value = full.json().await.unwrap();
    assert_eq!(body["error"]["data"]["reason"], "busy");

    // Ending a session ends its stream, and its place is free again.
    let (status, _) = send(&url, reqwest::Method::DELETE, AGENT, &agent_sessions[0]).await;
    assert!(status < 300, "{status}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let again = open(&url, reqwest::Method::GET, AGENT, &third).await;
        if again.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the place never came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Descriptors the server process holds open.
fn open_files(server: &common::TestServer) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", server.pid()))
        .unwrap()
        .count()
}

/// A raw request on a new connection: the status line's code, or 0.
async fn status_of(address: &str, request: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer)
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// `count` connections, each with `head` sent and its body never finished:
/// each busy with a request. One the server closes (its place went to a
/// newer one before its head was read) is opened again.
async fn trickling(address: &str, head: &str, count: usize) -> Vec<tokio::net::TcpStream> {
    use tokio::io::AsyncWriteExt;
    let mut open: Vec<tokio::net::TcpStream> = Vec::new();
    for _ in 0..20 {
        open.retain(|stream| {
            let mut byte = [0; 1];
            // Open and quiet: it would block.
            matches!(stream.try_read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
        });
        if open.len() == count {
            return open;
        }
        while open.len() < count {
            let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
            stream.write_all(head.as_bytes()).await.unwrap();
            open.push(stream);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("could not keep {count} connections busy");
}

#[tokio::test]
async fn connections_are_capped_and_the_server_can_always_be_asked_how_it_is() {
    let server = common::TestServer::builder()
        .args(&["--max-connections", "50"])
        .spawn()
        .await;
    let address = server.address.clone();
    let health = format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    let list =
        format!("GET /v1/mcp-servers HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    let before = open_files(&server);

    // 400 connections that never send a byte: each takes the place of an
    // older one, and requests still get through at once.
    let mut silent = Vec::new();
    for _ in 0..400 {
        silent.push(tokio::net::TcpStream::connect(&address).await.unwrap());
    }
    let started = Instant::now();
    assert_eq!(status_of(&address, &health).await, 200);
    assert_eq!(status_of(&address, &list).await, 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let held = open_files(&server) - before;
    assert!(held <= 50 + 2, "the server holds {held} more descriptors");

    // Connections busy with a request (a body that trickles): no place
    // frees up, and the reserve answers only how the server is.
    drop(silent);
    let post = format!(
        "POST /v1/mcp-servers HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
    );
    let mut busy = trickling(&address, &post, 50).await;
    assert_eq!(status_of(&address, &health).await, 200);
    assert_eq!(status_of(&address, &list).await, 503);
    // Past the reserve (64 places, here held by health requests whose
    // bodies trickle too), a connection is refused at once with a 503.
    let slow_health =
        format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nContent-Length: 100\r\n\r\n{{");
    busy.extend(trickling(&address, &slow_health, 64).await);
    let started = Instant::now();
    assert_eq!(status_of(&address, &health).await, 503);
    assert!(started.elapsed() < Duration::from_secs(1));
}
