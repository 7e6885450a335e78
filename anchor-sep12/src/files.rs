//! Uploaded files: content checks (the declared media type must be allowed by
//! `SEP12_FILE_CONTENT_TYPES` and the bytes must match it) and new file ids, which are pure; and
//! the background task that deletes unreferenced files once `SEP12_FILE_EXPIRY` has passed
//! ([`run_purge`], started through `SepModule::background_tasks`).

use std::time::Duration;

use actix_web::web;
use anchor_core::AnchorContext;

use crate::{store, Error};

/// How often the purge runs: a quarter of the expiry, at least every second and at most every
/// minute, so an expired file outlives its `expires_at` by about a minute at most.
fn purge_interval(expiry: Duration) -> Duration {
    (expiry / 4).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

/// Deletes expired unreferenced files (and idle quota rows) for as long as the server runs.
/// Several instances may run it on one database: each deletion is conditional on the row still
/// being unreferenced and expired.
pub(crate) async fn run_purge(ctx: web::Data<AnchorContext>) {
    let expiry = ctx.settings().sep12.file_expiry;
    let idle = i64::try_from(expiry.as_secs()).unwrap_or(i64::MAX);
    let mut ticks = tokio::time::interval(purge_interval(expiry));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = chrono::Utc::now().timestamp();
        match ctx
            .database()
            .run(move |conn| store::purge_expired_files(conn, now, now.saturating_sub(idle)))
            .await
        {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "SEP-12: expired unreferenced files deleted"),
            Err(err) => tracing::warn!(error = %err, "SEP-12: the purge of expired files failed"),
        }
    }
}

/// Media types whose bytes we can recognise, with their signatures.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        Some("video/mp4")
    } else {
        None
    }
}

const RECOGNISED: &[&str] =
    &["image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "video/mp4"];

/// Checks a file named `name` and returns its media type. A part declared
/// `application/octet-stream` (or without a type) takes the type its bytes show.
pub(crate) fn check(name: &str, declared: &str, bytes: &[u8], allowed: &[String]) -> Result<String, Error> {
    if bytes.is_empty() {
        return Err(Error::bad_request(format!("file `{name}` is empty")));
    }
    let declared = declared.to_ascii_lowercase();
    let media_type = if declared.is_empty() || declared == "application/octet-stream" {
        match sniff(bytes) {
            Some(sniffed) => sniffed.to_string(),
            None => declared,
        }
    } else {
        declared
    };
    if !allowed.contains(&media_type) {
        return Err(Error::bad_request(format!(
            "file `{name}` has content type `{media_type}`; accepted: {}",
            allowed.join(", ")
        )));
    }
    if RECOGNISED.contains(&media_type.as_str()) && sniff(bytes) != Some(media_type.as_str()) {
        return Err(Error::bad_request(format!(
            "file `{name}` is declared `{media_type}` but its content is not"
        )));
    }
    Ok(media_type)
}

/// A new random file id.
pub(crate) fn new_file_id() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|err| Error::Internal(format!("random number generator failed: {err}")))?;
    Ok(format!("file_{}", anchor_core::hex::encode(&bytes)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]
    use super::*;

    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0];

    fn allowed() -> Vec<String> {
        vec!["image/png".into(), "image/jpeg".into(), "text/plain".into()]
    }

    #[test]
    fn the_purge_runs_often_enough_for_the_expiry() {
        assert_eq!(purge_interval(Duration::from_secs(1)), Duration::from_secs(1));
        assert_eq!(purge_interval(Duration::from_secs(20)), Duration::from_secs(5));
        assert_eq!(purge_interval(Duration::from_secs(86_400)), Duration::from_secs(60));
    }

    #[test]
    fn content_must_be_allowed_and_match() {
        assert_eq!(check("f", "image/png", PNG, &allowed()).unwrap(), "image/png");
        assert_eq!(check("f", "application/octet-stream", PNG, &allowed()).unwrap(), "image/png");
        assert!(check("f", "image/jpeg", PNG, &allowed()).is_err());
        assert!(check("f", "application/pdf", b"%PDF-1.4", &allowed()).is_err());
        assert!(check("f", "image/png", b"", &allowed()).is_err());
        assert_eq!(check("f", "text/plain", b"hi", &allowed()).unwrap(), "text/plain");
        assert_ne!(new_file_id().unwrap(), new_file_id().unwrap());
    }
}
