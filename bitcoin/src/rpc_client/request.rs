//! Turning a command line into a JSON-RPC request and the reply back into something to show
//! (Core's `BaseRequestHandler` family): the plain request, `-getinfo`'s and `-netinfo`'s
//! batches, and the `generatetoaddress` call of `-generate`.

use std::time::{SystemTime, UNIX_EPOCH};

use common::Chain;

use super::convert::{convert_named_values, convert_values};
use super::json::Json;
use super::netinfo;
use super::CliError;

/// Core's `RPC_METHOD_NOT_FOUND`.
pub const RPC_METHOD_NOT_FOUND: i64 = -32601;
/// Core's `RPC_IN_WARMUP`.
pub const RPC_IN_WARMUP: i64 = -28;
/// Core's `RPC_WALLET_NOT_SPECIFIED`.
pub const RPC_WALLET_NOT_SPECIFIED: i64 = -19;

/// Positions of `-getinfo`'s requests in its batch (their ids).
const ID_NETWORKINFO: usize = 0;
const ID_BLOCKCHAININFO: usize = 1;
const ID_WALLETINFO: usize = 2;
const ID_BALANCES: usize = 3;

/// Positions of `-netinfo`'s requests in its batch (their ids).
const ID_PEERINFO: usize = 0;
const ID_NETINFO_NETWORKINFO: usize = 1;

/// How a command line becomes a request and a reply becomes a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handler {
    /// One call of the method named on the command line.
    Default {
        /// `-named`: arguments are `name=value`.
        named: bool,
        /// `-rpcid`.
        id: String,
    },
    /// `-getinfo`: a batch of `getnetworkinfo`, `getblockchaininfo`, `getwalletinfo` and
    /// `getbalances`, merged into one object.
    GetInfo,
    /// `-netinfo`: a batch of `getpeerinfo` and `getnetworkinfo`, made into the dashboard
    /// text.
    NetInfo {
        /// The level and `outonly` arguments (read by [`netinfo::Request::parse`]).
        request: netinfo::Request,
        /// The chain the client was started for (shown in the header).
        chain: Option<Chain>,
    },
    /// `-generate`: `generatetoaddress` with the address `getnewaddress` gave.
    GenerateToAddress {
        /// The address the blocks pay to.
        address: String,
    },
}

/// Core's `JSONRPCRequestObj`.
pub fn request_object(method: &str, params: Json, id: Json) -> Json {
    Json::Object(vec![
        ("method".into(), Json::str(method)),
        ("params".into(), params),
        ("id".into(), id),
        ("jsonrpc".into(), Json::str("2.0")),
    ])
}

/// A successful JSON-RPC 2.0 reply with id 1 (Core's `JSONRPCReplyObj`).
pub fn reply_object(result: Json) -> Json {
    Json::Object(vec![
        ("jsonrpc".into(), Json::str("2.0")),
        ("result".into(), result),
        ("id".into(), Json::int(1)),
    ])
}

/// The `code` of a reply's error, if it has one.
pub fn error_code(reply: &Json) -> Option<i64> {
    reply.get("error").get("code").as_i64()
}

impl Handler {
    /// The request for `method` (unused by `-getinfo`, `-netinfo` and `-generate`) and its
    /// arguments (`-netinfo`'s are read before, into the handler).
    pub fn prepare(&self, method: &str, args: &[String]) -> Result<Json, CliError> {
        let convert = |e: super::convert::ConvertError| CliError::Other(e.to_string());
        match self {
            Handler::Default { named, id } => {
                let params = if *named {
                    convert_named_values(method, args).map_err(convert)?
                } else {
                    convert_values(method, args).map_err(convert)?
                };
                Ok(request_object(method, params, Json::str(id.as_str())))
            }
            Handler::GetInfo => {
                if !args.is_empty() {
                    return Err(CliError::Other("-getinfo takes no arguments".into()));
                }
                let batch = [
                    "getnetworkinfo",
                    "getblockchaininfo",
                    "getwalletinfo",
                    "getbalances",
                ]
                .iter()
                .enumerate()
                .map(|(id, method)| request_object(method, Json::Null, Json::int(id as i64)))
                .collect();
                Ok(Json::Array(batch))
            }
            Handler::NetInfo { .. } => {
                let batch = [
                    (ID_PEERINFO, "getpeerinfo"),
                    (ID_NETINFO_NETWORKINFO, "getnetworkinfo"),
                ]
                .iter()
                .map(|(id, method)| request_object(method, Json::Null, Json::int(*id as i64)))
                .collect();
                Ok(Json::Array(batch))
            }
            Handler::GenerateToAddress { .. } => {
                let params = convert_values("generatetoaddress", args).map_err(convert)?;
                Ok(request_object("generatetoaddress", params, Json::int(1)))
            }
        }
    }

