//! IO: client attribution. Reads `SIGNING_KEY` from `https://<client_domain>/.well-known/stellar.toml`
//! through core's [`StellarTomlFetcher`]: a timeout (`SEP10_CLIENT_ATTRIBUTION_REQUEST_TIMEOUT`),
//! a 100 KiB size cap, no redirects, a cache with a TTL, and outside `LOCAL_MODE` https only, no
//! IP literals and no connection to loopback, private, link-local or otherwise non-public
//! addresses (checked on every resolved address, so DNS cannot point it inward). In `LOCAL_MODE`
//! (development) it fetches over plain http and accepts `host:port`, as django-polaris does.
//!
//! This module adds SEP-10's own rule (the domain is a Manage Data value, so at most 64 bytes)
//! and maps failures to [`Error`]: a bad domain or an unusable file is a 400.
//!
//! **Negative cache.** A domain whose file could not be fetched or used is refused with the same
//! answer for `SEP10_CLIENT_DOMAIN_FAILURE_TTL` without being fetched again (per worker, at most
//! [`FAILURE_CACHE_ENTRIES`] domains), so repeating `GET /auth` with an unknown or failing
//! `client_domain` costs one fetch per TTL. A wallet that fixes its file waits that long.
//! Fetches take a permit of the worker's lookup semaphore (`SEP10_MAX_CONCURRENT_LOOKUPS`),
//! shared with the Horizon lookups.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anchor_core::remote_toml::{self, RemoteTomlError, StellarTomlFetcher};
use tokio::sync::Semaphore;

use crate::Error;

/// Longest client domain: it is the value of the `client_domain` Manage Data operation.
pub const MAX_CLIENT_DOMAIN_BYTES: usize = 64;

/// Validates and normalises (lower-cases) a `client_domain` parameter.
pub fn normalize_domain(domain: &str, local_mode: bool) -> Result<String, Error> {
    let domain = remote_toml::normalize_domain(domain, local_mode).map_err(|_| Error::InvalidClientDomain)?;
    if domain.len() > MAX_CLIENT_DOMAIN_BYTES {
        return Err(Error::InvalidClientDomain);
    }
    Ok(domain)
}

/// Most failing domains remembered per worker (the oldest half is dropped when full).
pub const FAILURE_CACHE_ENTRIES: usize = 10_000;

/// Fetches and caches client domains' `SIGNING_KEY`s, and remembers failures (one per worker).
#[derive(Debug)]
pub struct ClientDomains {
    fetcher: StellarTomlFetcher,
    timeout: Duration,
    failure_ttl: Duration,
    /// Domain → when its fetch failed and the message it was refused with.
    failures: Mutex<HashMap<String, (Instant, String)>>,
    in_flight: Arc<Semaphore>,
}

impl ClientDomains {
    /// A fetcher with `timeout` per request, no negative cache and one fetch at a time.
    pub fn new(local_mode: bool, timeout: Duration) -> Result<Self, String> {
        ClientDomains::with_limits(local_mode, timeout, Duration::ZERO, Arc::new(Semaphore::new(1)))
    }

    /// A fetcher with `timeout` per request that refuses a failed domain for `failure_ttl`
    /// without fetching it again, each fetch taking a permit of `in_flight`.
    pub fn with_limits(
        local_mode: bool,
        timeout: Duration,
        failure_ttl: Duration,
        in_flight: Arc<Semaphore>,
    ) -> Result<Self, String> {
        Ok(ClientDomains {
            fetcher: StellarTomlFetcher::new(local_mode, timeout)?,
            timeout,
            failure_ttl,
            failures: Mutex::new(HashMap::new()),
            in_flight,
        })
    }

    /// The `SIGNING_KEY` of `domain` (already normalised), from the cache or the network; a
    /// domain that failed less than the failure TTL ago gets the same refusal again.
    pub async fn signing_key(&self, domain: &str) -> Result<[u8; 32], Error> {
        if let Some(refusal) = self.recent_failure(domain) {
            return Err(Error::ClientDomainToml(refusal));
        }
        let fetched = {
            let _permit = tokio::time::timeout(self.timeout, self.in_flight.acquire())
                .await
                .map_err(|_| {
                    Error::ClientDomainToml("too many client domains are being fetched; try again".into())
                })?
                .map_err(|_| Error::ClientDomainToml("fetches are closed".into()))?;
            self.fetcher.signing_key(domain).await
        };
        fetched.map_err(|err| match err {
            RemoteTomlError::InvalidDomain(_) => Error::InvalidClientDomain,
            other => {
                let refusal = other.to_string();
                self.remember_failure(domain, &refusal);
                Error::ClientDomainToml(refusal)
            }
        })
    }

    fn recent_failure(&self, domain: &str) -> Option<String> {
        if self.failure_ttl.is_zero() {
            return None;
        }
        let failures = self.failures.lock().ok()?;
        let (at, refusal) = failures.get(domain)?;
        (at.elapsed() < self.failure_ttl).then(|| refusal.clone())
    }

    fn remember_failure(&self, domain: &str, refusal: &str) {
        if self.failure_ttl.is_zero() {
            return;
        }
        if let Ok(mut failures) = self.failures.lock() {
            if failures.len() >= FAILURE_CACHE_ENTRIES {
                let ttl = self.failure_ttl;
                failures.retain(|_, (at, _)| at.elapsed() < ttl);
                if failures.len() >= FAILURE_CACHE_ENTRIES {
                    failures.clear();
                }
            }
            failures.insert(domain.to_string(), (Instant::now(), refusal.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

    use super::*;

    #[test]
    fn domains_must_fit_a_data_value() {
        assert_eq!(normalize_domain("Wallet.Example", false).unwrap(), "wallet.example");
        let long = format!("{}.example", "a.".repeat(30));
        assert!(long.len() > 64);
        assert_eq!(normalize_domain(&long, false), Err(Error::InvalidClientDomain));
        for bad in ["", "localhost", "127.0.0.1", "wallet.example:443", "https://wallet.example", "[::1]"] {
            assert_eq!(normalize_domain(bad, false), Err(Error::InvalidClientDomain), "{bad}");
        }
        assert_eq!(normalize_domain("127.0.0.1:8080", true).unwrap(), "127.0.0.1:8080");
    }

    #[tokio::test]
    async fn loopback_is_refused_outside_local_mode() {
        let domains = ClientDomains::new(false, Duration::from_secs(2)).unwrap();
        // `localhost.localdomain`-style names resolve to loopback; the resolver must refuse
        // them (or the name does not resolve): either way no connection and a 400.
        for domain in ["localhost.localdomain", "ip6-localhost.localdomain"] {
            let err = domains.signing_key(domain).await.unwrap_err();
            assert!(matches!(err, Error::ClientDomainToml(_)), "{err:?}");
        }
    }
}
