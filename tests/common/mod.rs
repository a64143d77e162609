//! The shared harness: each test runs the real `mcp-registry` binary on a random
//! port against a fresh database, the SQLite file by default or a new PostgreSQL
//! or MariaDB database when `TEST_DATABASE_URL` names a server (any database on it).

#![allow(dead_code)] // each test binary uses its own part of the harness

pub mod mcp;
pub mod peers;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use base64::Engine;
use mcp_registry::config::{API_TOKEN_ENV, SECRET_KEY_ENV};
use mcp_registry::domain::McpServerId;
use mcp_registry::storage::sealing_context;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A database of the test's own, dropped with it (PostgreSQL databases are
/// removed by `.ci/run` before each run).
pub struct TestDatabase {
    pub url: String,
    /// Holds the SQLite file and its key file; also the server's working directory.
    pub dir: tempfile::TempDir,
    /// Set for PostgreSQL, which has no key file beside it.
    pub secret_key: Option<String>,
}

impl TestDatabase {
    pub async fn fresh() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("mcp_test_{}", uuid::Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .expect("TEST_DATABASE_URL ends in /DATABASE");
                Self {
                    url: format!("{base}/{name}"),
                    dir,
                    secret_key: Some(random_key()),
                }
            }
            _ => {
                let file = dir.path().join("registry.db");
                Self {
                    url: format!("sqlite://{}", file.display()),
                    dir,
                    secret_key: None,
                }
            }
        }
    }

    /// The same database for a second server (a replica), with a working
    /// directory of its own.
    pub fn replica(&self) -> Self {
        Self {
            url: self.url.clone(),
            dir: tempfile::tempdir().expect("temp dir"),
            secret_key: self.secret_key.clone(),
        }
    }

    pub fn is_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }

    pub fn sqlite_file(&self) -> PathBuf {
        self.dir.path().join("registry.db")
    }

    pub fn key_file(&self) -> PathBuf {
        self.dir.path().join("registry.key")
    }

    /// A connection of the test's own, to look at what the server stored.
    pub async fn connect(&self) -> DatabaseConnection {
        sea_orm::Database::connect(&self.url)
            .await
            .expect("connect to the test database")
    }

    /// The key the server seals with: the environment's, or the key file's.
    pub fn boxer(&self) -> mcp_registry::secrets::SecretBoxer {
        use mcp_registry::secrets::{SecretBoxer, SecretKey};
        let key = match &self.secret_key {
            Some(text) => SecretKey::from_base64(text).expect("key"),
            None => SecretKey::load_or_create_file(&self.key_file()).expect("key file"),
        };
        SecretBoxer::new(&key)
    }

    /// The stored api_key and headers of a record, opened with the server's key.
    pub async fn stored_secrets(&self, id: &str) -> (Option<String>, Value) {
        let rows = self
            .rows(&format!("SELECT * FROM mcp_servers WHERE id = '{id}'"))
            .await;
        let row = rows.first().expect("the record is stored");
        let boxer = self.boxer();
        let api_key = row["api_key_sealed"].as_str().map(|sealed| {
            let bytes = boxer
                .open(sealed, &sealed_field(id, "api_key"))
                .expect("open api_key");
            String::from_utf8(bytes).expect("utf-8")
        });
        let headers =
            row["headers_sealed"]
                .as_str()
                .map_or(Value::Object(Default::default()), |sealed| {
                    let bytes = boxer
                        .open(sealed, &sealed_field(id, "headers"))
                        .expect("open headers");
                    serde_json::from_slice(&bytes).expect("headers JSON")
                });
        (api_key, headers)
    }

    /// Everything the database holds, as bytes to search for plaintext: the
    /// SQLite file with its WAL and shared memory, or every column of every
    /// table of a PostgreSQL or MariaDB database, as text.
    pub async fn stored_bytes(&self) -> Vec<u8> {
        if self.is_sqlite() {
            return sqlite_bytes(&self.sqlite_file());
        }
        let db = self.connect().await;
        let backend = db.get_database_backend();
        let postgres = backend == sea_orm::DbBackend::Postgres;
        let columns_sql = if postgres {
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public'"
        } else {
            "SELECT CAST(table_name AS CHAR), CAST(column_name AS CHAR) \
             FROM information_schema.columns WHERE table_schema = DATABASE()"
        };
        let columns = db
            .query_all_raw(Statement::from_string(backend, columns_sql))
            .await
            .expect("list the columns");
        let mut bytes = Vec::new();
        for column in columns {
            let table: String = column.try_get_by_index(0).expect("table name");
            let name: String = column.try_get_by_index(1).expect("column name");
            let sql = if postgres {
                format!("SELECT CAST(\"{name}\" AS TEXT) FROM \"{table}\"")
            } else {
                format!("SELECT CAST(`{name}` AS CHAR) FROM `{table}`")
            };
            let rows = db
                .query_all_raw(Statement::from_string(backend, sql))
                .await
                .expect("read a column");
            for row in rows {
                let value: Option<String> = row.try_get_by_index(0).unwrap_or(None);
                bytes.extend(value.unwrap_or_default().into_bytes());
                bytes.push(b'\n');
            }
        }
        bytes
    }

    /// Every stored row as text, column by column (for looking for plaintext).
    pub async fn rows(&self, sql: &str) -> Vec<Value> {
        let db = self.connect().await;
        let rows = db
            .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .expect("query");
        let columns = [
            "id",
            "name",
            "name_key",
            "description",
            "url",
            "transport_type",
            "status",
            "api_key_sealed",
            "headers_sealed",
        ];
        rows.iter()
            .map(|row| {
                let mut object = serde_json::Map::new();
                for column in columns {
                    let value: Option<String> = row.try_get("", column).unwrap_or(None);
                    object.insert(column.to_owned(), value.map_or(Value::Null, Value::String));
                }
                Value::Object(object)
            })
            .collect()
    }
}

