//! IO: client attribution. Reads `SIGNING_KEY` from `https://<client_domain>/.well-known/stellar.toml`
//! through core's [`StellarTomlFetcher`]: a timeout (`SEP10_CLIENT_ATTRIBUTION_REQUEST_TIMEOUT`),
//! a 100 KiB size cap, no redirects, a cache with a TTL, and outside `LOCAL_MODE` https only, no
//! IP literals and no connection to loopback, private, link-local or otherwise non-public
//! addresses (checked on every resolved address, so DNS cannot point it inward). In `LOCAL_MODE`
//! (development) it fetches over plain http and accepts `host:port`, as django-polaris does.
//!
//! This module adds SEP-10's own rule (the domain is a Manage Data value, so at most 64 bytes)
//! and maps failures to [`Error`]: a bad domain or an unusable file is a 400.

use std::time::Duration;

use anchor_core::remote_toml::{self, RemoteTomlError, StellarTomlFetcher};

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

/// Fetches and caches client domains' `SIGNING_KEY`s (one per worker).
#[derive(Debug)]
pub struct ClientDomains {
    fetcher: StellarTomlFetcher,
}

impl ClientDomains {
    /// A fetcher with `timeout` per request.
    pub fn new(local_mode: bool, timeout: Duration) -> Result<Self, String> {
        Ok(ClientDomains { fetcher: StellarTomlFetcher::new(local_mode, timeout)? })
    }

    /// The `SIGNING_KEY` of `domain` (already normalised), from the cache or the network.
    pub async fn signing_key(&self, domain: &str) -> Result<[u8; 32], Error> {
        self.fetcher.signing_key(domain).await.map_err(|err| match err {
            RemoteTomlError::InvalidDomain(_) => Error::InvalidClientDomain,
            other => Error::ClientDomainToml(other.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

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
