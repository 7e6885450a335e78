//! Rate limits per client address on the routes anyone can call without credentials (SEP-10
//! challenges and tokens, SEP-3 `AUTH_SERVER`, federation, the console's sign-in).
//!
//! One concept: a [`RateLimiter`] holds one GCRA (generic cell rate algorithm, a token bucket
//! kept as one timestamp per address) for one family of routes. It answers
//! [`TooManyRequests`] with the whole seconds to wait, which [`SepError`](crate::SepError) turns
//! into `429 Too Many Requests`, `Retry-After: N` and `{"error": "too many requests from this
//! address; retry after N seconds"}`. A route uses it as actix middleware (`Route::wrap`), which
//! refuses before any extractor reads the body, or calls [`RateLimiter::check`] itself (the
//! officer console answers its own HTML page).
//!
//! - **Client address.** The TCP peer address. Only when the peer is one of `TRUSTED_PROXIES`
//!   is the address taken from `Forwarded` (`for=`) or, without it, `X-Forwarded-For`: the
//!   rightmost address that is not itself a trusted proxy ([`client_address`]). Never by default.
//! - **Grouping.** An IPv4 address is one client; an IPv6 address counts by its /64 (one
//!   subscriber's network, which anyone holding it can fill with addresses); an IPv4-mapped IPv6
//!   address counts as its IPv4 address.
//! - **Memory.** Each limiter tracks at most `RATE_LIMIT_MAX_ADDRESSES` addresses (default
//!   100,000, about 64 bytes each). An address whose bucket is full again is forgotten at no
//!   cost (it would be let through anyway). When the table is full of throttled addresses, the
//!   tenth of them closest to a full bucket is forgotten, so a flood of fresh addresses costs
//!   amortised constant time per request and the memory stays bounded.
//! - **Time.** The pure core takes `now` ([`RateLimiter::check_at`]), so tests need no clock.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderMap};
use actix_web::HttpRequest;
use futures_util::future::{ready, LocalBoxFuture, Ready};
use futures_util::FutureExt as _;

use crate::config::RateLimitSettings;
use crate::http::SepError;

/// The largest number of requests or burst a rate may name.
pub const MAX_RATE_REQUESTS: u32 = 1_000_000;

/// How many `Forwarded`/`X-Forwarded-For` hops are read, from the right.
const MAX_FORWARDED_HOPS: usize = 64;

/// A rate: `requests` per `period` on average, with up to `burst` requests at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests per period (at least 1).
    pub requests: u32,
    /// The period: one second, one minute or one hour.
    pub period: Duration,
    /// Requests an address may send at once before it is held to the average (at least 1).
    pub burst: u32,
}

impl Rate {
    /// `requests` per minute with bursts of `burst`.
    pub fn per_minute(requests: u32, burst: u32) -> Rate {
        Rate { requests: requests.max(1), period: Duration::from_secs(60), burst: burst.max(1) }
    }

    /// Parses a setting's value: `off` or `0` (no limit: `None`), or `N/s`, `N/min`, `N/h`,
    /// optionally followed by `burst B` (default: `N`). Example: `60/min burst 30`.
    pub fn parse_setting(text: &str) -> Result<Option<Rate>, String> {
        let text = text.trim().to_ascii_lowercase();
        if matches!(text.as_str(), "off" | "0" | "none" | "false") {
            return Ok(None);
        }
        let syntax = || format!("`{text}` is not a rate; write `60/min`, `60/min burst 30` or `off`");
        let mut words = text.split_whitespace();
        let (count, unit) = words.next().and_then(|rate| rate.split_once('/')).ok_or_else(syntax)?;
        let requests = count.trim().parse::<u32>().map_err(|_| syntax())?;
        if requests == 0 {
            return Ok(None);
        }
        let period = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(syntax()),
        };
        let burst = match (words.next(), words.next(), words.next()) {
            (None, _, _) => requests,
            (Some("burst"), Some(burst), None) => burst.parse::<u32>().map_err(|_| syntax())?,
            _ => return Err(syntax()),
        };
        if !(1..=MAX_RATE_REQUESTS).contains(&requests) || !(1..=MAX_RATE_REQUESTS).contains(&burst) {
            return Err(format!("`{text}`: requests and burst must be from 1 to {MAX_RATE_REQUESTS}"));
        }
        Ok(Some(Rate { requests, period, burst }))
    }

    /// The average time between two requests.
    fn interval(&self) -> Duration {
        self.period / self.requests.max(1)
    }
}

