//! Finding the first peers (Core's `ThreadDNSAddressSeed` and fixed seeds): the DNS seeds
//! of main, testnet3, testnet4 and signet (the host names Core lists; none on regtest) are
//! asked for addresses once at start when `-dnsseed` is on (at once if the address table is
//! empty, after 11 seconds otherwise, and not at all if two automatic peers are connected
//! by then), through a [`Resolver`] (tokio's by default), with Core's `x9.` prefix asking
//! for `NODE_NETWORK | NODE_WITNESS` nodes; each answer is added to the table as seen three
//! to seven days ago. With `-fixedseeds` a short list of fixed addresses is added when the
//! table is still empty a minute after start (or at once with `-dnsseed=0` and no
//! `-seednode`): a handful of nodes from Core's `contrib/seeds` lists ([`fixed_seeds`]),
//! never on regtest.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bitcoin::p2p::ServiceFlags;
use bitcoin::Network;

use crate::addrman::AddrMan;
use crate::peer::unix_now;
use crate::{lock, Shared};

/// How long the address table may stay empty before the fixed seeds are used (Core's 60 s).
const FIXED_SEEDS_DELAY: Duration = Duration::from_secs(60);

/// Resolves host names (an injectable seam: tests answer without DNS).
pub trait Resolver: Send + Sync {
    /// The addresses of `host` with `port`.
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send + 'a>>;
}

/// The system's resolver, through tokio (off the network's tasks: a blocking pool thread).
pub struct TokioResolver;

impl Resolver for TokioResolver {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send + 'a>> {
        Box::pin(async move { Ok(tokio::net::lookup_host((host, port)).await?.collect()) })
    }
}

/// Core's DNS seeds of `network` (`vSeeds` in `kernel/chainparams.cpp`).
pub fn dns_seeds(network: Network) -> &'static [&'static str] {
    match network {
        Network::Bitcoin => &[
            "seed.bitcoin.sipa.be.",
            "dnsseed.bluematt.me.",
            "dnsseed.bitcoin.dashjr-list-of-p2p-nodes.us.",
            "seed.bitcoin.jonasschnelli.ch.",
            "seed.btc.petertodd.net.",
            "seed.bitcoin.sprovoost.nl.",
            "dnsseed.emzy.de.",
            "seed.bitcoin.wiz.biz.",
            "seed.mainnet.achownodes.xyz.",
        ],
        Network::Testnet => &[
            "testnet-seed.bitcoin.jonasschnelli.ch.",
            "seed.tbtc.petertodd.net.",
            "seed.testnet.bitcoin.sprovoost.nl.",
            "testnet-seed.bluematt.me.",
            "seed.testnet.achownodes.xyz.",
        ],
        Network::Testnet4 => &[
            "seed.testnet4.bitcoin.sprovoost.nl.",
            "seed.testnet4.wiz.biz.",
        ],
        Network::Signet => &[
            "seed.signet.bitcoin.sprovoost.nl.",
            "seed.signet.achownodes.xyz.",
        ],
        _ => &[],
    }
}

/// Our fixed seeds of `network`: a few IPv4 addresses picked from Bitcoin Core's
/// `contrib/seeds/nodes_main.txt`, `nodes_testnet4.txt` and `nodes_signet.txt` (the lists
/// its `chainparamsseeds.h` is generated from), far fewer than Core's hundreds; only a
/// fallback when DNS seeding gave nothing. Empty on regtest, testnet3 and any network we
/// do not know.
pub fn fixed_seeds(network: Network) -> &'static [&'static str] {
    match network {
        Network::Bitcoin => &[
            "95.211.152.100:8333",
            "128.2.12.38:8333",
            "162.55.122.93:8333",
            "184.105.131.181:8333",
            "195.154.172.177:8333",
        ],
        Network::Testnet4 => &[
            "51.158.61.33:48333",
            "65.108.143.22:48333",
            "158.69.118.2:48333",
        ],
        Network::Signet => &[
            "49.13.117.253:38333",
            "176.9.62.27:38333",
            "188.165.201.163:38333",
        ],
        _ => &[],
    }
}

/// The services DNS seeds are asked for (Core's `SeedsServiceFlags`).
fn seeds_services() -> ServiceFlags {
    ServiceFlags::NETWORK | ServiceFlags::WITNESS
}

/// Asks each of `seeds` for addresses (with Core's `x9.` service prefix) and adds them to
/// `addrman` on `port`, seen three to seven days ago; returns how many were found.
pub(crate) async fn query_dns_seeds(
    addrman: &Mutex<AddrMan>,
    seeds: &[&str],
    port: u16,
    resolver: &dyn Resolver,
) -> usize {
    let mut found = 0;
    for seed in seeds {
        let host = format!("x{:x}.{seed}", seeds_services().to_u64());
        let addresses = match resolver.resolve(&host, port).await {
            Ok(addresses) => addresses,
            Err(e) => {
                tracing::info!(target: "net", "DNS seed {seed} gave no addresses: {e}");
                continue;
            }
        };
        let now = unix_now();
        let mut table = lock(addrman);
        for addr in addresses.into_iter().take(256) {
            let age = 3 * 24 * 3600 + crate::addrman::random_u64() % (4 * 24 * 3600);
            let time = u32::try_from(now.saturating_sub(age)).unwrap_or(0);
            table.add(
                SocketAddr::new(addr.ip(), port),
                seeds_services(),
                time,
                now,
            );
            found += 1;
        }
        drop(table);
        tracing::info!(target: "net", "{found} addresses found from DNS seeds so far (source {seed})");
    }
    found
}

