//! The command line every anchor binary gets with one call to [`run`]: `serve`, `migrate`,
//! `keys generate` and `config check`, with `--config FILE` on each.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use actix_web::{web, App, HttpServer};
use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

use crate::app::{AnchorApp, SepModule};
use crate::config::{ConfigError, Settings};
use crate::db::{Database, MigrationSet};
use crate::integrations::{register_integrations, Integrations};
use crate::keys::{generate_jwt_key, SigningKey};

/// An anchor binary: which modules it links, how it builds its integrations, its own tables and
/// routes. `example-anchor` is the reference implementation.
pub trait Anchor: Send + Sync + 'static {
    /// The SEP modules this binary links; those `ACTIVE_SEPS` lists are mounted.
    fn modules(&self) -> Vec<Arc<dyn SepModule>>;

    /// Builds the integrations, given the validated settings and the opened database.
    fn integrations(&self, settings: &Settings, database: &Database) -> Result<Integrations, ConfigError>;

    /// Migrations of the anchor's own tables, applied after the framework's.
    fn migrations(&self) -> MigrationSet {
        MigrationSet::default()
    }

    /// The anchor's own public routes, mounted next to the framework's.
    fn routes(&self, cfg: &mut web::ServiceConfig) {
        let _ = cfg;
    }

    /// Extra command groups of this binary (`lists …`, `aml …`), next to the built-in ones.
    fn commands(&self) -> Vec<Box<dyn CliExtension>> {
        Vec::new()
    }

    /// Long-running work started with the server (for example the AML monitor's scanner and
    /// notification delivery): each future is spawned on the server's runtime once, after the
    /// listeners are bound, and dropped when the server stops. Heavy or blocking work inside must
    /// go through `tokio::task::spawn_blocking`.
    fn background_tasks(&self) -> Vec<BackgroundTask> {
        Vec::new()
    }

    /// The anchor's own routes on the internal listener. Mount them with
    /// `anchor_core::http::mount_internal_scope` so they require `ADMIN_API_KEY`.
    fn internal_routes(&self, cfg: &mut web::ServiceConfig, ctx: &crate::AnchorContext) {
        let _ = (cfg, ctx);
    }

    /// Runs once before a command that loads the configuration (`serve`, the default; `migrate`;
    /// `config check`; every [`CliExtension`]'s command), once the command line has been parsed.
    /// Never for help (`help`, `--help`/`-h` at any level, `help <command>`), `--version`/`-V`,
    /// a mistyped command line or `keys generate`: they have no side effect. `config_file` is
    /// the global `--config`. example-anchor writes its development `.env` here when nothing is
    /// configured. An error is printed and the process exits with code 1.
    fn before_configuration(&self, config_file: Option<&std::path::Path>) -> Result<(), String> {
        let _ = config_file;
        Ok(())
    }
}

/// A future started with the server by [`Anchor::background_tasks`].
pub type BackgroundTask = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'static>>;

/// A command group a crate or an anchor adds to the binary's CLI (for example `lists import`).
pub trait CliExtension: Send + Sync {
    /// The clap command; its name is the subcommand's name. It must not reuse a built-in name
    /// (`serve`, `migrate`, `keys`, `config`).
    fn command(&self) -> clap::Command;

    /// Runs the command. `config_file` is the global `--config`; use [`open`] to get validated
    /// settings and the database. The error is printed as is and exits with code 1.
    fn run(&self, matches: &clap::ArgMatches, config_file: Option<&std::path::Path>) -> Result<(), String>;
}

/// Loads and validates the settings and opens the database, as `serve` does: for extensions.
pub fn open(config_file: Option<&std::path::Path>) -> Result<(Settings, Database), String> {
    let settings = Settings::load(config_file).map_err(|err| err.to_string())?;
    let database = Database::connect_with_pool_size(&settings.database_url, settings.database_pool_size)
        .map_err(|err| err.to_string())?;
    Ok((settings, database))
}

#[derive(Debug, Parser)]
#[command(version, about = "A Stellar anchor built on the anchor-* crates")]
struct Cli {
    /// A TOML file of settings (environment variables and `.env` take precedence).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the public and internal listeners (the default command).
    Serve {
        /// Apply pending migrations before serving (always done in LOCAL_MODE).
        #[arg(long)]
        migrate: bool,
    },
    /// Create or upgrade the database schema; safe to run again.
    Migrate,
    /// Key management.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Print a fresh SIGNING_SEED, SERVER_JWT_KEY and ADMIN_API_KEY.
    Generate,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate the configuration and print it, secrets redacted.
    Check,
}

