//! Catalogs across servers: the tool search, and the items the aggregate
//! MCP endpoint serves (of active, healthy servers), a page at a time.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entity::{catalog_entry, mcp_server, server_health};
use super::error::StorageError;
use super::page::{Budget, Page, text_bytes};
use super::probes::{StoredEntry, corrupt, stored_entry, to_i32};
use super::repository::McpServerRepository;
use crate::domain::{CatalogKind, McpServerId, ProbeState};
use crate::memory::parsed_json_bytes;

/// A tool found by a search, with its server.
#[derive(Debug, Clone)]
pub struct ToolHit {
    pub server_id: McpServerId,
    pub server_name: String,
    pub stored: StoredEntry,
}

/// Where a tool search page ended: the last hit's server and position.
pub type ToolSearchCursor = (McpServerId, u32);

#[derive(Debug, sea_orm::FromQueryResult)]
struct ToolRow {
    server_id: String,
    position: i32,
    name: String,
    description: Option<String>,
    body: String,
    server_name: String,
}

/// Catalog rows of `kind` with their server's name, of active servers only.
fn active_catalog(kind: CatalogKind) -> sea_orm::Select<catalog_entry::Entity> {
    use catalog_entry::Column;
    use sea_orm::RelationTrait;
    catalog_entry::Entity::find()
        .select_only()
        .columns([
            Column::ServerId,
            Column::Position,
            Column::Name,
            Column::Description,
            Column::Body,
        ])
        .column_as(mcp_server::Column::Name, "server_name")
        .join(
            sea_orm::JoinType::InnerJoin,
            catalog_entry::Relation::McpServer.def(),
        )
        .filter(Column::Kind.eq(kind.as_str()))
        .filter(mcp_server::Column::Status.eq(crate::domain::ServerStatus::Active.as_str()))
}

/// Only servers whose health is ok and, with `only`, whose name's
/// uniqueness key is one of those.
fn usable(
    select: sea_orm::Select<catalog_entry::Entity>,
    only: Option<&[String]>,
) -> sea_orm::Select<catalog_entry::Entity> {
    use sea_orm::sea_query::Query;
    let healthy = Query::select()
        .column(server_health::Column::ServerId)
        .from(server_health::Entity)
        .and_where(server_health::Column::HealthState.eq(ProbeState::Ok.as_str()))
        .to_owned();
    let select = select.filter(catalog_entry::Column::ServerId.in_subquery(healthy));
    match only {
        Some(keys) => select.filter(mcp_server::Column::NameKey.is_in(keys.iter().cloned())),
        None => select,
    }
}

/// Rows after `after` in (server id, position) order.
fn after_position(
    select: sea_orm::Select<catalog_entry::Entity>,
    after: Option<ToolSearchCursor>,
) -> sea_orm::Select<catalog_entry::Entity> {
    use catalog_entry::Column;
    use sea_orm::Condition;
    let select = select
        .order_by_asc(Column::ServerId)
        .order_by_asc(Column::Position);
    let Some((server, position)) = after else {
        return select;
    };
    select.filter(
        Condition::any()
            .add(Column::ServerId.gt(server.to_string()))
            .add(
                Condition::all()
                    .add(Column::ServerId.eq(server.to_string()))
                    .add(Column::Position.gt(to_i32(position as usize))),
            ),
    )
}

fn hit_of(row: ToolRow) -> Result<ToolHit, StorageError> {
    let server_id: McpServerId = row
        .server_id
        .parse()
        .map_err(|_| corrupt(&row.server_id, "server_id"))?;
    let stored = stored_entry(
        &row.server_id,
        row.position,
        row.name,
        row.description,
        &row.body,
    )?;
    Ok(ToolHit {
        server_id,
        server_name: row.server_name,
        stored,
    })
}

impl McpServerRepository {
    /// Tools of active servers whose name or description contains `text`
    /// (regardless of case), by server then the server's own order.
    pub async fn search_tools(
        &self,
        text: Option<&str>,
        after: Option<ToolSearchCursor>,
        limit: u64,
    ) -> Result<Page<ToolHit>, StorageError> {
        use catalog_entry::Column;
        use sea_orm::Condition;
        use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
        let mut select = after_position(active_catalog(CatalogKind::Tool), after).limit(limit);
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            let pattern = format!("%{}%", super::listing::escape_like(&text.to_lowercase()));
            let contains = |column: Column| {
                Expr::expr(Func::lower(Expr::col((catalog_entry::Entity, column))))
                    .like(LikeExpr::new(pattern.clone()).escape('\\'))
            };
            select = select.filter(
                Condition::any()
                    .add(contains(Column::Name))
                    .add(contains(Column::Description)),
            );
        }
        self.read_hits(select).await
    }

    /// A page of what the aggregate MCP endpoint serves of `kind`: the
    /// catalogs of active, healthy servers (with `only`, of those servers).
    pub async fn usable_catalog_page(
        &self,
        kind: CatalogKind,
        only: Option<&[String]>,
        after: Option<ToolSearchCursor>,
        limit: u64,
    ) -> Result<Page<ToolHit>, StorageError> {
        self.read_hits(after_position(usable(active_catalog(kind), only), after).limit(limit))
            .await
    }

    /// The hits `select` finds, read one at a time within the page budget.
    async fn read_hits(
        &self,
        select: sea_orm::Select<catalog_entry::Entity>,
    ) -> Result<Page<ToolHit>, StorageError> {
        let rows = select.into_model::<ToolRow>().stream(&self.reads).await?;
        let mut budget = Budget::new();
        let hits = budget
            .read(
                rows,
                |row: &ToolRow| {
                    text_bytes([
                        Some(&row.name),
                        row.description.as_ref(),
                        Some(&row.server_name),
                    ]) + parsed_json_bytes(row.body.as_bytes())
                },
                hit_of,
            )
            .await?;
        Ok(budget.page(hits))
    }

    /// The item of `kind` named `name` of the server whose name's uniqueness
    /// key is `server_key`, if the aggregate endpoint serves it.
    pub async fn usable_entry(
        &self,
        kind: CatalogKind,
        only: Option<&[String]>,
        server_key: &str,
        name: &str,
    ) -> Result<Option<ToolHit>, StorageError> {
        let rows = usable(active_catalog(kind), only)
            .filter(mcp_server::Column::NameKey.eq(server_key))
            .filter(catalog_entry::Column::Name.eq(name))
            .into_model::<ToolRow>()
            .all(&self.reads)
            .await?;
        // Some collations compare without case; names are exact.
        rows.into_iter()
            .find(|row| row.name == name)
            .map(hit_of)
            .transpose()
    }
}
