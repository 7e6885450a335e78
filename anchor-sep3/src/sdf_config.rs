//! Reads the SDF compliance server's `config_compliance.toml` (`external_port`,
//! `internal_port`, `needs_auth`, `network_passphrase`, `[database]`, `[keys]`, `[callbacks]`,
//! `[tls]`, `[tx_status_auth]`) and turns it into our settings (as environment pairs for
//! `Settings::from_sources`), the [`SdfCallbacks`] integrations and the [`Sep3`] module value.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::callbacks::{CallbackUrls, SdfCallbacks};
use crate::Sep3;

/// The file's keys.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SdfComplianceConfig {
    /// Port of the public `AUTH_SERVER`.
    pub external_port: u16,
    /// Port of the internal API.
    pub internal_port: u16,
    /// Sent as `need_info`.
    #[serde(default)]
    pub needs_auth: bool,
    /// The network passphrase.
    pub network_passphrase: String,
    /// `[database]`.
    pub database: SdfDatabase,
    /// `[keys]`.
    pub keys: SdfKeys,
    /// `[callbacks]`.
    #[serde(default)]
    pub callbacks: SdfCallbackUrls,
    /// `[tls]`.
    #[serde(default)]
    pub tls: Option<SdfTls>,
    /// `[tx_status_auth]`.
    #[serde(default)]
    pub tx_status_auth: Option<SdfTxStatusAuth>,
    /// Log level (accepted, unused: logging is configured with `RUST_LOG`).
    #[serde(default)]
    pub log_level: Option<String>,
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SdfDatabase {
    /// `postgres` or `mysql`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A PostgreSQL URL, or a Go MySQL DSN (`user:password@tcp(host:port)/db`).
    pub url: String,
}

/// `[keys]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SdfKeys {
    /// The seed whose public key is the toml's `SIGNING_KEY`.
    pub signing_seed: String,
    /// Unused by the old server too.
    #[serde(default)]
    pub encryption_key: Option<String>,
}

/// `[callbacks]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SdfCallbackUrls {
    /// Sanctions callback.
    #[serde(default)]
    pub sanctions: Option<String>,
    /// Consent callback.
    #[serde(default)]
    pub ask_user: Option<String>,
    /// KYC callback.
    #[serde(default)]
    pub fetch_info: Option<String>,
    /// Payment status callback (`GET <url>?id=` for SEP-4 `tx_status`).
    #[serde(default)]
    pub tx_status: Option<String>,
}

/// `[tls]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SdfTls {
    /// Certificate file.
    pub certificate_file: String,
    /// Key file.
    pub private_key_file: String,
}

/// `[tx_status_auth]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SdfTxStatusAuth {
    /// Basic-auth user.
    pub username: String,
    /// Basic-auth password.
    pub password: String,
}

/// The file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("config_compliance.toml: {0}")]
pub struct SdfConfigError(String);

impl SdfComplianceConfig {
    /// Parses the file's text.
    pub fn parse(text: &str) -> Result<Self, SdfConfigError> {
        toml::from_str(text).map_err(|err| SdfConfigError(err.to_string()))
    }

    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<Self, SdfConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| SdfConfigError(format!("cannot read {}: {err}", path.display())))?;
        Self::parse(&text)
    }

    /// `DATABASE_URL` from `[database]`.
    pub fn database_url(&self) -> Result<String, SdfConfigError> {
        match self.database.kind.as_str() {
            "postgres" => Ok(self.database.url.clone()),
            "mysql" => mysql_dsn_to_url(&self.database.url),
            other => Err(SdfConfigError(format!("database.type `{other}` is not postgres or mysql"))),
        }
    }

    /// Our settings as environment pairs: `ACTIVE_SEPS`, `BIND_ADDRESS` (all interfaces, as the
    /// old server listened), `INTERNAL_BIND_ADDRESS` (loopback), `SIGNING_SEED`,
    /// `STELLAR_NETWORK_PASSPHRASE`, `DATABASE_URL`. `HOST_URL`, `SERVER_JWT_KEY` and
    /// `ADMIN_API_KEY` have no counterpart in the file and must still be set.
    pub fn to_environment(&self) -> Result<Vec<(String, String)>, SdfConfigError> {
        if self.tls.is_some() {
            return Err(SdfConfigError(
                "[tls] is not supported: terminate TLS in a reverse proxy in front of the external port"
                    .into(),
            ));
        }
        if self.tx_status_auth.as_ref().is_some_and(|auth| auth.password.len() < 10) {
            return Err(SdfConfigError("tx_status_auth.password must be at least 10 characters".into()));
        }
        let pairs = [
            ("ACTIVE_SEPS", "sep-1,sep-3".to_string()),
            ("BIND_ADDRESS", format!("0.0.0.0:{}", self.external_port)),
            ("INTERNAL_BIND_ADDRESS", format!("127.0.0.1:{}", self.internal_port)),
            ("SIGNING_SEED", self.keys.signing_seed.clone()),
            ("STELLAR_NETWORK_PASSPHRASE", self.network_passphrase.clone()),
            ("DATABASE_URL", self.database_url()?),
        ];
        Ok(pairs.into_iter().map(|(key, value)| (key.to_string(), value)).collect())
    }

    /// The callbacks as integrations.
    pub fn callbacks(&self, timeout: Duration) -> Result<SdfCallbacks, SdfConfigError> {
        SdfCallbacks::new(
            CallbackUrls {
                sanctions: self.callbacks.sanctions.clone(),
                ask_user: self.callbacks.ask_user.clone(),
                fetch_info: self.callbacks.fetch_info.clone(),
                tx_status: self.callbacks.tx_status.clone(),
            },
            timeout,
        )
        .map_err(SdfConfigError)
    }

    /// The module value (`needs_auth` → `need_info`, `[tx_status_auth]` → HTTP Basic on
    /// `tx_status`).
    pub fn module(&self) -> Sep3 {
        let module = Sep3::new().need_info(self.needs_auth);
        match &self.tx_status_auth {
            Some(auth) => module.tx_status_auth(auth.username.clone(), auth.password.clone()),
            None => module,
        }
    }
}

