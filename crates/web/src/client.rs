//! Who is asking: the client's address, for rate limits, the login lock-out, `/metrics` and
//! the log.
//!
//! The address is the socket peer (`axum::serve` records it when the app is served with
//! `into_make_service_with_connect_info::<SocketAddr>()`). When the peer is one of the
//! configured `trusted_proxies`, the last hop of `X-Forwarded-For` (the address that proxy
//! saw) is taken instead; a header sent by anyone else is ignored, so a client cannot choose
//! its own address. Without a recorded peer (requests built in-process) the address is
//! unknown.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};
use ipnet::IpNet;

/// The socket peer, if the server recorded it.
pub fn peer(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| canonical(addr.ip()))
}

/// The client's address, as explained in the module's documentation.
pub fn address(
    extensions: &Extensions,
    headers: &HeaderMap,
    trusted_proxies: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer(extensions)?;
    if !trusted_proxies.iter().any(|net| net.contains(&peer)) {
        return Some(peer);
    }
    Some(last_forwarded_hop(headers).unwrap_or(peer))
}

/// Whether the request came through a proxy: it names a forwarded client.
pub fn forwarded(headers: &HeaderMap) -> bool {
    headers.contains_key("x-forwarded-for") || headers.contains_key("forwarded")
}

/// The last (right-most) address of the last `X-Forwarded-For` header.
fn last_forwarded_hop(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    let hop = last.to_str().ok()?.rsplit(',').next()?.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical)
}

/// IPv4 addresses seen through an IPv6 socket (`::ffff:a.b.c.d`) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn from(peer: &str, xff: &[&str], trusted: &[&str]) -> Option<IpAddr> {
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        let mut headers = HeaderMap::new();
        for v in xff {
            headers.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        let trusted: Vec<IpNet> = trusted.iter().map(|t| t.parse().unwrap()).collect();
        address(&extensions, &headers, &trusted)
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(
            from("203.0.113.9:5000", &["1.2.3.4"], &[]),
            ip("203.0.113.9")
        );
        assert_eq!(
            from("10.0.0.2:5000", &["1.2.3.4, 198.51.100.7"], &["10.0.0.0/8"]),
            ip("198.51.100.7"),
            "the last hop: the one the proxy saw"
        );
        assert_eq!(
            from(
                "10.0.0.2:5000",
                &["1.2.3.4", "198.51.100.8"],
                &["10.0.0.0/8"]
            ),
            ip("198.51.100.8")
        );
        assert_eq!(from("10.0.0.2:5000", &[], &["10.0.0.0/8"]), ip("10.0.0.2"));
        assert_eq!(
            from("10.0.0.2:5000", &["garbage"], &["10.0.0.0/8"]),
            ip("10.0.0.2")
        );
        assert_eq!(from("[::ffff:127.0.0.1]:80", &[], &[]), ip("127.0.0.1"));
        assert_eq!(
            address(&Extensions::new(), &HeaderMap::new(), &[]),
            None,
            "no peer recorded"
        );
    }
}
