//! Talking MCP to a registry as agents do: a registry with an admin token, an
//! agent's `use` token and a dashboard's `read` token, and JSON-RPC messages
//! POSTed raw (what an SDK would send, without the SDK in the way).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{TestServer, tokens_file};

/// The upstream's own token: the registry stores it as the api_key.
pub const UPSTREAM_KEY: &str = "sk-upstream-7f3a9c2e5d";
pub const ADMIN: &str = "admin-token-gw-41c8";
pub const AGENT: &str = "agent-token-gw-93d1";
pub const READER: &str = "reader-token-gw-2b7e";

pub struct Registry {
    pub server: TestServer,
    _tokens: tempfile::TempDir,
}

/// A registry that may reach loopback, with an admin token, an agent's
/// `use` token and a dashboard's `read` token, logging JSON.
pub async fn registry(extra: &[&str]) -> Registry {
    registry_with_env(extra, &[]).await
}

/// The same, with more of the environment set (`RUST_LOG`, say).
pub async fn registry_with_env(extra: &[&str], env: &[(&str, &str)]) -> Registry {
    let dir = tempfile::tempdir().unwrap();
    let file = tokens_file(
        dir.path(),
        &[("agent", "use", AGENT), ("dashboard", "read", READER)],
    );
    let mut args = vec![
        "--allowed-networks",
        "127.0.0.0/8",
        "--api-tokens-file",
        &file,
        "--log-format",
        "json",
    ];
    // No health checks unless a test asks for them.
    if !extra.contains(&"--health-interval-secs") {
        args.extend(["--health-interval-secs", "0"]);
    }
    args.extend_from_slice(extra);
    let server = TestServer::builder()
        .api_token(ADMIN)
        .args(&args)
        .env(env)
        .spawn()
        .await;
    Registry {
        server,
        _tokens: dir,
    }
}

impl Registry {
    /// Registers `url` with `api_key` and waits for the probe the create
    /// queues, so that it sends nothing upstream later.
    pub async fn register(&self, name: &str, url: &str, api_key: &str) -> String {
        self.register_record(&json!({"name": name, "url": url, "api_key": api_key}))
            .await
    }

    /// Creates the record `body` and waits for the probe the create queues.
    pub async fn register_record(&self, body: &Value) -> String {
        let created = self.server.created(body).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.server.get(&format!("/v1/mcp-servers/{id}")).await.body["health"].is_null() {
            assert!(Instant::now() < deadline, "the first probe never ended");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        id
    }

    pub fn gateway_url(&self, id: &str) -> String {
        self.server.url(&format!("/v1/mcp-servers/{id}/mcp"))
    }

    /// The audit events of `tools/call`.
    pub fn call_events(&self) -> Vec<Value> {
        self.server
            .logs()
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|event| event["target"] == "audit" && event["action"] == "tools/call")
            .collect()
    }

    pub async fn call_events_once(&self, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let events = self.call_events();
            if events.len() >= count || Instant::now() > deadline {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// One JSON-RPC message POSTed as an agent would; answers the status, the
/// session id given back and the messages of the answer (JSON or SSE).
pub async fn post(url: &str, token: &str, session: Option<&str>, message: Value) -> Posted {
    let mut request = super::http_client()
        .build()
        .unwrap()
        .post(url)
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&message);
    if let Some(session) = session {
        request = request.header("mcp-session-id", session);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let session = response
        .headers()
        .get("mcp-session-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    let messages = if text.trim_start().starts_with('{') {
        vec![serde_json::from_str(&text).unwrap()]
    } else {
        text.lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter_map(|data| serde_json::from_str(data.trim()).ok())
            .collect()
    };
    Posted {
        status,
        session,
        messages,
        text,
    }
}

#[derive(Debug)]
pub struct Posted {
    pub status: u16,
    pub session: Option<String>,
    pub messages: Vec<Value>,
    /// The answer's body as it came.
    pub text: String,
}

pub fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "raw-agent", "version": "1"}}})
}

/// An initialized session through `url`: its id.
pub async fn session(url: &str, token: &str) -> String {
    let answer = post(url, token, None, initialize()).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let session = answer.session.expect("a session id");
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(
        post(url, token, Some(&session), initialized).await.status,
        202
    );
    session
}

pub fn call(id: u64, tool: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": {}}})
}

/// `method` on `url` with `session`, as `token`: the status and the JSON body
/// (`Null` when there is none).
pub async fn send(url: &str, method: reqwest::Method, token: &str, session: &str) -> (u16, Value) {
    let response = open(url, method, token, session).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// `method` on `url` with `session`, as `token`, the response not yet read
/// (a stream stays open while it is held).
pub async fn open(
    url: &str,
    method: reqwest::Method,
    token: &str,
    session: &str,
) -> reqwest::Response {
    super::http_client()
        .build()
        .unwrap()
        .request(method, url)
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .header("mcp-session-id", session)
        .send()
        .await
        .unwrap()
}
