//! The document the server emits is the reviewed contract in `openapi/`, to the
//! letter: any drift in a path, operation, status, schema, property, type,
//! format, required list, enum, description or example fails here.

mod common;

use std::process::Command;

use common::TestServer;
use serde_json::Value;

fn contract() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/openapi/mcp-registry.yaml"
    ))
    .expect("read the contract");
    serde_yaml::from_str(&text).expect("the contract is YAML")
}

/// Names the first place two documents differ, so a failure says what drifted.
fn first_difference(emitted: &Value, contract: &Value, at: &str) -> Option<String> {
    match (emitted, contract) {
        (Value::Object(a), Value::Object(b)) => {
            a.keys()
                .chain(b.keys())
                .find_map(|key| match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => first_difference(x, y, &format!("{at}/{key}")),
                    (Some(_), None) => Some(format!("{at}/{key}: emitted, not in the contract")),
                    (None, _) => Some(format!("{at}/{key}: in the contract, not emitted")),
                })
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| first_difference(x, y, &format!("{at}[{i}]"))),
        _ => (emitted != contract)
            .then(|| format!("{at}: emitted {emitted}, contract says {contract}")),
    }
}

fn assert_matches_contract(emitted: &Value) {
    if let Some(difference) = first_difference(emitted, &contract(), "") {
        panic!("the emitted OpenAPI document drifted from openapi/mcp-registry.yaml: {difference}");
    }
}

#[tokio::test]
async fn served_json_document_is_the_contract() {
    let server = TestServer::spawn().await;
    let response = server
        .client
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_matches_contract(&response.json().await.unwrap());
}

#[tokio::test]
async fn served_yaml_document_is_the_contract() {
    let server = TestServer::spawn().await;
    let response = server
        .client
        .get(server.url("/openapi.yaml"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert_matches_contract(&serde_yaml::from_str(&text).unwrap());
}

#[test]
fn openapi_command_prints_the_contract_without_a_server_or_database() {
    let dir = tempfile::tempdir().unwrap();
    for (format, parse) in [
        (
            "json",
            (|t: &str| serde_json::from_str(t).unwrap()) as fn(&str) -> Value,
        ),
        ("yaml", |t: &str| serde_yaml::from_str(t).unwrap()),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_mcp-registry"))
            .args(["openapi", "--format", format])
            .current_dir(dir.path())
            .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
            .output()
            .unwrap();
        assert!(output.status.success());
        assert_matches_contract(&parse(&String::from_utf8(output.stdout).unwrap()));
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing created"
    );
}

#[tokio::test]
async fn swagger_ui_is_served_with_its_assets_inline() {
    let server = TestServer::spawn().await;
    let response = server.client.get(server.url("/docs")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(
        html.contains("SwaggerUIBundle"),
        "the Swagger UI script is inline"
    );
    assert!(
        html.contains("create_mcp_server"),
        "the document is embedded"
    );
    for external in [
        "src=\"http",
        "href=\"http",
        "src='http",
        "href='http",
        "@import",
    ] {
        assert!(
            !html.contains(external),
            "Swagger UI must load nothing from outside: {external}"
        );
    }
}
