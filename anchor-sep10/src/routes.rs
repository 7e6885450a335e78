//! The two handlers of `WEB_AUTH_ENDPOINT`, thin: parse the request, call the pure challenge
//! code and the IO helpers in the order SEP-10 gives, answer JSON.
//!
//! - `GET /auth`: `{"transaction", "network_passphrase"}`.
//! - `POST /auth`: `{"token"}`.

use anchor_core::clock::unix_now;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::LazyLock;

use actix_web::{web, HttpRequest, HttpResponse};
use anchor_core::auth::{encode_token, token_issuer, Sep10Claims};
use anchor_core::{AnchorContext, SepError, Settings};
use serde::{Deserialize, Serialize};

use crate::challenge::{self, ChallengeRequest, ClientAccount, Verifier, NONCE_BYTES};
use crate::client_domain::{normalize_domain, ClientDomains};
use crate::issued::IssuedSignatures;
use crate::request_auth::{bearer_token, verify_request_jwt, SignedQuery};
use crate::signers::{Horizon, HorizonLimits};
use crate::{body, replay, Error};

/// How often (seconds) a POST also purges expired single-use records.
pub(crate) const PURGE_INTERVAL_SECONDS: i64 = 60;

/// How long (seconds) a single-use record outlives its challenge's maxTime before it may be
/// purged: a POST that passed the time-bounds check can still be waiting on Horizon (up to its
/// timeout), and another instance's clock may run behind ours. Without the margin a record
/// purged in that window would let the same challenge be used twice.
pub(crate) const PURGE_MARGIN_SECONDS: i64 = 15 * 60;

/// The server signatures of the challenges this process issued, shared by its workers (a `GET`
/// and its `POST` may reach different workers): rule 7 compares against them instead of signing
/// again.
static ISSUED_SIGNATURES: LazyLock<IssuedSignatures> = LazyLock::new(IssuedSignatures::default);

/// Per-worker state built at mount time from the settings.
#[derive(Debug)]
pub struct Sep10State {
    horizon: Horizon,
    client_domains: ClientDomains,
    network_id: [u8; 32],
    web_auth_domain: String,
    web_auth_endpoint: String,
    last_purge: AtomicI64,
    recorder: std::sync::OnceLock<replay::UseRecorder>,
}

impl Sep10State {
    /// Builds the HTTP clients and derived values.
    pub fn new(settings: &Settings) -> Result<Self, String> {
        let sep10 = &settings.sep10;
        // One bound on this worker's outbound lookups, Horizon and client domains together.
        let in_flight =
            std::sync::Arc::new(tokio::sync::Semaphore::new(sep10.max_concurrent_lookups as usize));
        let limits =
            HorizonLimits { cache_ttl: sep10.horizon_cache_ttl, cache_entries: sep10.horizon_cache_entries };
        Ok(Sep10State {
            horizon: Horizon::with_limits(&settings.horizon_uri, limits, in_flight.clone())?,
            client_domains: ClientDomains::with_limits(
                settings.local_mode,
                sep10.client_attribution_request_timeout,
                sep10.client_domain_failure_ttl,
                in_flight,
            )?,
            network_id: challenge::network_id(&settings.network_passphrase),
            web_auth_domain: settings.host_domain(),
            web_auth_endpoint: crate::web_auth_endpoint(settings),
            last_purge: AtomicI64::new(0),
            recorder: std::sync::OnceLock::new(),
        })
    }
}

/// `GET /auth` query parameters. Unknown parameters are ignored.
#[derive(Debug, Deserialize)]
pub(crate) struct ChallengeQuery {
    account: Option<String>,
    memo: Option<String>,
    home_domain: Option<String>,
    client_domain: Option<String>,
}

#[derive(Serialize)]
struct ChallengeResponse<'a> {
    transaction: String,
    network_passphrase: &'a str,
}

#[derive(Serialize)]
struct TokenResponse {
    token: String,
}

/// Parses a memo: decimal digits only (no sign, no spaces), the full u64 range.
pub fn parse_memo(memo: &str) -> Result<u64, Error> {
    if memo.is_empty() || !memo.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidMemo);
    }
    memo.parse::<u64>().map_err(|_| Error::InvalidMemo)
}