/// Parses the process's arguments and runs the command.
pub fn run(anchor: impl Anchor) -> ExitCode {
    run_from(anchor, std::env::args_os())
}

/// Runs the command given by `args` (the first item is the program name).
pub fn run_from(anchor: impl Anchor, args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let extensions = anchor.commands();
    let mut command = Cli::command();
    for extension in &extensions {
        command = command.subcommand(extension.command());
    }
    let parsed = command.try_get_matches_from(args).map(|matches| {
        let cli = Cli::from_arg_matches(&matches);
        (matches, cli)
    });
    let (matches, cli) = match parsed {
        Ok(parsed) => parsed,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    init_logging();
    let config = matches.get_one::<PathBuf>("config").cloned();
    if let Some((name, sub_matches)) = matches.subcommand() {
        if let Some(extension) = extensions.iter().find(|ext| ext.command().get_name() == name) {
            if let Err(code) = before_configuration(&anchor, config.as_deref()) {
                return code;
            }
            return match extension.run(sub_matches, config.as_deref()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("error: {message}");
                    ExitCode::from(1)
                }
            };
        }
    }
    let cli = match cli {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(2);
        }
    };
    let command = cli.command.unwrap_or(Command::Serve { migrate: false });
    if !matches!(command, Command::Keys { .. }) {
        if let Err(code) = before_configuration(&anchor, cli.config.as_deref()) {
            return code;
        }
    }
    let result = match command {
        Command::Keys { command: KeysCommand::Generate } => keys_generate(),
        Command::Config { command: ConfigCommand::Check } => config_check(&anchor, cli.config),
        Command::Migrate => migrate(&anchor, cli.config),
        Command::Serve { migrate } => serve(anchor, cli.config, migrate),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::from(failure.exit_code)
        }
    }
}

/// [`Anchor::before_configuration`], its error printed as the exit code 1.
fn before_configuration(anchor: &impl Anchor, config_file: Option<&std::path::Path>) -> Result<(), ExitCode> {
    anchor.before_configuration(config_file).map_err(|message| {
        eprintln!("error: {message}");
        ExitCode::from(1)
    })
}

struct Failure {
    message: String,
    exit_code: u8,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message.trim_end())
    }
}

impl From<ConfigError> for Failure {
    fn from(err: ConfigError) -> Self {
        Failure { message: err.to_string(), exit_code: 2 }
    }
}

