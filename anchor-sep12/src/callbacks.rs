//! Status callbacks: checking a callback URL (https outside `LOCAL_MODE`, no loopback, private,
//! link-local or otherwise non-public address, IP literals included; checked again at every
//! delivery by core's outbound client, which connects only to the addresses it checked, so DNS
//! cannot rebind it), signing (`Signature: t=<unix>, s=<base64 ed25519 of "t.host.body">` with
//! `SIGNING_SEED`, at delivery time), and durable delivery through an outbox.
//!
//! A callback fires only when a customer's status differs from the last one recorded for its
//! registration (`store::advance_status`); a final status ends the registration. The callback is
//! queued in `sep12_callback_outbox` in the same transaction (`outbox.rs`), and the module's
//! background worker ([`run_outbox`], started through `SepModule::background_tasks`) sends it:
//! up to `SEP12_CALLBACK_MAX_ATTEMPTS` attempts with exponential backoff (1, 2, 4, … s, at most
//! 5 min), given up earlier when a failed row is older than 24 h; rows left by a killed or
//! restarted process are sent by the next one. Logs name the outbox row, never the URL, the
//! customer or the body.

use std::time::Duration;

use anchor_core::actix_web::web;
use anchor_core::integrations::customer::CustomerStatus;
use anchor_core::keys::SigningKey;
use anchor_core::net::{self, OutboundBuilder, OutboundClient, OutboundError, Trust};
use anchor_core::AnchorContext;
use base64::Engine as _;
use futures_util::StreamExt as _;
use url::Url;

use crate::wire::CustomerBody;
use crate::{outbox, store, Error};

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
    net::check_resolved(&parsed, local_mode, Trust::Remote).await.map_err(|err| match err {
        OutboundError::NotPublic => bad("points to a private, loopback or otherwise non-public address"),
        OutboundError::Unresolvable => Error::bad_request("`url`: its host could not be resolved"),
        other => bad(&other.to_string()),
    })?;
    Ok(parsed)
}

/// Whether an address is reachable on the public internet: the framework's one definition.
pub use anchor_core::net::is_public;

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
/// is queued in the callback outbox in the transaction that records the new status, and the
/// delivery worker is woken. Returns whether a callback was queued. Once this returns `Ok(true)`
/// the callback survives a crash or restart: the next process delivers it.
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
    let body = serde_json::to_string(&CustomerBody::from(status))
        .map_err(|err| Error::Internal(format!("callback body: {err}")))?;
    let now = chrono::Utc::now().timestamp();
    let queued = ctx
        .database()
        .run(move |conn| {
            let change =
                store::StatusChange { id: &id, customer_type: &watched, status: name, is_final, body: &body };
            store::advance_status(conn, &change, now)
        })
        .await?;
    if queued {
        WAKE.notify_waiters();
    }
    Ok(queued)
}

/// Wakes the delivery workers of this process when a callback is queued, so the first attempt
/// does not wait for the next poll.
static WAKE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// How often the worker looks for due rows when nothing wakes it (retries, rows queued by
/// another instance, rows left by a previous process).
const POLL: Duration = Duration::from_secs(1);
/// Rows read per round.
const BATCH: i64 = 100;
/// Attempts sent at the same time by one worker.
const CONCURRENCY: usize = 8;
/// A row older than this after a failed attempt is given up, whatever its attempt count.
const MAX_AGE_SECONDS: i64 = 24 * 3_600;
/// Delivered, failed and superseded rows are kept this long, then purged.
const RETENTION_SECONDS: i64 = 7 * 24 * 3_600;
/// How often the worker purges old rows.
const PURGE_EVERY: Duration = Duration::from_secs(3_600);

