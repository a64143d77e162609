//! Secrets are write-only and sealed: never in a response, a log line or the
//! database in plaintext, and a ciphertext only opens in its own row.

mod common;

use common::{Answer, TestDatabase, TestServer, contains, sealed_field, sqlite_bytes};
use mcp_registry::secrets::{SecretBoxer, SecretKey};
use serde_json::{Value, json};

const API_KEY: &str = "sk-live-PLAINTEXT-api-key-0001";
const BEARER: &str = "Bearer PLAINTEXT-bearer-token-0002";
const COOKIE: &str = "sid=PLAINTEXT-cookie-0003";
const TENANT: &str = "tenant-visible-0004";

async fn create_with_secrets(server: &TestServer, name: &str) -> Value {
    let Answer { status, body, .. } = server
        .create(&json!({
            "name": name,
            "url": "https://mcp.example.com/",
            "api_key": API_KEY,
            "headers": {"Authorization": BEARER, "Cookie": COOKIE, "X-Tenant": TENANT}
        }))
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

#[tokio::test]
async fn secrets_never_come_back_in_a_response() {
    let server = TestServer::spawn().await;
    let body = create_with_secrets(&server, "no-echo").await.to_string();
    for secret in [API_KEY, BEARER, COOKIE] {
        assert!(!body.contains(secret), "{secret} in {body}");
    }
    assert!(body.contains(TENANT), "ordinary header values are returned");
}

#[tokio::test]
async fn secrets_are_not_stored_in_plaintext() {
    let server = TestServer::spawn().await;
    create_with_secrets(&server, "sealed").await;
    let rows = server.db.rows("SELECT * FROM mcp_servers").await;
    let stored = serde_json::to_string(&rows).unwrap();
    for secret in [API_KEY, BEARER, COOKIE, "PLAINTEXT"] {
        assert!(!stored.contains(secret), "{secret} stored: {stored}");
    }
    assert!(
        rows[0]["api_key_sealed"]
            .as_str()
            .unwrap()
            .starts_with("v1:")
    );
    if server.db.is_sqlite() {
        // The raw files, WAL included, as an attacker with the disk would read them.
        let bytes = sqlite_bytes(&server.db.sqlite_file());
        assert!(
            contains(&bytes, "sealed"),
            "sanity: the record is in these files"
        );
        assert!(
            !contains(&bytes, "PLAINTEXT"),
            "no secret in the database files"
        );
    }
}

#[tokio::test]
async fn secrets_never_appear_in_the_logs() {
    let server = TestServer::spawn().await;
    create_with_secrets(&server, "quiet").await;
    // A rejected request carrying secrets must not echo them either.
    let Answer { status, .. } = server
        .create(&json!({"name": " bad", "url": "https://a.example/", "api_key": API_KEY, "headers": {"Authorization": BEARER}}))
        .await;
    assert_eq!(status, 400);
    let logs = server.logs_once_seen("status=400").await;
    assert!(!logs.contains("PLAINTEXT"), "{logs}");
}

#[tokio::test]
async fn sealed_secrets_open_only_with_the_key_and_in_their_own_row() {
    let server = TestServer::spawn().await;
    let first = create_with_secrets(&server, "first").await;
    let second = create_with_secrets(&server, "second").await;
    let rows = server
        .db
        .rows("SELECT * FROM mcp_servers ORDER BY id")
        .await;
    let boxer = server.db.boxer();
    let first_id = first["id"].as_str().unwrap();
    let second_id = second["id"].as_str().unwrap();
    let sealed = rows[0]["api_key_sealed"].as_str().unwrap();
    assert_eq!(rows[0]["id"], first_id);

    let opened = boxer
        .open(sealed, &sealed_field(first_id, "api_key"))
        .unwrap();
    assert_eq!(opened, API_KEY.as_bytes());
    let headers = boxer
        .open(
            rows[0]["headers_sealed"].as_str().unwrap(),
            &sealed_field(first_id, "headers"),
        )
        .unwrap();
    let headers: Value = serde_json::from_slice(&headers).unwrap();
    assert_eq!(headers["Authorization"], BEARER);

    // Copied into the other row, the same ciphertext does not open.
    assert!(
        boxer
            .open(sealed, &sealed_field(second_id, "api_key"))
            .is_err()
    );
    // Nor with another key.
    assert!(
        SecretBoxer::new(&SecretKey::generate())
            .open(sealed, &sealed_field(first_id, "api_key"))
            .is_err()
    );
}

#[tokio::test]
async fn embedded_database_gets_a_private_key_file_that_is_reused() {
    let mut server = TestServer::spawn().await;
    if !server.db.is_sqlite() {
        return; // PostgreSQL takes its key from MCP_REGISTRY_SECRET_KEY only.
    }
    let key_file = server.db.key_file();
    let first = std::fs::read_to_string(&key_file).expect("key file beside the database");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    create_with_secrets(&server, "before-restart").await;
    server.restart().await;
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        first,
        "the key is reused"
    );
    let rows = server.db.rows("SELECT * FROM mcp_servers").await;
    let id = rows[0]["id"].as_str().unwrap();
    let boxer = server.db.boxer();
    assert!(
        boxer
            .open(
                rows[0]["api_key_sealed"].as_str().unwrap(),
                &sealed_field(id, "api_key")
            )
            .is_ok()
    );
}