/// `user:password@tcp(host:port)/db?params` → `mysql://user:password@host:port/db`.
fn mysql_dsn_to_url(dsn: &str) -> Result<String, SdfConfigError> {
    if dsn.starts_with("mysql://") {
        return Ok(dsn.to_string());
    }
    let invalid =
        || SdfConfigError("database.url is not a Go MySQL DSN user:password@tcp(host:port)/db".into());
    let (credentials, rest) = dsn.rsplit_once('@').ok_or_else(invalid)?;
    let rest = rest.strip_prefix("tcp(").ok_or_else(invalid)?;
    let (address, rest) = rest.split_once(')').ok_or_else(invalid)?;
    let database = rest.strip_prefix('/').ok_or_else(invalid)?;
    let database = database.split('?').next().unwrap_or_default();
    if database.is_empty() || address.is_empty() {
        return Err(invalid());
    }
    Ok(format!("mysql://{credentials}@{address}/{database}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

    use super::*;

    const EXAMPLE: &str = r#"
external_port = 8003
internal_port = 8004
needs_auth = true
network_passphrase = "Test SDF Network ; September 2015"

[database]
type = "mysql"
url = "root:secret@tcp(127.0.0.1:3306)/compliance?parseTime=true"

[keys]
signing_seed = "SBEL63EBNQUTQ2ZTGHGLLXEMP6THALGS3VQ2N4RVHUWIBB5KGDJWVF3R"
encryption_key = "SBEL63EBNQUTQ2ZTGHGLLXEMP6THALGS3VQ2N4RVHUWIBB5KGDJWVF3R"

[callbacks]
sanctions = "http://localhost:8005/compliance/sanctions"
ask_user = "http://localhost:8005/compliance/ask_user"
fetch_info = "http://localhost:8005/compliance/fetch_info"
"#;

    #[test]
    fn the_reference_example_becomes_our_settings() {
        let config = SdfComplianceConfig::parse(EXAMPLE).unwrap();
        assert!(config.needs_auth);
        let env = config.to_environment().unwrap();
        let get = |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(get("BIND_ADDRESS"), "0.0.0.0:8003");
        assert_eq!(get("INTERNAL_BIND_ADDRESS"), "127.0.0.1:8004");
        assert_eq!(get("DATABASE_URL"), "mysql://root:secret@127.0.0.1:3306/compliance");
        assert_eq!(get("ACTIVE_SEPS"), "sep-1,sep-3");
        config.callbacks(Duration::from_secs(5)).unwrap();
    }

    #[test]
    fn unknown_keys_tls_and_short_passwords_are_refused() {
        assert!(SdfComplianceConfig::parse(&format!("{EXAMPLE}\nunknown = 1\n")).is_err());
        let tls = format!("{EXAMPLE}\n[tls]\ncertificate_file = \"a\"\nprivate_key_file = \"b\"\n");
        assert!(SdfComplianceConfig::parse(&tls).unwrap().to_environment().is_err());
        let auth = format!("{EXAMPLE}\n[tx_status_auth]\nusername = \"u\"\npassword = \"short\"\n");
        assert!(SdfComplianceConfig::parse(&auth).unwrap().to_environment().is_err());
        assert!(mysql_dsn_to_url("nonsense").is_err());
    }

    #[test]
    fn tx_status_auth_and_the_tx_status_callback_carry_over() {
        let text =
            format!("{EXAMPLE}\n[tx_status_auth]\nusername = \"reader\"\npassword = \"long enough!\"\n");
        let config = SdfComplianceConfig::parse(&text).unwrap();
        let settings = anchor_core::testing::settings(&[]);
        let (user, password) = config.module().config(&settings).tx_status_auth.unwrap();
        assert_eq!((user.as_str(), password.expose().as_str()), ("reader", "long enough!"));
        let plain = SdfComplianceConfig::parse(EXAMPLE).unwrap();
        assert!(plain.module().config(&settings).tx_status_auth.is_none());
    }
}
