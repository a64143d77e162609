//! The background health checker: every active server checked once per
//! interval, by whichever replica claims it, and disabled servers never.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use common::TestServer;
use common::peers::{Peer, counting};
use mcp_registry::secrets::{SecretBoxer, SecretKey};
use mcp_registry::storage::{Database, McpServerRepository};
use serde_json::json;

const INTERVAL_SECS: u64 = 2;

async fn replica(db: common::TestDatabase) -> TestServer {
    TestServer::builder()
        .database(db)
        .args(&[
            "--allowed-networks",
            "127.0.0.0/8",
            "--health-interval-secs",
            &INTERVAL_SECS.to_string(),
        ])
        .spawn()
        .await
}

async fn sessions(peer: &Peer) -> BTreeMap<String, u64> {
    let client = common::http_client().build().unwrap();
    let url = format!("http://127.0.0.1:{}/count", peer.port);
    client.get(url).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn two_replicas_check_each_server_once_per_interval_between_them() {
    let peer = counting();
    let first = replica(common::TestDatabase::fresh().await).await;
    let second = replica(first.db.replica()).await;
    for i in 0..5 {
        let url = format!("http://127.0.0.1:{}/mcp/{i}", peer.port);
        first
            .created(&json!({"name": format!("checked-{i}"), "url": url}))
            .await;
    }
    let watched = Duration::from_secs(4 * INTERVAL_SECS);
    tokio::time::sleep(watched).await;
    let counts = sessions(&peer).await;
    assert_eq!(counts.len(), 5, "{counts:?}");
    // One probe after the create, then one per interval: about 4 in 8 s. Two
    // replicas checking on their own would make about 8.
    for (path, sessions) in &counts {
        assert!(
            (3..=6).contains(sessions),
            "{path} was checked {sessions} times in {watched:?}: {counts:?}"
        );
    }
    let record = second.get("/v1/mcp-servers?limit=1").await;
    assert_eq!(record.body["data"][0]["health"]["state"], "ok");
}

#[tokio::test]
async fn disabled_servers_are_never_checked() {
    let peer = counting();
    let server = replica(common::TestDatabase::fresh().await).await;
    let url = format!("http://127.0.0.1:{}/mcp/off", peer.port);
    let created = server
        .created(&json!({"name": "soon-off", "url": url}))
        .await;
    let id = created["id"].as_str().unwrap();
    let off = server.patch(id, &json!({"status": "disabled"})).await;
    assert_eq!(off.status, 200);
    // Whatever the create's probe did, nothing more comes once disabled.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = sessions(&peer).await.get("/mcp/off").copied().unwrap_or(0);
    tokio::time::sleep(Duration::from_secs(3 * INTERVAL_SECS)).await;
    let after = sessions(&peer).await.get("/mcp/off").copied().unwrap_or(0);
    assert_eq!(before, after, "a disabled server was contacted");
    assert!(before <= 1);
}

/// Another replica's view of the database, to race for claims directly.
async fn repository(db: &common::TestDatabase) -> McpServerRepository {
    let database = Database::from_url(&db.url).expect("database url");
    let writer = database.connect(false, None).await.expect("connect");
    let reads = database.connect_reader(&writer).await.expect("readers");
    McpServerRepository::new(writer, reads, SecretBoxer::new(&SecretKey::generate()))
}

#[tokio::test]
async fn replicas_racing_for_the_same_due_checks_each_win_different_ones() {
    // No checker of its own: the test races two claimers itself.
    let server = TestServer::builder()
        .args(&["--health-interval-secs", "0"])
        .spawn()
        .await;
    for i in 0..40 {
        server
            .created(&json!({"name": format!("due-{i}"), "url": "https://mcp.example.com/"}))
            .await;
    }
    // Four replicas at once: on MariaDB two were enough to deadlock the
    // enrolment of never-scheduled servers before it was written by value.
    let mut replicas = Vec::new();
    for _ in 0..4 {
        replicas.push(repository(&server.db).await);
    }
    let now = mcp_registry::domain::now();
    let next = now + chrono::Duration::seconds(300);
    let claims = futures::future::join_all(
        replicas
            .iter()
            .map(|replica| replica.claim_due_checks(now, next, 1_000)),
    )
    .await;
    let mut seen = HashSet::new();
    for won in claims {
        for id in won.expect("a claim round, deadlock or not") {
            assert!(seen.insert(id), "{id} claimed twice");
        }
    }
    assert_eq!(seen.len(), 40, "every due check claimed once");
    // Claimed checks are not due again until `next`.
    let again = replicas[0]
        .claim_due_checks(now, next, 1_000)
        .await
        .unwrap();
    assert!(again.is_empty());
}
