//! Manual bans (Core's `BanMan` for `setban`/`listbanned`/`clearbanned`): subnets whose
//! connections are refused and whose connected peers are dropped, each until a time, kept in
//! `banlist.json` in Core's format (`{"banned_nets": [{"version": 1, "ban_created",
//! "banned_until", "address": "1.2.3.0/24"}]}`) and written on every change.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::str::FromStr;

use serde_json::{json, Value};

/// Core's `DEFAULT_MISBEHAVING_BANTIME`: a ban's length when none is given (24 hours).
pub const DEFAULT_BAN_TIME: u64 = 24 * 60 * 60;

/// An address range: a network address and a prefix length (a single address is `/32` or
/// `/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subnet {
    network: IpAddr,
    prefix: u8,
}

/// Why a subnet could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid IP/subnet {0:?}")]
pub struct SubnetError(String);

/// An IPv4-mapped IPv6 address as the IPv4 address it stands for.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

/// The mask of the top `prefix` bits of a `width`-bit address.
fn mask(prefix: u8, width: u8) -> u128 {
    let all = if width == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    all & !all.checked_shr(u32::from(prefix)).unwrap_or(0)
}

impl Subnet {
    /// The single address `ip`.
    pub fn host(ip: IpAddr) -> Subnet {
        let ip = canonical(ip);
        Subnet {
            network: ip,
            prefix: bits(ip).1,
        }
    }

    /// Whether `ip` is in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (addr, width) = bits(canonical(ip));
        let (network, net_width) = bits(self.network);
        width == net_width && addr & mask(self.prefix, width) == network
    }

    fn new(ip: IpAddr, prefix: u8) -> Subnet {
        let (addr, width) = bits(ip);
        let masked = addr & mask(prefix, width);
        let network = match ip {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(u32::try_from(masked).unwrap_or(0))),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(masked)),
        };
        Subnet { network, prefix }
    }
}

impl FromStr for Subnet {
    type Err = SubnetError;

    /// `ip`, `ip/prefix` or `ip/netmask` (a netmask must be contiguous ones).
    fn from_str(text: &str) -> Result<Subnet, SubnetError> {
        let bad = || SubnetError(text.to_string());
        let (ip, suffix) = match text.split_once('/') {
            Some((ip, suffix)) => (ip, Some(suffix)),
            None => (text, None),
        };
        let ip = canonical(
            ip.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .map_err(|_| bad())?,
        );
        let width = bits(ip).1;
        let prefix = match suffix {
            None => width,
            Some(suffix) => match suffix.parse::<u8>() {
                Ok(prefix) if prefix <= width => prefix,
                Ok(_) => return Err(bad()),
                Err(_) => {
                    let netmask = canonical(suffix.parse::<IpAddr>().map_err(|_| bad())?);
                    let (m, mask_width) = bits(netmask);
                    let ones = u8::try_from((m << (128 - u32::from(mask_width))).leading_ones())
                        .map_err(|_| bad())?;
                    if mask_width != width || m != mask(ones, width) {
                        return Err(bad());
                    }
                    ones
                }
            },
        };
        Ok(Subnet::new(ip, prefix))
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// One ban.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanEntry {
    /// What is banned.
    pub subnet: Subnet,
    /// When the ban was made (Unix seconds).
    pub created: u64,
    /// When it ends (Unix seconds).
    pub until: u64,
}

/// Why a ban could not be changed (Core's `setban` errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BanError {
    /// The subnet is already banned.
    #[error("IP/Subnet already banned")]
    AlreadyBanned,
    /// The subnet was not banned.
    #[error("Unban failed. Requested address/subnet was not previously manually banned.")]
    NotBanned,
}

/// The bans, and where they are kept.
pub(crate) struct BanList {
    entries: Vec<BanEntry>,
    path: Option<PathBuf>,
}

impl BanList {
    /// Loads `path` if it exists (an unreadable file is logged and ignored, as Core does);
    /// expired bans are dropped.
    pub(crate) fn load(path: Option<PathBuf>, now: u64) -> BanList {
        let mut list = BanList {
            entries: Vec::new(),
            path,
        };
        let Some(path) = &list.path else {
            return list;
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return list,
            Err(e) => {
                tracing::warn!(target: "net", "cannot read {}: {e}", path.display());
                return list;
            }
        };
        match serde_json::from_str::<Value>(&text) {
            Ok(json) => {
                for net in json["banned_nets"].as_array().into_iter().flatten() {
                    let entry = (|| {
                        Some(BanEntry {
                            subnet: net["address"].as_str()?.parse().ok()?,
                            created: net["ban_created"].as_u64()?,
                            until: net["banned_until"].as_u64()?,
                        })
                    })();
                    match entry {
                        Some(entry) if entry.until > now => list.entries.push(entry),
                        Some(_) => {}
                        None => {
                            tracing::warn!(target: "net", "ignoring ban entry {net} in {}", path.display())
                        }
                    }
                }
                tracing::info!(target: "net", "loaded {} banned node addresses/subnets from {}", list.entries.len(), path.display());
            }
            Err(e) => {
                tracing::warn!(target: "net", "invalid or corrupt ban list {}: {e}", path.display())
            }
        }
        list
    }