/// A client builder for the tests. reqwest's TLS here has no crypto provider of
/// its own (the server brings ring), so the tests install the same one.
pub fn http_client() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// The context a record's secret field is sealed under, as the server binds it.
pub fn sealed_field(id: &str, field: &str) -> String {
    let id: McpServerId = id.parse().expect("an MCP server id");
    sealing_context(&id, field)
}

pub fn random_key() -> String {
    let bytes: Vec<u8> = (0..2)
        .flat_map(|_| *uuid::Uuid::new_v4().as_bytes())
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Writes a tokens file of `(name, scope, token)` into `dir`; answers its path.
pub fn tokens_file(dir: &Path, tokens: &[(&str, &str, &str)]) -> String {
    let entries: Vec<_> = tokens
        .iter()
        .map(|(name, scope, token)| {
            serde_json::json!({"name": name, "scope": scope, "sha256": mcp_registry::access::sha256_hex(token)})
        })
        .collect();
    let path = dir.join("tokens.json");
    std::fs::write(&path, serde_json::to_string(&entries).unwrap()).unwrap();
    path.display().to_string()
}

/// A running `mcp-registry serve`, killed when dropped.
pub struct TestServer {
    pub db: TestDatabase,
    pub base_url: String,
    pub address: String,
    pub client: reqwest::Client,
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
    extra_args: Vec<String>,
    extra_env: Vec<(String, String)>,
}

/// How a test server starts: `TestServer::builder()`, then what differs from
/// the default (a fresh database, no token, no extra flags), then `spawn()`.
#[derive(Default)]
pub struct TestServerBuilder {
    db: Option<TestDatabase>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    client_token: Option<String>,
}

impl TestServerBuilder {
    /// Serve this database instead of a fresh one.
    pub fn database(mut self, db: TestDatabase) -> Self {
        self.db = Some(db);
        self
    }

    /// Flags after `serve`.
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    pub fn env(mut self, vars: &[(&str, &str)]) -> Self {
        self.env
            .extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self
    }

    /// Sets `MCP_REGISTRY_API_TOKEN`; the test client sends that token.
    pub fn api_token(self, token: &str) -> Self {
        self.env(&[(API_TOKEN_ENV, token)]).client_token(token)
    }

    /// The token the test client sends (one of a tokens file, say).
    pub fn client_token(mut self, token: &str) -> Self {
        self.client_token = Some(token.to_owned());
        self
    }

    pub async fn spawn(self) -> TestServer {
        let db = match self.db {
            Some(db) => db,
            None => TestDatabase::fresh().await,
        };
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (child, address) = start(&db, &self.args, &self.env, logs.clone());
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(token) = &self.client_token {
            headers.insert(
                "authorization",
                format!("Bearer {token}").parse().expect("header value"),
            );
        }
        TestServer {
            db,
            base_url: format!("http://{address}"),
            address,
            client: http_client()
                .default_headers(headers)
                .build()
                .expect("client"),
            child,
            logs,
            extra_args: self.args,
            extra_env: self.env,
        }
    }
}

impl TestServer {
    pub fn builder() -> TestServerBuilder {
        TestServerBuilder::default()
    }

    /// The default server: a fresh database, no token.
    pub async fn spawn() -> Self {
        Self::builder().spawn().await
    }

    /// Stops the server with SIGKILL: no chance to flush or clean up.
    pub fn kill_hard(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        signal(&self.child, "TERM");
        self.child.wait().expect("wait for the server")
    }

    /// Starts the server again on the same database with other flags.
    pub async fn restart_with_args(&mut self, args: &[&str]) {
        self.extra_args = args.iter().map(|a| a.to_string()).collect();
        self.restart().await;
    }

    /// Starts the server again on the same database (after a kill or terminate).
    pub async fn restart(&mut self) {
        self.kill_hard();
        let (child, address) = start(
            &self.db,
            &self.extra_args,
            &self.extra_env,
            self.logs.clone(),
        );
        self.child = child;
        self.base_url = format!("http://{address}");
        self.address = address;
    }

    /// The server's peak resident memory so far, in MiB (VmHWM).
    pub fn peak_rss_mib(&self) -> f64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("status");
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.split_whitespace().next()?.parse().ok())
            .expect("VmHWM");
        kib / 1024.0
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn logs(&self) -> String {
        self.logs.lock().expect("logs lock").join("\n")
    }

    /// The logs once a line containing `needle` has arrived (they come through a
    /// pipe, a moment after the response); panics after 10 s without it.
    pub async fn logs_once_seen(&self, needle: &str) -> String {
        for _ in 0..200 {
            let logs = self.logs();
            if logs.contains(needle) {
                return logs;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no log line with {needle:?} in:\n{}", self.logs());
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// POST /v1/mcp-servers with a JSON body.
    pub async fn create(&self, body: &Value) -> Answer {
        self.send(self.client.post(self.url("/v1/mcp-servers")).json(body))
            .await
    }

    /// Any request.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        json_of(request.send().await.expect("send")).await
    }

    /// The text at /metrics.
    pub async fn metrics_text(&self) -> String {
        let response = self.client.get(self.url("/metrics")).send().await;
        response.unwrap().text().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn patch(&self, id: &str, body: &Value) -> Answer {
        self.send(
            self.client
                .patch(self.url(&format!("/v1/mcp-servers/{id}")))
                .json(body),
        )
        .await
    }

    pub async fn delete(&self, id: &str) -> Answer {
        self.send(
            self.client
                .delete(self.url(&format!("/v1/mcp-servers/{id}"))),
        )
        .await
    }

    /// Creates a server that must succeed; answers its JSON.
    pub async fn created(&self, body: &Value) -> Value {
        let answer = self.create(body).await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        answer.body
    }

    /// Sends raw bytes and reads the raw answer: for what an HTTP client library
    /// would not send (chunked bodies, odd content types, broken UTF-8).
    pub async fn raw(&self, request: &[u8]) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(&self.address)
            .await
            .expect("connect");
        stream.write_all(request).await.expect("write");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.ok();
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        (status, body)
    }
}

#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn etag(&self) -> &str {
        self.headers["etag"].to_str().expect("etag")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill_hard();
        // A failed test shows what the server said last: CI keeps no more.
        if std::thread::panicking()
            && let Ok(logs) = self.logs.lock()
        {
            let tail = &logs[logs.len().saturating_sub(LOG_LINES_ON_FAILURE)..];
            eprintln!("--- the server's last log lines ---\n{}", tail.join("\n"));
        }
    }
}

