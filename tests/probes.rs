//! Talking MCP to registered servers: probes against real MCP servers nobody
//! here wrote (PyPI `mcp`), and against hostile ones, through the HTTP API.

mod common;

use std::time::{Duration, Instant};

use common::TestServer;
use common::peers::{
    Peer, counting, counting_tls, free_port, hostile, node_peer, python_mcp1_peer, python_peer,
};
use serde_json::{Value, json};

const TOKEN: &str = "peer-token-5b1f";
const PROBE_TIMEOUT_SECS: u64 = 3;

/// A registry that may reach loopback (where the peers run), checks nothing on
/// its own, and gives a probe 3 s.
async fn registry() -> TestServer {
    registry_with(&[]).await
}

async fn registry_with(more: &[&str]) -> TestServer {
    let timeout = PROBE_TIMEOUT_SECS.to_string();
    let mut args = vec![
        "--allowed-networks",
        "127.0.0.0/8",
        "--health-interval-secs",
        "0",
        "--probe-timeout-secs",
        &timeout,
    ];
    args.extend_from_slice(more);
    TestServer::builder().args(&args).spawn().await
}

async fn register(server: &TestServer, name: &str, url: &str, api_key: Option<&str>) -> String {
    let created = server
        .created(&json!({"name": name, "url": url, "api_key": api_key}))
        .await;
    created["id"].as_str().expect("an id").to_owned()
}

async fn probe(server: &TestServer, id: &str) -> common::Answer {
    server
        .send(
            server
                .client
                .post(server.url(&format!("/v1/mcp-servers/{id}/probe"))),
        )
        .await
}

fn paged_server() -> Peer {
    python_peer("paged_server.py", &[TOKEN])
}

