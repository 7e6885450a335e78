//! SEP-3 compliance protocol, both directions, and the SEP-2 federation endpoint it needs.
//!
//! - Receiving side, public: `POST {HOST_URL}/compliance` (`AUTH_SERVER`, form `data` + `sig`)
//!   and `GET {HOST_URL}/compliance/tx_status?id=` (SEP-4); `GET {HOST_URL}/federation`
//!   (`FEDERATION_SERVER`, SEP-2 `type=name` and `type=id`).
//! - Sending side, internal listener (bearer `ADMIN_API_KEY`): `POST /send`, `POST /receive`,
//!   `POST /allow_access`, `POST /remove_access`, with the SDF compliance server's fields.
//!
//! Decisions come from the anchor's integrations: `SanctionsIntegration` (sender screening →
//! `tx_status`; an `Err` never passes, see [`ScreeningFailurePolicy`]), `ComplianceIntegration`
//! (`ask_user` consent → `info_status`, `fetch_info` → `dest_info` and the sender's
//! `sender_info`), `FederationIntegration` (our `name*domain` directory).
//! [`callbacks::SdfCallbacks`] implements the first two over the SDF server's HTTP callbacks,
//! [`sdf_config`] reads its `config_compliance.toml`, and the `sdf-compliance` binary serves from
//! that file (see `docs/sep-3.md`).
//!
//! Layout: `payload.rs`, `verify.rs`, `decision.rs` are pure; `store.rs` (database),
//! `remote.rs` (other institutions over HTTP) do the IO; `receive.rs` and `send.rs` orchestrate;
//! `routes.rs` is the thin HTTP layer.
//!
//! This crate depends on `anchor-core` only, never on another SEP crate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anchor_core::actix_web::web;
use anchor_core::net::{OutboundBuilder, OutboundClient, Trust};
use anchor_core::remote_toml::StellarTomlFetcher;
use anchor_core::{AnchorContext, ConfigProblem, RegisteredIntegrations, SepId, SepModule, Settings};

pub mod callbacks;
pub mod decision;
pub mod error;
pub mod payload;
mod receive;
mod remote;
mod routes;
pub mod sdf_config;
mod send;
mod store;
pub mod verify;

pub use decision::ScreeningFailurePolicy;
pub use error::Error;

/// Entry points of the fuzz targets (`fuzz/`), compiled only by `cargo fuzz` (`--cfg fuzzing`).
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    use anchor_core::integrations::sanctions::ScreeningSubject;

    use crate::payload::{Attachment, FirstOperation};

    /// The screening subject `AUTH_SERVER` builds from an attachment's `sender_info`.
    pub fn subject(
        sender: &str,
        domain: &str,
        attachment: &Attachment,
        first: &FirstOperation,
    ) -> ScreeningSubject {
        crate::receive::subject(sender, domain, attachment, first)
    }
}

/// Where the module mounts its public routes.
pub const AUTH_SERVER_PATH: &str = "/compliance";
/// Where the SEP-2 endpoint is mounted.
pub const FEDERATION_PATH: &str = "/federation";

/// The SEP-3 module value, with its module-level configuration. One value serves one app; a
/// clone starts without the first one's state (fetcher, client, home domain), so two apps built
/// from clones never share it.
#[derive(Debug)]
pub struct Sep3 {
    overrides: Sep3Overrides,
    external_federation_server: Option<String>,
    state: Arc<OnceLock<Arc<Sep3State>>>,
}

/// Builder choices that take precedence over the `SEP3_*` settings.
#[derive(Debug, Clone, Default)]
struct Sep3Overrides {
    on_screening_failure: Option<ScreeningFailurePolicy>,
    need_info: Option<bool>,
    outbound_timeout: Option<Duration>,
    tx_status_auth: Option<(String, anchor_core::Sensitive<String>)>,
}

/// The module's effective configuration: the `SEP3_*` settings, with any choice made on the
/// [`Sep3`] builder taking precedence.
#[derive(Debug, Clone)]
pub struct Sep3Config {
    /// What a failure to screen becomes (never a pass). Default: pending, 300 s.
    pub on_screening_failure: ScreeningFailurePolicy,
    /// `need_info` sent by `/send` (the SDF `needs_auth`). Default: false.
    pub need_info: bool,
    /// Timeout of requests to other institutions (stellar.toml, federation, `AUTH_SERVER`).
    pub outbound_timeout: Duration,
    /// `None` (default): this module serves `FEDERATION_SERVER` from the
    /// `FederationIntegration`. `Some(url)`: the anchor's federation server runs elsewhere (as
    /// with the SDF compliance server); `url` is published and nothing is mounted.
    pub external_federation_server: Option<String>,
    /// `Some((user, password))`: `GET tx_status` requires HTTP Basic with these (the SDF
    /// server's `[tx_status_auth]`); 401 otherwise. `None` (default): public, as SEP-4 has it.
    pub tx_status_auth: Option<(String, anchor_core::Sensitive<String>)>,
}

