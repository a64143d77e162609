//! What probes stored before their findings were redacted: the catalog and
//! server info a registered server gave may hold the credentials it was sent.
//! At start, each such row is redacted with its server's secrets (opened with
//! the keys a migration does not have) and marked with the rules' version.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::database::begin_write;
use super::entity::{catalog_entry, mcp_server, server_health};
use super::error::StorageError;
use super::repository::McpServerRepository;
use crate::redaction::Redactor;

/// The version of the redaction rules stored findings went through; rows
/// marked lower are redacted again at start.
pub const REDACTION_RULES: i32 = 1;

/// Rows looked at in one go.
const BATCH: u64 = 100;

impl McpServerRepository {
    /// Redacts every stored probe marked with older rules; answers how many
    /// servers' findings changed.
    pub async fn redact_stored_probes(&self) -> Result<u64, StorageError> {
        let mut changed = 0;
        let mut after = String::new();
        loop {
            let ids: Vec<String> = server_health::Entity::find()
                .select_only()
                .column(server_health::Column::ServerId)
                .filter(server_health::Column::Redaction.lt(REDACTION_RULES))
                .filter(server_health::Column::ServerId.gt(after.clone()))
                .order_by_asc(server_health::Column::ServerId)
                .limit(BATCH)
                .into_tuple()
                .all(&self.db)
                .await?;
            let Some(last) = ids.last() else {
                break;
            };
            after = last.clone();
            for id in &ids {
                changed += u64::from(self.redact_stored_probe(id).await?);
            }
        }
        if changed > 0 {
            self.catalogs_changed().await;
            if self.db.get_database_backend() == DbBackend::Sqlite {
                // The rows' old versions may still be in the write-ahead log.
                self.db
                    .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                    .await?;
            }
        }
        Ok(changed)
    }

    /// Redacts one server's stored findings in one transaction, which takes
    /// turns with a probe saving new ones; answers whether anything changed.
    async fn redact_stored_probe(&self, id: &str) -> Result<bool, StorageError> {
        let txn = begin_write(&self.db).await?;
        let mut server = mcp_server::Entity::find_by_id(id.to_owned());
        if self.db.get_database_backend() != DbBackend::Sqlite {
            server = server.lock_exclusive();
        }
        let (Some(server), Some(health)) = (
            server.one(&txn).await?,
            server_health::Entity::find_by_id(id.to_owned())
                .one(&txn)
                .await?,
        ) else {
            return Ok(false);
        };
        if health.redaction >= REDACTION_RULES {
            return Ok(false);
        }
        let redactor = self.open_row(server)?.redactor();
        let mut changed = false;
        let entries = catalog_entry::Entity::find()
            .filter(catalog_entry::Column::ServerId.eq(id))
            .all(&txn)
            .await?;
        for entry in entries {
            let redacted = catalog_entry::Model {
                name: redact(&redactor, entry.name.clone()),
                description: entry.description.clone().map(|d| redact(&redactor, d)),
                body: redact(&redactor, entry.body.clone()),
                ..entry.clone()
            };
            if redacted != entry {
                changed = true;
                let row: catalog_entry::ActiveModel = redacted.into();
                catalog_entry::Entity::update(reset_all(row))
                    .exec(&txn)
                    .await?;
            }
        }
        let mut row = server_health::ActiveModel {
            server_id: Set(id.to_owned()),
            redaction: Set(REDACTION_RULES),
            ..Default::default()
        };
        let redact_column = |text: &Option<String>| text.clone().map(|t| redact(&redactor, t));
        let (info, version, capabilities) = (
            redact_column(&health.server_info),
            redact_column(&health.protocol_version),
            redact_column(&health.capabilities),
        );
        if (&info, &version, &capabilities)
            != (
                &health.server_info,
                &health.protocol_version,
                &health.capabilities,
            )
        {
            changed = true;
            row.server_info = Set(info);
            row.protocol_version = Set(version);
            row.capabilities = Set(capabilities);
        }
        if changed {
            // A cached copy of the catalog (its ETag) is stale now.
            row.catalog_version = Set(health.catalog_version.saturating_add(1));
        }
        server_health::Entity::update(row).exec(&txn).await?;
        txn.commit().await?;
        Ok(changed)
    }
}

/// Stored text (plain, or JSON) with the secrets replaced in any spelling.
fn redact(redactor: &Redactor, text: String) -> String {
    match redactor.redact_str(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(redacted) => redacted,
    }
}

/// Every column of `row` written, its key used to find it.
fn reset_all(mut row: catalog_entry::ActiveModel) -> catalog_entry::ActiveModel {
    use sea_orm::ActiveModelTrait;
    for column in [
        catalog_entry::Column::Name,
        catalog_entry::Column::Description,
        catalog_entry::Column::Body,
    ] {
        row.reset(column);
    }
    row
}
