//! SEP-10 tokens: the claims the framework issues, their encoding and strict verification, and
//! the [`Sep10Token`] extractor every authenticated SEP endpoint takes.
//!
//! Encoder and decoder live in this one file so they cannot drift apart. The algorithm is pinned
//! to HS256 with `SERVER_JWT_KEY`: `alg: none` and every other algorithm are refused.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::app::AnchorContext;
use crate::config::Settings;
use crate::http::SepError;

/// Path of the SEP-10 endpoint under `HOST_URL` (`WEB_AUTH_ENDPOINT`), as in django-polaris.
pub const WEB_AUTH_PATH: &str = "/auth";

/// The JWT claims of a SEP-10 token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sep10Claims {
    /// `HOST_URL` + `/auth`, from configuration (never from the request's Host header).
    pub iss: String,
    /// `G…`, `G…:<memo>` or `M…`.
    pub sub: String,
    /// Issued at: the challenge's minTime (unix seconds).
    pub iat: i64,
    /// Expiry (unix seconds).
    pub exp: i64,
    /// The challenge transaction's hash (hex).
    pub jti: String,
    /// The client domain the wallet proved, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_domain: Option<String>,
    /// The home domain the challenge named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_domain: Option<String>,
}

/// Why a token was refused. Every variant answers 403.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// No `Authorization: Bearer` header.
    #[error("missing `Authorization: Bearer <token>` header; authenticate with SEP-10 first")]
    Missing,
    /// The header is not a bearer token.
    #[error("the Authorization header must be `Bearer <token>`")]
    NotBearer,
    /// Expired.
    #[error("the SEP-10 token has expired; authenticate again")]
    Expired,
    /// Wrong algorithm (including `none`).
    #[error("the SEP-10 token uses an algorithm this server does not accept")]
    Algorithm,
    /// Signature does not verify with `SERVER_JWT_KEY`.
    #[error("the SEP-10 token's signature is invalid")]
    Signature,
    /// Issued by someone else.
    #[error("the SEP-10 token was not issued by this server")]
    Issuer,
    /// `iat` in the future.
    #[error("the SEP-10 token is not valid yet")]
    NotYetValid,
    /// `sub` is not `G…`, `G…:<memo>` or `M…`.
    #[error("the SEP-10 token's subject is not a Stellar account")]
    Subject,
    /// Not a JWT at all, or claims missing.
    #[error("the SEP-10 token is malformed: {0}")]
    Malformed(String),
    /// Encoding failed (server side).
    #[error("could not encode token: {0}")]
    Encode(String),
}

impl From<TokenError> for SepError {
    fn from(err: TokenError) -> Self {
        match err {
            TokenError::Encode(cause) => SepError::internal(cause),
            other => SepError::Forbidden(other.to_string()),
        }
    }
}

/// A verified SEP-10 token: who the client proved to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sep10Token {
    account: String,
    muxed_account: Option<String>,
    memo: Option<u64>,
    claims: Sep10Claims,
}

impl Sep10Token {
    /// The `G…` account. For a muxed (`M…`) subject, its underlying `G…` account.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The `M…` account, when the client authenticated as one.
    pub fn muxed_account(&self) -> Option<&str> {
        self.muxed_account.as_deref()
    }

    /// The memo of a `G…:<memo>` subject.
    pub fn memo(&self) -> Option<u64> {
        self.memo
    }

    /// The client (wallet) domain the client proved, if any.
    pub fn client_domain(&self) -> Option<&str> {
        self.claims.client_domain.as_deref()
    }

    /// The home domain of the challenge.
    pub fn home_domain(&self) -> Option<&str> {
        self.claims.home_domain.as_deref()
    }

    /// The raw claims.
    pub fn claims(&self) -> &Sep10Claims {
        &self.claims
    }

    /// Builds a token from verified claims, splitting the subject.
    fn from_claims(claims: Sep10Claims) -> Result<Self, TokenError> {
        let (account, muxed_account, memo) = parse_subject(&claims.sub)?;
        Ok(Sep10Token { account, muxed_account, memo, claims })
    }
}

