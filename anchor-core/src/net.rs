//! Outbound requests: the framework's one HTTP client for every call it makes to another
//! institution or to a configured endpoint, and the one answer to "may we contact this address?".
//!
//! Every outbound call (another institution's stellar.toml, SEP-2 federation and SEP-3
//! `AUTH_SERVER` calls, SEP-12 status callbacks, the SDF compliance-server callbacks, AML webhooks,
//! sanctions-list downloads) goes through an [`OutboundClient`] built by [`OutboundBuilder`]:
//!
//! - **Addresses.** For a URL that comes from outside ([`Trust::Remote`]: a remote stellar.toml, a
//!   wallet's callback URL, a list server and its redirects), outside `LOCAL_MODE` only publicly
//!   routable addresses ([`is_public`]) are contacted. A host name is checked at resolution, on
//!   every resolved address, and the connection goes to exactly the checked addresses (no second
//!   lookup that DNS could rebind); an IP-literal host, which no resolver ever sees, is checked
//!   before the request is built ([`check_url`]), and again on every redirect. URLs from the
//!   operator's own configuration ([`Trust::Configured`]: the AML webhook, the SDF callbacks) may
//!   name a private address: an internal receiver is a legitimate deployment.
//! - **Schemes.** https only for remote URLs outside `LOCAL_MODE`; configured URLs keep the rule
//!   their setting documents (checked where the setting is read).
//! - **Redirects.** None by default (a 3xx is an answer like any other). A caller that needs
//!   them ([`Redirects::HttpsOnly`], list downloads) follows at most [`MAX_REDIRECTS`], each to an
//!   https URL (in every mode: a redirect never leaves https, nor goes to plain http in
//!   `LOCAL_MODE`), each checked like the first URL.
//! - **No proxy** from the environment (it would resolve names itself, around the check), a
//!   connect timeout and a total timeout.
//! - **Kept-alive connections are dropped after [`POOL_IDLE_TIMEOUT`] idle**, before the usual
//!   server keep-alive of 5 s (actix, Node.js, Apache) closes them: reusing a connection the
//!   server is closing at that moment fails the request (the soak of 2026-12-08 saw it against a
//!   Horizon stand-in, as 503s after load bursts).
//! - **Bounded answers.** [`read_capped`] reads a body up to a cap and stops as soon as it is
//!   passed.
//!
//! The inner `reqwest::Client` is not exposed: requests are made through
//! [`OutboundClient::get`] and [`OutboundClient::post`], which check the URL first.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

/// Most redirects followed with [`Redirects::HttpsOnly`].
pub const MAX_REDIRECTS: usize = 5;

/// How long an idle kept-alive connection stays in a client's pool: under the 5 s after which
/// common servers (actix, Node.js, Apache) close an idle connection, so a request never goes out
/// on a connection the server is closing.
pub const POOL_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(4);

/// Whether the framework may contact `ip` outside `LOCAL_MODE`: only globally routable unicast.
///
/// IPv4: not `0/8`, `10/8`, `100.64/10` (shared/CGNAT), `127/8`, `169.254/16`, `172.16/12`,
/// `192.0.0/24` (IETF), `192.0.2/24`, `198.51.100/24`, `203.0.113/24` (documentation),
/// `192.88.99/24` (6to4 relay), `192.168/16`, `198.18/15` (benchmarking), multicast `224/4`,
/// reserved `240/4` and broadcast.
///
/// IPv6: an IPv4-mapped address (`::ffff:a.b.c.d`) and a NAT64 well-known-prefix address
/// (`64:ff9b::a.b.c.d`) are classified by the IPv4 address they carry, 6to4 (`2002::/16`) by its
/// embedded IPv4 address; otherwise only global unicast `2000::/3` is public, minus `2001::/23`
/// (IETF assignments: Teredo `2001::/32`, benchmarking `2001:2::/48`, ORCHID and ORCHIDv2, …),
/// documentation `2001:db8::/32` and `3fff::/20`, and the returned 6bone `3ffe::/16`. Everything
/// outside `2000::/3` is refused: unspecified, loopback, IPv4-compatible `::a.b.c.d`, SIIT
/// `::ffff:0:a.b.c.d`, local-use NAT64 `64:ff9b:1::/48`, discard `100::/64`, ULA `fc00::/7`,
/// link-local `fe80::/10`, site-local `fec0::/10`, multicast `ff00::/8`.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0 // "this network"
        || a == 10 // private
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || a == 127 // loopback
        || (a == 169 && b == 254) // link-local
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation TEST-NET-1
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast (deprecated)
        || (a == 192 && b == 168) // private
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // documentation TEST-NET-3
        || a >= 224) // multicast 224/4, reserved 240/4, broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    // NAT64 well-known prefix 64:ff9b::/96: the gateway connects to the embedded IPv4 address.
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return is_public_v4(embedded_v4(s[6], s[7]));
    }
    // Only global unicast 2000::/3 is routable at all.
    if s[0] & 0xe000 != 0x2000 {
        return false;
    }
    // 6to4 2002::/16 carries the IPv4 address it is relayed to.
    if s[0] == 0x2002 {
        return is_public_v4(embedded_v4(s[1], s[2]));
    }
    let ietf = s[0] == 0x2001 && s[1] < 0x0200; // 2001::/23: Teredo, benchmarking, ORCHID, …
    let documentation = (s[0] == 0x2001 && s[1] == 0x0db8) || (s[0] == 0x3fff && s[1] < 0x1000);
    let six_bone = s[0] == 0x3ffe; // returned
    !(ietf || documentation || six_bone)
}

