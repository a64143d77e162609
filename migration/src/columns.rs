//! Column types that each backend must spell its own way.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// A UTC timestamp to the microsecond. MySQL/MariaDB's TIMESTAMP stops in 2038
/// and keeps whole seconds unless told otherwise: DATETIME(6) (sessions are UTC).
pub fn timestamp<T: IntoIden>(manager: &SchemaManager, name: T) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    match manager.get_database_backend() {
        DatabaseBackend::MySql => column.custom(Alias::new("DATETIME(6)")),
        _ => column.timestamp_with_time_zone(),
    };
    column.not_null().to_owned()
}

/// A string compared byte for byte. MySQL/MariaDB's default collations ignore
/// case and accents, which would make distinct keys collide.
pub fn exact_string<T: IntoIden>(manager: &SchemaManager, name: T, len: u32) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    match manager.get_database_backend() {
        DatabaseBackend::MySql => column.custom(Alias::new(format!(
            "VARCHAR({len}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        ))),
        _ => column.string_len(len),
    };
    column.not_null().to_owned()
}

/// Text of any length. MySQL/MariaDB's TEXT stops at 64 KiB, which one tool's
/// schema can pass: LONGTEXT there.
pub fn long_text<T: IntoIden>(manager: &SchemaManager, name: T) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    match manager.get_database_backend() {
        DatabaseBackend::MySql => column.custom(Alias::new("LONGTEXT")),
        _ => column.text(),
    };
    column.to_owned()
}