/// Splits a `sub` into (G account, M account, memo).
fn parse_subject(sub: &str) -> Result<(String, Option<String>, Option<u64>), TokenError> {
    if sub.starts_with('M') {
        let muxed =
            stellar_strkey::ed25519::MuxedAccount::from_string(sub).map_err(|_| TokenError::Subject)?;
        let account = stellar_strkey::ed25519::PublicKey(muxed.ed25519).to_string().to_string();
        return Ok((account, Some(sub.to_string()), None));
    }
    let (account, memo) = match sub.split_once(':') {
        Some((account, memo)) => {
            // Canonical decimal only: `u64::from_str` would also take `+5`, and `05` would be a
            // second spelling of the same subject.
            let canonical = !memo.is_empty()
                && memo.bytes().all(|b| b.is_ascii_digit())
                && (memo == "0" || !memo.starts_with('0'));
            if !canonical {
                return Err(TokenError::Subject);
            }
            let memo = memo.parse::<u64>().map_err(|_| TokenError::Subject)?;
            (account, Some(memo))
        }
        None => (sub, None),
    };
    stellar_strkey::ed25519::PublicKey::from_string(account).map_err(|_| TokenError::Subject)?;
    Ok((account.to_string(), None, memo))
}

/// The issuer every token of this server carries: `HOST_URL` + `/auth`.
pub fn token_issuer(settings: &Settings) -> String {
    format!("{}{WEB_AUTH_PATH}", settings.host_url)
}

/// Signs claims into a compact JWT (HS256, `SERVER_JWT_KEY`).
pub fn encode_token(settings: &Settings, claims: &Sep10Claims) -> Result<String, TokenError> {
    let key = EncodingKey::from_secret(settings.server_jwt_key.expose());
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key)
        .map_err(|err| TokenError::Encode(err.to_string()))
}

/// Verifies a compact JWT: HS256 only, signature, `exp`, `iat` (not in the future, 5 s of clock
/// leeway), issuer, subject shape.
pub fn decode_token(settings: &Settings, token: &str, now: i64) -> Result<Sep10Token, TokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|err| TokenError::Malformed(err.to_string()))?;
    if header.alg != Algorithm::HS256 {
        return Err(TokenError::Algorithm);
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 5;
    validation.set_issuer(&[token_issuer(settings)]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "sub"]);
    let key = DecodingKey::from_secret(settings.server_jwt_key.expose());
    let data = jsonwebtoken::decode::<Sep10Claims>(token, &key, &validation).map_err(|err| {
        use jsonwebtoken::errors::ErrorKind as K;
        match err.kind() {
            K::ExpiredSignature => TokenError::Expired,
            K::InvalidSignature => TokenError::Signature,
            K::InvalidAlgorithm | K::InvalidAlgorithmName => TokenError::Algorithm,
            K::InvalidIssuer => TokenError::Issuer,
            _ => TokenError::Malformed(err.to_string()),
        }
    })?;
    if data.claims.iat > now + 5 {
        return Err(TokenError::NotYetValid);
    }
    if data.claims.exp <= now {
        return Err(TokenError::Expired);
    }
    Sep10Token::from_claims(data.claims)
}

fn bearer(req: &HttpRequest) -> Result<&str, TokenError> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or(TokenError::Missing)?
        .to_str()
        .map_err(|_| TokenError::NotBearer)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or(TokenError::NotBearer)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(TokenError::NotBearer);
    }
    Ok(token.trim())
}

impl FromRequest for Sep10Token {
    type Error = SepError;
    type Future = Ready<Result<Self, SepError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let Some(ctx) = req.app_data::<web::Data<AnchorContext>>() else {
            return ready(Err(SepError::internal("Sep10Token used on a route without AnchorContext")));
        };
        let now = chrono::Utc::now().timestamp();
        ready(bearer(req).and_then(|token| decode_token(ctx.settings(), token, now)).map_err(SepError::from))
    }
}

#[cfg(test)]
mod tests;
