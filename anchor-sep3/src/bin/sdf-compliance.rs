//! `sdf-compliance`: a drop-in replacement for the SDF compliance server, configured by its
//! existing `config_compliance.toml`.
//!
//! Run with:
//!
//! ```text
//! HOST_URL=https://bank.example ADMIN_API_KEY=… SERVER_JWT_KEY=… \
//!   sdf-compliance --sdf-config config_compliance.toml \
//!                  --federation-server https://bank.example/federation  [serve|migrate|config check]
//! ```
//!
//! The file gives the ports, the network, the database, the signing seed, `needs_auth` and the
//! `sanctions`/`ask_user`/`fetch_info` callbacks (see `docs/sep-3.md`); environment variables
//! that are already set win over it. The federation server keeps running where it ran; its URL
//! is published as `FEDERATION_SERVER`. The internal API now needs `ADMIN_API_KEY`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anchor_core::cli::{run_from, Anchor};
use anchor_core::{ConfigError, Database, Integrations, SepModule, Settings};
use anchor_sep3::sdf_config::SdfComplianceConfig;

/// Timeout of each callback.
const CALLBACK_TIMEOUT: Duration = Duration::from_secs(10);

struct SdfCompliance {
    config: SdfComplianceConfig,
    federation_server: String,
}

impl Anchor for SdfCompliance {
    fn modules(&self) -> Vec<Arc<dyn SepModule>> {
        vec![Arc::new(self.config.module().external_federation_server(self.federation_server.clone()))]
    }

    fn integrations(&self, _settings: &Settings, _database: &Database) -> Result<Integrations, ConfigError> {
        let callbacks = self
            .config
            .callbacks(CALLBACK_TIMEOUT)
            .map_err(|err| ConfigError::single("config_compliance.toml", err.to_string()))?;
        Ok(Integrations::new().sanctions(callbacks.clone()).compliance(callbacks))
    }
}

/// Removes `--name value` or `--name=value` from `args`; returns the value.
fn take_flag(args: &mut Vec<OsString>, name: &str) -> Option<OsString> {
    let prefix = format!("{name}=");
    let position = args.iter().position(|arg| arg == name || arg.to_string_lossy().starts_with(&prefix))?;
    let arg = args.remove(position);
    if arg == name {
        (position < args.len()).then(|| args.remove(position))
    } else {
        Some(OsString::from(arg.to_string_lossy()[prefix.len()..].to_string()))
    }
}

fn main() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    let (Some(path), Some(federation_server)) =
        (take_flag(&mut args, "--sdf-config"), take_flag(&mut args, "--federation-server"))
    else {
        eprintln!(
            "usage: sdf-compliance --sdf-config <config_compliance.toml> --federation-server <url> [serve|migrate|config check]"
        );
        return ExitCode::from(2);
    };
    let config = match SdfComplianceConfig::load(&PathBuf::from(path)) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let environment = match config.to_environment() {
        Ok(environment) => environment,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    // Before any thread exists: the file's values, unless the environment already sets them.
    for (key, value) in environment {
        if std::env::var_os(&key).is_none() {
            std::env::set_var(key, value);
        }
    }
    let federation_server = federation_server.to_string_lossy().into_owned();
    run_from(SdfCompliance { config, federation_server }, args)
}
