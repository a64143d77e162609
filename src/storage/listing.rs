//! Listing records: a page at a time, newest first, filtered by status,
//! version, time and text (the text through each database's search index).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

use super::entity::mcp_server;
use super::error::StorageError;
use super::page::{Budget, Page, text_bytes};
use super::repository::McpServerRepository;
use crate::domain::{McpServerId, McpServerRecord, ServerStatus};

/// How many of the newest rows a text search reads in order before it asks
/// the search index for older matches (see `list`).
const SEARCH_NEWEST_ROWS: u64 = 2000;

/// Which records a list answers, newest first.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only records older than this one (the cursor of the previous page).
    pub before: Option<McpServerId>,
    pub limit: u64,
    pub status: Option<ServerStatus>,
    /// A case-insensitive substring of the name or the description (or, with
    /// `names_only`, of the name).
    pub text: Option<String>,
    /// `text` is looked for in names only.
    pub names_only: bool,
    pub updated_since: Option<DateTime<Utc>>,
    /// Only records of this exact server version (the API's `version`).
    pub release: Option<String>,
}

impl McpServerRepository {
    /// A page of records, newest first, walking the primary key (no OFFSET).
    ///
    /// With `text`, the newest `SEARCH_NEWEST_ROWS` rows (after the cursor)
    /// are read in id order first: when matches are common, the page is found
    /// there. Only when they hold less than a page are the older matches
    /// asked of the search index (PostgreSQL's trigram indexes), which is fast
    /// when matches are rare, however old they are.
    pub async fn list(&self, query: &ListQuery) -> Result<Page<McpServerRecord>, StorageError> {
        let mut budget = Budget::new();
        let searching = query.text.as_deref().is_some_and(|text| !text.is_empty());
        let boundary = if searching {
            self.nth_newest_id(query.before, SEARCH_NEWEST_ROWS).await?
        } else {
            None
        };
        let Some(boundary) = boundary else {
            let records = self
                .read_page(self.select_page(query, None), &mut budget, &self.reads)
                .await?;
            return Ok(budget.page(records));
        };
        let mut records = self
            .read_page(
                self.select_page(query, Some(&boundary)),
                &mut budget,
                &self.reads,
            )
            .await?;
        let missing = query.limit.saturating_sub(records.len() as u64);
        if let Some(text) = query
            .text
            .as_deref()
            .filter(|_| missing > 0 && !budget.is_spent())
        {
            let older = ListQuery {
                before: Some(boundary),
                limit: missing,
                ..query.clone()
            };
            let older = self.select_page(&older, None);
            records.extend(
                self.read_older_matches(older, (text, query.names_only), &mut budget)
                    .await?,
            );
        }
        Ok(budget.page(records))
    }

    /// The id `n` rows down from the newest (older than `before`), if there
    /// are that many.
    async fn nth_newest_id(
        &self,
        before: Option<McpServerId>,
        n: u64,
    ) -> Result<Option<McpServerId>, StorageError> {
        use mcp_server::Column;
        let mut select = mcp_server::Entity::find()
            .select_only()
            .column(Column::Id)
            .order_by_desc(Column::Id)
            .offset(n - 1)
            .limit(1);
        if let Some(before) = before {
            select = select.filter(Column::Id.lt(before.to_string()));
        }
        let id: Option<String> = select.into_tuple().one(&self.reads).await?;
        id.map(|id| {
            id.parse().map_err(|_| StorageError::CorruptRow {
                id,
                reason: "id".to_owned(),
            })
        })
        .transpose()
    }

