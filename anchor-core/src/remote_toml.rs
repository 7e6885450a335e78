//! Fetching another institution's `stellar.toml` without letting it be turned against us, through
//! core's one outbound client ([`crate::net`]): https only (plain http only in `LOCAL_MODE`), a
//! timeout, a 100 KiB cap, no redirects, no connection to loopback, private, link-local or
//! otherwise non-public addresses outside `LOCAL_MODE` (checked on every resolved address, so DNS
//! cannot point it inward), and a TTL cache that a caller can invalidate after a signature
//! failure (key rotation).
//!
//! Used by SEP-10 client attribution, the SEP-3 sender lookup, and anything else that reads a
//! remote `SIGNING_KEY`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::net::{self, BodyError, OutboundBuilder, OutboundClient, Trust};
use crate::sep1::MAX_STELLAR_TOML_BYTES;

/// How long a fetched file is reused.
pub const CACHE_TTL: Duration = Duration::from_secs(300);
/// Most domains kept in the cache (cleared when full).
pub const CACHE_CAPACITY: usize = 1024;

/// Why a remote stellar.toml could not be used. Messages name the domain and the reason and are
/// safe to show to the client that named the domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteTomlError {
    /// The domain is not a valid DNS name (or `host:port` in `LOCAL_MODE`).
    #[error("`{0}` is not a valid domain")]
    InvalidDomain(String),
    /// The file could not be fetched or used.
    #[error("cannot use {domain}'s stellar.toml: {reason}")]
    Unusable {
        /// The domain.
        domain: String,
        /// What went wrong.
        reason: String,
    },
}

/// Validates and lower-cases a domain. Outside `LOCAL_MODE`: a DNS name of at least two labels
/// with an alphabetic top-level label, no port, no IP literal, at most 253 bytes. In `LOCAL_MODE`
/// `host:port` and single labels (`localhost`) are accepted too.
pub fn normalize_domain(domain: &str, local_mode: bool) -> Result<String, RemoteTomlError> {
    let invalid = || RemoteTomlError::InvalidDomain(domain.chars().take(80).collect());
    let lower = domain.trim().to_ascii_lowercase();
    if lower.is_empty() || lower.len() > 253 {
        return Err(invalid());
    }
    let host = match lower.rsplit_once(':') {
        Some((host, port)) if local_mode => {
            if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            host
        }
        Some(_) => return Err(invalid()),
        None => lower.as_str(),
    };
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !labels.iter().all(label_ok) {
        return Err(invalid());
    }
    if !local_mode {
        let tld = labels.last().copied().unwrap_or_default();
        if labels.len() < 2 || !tld.bytes().any(|b| b.is_ascii_lowercase()) {
            return Err(invalid());
        }
    }
    Ok(lower)
}

/// Whether the framework may contact `ip` outside `LOCAL_MODE` (defined in [`crate::net`]).
pub use crate::net::is_public;

/// Fetches and caches other institutions' stellar.toml files.
#[derive(Debug)]
pub struct StellarTomlFetcher {
    client: OutboundClient,
    local_mode: bool,
    cache: Mutex<HashMap<String, (Instant, Arc<toml::Table>)>>,
}

impl StellarTomlFetcher {
    /// A fetcher with `timeout` per request.
    pub fn new(local_mode: bool, timeout: Duration) -> Result<Self, String> {
        let client =
            OutboundBuilder::new(local_mode, Trust::Remote, timeout, "anchor-rs stellar.toml fetcher")
                .build()
                .map_err(|err| err.to_string())?;
        Ok(StellarTomlFetcher { client, local_mode, cache: Mutex::new(HashMap::new()) })
    }

    /// The parsed stellar.toml of `domain`, from the cache or the network.
    pub async fn fetch(&self, domain: &str) -> Result<Arc<toml::Table>, RemoteTomlError> {
        let domain = normalize_domain(domain, self.local_mode)?;
        if let Some(table) = self.cached(&domain) {
            return Ok(table);
        }
        let table = Arc::new(self.download(&domain).await?);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(domain, (Instant::now(), Arc::clone(&table)));
        }
        Ok(table)
    }

    /// The `SIGNING_KEY` of `domain` as raw ed25519 bytes.
    pub async fn signing_key(&self, domain: &str) -> Result<[u8; 32], RemoteTomlError> {
        let table = self.fetch(domain).await?;
        signing_key_of(&table)
            .map_err(|reason| RemoteTomlError::Unusable { domain: domain.to_string(), reason })
    }

    /// Forgets `domain`'s cached file, so the next call fetches it again (after a signature
    /// failure, in case the institution rotated its key).
    pub fn invalidate(&self, domain: &str) {
        if let (Ok(domain), Ok(mut cache)) = (normalize_domain(domain, self.local_mode), self.cache.lock()) {
            cache.remove(&domain);
        }
    }

    fn cached(&self, domain: &str) -> Option<Arc<toml::Table>> {
        let cache = self.cache.lock().ok()?;
        let (fetched, table) = cache.get(domain)?;
        (fetched.elapsed() < CACHE_TTL).then(|| Arc::clone(table))
    }

    async fn download(&self, domain: &str) -> Result<toml::Table, RemoteTomlError> {
        let fail = |reason: &str| RemoteTomlError::Unusable {
            domain: domain.to_string(),
            reason: reason.to_string(),
        };
        let scheme = if self.local_mode { "http" } else { "https" };
        let url = format!("{scheme}://{domain}/.well-known/stellar.toml");
        let request = self.client.get(&url).map_err(|err| fail(&format!("its URL {err}")))?;
        let response = request.send().await.map_err(|err| {
            if err.is_timeout() {
                fail("the request timed out")
            } else {
                fail("the request failed (unreachable, or not a public address)")
            }
        })?;
        if !response.status().is_success() {
            return Err(fail(&format!("HTTP {}", response.status().as_u16())));
        }
        let body = net::read_capped(response, MAX_STELLAR_TOML_BYTES).await.map_err(|err| match err {
            BodyError::TooLarge(_) => fail("the file is larger than 100 KiB"),
            BodyError::TimedOut => fail("the request timed out"),
            _ => fail("the body could not be read"),
        })?;
        let text = std::str::from_utf8(&body).map_err(|_| fail("the file is not UTF-8"))?;
        text.parse::<toml::Table>().map_err(|_| fail("the file is not valid TOML"))
    }
}

/// `SIGNING_KEY` of a parsed stellar.toml, as raw ed25519 bytes.
pub fn signing_key_of(table: &toml::Table) -> Result<[u8; 32], String> {
    let key = table
        .get("SIGNING_KEY")
        .ok_or_else(|| "it has no SIGNING_KEY".to_string())?
        .as_str()
        .ok_or_else(|| "SIGNING_KEY is not a string".to_string())?;
    stellar_strkey::ed25519::PublicKey::from_string(key)
        .map(|key| key.0)
        .map_err(|_| "SIGNING_KEY is not a valid G… public key".to_string())
}

#[cfg(test)]
mod tests;
