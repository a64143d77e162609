//! Nothing a registered server is sent comes back out of the registry: a
//! hostile server (`echoing.py`) copies every credential it receives into
//! everything it says, in every spelling a JSON encoder may give it, split
//! across chunks; no answer to any token, no log line (at trace level) and no
//! stored byte holds any of them.

mod common;

use common::mcp::{AGENT, READER, Registry, call, initialize, post, registry_with_env};
use common::peers::{Peer, stdlib_peer};
use serde_json::{Value, json};

/// Stored secrets with the characters a JSON encoder escapes: quotes and a
/// backslash (escaped by every encoder), `&`, `<`, `>` (by Go's), `/` (by
/// some).
const API_KEY: &str = r#"sk-"quoted"\back&<>/7f3a9c"#;
const HEADER_KEY: &str = r#"hk-<&>"x"\y-52d1e8"#;
const BEARER: &str = "bearer-token-3e9f0a7b";
/// A header whose name says nothing, marked secret by the record.
const MARKED: &str = "tenant-marked-77a1";

/// Every way the secret may be written in JSON text, an agent's parser
/// reading each back as the secret: raw, escaped as serde_json (and Python)
/// write it, as Go writes it, and every character as `\uXXXX` in either case.
fn spellings(secret: &str) -> Vec<String> {
    let escaped = serde_json::to_string(secret).unwrap();
    let escaped = escaped[1..escaped.len() - 1].to_owned();
    let go = escaped
        .replace('&', "\\u0026")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e");
    let lower: String = secret
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let upper: String = secret
        .chars()
        .map(|c| format!("\\u{:04X}", c as u32))
        .collect();
    vec![secret.to_owned(), escaped, go, lower, upper]
}

fn assert_no_secret(haystack: &[u8], what: &str) {
    for secret in [API_KEY, HEADER_KEY, BEARER, MARKED] {
        for spelling in spellings(secret) {
            assert!(
                !common::contains(haystack, &spelling),
                "{what} holds the secret spelt {spelling}"
            );
        }
    }
}

fn echoing(mode: &str) -> Peer {
    stdlib_peer("echoing.py", &[mode])
}

/// A record of `peer` with every kind of stored secret.
async fn register(registry: &Registry, name: &str, peer: &Peer) -> String {
    registry
        .register_record(&json!({
            "name": name,
            "url": peer.mcp_url(),
            "api_key": API_KEY,
            "headers": {"X-Api-Key": HEADER_KEY, "X-Tenant": MARKED, "X-Region": "eu-west",
                        "X-Auth": format!("Bearer {BEARER}")},
            "secret_headers": ["X-Tenant"],
        }))
        .await
}

/// Every answer, as the caller got it.
#[derive(Default)]
struct Seen(Vec<u8>);

impl Seen {
    async fn get(&mut self, registry: &Registry, path: &str, token: &str) -> Value {
        let response = registry
            .server
            .client
            .get(registry.server.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let text = response.text().await.unwrap();
        self.0.extend(text.as_bytes());
        serde_json::from_str(&text).unwrap()
    }

    /// Posts `message` to the MCP endpoint `url`; answers its messages.
    async fn mcp(&mut self, url: &str, session: Option<&str>, message: Value) -> Vec<Value> {
        let posted = post(url, AGENT, session, message).await;
        self.0.extend(posted.text.as_bytes());
        posted.messages
    }

    /// A session through `url`, then every kind of request an agent sends;
    /// with `progress`, the call's answer brings a progress notification.
    async fn converse(
        &mut self,
        url: &str,
        echo_tool: &str,
        (prompt, resource): (&str, &str),
        progress: bool,
    ) {
        // An agent that can answer what the server asks of it.
        let mut hello = initialize();
        hello["params"]["capabilities"] = json!({"sampling": {}, "elicitation": {}});
        let opened = post(url, AGENT, None, hello).await;
        assert_eq!(opened.status, 200, "{opened:?}");
        self.0.extend(opened.text.as_bytes());
        let session = opened.session.expect("a session");
        let session = Some(session.as_str());
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        self.mcp(url, session, initialized).await;
        for (id, method) in [
            (2, "tools/list"),
            (3, "resources/list"),
            (4, "prompts/list"),
        ] {
            let listed = self
                .mcp(
                    url,
                    session,
                    json!({"jsonrpc": "2.0", "id": id, "method": method}),
                )
                .await;
            assert!(
                listed.iter().any(|m| m["result"].is_object()),
                "{method}: {listed:?}"
            );
        }
        let mut echo = call(5, echo_tool);
        echo["params"]["_meta"] = json!({"progressToken": "p-5"});
        let answer = self.mcp(url, session, echo).await;
        if progress {
            let notice = answer
                .iter()
                .find(|m| m["method"] == "notifications/progress")
                .unwrap_or_else(|| {
                    panic!("the progress notification came through {url}: {answer:?}")
                });
            assert_eq!(notice["params"]["progressToken"], "p-5", "{notice}");
            assert!(
                notice["params"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("[redacted]")),
                "{notice}"
            );
            // What the server asks the agent reaches it, redacted.
            for (method, text) in [
                ("sampling/createMessage", "/params/messages/0/content/text"),
                ("elicitation/create", "/params/message"),
            ] {
                let asked = answer
                    .iter()
                    .find(|m| m["method"] == method)
                    .unwrap_or_else(|| panic!("{method} came through {url}: {answer:?}"));
                assert!(
                    asked
                        .pointer(text)
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.contains("[redacted]")),
                    "{asked}"
                );
            }
        }
        let result = answer.iter().find(|m| m["id"] == 5).expect("an answer");
        assert!(
            result["result"]["content"][0]["text"]
                .as_str()
                .is_some_and(|text| text.contains("[redacted]")),
            "the echo came back, redacted: {answer:?}"
        );
        let fail = echo_tool.replace("echo", "fail");
        let failed = self.mcp(url, session, call(6, &fail)).await;
        assert!(failed.iter().any(|m| m["error"].is_object()), "{failed:?}");
        let get_prompt =
            json!({"jsonrpc": "2.0", "id": 7, "method": "prompts/get", "params": {"name": prompt}});
        self.mcp(url, session, get_prompt).await;
        let read = json!({"jsonrpc": "2.0", "id": 8, "method": "resources/read", "params": {"uri": resource}});
        self.mcp(url, session, read).await;
    }
}