fn embedded_v4(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

/// Who chose the URL, which decides the address rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// The URL comes from outside (another institution's stellar.toml, a wallet's SEP-12 callback
    /// URL, a list server's redirect): https and public addresses only outside `LOCAL_MODE`.
    Remote,
    /// The URL is the operator's own configuration (the AML webhook, the SDF compliance-server
    /// callbacks): any address and http or https; the setting's own validation decides the scheme.
    Configured,
}

/// Which redirects a client follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    /// None: a 3xx answer is returned to the caller as it is.
    Refuse,
    /// At most [`MAX_REDIRECTS`], each to an https URL (in every mode) that passes the client's
    /// address rule.
    HttpsOnly,
}

/// Why an outbound request was refused or failed before an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutboundError {
    /// The URL could not be parsed.
    #[error("is not an absolute URL")]
    InvalidUrl,
    /// The scheme is not allowed (https outside `LOCAL_MODE`; http or https for configured URLs).
    #[error("must use https")]
    NotHttps,
    /// The URL has no host.
    #[error("has no host")]
    NoHost,
    /// The host is, or resolves to, a private, loopback or otherwise non-public address.
    #[error("points to a private, loopback or otherwise non-public address")]
    NotPublic,
    /// The host name could not be resolved.
    #[error("has a host that could not be resolved")]
    Unresolvable,
    /// A redirect that the client's rule does not allow.
    #[error("redirected {0}")]
    Redirect(String),
    /// The client could not be built.
    #[error("cannot build an HTTP client: {0}")]
    Build(String),
}

/// Checks `url` against the address rule without any DNS lookup: the scheme, the presence of a
/// host, and (for [`Trust::Remote`] outside `LOCAL_MODE`) an IP-literal host, which must be
/// public. Host names are checked at resolution by the client, or by [`check_resolved`].
pub fn check_url(url: &Url, local_mode: bool, trust: Trust) -> Result<(), OutboundError> {
    let strict = trust == Trust::Remote && !local_mode;
    match url.scheme() {
        "https" => {}
        "http" if !strict => {}
        _ => return Err(OutboundError::NotHttps),
    }
    let ip = match url.host() {
        None => return Err(OutboundError::NoHost),
        Some(Host::Domain("")) => return Err(OutboundError::NoHost),
        Some(Host::Domain(_)) => return Ok(()),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
    };
    if strict && !is_public(ip) {
        return Err(OutboundError::NotPublic);
    }
    Ok(())
}

/// [`check_url`], then (for [`Trust::Remote`] outside `LOCAL_MODE`) resolves a host name and
/// refuses it unless every address is public: for checking a URL when it is registered (SEP-12
/// callbacks), so the registering client hears about it. The client checks again at every
/// connection.
pub async fn check_resolved(url: &Url, local_mode: bool, trust: Trust) -> Result<(), OutboundError> {
    check_url(url, local_mode, trust)?;
    if trust != Trust::Remote || local_mode {
        return Ok(());
    }
    if let Some(Host::Domain(domain)) = url.host() {
        let port = url.port_or_known_default().unwrap_or(443);
        let addresses: Vec<SocketAddr> =
            tokio::net::lookup_host((domain, port)).await.map_err(|_| OutboundError::Unresolvable)?.collect();
        if addresses.is_empty() {
            return Err(OutboundError::Unresolvable);
        }
        if addresses.iter().any(|address| !is_public(address.ip())) {
            return Err(OutboundError::NotPublic);
        }
    }
    Ok(())
}

