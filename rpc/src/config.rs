//! The RPC server's settings, checked before anything is written: `-server`, `-rpcport`
//! (Core's default per network), `-rpcbind`/`-rpcallowip` (loopback unless both are given),
//! the authentication options and the worker limits.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use common::{ArgsError, Chain, Settings};

use crate::auth::{AuthEntry, CookiePerms};

/// Core's `-rpcport` default for `chain`.
pub fn default_port(chain: Chain) -> u16 {
    chain.default_rpc_port()
}

/// An IP network (Core's `CSubNet`): an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    network: IpAddr,
    prefix: u8,
}

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

fn mask(prefix: u8, width: u8) -> u128 {
    let all = if width == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    match u32::from(width - prefix) {
        0 => all,
        shift if shift >= 128 => 0,
        shift => all & !((1u128 << shift) - 1),
    }
}

impl Subnet {
    /// Parses `1.2.3.4`, `1.2.3.4/24`, `1.2.3.4/255.255.255.0`, `::1`, `fd00::/8`.
    pub fn parse(text: &str) -> Option<Subnet> {
        let (ip, suffix) = match text.split_once('/') {
            Some((ip, suffix)) => (ip, Some(suffix)),
            None => (text, None),
        };
        let network: IpAddr = ip.parse().ok()?;
        let network = network.to_canonical();
        let (_, width) = bits(network);
        let prefix = match suffix {
            None => width,
            Some(s) if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() => {
                s.parse::<u8>().ok().filter(|p| *p <= width)?
            }
            Some(s) => {
                let netmask: IpAddr = s.parse().ok()?;
                let (m, mask_width) = bits(netmask);
                if mask_width != width {
                    return None;
                }
                let ones = u8::try_from((m << (128 - u32::from(width))).leading_ones()).ok()?;
                (mask(ones, width) == m).then_some(ones)?
            }
        };
        Some(Subnet { network, prefix })
    }

    /// Whether `ip` (IPv4-mapped IPv6 counts as IPv4) is in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (net, width) = bits(self.network);
        let (addr, addr_width) = bits(ip.to_canonical());
        width == addr_width && (net ^ addr) & mask(self.prefix, width) == 0
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// Who may connect: 127.0.0.0/8 and ::1 always (as in Core), plus `-rpcallowip`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList(Vec<Subnet>);

impl AllowList {
    /// Exactly `subnets` (no implicit loopback; see [`AllowList::loopback_and`]).
    pub fn new(subnets: Vec<Subnet>) -> AllowList {
        AllowList(subnets)
    }

    /// Loopback plus `subnets`.
    pub fn loopback_and(subnets: Vec<Subnet>) -> AllowList {
        let mut all = vec![
            Subnet {
                network: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)),
                prefix: 8,
            },
            Subnet {
                network: IpAddr::V6(Ipv6Addr::LOCALHOST),
                prefix: 128,
            },
        ];
        all.extend(subnets);
        AllowList(all)
    }

    /// Whether a client at `ip` may connect.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|s| s.contains(ip))
    }

    /// The networks.
    pub fn subnets(&self) -> &[Subnet] {
        &self.0
    }
}

/// The RPC server's checked settings.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// `-server`: whether to run the HTTP server at all.
    pub enabled: bool,
    /// Addresses to listen on.
    pub endpoints: Vec<SocketAddr>,
    /// Whether `-rpcport` or `-rpcbind` chose them (then failing to bind is fatal; with
    /// the defaults it is a warning, so that several nodes can run side by side).
    pub endpoints_explicit: bool,
    /// Who may connect.
    pub allow: AllowList,
    /// The cookie file to generate, unless `-rpcpassword` or `-norpccookiefile`.
    pub cookie: Option<(PathBuf, CookiePerms)>,
    /// `-rpcuser`/`-rpcpassword`.
    pub user_password: Option<(String, String)>,
    /// `-rpcauth` entries.
    pub rpcauth: Vec<AuthEntry>,
    /// `-rpcthreads`: handlers running at once.
    pub threads: usize,
    /// `-rpcworkqueue`: requests waiting for a handler thread before 503.
    pub work_queue: usize,
    /// `-rpcservertimeout`.
    pub server_timeout: Duration,
    /// Warnings to log once logging is up.
    pub warnings: Vec<String>,
}

fn bad(option: &str, value: &str, reason: &str) -> ArgsError {
    ArgsError::BadValue {
        option: option.into(),
        value: value.into(),
        reason: reason.into(),
    }
}

