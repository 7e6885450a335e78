//! The rate limiter: the rate syntax, a burst then the average rate, whole-second `Retry-After`,
//! addresses counted apart (IPv6 by its /64), bounded memory under a flood, expired addresses
//! forgotten before throttled ones, and the client address taken from forwarding headers only
//! behind `TRUSTED_PROXIES`.

#![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn limiter(rate: &str, capacity: usize) -> RateLimiter {
    RateLimiter::new(Rate::parse_setting(rate).unwrap(), capacity, Arc::from(Vec::new()))
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
    }
    map
}

fn ranges(list: &[&str]) -> Vec<AddressRange> {
    list.iter().map(|text| text.parse().unwrap()).collect()
}

#[test]
fn rates_parse_from_the_setting_syntax() {
    let rate = Rate::parse_setting("60/min burst 30").unwrap().unwrap();
    assert_eq!(rate, Rate { requests: 60, period: Duration::from_secs(60), burst: 30 });
    assert_eq!(rate.to_string(), "60/min burst 30");
    assert_eq!(Rate::parse_setting("10/s").unwrap().unwrap().burst, 10);
    assert_eq!(Rate::parse_setting(" 100/hour ").unwrap().unwrap().period, Duration::from_secs(3600));
    for off in ["off", "OFF", "0", "0/min"] {
        assert_eq!(Rate::parse_setting(off).unwrap(), None, "{off}");
    }
    for bad in ["", "60", "60/day", "x/min", "60/min burst", "60/min burst 0", "60/min 30", "-1/min"] {
        assert!(Rate::parse_setting(bad).is_err(), "{bad} was accepted");
    }
    assert!(Rate::parse_setting("2000000/s").is_err());
}

#[test]
fn a_burst_is_accepted_then_the_average_rate() {
    let limiter = limiter("60/min burst 3", 100);
    let start = Instant::now();
    let client = ip("203.0.113.9");
    for _ in 0..3 {
        assert_eq!(limiter.check_at(client, start), Ok(()));
    }
    // The fourth must wait one interval (1 s).
    assert_eq!(limiter.check_at(client, start), Err(TooManyRequests { retry_after_secs: 1 }));
    // A refused request does not add to the debt.
    assert_eq!(limiter.check_at(client, start), Err(TooManyRequests { retry_after_secs: 1 }));
    assert_eq!(
        limiter.check_at(client, start + Duration::from_millis(999)).map_err(|e| e.retry_after_secs),
        Err(1)
    );
    assert_eq!(limiter.check_at(client, start + Duration::from_secs(1)), Ok(()));
    assert!(limiter.check_at(client, start + Duration::from_secs(1)).is_err());
    // After a quiet minute the whole burst is back.
    let later = start + Duration::from_secs(61);
    for _ in 0..3 {
        assert_eq!(limiter.check_at(client, later), Ok(()));
    }
    assert!(limiter.check_at(client, later).is_err());
}

#[test]
fn retry_after_is_whole_seconds_rounded_up() {
    let limiter = limiter("1/min burst 1", 100);
    let start = Instant::now();
    let client = ip("198.51.100.1");
    assert_eq!(limiter.check_at(client, start), Ok(()));
    assert_eq!(limiter.check_at(client, start), Err(TooManyRequests { retry_after_secs: 60 }));
    let almost = start + Duration::from_millis(59_500);
    assert_eq!(limiter.check_at(client, almost), Err(TooManyRequests { retry_after_secs: 1 }));
    let refusal = limiter.check_at(client, start + Duration::from_secs(30)).unwrap_err();
    assert_eq!(refusal.retry_after_secs, 30);
    assert_eq!(refusal.to_string(), "too many requests from this address; retry after 30 seconds");
}

#[test]
fn addresses_are_counted_apart_and_ipv6_by_its_64() {
    let limiter = limiter("1/min burst 1", 100);
    let now = Instant::now();
    assert!(limiter.check_at(ip("192.0.2.1"), now).is_ok());
    assert!(limiter.check_at(ip("192.0.2.1"), now).is_err());
    assert!(limiter.check_at(ip("192.0.2.2"), now).is_ok());
    // An IPv4-mapped IPv6 address is its IPv4 address.
    assert!(limiter.check_at(ip("::ffff:192.0.2.2"), now).is_err());
    // The same /64: one client.
    assert!(limiter.check_at(ip("2001:db8:1:2::1"), now).is_ok());
    assert!(limiter.check_at(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), now).is_err());
    // The next /64: another.
    assert!(limiter.check_at(ip("2001:db8:1:3::1"), now).is_ok());
}