#[tokio::test]
async fn a_probe_reads_every_page_of_a_real_servers_catalog() {
    let peer = paged_server();
    let server = registry().await;
    let id = register(&server, "paged", &peer.mcp_url(), Some(TOKEN)).await;

    let answer = probe(&server, &id).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let result = &answer.body;
    assert_eq!(result["state"], "ok", "{result}");
    assert_eq!(result["error"], Value::Null);
    assert_eq!(
        result["server_info"],
        json!({"name": "paged-demo", "title": "Paged demo", "version": "1.2.3"})
    );
    // A server of the current revision is spoken to in it.
    assert_eq!(result["protocol_version"], "2026-07-28");
    assert_eq!(result["era"], "stateless");
    // What it answered server/discover with (mcp 2.x lists the stateless
    // revisions there; it answers initialize too).
    assert_eq!(
        result["supported_versions"],
        json!(["2026-07-28"]),
        "{result}"
    );
    assert!(result["capabilities"]["tools"].is_object(), "{result}");
    assert_eq!(result["tool_count"], 25);
    assert_eq!(result["resource_count"], 2);
    assert_eq!(result["resource_template_count"], 1);
    assert_eq!(result["prompt_count"], 1);
    assert!(result["latency_ms"].as_u64().is_some());

    // The catalog, page by page, in the server's own order.
    let mut names = Vec::new();
    let mut path = format!("/v1/mcp-servers/{id}/tools?limit=10");
    let mut etag = None;
    loop {
        let page = server.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        etag = page.headers.get("etag").cloned().or(etag);
        for tool in page.body["data"].as_array().unwrap() {
            names.push(tool["name"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/mcp-servers/{id}/tools?limit=10&cursor={cursor}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..25).map(|i| format!("tool_{i:02}")).collect();
    assert_eq!(names, expected);

    let first = server
        .get(&format!("/v1/mcp-servers/{id}/tools?limit=1"))
        .await;
    assert_eq!(
        first.body["data"][0],
        json!({
            "name": "tool_00",
            "title": "Tool 0",
            "description": "Does thing number 0",
            "input_schema": {"type": "object", "properties": {"n": {"type": "integer"}}},
            "output_schema": null,
            "annotations": {"readOnlyHint": true},
            "execution": null
        })
    );
    let etag = etag.expect("an ETag");
    let unchanged = server
        .send(
            server
                .client
                .get(server.url(&format!("/v1/mcp-servers/{id}/tools")))
                .header("If-None-Match", etag),
        )
        .await;
    assert_eq!(unchanged.status, 304);

    let resources = server.get(&format!("/v1/mcp-servers/{id}/resources")).await;
    assert_eq!(resources.body["data"][0]["uri"], "file:///readme.md");
    assert_eq!(resources.body["data"][0]["mime_type"], "text/markdown");
    let templates = server
        .get(&format!("/v1/mcp-servers/{id}/resource-templates"))
        .await;
    assert_eq!(
        templates.body["data"][0]["uri_template"],
        "file:///logs/{day}"
    );
    let prompts = server.get(&format!("/v1/mcp-servers/{id}/prompts")).await;
    assert_eq!(
        prompts.body["data"][0]["arguments"],
        json!([{"name": "text", "title": null, "description": null, "required": true}])
    );

    let record = server.get(&format!("/v1/mcp-servers/{id}")).await;
    assert_eq!(record.body["health"]["state"], "ok");
    assert_eq!(record.body["health"]["tool_count"], 25);
}

#[tokio::test]
async fn a_create_schedules_a_probe_and_an_update_of_the_url_another() {
    let peer = paged_server();
    let server = registry().await;
    let down = format!("http://127.0.0.1:{}/mcp", free_port());
    let id = register(&server, "later", &down, Some(TOKEN)).await;
    let health = health_once(&server, &id, |h| h["state"] == "unreachable").await;
    assert_eq!(health["tool_count"], 0);
    let tools = server.get(&format!("/v1/mcp-servers/{id}/tools")).await;
    assert_eq!(tools.body, json!({"data": [], "next_cursor": null}));

    moved_to_working_server(&server, &id, &peer).await;
}

#[tokio::test]
async fn a_slow_probe_of_an_old_url_never_overwrites_what_the_new_one_found() {
    let (slow, peer) = (hostile("hang"), paged_server());
    // One failure shows at once, so a stored timeout could not hide.
    let server = registry_with(&["--health-failure-threshold", "1"]).await;
    let old = format!("http://127.0.0.1:{}/mcp", slow.port);
    // The create's probe hangs at the old URL until the probe timeout.
    let id = register(&server, "moving", &old, Some(TOKEN)).await;
    moved_to_working_server(&server, &id, &peer).await;

    // Past the old probe's timeout, its result is dropped, not stored (the
    // record as it now is may be probed again).
    tokio::time::sleep(Duration::from_secs(PROBE_TIMEOUT_SECS + 1)).await;
    let record = server.get(&format!("/v1/mcp-servers/{id}")).await;
    let now = &record.body["health"];
    assert_eq!(now["state"], "ok", "{}", record.body);
    assert_eq!(now["error"], Value::Null, "{}", record.body);
    assert_eq!(now["tool_count"], 25);
}

/// Moves the record to the paged server (its key with it) and waits for the
/// probe that the change schedules to find its 25 tools.
async fn moved_to_working_server(server: &TestServer, id: &str, peer: &Peer) {
    let moved = server
        .patch(id, &json!({"url": peer.mcp_url(), "api_key": TOKEN}))
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let health = health_once(server, id, |h| h["state"] == "ok").await;
    assert_eq!(health["tool_count"], 25);
}

/// The record's health once `ready` holds (background probes take a moment).
async fn health_once(server: &TestServer, id: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let record = server.get(&format!("/v1/mcp-servers/{id}")).await;
        let health = &record.body["health"];
        if ready(health) {
            return health.clone();
        }
        assert!(
            Instant::now() < deadline,
            "health never got there: {health}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn refused_credentials_are_unauthorized_and_never_shown() {
    let peer = paged_server();
    let server = registry().await;
    let secret = "sk-wrong-credential-9f2c";
    let id = register(&server, "wrong-key", &peer.mcp_url(), Some(secret)).await;
    let answer = probe(&server, &id).await;
    assert_eq!(answer.body["state"], "unauthorized", "{}", answer.body);
    assert!(
        answer.body["error"]
            .as_str()
            .unwrap()
            .contains("credentials")
    );
    assert!(!answer.body.to_string().contains(secret));
    assert!(!server.logs().contains(secret), "the key reached the logs");

    // A stored Authorization header is sent instead of the api_key.
    let id = server
        .created(&json!({
            "name": "header-wins",
            "url": peer.mcp_url(),
            "api_key": secret,
            "headers": {"Authorization": format!("Bearer {TOKEN}")}
        }))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(probe(&server, &id).await.body["state"], "ok");
}

#[tokio::test]
async fn hostile_servers_end_in_their_state_within_the_limits() {
    let server = registry().await;
    let secret = "sk-hostile-echo-77aa";
    let cases = [
        ("hang", "timeout"),
        ("trickle", "timeout"),
        ("huge", "protocol_error"),
        ("many", "protocol_error"),
        ("invalid_json", "protocol_error"),
        ("jsonrpc_error", "protocol_error"),
        ("status:401", "unauthorized"),
        ("status:403", "unauthorized"),
        ("status:500", "unreachable"),
        ("redirect", "refused_address"),
    ];
    for (mode, state) in cases {
        let peer = hostile(mode);
        let name = format!("hostile-{}", mode.replace([':', '_'], "-"));
        let id = register(&server, &name, &peer.mcp_url(), Some(secret)).await;
        let started = Instant::now();
        let answer = probe(&server, &id).await;
        let took = started.elapsed();
        assert_eq!(answer.status, 200, "{mode}: {}", answer.body);
        assert_eq!(answer.body["state"], state, "{mode}: {}", answer.body);
        assert!(answer.body["error"].is_string(), "{mode}: {}", answer.body);
        assert!(
            !answer.body.to_string().contains(secret),
            "{mode}: the answer quotes the key"
        );
        assert!(
            took < Duration::from_secs(PROBE_TIMEOUT_SECS + 2),
            "{mode}: the probe took {took:?}"
        );
    }
    assert!(!server.logs().contains(secret), "the key reached the logs");
    // 50 MB of tool list was refused as it arrived, not held.
    let peak = server.peak_rss_mib();
    assert!(peak < 200.0, "peak RSS {peak:.1} MiB");
}

#[tokio::test]
async fn addresses_are_checked_again_when_connecting() {
    let peer = paged_server();
    let mut server = registry().await;
    let id = register(&server, "was-allowed", &peer.mcp_url(), Some(TOKEN)).await;
    // The operator closes loopback again: the stored URL is refused at connect time.
    server
        .restart_with_args(&["--health-interval-secs", "0"])
        .await;
    let answer = probe(&server, &id).await;
    assert_eq!(answer.body["state"], "refused_address", "{}", answer.body);
    assert!(
        answer.body["error"].as_str().unwrap().contains("loopback"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn disabled_and_unknown_servers_are_not_probed() {
    let server = registry().await;
    let id = register(&server, "off", "http://127.0.0.1:9/mcp", None).await;
    let disabled = server.patch(&id, &json!({"status": "disabled"})).await;
    assert_eq!(disabled.status, 200);
    let answer = probe(&server, &id).await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(common::error_message(&answer.body).contains("disabled"));
    let unknown = probe(&server, "mcp_00000000000000000000000000000000").await;
    assert_eq!(unknown.status, 404);
    let malformed = server.get("/v1/mcp-servers/nope/tools").await;
    assert_eq!(malformed.status, 400);
    let bad_cursor = server
        .get(&format!("/v1/mcp-servers/{id}/tools?cursor=garbage"))
        .await;
    assert_eq!(bad_cursor.status, 400, "{}", bad_cursor.body);
}

#[tokio::test]
async fn tools_of_every_active_server_can_be_searched_page_by_page() {
    let peer = paged_server();
    let server = registry().await;
    let first = register(&server, "search-a", &peer.mcp_url(), Some(TOKEN)).await;
    let second = register(&server, "search-b", &peer.mcp_url(), Some(TOKEN)).await;
    for id in [&first, &second] {
        let probed = probe(&server, id).await;
        assert_eq!(
            probed.body["state"], "ok",
            "{} {}",
            probed.status, probed.body
        );
    }

    // "Does thing number 1" and 10 to 19, on each server.
    let hits = search_all(&server, "NUMBER 1").await;
    assert_eq!(hits.len(), 22, "{hits:?}");
    let mut seen: Vec<(String, String)> = hits
        .iter()
        .map(|hit| {
            (
                hit["server_name"].as_str().unwrap().to_owned(),
                hit["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 22, "each hit once");
    assert!(
        hits.iter()
            .all(|hit| hit["server_id"] == first.as_str() || hit["server_id"] == second.as_str())
    );
    assert!(
        hits.iter()
            .all(|hit| hit["input_schema"]["type"] == "object")
    );

    // Only active servers are searched.
    server.patch(&second, &json!({"status": "disabled"})).await;
    let hits = search_all(&server, "number 1").await;
    assert_eq!(hits.len(), 11);
    assert!(hits.iter().all(|hit| hit["server_name"] == "search-a"));
    let none = server.get("/v1/tools?q=no-such-tool%25").await;
    assert_eq!(none.body, json!({"data": [], "next_cursor": null}));

    let metrics = server.metrics_text().await;
    assert!(
        metrics.contains("mcp_probes_total{state=\"ok\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("mcp_probe_duration_seconds_count"),
        "{metrics}"
    );
    assert!(metrics.contains("mcp_probes_in_flight"), "{metrics}");
}

#[tokio::test]
async fn servers_probed_at_once_all_store_their_catalogs() {
    // Replacing catalogs side by side is where InnoDB picks deadlock
    // victims: a caller must still get its probe, never a database error.
    let peer = paged_server();
    let server = registry().await;
    let names: Vec<String> = (0..8).map(|n| format!("at-once-{n}")).collect();
    let url = peer.mcp_url();
    let registered = names
        .iter()
        .map(|name| register(&server, name, &url, Some(TOKEN)));
    let ids = futures::future::join_all(registered).await;
    for _round in 0..2 {
        let probes = ids.iter().map(|id| probe(&server, id));
        for probed in futures::future::join_all(probes).await {
            assert_eq!(probed.status, 200, "{}", probed.body);
            assert_eq!(probed.body["state"], "ok", "{}", probed.body);
            assert_eq!(probed.body["tool_count"], 25, "{}", probed.body);
        }
    }
    let hits = search_all(&server, "number 1").await;
    assert_eq!(hits.len(), 8 * 11);
}

/// Every hit of a tool search, five a page.
async fn search_all(server: &TestServer, q: &str) -> Vec<Value> {
    let mut hits = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = server
            .client
            .get(server.url("/v1/tools"))
            .query(&[("q", q), ("limit", "5")]);
        if let Some(cursor) = &cursor {
            request = request.query(&[("cursor", cursor)]);
        }
        let page = server.send(request).await;
        assert_eq!(page.status, 200, "{}", page.body);
        hits.extend(page.body["data"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return hits,
        }
    }
}

/// Servers of other SDKs, each probed as it comes: what each offers, read
/// through the same API.
#[tokio::test]
async fn servers_of_the_typescript_and_python_sdks_are_probed() {
    let server = registry().await;
    let sdk_example = node_peer(
        "@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js",
        &[],
        "MCP_PORT",
    );
    let everything = node_peer(
        "@modelcontextprotocol/server-everything/dist/index.js",
        &["streamableHttp"],
        "PORT",
    );
    let fastmcp = python_peer("fastmcp_server.py", &["k-fast-31"]);
    let mcp1 = python_mcp1_peer("legacy_server.py", &["k-mcp1-17"]);
    let cases = [
        (
            "ts-sdk-example",
            sdk_example.mcp_url(),
            json!({}),
            "simple-streamable-http-server",
            7,
            "handshake",
        ),
        (
            "everything",
            everything.mcp_url(),
            json!({}),
            "mcp-servers/everything",
            // Four more than a client that declares nothing sees: the probe
            // declares sampling, elicitation (form and URL) and roots.
            17,
            "handshake",
        ),
        (
            "fastmcp",
            fastmcp.mcp_url(),
            json!({"X-Api-Key": "k-fast-31"}),
            "fast-demo",
            3,
            "stateless",
        ),
        (
            "mcp1-fastmcp",
            mcp1.mcp_url(),
            json!({"Authorization": "Bearer k-mcp1-17"}),
            "legacy-demo",
            1,
            "handshake",
        ),
    ];
    // The probe offers 2026-07-28 first: fastmcp 4.x speaks it; the
    // TypeScript SDK 1.x and PyPI `mcp` 1.x refuse server/discover, and
    // initialize follows.
    for (name, url, headers, server_name, tools, era) in cases {
        let created = server
            .created(&json!({"name": name, "url": url, "headers": headers}))
            .await;
        let id = created["id"].as_str().unwrap();
        let answer = probe(&server, id).await;
        assert_eq!(answer.body["state"], "ok", "{name}: {}", answer.body);
        assert_eq!(answer.body["server_info"]["name"], server_name, "{name}");
        assert_eq!(answer.body["era"], era, "{name}: {}", answer.body);
        assert_eq!(answer.body["tool_count"], tools, "{name}: {}", answer.body);
        let listed = server
            .get(&format!("/v1/mcp-servers/{id}/tools?limit=200"))
            .await;
        assert_eq!(
            listed.body["data"].as_array().unwrap().len(),
            tools,
            "{name}"
        );
    }
    // FastMCP declares the structured result of its typed tools.
    let found = server.get("/v1/tools?q=temperature").await;
    assert_eq!(found.body["data"][0]["name"], "weather", "{}", found.body);
    assert_eq!(
        found.body["data"][0]["output_schema"]["type"], "object",
        "{}",
        found.body
    );
}

/// An internal CA: a server whose certificate it signed is trusted only with
/// `--outbound-ca-file`; without it the probe says why the handshake failed.
#[tokio::test]
async fn internal_cas_are_trusted_only_when_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let openssl = |args: &[&str]| {
        let status = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl");
        assert!(status.success(), "openssl {args:?}");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    std::fs::write(path("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.pem",
    ]);
    let peer = counting_tls(&path("server.pem"), &path("server.key"));
    let url = format!("https://127.0.0.1:{}/mcp/tls", peer.port);

    let mut server = registry().await;
    let id = register(&server, "internal-tls", &url, None).await;
    let untrusted = probe(&server, &id).await;
    assert_eq!(untrusted.body["state"], "unreachable", "{}", untrusted.body);
    let error = untrusted.body["error"].as_str().unwrap();
    assert!(
        error.contains("TLS") && error.contains("certificate"),
        "{error}"
    );

    let ca = path("ca.pem").display().to_string();
    server
        .restart_with_args(&[
            "--allowed-networks",
            "127.0.0.0/8",
            "--health-interval-secs",
            "0",
            "--outbound-ca-file",
            &ca,
        ])
        .await;
    let trusted = probe(&server, &id).await;
    assert_eq!(trusted.body["state"], "ok", "{}", trusted.body);
    // An older revision offered by the server is what the session speaks.
    // A server of an earlier revision answers server/discover with an
    // error, and the probe falls back to initialize.
    assert_eq!(trusted.body["protocol_version"], "2025-06-18");
    assert_eq!(trusted.body["era"], "handshake");
    assert_eq!(trusted.body["supported_versions"], json!(["2025-06-18"]));
    assert!(
        server.logs().contains("action=\"probe\""),
        "the probe is audited"
    );
}

/// A name the registry cannot tell is local until it resolves it: refused at
/// connect time, without the allowlist.
#[tokio::test]
async fn a_name_that_resolves_to_loopback_is_refused_when_connecting() {
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let name = hosts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let address = fields.next()?;
            address
                .starts_with("127.")
                .then(|| fields.collect::<Vec<_>>())
        })
        .flatten()
        .find(|name| !name.contains("localhost"))
        .expect("this test needs a name other than localhost mapped to 127.x in /etc/hosts")
        .to_owned();
    let peer = counting();
    let server = TestServer::builder()
        .args(&["--health-interval-secs", "0"])
        .spawn()
        .await;
    let url = format!("http://{name}:{}/mcp/by-name", peer.port);
    let id = register(&server, "by-name", &url, None).await;
    let answer = probe(&server, &id).await;
    assert_eq!(answer.body["state"], "refused_address", "{}", answer.body);
    let client = common::http_client().build().unwrap();
    let counts: Value = client
        .get(format!("http://127.0.0.1:{}/count", peer.port))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(counts, json!({}), "nothing was sent to {name}");
}

#[tokio::test]
async fn an_unchanged_catalog_keeps_its_etag_and_a_changed_one_gets_a_new_one() {
    let peer = counting();
    let server = registry().await;
    let url = format!("http://127.0.0.1:{}/mcp/etag", peer.port);
    let id = register(&server, "etag", &url, None).await;
    assert_eq!(probe(&server, &id).await.body["state"], "ok");
    let first = server.get(&format!("/v1/mcp-servers/{id}/tools")).await;
    let tag = first.etag();
    assert_eq!(probe(&server, &id).await.body["state"], "ok");
    let again = server.get(&format!("/v1/mcp-servers/{id}/tools")).await;
    assert_eq!(again.etag(), tag, "the same catalog, the same version");

    // Another server at the same record: another catalog.
    let paged = paged_server();
    let moved = server
        .patch(&id, &json!({"url": paged.mcp_url(), "api_key": TOKEN}))
        .await;
    assert_eq!(moved.status, 200);
    assert_eq!(probe(&server, &id).await.body["tool_count"], 25);
    let changed = server.get(&format!("/v1/mcp-servers/{id}/tools")).await;
    assert_ne!(changed.etag(), tag);
}

/// A server of an earlier revision that answers `server/discover` with an
/// empty result instead of an error (the conformance suite's test server
/// does) is still probed: `initialize` follows on its own.
#[tokio::test]
async fn a_server_that_answers_discover_with_nothing_is_probed_with_initialize() {
    let peer = counting();
    let server = registry().await;
    let url = format!("http://127.0.0.1:{}/mcp/sloppy", peer.port);
    let id = register(&server, "sloppy", &url, None).await;
    let answer = probe(&server, &id).await;
    assert_eq!(answer.body["state"], "ok", "{}", answer.body);
    assert_eq!(answer.body["era"], "handshake", "{}", answer.body);
    assert_eq!(answer.body["protocol_version"], "2025-06-18");
    assert_eq!(answer.body["tool_count"], 1);
}