fn number<T: std::str::FromStr>(
    settings: &Settings,
    name: &str,
    default: T,
) -> Result<T, ArgsError> {
    match settings.get(name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| bad(name, v, "expected a number")),
    }
}

/// Core's `SplitHostPort` for `-rpcbind`: `host`, `host:port`, `[v6]`, `[v6]:port`, `v6`.
fn parse_bind(value: &str, default_port: u16) -> Result<SocketAddr, ArgsError> {
    let invalid = |why: &str| bad("rpcbind", value, why);
    let (host, port) = if let Some(rest) = value.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(|| invalid("missing ']'"))?;
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return Err(invalid("unexpected text after ']'")),
        }
    } else if value.matches(':').count() == 1 {
        let (host, port) = value.split_once(':').unwrap_or((value, ""));
        (host, Some(port))
    } else {
        (value, None)
    };
    let port = match port {
        None => default_port,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| invalid("Invalid port specified"))?,
    };
    let ip: IpAddr = host
        .parse()
        .map_err(|_| invalid("expected an IP address, optionally with :port"))?;
    Ok(SocketAddr::new(ip, port))
}

impl RpcConfig {
    /// Reads and checks the RPC settings.
    pub fn from_settings(settings: &Settings) -> Result<RpcConfig, ArgsError> {
        let mut warnings = Vec::new();
        let port = match settings.get("rpcport") {
            None => default_port(settings.chain()),
            Some(v) => v
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad("rpcport", v, "Invalid port specified in -rpcport"))?,
        };
        let mut allowed = Vec::new();
        for value in settings.get_list("rpcallowip") {
            allowed.push(Subnet::parse(&value).ok_or_else(|| {
                bad("rpcallowip", &value, "Invalid -rpcallowip subnet specification. Valid values are a single IP (e.g. 1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0), a network/CIDR (e.g. 1.2.3.4/24), all ipv4 (0.0.0.0/0), or all ipv6 (::/0)")
            })?);
        }
        let binds = settings.get_list("rpcbind");
        let endpoints = if allowed.is_empty() || binds.is_empty() {
            if !allowed.is_empty() {
                warnings.push("Option -rpcallowip was specified without -rpcbind; this doesn't usually make sense".to_string());
            }
            if !binds.is_empty() {
                warnings.push("Option -rpcbind was ignored because -rpcallowip was not specified, refusing to allow everyone to connect".to_string());
            }
            vec![
                SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            ]
        } else {
            binds
                .iter()
                .map(|b| parse_bind(b, port))
                .collect::<Result<_, _>>()?
        };
        let password = settings.get("rpcpassword").filter(|p| !p.is_empty());
        let cookie = match settings.get("rpccookiefile") {
            _ if password.is_some() => None,
            _ if settings.is_negated("rpccookiefile") => None,
            Some("") => None,
            file => {
                let perms = match settings.get("rpccookieperms") {
                    None => CookiePerms::Owner,
                    Some(p) => CookiePerms::parse(p).ok_or_else(|| {
                        bad(
                            "rpccookieperms",
                            p,
                            "must be one of 'owner', 'group', or 'all'",
                        )
                    })?,
                };
                Some((settings.net_dir().join(file.unwrap_or(".cookie")), perms))
            }
        };
        let mut rpcauth = Vec::new();
        for value in settings.get_list("rpcauth") {
            rpcauth.push(AuthEntry::parse_rpcauth(&value).ok_or_else(|| {
                bad(
                    "rpcauth",
                    "<hidden>",
                    "Invalid -rpcauth argument, expected <USERNAME>:<SALT>$<HASH>",
                )
            })?);
        }
        Ok(RpcConfig {
            enabled: settings.get_bool("server", true)?,
            endpoints,
            endpoints_explicit: settings.is_set("rpcport") || !binds.is_empty(),
            allow: AllowList::loopback_and(allowed),
            cookie,
            user_password: password.map(|p| {
                (
                    settings.get("rpcuser").unwrap_or_default().to_string(),
                    p.to_string(),
                )
            }),
            rpcauth,
            threads: number(settings, "rpcthreads", 16usize)?.max(1),
            work_queue: number(settings, "rpcworkqueue", 64usize)?.max(1),
            server_timeout: Duration::from_secs(number(settings, "rpcservertimeout", 30u64)?),
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn subnets_parse_and_match_like_core() {
        let net = Subnet::parse("10.0.0.1/32").expect("cidr");
        assert!(net.contains(ip("10.0.0.1")) && !net.contains(ip("10.0.0.2")));
        let net = Subnet::parse("192.168.1.0/255.255.255.0").expect("netmask");
        assert!(net.contains(ip("192.168.1.77")) && !net.contains(ip("192.168.2.1")));
        assert!(
            net.contains(ip("::ffff:192.168.1.5")),
            "IPv4-mapped counts as IPv4"
        );
        let all = Subnet::parse("0.0.0.0/0").expect("all v4");
        assert!(all.contains(ip("8.8.8.8")) && !all.contains(ip("::2")));
        assert!(Subnet::parse("fe80::/ffff::")
            .expect("v6 netmask")
            .contains(ip("fe80::1")));
        assert!(Subnet::parse("::/0")
            .expect("all v6")
            .contains(ip("fe80::1")));
        assert!(Subnet::parse("1.2.3.4")
            .expect("single")
            .contains(ip("1.2.3.4")));
        for bad in [
            "1.2.3.4/33",
            "1.2.3.4/255.0.255.0",
            "nonsense",
            "1.2.3.4/",
            "::1/ffff::1",
        ] {
            assert!(Subnet::parse(bad).is_none(), "{bad}");
        }
        let allow = AllowList::loopback_and(vec![Subnet::parse("10.0.0.1/32").expect("net")]);
        for ok in ["127.0.0.1", "127.1.2.3", "::1", "10.0.0.1"] {
            assert!(allow.allows(ip(ok)), "{ok}");
        }
        assert!(!allow.allows(ip("10.0.0.2")) && !allow.allows(ip("::2")));
    }

    #[test]
    fn bind_addresses() {
        assert_eq!(
            parse_bind("1.2.3.4", 5).expect("v4"),
            "1.2.3.4:5".parse().expect("sa")
        );
        assert_eq!(
            parse_bind("1.2.3.4:9", 5).expect("v4"),
            "1.2.3.4:9".parse().expect("sa")
        );
        assert_eq!(
            parse_bind("[::1]:9", 5).expect("v6"),
            "[::1]:9".parse().expect("sa")
        );
        assert_eq!(
            parse_bind("::1", 5).expect("v6"),
            "[::1]:5".parse().expect("sa")
        );
        for bad in ["1.2.3.4:x", "[::1", "host.name", "1.2.3.4:0"] {
            assert!(parse_bind(bad, 5).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_to_config() {
        let args = |a: &[&str]| {
            let a: Vec<String> = a.iter().map(|s| s.to_string()).collect();
            Settings::from_args(
                &common::args::COMMON_OPTIONS
                    .iter()
                    .chain(crate::options::RPC_OPTIONS)
                    .copied()
                    .collect::<Vec<_>>(),
                &a,
            )
            .expect("settings")
        };
        let c = RpcConfig::from_settings(&args(&["-regtest"])).expect("defaults");
        assert!(c.enabled && !c.endpoints_explicit);
        assert_eq!(c.endpoints.len(), 2);
        assert!(c
            .endpoints
            .iter()
            .all(|e| e.port() == 18443 && e.ip().is_loopback()));
        assert!(c
            .cookie
            .as_ref()
            .is_some_and(|(p, _)| p.ends_with("regtest/.cookie")));
        let c = RpcConfig::from_settings(&args(&["-rpcbind=0.0.0.0", "-rpcport=1234"])).expect("x");
        assert_eq!(c.endpoints[0].port(), 1234);
        assert!(
            c.endpoints.iter().all(|e| e.ip().is_loopback()),
            "rpcbind alone is ignored"
        );
        assert_eq!(c.warnings.len(), 1);
        let c = RpcConfig::from_settings(&args(&["-rpcbind=0.0.0.0:9", "-rpcallowip=10.0.0.0/8"]))
            .expect("x");
        assert_eq!(c.endpoints, vec!["0.0.0.0:9".parse().expect("sa")]);
        let c = RpcConfig::from_settings(&args(&["-rpcuser=u", "-rpcpassword=p"])).expect("x");
        assert!(c.cookie.is_none());
        assert_eq!(c.user_password, Some(("u".into(), "p".into())));
        for bad in [
            &["-rpcport=0"][..],
            &["-rpcallowip=bogus"],
            &["-rpcauth=x"],
            &["-rpccookieperms=me"],
        ] {
            assert!(RpcConfig::from_settings(&args(bad)).is_err(), "{bad:?}");
        }
        let c = RpcConfig::from_settings(&args(&["-testnet4"])).expect("x");
        assert_eq!(c.endpoints[0].port(), 48332);
    }
}