/// How much of a server's log a failed test prints.
const LOG_LINES_ON_FAILURE: usize = 40;

/// What every request helper answers: the status, the headers and the body,
/// which must be JSON when there is one (Null when empty).
pub async fn json_of(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("read body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        let content_type = headers
            .get("content-type")
            .map(|v| v.to_str().unwrap_or(""));
        assert_eq!(content_type, Some("application/json"), "{status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// Asserts the `{"error": "..."}` shape and answers the message.
/// A record (or a list page) without `health`: background probes fill it in
/// at their own pace, so tests about anything else compare the rest.
pub fn without_health(mut body: Value) -> Value {
    let strip = |record: &mut Value| {
        if let Some(fields) = record.as_object_mut() {
            fields.remove("health");
        }
    };
    match body.get_mut("data").and_then(Value::as_array_mut) {
        Some(records) => records.iter_mut().for_each(strip),
        None => strip(&mut body),
    }
    body
}

pub fn error_message(body: &Value) -> &str {
    let object = body.as_object().expect("error body is an object");
    assert_eq!(object.len(), 1, "only `error` in {body}");
    object["error"].as_str().expect("error is a string")
}

fn signal(child: &Child, name: &str) {
    Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("send signal");
}

fn start(
    db: &TestDatabase,
    extra_args: &[String],
    extra_env: &[(String, String)],
    logs: Arc<Mutex<Vec<String>>>,
) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcp-registry"));
    command
        .arg("serve")
        .args(extra_args)
        .current_dir(db.dir.path())
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "info")
        .env_remove(SECRET_KEY_ENV)
        .env_remove(API_TOKEN_ENV)
        .envs(extra_env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(key) = &db.secret_key {
        command.env(SECRET_KEY_ENV, key);
    }
    if !extra_args.iter().any(|a| a == "--bind") {
        command.args(["--bind", "127.0.0.1:0"]);
    }
    // Load-making tests must not meet the rate limit; the tests of the limit
    // set their own.
    if !extra_args.iter().any(|a| a == "--rate-limit") {
        command.args(["--rate-limit", "0"]);
    }
    let mut child = command.spawn().expect("start mcp-registry");
    let (address_tx, address_rx) = mpsc::channel();
    for stream in [
        Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().expect("stderr")),
    ] {
        let logs = logs.clone();
        let address_tx = address_tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let Some(address) = listening_address(&line) {
                    address_tx.send(address).ok();
                }
                logs.lock().expect("logs lock").push(line);
            }
        });
    }
    // Only the readers hold senders now: if the server exits, waiting ends.
    drop(address_tx);
    let address = address_rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("server did not start: {}", logs.lock().unwrap().join("\n")));
    (child, address)
}

/// The address from the server's "listening" line (text or JSON format).
fn listening_address(line: &str) -> Option<String> {
    if let Ok(Value::Object(event)) = serde_json::from_str::<Value>(line) {
        return (event.get("message")? == "listening")
            .then(|| event.get("address")?.as_str().map(str::to_owned))
            .flatten();
    }
    let (_, rest) = line.split_once(" listening address=")?;
    Some(rest.split_whitespace().next()?.to_owned())
}

/// Reads every byte of the SQLite database files (main, WAL, shared memory).
pub fn sqlite_bytes(file: &Path) -> Vec<u8> {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| std::fs::read(format!("{}{suffix}", file.display())).ok())
        .flatten()
        .collect()
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}
