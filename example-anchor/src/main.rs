//! # example-anchor
//!
//! A runnable Stellar anchor built on the `anchor-*` crates: the reference for how an anchor
//! implements the integration traits and wires the modules.
//!
//! Run with:
//!
//! ```text
//! cargo run -p example-anchor                    # serve (creates a development .env on first run)
//! cargo run -p example-anchor -- config check    # validate and print the effective configuration
//! cargo run -p example-anchor -- migrate         # create or upgrade the schema
//! cargo run -p example-anchor -- keys generate   # print fresh keys
//! ```
//!
//! With no configuration at all it starts a local development anchor: `LOCAL_MODE`,
//! `HOST_URL=http://localhost:8000`, an SQLite file under `./data/`, and development keys written
//! to `./.env` on first run. See `.env.example` for every setting.

use std::process::ExitCode;
use std::sync::Arc;

use std::sync::OnceLock;

use anchor_aml::{
    screening_config, AmlCommand, AmlMonitor, AuditCommand, ListScreening, ListStore, ListsCommand,
    OfficersCommand,
};
use anchor_console::ConsoleConfig;
use anchor_core::actix_web::{web, HttpResponse};
use anchor_core::cli::{Anchor, BackgroundTask, CliExtension};
use anchor_core::{ConfigError, Database, Integrations, SepModule, Settings};

mod bootstrap;
mod compliance;
mod customers;

/// example-anchor's own tables (its customer store), one set per backend; a set is used only
/// when `DATABASE_URL` picks its backend.
static SQLITE_MIGRATIONS: diesel_migrations::EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/sqlite");
static POSTGRES_MIGRATIONS: diesel_migrations::EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/postgres");
static MYSQL_MIGRATIONS: diesel_migrations::EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/mysql");

/// The example anchor's business logic.
#[derive(Default)]
struct ExampleAnchor {
    /// The AML monitor, when `AML_ENABLED` (built with the integrations).
    monitor: OnceLock<AmlMonitor>,
}

/// The anchor's own part of stellar.toml: organisation and currencies.
const STATIC_STELLAR_TOML: &str = include_str!("../stellar.static.toml");

impl Anchor for ExampleAnchor {
    fn modules(&self) -> Vec<Arc<dyn SepModule>> {
        vec![Arc::new(anchor_sep10::Sep10), Arc::new(anchor_sep12::Sep12), Arc::new(anchor_sep3::Sep3::new())]
    }

    fn integrations(&self, settings: &Settings, database: &Database) -> Result<Integrations, ConfigError> {
        let static_part: toml::Table = STATIC_STELLAR_TOML
            .parse()
            .map_err(|err| ConfigError::single("stellar.static.toml", format!("is not valid TOML: {err}")))?;
        // SEP-2/SEP-3: the federation directory and KYC shared with other institutions.
        let directory = compliance::ExampleDirectory::new(database.clone(), settings.host_domain());
        let integrations = Integrations::new()
            .customer(customers::ExampleCustomers::new(database.clone()))
            .federation(directory.clone())
            .compliance(directory)
            .stellar_toml(move || static_part.clone());
        let lists_unavailable = |err: anchor_aml::Error| {
            ConfigError::single("DATABASE_URL", format!("sanctions lists cannot be loaded: {err}"))
        };
        if !settings.aml.enabled {
            // Screening only: SEP-3 decisions from the imported lists, no registry, no freezes.
            let sanctions =
                ListScreening::load(&ListStore::new(database.clone()), screening_config(&settings.aml))
                    .map_err(lists_unavailable)?;
            return Ok(integrations.sanctions(compliance::OfficerReview::new(database.clone(), sanctions)));
        }
        // The AML monitor screens every customer, authenticated account and SEP-3 counterparty,
        // freezes matches (refused on every SEP route) and decides SEP-3 screenings with the
        // officers' case decisions; the example's own officer table is consulted first.
        let monitor = AmlMonitor::from_settings(settings, database.clone()).map_err(|err| {
            ConfigError::single("AML_ENABLED", format!("the AML monitor cannot start: {err}"))
        })?;
        let _ = self.monitor.set(monitor.clone());
        Ok(integrations
            .sanctions(compliance::OfficerReview::new(database.clone(), monitor.clone()))
            .screening_registry(monitor))
    }

    fn background_tasks(&self) -> Vec<BackgroundTask> {
        match self.monitor.get() {
            Some(monitor) => vec![Box::pin(monitor.clone().run_background())],
            None => Vec::new(),
        }
    }

    fn commands(&self) -> Vec<Box<dyn CliExtension>> {
        vec![Box::new(ListsCommand), Box::new(AuditCommand), Box::new(AmlCommand), Box::new(OfficersCommand)]
    }

    fn routes(&self, cfg: &mut web::ServiceConfig) {
        cfg.route("/", web::get().to(index));
    }

    /// A development `.env` when nothing is configured, only before a command that reads the
    /// configuration (never for help or `--version`).
    fn before_configuration(&self, config_file: Option<&std::path::Path>) -> Result<(), String> {
        bootstrap::development_env_if_unconfigured(config_file)
            .map_err(|err| format!("could not create the development .env: {err}"))
    }

    fn migrations(&self) -> anchor_core::db::MigrationSet {
        anchor_core::db::MigrationSet::new(
            Some(&SQLITE_MIGRATIONS),
            Some(&POSTGRES_MIGRATIONS),
            Some(&MYSQL_MIGRATIONS),
        )
    }

    fn internal_routes(&self, cfg: &mut web::ServiceConfig, ctx: &anchor_core::AnchorContext) {
        customers::review::mount(cfg, ctx);
        compliance::mount(cfg, ctx);
        if let Some(monitor) = self.monitor.get() {
            // The officer's API (`/admin/aml/…`) and the monitor's series in `/metrics`.
            let key = ctx.settings().admin_api_key.as_ref().map(|key| key.expose().clone());
            anchor_aml::mount_admin_api(cfg, monitor.clone(), ctx.body_limits(), key);
            // The officers' console (`/admin/…`, sign-in with `officers create`), after the API.
            anchor_console::mount_console(cfg, monitor.clone(), ConsoleConfig::from_context(ctx));
            monitor.register_metrics(ctx.metrics());
        }
    }
}

/// A landing page for people who open the anchor in a browser.
async fn index() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "name": "example-anchor",
        "stellar_toml": "/.well-known/stellar.toml",
        "health": "/health",
    }))
}

fn main() -> ExitCode {
    anchor_core::cli::run(ExampleAnchor::default())
}
