//! Changes of what `/mcp` serves (a catalog, a health, a record changed or
//! deleted), heard by every replica: this process's listeners are told at
//! once, and the change is written down for the others, which look every
//! second for changes they did not make.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::entity::catalog_change;
use super::repository::McpServerRepository;

const FOLLOW_EVERY: Duration = Duration::from_secs(1);
/// How far back each look reaches, for a change committed late or stamped
/// by a replica whose clock is a little behind.
const LOOK_BACK: chrono::TimeDelta = chrono::TimeDelta::seconds(10);
/// Changes older than this are swept away (now and then, by any replica).
const KEPT_FOR: chrono::TimeDelta = chrono::TimeDelta::hours(1);
const SWEEP_EVERY: u32 = 600;

impl McpServerRepository {
    /// What the aggregate MCP endpoint serves may have changed: tells this
    /// process's listeners, and the other replicas.
    pub(super) async fn catalogs_changed(&self) {
        self.tell_listeners();
        let change = catalog_change::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            origin: Set(self.origin.clone()),
            changed_at: Set(Utc::now()),
        };
        if let Err(err) = catalog_change::Entity::insert(change)
            .exec_without_returning(&self.db)
            .await
        {
            tracing::warn!(error = %err, "could not tell other replicas of a catalog change");
        }
    }

    /// Tells this process's listeners of the other replicas' changes, until
    /// the process ends.
    pub async fn follow_other_replicas(&self) {
        let mut ticks = tokio::time::interval(FOLLOW_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // What was seen, and when it was made: a change is told once.
        let mut seen: HashMap<String, DateTime<Utc>> = HashMap::new();
        let mut first = true;
        for tick in 0u32.. {
            ticks.tick().await;
            let now = Utc::now();
            let recent = catalog_change::Entity::find()
                .filter(catalog_change::Column::ChangedAt.gte(now - LOOK_BACK))
                .filter(catalog_change::Column::Origin.ne(self.origin.as_str()))
                .all(&self.reads)
                .await;
            let recent = match recent {
                Ok(recent) => recent,
                Err(err) => {
                    tracing::warn!(error = %err, "could not read other replicas' catalog changes");
                    continue;
                }
            };
            let mut new = false;
            for change in recent {
                new |= seen.insert(change.id, change.changed_at).is_none();
            }
            // Changes made before this process started were never its news.
            if new && !first {
                self.tell_listeners();
            }
            first = false;
            seen.retain(|_, at| *at >= now - LOOK_BACK * 2);
            if tick % SWEEP_EVERY == 0 {
                let swept = catalog_change::Entity::delete_many()
                    .filter(catalog_change::Column::ChangedAt.lt(now - KEPT_FOR))
                    .exec(&self.db)
                    .await;
                if let Err(err) = swept {
                    tracing::warn!(error = %err, "could not sweep old catalog changes");
                }
            }
        }
    }
}
