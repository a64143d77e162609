//! Agents of every protocol era reach every registered server through its
//! own endpoint, `/v1/mcp-servers/{id}/mcp`, and negotiate there what they
//! negotiate with the server directly: PyPI `mcp` 2.x's `Client` in `auto`
//! (2026-07-28's `server/discover`, falling back to `initialize` on an MCP
//! error), `legacy` and pinned `2026-07-28` mode, and agent frameworks'
//! clients (the OpenAI Agents SDK, fastmcp, LangChain's adapter), against
//! servers of either era nobody here wrote (PyPI `mcp` 1.x and 2.x,
//! fastmcp 4.x).

mod common;

use common::mcp::{AGENT, UPSTREAM_KEY, registry};
use common::peers::{
    counting, inspector_cli, node_client, python_client, python_mcp1_client, python_mcp1_peer,
    python_peer,
};
use serde_json::{Value, json};

/// `era_client.py` against `url`: the negotiated revision, the tools, and
/// what a call, a resource read and a prompt answered.
async fn converse(url: &str, token: &str, mode: &str, header: Option<&str>) -> Value {
    let mut args = vec![url, token, mode];
    args.extend(header);
    python_client("era_client.py", &args).await
}

/// A registered server to reach in some modes.
struct Upstream<'a> {
    name: &'static str,
    url: String,
    /// How the registry stores its credential.
    stored: Value,
    /// How a client presents it directly (besides the bearer token).
    direct_header: Option<&'a str>,
    modes: &'static [&'static str],
}

#[tokio::test]
async fn every_client_mode_negotiates_through_the_registry_what_it_does_directly() {
    let modern = python_peer("modern_server.py", &[UPSTREAM_KEY]);
    let fast = python_peer("fastmcp_server.py", &[UPSTREAM_KEY]);
    let lowlevel = python_peer("gateway_peer.py", &[UPSTREAM_KEY]);
    let legacy = counting();
    let mcp1 = python_mcp1_peer("legacy_server.py", &[UPSTREAM_KEY]);
    let modern_only = python_peer("modern_server.py", &[UPSTREAM_KEY, "modern-only"]);
    let registry = registry(&[]).await;
    let key_header = format!("X-Api-Key:{UPSTREAM_KEY}");
    let legacy_url = format!("http://127.0.0.1:{}/mcp/paged", legacy.port);
    let upstreams = [
        Upstream {
            name: "modern",
            url: modern.mcp_url(),
            stored: json!({"api_key": UPSTREAM_KEY}),
            direct_header: None,
            modes: &["auto", "legacy", "2026-07-28"],
        },
        Upstream {
            name: "fast",
            url: fast.mcp_url(),
            stored: json!({"headers": {"X-Api-Key": UPSTREAM_KEY}}),
            direct_header: Some(key_header.as_str()),
            modes: &["auto", "legacy"],
        },
        Upstream {
            name: "lowlevel",
            url: lowlevel.mcp_url(),
            stored: json!({"api_key": UPSTREAM_KEY}),
            direct_header: None,
            modes: &["auto", "legacy"],
        },
        Upstream {
            name: "legacy",
            url: legacy_url,
            stored: json!({}),
            direct_header: None,
            modes: &["auto", "legacy"],
        },
        Upstream {
            name: "mcp1",
            url: mcp1.mcp_url(),
            stored: json!({"api_key": UPSTREAM_KEY}),
            direct_header: None,
            modes: &["auto", "legacy"],
        },
        // Refuses `initialize`: a client pinned to the handshake era cannot
        // reach it directly, nor through its own endpoint (a relay).
        Upstream {
            name: "modernonly",
            url: modern_only.mcp_url(),
            stored: json!({"api_key": UPSTREAM_KEY}),
            direct_header: None,
            modes: &["auto", "2026-07-28"],
        },
    ];
    let mut negotiated = std::collections::HashMap::new();
    for Upstream {
        name,
        url,
        stored,
        direct_header: header,
        modes,
    } in upstreams
    {
        let mut record = json!({"name": name, "url": url});
        record
            .as_object_mut()
            .unwrap()
            .extend(stored.as_object().unwrap().clone());
        let id = registry.register_record(&record).await;
        let through = registry.gateway_url(&id);
        for mode in modes {
            let direct = converse(&url, UPSTREAM_KEY, mode, header).await;
            let relayed = converse(&through, AGENT, mode, None).await;
            assert_eq!(relayed, direct, "{name} in {mode} mode");
            negotiated.insert((name, *mode), relayed["version"].clone());
        }
    }
    // The modern server speaks 2026-07-28 to an agent in auto mode, through
    // the registry too; to the legacy one the agent falls back.
    assert_eq!(negotiated[&("modern", "auto")], "2026-07-28");
    assert_eq!(negotiated[&("modern", "legacy")], "2025-11-25");
    assert_eq!(negotiated[&("legacy", "auto")], "2025-06-18");
    assert_eq!(negotiated[&("mcp1", "auto")], "2025-11-25");
    assert_eq!(negotiated[&("modernonly", "auto")], "2026-07-28");

    // `/mcp` bridges the eras: an agent of the handshake era reaches the
    // server that speaks 2026-07-28 alone, also one declaring sampling
    // (whose sessions with servers begin with `initialize`, refused there).
    let aggregate = registry.server.url("/mcp?servers=modernonly");
    for mode in ["legacy", "legacy-asking"] {
        let bridged = converse(&aggregate, AGENT, mode, None).await;
        assert_eq!(bridged["version"], "2025-11-25", "{mode}: {bridged}");
        assert_eq!(bridged["call"], "42", "{mode}: {bridged}");
        assert!(
            bridged["tools"]
                .as_array()
                .unwrap()
                .contains(&json!("modernonly__add")),
            "{mode}: {bridged}"
        );
    }
}

