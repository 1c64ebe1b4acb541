//! `-netinfo`'s text from canned `getpeerinfo`/`getnetworkinfo` results. The expected text
//! was made independently by applying Core's printf format strings (`%*s`, `%-5s`, ...) to
//! the same data, so the widths and spacing are Core's, trailing spaces included.

use super::*;

/// The time the canned peers are seen at.
const NOW: i64 = 1_700_000_000;

const FULL_NETWORKINFO: &str = r#"{"version":290000,"subversion":"/Satoshi:29.0.0/","protocolversion":70016,"localservicesnames":["NETWORK","WITNESS","NETWORK_LIMITED","P2P_V2"],"networks":[{"name":"ipv4","reachable":true},{"name":"ipv6","reachable":true},{"name":"onion","reachable":false},{"name":"i2p","reachable":false},{"name":"cjdns","reachable":false}],"localaddresses":[{"address":"1.2.3.4","port":8333,"score":4},{"address":"2001:db8::5","port":8333,"score":1}]}"#;

/// An inbound v2 peer, an outbound full-relay v1 peer (high-bandwidth both ways) and a
/// block-relay-only one that we do not relay transactions to.
const FULL_PEERS: &str = r#"[
    {"id":0,"addr":"5.6.7.8:50000","network":"ipv4","servicesnames":["NETWORK","WITNESS"],"relaytxes":true,"lastsend":1699999997,"lastrecv":1699999995,"last_transaction":0,"last_block":0,"conntime":1699999400,"pingtime":0.015,"minping":0.0123,"version":70016,"subver":"/Satoshi:28.0.0/","inbound":true,"bip152_hb_to":false,"bip152_hb_from":false,"addr_relay_enabled":false,"addr_processed":0,"addr_rate_limited":0,"connection_type":"inbound","transport_protocol_type":"v2"},
    {"id":11,"addr":"[2001:db8::1]:8333","network":"ipv6","servicesnames":["NETWORK","BLOOM","WITNESS","COMPACT_FILTERS","NETWORK_LIMITED","P2P_V2"],"relaytxes":true,"lastsend":1699999999,"lastrecv":1699999998,"last_transaction":1699999880,"last_block":1699999820,"conntime":1699992800,"pingtime":0.25,"minping":0.2,"version":70016,"subver":"/Satoshi:29.0.0/","inbound":false,"bip152_hb_to":true,"bip152_hb_from":true,"addr_relay_enabled":true,"addr_processed":1234,"addr_rate_limited":7,"connection_type":"outbound-full-relay","transport_protocol_type":"v1"},
    {"id":12,"addr":"9.9.9.9:8333","network":"ipv4","servicesnames":["NETWORK","WITNESS","NETWORK_LIMITED"],"relaytxes":false,"lastsend":0,"lastrecv":0,"last_transaction":0,"last_block":0,"conntime":1699999940,"pingtime":0.0504,"minping":0.05,"version":70016,"subver":"/Satoshi:27.1.0/","inbound":false,"addr_relay_enabled":false,"addr_processed":0,"addr_rate_limited":0,"connection_type":"block-relay-only","transport_protocol_type":"v2"}
]"#;

/// A node that reports little: no `networks`, `version`, services or local addresses; peers
/// without most fields, one on an unknown network and one without any network.
const SPARSE_NETWORKINFO: &str = r#"{"protocolversion":70016,"subversion":"/bitcoin-node:0.1.0/"}"#;

const SPARSE_PEERS: &str = r#"[
    {"id":3,"addr":"127.0.0.1:18444","network":"not_publicly_routable","connection_type":"manual","mapped_as":13335},
    {"id":4,"addr":"127.0.0.1:40000","network":"not_publicly_routable","inbound":true,"pingtime":2000},
    {"id":5,"network":"somewhere_else","inbound":true},
    {"id":6,"addr":"10.0.0.1:1","inbound":false}
]"#;