impl Default for Sep3Config {
    fn default() -> Self {
        Sep3Config {
            on_screening_failure: ScreeningFailurePolicy::default(),
            need_info: false,
            outbound_timeout: Duration::from_secs(10),
            external_federation_server: None,
            tx_status_auth: None,
        }
    }
}

impl Clone for Sep3 {
    fn clone(&self) -> Self {
        Sep3 {
            overrides: self.overrides.clone(),
            external_federation_server: self.external_federation_server.clone(),
            state: Arc::new(OnceLock::new()),
        }
    }
}

impl Default for Sep3 {
    fn default() -> Self {
        Sep3::new()
    }
}

impl Sep3 {
    /// The module configured by the `SEP3_*` settings.
    pub fn new() -> Self {
        Sep3 {
            overrides: Sep3Overrides::default(),
            external_federation_server: None,
            state: Arc::new(OnceLock::new()),
        }
    }

    /// The effective configuration for `settings`.
    pub fn config(&self, settings: &Settings) -> Sep3Config {
        let from_settings = match settings.sep3.screening_failure {
            anchor_core::config::Sep3ScreeningFailure::Pending(wait) => ScreeningFailurePolicy::Pending(wait),
            anchor_core::config::Sep3ScreeningFailure::Deny => ScreeningFailurePolicy::Deny,
        };
        Sep3Config {
            on_screening_failure: self.overrides.on_screening_failure.unwrap_or(from_settings),
            need_info: self.overrides.need_info.unwrap_or(settings.sep3.need_info),
            outbound_timeout: self.overrides.outbound_timeout.unwrap_or(settings.sep3.outbound_timeout),
            external_federation_server: self.external_federation_server.clone(),
            tx_status_auth: self.overrides.tx_status_auth.clone(),
        }
    }

    /// What a failure to screen becomes: pending (the sender asks again) or denied.
    pub fn on_screening_failure(mut self, policy: ScreeningFailurePolicy) -> Self {
        self.overrides.on_screening_failure = Some(policy);
        self
    }

    /// Whether `/send` asks the receiver for its customer's data (`need_info`).
    pub fn need_info(mut self, need_info: bool) -> Self {
        self.overrides.need_info = Some(need_info);
        self
    }

    /// Timeout of requests to other institutions.
    pub fn outbound_timeout(mut self, timeout: Duration) -> Self {
        self.overrides.outbound_timeout = Some(timeout);
        self
    }

    /// Requires HTTP Basic with `user` and `password` on `GET tx_status` (the SDF compliance
    /// server's `[tx_status_auth]`).
    pub fn tx_status_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.overrides.tx_status_auth = Some((user.into(), anchor_core::Sensitive::new(password.into())));
        self
    }

    /// Publishes `url` as `FEDERATION_SERVER` instead of serving one (then no
    /// `FederationIntegration` is needed).
    pub fn external_federation_server(mut self, url: impl Into<String>) -> Self {
        self.external_federation_server = Some(url.into());
        self
    }

    fn state(&self, settings: &Settings) -> Result<Arc<Sep3State>, String> {
        if let Some(state) = self.state.get() {
            return Ok(Arc::clone(state));
        }
        let state = Arc::new(Sep3State::new(self.config(settings), settings)?);
        Ok(Arc::clone(self.state.get_or_init(|| state)))
    }
}

/// What the handlers share: one stellar.toml fetcher and one outbound client per app.
#[derive(Debug)]
pub struct Sep3State {
    pub(crate) config: Sep3Config,
    pub(crate) fetcher: StellarTomlFetcher,
    pub(crate) client: OutboundClient,
    pub(crate) home_domain: String,
    pub(crate) local_mode: bool,
    /// SHA-256 of the network passphrase (the prefix of every transaction id).
    pub(crate) network_id: [u8; 32],
    refetched: Mutex<HashMap<String, Instant>>,
    verifying_keys: Mutex<HashMap<[u8; 32], ed25519_dalek::VerifyingKey>>,
}

/// Most senders' keys kept decompressed.
const VERIFYING_KEYS_KEPT: usize = 1024;

/// Least time between two re-fetches of a sender's stellar.toml after a signature failure.
pub const KEY_REFETCH_INTERVAL: Duration = Duration::from_secs(60);

