//! The network RPC methods (Core's `rpc/net.cpp`): `getpeerinfo`, `getconnectioncount`,
//! `getnettotals`, `getnetworkinfo`, `addnode`, `getaddednodeinfo`, `disconnectnode`,
//! `setnetworkactive`, `ping`, `setban`, `listbanned`, `clearbanned`, `getnodeaddresses`,
//! `getaddrmaninfo`, and the test-only `addpeeraddress`.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bitcoin::p2p::ServiceFlags;
use p2p::{AddNode, Net, PeerInfo};
use rpc::help::{example_cli, example_rpc};
use rpc::protocol::{RpcError, RPC_INVALID_PARAMETER};
use rpc::{Method, Param, ParamType, RpcTable};
use serde_json::{json, Value};

/// Core's `RPC_CLIENT_NODE_ALREADY_ADDED`.
const RPC_CLIENT_NODE_ALREADY_ADDED: i32 = -23;
/// Core's `RPC_CLIENT_NODE_NOT_ADDED`.
const RPC_CLIENT_NODE_NOT_ADDED: i32 = -24;
/// Core's `RPC_CLIENT_NODE_NOT_CONNECTED`.
const RPC_CLIENT_NODE_NOT_CONNECTED: i32 = -29;
/// Core's `RPC_CLIENT_INVALID_IP_OR_SUBNET`.
const RPC_CLIENT_INVALID_IP_OR_SUBNET: i32 = -30;

/// Core's names of service bits (`serviceFlagToStr`).
fn service_names(services: ServiceFlags) -> Vec<&'static str> {
    let names = [
        (ServiceFlags::NETWORK, "NETWORK"),
        (ServiceFlags::BLOOM, "BLOOM"),
        (ServiceFlags::WITNESS, "WITNESS"),
        (ServiceFlags::COMPACT_FILTERS, "COMPACT_FILTERS"),
        (ServiceFlags::NETWORK_LIMITED, "NETWORK_LIMITED"),
        (ServiceFlags::P2P_V2, "P2P_V2"),
    ];
    names
        .iter()
        .filter(|(f, _)| services.has(*f))
        .map(|(_, n)| *n)
        .collect()
}

fn services_hex(services: ServiceFlags) -> String {
    format!("{:016x}", services.to_u64())
}

/// Core's network name of an address (`GetNetworkName(addr.GetNetwork())`).
fn network_name(addr: std::net::SocketAddr) -> &'static str {
    if !p2p::addrman::is_routable(addr.ip()) {
        "not_publicly_routable"
    } else if addr.is_ipv4() {
        "ipv4"
    } else {
        "ipv6"
    }
}

fn peer_json(p: &PeerInfo) -> Value {
    let network = network_name(p.addr);
    let mut v = json!({
        "id": p.id,
        "addr": p.addr.to_string(),
        "addrbind": p.addrbind.map(|a| a.to_string()),
        "network": network,
        "services": services_hex(p.services),
        "servicesnames": service_names(p.services),
        "relaytxes": p.relaytxes,
        "lastsend": p.lastsend,
        "lastrecv": p.lastrecv,
        "bytessent": p.bytessent,
        "bytesrecv": p.bytesrecv,
        "conntime": p.conntime,
        "version": p.version,
        "subver": p.subver,
        "inbound": p.inbound,
        "bip152_hb_to": p.bip152_hb_to,
        "bip152_hb_from": p.bip152_hb_from,
        "startingheight": p.startingheight,
        "synced_headers": p.synced_headers,
        "synced_blocks": p.synced_blocks,
        "connection_type": p.connection_type,
        "transport_protocol_type": p.transport_protocol_type,
        "session_id": p.session_id,
        "addr_processed": p.addr_processed,
        "addr_rate_limited": p.addr_rate_limited,
        "minfeefilter": rpc::amount::amount_to_value(i64::try_from(p.minfeefilter).unwrap_or(i64::MAX)),
        "bytessent_per_msg": p.bytessent_per_msg,
        "bytesrecv_per_msg": p.bytesrecv_per_msg,
    });
    if let (Some(ping), Some(map)) = (p.pingtime, v.as_object_mut()) {
        map.insert("pingtime".into(), json!(ping.as_secs_f64()));
    }
    v
}

