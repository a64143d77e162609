//! What an agent sees of the registered servers' catalogs on `/mcp`: pages
//! of each kind with names mapped, a name or URI resolved to the server
//! that lists it (or, for a URI, whose resource template it fits), and the
//! cursors between pages.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rmcp::ErrorData as McpError;
use rmcp::model::PaginatedRequestParams;
use rmcp::service::{RequestContext, RoleServer};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::names::{public_name, split_plain};
use super::{AggregateSession, Asker, rpc_error};
use crate::cursor;
use crate::domain::{CatalogKind, McpServerId, UriTemplate};
use crate::gateway::GatewayError;
use crate::storage::{ToolHit, ToolSearchCursor};

/// Items per page of a list.
const PAGE: u64 = 500;
/// How long an agent may keep a page without asking again (2026-07-28's
/// `ttlMs`): a change is told at once on the agent's session or listen
/// stream, so this only bounds how stale a deaf agent's list gets.
const LIST_TTL_MS: u64 = 30_000;
/// Pages kept at most: one per kind, a few cursors and `?servers=` choices.
const KEPT_PAGES: usize = 16;

/// What a page is built from besides the catalogs.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) struct PageKey {
    kind: CatalogKind,
    only: Option<Vec<String>>,
    cursor: Option<String>,
}

/// Pages of the lists as last built, with the catalogs' version they were
/// built from: agents list far more often than catalogs change, and a
/// page of hundreds of tools costs milliseconds to build.
#[derive(Default)]
pub(super) struct ListPages {
    pages: Mutex<HashMap<PageKey, (u64, BuiltPage)>>,
}

/// A page of some list result type, as built.
type BuiltPage = Arc<dyn Any + Send + Sync>;

impl ListPages {
    fn get<T: Clone + 'static>(&self, key: &PageKey, version: u64) -> Option<T> {
        let pages = self.pages.lock().ok()?;
        let (built_from, page) = pages.get(key)?;
        (*built_from == version)
            .then(|| page.downcast_ref::<T>().cloned())
            .flatten()
    }

    fn keep<T: Send + Sync + 'static>(&self, key: PageKey, version: u64, page: T) {
        let Ok(mut pages) = self.pages.lock() else {
            return;
        };
        // Pages of older catalogs will not be asked for again.
        pages.retain(|_, (built_from, _)| *built_from == version);
        if pages.len() >= KEPT_PAGES {
            pages.clear();
        }
        pages.insert(key, (version, Arc::new(page)));
    }
}