/// Core's `ThreadDNSAddressSeed`: waits 11 s if addresses are already known (and skips
/// seeding if two automatic peers are connected by then), then asks the DNS seeds.
pub(crate) async fn dns_seed_task(shared: Arc<Shared>, resolver: Arc<dyn Resolver>) {
    let seeds = dns_seeds(shared.config.network);
    if seeds.is_empty() {
        return;
    }
    if lock(&shared.addrman).len() > 0 {
        tracing::info!(target: "net", "Waiting 11 seconds before querying DNS seeds.");
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(11)) => {}
            () = shared.cancel.cancelled() => return,
        }
        let mut automatic = 0;
        shared.for_each_peer(|_, p| {
            let info = lock(&p.info);
            automatic += usize::from(
                info.handshake_done
                    && matches!(
                        info.connection_type,
                        "outbound-full-relay" | crate::peer::BLOCK_RELAY
                    ),
            );
        });
        if automatic >= 2 {
            tracing::info!(target: "net", "P2P peers available. Skipped DNS seeding.");
            return;
        }
    }
    tracing::info!(target: "net", "Loading addresses from DNS seed");
    let port = shared.config.default_port;
    tokio::select! {
        n = query_dns_seeds(&shared.addrman, seeds, port, resolver.as_ref()) => {
            tracing::info!(target: "net", "{n} addresses found from DNS seeds");
        }
        () = shared.cancel.cancelled() => {}
    }
}

/// Whether the fixed seeds are due now, `elapsed` after start: the table is empty and a
/// minute has passed, or DNS seeding and seed nodes are off (Core).
pub(crate) fn fixed_seeds_due(shared: &Shared, elapsed: Duration) -> bool {
    let config = &shared.config;
    config.fixed_seeds
        && !fixed_seeds(config.network).is_empty()
        && lock(&shared.addrman).len() == 0
        && (elapsed >= FIXED_SEEDS_DELAY || (!config.dns_seed && config.seed_nodes.is_empty()))
}

/// Adds the fixed seeds to the address table.
pub(crate) fn add_fixed_seeds(shared: &Shared) {
    let now = unix_now();
    let time = u32::try_from(now.saturating_sub(7 * 24 * 3600)).unwrap_or(0);
    let seeds = fixed_seeds(shared.config.network);
    tracing::info!(target: "net", "Adding fixed seeds as 60 seconds have passed and addrman is empty");
    let mut table = lock(&shared.addrman);
    for seed in seeds {
        if let Ok(addr) = seed.parse::<SocketAddr>() {
            table.add(addr, seeds_services(), time, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers from a fixed list, recording what it was asked.
    struct FakeResolver {
        asked: Mutex<Vec<(String, u16)>>,
    }

    impl Resolver for FakeResolver {
        fn resolve<'a>(
            &'a self,
            host: &'a str,
            port: u16,
        ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send + 'a>> {
            lock(&self.asked).push((host.to_string(), port));
            Box::pin(async move {
                match host {
                    "x9.good.example." => Ok(vec![
                        "1.2.3.4:0".parse().expect("addr"),
                        "[2a00::5]:0".parse().expect("addr"),
                        "127.0.0.1:0".parse().expect("addr"),
                    ]),
                    _ => Err(std::io::Error::other("no such host")),
                }
            })
        }
    }

    #[tokio::test]
    async fn dns_seed_answers_go_in_the_table_with_the_default_port() {
        let resolver = FakeResolver {
            asked: Mutex::new(Vec::new()),
        };
        let table = Mutex::new(AddrMan::new(None, 100, false));
        let found =
            query_dns_seeds(&table, &["bad.example.", "good.example."], 8333, &resolver).await;
        assert_eq!(found, 3);
        assert_eq!(
            *lock(&resolver.asked),
            vec![
                ("x9.bad.example.".to_string(), 8333),
                ("x9.good.example.".to_string(), 8333)
            ]
        );
        let mut got: Vec<String> = lock(&table)
            .sample(0, |_| true)
            .iter()
            .map(|a| a.addr.to_string())
            .collect();
        got.sort();
        // The loopback answer is not kept off regtest.
        assert_eq!(got, vec!["1.2.3.4:8333", "[2a00::5]:8333"]);
        let now = unix_now();
        for a in lock(&table).sample(0, |_| true) {
            let age = now - u64::from(a.time);
            assert!((3 * 86_400..=7 * 86_400).contains(&age), "{age}");
            assert_eq!(a.services, ServiceFlags::NETWORK | ServiceFlags::WITNESS);
        }
    }

    #[test]
    fn regtest_has_no_seeds_of_either_kind() {
        assert!(dns_seeds(Network::Regtest).is_empty());
        assert!(fixed_seeds(Network::Regtest).is_empty());
        assert!(!dns_seeds(Network::Bitcoin).is_empty());
        assert!(!dns_seeds(Network::Testnet4).is_empty());
        assert!(!dns_seeds(Network::Signet).is_empty());
        for seed in fixed_seeds(Network::Bitcoin) {
            assert!(seed.parse::<SocketAddr>().is_ok(), "{seed}");
        }
    }
}
