//! Sessions are bound to what opened them and bounded: a `/mcp` session
//! answers only its token, whatever the method; an upstream's session does
//! not follow a record's URL to another origin; and no token (nor all of them
//! together) can hold more `/mcp` sessions than the registry allows.

mod common;

use std::time::{Duration, Instant};

use common::mcp::{ADMIN, AGENT, UPSTREAM_KEY, initialize, post, registry, session};
use common::peers::stdlib_peer;
use serde_json::{Value, json};

/// `method` on `url` with `session`, as `token`: the status and the body.
async fn send(url: &str, method: reqwest::Method, token: &str, session: &str) -> (u16, Value) {
    let response = common::http_client()
        .build()
        .unwrap()
        .request(method, url)
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .header("mcp-session-id", session)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_slash_mcp_session_answers_only_its_token_whatever_the_method() {
    let registry = registry(&[]).await;
    let url = registry.server.url("/mcp");
    let mine = session(&url, AGENT).await;

    // Another token that knows the id can neither use, listen to nor end it.
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let (status, body) = send(&url, method.clone(), ADMIN, &mine).await;
        assert_eq!(status, 404, "{method}: {body}");
        assert_eq!(body["error"]["data"]["reason"], "unknown_session", "{body}");
    }
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let refused = post(&url, ADMIN, Some(&mine), list.clone()).await;
    assert_eq!(refused.status, 404, "{refused:?}");

    // The session is still its token's.
    let listed = post(&url, AGENT, Some(&mine), list).await;
    assert_eq!(listed.status, 200, "{listed:?}");
    assert!(
        listed
            .messages
            .iter()
            .any(|m| m["result"]["tools"].is_array())
    );
    let (status, _) = send(&url, reqwest::Method::DELETE, AGENT, &mine).await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn an_upstream_session_does_not_follow_the_url_to_another_origin() {
    let (first, second) = (
        stdlib_peer("echoing.py", &["json"]),
        stdlib_peer("echoing.py", &["json"]),
    );
    let registry = registry(&[]).await;
    let id = registry
        .register("moving", &first.mcp_url(), UPSTREAM_KEY)
        .await;
    let url = registry.gateway_url(&id);
    let held = session(&url, AGENT).await;
    let sessions_of = |port: u16| async move {
        common::http_client()
            .build()
            .unwrap()
            .get(format!("http://127.0.0.1:{port}/sessions"))
            .send()
            .await
            .unwrap()
            .json::<Vec<String>>()
            .await
            .unwrap()
    };
    let opened = sessions_of(first.port).await;
    assert!(!opened.is_empty(), "the session was opened upstream");

    let moved = registry
        .server
        .patch(
            &id,
            &json!({"url": second.mcp_url(), "api_key": "sk-second-5c1e"}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let after = post(&url, AGENT, Some(&held), list).await;
    assert_eq!(after.status, 404, "{after:?}");
    assert_eq!(
        after.messages[0]["error"]["data"]["reason"],
        "unknown_session"
    );
    let elsewhere = sessions_of(second.port).await;
    assert!(
        elsewhere.iter().all(|id| !opened.contains(id)),
        "the first origin's session ids never reached the second: {elsewhere:?}"
    );
    // A new session works there.
    session(&url, AGENT).await;
}

#[tokio::test]
async fn sessions_are_bounded_per_token_and_in_total_with_a_fast_refusal() {
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
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let again = post(&url, AGENT, None, initialize()).await;
        if again.status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the place never came back: {again:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
