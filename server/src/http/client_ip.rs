//! Who is on the other end: the peer's address, or, when the peer is one of our trusted
//! proxies, the client address it reports in `X-Forwarded-For`. Only then: anyone can send
//! that header, and believing it from anyone would let a client choose the address its limits
//! are counted under.
//!
//! Limits count an IPv6 client by its /64 (what one subscriber is usually given), an IPv4
//! client by its address ([`limit_key`]).

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

/// The client's address, in the request's extensions; `None` only where the server was not
/// started with peers' addresses (in-process routers without a socket).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Addresses (`10.1.2.3`) or blocks (`10.0.0.0/8`, `fd00::/8`).
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{entry:?} is neither an address nor a CIDR block"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client: the peer itself unless it is trusted; then, reading `X-Forwarded-For`
    /// from the right (the hop nearest us), the first address that is not a trusted proxy.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let peer = peer.to_canonical();
        let Some(hops) = forwarded_for.filter(|_| self.trusts(peer)) else {
            return peer;
        };
        let mut client = peer;
        for hop in hops.rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip.to_canonical();
                    if !self.trusts(client) {
                        break;
                    }
                }
                // Garbage from further away: the last address a trusted hop vouched for.
                Err(_) => break,
            }
        }
        client
    }
}

/// Puts the [`ClientIp`] in the request.
pub async fn attach(
    State(trusted): State<Arc<TrustedProxies>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let forwarded: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let forwarded = (!forwarded.is_empty()).then(|| forwarded.join(","));
    let client = peer.map(|peer| trusted.client(peer, forwarded.as_deref()));
    request.extensions_mut().insert(ClientIp(client));
    next.run(request).await
}

/// What limits count a client under: an IPv4 address, or an IPv6 address's /64.
pub fn limit_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            let prefix = Ipv6Addr::new(
                segments[0],
                segments[1],
                segments[2],
                segments[3],
                0,
                0,
                0,
                0,
            );
            format!("{prefix}/64")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted =
            TrustedProxies::parse(&["10.0.0.0/8".into(), "192.0.2.1".into()]).expect("valid");
        // An untrusted peer: its header is ignored.
        assert_eq!(
            trusted.client(ip("203.0.113.9"), Some("198.51.100.1")),
            ip("203.0.113.9")
        );
        // A trusted peer: the nearest untrusted hop, however many proxies came between.
        assert_eq!(
            trusted.client(ip("10.1.1.1"), Some("198.51.100.1, 192.0.2.1, 10.2.2.2")),
            ip("198.51.100.1")
        );
        // A client cannot hide behind a spoofed left-most entry.
        assert_eq!(
            trusted.client(ip("10.1.1.1"), Some("1.2.3.4, 198.51.100.7")),
            ip("198.51.100.7")
        );
        // Garbage stops the walk at what a trusted hop vouched for.
        assert_eq!(
            trusted.client(ip("10.1.1.1"), Some("198.51.100.7, nonsense")),
            ip("10.1.1.1")
        );
        // No header: the proxy itself.
        assert_eq!(trusted.client(ip("10.1.1.1"), None), ip("10.1.1.1"));
        // IPv4 clients reaching an IPv6 socket are counted as IPv4.
        assert_eq!(
            trusted.client(ip("::ffff:203.0.113.9"), None),
            ip("203.0.113.9")
        );
        assert!(TrustedProxies::parse(&["proxy.local".into()]).is_err());
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        assert_eq!(limit_key(ip("203.0.113.9")), "203.0.113.9");
        assert_eq!(
            limit_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            limit_key(ip("2001:db8:1:2::1"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1"))
        );
    }
}