/// Agent frameworks as their users set them up — the OpenAI Agents SDK's
/// `MCPServerStreamableHttp` and fastmcp's `Client` — list, call with
/// arguments, read a resource and get a prompt through both endpoints: on
/// the server's own the same as directly, on `/mcp` under names every LLM
/// provider accepts even where the server's name is reverse-DNS.
#[tokio::test]
async fn agent_frameworks_work_through_both_endpoints() {
    let modern = python_peer("modern_server.py", &[UPSTREAM_KEY]);
    let registry = registry(&[]).await;
    let id = registry
        .register("io.github.demo/modern", &modern.mcp_url(), UPSTREAM_KEY)
        .await;
    let through = registry.gateway_url(&id);
    let aggregate = registry.server.url("/mcp");
    for kind in ["openai-agents", "fastmcp"] {
        let direct =
            python_client("agent_clients.py", &[&modern.mcp_url(), UPSTREAM_KEY, kind]).await;
        assert_eq!(direct["version"], "2026-07-28", "{kind}: {direct}");
        assert_eq!(direct["call"], "42", "{kind}: {direct}");
        let relayed = python_client("agent_clients.py", &[&through, AGENT, kind]).await;
        assert_eq!(relayed, direct, "{kind} through the server's endpoint");

        let report = python_client("agent_clients.py", &[&aggregate, AGENT, kind]).await;
        assert_eq!(report["version"], "2026-07-28", "{kind}: {report}");
        assert_eq!(report["functions_strict"], true, "{kind}: {report}");
        let tools = report["tools"].as_array().unwrap();
        assert!(
            tools.iter().any(|t| t.as_str().unwrap().contains("add")),
            "{kind}: {report}"
        );
        for field in ["call", "resource", "prompt"] {
            assert_eq!(report[field], direct[field], "{kind} on /mcp: {field}");
        }
    }
}