    /// The query of a page: its filters, newest first, and no row older than
    /// `not_before`.
    fn select_page(
        &self,
        query: &ListQuery,
        not_before: Option<&McpServerId>,
    ) -> sea_orm::Select<mcp_server::Entity> {
        use mcp_server::Column;
        let mut select = mcp_server::Entity::find()
            .order_by_desc(Column::Id)
            .limit(query.limit);
        if let Some(before) = query.before {
            select = select.filter(Column::Id.lt(before.to_string()));
        }
        if let Some(not_before) = not_before {
            select = select.filter(Column::Id.gte(not_before.to_string()));
        }
        if let Some(status) = query.status {
            select = select.filter(Column::Status.eq(status.as_str()));
        }
        if let Some(updated_since) = query.updated_since {
            select = select.filter(Column::UpdatedAt.gte(updated_since));
        }
        if let Some(release) = &query.release {
            select = select.filter(Column::ServerVersion.eq(release.as_str()));
        }
        if let Some(text) = query.text.as_deref().filter(|t| !t.is_empty()) {
            let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
            // SQLite's LIKE ignores ASCII case, and its lower() folds nothing
            // else: lower() there would cost a call per row and change nothing.
            // PostgreSQL's LIKE is exact, and its trigram index is on lower().
            let description = match self.reads.get_database_backend() {
                DbBackend::Sqlite => Expr::col(Column::Description),
                _ => Expr::expr(Func::lower(Expr::col(Column::Description))),
            };
            let mut matches = Condition::any()
                .add(Expr::col(Column::NameKey).like(LikeExpr::new(pattern.clone()).escape('\\')));
            if !query.names_only {
                matches = matches.add(description.like(LikeExpr::new(pattern).escape('\\')));
            }
            select = select.filter(matches);
        }
        select
    }

    /// The records `select` finds, read one at a time within `budget`.
    async fn read_page<C: ConnectionTrait + sea_orm::StreamTrait>(
        &self,
        select: sea_orm::Select<mcp_server::Entity>,
        budget: &mut Budget,
        db: &C,
    ) -> Result<Vec<McpServerRecord>, StorageError> {
        let rows = select.stream(db).await?;
        budget
            .read(
                rows,
                |row: &mcp_server::Model| {
                    text_bytes([
                        Some(&row.name),
                        row.description.as_ref(),
                        Some(&row.url),
                        row.api_key_sealed.as_ref(),
                        row.headers_sealed.as_ref(),
                    ])
                },
                |row| self.open_row(row),
            )
            .await
    }

    /// A page of the matches of `text` that `select` finds, collected through
    /// the database's search index rather than by walking the primary key.
    async fn read_older_matches(
        &self,
        select: sea_orm::Select<mcp_server::Entity>,
        (text, names_only): (&str, bool),
        budget: &mut Budget,
    ) -> Result<Vec<McpServerRecord>, StorageError> {
        let columns = if names_only {
            "name_key"
        } else {
            "name_key description"
        };
        match self.reads.get_database_backend() {
            // PostgreSQL walks the primary key in order when it expects many
            // matches, which reads every row when they are few or all old:
            // kept from it, it collects them from the trigram indexes.
            DbBackend::Postgres => {
                let txn = self.reads.begin().await?;
                txn.execute_unprepared("SET LOCAL enable_indexscan = off")
                    .await?;
                let records = self.read_page(select, budget, &txn).await?;
                txn.commit().await?;
                Ok(records)
            }
            // The trigram table finds candidates of 3 characters or more (the
            // LIKE of `select` still decides); shorter ones read the table.
            DbBackend::Sqlite if text.chars().count() >= 3 => {
                let phrase = format!("{{{columns}}} : \"{}\"", text.replace('"', "\"\""));
                let select = select.filter(Expr::cust_with_values(
                    r#""mcp_servers"."id" IN (SELECT id FROM mcp_servers_search WHERE mcp_servers_search MATCH ?)"#,
                    [phrase],
                ));
                self.read_page(select, budget, &self.reads).await
            }
            _ => self.read_page(select, budget, &self.reads).await,
        }
    }
}

/// Makes `%`, `_` and `\` in user text match themselves in a LIKE pattern.
pub(super) fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
