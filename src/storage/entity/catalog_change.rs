use sea_orm::entity::prelude::*;

/// A change of what `/mcp` serves, and the process that made it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "catalog_changes")]
pub struct Model {
    /// A random id (replicas insert at once: no sequence to share).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub origin: String,
    pub changed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