fn getpeerinfo(net: Arc<Net>) -> Method {
    Method::new("getpeerinfo", "network", "Returns data about each connected network peer as a json array of objects.")
        .result("[                                     (json array)\n  {                                   (json object)\n    \"id\" : n,                          (numeric) Peer index\n    \"addr\" : \"str\",                   (string) (host:port) The IP address and port of the peer\n    \"addrbind\" : \"str\",               (string, optional) (ip:port) Bind address of the connection to the peer\n    \"network\" : \"str\",                (string) Network (ipv4, ipv6, onion, i2p, cjdns, not_publicly_routable)\n    \"services\" : \"hex\",               (string) The services offered\n    \"servicesnames\" : [                (json array) the services offered, in human-readable form\n      \"str\",                           (string) the service name if it is recognised\n      ...\n    ],\n    \"relaytxes\" : true|false,          (boolean) Whether we relay transactions to this peer\n    \"lastsend\" : xxx,                  (numeric) The UNIX epoch time of the last send\n    \"lastrecv\" : xxx,                  (numeric) The UNIX epoch time of the last receive\n    \"bytessent\" : n,                   (numeric) The total bytes sent\n    \"bytesrecv\" : n,                   (numeric) The total bytes received\n    \"conntime\" : xxx,                  (numeric) The UNIX epoch time of the connection\n    \"pingtime\" : n,                    (numeric, optional) The last ping time in seconds, if any\n    \"version\" : n,                     (numeric) The peer version, such as 70001\n    \"subver\" : \"str\",                  (string) The string version\n    \"inbound\" : true|false,            (boolean) Inbound (true) or Outbound (false)\n    \"bip152_hb_to\" : true|false,      (boolean) Whether we selected peer as (compact blocks) high-bandwidth peer\n    \"bip152_hb_from\" : true|false,    (boolean) Whether peer selected us as (compact blocks) high-bandwidth peer\n    \"startingheight\" : n,              (numeric) The starting height (block) of the peer\n    \"synced_headers\" : n,              (numeric) The last header we have in common with this peer\n    \"synced_blocks\" : n,               (numeric) The last block we have in common with this peer\n    \"addr_processed\" : n,              (numeric) The total number of addresses processed, excluding those dropped due to rate limiting\n    \"addr_rate_limited\" : n,           (numeric) The total number of addresses dropped due to rate limiting\n    \"minfeefilter\" : n,                (numeric) The minimum fee rate for transactions this peer accepts\n    \"connection_type\" : \"str\",         (string) Type of connection: \noutbound-full-relay (default automatic connections),\nblock-relay-only (does not relay transactions or addresses),\ninbound (initiated by the peer),\nmanual (added via addnode RPC or -addnode/-connect configuration options),\naddr-fetch (short-lived automatic connection for soliciting addresses),\nfeeler (short-lived automatic connection for testing addresses).\n    \"transport_protocol_type\" : \"str\", (string) Type of transport protocol: \ndetecting (peer could be v1 or v2),\nv1 (plaintext transport protocol),\nv2 (BIP324 encrypted transport protocol).\n    \"session_id\" : \"str\",              (string) The session ID for this connection, or \"\" if there is none (\"v2\" transport protocol only).\n    \"bytessent_per_msg\" : {           (json object)\n      \"msg\" : n,                       (numeric) The total bytes sent aggregated by message type\n                                      When a message type is not listed in this json object, the bytes sent are 0.\n                                      Only known message types can appear as keys in the object.\n    },\n    \"bytesrecv_per_msg\" : {           (json object)\n      \"msg\" : n                        (numeric) The total bytes received aggregated by message type\n                                      When a message type is not listed in this json object, the bytes received are 0.\n                                      Only known message types can appear as keys in the object and all bytes received\n                                      of unknown message types are listed under '*other*'.\n    }\n  },\n  ...\n]")
        .examples(example_cli("getpeerinfo", "") + &example_rpc("getpeerinfo", ""))
        .handler(move |_| Ok(Value::Array(net.peers().iter().map(peer_json).collect())))
}