#[tokio::test]
async fn a_server_that_echoes_its_credentials_everywhere_gets_none_of_them_out() {
    let (json_peer, sse_peer) = (echoing("json"), echoing("sse"));
    let registry = registry_with_env(&["--registry-api", "public"], &[("RUST_LOG", "trace")]).await;
    let mut seen = Seen::default();
    let mut ids = Vec::new();
    for (name, peer) in [("echo-json", &json_peer), ("echo-sse", &sse_peer)] {
        let id = register(&registry, name, peer).await;
        // The probe's own answer, and what it stored.
        let probe = registry
            .server
            .send(
                registry
                    .server
                    .client
                    .post(registry.server.url(&format!("/v1/mcp-servers/{id}/probe"))),
            )
            .await;
        assert_eq!(probe.body["state"], "ok", "{}", probe.body);
        // echo-sse speaks the stateless revision, echoing at discovery too.
        let era = if name == "echo-sse" {
            "stateless"
        } else {
            "handshake"
        };
        assert_eq!(probe.body["era"], era, "{}", probe.body);
        seen.0.extend(probe.body.to_string().as_bytes());
        let record = registry.server.get(&format!("/v1/mcp-servers/{id}")).await;
        seen.0.extend(record.body.to_string().as_bytes());
        for listing in ["tools", "resources", "resource-templates", "prompts"] {
            for token in [AGENT, READER] {
                let page = seen
                    .get(&registry, &format!("/v1/mcp-servers/{id}/{listing}"), token)
                    .await;
                assert!(!page["data"].as_array().unwrap().is_empty(), "{listing}");
            }
        }
        ids.push(id);
    }
    seen.get(&registry, "/v1/tools?limit=200", AGENT).await;
    seen.get(&registry, "/v1/tools?q=redacted", READER).await;
    seen.get(&registry, "/v0.1/servers", READER).await;
    // The probe's answer names what the catalog holds: the stored catalog
    // is redacted, not only what is shown.
    let tools = seen
        .get(
            &registry,
            &format!("/v1/mcp-servers/{}/tools", ids[0]),
            AGENT,
        )
        .await;
    assert!(
        tools.to_string().contains("[redacted]"),
        "the echoed values are in the catalog, redacted: {tools}"
    );

    // Each server's own endpoint, and both through /mcp.
    for id in &ids {
        let prompts = seen
            .get(&registry, &format!("/v1/mcp-servers/{id}/prompts"), AGENT)
            .await;
        let prompt = prompts["data"][0]["name"].as_str().unwrap().to_owned();
        let resources = seen
            .get(&registry, &format!("/v1/mcp-servers/{id}/resources"), AGENT)
            .await;
        let resource = resources["data"][0]["uri"].as_str().unwrap().to_owned();
        let progress = *id == ids[1];
        seen.converse(
            &registry.gateway_url(id),
            "echo",
            (&prompt, &resource),
            progress,
        )
        .await;
    }
    let aggregate = registry.server.url("/mcp");
    let listed = post(&aggregate, AGENT, None, initialize()).await;
    let session = listed.session.clone().expect("a session");
    let prompts = seen
        .mcp(
            &aggregate,
            Some(&session),
            json!({"jsonrpc": "2.0", "id": 2, "method": "prompts/list"}),
        )
        .await;
    let resources = seen
        .mcp(
            &aggregate,
            Some(&session),
            json!({"jsonrpc": "2.0", "id": 3, "method": "resources/list"}),
        )
        .await;
    for (index, server) in ["echo-json", "echo-sse"].iter().enumerate() {
        let prompt = prompts[0]["result"]["prompts"][index]["name"]
            .as_str()
            .unwrap()
            .to_owned();
        let resource = resources[0]["result"]["resources"][index]["uri"]
            .as_str()
            .unwrap()
            .to_owned();
        let tool = format!("{server}__echo");
        seen.converse(&aggregate, &tool, (&prompt, &resource), index == 1)
            .await;
    }

    // At 2026-07-28 a call that asks for log lines hears the server's,
    // redacted too.
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "script", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/logLevel": "debug",
    });
    let logged = common::http_client()
        .build()
        .unwrap()
        .post(&aggregate)
        .bearer_auth(AGENT)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "echo-sse__echo")
        .json(&json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
                      "params": {"name": "echo-sse__echo", "arguments": {}, "_meta": meta}}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(logged.contains("notifications/message"), "{logged}");
    seen.0.extend(logged.as_bytes());

    assert_no_secret(&seen.0, "an answer");
    let logs = registry.server.logs();
    assert!(
        logs.contains(r#""level":"TRACE""#),
        "the log is at trace level"
    );
    assert_no_secret(logs.as_bytes(), "the log");
    assert_no_secret(&registry.server.db.stored_bytes().await, "the database");
    // What the upstreams were sent: the secrets, so that they could echo them.
    let sent = common::http_client()
        .build()
        .unwrap()
        .get(format!("http://127.0.0.1:{}/seen", sse_peer.port))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sent.contains("bearer-token-3e9f0a7b"), "{sent}");
}

