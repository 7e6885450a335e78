//! The migration path for SDF compliance-server users: [`SdfCallbacks`] implements
//! `SanctionsIntegration` and `ComplianceIntegration` by calling the old server's `sanctions`,
//! `ask_user`, `fetch_info` and `tx_status` URLs with its exact form fields and status-code
//! meanings:
//!
//! | callback | fields | 200 | 202 | 400 | 403 | other / network |
//! |---|---|---|---|---|---|---|
//! | sanctions | `sender` (sender_info JSON) | clear | pending (`{"pending":N}`, else 600 s) | `error` status with the body's `error` | denied | could not screen (fail closed) |
//! | ask_user | `amount`, `asset_code`, `asset_issuer`, `sender`, `note` | granted | pending | `error` | refused | 500 |
//! | fetch_info | `address` | the JSON object is the customer's data | — | — | — | 500 |
//! | tx_status (`GET ?id=`) | `id` (transaction hash) | the JSON's `status`, `recv_code`, `refund_tx`, `msg` (missing or unknown status: `unknown`) | `unknown` | `unknown` | `unknown` | `unknown` on another code; unreachable: our tables answer |
//!
//! One deliberate difference: without a `sanctions` URL the old server approved everyone; here
//! an unset URL is a failure to screen, which never passes.
//!
//! The callbacks are the anchor's own back-office services (often on loopback), configured by the
//! operator, so they go through core's outbound client as configured URLs (`Trust::Configured`):
//! plain http and private addresses are allowed; a timeout, no redirects, no proxy, and a cap on
//! every answer.

use std::collections::BTreeMap;
use std::time::Duration;

use anchor_core::integrations::compliance::{
    ComplianceIntegration, ConsentOutcome, ConsentRequest, CustomerInfo, PaymentState, PaymentStatus,
};
use anchor_core::integrations::sanctions::{ScreeningOutcome, ScreeningSubject};
use anchor_core::net::{self, BodyError, OutboundBuilder, OutboundClient, Trust};
use anchor_core::{async_trait, IntegrationError, SanctionsIntegration, Sensitive};

/// Wait used when a 202 carries no readable `pending` (the reference server's value).
pub const DEFAULT_PENDING: Duration = Duration::from_secs(600);
/// Largest callback answer read.
const MAX_CALLBACK_BYTES: usize = 256 * 1024;

/// The SDF compliance server's callbacks.
#[derive(Debug, Clone)]
pub struct SdfCallbacks {
    client: OutboundClient,
    sanctions: Option<String>,
    ask_user: Option<String>,
    fetch_info: Option<String>,
    tx_status: Option<String>,
}

/// The callback URLs (`[callbacks]` of `config_compliance.toml`); `None` when unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackUrls {
    /// `callbacks.sanctions`.
    pub sanctions: Option<String>,
    /// `callbacks.ask_user`.
    pub ask_user: Option<String>,
    /// `callbacks.fetch_info`.
    pub fetch_info: Option<String>,
    /// `callbacks.tx_status`: `GET <url>?id=<transaction hash>` for SEP-4 `tx_status`.
    pub tx_status: Option<String>,
}

impl SdfCallbacks {
    /// Callbacks at `urls`, each call limited to `timeout`.
    pub fn new(urls: CallbackUrls, timeout: Duration) -> Result<Self, String> {
        for url in [&urls.sanctions, &urls.ask_user, &urls.fetch_info, &urls.tx_status].into_iter().flatten()
        {
            let parsed = url::Url::parse(url).map_err(|_| format!("callback URL `{url}` is not a URL"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(format!("callback URL `{url}` must be http or https"));
            }
        }
        // Configured URLs: the client allows any address; `local_mode` does not matter.
        let client = OutboundBuilder::new(false, Trust::Configured, timeout, "anchor-rs sep-3 callbacks")
            .build()
            .map_err(|err| err.to_string())?;
        Ok(SdfCallbacks {
            client,
            sanctions: urls.sanctions,
            ask_user: urls.ask_user,
            fetch_info: urls.fetch_info,
            tx_status: urls.tx_status,
        })
    }

    async fn post(
        &self,
        name: &str,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<(u16, Vec<u8>), IntegrationError> {
        let request = self
            .client
            .post(url)
            .map_err(|err| IntegrationError::internal(format!("the {name} callback URL {err}")))?;
        self.answer(name, request.form(form)).await
    }

    /// Sends `request` and reads the answer's status and body (at most [`MAX_CALLBACK_BYTES`]).
    async fn answer(
        &self,
        name: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<(u16, Vec<u8>), IntegrationError> {
        let response = request.send().await.map_err(|err| {
            IntegrationError::internal(format!(
                "the {name} callback {}",
                if err.is_timeout() { "timed out" } else { "is unreachable" }
            ))
        })?;
        let status = response.status().as_u16();
        let body = net::read_capped(response, MAX_CALLBACK_BYTES).await.map_err(|err| match err {
            BodyError::TooLarge(_) => {
                IntegrationError::internal(format!("the {name} callback's answer is too large"))
            }
            _ => IntegrationError::internal(format!("the {name} callback's answer could not be read")),
        })?;
        Ok((status, body))
    }
}

/// The old server's reading of a `tx_status` callback answer: 200 with JSON is passed through
/// (a missing, empty or unknown `status` is `unknown`); any other code is `unknown`.
fn payment_status_of(status: u16, body: &[u8]) -> PaymentStatus {
    if status != 200 {
        return PaymentStatus::new(PaymentState::Unknown);
    }
    let Ok(serde_json::Value::Object(answer)) = serde_json::from_slice::<serde_json::Value>(body) else {
        return PaymentStatus::new(PaymentState::Unknown);
    };
    let text = |key: &str| answer.get(key).and_then(|value| value.as_str()).filter(|text| !text.is_empty());
    let state = text("status").and_then(PaymentState::parse).unwrap_or(PaymentState::Unknown);
    let mut payment = PaymentStatus::new(state);
    if let Some(code) = text("recv_code") {
        payment = payment.recv_code(code);
    }
    if let Some(hash) = text("refund_tx") {
        payment = payment.refund_tx(hash);
    }
    if let Some(message) = text("msg") {
        payment = payment.msg(message);
    }
    payment
}

fn pending_of(body: &[u8]) -> Duration {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| value.get("pending").and_then(|p| p.as_u64()))
        .filter(|seconds| *seconds > 0)
        .map_or(DEFAULT_PENDING, Duration::from_secs)
}

fn error_of(body: &[u8], name: &str) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| value.get("error").and_then(|e| e.as_str()).map(|e| e.chars().take(300).collect()))
        .unwrap_or_else(|| format!("the {name} check refused the request"))
}