/// `60/min burst 30`, the setting's syntax.
impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.period.as_secs() {
            1 => "s",
            3600 => "h",
            _ => "min",
        };
        write!(f, "{}/{unit} burst {}", self.requests, self.burst)
    }
}

/// A network from `TRUSTED_PROXIES`: an address (`10.0.0.7`) or a CIDR range (`10.0.0.0/8`,
/// `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRange {
    network: IpAddr,
    prefix: u8,
}

impl AddressRange {
    /// Whether `address` is inside (an IPv4-mapped IPv6 address counts as its IPv4 address).
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, canonical(address)) {
            (IpAddr::V4(network), IpAddr::V4(address)) => mask_v4(address, self.prefix) == network,
            (IpAddr::V6(network), IpAddr::V6(address)) => mask_v6(address, self.prefix) == network,
            _ => false,
        }
    }
}

impl FromStr for AddressRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address = address
            .parse::<IpAddr>()
            .map_err(|_| format!("`{text}` is not an IP address or CIDR range (`10.0.0.0/8`)"))?;
        let address = canonical(address);
        let width = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(prefix) => match prefix.parse::<u8>() {
                Ok(prefix) if prefix <= width => prefix,
                _ => return Err(format!("`{text}` has a prefix length that is not from 0 to {width}")),
            },
        };
        let network = match address {
            IpAddr::V4(v4) => IpAddr::V4(mask_v4(v4, prefix)),
            IpAddr::V6(v6) => IpAddr::V6(mask_v6(v6, prefix)),
        };
        Ok(AddressRange { network, prefix })
    }
}

impl fmt::Display for AddressRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn mask_v4(address: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    let bits = u32::from(address);
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix.min(32))).unwrap_or(0);
    Ipv4Addr::from(bits & mask)
}

fn mask_v6(address: Ipv6Addr, prefix: u8) -> Ipv6Addr {
    let bits = u128::from(address);
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix.min(128))).unwrap_or(0);
    Ipv6Addr::from(bits & mask)
}

/// An IPv4-mapped IPv6 address as its IPv4 address; any other address unchanged.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The key an address is counted under: IPv4 as is, IPv6 by its /64.
fn client_key(address: IpAddr) -> IpAddr {
    match canonical(address) {
        IpAddr::V6(v6) => IpAddr::V6(mask_v6(v6, 64)),
        v4 => v4,
    }
}

/// The client's address: `peer` (the TCP peer), unless `peer` is in `trusted_proxies`; then the
/// rightmost address of `Forwarded` (`for=`, every such header in order) or, when no `Forwarded`
/// header is present, `X-Forwarded-For` that is not itself a trusted proxy. A hop that is not an
/// address (`unknown`, an obfuscated name) stops the walk at the nearest trusted proxy, which is
/// then the client: a proxy that forwards unidentifiable clients is counted as one client.
/// `None` when there is no peer address.
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted_proxies: &[AddressRange],
) -> Option<IpAddr> {
    let peer = canonical(peer?);
    let trusted = |address: IpAddr| trusted_proxies.iter().any(|range| range.contains(address));
    if !trusted(peer) {
        return Some(peer);
    }
    let hops = forwarded_hops(headers);
    let mut nearest = peer;
    for hop in hops.iter().rev().take(MAX_FORWARDED_HOPS) {
        match hop {
            Some(address) if trusted(*address) => nearest = *address,
            Some(address) => return Some(*address),
            None => return Some(nearest),
        }
    }
    Some(nearest)
}