#[tokio::test]
async fn a_compressed_answer_is_refused_not_passed_on() {
    let peer = echoing("gzip");
    let registry = registry_with_env(&[], &[]).await;
    let id = register(&registry, "echo-gzip", &peer).await;

    let url = registry.gateway_url(&id);
    let opened = post(&url, AGENT, None, initialize()).await;
    let session = opened.session.expect("a session");
    let answer = post(&url, AGENT, Some(&session), call(2, "echo")).await;
    assert_eq!(answer.status, 502, "{answer:?}");
    let error = &answer.messages[0]["error"];
    assert_eq!(error["code"], -32004, "{answer:?}");
    assert_eq!(error["data"]["reason"], "protocol_error", "{answer:?}");
    assert!(
        error["message"].as_str().unwrap().contains("gzip"),
        "it says why: {answer:?}"
    );
    assert_no_secret(answer.text.as_bytes(), "the answer");

    let aggregate = registry.server.url("/mcp");
    let opened = post(&aggregate, AGENT, None, initialize()).await;
    let session = opened.session.expect("a session");
    let answer = post(
        &aggregate,
        AGENT,
        Some(&session),
        call(2, "echo-gzip__echo"),
    )
    .await;
    let error = answer
        .messages
        .iter()
        .find(|m| m["id"] == 2)
        .map(|m| m["error"].clone())
        .expect("an answer");
    assert!(error.is_object(), "{answer:?}");
    assert_no_secret(answer.text.as_bytes(), "the answer");
}

#[tokio::test]
async fn findings_stored_before_redaction_existed_are_redacted_at_start() {
    let peer = echoing("json");
    let mut registry = registry_with_env(&[], &[]).await;
    let id = register(&registry, "echo-old", &peer).await;
    // As a version without redaction stored them: the secret in the clear,
    // and escaped, in a catalog row and the server's info.
    let db = registry.server.db.connect().await;
    let backend = db.get_database_backend();
    for sql in [
        format!(
            "UPDATE mcp_catalog_entries SET description = 'old {BEARER}', \
             body = '{{\"name\":\"echo\",\"description\":\"\\\\u0062{rest}\"}}' \
             WHERE server_id = '{id}' AND kind = 'tool' AND position = 0",
            rest = &BEARER[1..]
        ),
        format!(
            "UPDATE mcp_server_health SET server_info = \
             '{{\"name\":\"{BEARER}\",\"title\":null,\"version\":\"1\"}}', redaction = 0 \
             WHERE server_id = '{id}'"
        ),
    ] {
        use sea_orm::ConnectionTrait;
        db.execute_raw(sea_orm::Statement::from_string(backend, sql))
            .await
            .unwrap();
    }
    db.close().await.unwrap();
    let before = registry
        .server
        .get(&format!("/v1/mcp-servers/{id}/tools"))
        .await;
    assert!(before.body.to_string().contains(BEARER), "{}", before.body);

    registry.server.restart().await;
    let tools = registry
        .server
        .get(&format!("/v1/mcp-servers/{id}/tools"))
        .await;
    assert_eq!(tools.body["data"][0]["description"], "old [redacted]");
    assert_eq!(tools.body["data"][0]["name"], "echo");
    assert_ne!(tools.etag(), before.etag(), "a cached copy is stale");
    assert_no_secret(tools.body.to_string().as_bytes(), "the catalog");
    assert_no_secret(&registry.server.db.stored_bytes().await, "the database");
    assert!(
        registry
            .server
            .logs()
            .contains("redacted the secrets that stored catalogs held"),
        "{}",
        registry.server.logs()
    );
}