/// A DNS resolver for reqwest that fails when any address of a name is not public, and hands
/// the connector exactly the addresses it checked.
#[derive(Debug, Clone, Copy)]
struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err("the domain has no address".into());
            }
            if addrs.iter().any(|addr| !is_public(addr.ip())) {
                return Err(Box::new(OutboundError::NotPublic) as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Builds the framework's outbound client: [`OutboundBuilder::new`], optional settings, then
/// [`OutboundBuilder::build`].
#[derive(Debug, Clone)]
pub struct OutboundBuilder {
    local_mode: bool,
    trust: Trust,
    timeout: Duration,
    connect_timeout: Duration,
    redirects: Redirects,
    user_agent: String,
}

impl OutboundBuilder {
    /// A client for URLs of `trust`, each request limited to `timeout` (connecting too), no
    /// redirects.
    pub fn new(local_mode: bool, trust: Trust, timeout: Duration, user_agent: &str) -> Self {
        OutboundBuilder {
            local_mode,
            trust,
            timeout,
            connect_timeout: timeout,
            redirects: Redirects::Refuse,
            user_agent: user_agent.to_string(),
        }
    }

    /// A shorter limit for connecting than for the whole request.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Which redirects to follow.
    pub fn redirects(mut self, redirects: Redirects) -> Self {
        self.redirects = redirects;
        self
    }

    /// The client.
    pub fn build(self) -> Result<OutboundClient, OutboundError> {
        let rule = Rule { local_mode: self.local_mode, trust: self.trust };
        let redirect = match self.redirects {
            Redirects::Refuse => reqwest::redirect::Policy::none(),
            Redirects::HttpsOnly => reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > MAX_REDIRECTS {
                    return attempt
                        .error(OutboundError::Redirect(format!("more than {MAX_REDIRECTS} times")));
                }
                if attempt.url().scheme() != "https" {
                    return attempt.error(OutboundError::Redirect("off https".into()));
                }
                match check_url(attempt.url(), rule.local_mode, rule.trust) {
                    Ok(()) => attempt.follow(),
                    Err(err) => attempt.error(OutboundError::Redirect(format!("to a URL that {err}"))),
                }
            }),
        };
        // A proxy from the environment would resolve names itself, around the public-address
        // check (and would see configured receivers' traffic): always connect directly.
        let mut builder = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .redirect(redirect)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .no_proxy()
            .user_agent(self.user_agent);
        if rule.strict() {
            builder = builder.dns_resolver(Arc::new(PublicOnlyResolver)).https_only(true);
        }
        let client = builder.build().map_err(|err| OutboundError::Build(err.to_string()))?;
        Ok(OutboundClient { client, rule })
    }
}

#[derive(Debug, Clone, Copy)]
struct Rule {
    local_mode: bool,
    trust: Trust,
}

impl Rule {
    fn strict(self) -> bool {
        self.trust == Trust::Remote && !self.local_mode
    }
}

/// The framework's outbound HTTP client (see the module documentation). Cheap to clone.
#[derive(Debug, Clone)]
pub struct OutboundClient {
    client: reqwest::Client,
    rule: Rule,
}

impl OutboundClient {
    /// Checks `url` against this client's rule ([`check_url`]) without sending anything.
    pub fn check(&self, url: &Url) -> Result<(), OutboundError> {
        check_url(url, self.rule.local_mode, self.rule.trust)
    }

    /// A GET of `url`, refused before any connection when the URL breaks the rule.
    pub fn get(&self, url: &str) -> Result<reqwest::RequestBuilder, OutboundError> {
        let url = self.checked(url)?;
        Ok(self.client.get(url))
    }

    /// A POST to `url`, refused before any connection when the URL breaks the rule.
    pub fn post(&self, url: &str) -> Result<reqwest::RequestBuilder, OutboundError> {
        let url = self.checked(url)?;
        Ok(self.client.post(url))
    }

    fn checked(&self, url: &str) -> Result<Url, OutboundError> {
        let url = Url::parse(url).map_err(|_| OutboundError::InvalidUrl)?;
        self.check(&url)?;
        Ok(url)
    }
}

/// Why a response body could not be read in full.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The body is larger than the cap (bytes).
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    /// The timeout passed while reading.
    #[error("the request timed out")]
    TimedOut,
    /// The connection failed while reading.
    #[error("the answer could not be read")]
    Unreadable,
}

/// Reads `response`'s body up to `max` bytes; a larger one is refused as soon as its
/// `Content-Length` or the bytes received pass the cap, without reading the rest.
pub async fn read_capped(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|length| length > max as u64) {
        return Err(BodyError::TooLarge(max));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|err| {
        if err.is_timeout() {
            BodyError::TimedOut
        } else {
            BodyError::Unreadable
        }
    })? {
        if body.len().saturating_add(chunk.len()) > max {
            return Err(BodyError::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A short description of a failed request for logs and callers, naming a refused redirect or a
/// refused address; never the URL.
pub fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "the request timed out".into();
    }
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<OutboundError>() {
            return format!("refused: {refused}");
        }
        source = cause.source();
    }
    if err.is_redirect() {
        return "refused a redirect".into();
    }
    if err.is_connect() {
        return "could not connect".into();
    }
    // The innermost cause (an I/O or HTTP protocol error) says what happened without the URL,
    // which only the outer `reqwest::Error` prints.
    let mut innermost = std::error::Error::source(err);
    while let Some(cause) = innermost.and_then(std::error::Error::source) {
        innermost = Some(cause);
    }
    match innermost {
        Some(cause) => format!("the request failed: {cause}"),
        None => "the request failed".into(),
    }
}

#[cfg(test)]
mod tests;
