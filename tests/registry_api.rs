//! The MCP Registry API (`/v0.1/servers`, `/v0/servers`): what MCP clients
//! that read a registry see of the records, checked against the published
//! `server.json` schema, walked as VS Code walks it, and guarded by
//! `--registry-api`.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::mcp::{AGENT, UPSTREAM_KEY, registry};
use common::peers::{python_client, python_peer};
use common::{Answer, TestDatabase, TestServer, error_message, json_of, tokens_file};
use serde_json::{Value, json};

const ADMIN: &str = "admin-token-0c1d2e3f4a";
const SCHEMA: &str = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json";

/// A server with the registry API open to anyone, and an admin token for /v1.
async fn public_registry(extra: &[&str]) -> TestServer {
    let mut args = vec!["--registry-api", "public", "--health-interval-secs", "0"];
    args.extend_from_slice(extra);
    TestServer::builder()
        .api_token(ADMIN)
        .args(&args)
        .spawn()
        .await
}

/// GET without any token, as MCP clients read registries.
async fn anonymous_get(server: &TestServer, path: &str) -> Answer {
    let bare = common::http_client().build().unwrap();
    json_of(bare.get(server.url(path)).send().await.unwrap()).await
}

/// encodeURIComponent, for the characters registry names and versions hold.
fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn names_of(page: &Value) -> Vec<String> {
    page["servers"]
        .as_array()
        .expect("a servers list")
        .iter()
        .map(|entry| entry["server"]["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Every entry of the list, following nextCursor.
async fn walk(server: &TestServer, query: &str) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => format!("/v0.1/servers?{query}"),
            Some(cursor) => format!("/v0.1/servers?{query}&cursor={}", encoded(cursor)),
        };
        let Answer { status, body, .. } = anonymous_get(server, &path).await;
        assert_eq!(status, 200, "{path}: {body}");
        let servers = body["servers"].as_array().unwrap();
        assert_eq!(body["metadata"]["count"], servers.len(), "{body}");
        entries.extend(servers.iter().cloned());
        match body["metadata"]["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return entries,
        }
    }
}

