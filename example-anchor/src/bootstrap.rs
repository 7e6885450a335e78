//! First-run set-up: when nothing is configured (no `.env`, no `SIGNING_SEED` in the environment,
//! no `--config`), write a development `.env` with fresh keys, `LOCAL_MODE` and an SQLite file
//! under `./data/`, and say loudly that these keys are for development only. It runs from
//! `Anchor::before_configuration`, so only before a command that loads the configuration: help,
//! `--version`, a mistyped command line and `keys generate` write nothing.

use std::io::Write as _;
use std::path::Path;

use anchor_core::keys::{generate_jwt_key, SigningKey};

const ENV_FILE: &str = ".env";

/// Writes the development `.env` unless something is configured: a `--config` file
/// (`config_file`), an existing `.env`, or `SIGNING_SEED` in the environment.
pub(crate) fn development_env_if_unconfigured(config_file: Option<&Path>) -> std::io::Result<()> {
    if config_file.is_some() || Path::new(ENV_FILE).exists() || std::env::var_os("SIGNING_SEED").is_some() {
        return Ok(());
    }
    let key = SigningKey::generate().map_err(std::io::Error::other)?;
    let jwt_key = generate_jwt_key().map_err(std::io::Error::other)?;
    let admin_key = generate_jwt_key().map_err(std::io::Error::other)?;
    let contents = format!(
        "# Written by example-anchor on first run. DEVELOPMENT KEYS: never use them for real money.\n\
         # Every setting is documented in example-anchor/.env.example and docs/configuration.md.\n\
         ACTIVE_SEPS=sep-1,sep-10,sep-12,sep-3\n\
         HOST_URL=http://localhost:8000\n\
         LOCAL_MODE=true\n\
         DATABASE_URL=sqlite://data/example-anchor.sqlite3\n\
         SIGNING_SEED={}\n\
         SERVER_JWT_KEY={}\n\
         ADMIN_API_KEY={}\n",
        key.seed().expose(),
        jwt_key.expose(),
        admin_key.expose(),
    );
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(ENV_FILE)?.write_all(contents.as_bytes())?;
    eprintln!(
        "\n  *** example-anchor: no configuration found, so a DEVELOPMENT configuration was written to ./{ENV_FILE}\n  \
         *** with freshly generated keys (SIGNING_KEY {}).\n  \
         *** These keys and LOCAL_MODE are for development only: never use them in production.\n",
        key.public_key()
    );
    Ok(())
}