/// LangChain's MCP adapter (langchain-mcp-adapters, on PyPI `mcp` 1.x) loads
/// tools, invokes one, loads a resource and a prompt through both
/// endpoints, from a server of either era: on the server's own endpoint the
/// same as directly, on `/mcp` under names that pass the providers' strict
/// function-name check, which the adapter does not make for itself.
#[tokio::test]
async fn langchain_works_through_both_endpoints_with_servers_of_either_era() {
    let modern = python_peer("modern_server.py", &[UPSTREAM_KEY]);
    let mcp1 = python_mcp1_peer("legacy_server.py", &[UPSTREAM_KEY]);
    let registry = registry(&[]).await;
    for (name, upstream) in [
        ("io.github.demo/modern", &modern),
        ("io.github.demo/legacy-notes", &mcp1),
    ] {
        let id = registry
            .register(name, &upstream.mcp_url(), UPSTREAM_KEY)
            .await;
        let direct =
            python_mcp1_client("langchain_client.py", &[&upstream.mcp_url(), UPSTREAM_KEY]).await;
        assert_eq!(direct["call"], "42", "{name}: {direct}");
        let through = registry.gateway_url(&id);
        let relayed = python_mcp1_client("langchain_client.py", &[&through, AGENT]).await;
        assert_eq!(relayed, direct, "{name} through the server's endpoint");

        let only = format!("{}?servers={name}", registry.server.url("/mcp"));
        let report = python_mcp1_client("langchain_client.py", &[&only, AGENT]).await;
        assert_eq!(report["functions_strict"], true, "{name}: {report}");
        for field in ["call", "resource", "prompt"] {
            assert_eq!(report[field], direct[field], "{name} on /mcp: {field}");
        }
    }
}

/// What the Inspector's CLI (2.x) sees of `url` in `era` (`auto`, `legacy`):
/// the revision `initialize` negotiated, the tools, and what calling `add`,
/// reading the first resource and getting the first prompt answered.
async fn inspect(url: &str, token: &str, era: &str) -> Value {
    let header = format!("Authorization: Bearer {token}");
    let run = async |method: &[&str]| {
        let mut args = vec![url, "--protocol-era", era, "--header", &header];
        args.extend(method);
        inspector_cli(&args).await
    };
    let opened = run(&["--method", "initialize"]).await;
    let listed = run(&["--method", "tools/list"]).await;
    let tools: Vec<&str> = listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    let add = tools.iter().find(|name| name.contains("add")).unwrap();
    let called = run(&[
        "--method",
        "tools/call",
        "--tool-name",
        add,
        "--tool-arg",
        "a=2",
        "b=40",
    ])
    .await;
    let resources = run(&["--method", "resources/list"]).await;
    let uri = resources["resources"][0]["uri"].as_str().unwrap();
    let read = run(&["--method", "resources/read", "--uri", uri]).await;
    let prompts = run(&["--method", "prompts/list"]).await;
    let prompt = prompts["prompts"][0]["name"].as_str().unwrap();
    let got = run(&[
        "--method",
        "prompts/get",
        "--prompt-name",
        prompt,
        "--prompt-args",
        "name=Ada",
    ])
    .await;
    json!({
        "version": opened["protocolVersion"],
        "tools": tools,
        "call": called["content"][0]["text"],
        "resource": read["contents"][0]["text"],
        "prompt": got["messages"][0]["content"]["text"],
    })
}