impl AggregateSession {
    /// A page of `kind` as the agent sees it: names mapped (`rename`), JSON
    /// as each server wrote it otherwise.
    pub(super) async fn list<T: DeserializeOwned + Clone + Send + Sync + 'static>(
        &self,
        kind: CatalogKind,
        field: &str,
        request: Option<PaginatedRequestParams>,
        context: &RequestContext<RoleServer>,
        rename: bool,
    ) -> Result<T, McpError> {
        let asker = self.asker(context)?;
        let cursor = request.and_then(|request| request.cursor);
        // Read before the catalogs are: a page built while they change is
        // kept under the older version, and so built again.
        let version = self.gateway.repository.catalogs_version();
        let key = PageKey {
            kind,
            only: asker.only.clone(),
            cursor: cursor.clone(),
        };
        if let Some(page) = self.pages.get(&key, version) {
            return Ok(page);
        }
        let after = cursor.map(|cursor| parse_cursor(&cursor)).transpose()?;
        let mut hits = self
            .gateway
            .repository
            .usable_catalog_page(kind, asker.only.as_deref(), after, PAGE + 1)
            .await
            .map_err(|_| rpc_error(&GatewayError::Storage))?;
        let next = hits.cut(PAGE as usize).map(cursor_of);
        let tools = kind == CatalogKind::Tool;
        let items: Vec<Value> = hits
            .items
            .into_iter()
            .filter(|hit| !(tools && runs_only_as_task(&hit.stored.entry.body)))
            .map(|hit| {
                let mut body = hit.stored.entry.body;
                if let Some(object) = body.as_object_mut() {
                    if rename {
                        object.insert(
                            "name".to_owned(),
                            Value::String(public_name(&hit.server_name, &hit.stored.entry.name)),
                        );
                    }
                    // Called here, every tool runs at once (no task is
                    // asked for): an agent is not told it could be one.
                    if tools {
                        object.remove("execution");
                    }
                }
                body
            })
            .collect();
        // Private: what a caller may list is the caller's (`?servers=`).
        let mut page = json!({
            field: items,
            "resultType": "complete",
            "ttlMs": LIST_TTL_MS,
            "cacheScope": "private",
        });
        if let Some(next) = next {
            page["nextCursor"] = Value::String(next);
        }
        let page: T = serde_json::from_value(page).map_err(|_| {
            McpError::internal_error("a stored catalog item is no longer valid MCP", None)
        })?;
        self.pages.keep(key, version, page.clone());
        Ok(page)
    }

    /// The item of `kind` an agent names, among what it may see.
    pub(super) async fn resolve(
        &self,
        kind: CatalogKind,
        name: &str,
        asker: &Asker,
    ) -> Result<ToolHit, McpError> {
        let unknown = || {
            McpError::invalid_params(
                format!(
                    "unknown {}: {name} (the registry serves those of active servers whose health is ok)",
                    kind.as_str()
                ),
                Some(json!({"reason": "unknown_name"})),
            )
        };
        let storage = |_| rpc_error(&GatewayError::Storage);
        if let Some((server, item)) = split_plain(name) {
            let hit = self
                .gateway
                .repository
                .usable_entry(kind, asker.only.as_deref(), &server.to_lowercase(), item)
                .await
                .map_err(storage)?
                .filter(|hit| public_name(&hit.server_name, item) == name);
            return hit.ok_or_else(unknown);
        }
        // A hashed name: seek it (a second match is reported, not guessed).
        let found = self
            .seek(kind, asker, 2, |hit| {
                public_name(&hit.server_name, &hit.stored.entry.name) == name
            })
            .await?;
        match found.as_slice() {
            [] => Err(unknown()),
            [one] => Ok(one.clone()),
            [first, second, ..] => {
                tracing::warn!(
                    name,
                    first = %first.server_id,
                    second = %second.server_id,
                    "two items share a hashed name on /mcp; neither is served"
                );
                Err(McpError::invalid_params(
                    format!("{name} names two items; call them through /v1/mcp-servers/{{id}}/mcp"),
                    Some(json!({"reason": "ambiguous_name"})),
                ))
            }
        }
    }

    /// Up to `at_most` items of `kind` the asker may see that are `wanted`,
    /// in (server id, position) order, read a page at a time.
    pub(super) async fn seek(
        &self,
        kind: CatalogKind,
        asker: &Asker,
        at_most: usize,
        wanted: impl Fn(&ToolHit) -> bool,
    ) -> Result<Vec<ToolHit>, McpError> {
        let mut found = Vec::new();
        let mut after: Option<ToolSearchCursor> = None;
        loop {
            let mut page = self
                .gateway
                .repository
                .usable_catalog_page(kind, asker.only.as_deref(), after, PAGE + 1)
                .await
                .map_err(|_| rpc_error(&GatewayError::Storage))?;
            let next = page.cut(PAGE as usize).map(cursor_key);
            found.extend(page.items.iter().filter(|hit| wanted(hit)).cloned());
            match next {
                Some(next) if found.len() < at_most => after = Some(next),
                _ => {
                    found.truncate(at_most);
                    return Ok(found);
                }
            }
        }
    }

    /// The server listing the resource `uri` (the first, in id order), or
    /// else the one with a resource template `uri` could be made from.
    pub(super) async fn resource_server(
        &self,
        uri: &str,
        asker: &Asker,
    ) -> Result<McpServerId, McpError> {
        let listed = self
            .seek(CatalogKind::Resource, asker, 1, |hit| {
                hit.stored.entry.body.get("uri").and_then(Value::as_str) == Some(uri)
            })
            .await?;
        if let Some(hit) = listed.first() {
            return Ok(hit.server_id);
        }
        let made_from = self
            .seek(
                CatalogKind::ResourceTemplate,
                asker,
                SOME_TEMPLATES,
                |hit| {
                    template_of(hit)
                        .and_then(UriTemplate::parse)
                        .is_some_and(|template| template.matches(uri))
                },
            )
            .await?;
        one_server(&made_from, uri)
    }

    /// The server offering the resource template `template`, as listed.
    pub(super) async fn template_server(
        &self,
        template: &str,
        asker: &Asker,
    ) -> Result<McpServerId, McpError> {
        let offering = self
            .seek(
                CatalogKind::ResourceTemplate,
                asker,
                SOME_TEMPLATES,
                |hit| template_of(hit) == Some(template),
            )
            .await?;
        one_server(&offering, template)
    }
}

/// Whether a listed tool runs only as a task (the tasks extension's
/// `execution.taskSupport` is `required`). `/mcp` relays no tasks, so it
/// neither lists such a tool nor calls it: listed, every call would fail.
pub(super) fn runs_only_as_task(tool: &Value) -> bool {
    tool.pointer("/execution/taskSupport")
        .and_then(Value::as_str)
        == Some("required")
}

/// The refusal of a call to `name`, a tool of `server` that runs only as
/// a task: the agent is told where it can be called.
pub(super) fn task_required(name: &str, server: McpServerId) -> McpError {
    McpError::invalid_params(
        format!(
            "{name} runs only as a task, which /mcp does not relay: call it through \
             /v1/mcp-servers/{server}/mcp"
        ),
        Some(json!({"reason": "task_required"})),
    )
}

/// Enough templates to tell one server's from two servers'.
const SOME_TEMPLATES: usize = 16;

fn template_of(hit: &ToolHit) -> Option<&str> {
    hit.stored
        .entry
        .body
        .get("uriTemplate")
        .and_then(Value::as_str)
}

/// The one server among `hits`; none is not found, and two are refused
/// rather than guessed.
fn one_server(hits: &[ToolHit], uri: &str) -> Result<McpServerId, McpError> {
    let mut servers: Vec<McpServerId> = hits.iter().map(|hit| hit.server_id).collect();
    servers.dedup();
    match servers.as_slice() {
        [] => Err(McpError::resource_not_found(
            format!("no listed resource or resource template has the URI {uri}"),
            // SEP-2164: the URI that was not found, for the agent to match.
            Some(json!({"uri": uri})),
        )),
        [one] => Ok(*one),
        _ => Err(McpError::invalid_params(
            format!(
                "{uri} fits resource templates of two servers; read it through \
                 /v1/mcp-servers/{{id}}/mcp"
            ),
            Some(json!({"reason": "ambiguous_uri"})),
        )),
    }
}

fn cursor_key(hit: &ToolHit) -> ToolSearchCursor {
    (hit.server_id, hit.stored.position)
}

fn cursor_of(hit: &ToolHit) -> String {
    cursor::encode_search(&hit.server_id, hit.stored.position)
}

fn parse_cursor(given: &str) -> Result<ToolSearchCursor, McpError> {
    cursor::decode_search(given).map_err(|error| McpError::invalid_params(error.to_string(), None))
}