impl Sep3State {
    /// Whether `domain`'s stellar.toml may be fetched again now (and notes that it is).
    pub(crate) fn may_refetch(&self, domain: &str) -> bool {
        let Ok(mut refetched) = self.refetched.lock() else { return false };
        let now = Instant::now();
        if refetched.get(domain).is_some_and(|last| now.duration_since(*last) < KEY_REFETCH_INTERVAL) {
            return false;
        }
        if refetched.len() >= 4096 {
            refetched.retain(|_, last| now.duration_since(*last) < KEY_REFETCH_INTERVAL);
            if refetched.len() >= 4096 {
                return false;
            }
        }
        refetched.insert(domain.to_string(), now);
        true
    }
}

impl Sep3State {
    /// `signing_key` as a curve point, decompressed once per key.
    pub(crate) fn verifying_key(&self, signing_key: &[u8; 32]) -> Result<ed25519_dalek::VerifyingKey, Error> {
        if let Some(key) = self.verifying_keys.lock().ok().and_then(|keys| keys.get(signing_key).copied()) {
            return Ok(key);
        }
        let key = verify::verifying_key(signing_key)?;
        if let Ok(mut keys) = self.verifying_keys.lock() {
            if keys.len() >= VERIFYING_KEYS_KEPT {
                keys.clear();
            }
            keys.insert(*signing_key, key);
        }
        Ok(key)
    }

    fn new(config: Sep3Config, settings: &Settings) -> Result<Self, String> {
        let fetcher = StellarTomlFetcher::new(settings.local_mode, config.outbound_timeout)?;
        let client = OutboundBuilder::new(
            settings.local_mode,
            Trust::Remote,
            config.outbound_timeout,
            "anchor-rs sep-3",
        )
        .build()
        .map_err(|err| err.to_string())?;
        Ok(Sep3State {
            config,
            fetcher,
            client,
            home_domain: settings.host_domain(),
            local_mode: settings.local_mode,
            network_id: payload::network_id(&settings.network_passphrase),
            refetched: Mutex::new(HashMap::new()),
            verifying_keys: Mutex::new(HashMap::new()),
        })
    }
}

impl SepModule for Sep3 {
    fn id(&self) -> SepId {
        SepId::Sep3
    }

    fn check(&self, settings: &Settings, integrations: &RegisteredIntegrations) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        if integrations.sanctions().is_none() {
            problems.push(ConfigProblem::new(
                "ACTIVE_SEPS",
                "sep-3 is active but no SanctionsIntegration was registered; add `Integrations::new().sanctions(…)`",
            ));
        }
        if self.external_federation_server.is_none() && integrations.federation().is_none() {
            problems.push(ConfigProblem::new(
                "ACTIVE_SEPS",
                "sep-3 is active but no FederationIntegration was registered (senders resolve name*domain \
                 through FEDERATION_SERVER); add `Integrations::new().federation(…)` or remove sep-3",
            ));
        }
        if integrations.compliance().is_none() {
            problems.push(ConfigProblem::new(
                "ACTIVE_SEPS",
                "sep-3 is active but no ComplianceIntegration was registered (fetch_info supplies sender_info \
                 and dest_info); add `Integrations::new().compliance(…)` or remove sep-3",
            ));
        }
        if let Err(err) = self.state(settings) {
            problems.push(ConfigProblem::new("ACTIVE_SEPS", format!("sep-3 cannot start: {err}")));
        }
        problems
    }

    fn stellar_toml_entries(&self, settings: &Settings) -> Vec<(&'static str, String)> {
        let base = settings.host_url.trim_end_matches('/');
        let federation = match &self.external_federation_server {
            Some(url) => url.clone(),
            None => format!("{base}{FEDERATION_PATH}"),
        };
        vec![("AUTH_SERVER", format!("{base}{AUTH_SERVER_PATH}")), ("FEDERATION_SERVER", federation)]
    }

    fn mount(&self, cfg: &mut web::ServiceConfig, ctx: &AnchorContext) {
        match self.state(ctx.settings()) {
            Ok(state) => routes::mount_public(cfg, ctx, web::Data::from(state)),
            Err(err) => tracing::error!(%err, "sep-3 routes not mounted"),
        }
    }

    fn mount_internal(&self, cfg: &mut web::ServiceConfig, ctx: &AnchorContext) {
        match self.state(ctx.settings()) {
            Ok(state) => routes::mount_internal(cfg, ctx, web::Data::from(state)),
            Err(err) => tracing::error!(%err, "sep-3 internal routes not mounted"),
        }
    }
}
