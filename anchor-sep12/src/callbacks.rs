//! Status callbacks: checking a callback URL (https outside `LOCAL_MODE`, no loopback, private,
//! link-local or otherwise non-public address, checked again at every delivery so DNS cannot
//! rebind it), signing (`Signature: t=<unix>, s=<base64 ed25519 of "t.host.body">` with
//! `SIGNING_SEED`), and delivery from a background task with exponential backoff.
//!
//! A callback fires only when a customer's status differs from the last one recorded for its
//! registration (`store::advance_status`); a final status ends the registration.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anchor_core::integrations::customer::CustomerStatus;
use anchor_core::keys::SigningKey;
use anchor_core::AnchorContext;
use base64::Engine as _;
use url::Url;

use crate::wire::CustomerBody;
use crate::{store, Error};

/// Longest callback URL accepted.
pub const MAX_URL_LENGTH: usize = 2048;

/// Checks a callback URL; returns it parsed.
pub async fn check_url(url: &str, local_mode: bool) -> Result<Url, Error> {
    let bad = |why: &str| Error::bad_request(format!("`url` {why}"));
    if url.len() > MAX_URL_LENGTH {
        return Err(bad("is too long"));
    }
    let parsed = Url::parse(url).map_err(|_| bad("is not an absolute URL"))?;
    match parsed.scheme() {
        "https" => {}
        "http" if local_mode => {}
        _ => return Err(bad("must use https")),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("must not contain credentials"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if !local_mode {
        resolve_public(&parsed).await?;
    }
    Ok(parsed)
}

/// Resolves the URL's host and refuses it unless every address is public.
async fn resolve_public(url: &Url) -> Result<Vec<SocketAddr>, Error> {
    let host = url
        .host_str()
        .ok_or_else(|| Error::bad_request("`url` has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|_| Error::bad_request("`url`: its host could not be resolved"))?
            .collect(),
    };
    if addresses.is_empty() {
        return Err(Error::bad_request("`url`: its host could not be resolved"));
    }
    if addresses.iter().any(|address| !is_public(address.ip())) {
        return Err(Error::bad_request(
            "`url` points to a private, loopback or otherwise non-public address",
        ));
    }
    Ok(addresses)
}

/// Whether an address is reachable on the public internet: the framework's one definition.
pub use anchor_core::remote_toml::is_public;

/// The `host` part of the signed payload: the URL's host, with `:port` when it is not the
/// scheme's default.
pub fn signing_host(url: &Url) -> String {
    anchor_core::config::url_authority(url).unwrap_or_default()
}

/// The `Signature` header value for `body` sent to `host` at unix time `t`.
pub fn signature_header(key: &SigningKey, t: i64, host: &str, body: &[u8]) -> String {
    let mut payload = format!("{t}.{host}.").into_bytes();
    payload.extend_from_slice(body);
    let signature = key.sign(&payload);
    format!("t={t}, s={}", base64::engine::general_purpose::STANDARD.encode(signature))
}

/// Tells the framework a customer's status for `customer_type` (`None`: no `type`) may have
/// changed, for instance after a manual review. If the customer has a callback registration for
/// that type and `status` differs from the last status recorded for it, the `GET /customer` body
/// is POSTed to the registered URL from a background task. Returns whether a delivery was
/// scheduled. Call it from within the server's runtime.
pub async fn notify_status_change(
    ctx: &AnchorContext,
    customer_type: Option<&str>,
    status: &CustomerStatus,
) -> Result<bool, Error> {
    let Some(id) = status.id().map(|id| id.0.clone()) else {
        return Ok(false);
    };
    let name = status.name();
    let watched = customer_type.unwrap_or_default().to_string();
    let is_final = status.is_final();
    let now = chrono::Utc::now().timestamp();
    let url = ctx
        .database()
        .run(move |conn| store::advance_status(conn, &id, &watched, name, is_final, now))
        .await?;
    let Some(url) = url else {
        return Ok(false);
    };
    let body = serde_json::to_vec(&CustomerBody::from(status))
        .map_err(|err| Error::Internal(format!("callback body: {err}")))?;
    let delivery = Delivery {
        url,
        body,
        key: ctx.settings().signing_key.clone(),
        local_mode: ctx.settings().local_mode,
        timeout: ctx.settings().sep12.callback_timeout,
        max_attempts: ctx.settings().sep12.callback_max_attempts,
    };
    tokio::spawn(delivery.run());
    Ok(true)
}

struct Delivery {
    url: String,
    body: Vec<u8>,
    key: SigningKey,
    local_mode: bool,
    timeout: Duration,
    max_attempts: u32,
}

impl Delivery {
    async fn run(self) {
        for attempt in 1..=self.max_attempts {
            match self.attempt().await {
                Ok(()) => {
                    tracing::info!(attempt, "SEP-12 status callback delivered");
                    return;
                }
                Err(problem) => {
                    tracing::warn!(attempt, %problem, "SEP-12 status callback not delivered");
                }
            }
            if attempt < self.max_attempts {
                let backoff = Duration::from_secs(1u64 << (attempt - 1).min(8)).min(Duration::from_secs(300));
                tokio::time::sleep(backoff).await;
            }
        }
        tracing::error!(
            attempts = self.max_attempts,
            "SEP-12 status callback abandoned after every attempt failed"
        );
    }

    /// One signed POST; the address is checked again and pinned, and redirects are not followed.
    async fn attempt(&self) -> Result<(), String> {
        let url = Url::parse(&self.url).map_err(|err| format!("bad URL: {err}"))?;
        let host = url.host_str().unwrap_or_default().to_string();
        let mut builder =
            reqwest::Client::builder().timeout(self.timeout).redirect(reqwest::redirect::Policy::none());
        if !self.local_mode {
            let addresses = resolve_public(&url).await.map_err(|err| err.to_string())?;
            // Pinned to the checked addresses; no proxy from the environment may resolve the
            // name again around the check.
            builder = builder.resolve_to_addrs(&host, &addresses).no_proxy();
        }
        let client = builder.build().map_err(|err| err.to_string())?;
        let t = chrono::Utc::now().timestamp();
        let signature = signature_header(&self.key, t, &signing_host(&url), &self.body);
        let response = client
            .post(url)
            .header("Content-Type", "application/json")
            .header("Signature", &signature)
            .header("X-Stellar-Signature", &signature)
            .body(self.body.clone())
            .send()
            .await
            .map_err(|err| format!("request failed: {}", err.without_url()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("receiver answered {}", response.status()))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn signature_matches_the_reference_vector() {
        let key = SigningKey::from_seed("SDWTLFPALQSP225BSMX7HPZ7ZEAYSUYNDLJ5QI3YGVBNRUIIELWH3XUV").unwrap();
        let body = br#"{"id":"d1ce2f48-3ff1-495d-9240-7a50d806cfed","status":"ACCEPTED"}"#;
        assert_eq!(
            signature_header(&key, 1_700_000_000, "wallet.example.com", body),
            "t=1700000000, s=NVlFuoA2RgGyYCD5sNN9YCT7e8nUVxCaeFrhkkeLVT/+2UZaK8OVaRx0aEgk7rFCdIh/nYZ1Qi3Lv8x+lPBnCA=="
        );
    }

    #[actix_web::test]
    async fn callback_urls_are_checked() {
        assert!(check_url("http://wallet.example/cb", false).await.is_err());
        assert!(check_url("https://127.0.0.1/cb", false).await.is_err());
        assert!(check_url("https://[::1]/cb", false).await.is_err());
        assert!(check_url("https://user:pw@8.8.8.8/cb", false).await.is_err());
        assert!(check_url("not a url", false).await.is_err());
        assert!(check_url("https://8.8.8.8/cb", false).await.is_ok());
        assert!(check_url("http://127.0.0.1:9/cb", true).await.is_ok());
        let url = Url::parse("https://wallet.example:8443/cb").unwrap();
        assert_eq!(signing_host(&url), "wallet.example:8443");
        let url = Url::parse("https://wallet.example:443/cb").unwrap();
        assert_eq!(signing_host(&url), "wallet.example");
    }
}
