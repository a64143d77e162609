//! A listed tool's fields that rmcp's `Tool` has no place for: the tasks
//! extension's `execution` (whether the tool runs only as a task), and
//! whatever a later revision adds. The SDK would drop them as it parses a
//! probe's `tools/list`, so they ride through its parse in the tool's
//! `_meta` under [`CARRIED`] and are put back ([`restore`]) before the
//! catalog keeps the tool as its server wrote it.

use serde_json::{Map, Value};

/// The `_meta` key the fields ride under between the wire and the catalog.
const CARRIED: &str = "io.github.mcp-registry/carried";

/// The fields rmcp's `Tool` keeps.
const KEPT_BY_THE_SDK: [&str; 8] = [
    "name",
    "title",
    "description",
    "inputSchema",
    "outputSchema",
    "annotations",
    "icons",
    "_meta",
];

/// `message`, a JSON-RPC answer to `tools/list`, with each tool's fields
/// the SDK would drop moved into its `_meta`; `None` when there are none
/// (or it is not such an answer), and the message goes on as it came.
pub fn carry(message: &[u8]) -> Option<Vec<u8>> {
    let mut value: Value = serde_json::from_slice(message).ok()?;
    let tools = value.pointer_mut("/result/tools")?.as_array_mut()?;
    let mut moved = false;
    for tool in tools.iter_mut().filter_map(Value::as_object_mut) {
        let dropped: Vec<String> = tool
            .keys()
            .filter(|field| !KEPT_BY_THE_SDK.contains(&field.as_str()))
            .cloned()
            .collect();
        if dropped.is_empty() {
            continue;
        }
        let carried: Map<String, Value> = dropped
            .iter()
            .filter_map(|field| tool.remove_entry(field))
            .collect();
        let meta = tool
            .entry("_meta")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(meta) = meta.as_object_mut() {
            meta.insert(CARRIED.to_owned(), Value::Object(carried));
            moved = true;
        }
    }
    moved.then(|| serde_json::to_vec(&value).ok()).flatten()
}

/// `tool`, as the probe kept it from the SDK's parse, with the carried
/// fields back in their places.
pub fn restore(tool: &mut Value) {
    let Some(object) = tool.as_object_mut() else {
        return;
    };
    let Some(meta) = object.get_mut("_meta").and_then(Value::as_object_mut) else {
        return;
    };
    let Some(Value::Object(carried)) = meta.remove(CARRIED) else {
        return;
    };
    if meta.is_empty() {
        object.remove("_meta");
    }
    for (field, value) in carried {
        object.entry(field).or_insert(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::{JsonRpcMessage, ServerJsonRpcMessage, ServerResult};
    use serde_json::json;

    #[test]
    fn fields_the_sdk_drops_survive_its_parse_and_come_back() {
        let answer = json!({"jsonrpc": "2.0", "id": 1, "result": {"tools": [
            {"name": "plain", "inputSchema": {"type": "object"}},
            {"name": "research", "inputSchema": {"type": "object"},
             "execution": {"taskSupport": "required"}, "_meta": {"own": 1}},
        ]}});
        let carried = carry(&serde_json::to_vec(&answer).unwrap()).expect("one tool has some");
        let parsed: ServerJsonRpcMessage = serde_json::from_slice(&carried).unwrap();
        let JsonRpcMessage::Response(response) = parsed else {
            panic!("not a response")
        };
        let ServerResult::ListToolsResult(list) = response.result else {
            panic!("not a tools/list result")
        };
        let mut kept: Vec<Value> = list
            .tools
            .iter()
            .map(|tool| serde_json::to_value(tool).unwrap())
            .collect();
        kept.iter_mut().for_each(restore);
        assert_eq!(kept, answer["result"]["tools"].as_array().unwrap().clone());
    }

    #[test]
    fn answers_without_such_fields_go_on_untouched() {
        let plain = json!({"jsonrpc": "2.0", "id": 1, "result": {"tools": [
            {"name": "plain", "inputSchema": {"type": "object"}}]}});
        assert_eq!(carry(&serde_json::to_vec(&plain).unwrap()), None);
        assert_eq!(
            carry(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {}}"),
            None
        );
        assert_eq!(carry(b"not json"), None);
    }
}
