//! IO with other institutions: their stellar.toml (`SIGNING_KEY`, `AUTH_SERVER`,
//! `FEDERATION_SERVER`) through core's fetcher, SEP-2 federation look-ups and the SEP-3 POST, all
//! with core's outbound client (`anchor_core::net`: timeout, no redirects, https and public
//! addresses outside `LOCAL_MODE`, IP-literal hosts included) and a size cap on every answer.
//! A URL from a remote stellar.toml that names a non-public address is refused when it is read,
//! before any connection.

use anchor_core::net::{self, BodyError, OutboundError, Trust};
use serde::Deserialize;

use crate::error::Error;
use crate::payload::FederationAddress;
use crate::Sep3State;

/// Largest answer read from a federation server or an `AUTH_SERVER`.
const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// Reads a response body up to [`MAX_ANSWER_BYTES`].
pub(crate) async fn read_capped(response: reqwest::Response, what: &str) -> Result<Vec<u8>, Error> {
    net::read_capped(response, MAX_ANSWER_BYTES).await.map_err(|err| match err {
        BodyError::TooLarge(_) => {
            Error::Upstream(format!("{what}: the answer is larger than {MAX_ANSWER_BYTES} bytes"))
        }
        _ => Error::Upstream(format!("{what}: the answer could not be read")),
    })
}

/// A URL-valued key of `domain`'s stellar.toml.
async fn toml_url(state: &Sep3State, domain: &str, key: &str, field: &str) -> Result<String, Error> {
    let table = state.fetcher.fetch(domain).await.map_err(|err| Error::field(field, err.to_string()))?;
    let url = table
        .get(key)
        .and_then(|value| value.as_str())
        .ok_or_else(|| Error::field(field, format!("{domain}'s stellar.toml has no {key}")))?;
    checked_url(domain, key, field, url, state.local_mode)
}

/// `url`, the value of `key` in `domain`'s stellar.toml, if core's outbound rule for remote URLs
/// allows it: https, and outside `LOCAL_MODE` no IP literal that is not public.
fn checked_url(domain: &str, key: &str, field: &str, url: &str, local_mode: bool) -> Result<String, Error> {
    let parsed =
        url::Url::parse(url).map_err(|_| Error::field(field, format!("{domain}'s {key} is not a URL")))?;
    net::check_url(&parsed, local_mode, Trust::Remote).map_err(|err| match err {
        OutboundError::NotHttps => Error::field(field, format!("{domain}'s {key} must be an https URL")),
        other => Error::field(field, format!("{domain}'s {key} {other}")),
    })?;
    Ok(parsed.to_string())
}

/// The receiving institution's `AUTH_SERVER`.
pub(crate) async fn auth_server(state: &Sep3State, domain: &str) -> Result<String, Error> {
    toml_url(state, domain, "AUTH_SERVER", "destination").await
}

/// A SEP-2 record as other institutions answer it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct FederationAnswer {
    pub account_id: String,
    #[serde(default)]
    pub memo_type: Option<String>,
    #[serde(default)]
    pub memo: Option<serde_json::Value>,
}

/// Resolves `address` through its domain's `FEDERATION_SERVER`.
pub(crate) async fn resolve(
    state: &Sep3State,
    address: &FederationAddress,
    full: &str,
) -> Result<FederationAnswer, Error> {
    let server = toml_url(state, &address.domain, "FEDERATION_SERVER", "destination").await?;
    let mut url = url::Url::parse(&server)
        .map_err(|_| Error::field("destination", "FEDERATION_SERVER is not a URL"))?;
    url.query_pairs_mut().append_pair("q", full).append_pair("type", "name");
    let what = "destination federation server";
    let unreachable =
        || Error::field("destination", format!("cannot resolve destination: {what} unreachable"));
    let request = state.client.get(url.as_str()).map_err(|_| unreachable())?;
    let response = request.send().await.map_err(|_| unreachable())?;
    let status = response.status();
    let body = read_capped(response, what).await?;
    if status == reqwest::StatusCode::NOT_FOUND {
        return Err(Error::field("destination", "cannot resolve destination: no such federation address"));
    }
    if !status.is_success() {
        return Err(Error::field(
            "destination",
            format!("cannot resolve destination: {what} answered HTTP {}", status.as_u16()),
        ));
    }
    let answer: FederationAnswer = serde_json::from_slice(&body).map_err(|_| {
        Error::field("destination", format!("cannot resolve destination: {what} answered invalid JSON"))
    })?;
    if stellar_strkey::ed25519::PublicKey::from_string(&answer.account_id).is_err() {
        return Err(Error::field(
            "destination",
            "cannot resolve destination: account_id is not a G… account",
        ));
    }
    Ok(answer)
}

/// The receiver's answer to a SEP-3 request.
#[derive(Debug, Clone)]
pub(crate) struct AuthAnswer {
    pub http_status: u16,
    pub body: serde_json::Value,
}

/// POSTs `data` + `sig` to `auth_server`. 200, 202 and 403 are answers; anything else is an
/// upstream failure.
pub(crate) async fn post_auth(
    state: &Sep3State,
    auth_server: &str,
    data: &str,
    sig: &str,
) -> Result<AuthAnswer, Error> {
    let what = "the receiving AUTH_SERVER";
    let request =
        state.client.post(auth_server).map_err(|err| Error::Upstream(format!("{what}'s URL {err}")))?;
    let response = request.form(&[("data", data), ("sig", sig)]).send().await.map_err(|err| {
        Error::Upstream(if err.is_timeout() {
            format!("{what} timed out")
        } else {
            format!("{what} is unreachable")
        })
    })?;
    let status = response.status().as_u16();
    let body = read_capped(response, what).await?;
    let body: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| Error::Upstream(format!("{what} answered HTTP {status} without a JSON body")))?;
    match status {
        200 | 202 | 403 => Ok(AuthAnswer { http_status: status, body }),
        _ => {
            let message = body.get("error").and_then(|e| e.as_str()).unwrap_or("no message");
            let message: String = message.chars().take(300).collect();
            Err(Error::Upstream(format!("{what} answered HTTP {status}: {message}")))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]
    use super::*;

    #[test]
    fn a_remote_toml_pointing_auth_server_inward_is_refused_before_connecting() {
        for inward in [
            "https://10.0.0.5/auth",
            "https://[fd00::1]/auth",
            "https://127.0.0.1:8443/",
            "https://[::1]:8443/",
            "https://[::ffff:192.168.0.1]/",
            "https://[::a00:5]/",
            "https://[64:ff9b::a00:5]/",
            "https://169.254.169.254/",
        ] {
            let err = checked_url("evil.example", "AUTH_SERVER", "destination", inward, false).unwrap_err();
            assert!(err.to_string().contains("non-public address"), "{inward}: {err}");
            assert!(
                checked_url("evil.example", "AUTH_SERVER", "destination", inward, true).is_ok(),
                "{inward}"
            );
        }
        let err =
            checked_url("evil.example", "FEDERATION_SERVER", "destination", "http://evil.example/", false)
                .unwrap_err();
        assert!(err.to_string().contains("must be an https URL"), "{err}");
        assert!(checked_url(
            "bank.example",
            "AUTH_SERVER",
            "destination",
            "https://bank.example/auth",
            false
        )
        .is_ok());
    }
}