fn sender_json(attributes: &BTreeMap<String, Sensitive<String>>) -> String {
    let map: BTreeMap<&str, &str> =
        attributes.iter().map(|(key, value)| (key.as_str(), value.expose().as_str())).collect();
    serde_json::to_string(&map).unwrap_or_else(|_| "{}".to_string())
}

#[async_trait]
impl SanctionsIntegration for SdfCallbacks {
    async fn screen(&self, subject: &ScreeningSubject) -> Result<ScreeningOutcome, IntegrationError> {
        let url = self
            .sanctions
            .as_deref()
            .ok_or_else(|| IntegrationError::internal("no sanctions callback is configured"))?;
        let sender = sender_json(&subject.attributes);
        let (status, body) = self.post("sanctions", url, &[("sender", &sender)]).await?;
        match status {
            200 => Ok(ScreeningOutcome::Clear),
            202 => Ok(ScreeningOutcome::Pending { retry_after: pending_of(&body), reference: String::new() }),
            400 => Err(IntegrationError::bad_request(error_of(&body, "sanctions"))),
            403 => Ok(ScreeningOutcome::Denied { reason: "the sanctions callback answered 403".into() }),
            other => Err(IntegrationError::internal(format!("the sanctions callback answered HTTP {other}"))),
        }
    }
}

#[async_trait]
impl ComplianceIntegration for SdfCallbacks {
    async fn ask_user(&self, request: &ConsentRequest) -> Result<ConsentOutcome, IntegrationError> {
        let Some(url) = self.ask_user.as_deref() else {
            return Ok(ConsentOutcome::Refused);
        };
        let sender = serde_json::to_string(request.sender_info.expose()).unwrap_or_else(|_| "{}".to_string());
        let form = [
            ("amount", request.amount.as_str()),
            ("asset_code", request.asset_code.as_str()),
            ("asset_issuer", request.asset_issuer.as_str()),
            ("sender", sender.as_str()),
            ("note", request.note.expose().as_str()),
        ];
        let (status, body) = self.post("ask_user", url, &form).await?;
        match status {
            200 => Ok(ConsentOutcome::Granted),
            202 => Ok(ConsentOutcome::Pending { retry_after: pending_of(&body) }),
            400 => Err(IntegrationError::bad_request(error_of(&body, "ask_user"))),
            403 => Ok(ConsentOutcome::Refused),
            other => Err(IntegrationError::internal(format!("the ask_user callback answered HTTP {other}"))),
        }
    }

    async fn fetch_info(&self, address: &str) -> Result<CustomerInfo, IntegrationError> {
        let url = self
            .fetch_info
            .as_deref()
            .ok_or_else(|| IntegrationError::internal("no fetch_info callback is configured"))?;
        let (status, body) = self.post("fetch_info", url, &[("address", address)]).await?;
        if status != 200 {
            return Err(IntegrationError::internal(format!(
                "the fetch_info callback answered HTTP {status}"
            )));
        }
        match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(serde_json::Value::Object(map)) => Ok(Sensitive::new(map)),
            _ => Err(IntegrationError::internal("the fetch_info callback did not answer a JSON object")),
        }
    }

    async fn payment_status(&self, transaction_id: &str) -> Result<Option<PaymentStatus>, IntegrationError> {
        let Some(url) = self.tx_status.as_deref() else { return Ok(None) };
        let request = self
            .client
            .get(url)
            .map_err(|err| IntegrationError::internal(format!("the tx_status callback URL {err}")))?;
        let (status, body) = self.answer("tx_status", request.query(&[("id", transaction_id)])).await?;
        Ok(Some(payment_status_of(status, &body)))
    }
}