/// The TypeScript clients of today: `@modelcontextprotocol/client` 2.x in
/// `auto`, `legacy` and pinned mode, `@modelcontextprotocol/sdk` 1.x, and
/// the Inspector's CLI 2.x in `auto` and `legacy`, against a modern server and a legacy-only one: through a
/// server's own endpoint they negotiate and see what they do directly; on
/// `/mcp` they speak 2026-07-28 when they may, and see the same answers.
#[tokio::test]
async fn typescript_clients_and_the_inspector_work_through_both_endpoints() {
    let modern = python_peer("modern_server.py", &[UPSTREAM_KEY]);
    let mcp1 = python_mcp1_peer("legacy_server.py", &[UPSTREAM_KEY]);
    let registry = registry(&[]).await;
    for (name, upstream, modes) in [
        (
            "modern",
            &modern,
            &["auto", "legacy", "2026-07-28", "sdk1"][..],
        ),
        ("mcp1", &mcp1, &["auto", "legacy", "sdk1"][..]),
    ] {
        let id = registry
            .register(name, &upstream.mcp_url(), UPSTREAM_KEY)
            .await;
        let through = registry.gateway_url(&id);
        let only = format!("{}?servers={name}", registry.server.url("/mcp"));
        for mode in modes {
            let direct =
                node_client("era_client.cjs", &[&upstream.mcp_url(), UPSTREAM_KEY, mode]).await;
            assert_eq!(direct["call"], "42", "{name} {mode}: {direct}");
            for field in ["resource", "prompt"] {
                assert!(direct[field][0].is_string(), "{name} {mode}: {direct}");
            }
            let relayed = node_client("era_client.cjs", &[&through, AGENT, mode]).await;
            assert_eq!(
                relayed, direct,
                "{name} in {mode} mode through its endpoint"
            );
            let aggregate = node_client("era_client.cjs", &[&only, AGENT, mode]).await;
            let expected = if ["legacy", "sdk1"].contains(mode) {
                "2025-11-25"
            } else {
                "2026-07-28"
            };
            assert_eq!(aggregate["version"], expected, "{name} {mode}: {aggregate}");
            for field in ["call", "resource", "prompt"] {
                assert_eq!(
                    aggregate[field], direct[field],
                    "{name} {mode} on /mcp: {field}"
                );
            }
        }
        for era in ["auto", "legacy"] {
            let direct = inspect(&upstream.mcp_url(), UPSTREAM_KEY, era).await;
            assert_eq!(direct["call"], "42", "{name} {era}: {direct}");
            assert_eq!(inspect(&through, AGENT, era).await, direct, "{name} {era}");
            let aggregate = inspect(&only, AGENT, era).await;
            for field in ["call", "resource", "prompt"] {
                assert_eq!(
                    aggregate[field], direct[field],
                    "{name} {era} on /mcp: {field}"
                );
            }
        }
    }
}

/// A server's refusal (a 4xx) is the agent's to read, with its status and
/// the server's JSON-RPC error, redacted: it is what lets a client fall
/// back to an older era. Only 5xx and network failures are the registry's.
#[tokio::test]
async fn an_upstream_refusal_reaches_the_agent_with_its_status_redacted() {
    use common::mcp::{call, initialize, post};
    use common::peers::hostile;
    let key = "sk-hostile-echoed-5151";
    let registry = registry(&[]).await;
    for (mode, status, code) in [
        ("call_fails:400:json", 400, -32603),
        ("call_fails:404", 404, -32600),
        ("call_fails:422", 422, -32600),
        ("call_fails:500", 502, -32004),
    ] {
        let peer = hostile(mode);
        let id = registry.register(mode, &peer.mcp_url(), key).await;
        let url = registry.gateway_url(&id);
        // (This server keeps no sessions.)
        let opened = post(&url, AGENT, None, initialize()).await;
        assert_eq!(opened.status, 200, "{mode}: {opened:?}");
        let answer = post(&url, AGENT, None, call(2, "big")).await;
        assert_eq!(answer.status, status, "{mode}: {answer:?}");
        let error = &answer.messages[0]["error"];
        assert_eq!(error["code"], code, "{mode}: {answer:?}");
        assert_eq!(answer.messages[0]["id"], 2, "{mode}");
        assert!(!answer.text.contains(key), "{mode}: {}", answer.text);
        if mode.ends_with(":json") {
            // The server's own words, its echo of the key redacted.
            assert!(
                error["message"].as_str().unwrap().contains("[redacted]"),
                "{error}"
            );
        }
    }
}

