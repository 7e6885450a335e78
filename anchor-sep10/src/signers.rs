//! IO: the client account's signers and medium threshold, read from Horizon
//! (`GET {HORIZON_URI}/accounts/{G…}`) with reqwest and bounded timeouts.
//!
//! A 404 means the account does not exist ([`AccountState::Missing`]); any other failure
//! (unreachable, timeout, 5xx, a body that is not an account) is [`Error::HorizonUnavailable`]
//! (503), never a 500 and never a guess.

use std::time::Duration;

use serde::Deserialize;

use crate::challenge::{AccountSigners, AccountState};
use crate::Error;

/// Largest account document read from Horizon (an account with every data entry is well under).
pub const MAX_ACCOUNT_BYTES: usize = 1024 * 1024;
/// Connect timeout for Horizon.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Whole-request timeout for Horizon.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A Horizon client for account lookups.
#[derive(Debug, Clone)]
pub struct Horizon {
    client: reqwest::Client,
    /// `HORIZON_URI`, parsed once; each lookup appends `accounts/<G…>` to its path.
    base: reqwest::Url,
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
    /// A client for `base` (`HORIZON_URI`, with or without a trailing slash).
    pub fn new(base: &str) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::limited(3))
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|err| format!("cannot build the Horizon HTTP client: {err}"))?;
        let base = reqwest::Url::parse(base).map_err(|err| format!("`{base}` is not a URL: {err}"))?;
        if base.cannot_be_a_base() {
            return Err(format!("`{base}` cannot have a path appended"));
        }
        Ok(Horizon { client, base })
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

    /// Looks `account` (`G…`) up.
    pub async fn account(&self, account: &str) -> Result<AccountState, Error> {
        let url = self.account_url(account)?;
        let mut response = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|err| Error::HorizonUnavailable(describe(&err)))?;
        match response.status() {
            reqwest::StatusCode::NOT_FOUND => return Ok(AccountState::Missing),
            status if status.is_success() => {}
            status => return Err(Error::HorizonUnavailable(format!("HTTP {status}"))),
        }
        let mut body = Vec::new();
        while let Some(chunk) =
            response.chunk().await.map_err(|err| Error::HorizonUnavailable(describe(&err)))?
        {
            if body.len() + chunk.len() > MAX_ACCOUNT_BYTES {
                return Err(Error::HorizonUnavailable("account document too large".into()));
            }
            body.extend_from_slice(&chunk);
        }
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

fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "timed out".into()
    } else if err.is_connect() {
        "connection failed".into()
    } else {
        // Without the URL: it holds the client's account.
        err.without_url_ref().to_string()
    }
}

trait WithoutUrlRef {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrlRef for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let text = self.to_string();
        match self.url() {
            Some(url) => text.replace(url.as_str(), "<horizon>"),
            None => text,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

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
