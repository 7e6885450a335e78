//! Mounting: the [`SepModule`] trait each SEP crate implements, and [`AnchorApp`], which mounts
//! the modules `ACTIVE_SEPS` lists into the anchor's own actix-web `App` through
//! `App::configure`, next to the anchor's own routes.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::web;

use crate::cli::BackgroundTask;
use crate::config::{ConfigError, ConfigProblem, SepId, Settings};
use crate::db::Database;
use crate::http::BodyLimits;
use crate::integrations::RegisteredIntegrations;
use crate::metrics::{Metrics, RequestRecorder, SepRoutes};
use crate::ratelimit::RateLimits;
use crate::sep1::StellarToml;

/// A SEP implementation the router can mount. Each SEP crate exports one value implementing it
/// (`anchor_sep10::Sep10`, …); core learns about SEP crates only through this trait.
pub trait SepModule: Send + Sync + 'static {
    /// Which SEP this is; it is mounted only when `ACTIVE_SEPS` lists it.
    fn id(&self) -> SepId;

    /// Extra start-up checks (settings this SEP needs, integrations it calls). Every problem is
    /// reported together with the configuration's own.
    fn check(&self, settings: &Settings, integrations: &RegisteredIntegrations) -> Vec<ConfigProblem> {
        let _ = (settings, integrations);
        Vec::new()
    }

    /// The stellar.toml keys this SEP publishes (`WEB_AUTH_ENDPOINT`, `KYC_SERVER`, …).
    fn stellar_toml_entries(&self, settings: &Settings) -> Vec<(&'static str, String)> {
        let _ = settings;
        Vec::new()
    }

    /// Registers the public routes.
    fn mount(&self, cfg: &mut web::ServiceConfig, ctx: &AnchorContext);

    /// Registers routes on the internal listener (behind `ADMIN_API_KEY`).
    fn mount_internal(&self, cfg: &mut web::ServiceConfig, ctx: &AnchorContext) {
        let _ = (cfg, ctx);
    }

    /// Long-running work of an active module (for example delivering an outbox): each future is
    /// spawned once when the server starts, next to [`crate::cli::Anchor::background_tasks`], and
    /// dropped when it stops. Heavy or blocking work inside must go through `Database::run` or
    /// `tokio::task::spawn_blocking`.
    fn background_tasks(&self, ctx: &web::Data<AnchorContext>) -> Vec<BackgroundTask> {
        let _ = ctx;
        Vec::new()
    }
}

/// What every handler can read: the validated settings, the database, the integrations and the
/// metrics registry. Registered as `web::Data<AnchorContext>`.
#[derive(Debug)]
pub struct AnchorContext {
    settings: Arc<Settings>,
    database: Database,
    integrations: RegisteredIntegrations,
    metrics: Metrics,
    rate_limits: RateLimits,
}

impl AnchorContext {
    /// The validated settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The database pool.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// The registered integrations.
    pub fn integrations(&self) -> &RegisteredIntegrations {
        &self.integrations
    }

    /// The app's metrics registry, served at `GET /metrics` on the internal listener; register
    /// a crate's own series here.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The rate limits per client address of the unauthenticated routes, built once from the
    /// settings and shared by every worker: wrap a route with one
    /// (`web::get().to(handler).wrap(ctx.rate_limits().federation.clone())`).
    pub fn rate_limits(&self) -> &RateLimits {
        &self.rate_limits
    }

    /// The body limits every route applies.
    pub fn body_limits(&self) -> BodyLimits {
        BodyLimits { max_body_bytes: self.settings.max_request_body_bytes }
    }
}

/// The framework's routes, ready to mount into any number of actix-web `App`s (one per worker).
#[derive(Clone)]
pub struct AnchorApp {
    ctx: web::Data<AnchorContext>,
    modules: Vec<Arc<dyn SepModule>>,
    stellar_toml: Arc<StellarToml>,
    sep_routes: Arc<SepRoutes>,
}

impl std::fmt::Debug for AnchorApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<SepId> = self.modules.iter().map(|module| module.id()).collect();
        f.debug_struct("AnchorApp").field("modules", &ids).finish_non_exhaustive()
    }
}

/// Builds an [`AnchorApp`].
pub struct AnchorAppBuilder {
    settings: Settings,
    database: Database,
    integrations: RegisteredIntegrations,
    modules: BTreeMap<SepId, Arc<dyn SepModule>>,
}

impl AnchorApp {
    /// Starts building an app from validated settings, an opened database and registered
    /// integrations.
    pub fn builder(
        settings: Settings,
        database: Database,
        integrations: RegisteredIntegrations,
    ) -> AnchorAppBuilder {
        AnchorAppBuilder { settings, database, integrations, modules: BTreeMap::new() }
    }