#[tokio::test]
async fn an_environment_key_takes_precedence_and_no_key_file_is_written() {
    let mut db = TestDatabase::fresh().await;
    let key = common::random_key();
    db.secret_key = Some(key.clone());
    let server = TestServer::builder().database(db).spawn().await;
    let body = create_with_secrets(&server, "env-key").await;
    if server.db.is_sqlite() {
        assert!(
            !server.db.key_file().exists(),
            "no key file when the key is given"
        );
    }
    let rows = server.db.rows("SELECT * FROM mcp_servers").await;
    let boxer = SecretBoxer::new(&SecretKey::from_base64(&key).unwrap());
    let context = sealed_field(body["id"].as_str().unwrap(), "api_key");
    assert!(
        boxer
            .open(rows[0]["api_key_sealed"].as_str().unwrap(), &context)
            .is_ok()
    );
}

/// Credential headers are known by more names than before, and any other
/// header may be marked secret: then it is write-only like the rest, shown
/// nowhere (records, lists, the MCP Registry API), and its mark stays until
/// its value is given again.
#[tokio::test]
async fn any_header_may_be_marked_secret_and_names_that_say_so_are_secret() {
    // Publishing the upstream's own headers is where a mark matters.
    let server = TestServer::builder()
        .args(&[
            "--registry-api",
            "public",
            "--registry-api-remotes",
            "upstream",
        ])
        .spawn()
        .await;
    let named = [
        ("X-Passwd", "pw-PLAINTEXT-0005"),
        ("X-Jwt", "jwt-PLAINTEXT-0006"),
        ("X-Bearer", "bearer-PLAINTEXT-0007"),
        ("X-Hub-Signature", "sig-PLAINTEXT-0008"),
        ("X-Private-Id", "private-PLAINTEXT-0009"),
    ];
    let mut headers: serde_json::Map<String, Value> = named
        .iter()
        .map(|(name, value)| ((*name).to_owned(), json!(value)))
        .collect();
    headers.insert("X-Tenant".into(), json!("tenant-PLAINTEXT-0010"));
    headers.insert("X-Region".into(), json!("eu-west"));
    let Answer { status, body, .. } = server
        .create(&json!({"name": "marked", "url": "https://mcp.example.com/",
                        "headers": headers, "secret_headers": ["x-tenant"]}))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["secret_headers"], json!(["x-tenant"]));
    let id = body["id"].as_str().unwrap().to_owned();
    let shown = [
        body.to_string(),
        server
            .get(&format!("/v1/mcp-servers/{id}"))
            .await
            .body
            .to_string(),
        server.get("/v1/mcp-servers").await.body.to_string(),
        server.get("/v0.1/servers").await.body.to_string(),
    ];
    for text in &shown {
        for secret in named
            .iter()
            .map(|(_, value)| *value)
            .chain(["tenant-PLAINTEXT-0010"])
        {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(
            text.contains("eu-west"),
            "an ordinary value is shown: {text}"
        );
    }
    assert_eq!(body["headers"]["X-Tenant"], "********");
    let registry = server.get("/v0.1/servers").await.body;
    let remote = &registry["servers"][0]["server"]["remotes"][0]["headers"];
    let tenant = remote
        .as_array()
        .unwrap()
        .iter()
        .find(|header| header["name"] == "X-Tenant")
        .unwrap();
    assert_eq!(tenant["isSecret"], true, "{tenant}");

    // A mark names a header the record has.
    let unknown = server
        .create(&json!({"name": "bad", "url": "https://mcp.example.com/",
                        "headers": {"X-A": "1"}, "secret_headers": ["X-B"]}))
        .await;
    assert_eq!(unknown.status, 400);
    assert!(common::error_message(&unknown.body).starts_with("secret_headers[0]"));

    // Taking the mark off would show the stored value: refused, unless the
    // value is given again; the masked value sent back keeps it.
    let unmarked = server.patch(&id, &json!({"secret_headers": []})).await;
    assert_eq!(unmarked.status, 400, "{}", unmarked.body);
    assert!(common::error_message(&unmarked.body).contains("x-tenant"));
    let mut kept = body["headers"].clone();
    kept["X-Region"] = json!("eu-north");
    let patched = server.patch(&id, &json!({"headers": kept})).await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["secret_headers"], json!(["x-tenant"]));
    let (_, stored) = server.db.stored_secrets(&id).await;
    assert_eq!(stored["X-Tenant"], "tenant-PLAINTEXT-0010");
    let mut given = patched.body["headers"].clone();
    given["X-Tenant"] = json!("acme");
    let public = server
        .patch(&id, &json!({"headers": given, "secret_headers": null}))
        .await;
    assert_eq!(public.status, 200, "{}", public.body);
    assert_eq!(public.body["headers"]["X-Tenant"], "acme");
    assert_eq!(public.body["secret_headers"], json!([]));
}
