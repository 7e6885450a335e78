//! IO: the client account's signers and medium threshold, read from Horizon
//! (`GET {HORIZON_URI}/accounts/{G…}`) through core's outbound client
//! ([`anchor_core::net::OutboundClient`], [`Trust::Configured`]: `HORIZON_URI` is the operator's
//! own setting, so it may be a private or loopback address), with bounded timeouts, no
//! redirects and a capped answer.
//!
//! A 404 means the account does not exist ([`AccountState::Missing`]); any other failure
//! (unreachable, timeout, 3xx, 5xx, a body that is not an account) is
//! [`Error::HorizonUnavailable`] (503), never a 500 and never a guess.
//!
//! **Cache.** A lookup is kept for `SEP10_HORIZON_CACHE_TTL` (at most
//! `SEP10_HORIZON_CACHE_ENTRIES` accounts per worker), and [`Horizon::verify`] uses it only to
//! *refuse*: signatures that do not meet the cached signers and threshold are refused without a
//! lookup, so a valid challenge with bad signatures sent again and again costs one lookup per
//! TTL. Signatures that do meet them are checked again against a fresh lookup before a token is
//! issued, so a signer removed from the account can never authenticate from the cache. The one
//! staleness left: a signer added (or a threshold lowered) less than a TTL after a refused
//! attempt is refused until the TTL passes.
//!
//! **Concurrency.** At most `SEP10_MAX_CONCURRENT_LOOKUPS` lookups per worker are in flight; a
//! request that cannot start one within [`REQUEST_TIMEOUT`] gets 503.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anchor_core::net::{self, OutboundBuilder, OutboundClient, Trust};
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::challenge::{AccountSigners, AccountState};
use crate::Error;

/// Largest account document read from Horizon (an account with every data entry is well under).
pub const MAX_ACCOUNT_BYTES: usize = 1024 * 1024;
/// Connect timeout for Horizon.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Whole-request timeout for Horizon.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How the account cache and the lookups are bounded (from `Sep10Settings`).
#[derive(Debug, Clone, Copy)]
pub struct HorizonLimits {
    /// How long a lookup may refuse signatures without a new one (zero: no cache).
    pub cache_ttl: Duration,
    /// Most accounts kept.
    pub cache_entries: usize,
}

/// A Horizon client for account lookups, with its refusal cache. One per worker.
#[derive(Debug)]
pub struct Horizon {
    client: OutboundClient,
    /// `HORIZON_URI`, parsed once; each lookup appends `accounts/<G…>` to its path.
    base: reqwest::Url,
    limits: HorizonLimits,
    cache: Mutex<HashMap<String, (Instant, AccountState)>>,
    /// Lookups in flight (shared with the worker's client-domain fetches).
    in_flight: Arc<Semaphore>,
}

#[derive(Deserialize)]
struct AccountJson {
    thresholds: ThresholdsJson,
    signers: Vec<SignerJson>,
}

#[derive(Deserialize)]
struct ThresholdsJson {
    med_threshold: u32,
}

#[derive(Deserialize)]
struct SignerJson {
    key: String,
    weight: u32,
    #[serde(rename = "type")]
    kind: String,
}

impl Horizon {
    /// A client for `base` (`HORIZON_URI`, with or without a trailing slash) without a cache and
    /// with one lookup at a time.
    pub fn new(base: &str) -> Result<Self, String> {
        Horizon::with_limits(
            base,
            HorizonLimits { cache_ttl: Duration::ZERO, cache_entries: 1 },
            Arc::new(Semaphore::new(1)),
        )
    }

    /// A client for `base` with `limits`, whose lookups take a permit of `in_flight` each.
    pub fn with_limits(base: &str, limits: HorizonLimits, in_flight: Arc<Semaphore>) -> Result<Self, String> {
        // Configured: the operator's own setting, local in development and in the benchmarks.
        // The `local_mode` flag does not matter for configured URLs.
        let client =
            OutboundBuilder::new(false, Trust::Configured, REQUEST_TIMEOUT, "anchor-rs sep-10 horizon")
                .connect_timeout(CONNECT_TIMEOUT)
                .build()
                .map_err(|err| format!("cannot build the Horizon HTTP client: {err}"))?;
        let base = reqwest::Url::parse(base).map_err(|err| format!("`{base}` is not a URL: {err}"))?;
        if base.cannot_be_a_base() {
            return Err(format!("`{base}` cannot have a path appended"));
        }
        client.check(&base).map_err(|err| format!("`{base}` {err}"))?;
        Ok(Horizon { client, base, limits, cache: Mutex::new(HashMap::new()), in_flight })
    }

