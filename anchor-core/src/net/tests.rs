//! The outbound client's address checks: every special-purpose IPv4 and IPv6 range is classified,
//! IP-literal URLs are classified before any connection, and a remote address on loopback (literal
//! or resolved) is never connected to, while `LOCAL_MODE` and configured URLs may reach loopback.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use super::*;

/// Every special-purpose range, with an address inside it and (where it matters) just outside.
const ADDRESSES: &[(&str, bool)] = &[
    // IPv4
    ("0.0.0.0", false),
    ("0.1.2.3", false),
    ("10.0.0.5", false),
    ("10.255.255.255", false),
    ("100.63.255.255", true),
    ("100.64.0.1", false),
    ("100.127.255.255", false),
    ("100.128.0.0", true),
    ("127.0.0.1", false),
    ("127.255.255.254", false),
    ("169.254.169.254", false),
    ("172.15.255.255", true),
    ("172.16.0.1", false),
    ("172.31.255.255", false),
    ("172.32.0.0", true),
    ("192.0.0.1", false),
    ("192.0.0.9", false),
    ("192.0.2.1", false),
    ("192.88.99.1", false),
    ("192.168.1.1", false),
    ("198.17.255.255", true),
    ("198.18.0.1", false),
    ("198.19.255.255", false),
    ("198.20.0.0", true),
    ("198.51.100.7", false),
    ("203.0.113.9", false),
    ("224.0.0.1", false),
    ("239.255.255.250", false),
    ("240.0.0.1", false),
    ("255.255.255.255", false),
    ("1.1.1.1", true),
    ("8.8.8.8", true),
    ("93.184.216.34", true),
    // IPv6: unspecified, loopback, IPv4-mapped, IPv4-compatible, SIIT
    ("::", false),
    ("::1", false),
    ("::ffff:127.0.0.1", false),
    ("::ffff:10.0.0.5", false),
    ("::ffff:169.254.169.254", false),
    ("::ffff:8.8.8.8", true),
    ("::10.0.0.5", false),
    ("::8.8.8.8", false),
    ("::127.0.0.1", false),
    ("::ffff:0:10.0.0.5", false),
    ("::ffff:0:8.8.8.8", false),
    // NAT64: the well-known prefix by its embedded address, local-use NAT64 never
    ("64:ff9b::7f00:1", false),
    ("64:ff9b::10.0.0.5", false),
    ("64:ff9b::8.8.8.8", true),
    ("64:ff9b:1::8.8.8.8", false),
    ("64:ff9b:1::10.0.0.5", false),
    // discard-only, multicast, link-local, site-local, unique local
    ("100::1", false),
    ("100::ffff:ffff:ffff:ffff", false),
    ("ff02::1", false),
    ("ff0e::1", false),
    ("fe80::1", false),
    ("febf::1", false),
    ("fec0::1", false),
    ("fc00::1", false),
    ("fd00::1", false),
    // 6to4 by its embedded address
    ("2002:a00:5::1", false),
    ("2002:7f00:1::1", false),
    ("2002:c0a8:101::1", false),
    ("2002:808:808::1", true),
    // IETF assignments 2001::/23: Teredo, benchmarking, ORCHID, ORCHIDv2
    ("2001::1", false),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", false),
    ("2001:2::1", false),
    ("2001:10::1", false),
    ("2001:20::1", false),
    ("2001:1ff::1", false),
    ("2001:200::1", true),
    // documentation, 6bone
    ("2001:db8::1", false),
    ("2001:db8:ffff::1", false),
    ("3fff::1", false),
    ("3fff:fff::1", false),
    ("3fff:1000::1", true),
    ("3ffe::1", false),
    // outside 2000::/3 (reserved, SRv6 SIDs)
    ("4000::1", false),
    ("5f00::1", false),
    ("1234::1", false),
    // global unicast
    ("2606:4700:4700::1111", true),
    ("2a00:1450:4001:80b::200e", true),
    ("2620:fe::fe", true),
];