/// Refuses a frozen identity: the account itself, or the memo or muxed customer of a shared
/// account the challenge is for (a freeze of one customer leaves the account's other customers
/// served).
async fn check_not_frozen(
    ctx: &AnchorContext,
    account: &ClientAccount,
    memo: Option<u64>,
) -> Result<(), Error> {
    let identity = match (account, memo) {
        (ClientAccount::Muxed { key, id }, _) => {
            format!("{}:id:{id}", stellar_strkey::ed25519::PublicKey(*key))
        }
        (ClientAccount::Plain(_), Some(memo)) => format!("{}:id:{memo}", account.account_id()),
        (ClientAccount::Plain(_), None) => account.account_id(),
    };
    match ctx.integrations().screening_registry().is_frozen(&identity).await {
        Ok(false) => Ok(()),
        Ok(true) => Err(Error::Frozen),
        Err(err) => Err(Error::ScreeningUnavailable(err.to_string())),
    }
}

/// `GET /auth`: issues a challenge.
pub(crate) async fn get_challenge(
    req: HttpRequest,
    ctx: web::Data<AnchorContext>,
    state: web::Data<Sep10State>,
    query: web::Query<ChallengeQuery>,
) -> Result<HttpResponse, SepError> {
    let settings = ctx.settings();
    let sep10 = &settings.sep10;
    let query = query.into_inner();

    let account_param = query.account.as_deref().filter(|a| !a.is_empty()).ok_or(Error::MissingAccount)?;
    let account = ClientAccount::parse(account_param)?;
    let memo = match query.memo.as_deref() {
        None => None,
        Some(memo) => {
            let memo = parse_memo(memo)?;
            if matches!(account, ClientAccount::Muxed { .. }) {
                return Err(Error::MemoWithMuxedAccount.into());
            }
            Some(memo)
        }
    };
    let home_domain = match query.home_domain.as_deref() {
        None | Some("") => {
            sep10.home_domains.first().ok_or_else(|| Error::Internal("SEP10_HOME_DOMAINS is empty".into()))?
        }
        Some(asked) => sep10
            .home_domains
            .iter()
            .find(|domain| domain.eq_ignore_ascii_case(asked))
            .ok_or_else(|| Error::UnknownHomeDomain(asked.to_string()))?,
    };

    // Client attribution policy (SEP-10: ignore a client domain the server does not support;
    // 403 when attribution is required).
    let client_domain = match query.client_domain.as_deref().filter(|d| !d.is_empty()) {
        None if sep10.client_attribution_required => return Err(Error::ClientDomainRequired.into()),
        None => None,
        Some(domain) => {
            let domain = normalize_domain(domain, settings.local_mode)?;
            let listed = |list: &[String]| list.iter().any(|entry| entry.eq_ignore_ascii_case(&domain));
            let allowed = !listed(&sep10.client_attribution_denylist)
                && (sep10.client_attribution_allowlist.is_empty()
                    || listed(&sep10.client_attribution_allowlist));
            match (allowed, sep10.client_attribution_required) {
                (true, _) => Some(domain),
                (false, true) => return Err(Error::ClientDomainNotAllowed.into()),
                (false, false) => None,
            }
        }
    };

    check_not_frozen(&ctx, &account, memo).await?;

    let client_domain = match client_domain {
        Some(domain) => {
            let key = state.client_domains.signing_key(&domain).await?;
            Some((domain, key))
        }
        None => None,
    };

    // The signed request (v3.4): optional unless SEP10_REQUIRE_SIGNED_REQUESTS.
    let signed_header = req.headers().get(actix_web::http::header::AUTHORIZATION);
    if signed_header.is_none() && sep10.require_signed_requests {
        return Err(Error::SignedRequestRequired.into());
    }
    if let Some(header) = signed_header {
        let header = header.to_str().map_err(|_| Error::RequestAuth("the header is not ASCII".into()))?;
        let token = bearer_token(header)?;
        let key = match (&query.client_domain, &client_domain) {
            (Some(_), Some((_, key))) => *key,
            // A client domain this server ignores cannot vouch for the request.
            (Some(sent), None) if !sent.is_empty() => return Err(Error::ClientDomainNotAllowed.into()),
            _ => account.key(),
        };
        let signed = SignedQuery {
            account: account_param,
            memo: query.memo.as_deref(),
            home_domain: query.home_domain.as_deref(),
            client_domain: query.client_domain.as_deref(),
        };
        verify_request_jwt(token, &key, &state.web_auth_endpoint, &signed, unix_now())?;
    }

    let mut nonce = [0u8; NONCE_BYTES];
    getrandom::fill(&mut nonce).map_err(|err| Error::Internal(format!("CSPRNG failed: {err}")))?;
    let request = ChallengeRequest {
        account,
        memo,
        home_domain,
        web_auth_domain: &state.web_auth_domain,
        client_domain: client_domain.as_ref().map(|(domain, key)| (domain.as_str(), *key)),
    };
    let issued = challenge::issue_challenge(
        &settings.signing_key,
        &state.network_id,
        &request,
        unix_now().max(0) as u64,
        sep10.auth_timeout.as_secs(),
        &nonce,
    )?;
    ISSUED_SIGNATURES.remember(issued.hash, settings.signing_key.public_key_bytes(), issued.server_signature);
    Ok(HttpResponse::Ok().json(ChallengeResponse {
        transaction: issued.transaction,
        network_passphrase: &settings.network_passphrase,
    }))
}