    fn sweep(&mut self, now: u64) {
        let before = self.entries.len();
        self.entries.retain(|e| e.until > now);
        if self.entries.len() != before {
            self.save();
        }
    }

    /// Bans `subnet` from `now` until `until`.
    pub(crate) fn ban(&mut self, subnet: Subnet, now: u64, until: u64) -> Result<(), BanError> {
        self.sweep(now);
        if self.entries.iter().any(|e| e.subnet == subnet) {
            return Err(BanError::AlreadyBanned);
        }
        self.entries.push(BanEntry {
            subnet,
            created: now,
            until,
        });
        self.save();
        Ok(())
    }

    /// Lifts the ban on `subnet`.
    pub(crate) fn unban(&mut self, subnet: &Subnet, now: u64) -> Result<(), BanError> {
        self.sweep(now);
        let before = self.entries.len();
        self.entries.retain(|e| e.subnet != *subnet);
        if self.entries.len() == before {
            return Err(BanError::NotBanned);
        }
        self.save();
        Ok(())
    }

    /// Lifts every ban.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.save();
    }

    /// The bans in force.
    pub(crate) fn list(&mut self, now: u64) -> Vec<BanEntry> {
        self.sweep(now);
        self.entries.clone()
    }

    /// Whether `ip` is banned.
    pub(crate) fn is_banned(&self, ip: IpAddr, now: u64) -> bool {
        self.entries
            .iter()
            .any(|e| e.until > now && e.subnet.contains(ip))
    }

    /// Writes the list (to a temporary file renamed over the old one); failures are logged.
    fn save(&self) {
        let Some(path) = &self.path else {
            return;
        };
        let nets: Vec<Value> = self
            .entries
            .iter()
            .map(|e| {
                json!({
                    "version": 1,
                    "ban_created": e.created,
                    "banned_until": e.until,
                    "address": e.subnet.to_string(),
                })
            })
            .collect();
        let text = format!("{:#}\n", json!({ "banned_nets": nets }));
        let tmp = path.with_extension("json.new");
        let written = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            tracing::warn!(target: "net", "cannot write ban list {}: {e}", path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subnet(text: &str) -> Subnet {
        text.parse().expect("valid")
    }

    #[test]
    fn subnets_parse_mask_and_match_as_core_shows_them() {
        assert_eq!(subnet("1.2.3.4").to_string(), "1.2.3.4/32");
        assert_eq!(subnet("1.2.3.4/24").to_string(), "1.2.3.0/24");
        assert_eq!(subnet("1.2.3.4/255.255.0.0").to_string(), "1.2.0.0/16");
        assert_eq!(subnet("::1").to_string(), "::1/128");
        assert_eq!(subnet("::ffff:1.2.3.4").to_string(), "1.2.3.4/32");
        assert_eq!(subnet("0.0.0.0/0").to_string(), "0.0.0.0/0");
        assert!("1.2.3.4/33".parse::<Subnet>().is_err());
        assert!("1.2.3.4/255.0.255.0".parse::<Subnet>().is_err());
        assert!("nonsense".parse::<Subnet>().is_err());
        let net = subnet("10.0.0.0/8");
        assert!(net.contains("10.9.8.7".parse().expect("ip")));
        assert!(net.contains("::ffff:10.9.8.7".parse().expect("ip")));
        assert!(!net.contains("11.0.0.1".parse().expect("ip")));
        assert!(!net.contains("::1".parse().expect("ip")));
    }

    #[test]
    fn bans_expire_and_persist() {
        let dir = std::env::temp_dir().join(format!("banlist-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("banlist.json");
        let _ = std::fs::remove_file(&path);
        let mut list = BanList::load(Some(path.clone()), 100);
        list.ban(subnet("1.2.3.4"), 100, 200).expect("ban");
        list.ban(subnet("5.6.0.0/16"), 100, 1_000).expect("ban");
        assert_eq!(
            list.ban(subnet("1.2.3.4"), 100, 300),
            Err(BanError::AlreadyBanned)
        );
        assert!(list.is_banned("5.6.7.8".parse().expect("ip"), 150));
        let mut again = BanList::load(Some(path.clone()), 250);
        assert_eq!(again.list(250).len(), 1, "the expired ban was dropped");
        assert_eq!(
            again.unban(&subnet("1.2.3.4"), 250),
            Err(BanError::NotBanned)
        );
        again.clear();
        assert!(BanList::load(Some(path), 250).list(250).is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
