//! Pure: turning the sanctions and consent outcomes into SEP-3 `tx_status`/`info_status`, the
//! response body and its HTTP status (the reference precedence: both ok → 200; any denied → 403;
//! any error → 400; any pending → 202 with the longest wait).

use std::time::Duration;

use anchor_core::integrations::compliance::ConsentOutcome;
use anchor_core::integrations::sanctions::ScreeningOutcome;
use anchor_core::IntegrationError;
use serde::Serialize;

/// One SEP-3 status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// `ok`.
    Ok,
    /// `pending`, with the seconds to wait.
    Pending(u64),
    /// `denied`.
    Denied,
    /// `error`, with a message for the sender.
    Error(String),
}

impl Status {
    /// The wire word.
    pub fn word(&self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Pending(_) => "pending",
            Status::Denied => "denied",
            Status::Error(_) => "error",
        }
    }
}

/// What to do when the sanctions integration could not screen (an `Err`): never a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreeningFailurePolicy {
    /// Answer `pending`; the sender asks again after this long.
    Pending(Duration),
    /// Answer `denied`.
    Deny,
}

impl Default for ScreeningFailurePolicy {
    fn default() -> Self {
        ScreeningFailurePolicy::Pending(Duration::from_secs(300))
    }
}

fn seconds(duration: Duration) -> u64 {
    duration.as_secs().max(1)
}

/// `tx_status` from the sanctions screening. A hit is `denied`; `Err(BadRequest)` (the SDF
/// callback's 400) is `error` with its message; any other `Err` follows `policy`, never `ok`.
pub fn tx_status(
    screening: &Result<ScreeningOutcome, IntegrationError>,
    policy: ScreeningFailurePolicy,
) -> Status {
    match screening {
        Ok(ScreeningOutcome::Clear) => Status::Ok,
        Ok(ScreeningOutcome::Pending { retry_after, .. }) => Status::Pending(seconds(*retry_after)),
        Ok(ScreeningOutcome::Denied { .. }) => Status::Denied,
        Err(IntegrationError::BadRequest(message)) => Status::Error(message.clone()),
        // A future outcome this version does not know, or a failure to screen: fail closed.
        Ok(_) | Err(_) => match policy {
            ScreeningFailurePolicy::Pending(wait) => Status::Pending(seconds(wait)),
            ScreeningFailurePolicy::Deny => Status::Denied,
        },
    }
}

/// `info_status` from the consent outcome.
pub fn info_status(consent: &ConsentOutcome) -> Status {
    match consent {
        ConsentOutcome::Granted => Status::Ok,
        ConsentOutcome::Pending { retry_after } => Status::Pending(seconds(*retry_after)),
        ConsentOutcome::Refused => Status::Denied,
        _ => Status::Denied,
    }
}

/// The SEP-3 response body.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuthResponse {
    /// `ok`, `pending`, `denied` or `error`.
    pub info_status: &'static str,
    /// `ok`, `pending`, `denied` or `error`.
    pub tx_status: &'static str,
    /// The receiving customer's KYC JSON, when `info_status` is ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dest_info: Option<String>,
    /// Seconds to wait before re-sending, when a status is pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<u64>,
    /// What was wrong, when a status is error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The outcome of one request: body and HTTP status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// 200, 202, 400 or 403.
    pub http_status: u16,
    /// The body.
    pub body: AuthResponse,
}

impl Decision {
    /// Whether the payment is authorised (and must be stored).
    pub fn is_authorized(&self) -> bool {
        self.http_status == 200
    }
}

/// Combines the two statuses with the reference precedence.
pub fn decide(info: &Status, tx: &Status, dest_info: Option<String>) -> Decision {
    let http_status = match (info, tx) {
        (Status::Ok, Status::Ok) => 200,
        (Status::Denied, _) | (_, Status::Denied) => 403,
        (Status::Error(_), _) | (_, Status::Error(_)) => 400,
        _ => 202,
    };
    let pending = [info, tx]
        .iter()
        .filter_map(|status| match status {
            Status::Pending(seconds) => Some(*seconds),
            _ => None,
        })
        .max();
    let error = [tx, info].iter().find_map(|status| match status {
        Status::Error(message) => Some(message.clone()),
        _ => None,
    });
    let dest_info = if *info == Status::Ok { dest_info } else { None };
    Decision {
        http_status,
        body: AuthResponse { info_status: info.word(), tx_status: tx.word(), dest_info, pending, error },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_follows_the_reference_server() {
        let cases = [
            (Status::Ok, Status::Ok, 200),
            (Status::Ok, Status::Pending(5), 202),
            (Status::Pending(9), Status::Ok, 202),
            (Status::Pending(9), Status::Pending(3), 202),
            (Status::Denied, Status::Ok, 403),
            (Status::Ok, Status::Denied, 403),
            (Status::Denied, Status::Error("x".into()), 403),
            (Status::Error("x".into()), Status::Pending(3), 400),
            (Status::Ok, Status::Error("x".into()), 400),
            (Status::Pending(1), Status::Denied, 403),
        ];
        for (info, tx, expected) in cases {
            assert_eq!(decide(&info, &tx, None).http_status, expected, "{info:?} {tx:?}");
        }
    }

    #[test]
    fn pending_is_the_longest_wait_and_dest_info_only_with_info_ok() {
        let decision = decide(&Status::Pending(9), &Status::Pending(30), Some("{}".into()));
        assert_eq!(decision.body.pending, Some(30));
        assert_eq!(decision.body.dest_info, None);
        let decision = decide(&Status::Ok, &Status::Pending(30), Some("{\"a\":1}".into()));
        assert_eq!(decision.body.dest_info.as_deref(), Some("{\"a\":1}"));
        assert_eq!(decision.http_status, 202);
    }

    #[test]
    fn a_failure_to_screen_never_passes() {
        let failure: Result<ScreeningOutcome, IntegrationError> = Err(IntegrationError::internal("down"));
        assert_eq!(tx_status(&failure, ScreeningFailurePolicy::Deny), Status::Denied);
        assert_eq!(
            tx_status(&failure, ScreeningFailurePolicy::Pending(Duration::from_secs(60))),
            Status::Pending(60)
        );
        let unavailable: Result<ScreeningOutcome, IntegrationError> =
            Err(IntegrationError::Unavailable("later".into()));
        assert_ne!(tx_status(&unavailable, ScreeningFailurePolicy::default()), Status::Ok);
        let bad: Result<ScreeningOutcome, IntegrationError> =
            Err(IntegrationError::bad_request("Invalid country code."));
        assert_eq!(
            tx_status(&bad, ScreeningFailurePolicy::default()),
            Status::Error("Invalid country code.".into())
        );
    }
}