#[test]
fn an_off_limiter_accepts_everything_and_tracks_nothing() {
    let off = RateLimiter::off();
    let now = Instant::now();
    for _ in 0..1000 {
        assert!(off.check_at(ip("192.0.2.1"), now).is_ok());
    }
    assert_eq!(off.tracked_addresses(), 0);
    assert_eq!(off.rate(), None);
    assert_eq!(limiter("off", 10).rate(), None);
}

#[test]
fn memory_stays_bounded_under_a_flood_of_addresses() {
    let limiter = limiter("1/min burst 1", 1000);
    let now = Instant::now();
    let victim = ip("192.0.2.200");
    assert!(limiter.check_at(victim, now).is_ok());
    for n in 0..50_000u32 {
        let address = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n));
        assert!(limiter.check_at(address, now + Duration::from_millis(u64::from(n))).is_ok());
        assert!(limiter.tracked_addresses() <= 1000);
    }
    assert!(limiter.tracked_addresses() > 800);
}

#[test]
fn expired_addresses_are_forgotten_before_throttled_ones() {
    let limiter = limiter("1/min burst 1", 10);
    let start = Instant::now();
    // Nine addresses whose buckets are full again a minute later...
    for n in 0..9u8 {
        assert!(limiter.check_at(IpAddr::from([192, 0, 2, n]), start).is_ok());
    }
    // ...and one throttled recently.
    let late = start + Duration::from_secs(59);
    let throttled = ip("198.51.100.7");
    assert!(limiter.check_at(throttled, late).is_ok());
    let next_minute = start + Duration::from_secs(61);
    assert!(limiter.check_at(ip("203.0.113.1"), next_minute).is_ok());
    assert_eq!(limiter.tracked_addresses(), 2);
    assert!(limiter.check_at(throttled, next_minute).is_err());
}

#[test]
fn address_ranges_parse_and_match() {
    let range: AddressRange = "10.1.2.3/8".parse().unwrap();
    assert_eq!(range.to_string(), "10.0.0.0/8");
    assert!(range.contains(ip("10.200.0.1")));
    assert!(range.contains(ip("::ffff:10.0.0.1")));
    assert!(!range.contains(ip("11.0.0.1")));
    let single: AddressRange = "192.0.2.7".parse().unwrap();
    assert!(single.contains(ip("192.0.2.7")) && !single.contains(ip("192.0.2.8")));
    let v6: AddressRange = "fd00::/8".parse().unwrap();
    assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")) && !v6.contains(ip("10.0.0.1")));
    let all: AddressRange = "0.0.0.0/0".parse().unwrap();
    assert!(all.contains(ip("8.8.8.8")));
    for bad in ["", "10.0.0.0/33", "fd00::/129", "example.com", "10.0.0.0/x"] {
        assert!(bad.parse::<AddressRange>().is_err(), "{bad}");
    }
}

#[test]
fn the_peer_is_the_client_unless_it_is_a_trusted_proxy() {
    let spoofed = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=5.6.7.8")]);
    let peer = Some(ip("203.0.113.5"));
    // No trusted proxies: headers are ignored.
    assert_eq!(client_address(peer, &spoofed, &[]), peer);
    // A peer that is not trusted: ignored too.
    assert_eq!(client_address(peer, &spoofed, &ranges(&["10.0.0.0/8"])), peer);
    assert_eq!(client_address(None, &spoofed, &[]), None);
}

#[test]
fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
    let trusted = ranges(&["10.0.0.0/8", "fd00::/8"]);
    let proxy = Some(ip("10.0.0.2"));
    // Forwarded wins over X-Forwarded-For; the client may prepend lies, which are skipped.
    let both = headers(&[
        ("x-forwarded-for", "9.9.9.9"),
        ("forwarded", "for=1.1.1.1, for=\"[2001:db8::5]:4711\";proto=https"),
        ("forwarded", "for=10.0.0.9;by=10.0.0.2"),
    ]);
    assert_eq!(client_address(proxy, &both, &trusted), Some(ip("2001:db8::5")));
    let xff = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.4:5000, 10.0.0.3")]);
    assert_eq!(client_address(proxy, &xff, &trusted), Some(ip("198.51.100.4")));
    // An unidentifiable hop: the nearest trusted proxy is the client.
    let unknown = headers(&[("forwarded", "for=unknown, for=10.0.0.3")]);
    assert_eq!(client_address(proxy, &unknown, &trusted), Some(ip("10.0.0.3")));
    // Only proxies: the leftmost.
    let only = headers(&[("x-forwarded-for", "10.0.0.7, 10.0.0.3")]);
    assert_eq!(client_address(proxy, &only, &trusted), Some(ip("10.0.0.7")));
    // No header: the proxy itself.
    assert_eq!(client_address(proxy, &HeaderMap::new(), &trusted), proxy);
}