fn getconnectioncount(net: Arc<Net>) -> Method {
    Method::new(
        "getconnectioncount",
        "network",
        "Returns the number of connections to other nodes.",
    )
    .result("n    (numeric) The connection count")
    .examples(example_cli("getconnectioncount", "") + &example_rpc("getconnectioncount", ""))
    .handler(move |_| Ok(net.peers().len().into()))
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn getnettotals(net: Arc<Net>) -> Method {
    Method::new("getnettotals", "network", "Returns information about network traffic, including bytes in, bytes out,\nand current system time.")
        .result("{                             (json object)\n  \"totalbytesrecv\" : n,        (numeric) Total bytes received\n  \"totalbytessent\" : n,        (numeric) Total bytes sent\n  \"timemillis\" : xxx           (numeric) Current system UNIX epoch time in milliseconds\n}")
        .examples(example_cli("getnettotals", "") + &example_rpc("getnettotals", ""))
        .handler(move |_| {
            let totals = net.totals();
            Ok(json!({
                "totalbytesrecv": totals.bytes_recv,
                "totalbytessent": totals.bytes_sent,
                "timemillis": unix_millis(),
            }))
        })
}

/// The mempool's fee floors `getnetworkinfo` reports (Core's `-minrelaytxfee` and
/// `-incrementalrelayfee`), satoshis per 1000 virtual bytes.
#[derive(Debug, Clone, Copy)]
pub struct RelayFees {
    /// `relayfee`.
    pub min_relay: u64,
    /// `incrementalfee`.
    pub incremental: u64,
}

const NETWORKINFO_RESULT: &str = "{                                (json object)\n  \"version\" : n,                  (numeric) the server version\n  \"subversion\" : \"str\",           (string) the server subversion string\n  \"protocolversion\" : n,          (numeric) the protocol version\n  \"localservices\" : \"hex\",        (string) the services we offer to the network\n  \"localservicesnames\" : [        (json array) the services we offer to the network, in human-readable form\n    \"str\",                        (string) the service name\n    ...\n  ],\n  \"localrelay\" : true|false,      (boolean) true if transaction relay is requested from peers\n  \"networkactive\" : true|false,   (boolean) whether p2p networking is enabled\n  \"connections\" : n,              (numeric) the total number of connections\n  \"connections_in\" : n,           (numeric) the number of inbound connections\n  \"connections_out\" : n,          (numeric) the number of outbound connections\n  \"networks\" : [                  (json array) information per network\n    {                             (json object)\n      \"name\" : \"str\",             (string) network (ipv4, ipv6, onion, i2p, cjdns)\n      \"limited\" : true|false,     (boolean) is the network limited using -onlynet?\n      \"reachable\" : true|false,   (boolean) is the network reachable?\n      \"proxy\" : \"str\",            (string) (\"host:port\") the proxy that is used for this network, or empty if none\n      \"proxy_randomize_credentials\" : true|false    (boolean) Whether randomized credentials are used\n    },\n    ...\n  ],\n  \"relayfee\" : n,                 (numeric) minimum relay fee rate for transactions in BTC/kvB\n  \"incrementalfee\" : n,           (numeric) minimum fee rate increment for mempool limiting or replacement in BTC/kvB\n  \"localaddresses\" : [            (json array) list of local addresses\n    {                             (json object)\n      \"address\" : \"str\",          (string) network address\n      \"port\" : n,                 (numeric) network port\n      \"score\" : n                 (numeric) relative score\n    },\n    ...\n  ],\n  \"warnings\" : [                  (json array) any network and blockchain warnings\n    \"str\",                        (string) warning\n    ...\n  ]\n}";

/// Core's `networks` entries: IPv4 and IPv6 reachable directly; no proxy, and no Tor, I2P
/// or CJDNS support here (not reachable).
fn networks() -> Value {
    let entry = |name: &str, reachable: bool| {
        json!({
            "name": name,
            "limited": !reachable,
            "reachable": reachable,
            "proxy": "",
            "proxy_randomize_credentials": false,
        })
    };
    json!([
        entry("ipv4", true),
        entry("ipv6", true),
        entry("onion", false),
        entry("i2p", false),
        entry("cjdns", false)
    ])
}

fn getnetworkinfo(net: Arc<Net>, subversion: String, fees: RelayFees) -> Method {
    Method::new(
        "getnetworkinfo",
        "network",
        "Returns an object containing various state info regarding P2P networking.",
    )
    .result(NETWORKINFO_RESULT)
    .examples(example_cli("getnetworkinfo", "") + &example_rpc("getnetworkinfo", ""))
    .handler(move |_| {
        let peers = net.peers();
        let inbound = peers.iter().filter(|p| p.inbound).count();
        // Core scores an address by how often peers saw it; a bound address starts at 1.
        let local: Vec<Value> = net
            .bound()
            .iter()
            .map(|a| json!({"address": a.ip().to_string(), "port": a.port(), "score": 1}))
            .collect();
        let kvb = |sats: u64| rpc::amount::amount_to_value(i64::try_from(sats).unwrap_or(i64::MAX));
        Ok(json!({
            "version": 290000,
            "subversion": subversion,
            "protocolversion": p2p::PROTOCOL_VERSION,
            "localservices": services_hex(net.local_services()),
            "localservicesnames": service_names(net.local_services()),
            "localrelay": true,
            "networkactive": net.is_active(),
            "connections": peers.len(),
            "connections_in": inbound,
            "connections_out": peers.len() - inbound,
            "networks": networks(),
            "relayfee": kvb(fees.min_relay),
            "incrementalfee": kvb(fees.incremental),
            "localaddresses": local,
            "warnings": [],
        }))
    })
}

fn addnode(net: Arc<Net>) -> Method {
    Method::new("addnode", "network", "Attempts to add or remove a node from the addnode list.\nOr try a connection to a node once.\nNodes added using addnode (or -connect) are protected from DoS disconnection and are not required to be\nfull nodes/support SegWit as other outbound peers are (though such peers will not be synced from).\nAddnode connections are limited to 8 at a time and are counted separately from the -maxconnections limit.")
        .param(Param::required("node", ParamType::Str, "The IP address/port of the node"))
        .param(Param::required("command", ParamType::Str, "'add' to add a node to the list, 'remove' to remove a node from the list, 'onetry' to try a connection to the node once"))
        .param(Param::hint("v2transport", ParamType::Bool, "set by -v2transport", "Attempt to connect using BIP324 v2 transport protocol (ignored for 'remove' command)"))
        .result("null    (json null)")
        .examples(example_cli("addnode", "\"192.168.0.6:8333\" \"onetry\" true") + &example_rpc("addnode", "\"192.168.0.6:8333\", \"onetry\" true"))
        .handler(move |p| {
            let node = p.arg::<&str>("node")?;
            let command = match p.arg::<&str>("command")? {
                "add" => AddNode::Add,
                "remove" => AddNode::Remove,
                "onetry" => AddNode::OneTry,
                _ => return Err(RpcError::new(RPC_INVALID_PARAMETER, "Error: command must be one of: add, remove, onetry")),
            };
            let v2transport = p.maybe_arg::<bool>("v2transport")?.unwrap_or(net.v2transport());
            if v2transport && !net.v2transport() {
                return Err(RpcError::new(RPC_INVALID_PARAMETER, "Error: v2transport requested but not enabled (see -v2transport)"));
            }
            net.add_node(node, command, v2transport).map_err(|e| match e {
                p2p::AddNodeError::AlreadyAdded => RpcError::new(RPC_CLIENT_NODE_ALREADY_ADDED, "Error: Node already added"),
                _ => RpcError::new(RPC_CLIENT_NODE_NOT_ADDED, "Error: Node could not be removed. It has not been added previously."),
            })?;
            Ok(Value::Null)
        })
}

fn disconnectnode(net: Arc<Net>) -> Method {
    Method::new("disconnectnode", "network", "Immediately disconnects from the specified peer node.\n\nStrictly one out of 'address' and 'nodeid' can be provided to identify the node.\n\nTo disconnect by nodeid, either set 'address' to the empty string, or call using the named 'nodeid' argument only.")
        .param(Param::hint("address", ParamType::Str, "fallback to nodeid", "The IP address/port of the node"))
        .param(Param::hint("nodeid", ParamType::Num, "fallback to address", "The node ID (see getpeerinfo for node IDs)"))
        .result("null    (json null)")
        .examples(example_cli("disconnectnode", "\"192.168.0.6:8333\"") + &example_cli("disconnectnode", "\"\" 1") + &example_rpc("disconnectnode", "\"192.168.0.6:8333\"") + &example_rpc("disconnectnode", "\"\", 1"))
        .handler(move |p| {
            let address = p.maybe_arg::<&str>("address")?.filter(|a| !a.is_empty());
            let nodeid = p.maybe_arg::<i64>("nodeid")?;
            let found = match (address, nodeid) {
                (Some(a), None) => net.disconnect(Some(a), None),
                (None, Some(id)) => net.disconnect(None, u64::try_from(id).ok()),
                _ => return Err(RpcError::new(RPC_INVALID_PARAMETER, "Only one of address and nodeid should be provided.")),
            };
            if !found {
                return Err(RpcError::new(RPC_CLIENT_NODE_NOT_CONNECTED, "Node not found in connected nodes"));
            }
            Ok(Value::Null)
        })
}

fn setnetworkactive(net: Arc<Net>) -> Method {
    Method::new(
        "setnetworkactive",
        "network",
        "Disable/enable all p2p network activity.",
    )
    .param(Param::required(
        "state",
        ParamType::Bool,
        "true to enable networking, false to disable",
    ))
    .result("true|false    (boolean) The value that was passed in")
    .examples(String::new())
    .handler(move |p| {
        let state = p.arg::<bool>("state")?;
        net.set_active(state);
        Ok(state.into())
    })
}

fn ping(net: Arc<Net>) -> Method {
    Method::new("ping", "network", "Requests that a ping be sent to all other nodes, to measure ping time.\nResults are provided in getpeerinfo.\nPing command is handled in queue with all other commands, so it measures processing backlog, not just network ping.")
        .result("null    (json null)")
        .examples(example_cli("ping", "") + &example_rpc("ping", ""))
        .handler(move |_| {
            net.ping_all();
            Ok(Value::Null)
        })
}

fn getaddednodeinfo(net: Arc<Net>) -> Method {
    Method::new("getaddednodeinfo", "network", "Returns information about the given added node, or all added nodes\n(note that onetry addnodes are not listed here)")
        .param(Param::hint("node", ParamType::Str, "all nodes", "If provided, return information about this specific node, otherwise all nodes are returned."))
        .result("[                                (json array)\n  {                              (json object)\n    \"addednode\" : \"str\",         (string) The node IP address or name (as provided to addnode)\n    \"connected\" : true|false,    (boolean) If connected\n    \"addresses\" : [             (json array) Only when connected = true\n      {                          (json object)\n        \"address\" : \"str\",     (string) The bitcoin server IP and port we're connected to\n        \"connected\" : \"str\"    (string) connection, inbound or outbound\n      },\n      ...\n    ]\n  },\n  ...\n]")
        .examples(example_cli("getaddednodeinfo", "\"192.168.0.201\"") + &example_rpc("getaddednodeinfo", "\"192.168.0.201\""))
        .handler(move |p| {
            let wanted = p.maybe_arg::<&str>("node")?;
            let added: Vec<_> = net
                .added_nodes()
                .into_iter()
                .filter(|(name, _)| wanted.is_none_or(|w| w == name))
                .collect();
            if wanted.is_some() && added.is_empty() {
                return Err(RpcError::new(RPC_CLIENT_NODE_NOT_ADDED, "Error: Node has not been added."));
            }
            Ok(Value::Array(
                added
                    .into_iter()
                    .map(|(name, connected)| {
                        let addresses: Vec<Value> = connected
                            .iter()
                            .map(|a| json!({"address": a.to_string(), "connected": "outbound"}))
                            .collect();
                        json!({"addednode": name, "connected": connected.is_some(), "addresses": addresses})
                    })
                    .collect(),
            ))
        })
}

fn unix_now() -> u64 {
    unix_millis() / 1000
}

fn setban(net: Arc<Net>) -> Method {
    Method::new("setban", "network", "Attempts to add or remove an IP/Subnet from the banned list.")
        .param(Param::required("subnet", ParamType::Str, "The IP/Subnet (see getpeerinfo for nodes IP) with an optional netmask (default is /32 = single IP)"))
        .param(Param::required("command", ParamType::Str, "'add' to add an IP/Subnet to the list, 'remove' to remove an IP/Subnet from the list"))
        .param(Param::default("bantime", ParamType::Num, 0, "time in seconds how long (or until when if [absolute] is set) the IP is banned (0 or empty means using the default time of 24h which can also be overwritten by the -bantime startup argument)"))
        .param(Param::default("absolute", ParamType::Bool, false, "If set, the bantime must be an absolute timestamp expressed in UNIX epoch time"))
        .result("null    (json null)")
        .examples(example_cli("setban", "\"192.168.0.6\" \"add\" 86400") + &example_cli("setban", "\"192.168.0.0/24\" \"add\"") + &example_rpc("setban", "\"192.168.0.6\", \"add\", 86400"))
        .handler(move |p| {
            let text = p.arg::<&str>("subnet")?;
            let add = match p.arg::<&str>("command")? {
                "add" => true,
                "remove" => false,
                _ => return Err(RpcError::new(RPC_INVALID_PARAMETER, "Error: command must be one of: add, remove")),
            };
            let subnet: p2p::Subnet = text
                .parse()
                .map_err(|_| RpcError::new(RPC_CLIENT_INVALID_IP_OR_SUBNET, "Error: Invalid IP/Subnet"))?;
            if !add {
                net.unban(&subnet).map_err(|_| RpcError::new(RPC_CLIENT_INVALID_IP_OR_SUBNET, "Error: Unban failed. Requested address/subnet was not previously manually banned."))?;
                return Ok(Value::Null);
            }
            let bantime = p.maybe_arg::<i64>("bantime")?.unwrap_or(0);
            let absolute = p.maybe_arg::<bool>("absolute")?.unwrap_or(false);
            let now = unix_now();
            let until = if absolute {
                let until = u64::try_from(bantime).unwrap_or(0);
                if until < now {
                    return Err(RpcError::new(RPC_INVALID_PARAMETER, "Error: Absolute timestamp is in the past"));
                }
                until
            } else {
                let duration = u64::try_from(bantime).ok().filter(|d| *d > 0).unwrap_or(net.ban_time().as_secs());
                now.saturating_add(duration)
            };
            net.ban(subnet, until).map_err(|_| RpcError::new(RPC_CLIENT_NODE_ALREADY_ADDED, "Error: IP/Subnet already banned"))?;
            Ok(Value::Null)
        })
}

fn listbanned(net: Arc<Net>) -> Method {
    Method::new("listbanned", "network", "List all manually banned IPs/Subnets.")
        .result("[                              (json array)\n  {                            (json object)\n    \"address\" : \"str\",         (string) The IP/Subnet of the banned node\n    \"ban_created\" : xxx,       (numeric) The UNIX epoch time the ban was created\n    \"banned_until\" : xxx,      (numeric) The UNIX epoch time the ban expires\n    \"ban_duration\" : xxx,      (numeric) The ban duration, in seconds\n    \"time_remaining\" : xxx     (numeric) The time remaining until the ban expires, in seconds\n  },\n  ...\n]")
        .examples(example_cli("listbanned", "") + &example_rpc("listbanned", ""))
        .handler(move |_| {
            let now = unix_now();
            Ok(Value::Array(
                net.banned()
                    .iter()
                    .map(|b| {
                        json!({
                            "address": b.subnet.to_string(),
                            "ban_created": b.created,
                            "banned_until": b.until,
                            "ban_duration": b.until.saturating_sub(b.created),
                            "time_remaining": b.until.saturating_sub(now),
                        })
                    })
                    .collect(),
            ))
        })
}

fn clearbanned(net: Arc<Net>) -> Method {
    Method::new("clearbanned", "network", "Clear all banned IPs.")
        .result("null    (json null)")
        .examples(example_cli("clearbanned", "") + &example_rpc("clearbanned", ""))
        .handler(move |_| {
            net.clear_banned();
            Ok(Value::Null)
        })
}

/// Core's `getnodeaddresses`: known addresses, at random, all or of one network.
fn getnodeaddresses(net: Arc<Net>) -> Method {
    Method::new("getnodeaddresses", "network", "Return known addresses, after filtering for quality and recency.\nThese can potentially be used to find new peers in the network.\nThe total number of addresses known to the node may be higher.")
        .param(Param::default("count", ParamType::Num, 1, "The maximum number of addresses to return. Specify 0 to return all known addresses."))
        .param(Param::hint("network", ParamType::Str, "all networks", "Return only addresses of the specified network. Can be one of: ipv4, ipv6, onion, i2p, cjdns."))
        .result("[                         (json array)\n  {                       (json object)\n    \"time\" : xxx,         (numeric) The UNIX epoch time when the node was last seen\n    \"services\" : n,       (numeric) The services offered by the node\n    \"address\" : \"str\",    (string) The address of the node\n    \"port\" : n,           (numeric) The port number of the node\n    \"network\" : \"str\"     (string) The network (ipv4, ipv6, onion, i2p, cjdns) the node connected through\n  },\n  ...\n]")
        .examples(example_cli("getnodeaddresses", "8") + &example_cli("getnodeaddresses", "4 \"i2p\"") + &example_cli("-named getnodeaddresses", "network=onion count=12") + &example_rpc("getnodeaddresses", "8") + &example_rpc("getnodeaddresses", "4, \"i2p\""))
        .handler(move |p| {
            let count = p.maybe_arg::<i64>("count")?.unwrap_or(1);
            let count = usize::try_from(count).map_err(|_| RpcError::new(RPC_INVALID_PARAMETER, "Address count out of range"))?;
            let network = p.maybe_arg::<&str>("network")?;
            if let Some(name) = network {
                if !["ipv4", "ipv6", "onion", "i2p", "cjdns"].contains(&name) {
                    return Err(RpcError::new(RPC_INVALID_PARAMETER, format!("Network not recognized: {name}")));
                }
            }
            let list = net.addresses(count, |a| network.is_none_or(|n| network_name(a.addr) == n));
            Ok(Value::Array(
                list.iter()
                    .map(|a| {
                        json!({
                            "time": a.time,
                            "services": a.services.to_u64(),
                            "address": a.addr.ip().to_string(),
                            "port": a.addr.port(),
                            "network": network_name(a.addr),
                        })
                    })
                    .collect(),
            ))
        })
}

/// Core's test-only `addpeeraddress`: puts an address in the address table (new, or tried
/// with `tried`), as if the peer had announced itself.
/// Core's `getorphantxs` (hidden, experimental): the orphan pool.
fn getorphantxs(net: Arc<Net>) -> Method {
    Method::new("getorphantxs", "hidden", "Shows transactions in the tx orphanage.\n\nEXPERIMENTAL warning: this call may be changed in future releases.")
        .param(Param::default("verbosity", ParamType::Num, 0, "0 for an array of txids (may contain duplicates), 1 for an array of objects with tx details, and 2 for details from (1) and tx hex"))
        .result_when("for verbose = 0", "[           (json array)\n  \"hex\",    (string) The transaction hash in hex\n  ...\n]")
        .result_when("for verbose = 1", "[                       (json array)\n  {                     (json object)\n    \"txid\" : \"hex\",      (string) The transaction hash in hex\n    \"wtxid\" : \"hex\",     (string) The transaction witness hash in hex\n    \"bytes\" : n,         (numeric) The serialized transaction size in bytes\n    \"vsize\" : n,         (numeric) The virtual transaction size as defined in BIP 141. This is different from actual serialized size for witness transactions as witness data is discounted.\n    \"weight\" : n,        (numeric) The transaction weight as defined in BIP 141.\n    \"from\" : [          (json array)\n      n,                (numeric) Peer ID\n      ...\n    ]\n  },\n  ...\n]")
        .result_when("for verbose = 2", "[                       (json array)\n  {                     (json object)\n    ...,                Same output as verbosity = 1\n    \"hex\" : \"hex\"        (string) The serialized, hex-encoded transaction data\n  },\n  ...\n]")
        .examples(example_cli("getorphantxs", "2") + &example_rpc("getorphantxs", "2"))
        .handler(move |p| {
            let verbosity = p.maybe_arg::<i64>("verbosity")?.unwrap_or(0);
            if !(0..=2).contains(&verbosity) {
                return Err(RpcError::new(RPC_INVALID_PARAMETER, format!("Invalid verbosity value {verbosity}")));
            }
            let orphans = net.orphans();
            let out: Vec<Value> = orphans
                .iter()
                .map(|o| {
                    let txid = o.tx.compute_txid().to_string();
                    if verbosity == 0 {
                        return json!(txid);
                    }
                    let weight = o.tx.weight().to_wu();
                    let mut v = json!({
                        "txid": txid,
                        "wtxid": o.tx.compute_wtxid().to_string(),
                        "bytes": o.tx.total_size(),
                        "vsize": weight.div_ceil(4),
                        "weight": weight,
                        "from": [o.from],
                    });
                    if let (2, Some(map)) = (verbosity, v.as_object_mut()) {
                        map.insert("hex".into(), json!(bitcoin::consensus::encode::serialize_hex(&*o.tx)));
                    }
                    v
                })
                .collect();
            Ok(Value::Array(out))
        })
}

fn addpeeraddress(net: Arc<Net>) -> Method {
    Method::new("addpeeraddress", "hidden", "Add the address of a potential peer to an address manager table. This RPC is for testing only.")
        .param(Param::required("address", ParamType::Str, "The IP address of the peer"))
        .param(Param::required("port", ParamType::Num, "The port of the peer"))
        .param(Param::default("tried", ParamType::Bool, false, "If true, attempt to add the peer to the tried addresses table"))
        .result("{                       (json object)\n  \"success\" : true|false,    (boolean) whether the peer address was successfully added to the address manager table\n  \"error\" : \"str\"             (string, optional) error description, if the address could not be added\n}")
        .examples(example_cli("addpeeraddress", "\"1.2.3.4\" 8333 true") + &example_rpc("addpeeraddress", "\"1.2.3.4\", 8333, true"))
        .handler(move |p| {
            let address = p.arg::<&str>("address")?;
            let port = p.arg::<i64>("port")?;
            let port = u16::try_from(port).map_err(|_| RpcError::new(RPC_INVALID_PARAMETER, "JSON integer out of range"))?;
            let tried = p.maybe_arg::<bool>("tried")?.unwrap_or(false);
            let bare = address.trim_start_matches('[').trim_end_matches(']');
            let Ok(ip) = bare.parse::<std::net::IpAddr>() else {
                return Ok(json!({ "success": false }));
            };
            if net.add_peer_address(std::net::SocketAddr::new(ip, port), tried) {
                Ok(json!({ "success": true }))
            } else {
                Ok(json!({ "error": "failed-adding-to-new", "success": false }))
            }
        })
}

/// Core's `getaddrmaninfo`: the address table's new and tried entries per network.
fn getaddrmaninfo(net: Arc<Net>) -> Method {
    Method::new("getaddrmaninfo", "network", "Provides information about the node's address manager by returning the number of addresses in the `new` and `tried` tables and their sum for all networks.")
        .result("{                   (json object) json object with network type as keys\n  \"network\" : {    (json object) the network (ipv4, ipv6, onion, i2p, cjdns, all_networks)\n    \"new\" : n,     (numeric) number of addresses in the new table, which represent potential peers the node has discovered but hasn't yet successfully connected to.\n    \"tried\" : n,   (numeric) number of addresses in the tried table, which represent peers the node has successfully connected to in the past.\n    \"total\" : n    (numeric) total number of addresses in both new/tried tables\n  },\n  ...\n}")
        .examples(example_cli("getaddrmaninfo", "") + &example_rpc("getaddrmaninfo", ""))
        .handler(move |_| {
            let counts = net.addrman_counts().by_network;
            let entry = |new: usize, tried: usize| json!({ "new": new, "tried": tried, "total": new + tried });
            let mut result = serde_json::Map::new();
            for name in ["ipv4", "ipv6", "onion", "i2p", "cjdns"] {
                let (new, tried) = counts.get(name).copied().unwrap_or_default();
                result.insert(name.to_string(), entry(new, tried));
            }
            // Unroutable entries (kept on regtest only) count in the total, as in Core.
            let (new, tried) = counts.values().fold((0, 0), |(n, t), (a, b)| (n + a, t + b));
            result.insert("all_networks".to_string(), entry(new, tried));
            Ok(Value::Object(result))
        })
}

/// Registers the network methods; `subversion` is our user agent.
pub fn register(table: &mut RpcTable, net: &Arc<Net>, subversion: &str, fees: RelayFees) {
    table.register(getpeerinfo(net.clone()));
    table.register(getconnectioncount(net.clone()));
    table.register(getnettotals(net.clone()));
    table.register(getnetworkinfo(net.clone(), subversion.to_string(), fees));
    table.register(addnode(net.clone()));
    table.register(disconnectnode(net.clone()));
    table.register(setnetworkactive(net.clone()));
    table.register(ping(net.clone()));
    table.register(getaddednodeinfo(net.clone()));
    table.register(setban(net.clone()));
    table.register(listbanned(net.clone()));
    table.register(clearbanned(net.clone()));
    table.register(getnodeaddresses(net.clone()));
    table.register(addpeeraddress(net.clone()));
    table.register(getorphantxs(net.clone()));
    table.register(getaddrmaninfo(net.clone()));
}
