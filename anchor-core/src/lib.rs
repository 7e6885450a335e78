//! The core of the anchor framework: what every SEP module and every anchor binary shares.
//!
//! An anchor (a bank, remittance firm or wallet) builds its service from:
//!
//! - [`Settings`]: configuration read from the environment, `.env` or a TOML file, validated once
//!   at start-up; every problem is reported at once ([`ConfigError`]).
//! - [`Integrations`] and [`register_integrations`]: the anchor's business logic behind traits
//!   ([`CustomerIntegration`], [`SanctionsIntegration`], [`ScreeningRegistry`]) that mention no
//!   actix or diesel type.
//! - [`AnchorApp`]: mounts the SEP modules listed in `ACTIVE_SEPS` (each SEP crate exports a
//!   [`SepModule`]) into the anchor's own actix-web `App` with `App::configure`.
//! - [`Database`]: diesel over SQLite (default), PostgreSQL or MySQL/MariaDB, chosen by
//!   `DATABASE_URL` and cargo features, with embedded migrations.
//! - [`Sep10Token`]: the extractor every authenticated SEP endpoint takes.
//! - [`SepError`]: one error type, one mapping to HTTP status and `{"error": "…"}`.
//! - [`cli::run`]: `serve`, `migrate`, `keys generate`, `config check` for any anchor binary.
//! - [`net`]: the one outbound HTTP client (public addresses only for URLs from outside, IP
//!   literals included, outside `LOCAL_MODE`; no redirects off https; bounded answers).
//! - [`ratelimit`]: rate limits per client address on the unauthenticated routes (429 with
//!   `Retry-After`), one limiter per family of routes, bounded memory.
//! - [`Metrics`]: the app's Prometheus registry (HTTP requests per SEP and status, and any series
//!   another crate registers), served at `GET /metrics` on the internal listener.
//!
//! It serves SEP-1 (`stellar.toml`), `/health` and `/metrics` itself. It does not implement
//! SEP-10, SEP-12 or SEP-3 (the `anchor-sep*` crates do) nor sanctions screening (`anchor-aml`),
//! and it depends on none of them.
//!
//! # Cargo features
//!
//! | feature | default | what |
//! |---|---|---|
//! | `sqlite` | yes | SQLite backend, bundled (no system library) |
//! | `postgres` | no | PostgreSQL backend (needs libpq) |
//! | `mysql` | no | MySQL/MariaDB backend (needs libmysqlclient or libmariadb) |

mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod hex;
pub mod http;
pub mod integrations;
pub mod keys;
pub mod metrics;
pub mod net;
pub mod ratelimit;
pub mod remote_toml;
mod sensitive;
mod sep1;
#[cfg(feature = "testing")]
pub mod testing;

pub use app::{AnchorApp, AnchorAppBuilder, AnchorContext, SepModule};
pub use auth::Sep10Token;
pub use config::{ConfigError, ConfigProblem, SepId, Settings};
pub use db::Database;
pub use http::SepError;
pub use integrations::{
    register_integrations, CustomerIntegration, IntegrationError, Integrations, RegisteredIntegrations,
    SanctionsIntegration, ScreeningRegistry,
};
pub use metrics::Metrics;
pub use sensitive::Sensitive;
pub use sep1::MAX_STELLAR_TOML_BYTES;

/// Re-exported so anchors and SEP crates use the same versions as the framework.
pub use actix_web;
pub use async_trait::async_trait;
