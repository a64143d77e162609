//! When the registry talks to its servers: now, when a caller asks; soon after
//! a create or a change of where or how to connect; and every health interval,
//! for every active server. Probes run in the background, a bounded number at
//! a time, and never inside a create or an update.

use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Semaphore, mpsc};

/// Checks a replica claims at a time; the rest wait for its next tick.
const CLAIMS_PER_TICK: u64 = 1_000;

use super::probe::Prober;
use crate::domain::{McpServerId, McpServerRecord, ServerStatus};
use crate::metrics::Metrics;
use crate::storage::{McpServerRepository, SavedProbe, StorageError};

#[derive(Debug, Clone)]
pub struct HealthSettings {
    /// How often each active server is checked; zero turns the checker off.
    pub interval: Duration,
    /// Probes in flight at once, of every kind: asked for through the API,
    /// scheduled after a change, and health checks. A probe may hold a
    /// listing of up to `MAX_LISTING_BYTES` and what parsing it costs, so
    /// this bounds their memory together.
    pub concurrency: usize,
    /// Network failures in a row before a working server shows them.
    pub failure_threshold: u32,
}

impl Default for HealthSettings {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(300),
            concurrency: 4,
            failure_threshold: 3,
        }
    }
}

pub struct ProbeService {
    repository: Arc<McpServerRepository>,
    metrics: Arc<Metrics>,
    prober: Prober,
    settings: HealthSettings,
    queue: mpsc::UnboundedSender<McpServerId>,
    receiver: Mutex<Option<mpsc::UnboundedReceiver<McpServerId>>>,
    /// Servers queued and not yet probed: each is queued once.
    pending: Mutex<HashSet<McpServerId>>,
    /// One per probe in flight (`HealthSettings::concurrency`).
    slots: Arc<Semaphore>,
}

impl ProbeService {
    pub fn new(
        repository: Arc<McpServerRepository>,
        prober: Prober,
        settings: HealthSettings,
        metrics: Arc<Metrics>,
    ) -> Arc<Self> {
        let (queue, receiver) = mpsc::unbounded_channel();
        let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));
        Arc::new(Self {
            slots,
            repository,
            metrics,
            prober,
            settings,
            queue,
            receiver: Mutex::new(Some(receiver)),
            pending: Mutex::new(HashSet::new()),
        })
    }

    /// Starts the background work: the queue's workers and the periodic checker.
    pub fn start(self: &Arc<Self>) {
        let receiver = self.receiver.lock().ok().and_then(|mut r| r.take());
        if let Some(receiver) = receiver {
            tokio::spawn(Arc::clone(self).work(receiver));
        }
        if !self.settings.interval.is_zero() {
            tokio::spawn(Arc::clone(self).check_periodically());
        }
    }

    /// Probes `server` now, once one of the probe slots is free, and stores
    /// what it found, unless the record was deleted or changed meanwhile.
    pub async fn probe_now(&self, server: &McpServerRecord) -> Result<SavedProbe, StorageError> {
        // The semaphore is never closed: a slot always comes.
        let _slot = self.slots.acquire().await;
        self.probe_in_slot(server).await
    }

    /// `probe_now`, by a caller that holds a slot.
    async fn probe_in_slot(&self, server: &McpServerRecord) -> Result<SavedProbe, StorageError> {
        let report = {
            let _in_flight = self.metrics.probe_started();
            self.prober.probe(server).await
        };
        self.metrics
            .probe_finished(report.state.as_str(), report.latency_ms as f64 / 1000.0);
        tracing::info!(
            id = %server.id,
            state = report.state.as_str(),
            latency_ms = report.latency_ms,
            error = report.error.as_deref().unwrap_or(""),
            "probe"
        );
        let next_check =
            (!self.settings.interval.is_zero()).then(|| self.next_due(report.checked_at));
        self.repository
            .save_probe(
                server.id,
                server.version,
                &report,
                self.settings.failure_threshold,
                next_check,
            )
            .await
    }

    /// Queues a probe of `id` in the background.
    pub fn schedule(&self, id: McpServerId) {
        let newly_queued = self.pending.lock().is_ok_and(|mut p| p.insert(id));
        if newly_queued {
            let _ = self.queue.send(id);
        }
    }

    async fn work(self: Arc<Self>, mut receiver: mpsc::UnboundedReceiver<McpServerId>) {
        while let Some(id) = receiver.recv().await {
            let Ok(slot) = Arc::clone(&self.slots).acquire_owned().await else {
                return;
            };
            let service = Arc::clone(&self);
            tokio::spawn(async move {
                if let Ok(mut pending) = service.pending.lock() {
                    pending.remove(&id);
                }
                if let Err(error) = service.probe_if_active(id).await {
                    tracing::warn!(id = %id, error = %error, "background probe not stored");
                }
                drop(slot);
            });
        }
    }

    async fn probe_if_active(&self, id: McpServerId) -> Result<(), StorageError> {
        // Read at the last moment: the server may have been disabled,
        // changed or deleted since it was queued.
        match self.repository.find(id).await? {
            Some(server) if server.status == ServerStatus::Active => {
                if let SavedProbe::Superseded = self.probe_in_slot(&server).await? {
                    // Probe the record as it now is (if still active).
                    self.schedule(id);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Every tenth of an interval or so (jittered, so replicas and restarts
    /// spread out), claims the checks that are due in the shared schedule
    /// and queues them. Replicas on one database claim each check once.
    async fn check_periodically(self: Arc<Self>) {
        loop {
            let tick = self.settings.interval / 10;
            tokio::time::sleep(tick + tick.mul_f64(random_fraction())).await;
            let now = crate::domain::now();
            match self
                .repository
                .claim_due_checks(now, self.next_due(now), CLAIMS_PER_TICK)
                .await
            {
                Ok(claimed) => claimed.into_iter().for_each(|id| self.schedule(id)),
                Err(error) => tracing::warn!(error = %error, "cannot claim due health checks"),
            }
        }
    }

    /// When a server checked at `now` is next due: one interval on, give or
    /// take a twentieth.
    fn next_due(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let interval = self.settings.interval;
        let spread = interval.mul_f64(random_fraction() / 10.0);
        let next = interval - interval / 20 + spread;
        now + chrono::Duration::from_std(next).unwrap_or(chrono::Duration::MAX)
    }
}

/// A number in [0, 1), random enough to spread timers.
fn random_fraction() -> f64 {
    let bits = std::collections::hash_map::RandomState::new().hash_one(std::time::Instant::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}