/// The hops of `Forwarded` (if present) or `X-Forwarded-For`, left to right; `None` for a hop
/// that is not an address.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> =
        headers.get_all(header::FORWARDED).filter_map(|value| value.to_str().ok()).collect();
    if !forwarded.is_empty() || headers.contains_key(header::FORWARDED) {
        return forwarded
            .iter()
            .flat_map(|value| value.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, value)| parse_hop(value))
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .map(|value| value.to_str().ok())
        .flat_map(|value| match value {
            Some(value) => value.split(',').map(parse_hop).collect::<Vec<_>>(),
            None => vec![None],
        })
        .collect()
}

/// One hop: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`, quoted or not.
fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Some(rest) = text.strip_prefix('[') {
        return rest
            .split_once(']')
            .and_then(|(address, _)| address.parse::<Ipv6Addr>().ok())
            .map(IpAddr::V6);
    }
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<std::net::SocketAddr>().ok().map(|socket| socket.ip()))
        .map(canonical)
}

/// The refusal: too many requests from this address; retry after `retry_after_secs` (whole
/// seconds, at least 1). As a [`SepError`] it is a 429 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many requests from this address; retry after {retry_after_secs} seconds")]
pub struct TooManyRequests {
    /// Whole seconds until the next request from this address is accepted (at least 1).
    pub retry_after_secs: u64,
}

/// The GCRA table: per key, the theoretical arrival time of its next request (`tat`). A request
/// at `now` is accepted when `tat - now <= tolerance`, and moves `tat` one interval later.
#[derive(Debug)]
struct Gcra {
    interval: Duration,
    tolerance: Duration,
    capacity: usize,
    table: Mutex<HashMap<IpAddr, Instant>>,
}

impl Gcra {
    fn new(rate: Rate, capacity: usize) -> Gcra {
        let interval = rate.interval();
        Gcra {
            interval,
            tolerance: interval.saturating_mul(rate.burst.max(1) - 1),
            capacity: capacity.max(1),
            table: Mutex::new(HashMap::new()),
        }
    }

    /// Accepts (and counts) a request of `key` at `now`, or says how long to wait.
    fn check(&self, key: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let tat = table.get(&key).copied().filter(|tat| *tat > now).unwrap_or(now);
        let debt = tat.saturating_duration_since(now);
        if debt > self.tolerance {
            return Err(debt - self.tolerance);
        }
        if !table.contains_key(&key) && table.len() >= self.capacity {
            make_room(&mut table, self.capacity, now);
        }
        table.insert(key, tat + self.interval);
        Ok(())
    }

    fn len(&self) -> usize {
        self.table.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// Brings a full table below `capacity`: first forgets every address whose bucket is full again
/// (nothing changes for it), then, if that was not enough, the tenth closest to a full bucket.
fn make_room(table: &mut HashMap<IpAddr, Instant>, capacity: usize, now: Instant) {
    table.retain(|_, tat| *tat > now);
    if table.len() < capacity {
        return;
    }
    let target = (capacity - capacity / 10).min(capacity - 1);
    let excess = table.len() - target;
    let mut tats: Vec<Instant> = table.values().copied().collect();
    let (_, threshold, _) = tats.select_nth_unstable(excess - 1);
    let threshold = *threshold;
    table.retain(|_, tat| *tat > threshold);
}

/// Whole seconds to wait, rounded up, at least 1.
fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[derive(Debug)]
struct Limiter {
    rate: Rate,
    gcra: Gcra,
    trusted_proxies: Arc<[AddressRange]>,
}

/// One rate limit for one family of routes, shared by every worker (cheap to clone). A limiter
/// made from an `off` setting ([`RateLimiter::off`]) accepts everything.
///
/// As middleware: `web::get().to(handler).wrap(limiter.clone())`, which refuses before the
/// handler's extractors read anything.
#[derive(Debug, Clone, Default)]
pub struct RateLimiter {
    inner: Option<Arc<Limiter>>,
}

impl RateLimiter {
    /// A limiter of `rate` (`None`: off) tracking at most `max_addresses` addresses, reading
    /// forwarded addresses only from `trusted_proxies`.
    pub fn new(rate: Option<Rate>, max_addresses: usize, trusted_proxies: Arc<[AddressRange]>) -> Self {
        RateLimiter {
            inner: rate.map(|rate| {
                Arc::new(Limiter { rate, gcra: Gcra::new(rate, max_addresses), trusted_proxies })
            }),
        }
    }

    /// A limiter that accepts everything.
    pub fn off() -> Self {
        RateLimiter { inner: None }
    }

    /// The rate, `None` when off.
    pub fn rate(&self) -> Option<Rate> {
        self.inner.as_ref().map(|limiter| limiter.rate)
    }

    /// How many addresses are tracked now (at most `RATE_LIMIT_MAX_ADDRESSES`).
    pub fn tracked_addresses(&self) -> usize {
        self.inner.as_ref().map_or(0, |limiter| limiter.gcra.len())
    }

    /// Counts one request from `address` at `now`: accepted, or refused with the time to wait.
    pub fn check_at(&self, address: IpAddr, now: Instant) -> Result<(), TooManyRequests> {
        let Some(limiter) = &self.inner else { return Ok(()) };
        limiter
            .gcra
            .check(client_key(address), now)
            .map_err(|wait| TooManyRequests { retry_after_secs: whole_seconds(wait) })
    }

    /// Counts one request of `req` now, from its [`client_address`]. A request without a peer
    /// address (never over TCP) counts as `0.0.0.0`.
    pub fn check(&self, req: &HttpRequest) -> Result<(), TooManyRequests> {
        let Some(limiter) = &self.inner else { return Ok(()) };
        let address =
            client_address(req.peer_addr().map(|peer| peer.ip()), req.headers(), &limiter.trusted_proxies)
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        self.check_at(address, Instant::now())
    }
}

impl<S, B> Transform<S, ServiceRequest> for RateLimiter
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = RateLimited<S>;
    type InitError = ();
    type Future = Ready<Result<RateLimited<S>, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RateLimited { service, limiter: self.clone() }))
    }
}