const FULL_LEVEL_0: &[&str] = &[
    "bitcoin-cli client {V} regtest - server 70016/Satoshi:29.0.0/",
    "",
    "         ipv4    ipv6   total   block",
    "in          1       0       1",
    "out         1       1       2       1",
    "total       2       1       3",
    "",
    "Local services: network, witness, network limited, p2p v2",
    "",
    "Local addresses",
    "1.2.3.4         port   8333    score      4",
    "2001:db8::5     port   8333    score      1",
];
const FULL_LEVEL_1: &[&str] = &[
    "bitcoin-cli client {V} regtest - server 70016/Satoshi:29.0.0/ - services nwl2",
    "",
    "<->   type   net   serv  v  mping   ping send recv  txn  blk  hb addrp addrl  age id ",
    " in         ipv4     nw  2     12     15    3    5                   .         10  0 ",
    "out  block  ipv4    nwl  2     50     50              *              .          1 12 ",
    "out   full  ipv6 nbwcl2  1    200    250    1    2    2    3  .*  1234     7  120 11 ",
    "                               ms     ms  sec  sec  min  min                  min",
    "",
    "         ipv4    ipv6   total   block",
    "in          1       0       1",
    "out         1       1       2       1",
    "total       2       1       3",
    "",
    "Local addresses",
    "1.2.3.4         port   8333    score      4",
    "2001:db8::5     port   8333    score      1",
];
const FULL_LEVEL_2: &[&str] = &[
    "bitcoin-cli client {V} regtest - server 70016/Satoshi:29.0.0/ - services nwl2",
    "",
    "<->   type   net   serv  v  mping   ping send recv  txn  blk  hb addrp addrl  age id address            ",
    " in         ipv4     nw  2     12     15    3    5                   .         10  0 5.6.7.8:50000      ",
    "out  block  ipv4    nwl  2     50     50              *              .          1 12 9.9.9.9:8333       ",
    "out   full  ipv6 nbwcl2  1    200    250    1    2    2    3  .*  1234     7  120 11 [2001:db8::1]:8333 ",
    "                               ms     ms  sec  sec  min  min                  min",
    "",
    "         ipv4    ipv6   total   block",
    "in          1       0       1",
    "out         1       1       2       1",
    "total       2       1       3",
    "",
    "Local addresses",
    "1.2.3.4         port   8333    score      4",
    "2001:db8::5     port   8333    score      1",
];
const FULL_LEVEL_3: &[&str] = &[
    "bitcoin-cli client {V} regtest - server 70016/Satoshi:29.0.0/ - services nwl2",
    "",
    "<->   type   net   serv  v  mping   ping send recv  txn  blk  hb addrp addrl  age id version",
    " in         ipv4     nw  2     12     15    3    5                   .         10  0 70016/Satoshi:28.0.0/",
    "out  block  ipv4    nwl  2     50     50              *              .          1 12 70016/Satoshi:27.1.0/",
    "out   full  ipv6 nbwcl2  1    200    250    1    2    2    3  .*  1234     7  120 11 70016/Satoshi:29.0.0/",
    "                               ms     ms  sec  sec  min  min                  min",
    "",
    "         ipv4    ipv6   total   block",
    "in          1       0       1",
    "out         1       1       2       1",
    "total       2       1       3",
    "",
    "Local addresses",
    "1.2.3.4         port   8333    score      4",
    "2001:db8::5     port   8333    score      1",
];
const FULL_LEVEL_4: &[&str] = &[
    "bitcoin-cli client {V} regtest - server 70016/Satoshi:29.0.0/ - services nwl2",
    "",
    "<->   type   net   serv  v  mping   ping send recv  txn  blk  hb addrp addrl  age id address            version",
    " in         ipv4     nw  2     12     15    3    5                   .         10  0 5.6.7.8:50000      70016/Satoshi:28.0.0/",
    "out  block  ipv4    nwl  2     50     50              *              .          1 12 9.9.9.9:8333       70016/Satoshi:27.1.0/",
    "out   full  ipv6 nbwcl2  1    200    250    1    2    2    3  .*  1234     7  120 11 [2001:db8::1]:8333 70016/Satoshi:29.0.0/",
    "                               ms     ms  sec  sec  min  min                  min",
    "",
    "         ipv4    ipv6   total   block",
    "in          1       0       1",
    "out         1       1       2       1",
    "total       2       1       3",
    "",
    "Local addresses",
    "1.2.3.4         port   8333    score      4",
    "2001:db8::5     port   8333    score      1",
];
const FULL_LEVEL_4_OUTONLY: &[&str] = &[
    "bitcoin-cli client {V} regtest - server 70016/Satoshi:29.0.0/ - services nwl2",
    "",
    "<->   type   net   serv  v  mping   ping send recv  txn  blk  hb addrp addrl  age id address            version",
    "out  block  ipv4    nwl  2     50     50              *              .          1 12 9.9.9.9:8333       70016/Satoshi:27.1.0/",
    "out   full  ipv6 nbwcl2  1    200    250    1    2    2    3  .*  1234     7  120 11 [2001:db8::1]:8333 70016/Satoshi:29.0.0/",
    "                               ms     ms  sec  sec  min  min                  min",
    "",
    "         ipv4    ipv6   total   block",
    "in          1       0       1",
    "out         1       1       2       1",
    "total       2       1       3",
    "",
    "Local addresses",
    "1.2.3.4         port   8333    score      4",
    "2001:db8::5     port   8333    score      1",
];
const SPARSE_LEVEL_0: &[&str] = &[
    "bitcoin-cli client {V} - server 70016/bitcoin-node:0.1.0/",
    "",
    "          npr   total   block  manual",
    "in          1       1",
    "out         1       1       0       1",
    "total       2       2",
    "",
    "Local services: ",
    "",
    "Local addresses: n/a",
    "",
];
const SPARSE_LEVEL_4: &[&str] = &[
    "bitcoin-cli client {V} - server 70016/bitcoin-node:0.1.0/ - services ",
    "",
    "<->   type   net   serv  v  mping   ping send recv  txn  blk  hb addrp addrl  age  asmap id address         version",
    " in          npr         1             -                             .                    4 127.0.0.1:40000 ",
    "out manual   npr         1                                           .             13335  3 127.0.0.1:18444 ",
    "                               ms     ms  sec  sec  min  min                  min",
    "",
    "          npr   total   block  manual",
    "in          1       1",
    "out         1       1       0       1",
    "total       2       2",
    "",
    "Local addresses: n/a",
    "",
];

