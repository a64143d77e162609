//! What `/mcp` tells agents of changes: after each change of the stored
//! catalogs (a probe, a health check, a record changed), that the tools,
//! prompts and resources lists changed — on a session of the handshake
//! revisions, or on a 2026-07-28 agent's `subscriptions/listen` stream.

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{ServerNotification, SubscriptionFilter};
use rmcp::service::{
    Peer, RoleServer, SubscriptionContext, SubscriptionSendError, SubscriptionSink,
};
use tokio_util::sync::CancellationToken;

use super::AggregateSession;
use super::upstreams::Upstreams;
use crate::domain::ServerStatus;
use crate::gateway::Gateway;

/// Changes that come together make one notice.
const NOTICE_DELAY: Duration = Duration::from_millis(500);

/// What a listener may ask to hear: the lists' changes (single resources
/// are not watched).
pub(super) fn offered() -> SubscriptionFilter {
    SubscriptionFilter::builder()
        .tools_list_changed()
        .prompts_list_changed()
        .resources_list_changed()
        .build()
}

impl AggregateSession {
    /// Tells a session's agent when what it may list changes, until the
    /// session ends.
    pub(super) fn watch_catalogs(&self, peer: Peer<RoleServer>) {
        let changes = self.gateway.repository.watch_catalogs();
        let stop = self.stop_notices.clone();
        tokio::spawn(renew_subscriptions(
            changes.clone(),
            stop.clone(),
            Arc::clone(&self.subscriptions),
            Arc::clone(&self.gateway),
            peer.clone(),
        ));
        tokio::spawn(async move {
            notify_changes(changes, stop, Listener::Session(peer)).await;
        });
    }

    /// Tells a listening agent the same on its listen stream, until the
    /// request ends.
    pub(super) async fn tell_subscription(&self, subscription: SubscriptionContext) {
        let changes = self.gateway.repository.watch_catalogs();
        let listener = Listener::Subscription(subscription.sink().clone());
        let ended = subscription.request_context().ct.clone();
        notify_changes(changes, ended, listener).await;
    }
}

/// Where an agent hears of changes: its session, or its subscription.
enum Listener {
    Session(Peer<RoleServer>),
    Subscription(SubscriptionSink),
}

impl Listener {
    /// Whether the agent may still hear.
    async fn tell(&self, notice: ServerNotification) -> bool {
        match self {
            Self::Session(peer) => peer.send_notification(notice).await.is_ok(),
            Self::Subscription(sink) => match sink.send(notice).await {
                // A kind the agent did not ask for is left out.
                Ok(()) | Err(SubscriptionSendError::NotificationNotAccepted(_)) => true,
                Err(_) => false,
            },
        }
    }
}

/// After each change of the stored records and catalogs, until `stop`:
/// the sessions that hold the agent's resource subscriptions are brought up
/// to their servers' records (after a new key or URL, opened anew and
/// subscribed again; a server deleted or disabled, closed), so that the
/// updates go on coming as the record now says.
async fn renew_subscriptions(
    mut changes: tokio::sync::watch::Receiver<u64>,
    stop: CancellationToken,
    subscriptions: Arc<Upstreams>,
    gateway: Arc<Gateway>,
    agent: Peer<RoleServer>,
) {
    while next_change(&mut changes, &stop).await {
        for id in subscriptions.subscribed_servers() {
            let Ok(record) = gateway.repository.find(id).await else {
                continue;
            };
            let active = record.filter(|record| record.status == ServerStatus::Active);
            subscriptions
                .renew(id, active.as_ref(), &gateway.settings.outbound, &agent)
                .await;
        }
    }
}

/// Waits for the next change of the stored catalogs, with those that come
/// with it; `false` once `stop` is called or the watch ends.
async fn next_change(
    changes: &mut tokio::sync::watch::Receiver<u64>,
    stop: &CancellationToken,
) -> bool {
    tokio::select! {
        () = stop.cancelled() => return false,
        changed = changes.changed() => if changed.is_err() { return false },
    }
    tokio::time::sleep(NOTICE_DELAY).await;
    changes.mark_unchanged();
    true
}

/// Tells `listener` the three lists changed after each change of the stored
/// catalogs (changes that come together make one), until `stop` or until the
/// agent is gone.
async fn notify_changes(
    mut changes: tokio::sync::watch::Receiver<u64>,
    stop: CancellationToken,
    listener: Listener,
) {
    while next_change(&mut changes, &stop).await {
        let notices = [
            ServerNotification::ToolListChangedNotification(Default::default()),
            ServerNotification::PromptListChangedNotification(Default::default()),
            ServerNotification::ResourceListChangedNotification(Default::default()),
        ];
        for notice in notices {
            if !listener.tell(notice).await {
                return;
            }
        }
    }
}