fn failure(message: impl std::fmt::Display) -> Failure {
    Failure { message: format!("error: {message}"), exit_code: 1 }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

fn keys_generate() -> Result<(), Failure> {
    let key = SigningKey::generate().map_err(failure)?;
    let jwt = generate_jwt_key().map_err(failure)?;
    let admin = generate_jwt_key().map_err(failure)?;
    println!("# SIGNING_KEY (public, published in stellar.toml): {}", key.public_key());
    println!("SIGNING_SEED={}", key.seed().expose());
    println!("SERVER_JWT_KEY={}", jwt.expose());
    println!("ADMIN_API_KEY={}", admin.expose());
    Ok(())
}

/// Everything `serve` needs, validated; each stage reports all of its problems. The schema is
/// migrated first when asked or in `LOCAL_MODE`; otherwise it must already be up to date, because
/// integrations may read their tables while being built.
fn prepare(
    anchor: &dyn Anchor,
    config: Option<PathBuf>,
    migrate_first: bool,
) -> Result<(AnchorApp, Settings), Failure> {
    let settings = Settings::load(config.as_deref())?;
    let database = Database::connect_with_pool_size(&settings.database_url, settings.database_pool_size)
        .map_err(failure)?;
    if migrate_first || settings.local_mode {
        let applied = database.migrate(&anchor.migrations()).map_err(failure)?;
        if !applied.is_empty() {
            tracing::info!(count = applied.len(), "applied database migrations");
        }
    } else if !database.is_migrated().map_err(failure)? {
        return Err(failure(format!(
            "the database {} is not migrated; run the `migrate` command (or `serve --migrate`)",
            settings.database_url
        )));
    }
    let integrations = anchor.integrations(&settings, &database)?;
    let registered = register_integrations(&settings, integrations)?;
    let app = AnchorApp::builder(settings.clone(), database, registered).modules(anchor.modules()).build()?;
    Ok((app, settings))
}

fn config_check(anchor: &dyn Anchor, config: Option<PathBuf>) -> Result<(), Failure> {
    let (app, settings) = prepare(anchor, config, false)?;
    println!("configuration is valid; effective settings:");
    for (name, value) in settings.redacted() {
        println!("{name}={value}");
    }
    let seps: Vec<String> = app.active_seps().iter().map(|sep| sep.name()).collect();
    println!("# mounted: {}", seps.join(", "));
    Ok(())
}

fn migrate(anchor: &dyn Anchor, config: Option<PathBuf>) -> Result<(), Failure> {
    let settings = Settings::load(config.as_deref())?;
    let database = Database::connect_with_pool_size(&settings.database_url, settings.database_pool_size)
        .map_err(failure)?;
    let applied = database.migrate(&anchor.migrations()).map_err(failure)?;
    if applied.is_empty() {
        println!("database {} is up to date", settings.database_url);
    } else {
        println!(
            "applied {} migration(s) to {}: {}",
            applied.len(),
            settings.database_url,
            applied.join(", ")
        );
    }
    Ok(())
}

fn serve(anchor: impl Anchor, config: Option<PathBuf>, migrate_first: bool) -> Result<(), Failure> {
    let (app, settings) = prepare(&anchor, config, migrate_first)?;
    let anchor = Arc::new(anchor);

    if settings.local_mode {
        tracing::warn!(
            "LOCAL_MODE is on: http URLs and private addresses are allowed; never use it in production"
        );
    }
    println!("serving {} on {}:", settings.host_url, settings.bind_address);
    println!("  {}/.well-known/stellar.toml", settings.host_url);
    println!("  {}/health", settings.host_url);
    println!("internal API on http://{}", settings.internal_bind_address);
    if let Err(problem) = app.context().integrations().screening_registry().readiness() {
        // Said at start-up and on every `/health`: a newcomer must not believe they are screened.
        println!("WARNING: {problem}");
        tracing::warn!(problem = %problem, "screening is not ready");
    }

    let mut background = app.background_tasks();
    background.extend(anchor.background_tasks());
    let blocking_threads = blocking_threads_per_worker(app.context().database().max_connections());
    let public_app = app.clone();
    let public_anchor = anchor.clone();
    let internal_app = app;
    let internal_anchor = anchor;
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        let public = HttpServer::new(move || {
            let app = public_app.clone();
            let anchor = public_anchor.clone();
            App::new()
                .wrap_fn(crate::http::log_request)
                .configure(|cfg| app.configure(cfg))
                .configure(|cfg| anchor.routes(cfg))
                .default_service(web::to(crate::http::not_found))
        })
        .worker_max_blocking_threads(blocking_threads)
        .bind(settings.bind_address)
        .map_err(|err| failure(format!("cannot listen on BIND_ADDRESS {}: {err}", settings.bind_address)))?
        .run();
        let internal = HttpServer::new(move || {
            let app = internal_app.clone();
            let anchor = internal_anchor.clone();
            App::new()
                .wrap_fn(crate::http::log_request)
                .configure(|cfg| app.configure_internal(cfg))
                .configure(|cfg| anchor.internal_routes(cfg, app.context()))
                .default_service(web::to(crate::http::not_found))
        })
        .workers(1)
        .worker_max_blocking_threads(blocking_threads)
        .bind(settings.internal_bind_address)
        .map_err(|err| {
            failure(format!(
                "cannot listen on INTERNAL_BIND_ADDRESS {}: {err}",
                settings.internal_bind_address
            ))
        })?
        .run();
        for task in background {
            actix_web::rt::spawn(task);
        }
        let (public, internal) = futures_util::future::join(public, internal).await;
        public.and(internal).map_err(failure)
    })
}

/// The fewest threads of each worker's blocking pool.
pub const MIN_BLOCKING_THREADS_PER_WORKER: usize = 16;

/// Threads of each listener worker's blocking pool (database work, screening): as many as the
/// database pool has connections, and at least [`MIN_BLOCKING_THREADS_PER_WORKER`]. More would
/// only wait for a connection or a core, and actix's default (512 divided among the workers)
/// lets a burst of requests start a thread each, whose memory the process keeps afterwards (the
/// soak of 2026-12-08: 81 → 185 threads and +14 MiB in one burst). Further work waits in the
/// pool's queue, which costs no thread.
pub fn blocking_threads_per_worker(max_connections: u32) -> usize {
    usize::try_from(max_connections).unwrap_or(usize::MAX).max(MIN_BLOCKING_THREADS_PER_WORKER)
}

#[cfg(test)]
mod tests;