fn json(text: &str) -> Json {
    Json::parse(text).unwrap_or_else(|| panic!("bad test JSON {text}"))
}

fn expected(lines: &[&str]) -> String {
    lines
        .join("\n")
        .replace("{V}", &format!("v{}", env!("CARGO_PKG_VERSION")))
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn dashboard(args: &[&str], chain: Option<Chain>, peers: &str, network: &str) -> String {
    let request = Request::parse(&strings(args)).expect("valid arguments");
    format(request, chain, &json(peers), &json(network), NOW).expect("dashboard")
}

fn full(args: &[&str]) -> String {
    dashboard(args, Some(Chain::Regtest), FULL_PEERS, FULL_NETWORKINFO)
}

#[test]
fn level_0_counts_peers_by_network_with_the_block_relay_column() {
    assert_eq!(full(&[]), expected(FULL_LEVEL_0));
    assert_eq!(full(&["0"]), expected(FULL_LEVEL_0));
}

#[test]
fn level_1_lists_peers_by_direction_then_minimum_ping() {
    assert_eq!(full(&["1"]), expected(FULL_LEVEL_1));
}

#[test]
fn levels_2_to_4_add_address_and_version_columns() {
    assert_eq!(full(&["2"]), expected(FULL_LEVEL_2));
    assert_eq!(full(&["3"]), expected(FULL_LEVEL_3));
    assert_eq!(full(&["4"]), expected(FULL_LEVEL_4));
    // Up to 255 means the highest level.
    assert_eq!(full(&["255"]), expected(FULL_LEVEL_4));
}

#[test]
fn outonly_lists_outbound_peers_but_counts_all() {
    assert_eq!(full(&["4", "outonly"]), expected(FULL_LEVEL_4_OUTONLY));
    assert_eq!(full(&["4", "o", "ignored"]), expected(FULL_LEVEL_4_OUTONLY));
}

#[test]
fn missing_fields_read_as_absent_or_zero() {
    let sparse =
        |args: &[&str]| dashboard(args, Some(Chain::Main), SPARSE_PEERS, SPARSE_NETWORKINFO);
    assert_eq!(sparse(&[]), expected(SPARSE_LEVEL_0));
    assert_eq!(sparse(&["4"]), expected(SPARSE_LEVEL_4));
    // Nothing at all: empty results still make a dashboard.
    let empty = dashboard(&["4"], None, "null", "{}");
    assert_eq!(
        empty,
        format!(
            "bitcoin-cli client v{} - server 0 - services \n\n        total   block\nin          0\nout         0       0\ntotal       0\n\nLocal addresses: n/a\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn old_servers_are_refused() {
    let request = Request::default();
    let old = json(r#"{"version":209800}"#);
    match format(request, None, &json("[]"), &old, NOW) {
        Err(CliError::Other(m)) => {
            assert_eq!(
                m,
                "-netinfo requires bitcoind server to be running v0.21.0 and up"
            )
        }
        other => panic!("{other:?}"),
    }
    let new = json(r#"{"version":209900}"#);
    assert!(format(request, None, &json("[]"), &new, NOW).is_ok());
}

#[test]
fn bad_levels_and_outonly_arguments_are_cores_errors() {
    for level in ["x", "-1", "+1", "256", "1.0", " 1", ""] {
        match Request::parse(&strings(&[level])) {
            Err(CliError::Other(m)) => assert_eq!(
                m,
                format!("invalid -netinfo level argument: {level}\nFor more information, run: bitcoin-cli -netinfo help")
            ),
            other => panic!("{level:?}: {other:?}"),
        }
    }
    match Request::parse(&strings(&["2", "out"])) {
        Err(CliError::Other(m)) => assert_eq!(
            m,
            "invalid -netinfo outonly argument: out\nFor more information, run: bitcoin-cli -netinfo help"
        ),
        other => panic!("{other:?}"),
    }
    match Request::parse(&strings(&["0", "o"])) {
        Err(CliError::Other(m)) => assert_eq!(
            m,
            "invalid -netinfo outonly argument: o\nThe outonly argument is only valid for a level greater than 0 (the first argument). For more information, run: bitcoin-cli -netinfo help"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        Request::parse(&strings(&["007", "o"])).expect("valid"),
        Request {
            level: 4,
            outbound_only: true
        }
    );
}

#[test]
fn help_and_small_helpers() {
    assert!(is_help(&strings(&["help"])));
    assert!(is_help(&strings(&["h", "1"])));
    assert!(!is_help(&strings(&["1", "help"])));
    assert!(!is_help(&[]));
    assert!(HELP.starts_with("-netinfo (level [outonly]) | help\n\n"));
    assert!(HELP.ends_with("> bitcoin-cli -netinfo help\n"));
    assert_eq!(ping_time(-1.0), "");
    assert_eq!(ping_time(0.0004), "0");
    assert_eq!(ping_time(0.0125), "13");
    assert_eq!(ping_time(999.999), "999999");
    assert_eq!(ping_time(999.9996), "-");
    assert_eq!(chain_suffix(Some(Chain::Test)), " testnet");
    assert_eq!(chain_suffix(Some(Chain::Testnet4)), " testnet4");
    assert_eq!(chain_suffix(Some(Chain::Signet)), " signet");
    assert_eq!(connection_type("addr-fetch"), "addr");
    assert_eq!(connection_type("feeler"), "feeler");
    assert_eq!(connection_type("inbound"), "");
    assert_eq!(
        services_letters(&json(r#"["NETWORK","BLOOM","UNKNOWN[1 << 27]","P2P_V2"]"#)),
        "nbu2"
    );
}