/// The delivery worker: started by [`crate::Sep12`] as a background task of the server. Delivers
/// due outbox rows (at once when woken, otherwise every [`POLL`]), purges finished rows older than
/// 7 days, and never stops: a failed round is logged and the next one tries again.
pub(crate) async fn run_outbox(ctx: web::Data<AnchorContext>) {
    let worker = Worker::new(&ctx);
    let mut last_purge: Option<std::time::Instant> = None;
    loop {
        if last_purge.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
            let before = chrono::Utc::now().timestamp().saturating_sub(RETENTION_SECONDS);
            match ctx.database().run(move |conn| outbox::purge(conn, before)).await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "SEP-12 callback outbox: finished rows purged"),
                Err(err) => tracing::warn!(error = %err, "SEP-12 callback outbox: purge failed"),
            }
            last_purge = Some(std::time::Instant::now());
        }
        let woken = WAKE.notified();
        if let Err(err) = worker.deliver_due(&ctx).await {
            tracing::error!(error = %err, "SEP-12 callback outbox: delivery round failed");
        }
        tokio::select! {
            () = woken => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// What one worker needs to send rows.
struct Worker {
    key: SigningKey,
    /// Core's outbound client for remote URLs: one for every attempt, so connections are reused.
    client: Result<OutboundClient, OutboundError>,
    timeout: Duration,
    max_attempts: i64,
}

impl Worker {
    fn new(ctx: &AnchorContext) -> Self {
        let settings = ctx.settings();
        Worker {
            key: settings.signing_key.clone(),
            client: OutboundBuilder::new(
                settings.local_mode,
                Trust::Remote,
                settings.sep12.callback_timeout,
                "anchor-rs sep-12 callbacks",
            )
            .build(),
            timeout: settings.sep12.callback_timeout,
            max_attempts: i64::from(settings.sep12.callback_max_attempts.max(1)),
        }
    }

    /// How long a lease lasts: longer than one attempt (bounded by the timeout) and its record.
    fn lease_seconds(&self) -> i64 {
        i64::try_from(self.timeout.as_secs()).unwrap_or(3_600).saturating_mul(2).saturating_add(10)
    }

    /// Sends every row due now, [`CONCURRENCY`] at a time. `Err` only when the database fails
    /// before any row is claimed; failures of single rows are logged.
    async fn deliver_due(&self, ctx: &AnchorContext) -> Result<(), Error> {
        let mut after = 0_i64;
        loop {
            let now = chrono::Utc::now().timestamp();
            let due = ctx.database().run(move |conn| outbox::due(conn, now, after, BATCH)).await?;
            let Some(&last) = due.last() else {
                return Ok(());
            };
            after = last;
            let count = due.len();
            futures_util::stream::iter(due)
                .for_each_concurrent(CONCURRENCY, |id| async move {
                    if let Err(err) = self.deliver_one(ctx, id).await {
                        tracing::error!(row = id, error = %err, "SEP-12 callback outbox: a row could not be processed");
                    }
                })
                .await;
            if i64::try_from(count).unwrap_or(i64::MAX) < BATCH {
                return Ok(());
            }
        }
    }

    /// Leases row `id`, sends it once and records the outcome under the lease.
    async fn deliver_one(&self, ctx: &AnchorContext, id: i64) -> Result<(), Error> {
        let owner = lease_token()?;
        let now = chrono::Utc::now().timestamp();
        let lease_until = now.saturating_add(self.lease_seconds());
        let claim_owner = owner.clone();
        let Some(row) =
            ctx.database().run(move |conn| outbox::claim(conn, id, &claim_owner, now, lease_until)).await?
        else {
            return Ok(());
        };
        let attempt = row.attempts.saturating_add(1);
        let result =
            match tokio::time::timeout(self.timeout, self.attempt(&row.url, row.body.as_bytes())).await {
                Ok(result) => result,
                Err(_) => Err(format!("timed out after {} s", self.timeout.as_secs())),
            };
        let now = chrono::Utc::now().timestamp();
        let kept = match result {
            Ok(()) => {
                tracing::info!(row = id, attempt, "SEP-12 status callback delivered");
                ctx.database().run(move |conn| outbox::record_delivered(conn, id, &owner, now)).await?
            }
            Err(problem) => {
                let too_old = now.saturating_sub(row.created_at) >= MAX_AGE_SECONDS;
                let retry = if attempt >= self.max_attempts || too_old {
                    tracing::error!(
                        row = id,
                        attempts = attempt,
                        %problem,
                        "SEP-12 status callback abandoned: every attempt failed or it grew too old"
                    );
                    outbox::Retry::GiveUp
                } else {
                    tracing::warn!(row = id, attempt, %problem, "SEP-12 status callback not delivered; will retry");
                    outbox::Retry::At(now.saturating_add(backoff_seconds(attempt)))
                };
                ctx.database()
                    .run(move |conn| outbox::record_failure(conn, id, &owner, now, &problem, retry))
                    .await?
            }
        };
        if !kept {
            tracing::warn!(row = id, "SEP-12 callback outbox: the lease expired during an attempt");
        }
        Ok(())
    }

    /// One signed POST through core's outbound client: the URL's address is checked again (an IP
    /// literal before connecting, a name at resolution, connecting only to the checked
    /// addresses), and redirects are not followed. The signature is made now, with a fresh `t`.
    async fn attempt(&self, url: &str, body: &[u8]) -> Result<(), String> {
        let client = self.client.as_ref().map_err(ToString::to_string)?;
        let parsed = Url::parse(url).map_err(|err| format!("bad URL: {err}"))?;
        let request = client.post(url).map_err(|err| format!("refused: the URL {err}"))?;
        let t = chrono::Utc::now().timestamp();
        let signature = signature_header(&self.key, t, &signing_host(&parsed), body);
        let response = request
            .header("Content-Type", "application/json")
            .header("Signature", &signature)
            .header("X-Stellar-Signature", &signature)
            .body(body.to_vec())
            .send()
            .await
            .map_err(|err| format!("request failed: {}", net::describe(&err)))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("receiver answered {}", response.status()))
        }
    }
}

/// The wait after failed attempt number `attempt` (1-based): 1, 2, 4, … s, at most 5 min.
fn backoff_seconds(attempt: i64) -> i64 {
    let exponent = u32::try_from(attempt.saturating_sub(1).clamp(0, 8)).unwrap_or(8);
    (1_i64 << exponent).min(300)
}

/// A random lease token.
fn lease_token() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|err| Error::Internal(format!("random number generator failed: {err}")))?;
    Ok(anchor_core::hex::encode(&bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]
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
        assert!(check_url("https://[::ffff:127.0.0.1]/cb", false).await.is_err());
        assert!(check_url("https://[::7f00:1]/cb", false).await.is_err());
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