/// `POST /auth`: verifies a signed challenge and issues a token.
pub(crate) async fn post_token(
    req: HttpRequest,
    payload: web::Payload,
    ctx: web::Data<AnchorContext>,
    state: web::Data<Sep10State>,
) -> Result<HttpResponse, SepError> {
    let settings = ctx.settings();
    let transaction = body::transaction(&req, payload, ctx.body_limits().max_body_bytes).await?;
    let now = unix_now();

    let verifier = Verifier {
        server_key: settings.signing_key.public_key_bytes(),
        network_id: state.network_id,
        home_domains: &settings.sep10.home_domains,
        web_auth_domain: &state.web_auth_domain,
    };
    let read = challenge::read_issued_challenge(
        &verifier,
        &settings.signing_key,
        &ISSUED_SIGNATURES,
        &transaction,
        now.max(0) as u64,
    )?;
    let account_id = read.client.account_id();
    // A refusal may come from a recent lookup of the account; a token only from a fresh one.
    state
        .horizon
        .verify(&account_id, |account| {
            challenge::verify_signatures(&read, &verifier.server_key, account).map(drop)
        })
        .await?;
    // The AML monitor screens every account that authenticates (by address, once); a listed
    // address is frozen by that screening and refused just below. A failure leaves the
    // challenge unused, so the client can try again.
    ctx.integrations()
        .screening_registry()
        .record_authenticated(&account_id)
        .await
        .map_err(|err| Error::ScreeningUnavailable(err.to_string()))?;
    check_not_frozen(&ctx, &read.client, read.memo).await?;

    let expires_at = i64::try_from(read.max_time).unwrap_or(i64::MAX);
    let last = state.last_purge.load(Ordering::Relaxed);
    let purge = (now - last >= PURGE_INTERVAL_SECONDS
        && state.last_purge.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok())
    .then_some(now.saturating_sub(PURGE_MARGIN_SECONDS));
    let recorder = state.recorder.get_or_init(|| replay::UseRecorder::new(ctx.database().clone()));
    if !recorder.record(read.hash_hex(), expires_at, purge).await? {
        return Err(Error::Replayed.into());
    }

    let iat = i64::try_from(read.min_time).unwrap_or(i64::MAX);
    let claims = Sep10Claims {
        iss: token_issuer(settings),
        sub: read.subject(),
        iat,
        exp: iat.saturating_add(settings.sep10.jwt_timeout.as_secs() as i64),
        jti: read.hash_hex(),
        client_domain: read.client_domain.as_ref().map(|(domain, _)| domain.clone()),
        home_domain: Some(read.home_domain.clone()),
    };
    let token = encode_token(settings, &claims)?;
    Ok(HttpResponse::Ok().json(TokenResponse { token }))
}