    /// Mounts `/.well-known/stellar.toml` (when `sep-1` is active), `/health`, and every active
    /// module's public routes. Call it from `App::configure`.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(self.ctx.clone());
        cfg.app_data(RequestRecorder::public(self.ctx.metrics().clone(), self.sep_routes.clone()));
        crate::http::default_extractor_rules(cfg, self.ctx.body_limits());
        cfg.route("/health", web::get().to(crate::http::health));
        if self.ctx.settings().is_active(SepId::Sep1) {
            crate::sep1::mount(cfg, self.ctx.body_limits(), self.stellar_toml.clone());
        }
        for module in &self.modules {
            module.mount(cfg, &self.ctx);
        }
    }

    /// Mounts the internal listener's routes: `/health`, `GET /metrics` and every active module's
    /// internal routes, each behind `ADMIN_API_KEY`. Call it from the internal server's
    /// `App::configure`.
    pub fn configure_internal(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(self.ctx.clone());
        cfg.app_data(RequestRecorder::internal(self.ctx.metrics().clone()));
        crate::http::default_extractor_rules(cfg, self.ctx.body_limits());
        cfg.route("/health", web::get().to(crate::http::health));
        crate::metrics::mount_internal(cfg, &self.ctx);
        for module in &self.modules {
            module.mount_internal(cfg, &self.ctx);
        }
    }

    /// The shared context (settings, database, integrations, metrics).
    pub fn context(&self) -> &web::Data<AnchorContext> {
        &self.ctx
    }

    /// The background tasks of every active module ([`SepModule::background_tasks`]), to spawn
    /// once on the server's runtime.
    pub fn background_tasks(&self) -> Vec<BackgroundTask> {
        self.modules.iter().flat_map(|module| module.background_tasks(&self.ctx)).collect()
    }

    /// The SEPs mounted, in order.
    pub fn active_seps(&self) -> Vec<SepId> {
        self.ctx.settings().active_seps.iter().copied().collect()
    }
}

impl AnchorAppBuilder {
    /// Adds a SEP module. It is mounted only if `ACTIVE_SEPS` lists it.
    pub fn module(mut self, module: impl SepModule) -> Self {
        self.modules.insert(module.id(), Arc::new(module));
        self
    }

    /// Adds several modules.
    pub fn modules(mut self, modules: impl IntoIterator<Item = Arc<dyn SepModule>>) -> Self {
        for module in modules {
            self.modules.insert(module.id(), module);
        }
        self
    }

    /// Checks that every active SEP has its module, runs the modules' own checks, renders the
    /// static part of stellar.toml, and returns the app. Every problem is reported at once.
    pub fn build(self) -> Result<AnchorApp, ConfigError> {
        let AnchorAppBuilder { settings, database, integrations, mut modules } = self;
        let mut problems = Vec::new();
        let mut active: Vec<Arc<dyn SepModule>> = Vec::new();
        for sep in &settings.active_seps {
            if *sep == SepId::Sep1 {
                continue;
            }
            match modules.remove(sep) {
                Some(module) => {
                    problems.extend(module.check(&settings, &integrations));
                    active.push(module);
                }
                None => problems.push(ConfigProblem::new(
                    "ACTIVE_SEPS",
                    format!(
                        "lists {sep}, but this anchor did not add its module; add the `anchor-sep{}` \
                         crate's module value to the AnchorApp builder (`.module(…)`, see its crate \
                         docs) or remove {sep}",
                        sep.number()
                    ),
                )),
            }
        }
        let mut entries = Vec::new();
        for module in &active {
            entries.extend(module.stellar_toml_entries(&settings));
        }
        let sep_routes = Arc::new(SepRoutes::new(&settings, &entries));
        let stellar_toml = match StellarToml::new(&settings, entries, integrations.stellar_toml().cloned()) {
            Ok(toml) => Some(toml),
            Err(problem) => {
                problems.push(problem);
                None
            }
        };
        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        let stellar_toml =
            stellar_toml.ok_or_else(|| ConfigError::single("STELLAR_TOML_FILE", "could not be rendered"))?;
        let rate_limits = RateLimits::from_settings(&settings.rate_limits);
        let ctx = web::Data::new(AnchorContext {
            rate_limits,
            settings: Arc::new(settings),
            database,
            integrations,
            metrics: Metrics::new(),
        });
        Ok(AnchorApp { ctx, modules: active, stellar_toml: Arc::new(stellar_toml), sep_routes })
    }
}