#[test]
fn every_special_purpose_range_is_classified() {
    let mut wrong = Vec::new();
    for &(address, expected) in ADDRESSES {
        let ip: IpAddr = address.parse().unwrap_or_else(|_| panic!("{address} is not an address"));
        if is_public(ip) != expected {
            wrong.push(format!("{address}: expected public = {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn ip_literal_urls_are_classified_before_any_connection() {
    let check =
        |url: &str, local_mode: bool, trust: Trust| check_url(&Url::parse(url).unwrap(), local_mode, trust);
    for inward in [
        "https://10.0.0.5/",
        "https://127.0.0.1:8443/",
        "https://[::1]:8443/",
        "https://[fd00::1]/",
        "https://[::ffff:10.0.0.5]/",
        "https://[::a00:5]/",
        "https://[64:ff9b::a00:5]/",
        "https://[2002:a00:5::1]/",
        "https://0x7f.1/",
        "https://2130706433/",
        "https://169.254.169.254/latest/meta-data/",
    ] {
        assert_eq!(check(inward, false, Trust::Remote), Err(OutboundError::NotPublic), "{inward}");
        assert_eq!(check(inward, true, Trust::Remote), Ok(()), "{inward}: LOCAL_MODE allows it");
        assert_eq!(
            check(inward, false, Trust::Configured),
            Ok(()),
            "{inward}: configured URLs may be internal"
        );
    }
    assert_eq!(check("https://8.8.8.8/", false, Trust::Remote), Ok(()));
    assert_eq!(check("https://wallet.example/", false, Trust::Remote), Ok(()));
    assert_eq!(check("http://wallet.example/", false, Trust::Remote), Err(OutboundError::NotHttps));
    assert_eq!(check("http://wallet.example/", true, Trust::Remote), Ok(()));
    assert_eq!(check("http://10.0.0.5/", false, Trust::Configured), Ok(()));
    assert_eq!(check("ftp://wallet.example/", true, Trust::Configured), Err(OutboundError::NotHttps));
    assert_eq!(check("file:///etc/passwd", true, Trust::Remote), Err(OutboundError::NotHttps));
}

/// A plain TCP listener on a loopback address that records the peer of every connection it
/// accepts.
struct CountingListener {
    port: u16,
    ip: IpAddr,
    accepted: Arc<std::sync::Mutex<Vec<SocketAddr>>>,
}

impl CountingListener {
    async fn start(ip: IpAddr) -> Option<Self> {
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.ok()?;
        let port = listener.local_addr().ok()?.port();
        let accepted = Arc::new(std::sync::Mutex::new(Vec::new()));
        let peers = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((stream, peer)) = listener.accept().await {
                peers.lock().unwrap().push(peer);
                drop(stream);
            }
        });
        Some(CountingListener { port, ip, accepted })
    }

    /// Connects once itself and waits until that connection is accepted: connections are
    /// accepted in order, so every connection made before it has been counted by then.
    async fn connections_before_probe(&self) -> usize {
        let probe = tokio::net::TcpStream::connect((self.ip, self.port)).await.unwrap();
        let me = probe.local_addr().unwrap();
        loop {
            if let Some(position) = self.accepted.lock().unwrap().iter().position(|peer| *peer == me) {
                return position;
            }
            tokio::task::yield_now().await;
        }
    }
}

#[actix_web::test]
async fn a_remote_auth_server_on_a_loopback_ip_literal_is_never_connected_to() {
    let client = OutboundBuilder::new(false, Trust::Remote, Duration::from_secs(5), "test").build().unwrap();
    let mut tried = 0;
    for ip in [IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)] {
        let Some(listener) = CountingListener::start(ip).await else {
            println!("SKIPPED for {ip}: cannot listen on it here");
            continue;
        };
        tried += 1;
        let url = match ip {
            IpAddr::V4(_) => format!("https://{ip}:{}/", listener.port),
            IpAddr::V6(_) => format!("https://[{ip}]:{}/", listener.port),
        };
        assert_eq!(client.post(&url).err(), Some(OutboundError::NotPublic), "{url}");
        assert_eq!(client.get(&url).err(), Some(OutboundError::NotPublic), "{url}");
        assert_eq!(listener.connections_before_probe().await, 0, "{url} was connected to");
    }
    assert!(tried > 0, "no loopback address to listen on");
}

#[actix_web::test]
async fn a_remote_host_name_resolving_to_loopback_is_never_connected_to() {
    let listener = CountingListener::start(IpAddr::V4(Ipv4Addr::LOCALHOST)).await.unwrap();
    let client = OutboundBuilder::new(false, Trust::Remote, Duration::from_secs(5), "test").build().unwrap();
    let url = format!("https://localhost:{}/", listener.port);
    let err = client.get(&url).unwrap().send().await.unwrap_err();
    assert_eq!(describe(&err), "refused: points to a private, loopback or otherwise non-public address");
    assert_eq!(listener.connections_before_probe().await, 0);
}

#[actix_web::test]
async fn in_local_mode_and_for_configured_urls_loopback_is_reached() {
    let listener = CountingListener::start(IpAddr::V4(Ipv4Addr::LOCALHOST)).await.unwrap();
    let url = format!("http://127.0.0.1:{}/", listener.port);
    for (local_mode, trust) in [(true, Trust::Remote), (false, Trust::Configured)] {
        let client = OutboundBuilder::new(local_mode, trust, Duration::from_secs(5), "test").build().unwrap();
        // The listener closes at once: the request fails, but it was made.
        assert!(client.get(&url).unwrap().send().await.is_err());
    }
    assert_eq!(listener.connections_before_probe().await, 2);
}