/// 2026-07-28's `subscriptions/listen`: the answer is a stream that stays
/// open, and what the server says on it reaches the agent as it is said,
/// past the call timeout, without holding one of the server's call slots.
#[tokio::test]
async fn a_listen_stream_delivers_changes_as_they_happen_and_outlives_the_call_timeout() {
    let modern = python_peer("modern_server.py", &[UPSTREAM_KEY]);
    let registry = registry(&[
        "--gateway-call-timeout-secs",
        "2",
        "--gateway-max-concurrent-calls",
        "1",
    ])
    .await;
    let id = registry
        .register("modern", &modern.mcp_url(), UPSTREAM_KEY)
        .await;
    let url = registry.gateway_url(&id);
    let direct = python_client("listen_client.py", &[&modern.mcp_url(), UPSTREAM_KEY]).await;
    assert_eq!(direct["event"], "ToolsListChanged", "{direct}");

    let through = python_client("listen_client.py", &[&url, AGENT, "3"]).await;
    assert_eq!(through["version"], "2026-07-28", "{through}");
    assert_eq!(
        through["honored"],
        json!({"toolsListChanged": true}),
        "{through}"
    );
    assert_eq!(through["event"], "ToolsListChanged", "{through}");
    assert!(through["waited_s"].as_f64().unwrap() < 2.0, "{through}");
    assert!(
        through["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("sprout")),
        "{through}"
    );
}

/// 2025-11-25's resumption (SEP-1699): a server may close a call's stream
/// after an event with an id, and the agent comes back for the answer with
/// Last-Event-ID. Through the registry the stream ends as the server ended
/// it, and the agent's GET brings the answer.
#[tokio::test]
async fn a_stream_the_server_closes_for_resumption_is_resumed_through_the_registry() {
    use common::peers::hostile;
    let peer = hostile("resumable");
    let registry = registry(&[]).await;
    let id = registry
        .register("resumable", &peer.mcp_url(), "unused")
        .await;
    let direct = converse(&peer.mcp_url(), "unused", "legacy", None).await;
    assert_eq!(direct["call"], "42", "{direct}");
    let through = converse(&registry.gateway_url(&id), AGENT, "legacy", None).await;
    assert_eq!(through, direct);
}

/// `/mcp` speaks every era too: `mcp` 2.x's `Client` in `auto` mode gets
/// 2026-07-28 (`server/discover`, no session), in `legacy` mode a session of
/// 2025-11-25, pinned it gets what it pins; in each, the tools of servers of
/// both eras list, a call reaches its server, a resource reads, a prompt
/// answers and its argument completes.
#[tokio::test]
async fn slash_mcp_serves_the_stateless_revision_and_the_handshake_ones() {
    let modern = python_peer("modern_server.py", &[UPSTREAM_KEY]);
    let legacy = counting();
    let registry = registry(&[]).await;
    registry
        .register("modern", &modern.mcp_url(), UPSTREAM_KEY)
        .await;
    let legacy_url = format!("http://127.0.0.1:{}/mcp/paged", legacy.port);
    registry
        .register_record(&json!({"name": "legacy", "url": legacy_url}))
        .await;
    let url = registry.server.url("/mcp");
    for (mode, version) in [
        ("auto", "2026-07-28"),
        ("2026-07-28", "2026-07-28"),
        ("legacy", "2025-11-25"),
    ] {
        let report = converse(&url, AGENT, mode, None).await;
        assert_eq!(report["version"], version, "{mode}: {report}");
        let tools = report["tools"].as_array().unwrap();
        for tool in ["modern__add", "modern__grow", "legacy__tool_00"] {
            assert!(tools.contains(&json!(tool)), "{mode}: {tool} in {report}");
        }
        assert_eq!(report["call"], "42", "{mode}: {report}");
        // A pinned client skips discovery, so knows of no resources or
        // prompts to ask for.
        if mode != "2026-07-28" {
            assert!(report["resource"].is_array(), "{mode}: {report}");
            assert!(report["prompt"].is_array(), "{mode}: {report}");
            // modern__greet's argument, completed by its own server.
            assert_eq!(
                report["completion"],
                json!(["Ada", "Alan"]),
                "{mode}: {report}"
            );
            // Resource templates as the server wrote them: a URI made from
            // one is read from the server whose template it fits, and the
            // template's argument completed there.
            assert_eq!(report["template"], json!(["Hi, Ada."]), "{mode}: {report}");
            assert_eq!(
                report["template_completion"],
                json!(["Ada", "Alan"]),
                "{mode}: {report}"
            );
        }
    }
    // Every call reached its server, and is audited.
    let calls = registry.call_events();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert!(
        calls.iter().all(|call| call["outcome"] == "ok"),
        "{calls:?}"
    );

    // A URI that fits two servers' templates is refused, not guessed.
    let twin = python_peer("modern_server.py", &[UPSTREAM_KEY]);
    registry
        .register("twin", &twin.mcp_url(), UPSTREAM_KEY)
        .await;
    let agent = common::mcp::session(&url, AGENT).await;
    let read = json!({"jsonrpc": "2.0", "id": 5, "method": "resources/read",
                      "params": {"uri": "greeting://Ada"}});
    let refused = common::mcp::post(&url, AGENT, Some(&agent), read).await;
    let error = &refused.messages[0]["error"];
    assert_eq!(error["data"]["reason"], "ambiguous_uri", "{refused:?}");

    // One that fits no server's is not found (-32002 in this era; -32602
    // at 2026-07-28), and says which (SEP-2164).
    let read = json!({"jsonrpc": "2.0", "id": 6, "method": "resources/read",
                      "params": {"uri": "nowhere://at-all"}});
    let missing = common::mcp::post(&url, AGENT, Some(&agent), read).await;
    let error = &missing.messages[0]["error"];
    assert_eq!(error["code"], -32002, "{missing:?}");
    assert_eq!(error["data"]["uri"], "nowhere://at-all", "{missing:?}");
}

/// 2026-07-28's `subscriptions/listen` on `/mcp`: when a server's tools
/// change (here a tool of its own adds one) and the registry's health check
/// finds it, every listening agent hears it on its stream, and lists anew.
#[tokio::test]
async fn slash_mcp_tells_listening_agents_when_the_catalog_changes() {
    let modern = python_peer("modern_server.py", &[UPSTREAM_KEY]);
    let registry = registry(&["--health-interval-secs", "1"]).await;
    registry
        .register("modern", &modern.mcp_url(), UPSTREAM_KEY)
        .await;
    let url = registry.server.url("/mcp");
    let report = python_client("listen_client.py", &[&url, AGENT, "0", "modern__grow"]).await;
    assert_eq!(report["version"], "2026-07-28", "{report}");
    assert_eq!(
        report["honored"],
        json!({"toolsListChanged": true}),
        "{report}"
    );
    assert_eq!(report["event"], "ToolsListChanged", "{report}");
    assert!(
        report["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("modern__sprout")),
        "{report}"
    );
}

/// What a script sees of `/mcp` at 2026-07-28: `server/discover` names every
/// revision it speaks and opens no session; a request whose `Mcp-Method`
/// header says another method than its body is refused with -32020.
#[tokio::test]
async fn slash_mcp_discovers_without_a_session_and_checks_the_standard_headers() {
    let registry = registry(&[]).await;
    let url = registry.server.url("/mcp");
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "script", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    let send = async |method: &str, header: &str| {
        let response = common::http_client()
            .build()
            .unwrap()
            .post(&url)
            .bearer_auth(AGENT)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", header)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method,
                          "params": {"_meta": meta}}))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let session = response.headers().get("mcp-session-id").cloned();
        let text = response.text().await.unwrap();
        let body: Value = text
            .lines()
            .find_map(|line| line.strip_prefix("data:"))
            .map_or_else(
                || serde_json::from_str(&text),
                |data| serde_json::from_str(data.trim()),
            )
            .unwrap_or_else(|_| panic!("not JSON-RPC: {text}"));
        (status, session, body)
    };
    let (status, session, body) = send("server/discover", "server/discover").await;
    assert_eq!(status, 200, "{body}");
    assert!(session.is_none(), "no session in the stateless revision");
    let versions = &body["result"]["supportedVersions"];
    assert!(
        versions.as_array().unwrap().contains(&json!("2026-07-28")),
        "{body}"
    );
    assert!(
        versions.as_array().unwrap().contains(&json!("2025-11-25")),
        "{body}"
    );
    assert_eq!(
        body["result"]["capabilities"]["tools"]["listChanged"], true,
        "{body}"
    );

    let (status, _, body) = send("tools/list", "tools/call").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], -32020, "{body}");

    let (status, _, body) = send("tools/list", "tools/list").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["resultType"], "complete", "{body}");
    assert_eq!(body["result"]["cacheScope"], "private", "{body}");
    assert!(body["result"]["ttlMs"].as_u64().is_some(), "{body}");
}