    /// The reply as the command's result, in a reply object (`result`, `error`, `id`).
    pub fn process_reply(&self, reply: Json) -> Result<Json, CliError> {
        match self {
            Handler::Default { .. } => match reply {
                Json::Object(_) => Ok(reply),
                other => Err(not_an_object(&other)),
            },
            Handler::GetInfo => get_info_reply(&process_batch_reply(&reply)?),
            Handler::NetInfo { request, chain } => {
                net_info_reply(&process_batch_reply(&reply)?, *request, *chain)
            }
            Handler::GenerateToAddress { address } => {
                if !reply.get("error").is_null() {
                    // Core drops the error here and prints `"blocks": null`; we show it.
                    return Ok(reply);
                }
                let result = Json::Object(vec![
                    ("address".into(), Json::str(address.as_str())),
                    ("blocks".into(), reply.get("result").clone()),
                ]);
                Ok(reply_object(result))
            }
        }
    }
}

fn type_name(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn not_an_object(value: &Json) -> CliError {
    CliError::Other(format!(
        "JSON value of type {} is not of expected type object",
        type_name(value)
    ))
}

/// Core's `JSONRPCProcessBatchReply`: the replies of a batch, placed by their ids.
pub fn process_batch_reply(reply: &Json) -> Result<Vec<Json>, CliError> {
    let Json::Array(records) = reply else {
        return Err(CliError::Other("Batch must be an array".into()));
    };
    let mut batch = vec![Json::Null; records.len()];
    for record in records {
        if !matches!(record, Json::Object(_)) {
            return Err(CliError::Other("Batch member must be an object".into()));
        }
        let id = record
            .get("id")
            .as_i64()
            .and_then(|id| usize::try_from(id).ok())
            .filter(|id| *id < batch.len())
            .ok_or_else(|| CliError::Other("Batch member id is larger than batch size".into()))?;
        batch[id] = record.clone();
    }
    Ok(batch)
}

/// Whether a batch member failed only because the node does not have the method (yet).
fn method_missing(record: &Json) -> bool {
    error_code(record) == Some(RPC_METHOD_NOT_FOUND)
}

/// Core's `GetinfoRequestHandler::ProcessReply`, except that when the node lacks one of
/// `getnetworkinfo` and `getblockchaininfo` (method not found) but has the other, the fields
/// of the missing one are left out instead of failing. Any other error, or both missing,
/// is passed on as Core does.
fn get_info_reply(batch: &[Json]) -> Result<Json, CliError> {
    let member = |id: usize| batch.get(id).cloned().unwrap_or(Json::Null);
    let (network, chain) = (member(ID_NETWORKINFO), member(ID_BLOCKCHAININFO));
    let failed = |r: &Json| !r.get("error").is_null();
    let skip_network = failed(&network) && method_missing(&network) && !failed(&chain);
    let skip_chain = failed(&chain) && method_missing(&chain) && !failed(&network);
    if failed(&network) && !skip_network {
        return Ok(network);
    }
    if failed(&chain) && !skip_chain {
        return Ok(chain);
    }
    let (network, chain) = (network.get("result"), chain.get("result"));
    let mut result = Json::Object(Vec::new());
    let mut put = |key: &str, value: &Json, skip: bool| {
        if !skip {
            result.push_kv(key, value.clone());
        }
    };
    put("version", network.get("version"), skip_network);
    put("blocks", chain.get("blocks"), skip_chain);
    put("headers", chain.get("headers"), skip_chain);
    put(
        "verificationprogress",
        chain.get("verificationprogress"),
        skip_chain,
    );
    put("timeoffset", network.get("timeoffset"), skip_network);
    let connections = Json::Object(vec![
        ("in".into(), network.get("connections_in").clone()),
        ("out".into(), network.get("connections_out").clone()),
        ("total".into(), network.get("connections").clone()),
    ]);
    put("connections", &connections, skip_network);
    put("networks", network.get("networks"), skip_network);
    put("difficulty", chain.get("difficulty"), skip_chain);
    put("chain", chain.get("chain"), skip_chain);
    let wallet = member(ID_WALLETINFO);
    let wallet = wallet.get("result");
    if !wallet.is_null() {
        put("has_wallet", &Json::Bool(true), false);
        put("keypoolsize", wallet.get("keypoolsize"), false);
        put("walletname", wallet.get("walletname"), false);
        if !wallet.get("unlocked_until").is_null() {
            put("unlocked_until", wallet.get("unlocked_until"), false);
        }
    }
    let balances = member(ID_BALANCES);
    if !balances.get("result").is_null() {
        put(
            "balance",
            balances.get("result").get("mine").get("trusted"),
            false,
        );
    }
    put("relayfee", network.get("relayfee"), skip_network);
    put("warnings", network.get("warnings"), skip_network);
    Ok(reply_object(result))
}

/// Core's `NetinfoRequestHandler::ProcessReply`: an error of either call is passed on,
/// otherwise the dashboard text is the result.
fn net_info_reply(
    batch: &[Json],
    request: netinfo::Request,
    chain: Option<Chain>,
) -> Result<Json, CliError> {
    let member = |id: usize| batch.get(id).cloned().unwrap_or(Json::Null);
    let (peers, network) = (member(ID_PEERINFO), member(ID_NETINFO_NETWORKINFO));
    for reply in [&peers, &network] {
        if !reply.get("error").is_null() {
            return Ok(reply.clone());
        }
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let text = netinfo::format(
        request,
        chain,
        peers.get("result"),
        network.get("result"),
        now,
    )?;
    Ok(reply_object(Json::String(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Json {
        Json::parse(text).unwrap_or_else(|| panic!("bad test JSON {text}"))
    }

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn default_requests_carry_the_rpc_id_as_a_string() {
        let handler = Handler::Default {
            named: false,
            id: "1".into(),
        };
        let request = handler
            .prepare("getblockhash", &strings(&["0"]))
            .expect("prepare");
        assert_eq!(
            request.write(),
            r#"{"method":"getblockhash","params":[0],"id":"1","jsonrpc":"2.0"}"#
        );
        let named = Handler::Default {
            named: true,
            id: "x".into(),
        };
        let request = named
            .prepare("getblock", &strings(&["blockhash=00", "verbosity=0"]))
            .expect("prepare");
        assert_eq!(
            request.write(),
            r#"{"method":"getblock","params":{"blockhash":"00","verbosity":0},"id":"x","jsonrpc":"2.0"}"#
        );
        assert!(matches!(
            handler.process_reply(json("[1]")),
            Err(CliError::Other(m)) if m == "JSON value of type array is not of expected type object"
        ));
    }

    #[test]
    fn getinfo_batch_and_merged_reply() {
        let request = Handler::GetInfo.prepare("", &[]).expect("prepare");
        assert_eq!(
            request.write(),
            r#"[{"method":"getnetworkinfo","params":null,"id":0,"jsonrpc":"2.0"},{"method":"getblockchaininfo","params":null,"id":1,"jsonrpc":"2.0"},{"method":"getwalletinfo","params":null,"id":2,"jsonrpc":"2.0"},{"method":"getbalances","params":null,"id":3,"jsonrpc":"2.0"}]"#
        );
        assert!(Handler::GetInfo.prepare("", &strings(&["x"])).is_err());
        // Out of order, as a server may answer.
        let reply = json(
            r#"[{"result":{"chain":"regtest","blocks":5,"headers":5,"verificationprogress":1,"difficulty":4.656542373906925e-10},"error":null,"id":1},
                {"result":{"version":300000,"timeoffset":0,"connections_in":1,"connections_out":2,"connections":3,"networks":[],"relayfee":0.00001000,"warnings":""},"error":null,"id":0},
                {"result":{"walletname":"w","keypoolsize":1000},"error":null,"id":2},
                {"result":{"mine":{"trusted":1.50000000}},"error":null,"id":3}]"#,
        );
        let reply = Handler::GetInfo.process_reply(reply).expect("process");
        assert_eq!(
            reply.get("result").write(),
            r#"{"version":300000,"blocks":5,"headers":5,"verificationprogress":1,"timeoffset":0,"connections":{"in":1,"out":2,"total":3},"networks":[],"difficulty":4.656542373906925e-10,"chain":"regtest","has_wallet":true,"keypoolsize":1000,"walletname":"w","balance":1.50000000,"relayfee":0.00001000,"warnings":""}"#
        );
    }

    #[test]
    fn getinfo_errors_pass_on_except_a_single_missing_method() {
        let missing =
            r#"{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":ID}"#;
        let chain = r#"{"result":{"chain":"regtest","blocks":0},"error":null,"id":1}"#;
        let reply = json(&format!(
            "[{},{chain},{},{}]",
            missing.replace("ID", "0"),
            missing.replace("ID", "2"),
            missing.replace("ID", "3")
        ));
        let result = Handler::GetInfo.process_reply(reply).expect("process");
        assert_eq!(
            result.get("result").write(),
            r#"{"blocks":0,"headers":null,"verificationprogress":null,"difficulty":null,"chain":"regtest"}"#
        );
        // Both missing: Core's behaviour, getnetworkinfo's error.
        let reply = json(&format!(
            "[{},{},{},{}]",
            missing.replace("ID", "0"),
            missing.replace("ID", "1"),
            missing.replace("ID", "2"),
            missing.replace("ID", "3")
        ));
        let result = Handler::GetInfo.process_reply(reply).expect("process");
        assert_eq!(error_code(&result), Some(RPC_METHOD_NOT_FOUND));
        assert_eq!(result.get("id"), &Json::int(0));
        // Another error (warm-up) is passed on.
        let warmup = r#"{"result":null,"error":{"code":-28,"message":"Loading"},"id":1}"#;
        let reply = json(&format!(
            "[{},{warmup}]",
            r#"{"result":{},"error":null,"id":0}"#
        ));
        let result = Handler::GetInfo.process_reply(reply).expect("process");
        assert_eq!(error_code(&result), Some(RPC_IN_WARMUP));
    }

    #[test]
    fn batch_replies_are_checked() {
        for (reply, message) in [
            ("{}", "Batch must be an array"),
            ("[1]", "Batch member must be an object"),
            (r#"[{"id":1}]"#, "Batch member id is larger than batch size"),
            (
                r#"[{"id":"0"}]"#,
                "Batch member id is larger than batch size",
            ),
        ] {
            match process_batch_reply(&json(reply)) {
                Err(CliError::Other(m)) => assert_eq!(m, message),
                other => panic!("{reply}: {other:?}"),
            }
        }
    }

    #[test]
    fn generate_reply_names_the_address() {
        let handler = Handler::GenerateToAddress {
            address: "bcrt1qx".into(),
        };
        let request = handler
            .prepare("", &strings(&["2", "bcrt1qx", "10"]))
            .expect("prepare");
        assert_eq!(
            request.write(),
            r#"{"method":"generatetoaddress","params":[2,"bcrt1qx",10],"id":1,"jsonrpc":"2.0"}"#
        );
        let reply = handler
            .process_reply(json(r#"{"result":["aa","bb"],"error":null,"id":1}"#))
            .expect("process");
        assert_eq!(
            reply.get("result").write(),
            r#"{"address":"bcrt1qx","blocks":["aa","bb"]}"#
        );
        let failed = json(r#"{"result":null,"error":{"code":-5,"message":"bad"},"id":1}"#);
        assert_eq!(
            handler.process_reply(failed.clone()).expect("process"),
            failed
        );
    }
}