/// The middleware service of a [`RateLimiter`]: a refused request gets the 429 without reaching
/// the route.
#[derive(Debug)]
pub struct RateLimited<S> {
    service: S,
    limiter: RateLimiter,
}

impl<S, B> Service<ServiceRequest> for RateLimited<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        match self.limiter.check(req.request()) {
            Ok(()) => self
                .service
                .call(req)
                .map(|result| result.map(ServiceResponse::map_into_left_body))
                .boxed_local(),
            Err(refusal) => {
                let response = req.error_response(SepError::TooManyRequests(refusal));
                ready(Ok(response.map_into_right_body())).boxed_local()
            }
        }
    }
}

/// The framework's limiters, one per family of unauthenticated routes, built once from the
/// settings and shared by every worker ([`AnchorContext::rate_limits`](crate::AnchorContext::rate_limits)).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RateLimits {
    /// `RATE_LIMIT_SEP10_CHALLENGE`: SEP-10 `GET /auth`.
    pub sep10_challenge: RateLimiter,
    /// `RATE_LIMIT_SEP10_TOKEN`: SEP-10 `POST /auth`.
    pub sep10_token: RateLimiter,
    /// `RATE_LIMIT_SEP3_AUTH_SERVER`: SEP-3 `POST AUTH_SERVER` and `GET AUTH_SERVER/tx_status`.
    pub sep3_auth_server: RateLimiter,
    /// `RATE_LIMIT_FEDERATION`: SEP-2 `GET /federation`.
    pub federation: RateLimiter,
    /// `RATE_LIMIT_CONSOLE_SIGN_IN`: the officer console's `POST /admin/login`.
    pub console_sign_in: RateLimiter,
}

impl RateLimits {
    /// Builds every limiter from the settings.
    pub fn from_settings(settings: &RateLimitSettings) -> Self {
        let trusted: Arc<[AddressRange]> = settings.trusted_proxies.clone().into();
        let limiter = |rate: Option<Rate>| RateLimiter::new(rate, settings.max_addresses, trusted.clone());
        RateLimits {
            sep10_challenge: limiter(settings.sep10_challenge),
            sep10_token: limiter(settings.sep10_token),
            sep3_auth_server: limiter(settings.sep3_auth_server),
            federation: limiter(settings.federation),
            console_sign_in: limiter(settings.console_sign_in),
        }
    }

    /// No limits at all.
    pub fn off() -> Self {
        RateLimits::default()
    }
}

#[cfg(test)]
mod tests;