/// What a server asks the agent during a call reaches the agent through
/// `/mcp` as it does directly, in both eras (PyPI `mcp` 2.x `Client` with a
/// model and a user, against the conformance reference server): in the
/// handshake era its sampling and elicitation requests are relayed to the
/// agent on the call's own stream, at 2026-07-28 its `input_required`
/// result goes to the agent and the retry back to it; its log lines reach
/// the agent at the level it asked for; in the handshake era a resource
/// subscription's updates reach the subscriber. An agent that declared
/// neither capability is never asked.
#[tokio::test]
async fn slash_mcp_relays_what_servers_ask_agents_in_both_eras() {
    let reference = python_peer("conformance_server.py", &[]);
    let registry = registry(&[]).await;
    registry
        .register_record(&json!({"name": "conformance", "url": reference.mcp_url()}))
        .await;
    let url = registry.server.url("/mcp");
    for mode in ["legacy", "2026-07-28"] {
        let direct = python_client(
            "asking_client.py",
            &[&reference.mcp_url(), "unused", mode, ""],
        )
        .await;
        let through =
            python_client("asking_client.py", &[&url, AGENT, mode, "conformance__"]).await;
        assert_eq!(through, direct, "{mode}");
        let asked = through["asked"].as_array().unwrap();
        // The log lines of a call, at the level asked for: of the session
        // in the handshake era, of the request at 2026-07-28.
        assert_eq!(
            through["logged"],
            json!([
                "info: Tool execution started",
                "info: Tool processing data",
                "info: Tool execution completed"
            ]),
            "{mode}: {through}"
        );
        if mode == "legacy" {
            // A subscription's update, sent by the server after a change.
            assert_eq!(
                through["updated"],
                json!(["test://watched-resource"]),
                "{through}"
            );
            assert_eq!(
                through["sampling"]["text"], "LLM response: Paris",
                "{through}"
            );
            assert!(
                through["elicitation"]["text"]
                    .as_str()
                    .unwrap()
                    .contains("'username': 'Ada'"),
                "{through}"
            );
            assert!(
                asked.contains(&json!({"sampling": "What is the capital of France?"}))
                    && asked.contains(&json!({"elicitation": "Who are you?"})),
                "{through}"
            );
        } else {
            assert_eq!(
                through["input_required"]["text"], "Hello, Ada!",
                "{through}"
            );
            assert_eq!(
                asked,
                &[json!({"elicitation": "What is your name?"})],
                "{through}"
            );
        }
    }
    let mute = python_client(
        "asking_client.py",
        &[&url, AGENT, "legacy", "conformance__", "mute"],
    )
    .await;
    assert_eq!(mute["asked"], json!([]), "{mute}");
    assert!(mute["sampling"]["raised"].is_string(), "{mute}");
}
