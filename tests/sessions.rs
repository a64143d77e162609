//! Sessions are bound to what opened them: a `/mcp` session answers only its
//! token, whatever the method; an upstream's session does not follow a
//! record's URL to another origin.

mod common;

use common::mcp::{ADMIN, AGENT, UPSTREAM_KEY, post, registry, send, session};
use common::peers::stdlib_peer;
use serde_json::json;

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

/// Two replicas of one database, sharing its key and the agent's token.
struct Replicas {
    first: common::TestServer,
    second: common::TestServer,
    _dir: tempfile::TempDir,
}

async fn replicas() -> Replicas {
    let dir = tempfile::tempdir().unwrap();
    let tokens = common::tokens_file(dir.path(), &[("agent", "use", AGENT)]);
    let key = common::random_key();
    let start = async |db: common::TestDatabase| {
        common::TestServer::builder()
            .database(db)
            .api_token(ADMIN)
            .args(&[
                "--api-tokens-file",
                &tokens,
                "--health-interval-secs",
                "0",
                "--allowed-networks",
                "127.0.0.0/8",
            ])
            .env(&[(mcp_registry::config::SECRET_KEY_ENV, &key)])
            .spawn()
            .await
    };
    let db = common::TestDatabase::fresh().await;
    let replica_db = db.replica();
    let first = start(db).await;
    let second = start(replica_db).await;
    Replicas {
        first,
        second,
        _dir: dir,
    }
}

/// A `/mcp` session of the handshake revisions outlives the process that
/// opened it: after a restart, and on another replica of the same database
/// (sharing its key), the agent's session id goes on working, still its
/// token's alone; once the agent ends it, no replica takes it up again.
#[tokio::test]
async fn a_slash_mcp_session_survives_a_restart_and_is_served_by_any_replica() {
    // (`_dir` bound, not dropped: it holds the tokens file for restarts.)
    let Replicas {
        mut first,
        second,
        _dir,
    } = replicas().await;
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let lists = async |server: &common::TestServer, token: &str, session: &str| {
        post(&server.url("/mcp"), token, Some(session), list.clone()).await
    };
    let mine = session(&first.url("/mcp"), AGENT).await;
    assert_eq!(lists(&first, AGENT, &mine).await.status, 200);

    first.restart().await;
    let after_restart = lists(&first, AGENT, &mine).await;
    assert_eq!(after_restart.status, 200, "{after_restart:?}");
    assert!(
        after_restart
            .messages
            .iter()
            .any(|m| m["result"]["tools"].is_array()),
        "{after_restart:?}"
    );

    let elsewhere = lists(&second, AGENT, &mine).await;
    assert_eq!(elsewhere.status, 200, "{elsewhere:?}");
    let stolen = lists(&second, ADMIN, &mine).await;
    assert_eq!(stolen.status, 404, "still its token's alone: {stolen:?}");

    let (status, _) = send(&second.url("/mcp"), reqwest::Method::DELETE, AGENT, &mine).await;
    assert_eq!(status, 204);
    first.restart().await;
    let ended = lists(&first, AGENT, &mine).await;
    assert_eq!(ended.status, 404, "{ended:?}");
    assert_eq!(
        ended.messages[0]["error"]["data"]["reason"], "unknown_session",
        "{ended:?}"
    );
}

/// A change made through one replica (a server disabled) reaches agents
/// listening on another: its `/mcp` sessions hear that the lists changed.
#[tokio::test]
async fn list_changes_reach_agents_on_every_replica() {
    let Replicas {
        first,
        second,
        _dir,
    } = replicas().await;
    let created = first
        .created(&json!({"name": "elsewhere", "url": "http://127.0.0.1:9/mcp"}))
        .await;
    let id = created["id"].as_str().unwrap();
    let url = second.url("/mcp");
    let listening = session(&url, AGENT).await;
    let mut stream = common::http_client()
        .build()
        .unwrap()
        .get(&url)
        .bearer_auth(AGENT)
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &listening)
        .header("mcp-protocol-version", "2025-11-25")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    // Let the second replica see the create's own changes first.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;

    let disabled = first.patch(id, &json!({"status": "disabled"})).await;
    assert_eq!(disabled.status, 200, "{:?}", disabled.body);
    let mut heard = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !heard.contains("notifications/tools/list_changed") {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .unwrap_or_else(|_| panic!("nothing heard in time: {heard:?}"))
            .unwrap()
            .expect("the stream stays open");
        heard.push_str(&String::from_utf8_lossy(&chunk));
    }
}