    /// `{HORIZON_URI}/accounts/{account}`, without parsing a URL again.
    fn account_url(&self, account: &str) -> Result<reqwest::Url, Error> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| Error::HorizonUnavailable("HORIZON_URI cannot have a path appended".into()))?
            .pop_if_empty()
            .push("accounts")
            .push(account);
        Ok(url)
    }

    /// Checks signatures with `check` against `account`'s signers: a refusal may come from a
    /// cached lookup younger than the TTL; an acceptance always comes from a fresh lookup (see
    /// the module documentation).
    pub async fn verify(
        &self,
        account: &str,
        check: impl Fn(&AccountState) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if let Some(cached) = self.cached(account) {
            check(&cached)?;
        }
        let fresh = self.account(account).await?;
        let verified = check(&fresh);
        self.remember(account, fresh);
        verified
    }

    fn cached(&self, account: &str) -> Option<AccountState> {
        if self.limits.cache_ttl.is_zero() {
            return None;
        }
        let cache = self.cache.lock().ok()?;
        let (at, state) = cache.get(account)?;
        (at.elapsed() < self.limits.cache_ttl).then(|| state.clone())
    }

    fn remember(&self, account: &str, state: AccountState) {
        if self.limits.cache_ttl.is_zero() {
            return;
        }
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= self.limits.cache_entries {
                // Expired entries first; if every entry is young, start over (bounded memory).
                let ttl = self.limits.cache_ttl;
                cache.retain(|_, (at, _)| at.elapsed() < ttl);
                if cache.len() >= self.limits.cache_entries {
                    cache.clear();
                }
            }
            cache.insert(account.to_string(), (Instant::now(), state));
        }
    }

    /// Looks `account` (`G…`) up on Horizon (never from the cache).
    pub async fn account(&self, account: &str) -> Result<AccountState, Error> {
        let url = self.account_url(account)?;
        let _permit = tokio::time::timeout(REQUEST_TIMEOUT, self.in_flight.acquire())
            .await
            .map_err(|_| Error::HorizonUnavailable("too many lookups in flight".into()))?
            .map_err(|_| Error::HorizonUnavailable("lookups are closed".into()))?;
        let response = self
            .client
            .get(url.as_str())
            .map_err(|err| Error::HorizonUnavailable(format!("HORIZON_URI {err}")))?
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            // `net::describe` never includes the URL, which holds the client's account.
            .map_err(|err| Error::HorizonUnavailable(net::describe(&err)))?;
        match response.status() {
            reqwest::StatusCode::NOT_FOUND => return Ok(AccountState::Missing),
            status if status.is_success() => {}
            status => return Err(Error::HorizonUnavailable(format!("HTTP {status}"))),
        }
        let body = net::read_capped(response, MAX_ACCOUNT_BYTES)
            .await
            .map_err(|err| Error::HorizonUnavailable(format!("account document: {err}")))?;
        parse_account(&body)
    }
}

/// Parses Horizon's account JSON into the ed25519 signers and the medium threshold.
pub fn parse_account(body: &[u8]) -> Result<AccountState, Error> {
    let json: AccountJson = serde_json::from_slice(body)
        .map_err(|err| Error::HorizonUnavailable(format!("unexpected account document: {err}")))?;
    let mut signers = Vec::with_capacity(json.signers.len());
    for signer in json.signers {
        if signer.kind != "ed25519_public_key" {
            continue;
        }
        let key = stellar_strkey::ed25519::PublicKey::from_string(&signer.key)
            .map_err(|_| Error::HorizonUnavailable("a signer key is not a G… account".into()))?;
        signers.push((key.0, signer.weight));
    }
    Ok(AccountState::Exists(AccountSigners { signers, medium_threshold: json.thresholds.med_threshold }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

    use super::*;

    #[test]
    fn only_ed25519_signers_are_kept() {
        let body = br#"{"id":"x","thresholds":{"low_threshold":1,"med_threshold":2,"high_threshold":3},
            "signers":[{"key":"GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB","weight":1,"type":"ed25519_public_key"},
                       {"key":"XABC","weight":5,"type":"sha256_hash"}]}"#;
        let AccountState::Exists(account) = parse_account(body).unwrap() else { panic!("exists") };
        assert_eq!(account.medium_threshold, 2);
        assert_eq!(account.signers.len(), 1);
        assert_eq!(account.signers[0].1, 1);
    }

    #[test]
    fn the_account_url_appends_to_horizon_uri_with_or_without_a_slash() {
        let account = "GBYJZW5XFAI6XV73H5SAIUYK6XZI4CGGVBUBO3ANA2SV7KKDAXTV6AEB";
        for (base, expected) in [
            ("https://horizon.example", "https://horizon.example/accounts/"),
            ("https://horizon.example/", "https://horizon.example/accounts/"),
            ("http://127.0.0.1:8000/horizon", "http://127.0.0.1:8000/horizon/accounts/"),
            ("http://127.0.0.1:8000/horizon/", "http://127.0.0.1:8000/horizon/accounts/"),
        ] {
            let url = Horizon::new(base).unwrap().account_url(account).unwrap();
            assert_eq!(url.as_str(), format!("{expected}{account}"));
        }
        assert!(Horizon::new("not a url").is_err());
    }

    #[test]
    fn nonsense_is_unavailable_not_a_guess() {
        for body in
            [&b"<html>"[..], br#"{"signers":[]}"#, br#"{"thresholds":{"med_threshold":-1},"signers":[]}"#]
        {
            assert!(matches!(parse_account(body), Err(Error::HorizonUnavailable(_))));
        }
    }
}