#[tokio::test]
async fn entries_follow_the_published_server_json_schema_and_hold_no_secret() {
    let server = public_registry(&["--registry-api-remotes", "upstream"]).await;
    let long_name = format!("{} service", "weather ".repeat(30));
    let records = [
        json!({"name": "weather", "url": "https://weather.example/mcp", "version": "2.1.0",
               "description": "Forecasts", "api_key": "sk-live-registry-secret-1",
               "headers": {"X-Api-Key": "hdr-secret-2", "X-Tenant": "acme"}}),
        json!({"name": "my tools_1", "url": "http://tools.example:8080/mcp",
               "description": "d".repeat(300)}),
        json!({"name": "météo/été 🦀", "url": "https://meteo.example/mcp", "description": "   "}),
        json!({"name": long_name, "url": "https://long.example/mcp",
               "headers": {"Cookie": "session=cookie-secret-3"}}),
    ];
    for record in &records {
        server.created(record).await;
    }
    let bare = common::http_client().build().unwrap();
    let response = bare.get(server.url("/v0.1/servers")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for secret in [
        "sk-live-registry-secret-1",
        "hdr-secret-2",
        "cookie-secret-3",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let page: Value = serde_json::from_str(&text).unwrap();
    let entries = page["servers"].as_array().unwrap();
    assert_eq!(entries.len(), records.len());

    // The published schema, as the PyPI package skillsaw bundles it.
    let details: Vec<&Value> = entries.iter().map(|e| &e["server"]).collect();
    let file = server.db.dir.path().join("server-json.json");
    std::fs::write(&file, serde_json::to_vec(&details).unwrap()).unwrap();
    let report = python_client("validate_server_json.py", &[file.to_str().unwrap()]).await;
    assert_eq!(report["schema"], SCHEMA, "the schema the entries name");
    assert_eq!(report["errors"], json!([]), "{details:#?}");

    let by_title = |title: &str| {
        entries
            .iter()
            .find(|e| e["server"]["title"] == title)
            .unwrap_or_else(|| panic!("no entry titled {title}"))
    };
    let weather = by_title("weather");
    assert_eq!(weather["server"]["$schema"], SCHEMA);
    assert_eq!(weather["server"]["name"], "local.mcp-registry/weather");
    assert_eq!(weather["server"]["version"], "2.1.0");
    assert_eq!(weather["server"]["description"], "Forecasts");
    assert_eq!(
        weather["server"]["remotes"],
        json!([{"type": "streamable-http", "url": "https://weather.example/mcp", "headers": [
            {"name": "X-Api-Key", "description": "A credential for this server",
             "isRequired": true, "isSecret": true},
            {"name": "X-Tenant", "isRequired": true, "isSecret": false, "value": "acme"},
            {"name": "Authorization", "description": "Bearer followed by an API key for this server",
             "isRequired": true, "isSecret": true},
        ]}])
    );
    let official = &weather["_meta"]["io.modelcontextprotocol.registry/official"];
    assert_eq!(official["status"], "active");
    assert_eq!(official["isLatest"], true);
    assert!(official["publishedAt"].is_string() && official["updatedAt"].is_string());

    let tools = by_title("my tools_1");
    assert_eq!(tools["server"]["name"], "local.mcp-registry/my_20tools_5f1");
    assert_eq!(tools["server"]["version"], "1.0.0", "the default version");
    let cut = tools["server"]["description"].as_str().unwrap();
    assert_eq!(cut.chars().count(), 100);
    assert!(cut.ends_with('…'));
    let meteo = by_title("météo/été 🦀");
    assert_eq!(
        meteo["server"]["description"], "Remote MCP server météo/été 🦀",
        "a blank description is replaced"
    );
    let long = entries
        .iter()
        .find(|e| e["server"]["remotes"][0]["url"] == "https://long.example/mcp")
        .unwrap();
    let long_registry_name = long["server"]["name"].as_str().unwrap();
    assert!(long_registry_name.len() <= 200 && long_registry_name.contains("__mcp_"));
    assert_eq!(long["server"]["remotes"][0]["headers"][0]["isSecret"], true);

    // Every name leads back to its own entry, /-encoded as clients send it.
    for entry in entries {
        let name = entry["server"]["name"].as_str().unwrap();
        let one = anonymous_get(
            &server,
            &format!("/v0.1/servers/{}/versions/latest", encoded(name)),
        )
        .await;
        assert_eq!(one.status, 200, "{name}: {}", one.body);
        assert_eq!(&one.body, entry);
        let version = entry["server"]["version"].as_str().unwrap();
        let exact = format!(
            "/v0.1/servers/{}/versions/{}",
            encoded(name),
            encoded(version)
        );
        assert_eq!(&anonymous_get(&server, &exact).await.body, entry);
        let all = anonymous_get(
            &server,
            &format!("/v0.1/servers/{}/versions", encoded(name)),
        )
        .await;
        assert_eq!(all.body["servers"], json!([entry]));
    }
}

#[tokio::test]
async fn paging_through_500_servers_yields_each_once() {
    let server = public_registry(&[]).await;
    let mut created = HashSet::new();
    for chunk in (0..500).collect::<Vec<_>>().chunks(25) {
        let creates = chunk.iter().map(|i| {
            let body = json!({"name": format!("server-{i:03}"), "url": format!("https://s{i}.example/mcp")});
            let server = &server;
            async move { server.created(&body).await }
        });
        for record in futures::future::join_all(creates).await {
            created.insert(format!(
                "local.mcp-registry/{}",
                record["name"].as_str().unwrap()
            ));
        }
    }
    for query in ["limit=100", "limit=7", "version=latest"] {
        let entries = walk(&server, query).await;
        let names: Vec<String> = entries
            .iter()
            .map(|e| e["server"]["name"].as_str().unwrap().to_owned())
            .collect();
        let unique: HashSet<String> = names.iter().cloned().collect();
        assert_eq!(names.len(), 500, "{query}: each server once");
        assert_eq!(unique, created, "{query}");
    }
    let first = anonymous_get(&server, "/v0.1/servers").await.body;
    assert_eq!(first["metadata"]["count"], 30, "the default page");
    let last = anonymous_get(&server, "/v0.1/servers?limit=100&cursor=bm90LWEtY3Vyc29y").await;
    assert_eq!(last.status, 400);
    assert!(error_message(&last.body).contains("cursor"));
}

#[tokio::test]
async fn search_updated_since_version_and_disabled_servers() {
    let server = public_registry(&[]).await;
    let weather = server
        .created(
            &json!({"name": "Weather-Station", "url": "https://w.example/mcp",
                         "description": "Forecasts and radar", "version": "2.0.0"}),
        )
        .await;
    let jira = server
        .created(&json!({"name": "jira", "url": "https://j.example/mcp",
                         "description": "Issues and WEATHER reports"}))
        .await;
    server
        .created(&json!({"name": "github", "url": "https://g.example/mcp"}))
        .await;

    let names = |query: &'static str| {
        let server = &server;
        async move {
            let answer = anonymous_get(server, &format!("/v0.1/servers?{query}")).await;
            assert_eq!(answer.status, 200, "{query}: {}", answer.body);
            let mut names = names_of(&answer.body);
            names.sort();
            names
        }
    };
    let ns = |name: &str| format!("local.mcp-registry/{name}");
    // By name, as the generic API says: jira's description says weather.
    assert_eq!(names("search=weather").await, [ns("Weather-Station")]);
    assert_eq!(names("search=RADAR").await, Vec::<String>::new());
    assert_eq!(names("search=STATION").await, [ns("Weather-Station")]);
    // The generic API sets no bound on limit: any is taken, within 1 to 100.
    assert_eq!(names("limit=0").await.len(), 1);
    assert_eq!(names("limit=-5").await.len(), 1);
    assert_eq!(names("limit=100000").await.len(), 3);
    assert_eq!(names("search=local.mcp-registry/jir").await, [ns("jira")]);
    assert_eq!(names("search=nothing-matches").await, Vec::<String>::new());
    assert_eq!(names("version=2.0.0").await, [ns("Weather-Station")]);
    assert_eq!(names("version=latest").await.len(), 3);

    // Changes after `since`: a new server, an update, and one disabled.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let since = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let weather_id = weather["id"].as_str().unwrap();
    let jira_id = jira["id"].as_str().unwrap();
    assert_eq!(
        server
            .patch(weather_id, &json!({"version": "2.1.0"}))
            .await
            .status,
        200
    );
    assert_eq!(
        server
            .patch(jira_id, &json!({"status": "disabled"}))
            .await
            .status,
        200
    );
    server
        .created(&json!({"name": "slack", "url": "https://s.example/mcp"}))
        .await;
    let since = encoded(&since.to_rfc3339());
    let changed = anonymous_get(&server, &format!("/v0.1/servers?updated_since={since}")).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    let mut changed_names = names_of(&changed.body);
    changed_names.sort();
    assert_eq!(
        changed_names,
        [ns("Weather-Station"), ns("jira"), ns("slack")]
    );
    let status_of = |page: &Value, name: &str| {
        page["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["server"]["name"] == name)
            .map(|e| e["_meta"]["io.modelcontextprotocol.registry/official"]["status"].clone())
    };
    assert_eq!(
        status_of(&changed.body, &ns("jira")),
        Some(json!("deleted"))
    );
    assert_eq!(
        status_of(&changed.body, &ns("slack")),
        Some(json!("active"))
    );

    // A disabled server is not listed, nor found, unless deleted ones are asked for.
    assert!(!names("limit=100").await.contains(&ns("jira")));
    let with_deleted = anonymous_get(&server, "/v0.1/servers?include_deleted=true")
        .await
        .body;
    assert_eq!(
        status_of(&with_deleted, &ns("jira")),
        Some(json!("deleted"))
    );
    let path = format!("/v0.1/servers/{}/versions/latest", encoded(&ns("jira")));
    let hidden = anonymous_get(&server, &path).await;
    assert_eq!(hidden.status, 404);
    assert!(error_message(&hidden.body).contains("local.mcp-registry/jira"));
    let shown = anonymous_get(&server, &format!("{path}?include_deleted=true")).await;
    assert_eq!(shown.status, 200);
    let official = &shown.body["_meta"]["io.modelcontextprotocol.registry/official"];
    assert_eq!(official["status"], "deleted");
    assert!(
        official["statusMessage"]
            .as_str()
            .unwrap()
            .contains("disabled")
    );

    // Names must be exact: another case, another namespace or an old version are not found.
    for path in [
        format!("/v0.1/servers/{}/versions", encoded(&ns("weather-station"))),
        format!(
            "/v0.1/servers/{}/versions",
            encoded("org.other/Weather-Station")
        ),
        format!(
            "/v0.1/servers/{}/versions/2.0.0",
            encoded(&ns("Weather-Station"))
        ),
        "/v0.1/servers/no-slash/versions".to_owned(),
    ] {
        let answer = anonymous_get(&server, &path).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        assert!(!error_message(&answer.body).is_empty());
    }
}

#[tokio::test]
async fn v0_answers_as_v0_1() {
    let server = public_registry(&[]).await;
    for i in 0..3 {
        server
            .created(&json!({"name": format!("s{i}"), "url": "https://s.example/mcp"}))
            .await;
    }
    let name = encoded("local.mcp-registry/s1");
    for path in [
        "/servers".to_owned(),
        "/servers?limit=2".to_owned(),
        "/servers?search=s2".to_owned(),
        format!("/servers/{name}/versions"),
        format!("/servers/{name}/versions/latest"),
        format!("/servers/{name}/versions/9.9.9"),
        "/servers?limit=0".to_owned(),
    ] {
        let (v0, v01) = (
            anonymous_get(&server, &format!("/v0{path}")).await,
            anonymous_get(&server, &format!("/v0.1{path}")).await,
        );
        assert_eq!((v0.status, &v0.body), (v01.status, &v01.body), "{path}");
    }
    // A name sent with its slash unencoded is understood too.
    let raw = anonymous_get(&server, "/v0/servers/local.mcp-registry/s1/versions/latest").await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.body["server"]["name"], "local.mcp-registry/s1");
}

/// VS Code's MCP gallery (`chat.mcp.gallery.serviceUrl`): it probes with
/// `?limit=1`, lists with `?limit=50&version=latest`, follows the cursor,
/// searches, and reads a server's latest version by its encoded name.
#[tokio::test]
async fn a_client_walk_as_vs_code_makes_it_succeeds() {
    let server = public_registry(&["--registry-namespace", "com.example.mcp"]).await;
    for i in 0..60 {
        server
            .created(
                &json!({"name": format!("tool-{i:02}"), "url": "https://t.example/mcp",
                             "description": format!("Tool number {i}")}),
            )
            .await;
    }
    let probe = anonymous_get(&server, "/v0.1/servers?limit=1").await;
    assert_eq!(probe.status, 200);
    assert_eq!(probe.body["servers"].as_array().unwrap().len(), 1);

    let mut seen = Vec::new();
    let mut path = "/v0.1/servers?limit=50&version=latest".to_owned();
    loop {
        let page = anonymous_get(&server, &path).await;
        assert_eq!(page.status, 200, "{path}");
        for entry in page.body["servers"].as_array().unwrap() {
            let detail = &entry["server"];
            for field in ["name", "description", "version"] {
                assert!(
                    detail[field].as_str().is_some_and(|v| !v.is_empty()),
                    "{field}: {detail}"
                );
            }
            seen.push(detail["name"].as_str().unwrap().to_owned());
        }
        match page.body["metadata"]["nextCursor"].as_str() {
            Some(cursor) => {
                path = format!(
                    "/v0.1/servers?limit=50&version=latest&cursor={}",
                    encoded(cursor)
                )
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 60);
    assert!(
        seen.iter()
            .all(|name| name.starts_with("com.example.mcp/tool-"))
    );

    let found = anonymous_get(
        &server,
        "/v0.1/servers?limit=50&version=latest&search=tool-4",
    )
    .await;
    assert_eq!(names_of(&found.body).len(), 10);

    let latest = anonymous_get(
        &server,
        &format!(
            "/v0.1/servers/{}/versions/latest",
            encoded("com.example.mcp/tool-07")
        ),
    )
    .await;
    assert_eq!(latest.status, 200);
    assert_eq!(latest.body["server"]["description"], "Tool number 7");
}

#[tokio::test]
async fn registry_api_access_follows_the_setting() {
    // Off by default: 404 saying how to turn it on, whatever the token.
    let off = TestServer::builder().api_token(ADMIN).spawn().await;
    for path in [
        "/v0.1/servers",
        "/v0/servers?limit=1",
        "/v0.1/servers/a%2Fb/versions",
    ] {
        let answer = off.get(path).await;
        assert_eq!(answer.status, 404, "{path}");
        assert!(
            error_message(&answer.body).contains("--registry-api"),
            "{}",
            answer.body
        );
    }

    let db = TestDatabase::fresh().await;
    let file = tokens_file(
        db.dir.path(),
        &[
            ("dashboard", "read", "read-tok-7"),
            ("agent", "use", "use-tok-7"),
            ("deployer", "write", "write-tok-7"),
        ],
    );
    let public = TestServer::builder()
        .database(db)
        .args(&["--api-tokens-file", &file, "--registry-api", "public"])
        .client_token("write-tok-7")
        .spawn()
        .await;
    public
        .created(&json!({"name": "w", "url": "https://w.example/mcp"}))
        .await;
    let anonymous = anonymous_get(&public, "/v0.1/servers").await;
    assert_eq!(anonymous.status, 200, "public: no token needed");
    assert_eq!(names_of(&anonymous.body), ["local.mcp-registry/w"]);
    assert_eq!(
        anonymous_get(&public, "/v1/mcp-servers").await.status,
        401,
        "/v1 unchanged"
    );
    let bare = common::http_client().build().unwrap();
    let post = json_of(bare.post(public.url("/v0.1/servers")).send().await.unwrap()).await;
    assert_eq!(post.status, 405, "read-only");
    drop(public);

    // token: read and write tokens may read; no token, or a use token, may not.
    let db = TestDatabase::fresh().await;
    let file = tokens_file(
        db.dir.path(),
        &[
            ("dashboard", "read", "read-tok-7"),
            ("agent", "use", "use-tok-7"),
        ],
    );
    let guarded = TestServer::builder()
        .database(db)
        .args(&["--api-tokens-file", &file])
        .env(&[("MCP_REGISTRY_REGISTRY_API", "token")])
        .spawn()
        .await;
    let url = guarded.url("/v0.1/servers");
    let none = json_of(bare.get(&url).send().await.unwrap()).await;
    assert_eq!(none.status, 401);
    let user = json_of(
        bare.get(&url)
            .bearer_auth("use-tok-7")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(user.status, 403);
    assert!(error_message(&user.body).contains("read or write"));
    let reader = json_of(
        bare.get(&url)
            .bearer_auth("read-tok-7")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reader.status, 200);
    assert_eq!(
        reader.body,
        json!({"servers": [], "metadata": {"count": 0}})
    );
}

/// By default an entry sends clients through the registry: its remote is the
/// server's endpoint here, with an Authorization header for a `use` token,
/// so a client of the catalog needs no secret of the server's, and reaches
/// it by following the entry as it stands.
#[tokio::test]
async fn entries_send_clients_through_the_registry_where_the_credentials_stay() {
    let upstream = python_peer("gateway_peer.py", &[UPSTREAM_KEY]);
    let registry = registry(&["--registry-api", "public"]).await;
    let id = registry
        .register("weather", &upstream.mcp_url(), UPSTREAM_KEY)
        .await;
    let page = anonymous_get(&registry.server, "/v0.1/servers").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let text = page.body.to_string();
    assert!(
        !text.contains(&upstream.mcp_url()),
        "the upstream's URL: {text}"
    );
    assert!(!text.contains(UPSTREAM_KEY), "{text}");
    let remote = &page.body["servers"][0]["server"]["remotes"][0];
    let endpoint = registry.gateway_url(&id);
    assert_eq!(
        *remote,
        json!({"type": "streamable-http", "url": endpoint, "headers": [
            {"name": "Authorization",
             "description": "Bearer followed by a token of this registry with the use scope",
             "isRequired": true, "isSecret": true},
        ]})
    );

    // A client follows the entry with its own use token: it reaches the
    // server's tools, as it would directly with the server's key.
    let direct = python_client("sdk_client.py", &[&upstream.mcp_url(), UPSTREAM_KEY, "[]"]).await;
    let url = remote["url"].as_str().unwrap();
    let through = python_client("sdk_client.py", &[url, AGENT, "[]"]).await;
    assert_eq!(through["tools"], direct["tools"], "{through}");
    assert!(!direct["tools"].as_array().unwrap().is_empty(), "{direct}");

    // Behind a proxy, the configured public URL leads the links; without
    // tokens, the entry asks for no header.
    let proxied = public_registry(&["--public-url", "https://mcp.example.com/"]).await;
    let created = proxied
        .created(&json!({"name": "w", "url": "https://w.example/mcp", "api_key": "sk-w-1"}))
        .await;
    let entry = anonymous_get(
        &proxied,
        "/v0.1/servers/local.mcp-registry%2Fw/versions/latest",
    )
    .await;
    assert_eq!(
        entry.body["server"]["remotes"][0]["url"],
        format!(
            "https://mcp.example.com/v1/mcp-servers/{}/mcp",
            created["id"].as_str().unwrap()
        )
    );
    let open = TestServer::builder()
        .args(&["--registry-api", "public"])
        .spawn()
        .await;
    let created = open
        .created(&json!({"name": "w", "url": "https://w.example/mcp", "api_key": "sk-w-1"}))
        .await;
    let entry = anonymous_get(&open, "/v0/servers/local.mcp-registry%2Fw/versions/latest").await;
    assert_eq!(
        entry.body["server"]["remotes"][0]["headers"],
        json!([]),
        "{}",
        entry.body
    );
    assert_eq!(
        entry.body["server"]["remotes"][0]["url"],
        open.url(&format!(
            "/v1/mcp-servers/{}/mcp",
            created["id"].as_str().unwrap()
        ))
    );
}

#[test]
fn a_namespace_outside_the_schema_pattern_stops_the_server_with_a_clear_message() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mcp-registry"))
        .args(["serve", "--registry-namespace", "my_company"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--registry-namespace") && stderr.contains("reverse-DNS"),
        "{stderr}"
    );
}
