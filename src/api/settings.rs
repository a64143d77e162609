//! What the HTTP layer takes from the configuration (lib.rs fills it in).

use std::sync::Arc;
use std::time::Duration;

use super::guard::GuardSettings;
use crate::access::AccessPolicy;
use crate::config::{PublicUrl, RegistryApiRemotes};
use crate::domain::{NetworkPolicy, RegistryNamespace};

/// What the HTTP layer needs from the configuration.
#[derive(Debug, Clone, Default)]
pub struct ApiSettings {
    /// How long an Idempotency-Key is remembered.
    pub idempotency_ttl: Duration,
    /// Which hosts registered URLs may point at.
    pub network_policy: NetworkPolicy,
    /// Who may call `/v1`.
    pub access: Arc<AccessPolicy>,
    pub guard: GuardSettings,
    /// The namespace of server names in the MCP Registry API.
    pub registry_namespace: RegistryNamespace,
    /// Where the MCP Registry API's entries send clients.
    pub registry_remotes: RegistryApiRemotes,
    /// The registry's address as clients see it, if configured.
    pub public_url: Option<PublicUrl>,
}
