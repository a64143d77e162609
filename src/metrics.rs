//! Prometheus metrics: requests and their latency per method, route template
//! and status, and the database pool, in the text format at `/metrics`.

use std::sync::atomic::Ordering;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route's template (`/v1/mcp-servers/{id}`), never the raw path: raw
    /// paths would make one series per id.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProbeLabels {
    state: &'static str,
}

/// The database pool at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolFigures {
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
    /// With SQLite: transactions that committed creates, and the creates.
    pub group_commit: Option<GroupCommitTotals>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct GroupCommitTotals {
    pub commits: u64,
    pub creates: u64,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    group_commits: Counter,
    group_committed_creates: Counter,
    probes: Family<ProbeLabels, Counter>,
    probe_duration: Histogram,
    probes_in_flight: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        // 0.5 ms to about 16 s.
        let latency = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        let (pool_connections, pool_idle, pool_max) = Default::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            latency.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Open database connections",
            Gauge::clone(&pool_connections),
        );
        registry.register(
            "db_pool_idle_connections",
            "Idle database connections",
            Gauge::clone(&pool_idle),
        );
        registry.register(
            "db_pool_max_connections",
            "Most database connections the pool opens",
            Gauge::clone(&pool_max),
        );
        let (group_commits, group_committed_creates) = Default::default();
        registry.register(
            "db_group_commits",
            "Transactions that committed creates (those arriving together share one)",
            Counter::clone(&group_commits),
        );
        registry.register(
            "db_group_committed_creates",
            "Creates committed by those transactions",
            Counter::clone(&group_committed_creates),
        );
        let probes = Family::<ProbeLabels, Counter>::default();
        // 5 ms to about 40 s.
        let probe_duration = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        let probes_in_flight = Gauge::default();
        registry.register(
            "mcp_probes",
            "Probes of registered MCP servers, by how they ended",
            probes.clone(),
        );
        registry.register(
            "mcp_probe_duration_seconds",
            "Time a probe took, from connect to the last page",
            probe_duration.clone(),
        );
        registry.register(
            "mcp_probes_in_flight",
            "Probes under way",
            Gauge::clone(&probes_in_flight),
        );
        Self {
            registry,
            probes,
            probe_duration,
            probes_in_flight,
            requests,
            latency,
            pool_connections,
            pool_idle,
            pool_max,
            group_commits,
            group_committed_creates,
        }
    }
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = RequestLabels {
            method: method.to_owned(),
            route: route.to_owned(),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.latency.get_or_create(&labels).observe(seconds);
    }

    /// Counts a probe in flight until the guard is dropped.
    pub fn probe_started(&self) -> InFlight<'_> {
        self.probes_in_flight.inc();
        InFlight(&self.probes_in_flight)
    }

    pub fn probe_finished(&self, state: &'static str, seconds: f64) {
        self.probes.get_or_create(&ProbeLabels { state }).inc();
        self.probe_duration.observe(seconds);
    }

    /// The text exposition, with the pool figures as of now.
    pub fn render(&self, pool: PoolFigures) -> String {
        self.pool_connections.set(i64::from(pool.connections));
        self.pool_idle.set(i64::from(pool.idle));
        self.pool_max.set(i64::from(pool.max));
        if let Some(totals) = pool.group_commit {
            // The writer keeps the totals; these counters only show them.
            self.group_commits
                .inner()
                .store(totals.commits, Ordering::Relaxed);
            self.group_committed_creates
                .inner()
                .store(totals.creates, Ordering::Relaxed);
        }
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// One probe under way, for the in-flight gauge.
pub struct InFlight<'a>(&'a Gauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}
