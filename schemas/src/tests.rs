//! Checks the schemas against the wire facts of `docs/protocol.md`: file and type ids,
//! method ordinals and parameter layouts.

use std::collections::HashMap;

use capnp::schema_capnp::{code_generator_request, field, node, type_};
use capnp::traits::HasTypeId;

struct Nodes {
    by_id: HashMap<u64, (String, Vec<u8>)>,
}

impl Nodes {
    fn load() -> Nodes {
        let mut slice = crate::SCHEMA_NODES;
        let message = capnp::serialize::read_message(&mut slice, Default::default())
            .expect("schemas.bin parses");
        let request: code_generator_request::Reader = message.get_root().expect("root");
        let mut by_id = HashMap::new();
        for node in request.get_nodes().expect("nodes") {
            let name = node
                .get_display_name()
                .expect("name")
                .to_string()
                .expect("utf8");
            let mut builder = capnp::message::Builder::new_default();
            builder.set_root(node).expect("copy node");
            by_id.insert(
                node.get_id(),
                (name, capnp::serialize::write_message_to_words(&builder)),
            );
        }
        Nodes { by_id }
    }

    fn with_node<R>(&self, id: u64, f: impl FnOnce(node::Reader<'_>) -> R) -> R {
        let (_, words) = self
            .by_id
            .get(&id)
            .unwrap_or_else(|| panic!("no node {id:#x}"));
        let mut slice = &words[..];
        let message =
            capnp::serialize::read_message(&mut slice, Default::default()).expect("node parses");
        f(message.get_root().expect("node root"))
    }

    fn id_of(&self, display_name: &str) -> u64 {
        let found: Vec<u64> = self
            .by_id
            .iter()
            .filter(|(_, (name, _))| name == display_name)
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "declaration {display_name} not found exactly once"
        );
        found[0]
    }

    fn short_name(&self, id: u64) -> String {
        let (name, _) = &self.by_id[&id];
        name.rsplit(':').next().unwrap_or(name).to_string()
    }

    fn type_name(&self, ty: type_::Reader<'_>) -> String {
        match ty.which().expect("known type") {
            type_::Void(()) => "Void".into(),
            type_::Bool(()) => "Bool".into(),
            type_::Int32(()) => "Int32".into(),
            type_::Int64(()) => "Int64".into(),
            type_::Uint32(()) => "UInt32".into(),
            type_::Uint64(()) => "UInt64".into(),
            type_::Float64(()) => "Float64".into(),
            type_::Text(()) => "Text".into(),
            type_::Data(()) => "Data".into(),
            type_::List(list) => {
                format!(
                    "List({})",
                    self.type_name(list.get_element_type().expect("element"))
                )
            }
            type_::Struct(s) => self.short_name(s.get_type_id()),
            type_::Interface(i) => self.short_name(i.get_type_id()),
            _ => "?".into(),
        }
    }

    /// Renders a struct's fields as `name @n :Type`, in ordinal order.
    fn fields(&self, struct_id: u64) -> Vec<String> {
        self.with_node(struct_id, |node| {
            let node::Struct(s) = node.which().expect("which") else {
                panic!("not a struct")
            };
            let mut out: Vec<(u16, String)> = s
                .get_fields()
                .expect("fields")
                .iter()
                .map(|f| {
                    let ordinal = match f.get_ordinal().which().expect("ordinal") {
                        field::ordinal::Explicit(n) => n,
                        field::ordinal::Implicit(()) => u16::MAX,
                    };
                    let field::Slot(slot) = f.which().expect("field") else {
                        panic!("group")
                    };
                    let name = f
                        .get_name()
                        .expect("name")
                        .to_str()
                        .expect("utf8")
                        .to_string();
                    let ty = self.type_name(slot.get_type().expect("type"));
                    (ordinal, format!("{name} @{ordinal} :{ty}"))
                })
                .collect();
            out.sort();
            out.into_iter().map(|(_, s)| s).collect()
        })
    }

    /// Renders an interface's methods as `@n name(params) -> (results)`.
    fn methods(&self, interface_id: u64) -> Vec<String> {
        let methods: Vec<(String, u64, u64)> = self.with_node(interface_id, |node| {
            let node::Interface(i) = node.which().expect("which") else {
                panic!("not an interface")
            };
            i.get_methods()
                .expect("methods")
                .iter()
                .map(|m| {
                    let name = m
                        .get_name()
                        .expect("name")
                        .to_str()
                        .expect("utf8")
                        .to_string();
                    (name, m.get_param_struct_type(), m.get_result_struct_type())
                })
                .collect()
        });
        methods
            .into_iter()
            .enumerate()
            .map(|(ordinal, (name, params, results))| {
                format!(
                    "@{ordinal} {name}({}) -> ({})",
                    self.fields(params).join(", "),
                    self.fields(results).join(", ")
                )
            })
            .collect()
    }
}

const CTX: &str = "context @0 :Context";

#[test]
fn file_and_type_ids_match_protocol() {
    let nodes = Nodes::load();
    let expected: &[(&str, u64)] = &[
        ("proxy.capnp", 0xcc316e3f71a040fb),
        ("proxy.capnp:ThreadMap", 0xee5e37179ad9dc9d),
        ("proxy.capnp:Thread", 0x81c1e2600d0b56c5),
        ("proxy.capnp:Context", 0x9c44e6645d0b22c6),
        ("common.capnp", 0xcd2c6232cb484a28),
        ("common.capnp:BlockRef", 0xb3be4b8949350369),
        ("echo.capnp", 0x888b4f7f51e691f7),
        ("echo.capnp:Echo", 0xd36b89640dc94399),
        ("init.capnp", 0xf2c5cfa319406aa6),
        ("init.capnp:Init", 0x8838c700ba5cba65),
        ("mining.capnp", 0xc77d03df6a41b505),
        ("mining.capnp:Mining", 0xf9c68436df3af39e),
        ("mining.capnp:BlockTemplate", 0xf9671ad841b2f622),
        ("mining.capnp:BlockCreateOptions", 0x80fca083ef81a559),
        ("mining.capnp:BlockWaitOptions", 0x9ba437d9de0c452e),
        ("mining.capnp:BlockCheckOptions", 0x89f3f39b6c9dd162),
        ("mining.capnp:CoinbaseTx", 0xdc399c6d34ae7e69),
        ("rpc.capnp", 0x9c3505dc45e146ac),
        ("rpc.capnp:Rpc", 0xacb1d37f0a713129),
    ];
    for (name, id) in expected {
        assert_eq!(nodes.id_of(name), *id, "type id of {name}");
    }
}

#[test]
fn generated_constants_match_protocol() {
    use crate::{common_capnp, echo_capnp, init_capnp, mining_capnp, proxy_capnp, rpc_capnp};
    assert_eq!(proxy_capnp::thread_map::Client::TYPE_ID, 0xee5e37179ad9dc9d);
    assert_eq!(proxy_capnp::thread::Client::TYPE_ID, 0x81c1e2600d0b56c5);
    assert_eq!(
        proxy_capnp::context::Reader::<'static>::TYPE_ID,
        0x9c44e6645d0b22c6
    );
    assert_eq!(
        common_capnp::block_ref::Reader::<'static>::TYPE_ID,
        0xb3be4b8949350369
    );
    assert_eq!(echo_capnp::echo::Client::TYPE_ID, 0xd36b89640dc94399);
    assert_eq!(init_capnp::init::Client::TYPE_ID, 0x8838c700ba5cba65);
    assert_eq!(mining_capnp::mining::Client::TYPE_ID, 0xf9c68436df3af39e);
    assert_eq!(
        mining_capnp::block_template::Client::TYPE_ID,
        0xf9671ad841b2f622
    );
    assert_eq!(
        mining_capnp::block_create_options::Reader::<'static>::TYPE_ID,
        0x80fca083ef81a559
    );
    assert_eq!(
        mining_capnp::block_wait_options::Reader::<'static>::TYPE_ID,
        0x9ba437d9de0c452e
    );
    assert_eq!(
        mining_capnp::block_check_options::Reader::<'static>::TYPE_ID,
        0x89f3f39b6c9dd162
    );
    assert_eq!(
        mining_capnp::coinbase_tx::Reader::<'static>::TYPE_ID,
        0xdc399c6d34ae7e69
    );
    assert_eq!(rpc_capnp::rpc::Client::TYPE_ID, 0xacb1d37f0a713129);
}

#[test]
fn proxy_methods_match_protocol() {
    let nodes = Nodes::load();
    assert_eq!(
        nodes.methods(nodes.id_of("proxy.capnp:ThreadMap")),
        [
            "@0 makeThread(name @0 :Text) -> (result @0 :Thread)",
            "@1 makePool(count @0 :UInt32) -> ()",
        ]
    );
    assert_eq!(
        nodes.methods(nodes.id_of("proxy.capnp:Thread")),
        ["@0 getName() -> (result @0 :Text)"]
    );
    assert_eq!(
        nodes.fields(nodes.id_of("proxy.capnp:Context")),
        ["thread @0 :Thread", "callbackThread @1 :Thread"]
    );
    assert_eq!(
        nodes.fields(nodes.id_of("common.capnp:BlockRef")),
        ["hash @0 :Data", "height @1 :Int32"]
    );
}

#[test]
fn init_echo_rpc_methods_match_protocol() {
    let nodes = Nodes::load();
    assert_eq!(
        nodes.methods(nodes.id_of("init.capnp:Init")),
        [
            "@0 construct(threadMap @0 :ThreadMap) -> (threadMap @0 :ThreadMap)".to_string(),
            format!("@1 makeEcho({CTX}) -> (result @0 :Echo)"),
            "@2 makeMiningOld2() -> ()".to_string(),
            format!("@3 makeMining({CTX}) -> (result @0 :Mining)"),
            format!("@4 makeRpc({CTX}) -> (result @0 :Rpc)"),
            format!("@5 makeChain({CTX}) -> (result @0 :Chain)"),
            format!("@6 makeNode({CTX}) -> (result @0 :Node)"),
            format!("@7 makeWalletLoader({CTX}, chain @1 :Chain) -> (result @0 :WalletLoader)"),
            format!("@8 configure({CTX}, args @1 :List(Text)) -> ()"),
        ]
    );
    assert_eq!(
        nodes.methods(nodes.id_of("echo.capnp:Echo")),
        [
            format!("@0 destroy({CTX}) -> ()"),
            format!("@1 echo({CTX}, echo @1 :Text) -> (result @0 :Text)"),
        ]
    );
    assert_eq!(
        nodes.methods(nodes.id_of("rpc.capnp:Rpc")),
        [format!(
            "@0 executeRpc({CTX}, request @1 :Text, uri @2 :Text, user @3 :Text) -> (result @0 :Text)"
        )]
    );
}

#[test]
fn mining_methods_match_protocol() {
    let nodes = Nodes::load();
    let mining = nodes.methods(nodes.id_of("mining.capnp:Mining"));
    let expected = [
        format!("@0 isTestChain({CTX}) -> (result @0 :Bool)"),
        format!("@1 isInitialBlockDownload({CTX}) -> (result @0 :Bool)"),
        format!("@2 getTip({CTX}) -> (result @0 :BlockRef, hasResult @1 :Bool)"),
        format!("@3 waitTipChanged({CTX}, currentTip @1 :Data, timeout @2 :Float64) -> (result @0 :BlockRef)"),
        format!("@4 createNewBlock({CTX}, options @1 :BlockCreateOptions, cooldown @2 :Bool) -> (result @0 :BlockTemplate)"),
        format!("@5 checkBlock({CTX}, block @1 :Data, options @2 :BlockCheckOptions) -> (reason @0 :Text, debug @1 :Text, result @2 :Bool)"),
        "@6 interrupt() -> ()".to_string(),
        format!("@7 submitBlock({CTX}, block @1 :Data) -> (reason @0 :Text, debug @1 :Text, result @2 :Bool)"),
        format!("@8 getTransactionsByTxID({CTX}, txids @1 :List(Data)) -> (result @0 :List(Data))"),
        format!("@9 getTransactionsByWitnessID({CTX}, wtxids @1 :List(Data)) -> (result @0 :List(Data))"),
    ];
    assert_eq!(mining, expected);
    let solution = "version @1 :UInt32, timestamp @2 :UInt32, nonce @3 :UInt32, coinbase @4 :Data";
    let template = nodes.methods(nodes.id_of("mining.capnp:BlockTemplate"));
    let expected = [
        format!("@0 destroy({CTX}) -> ()"),
        format!("@1 getBlockHeader({CTX}) -> (result @0 :Data)"),
        format!("@2 getBlock({CTX}) -> (result @0 :Data)"),
        format!("@3 getTxFees({CTX}) -> (result @0 :List(Int64))"),
        format!("@4 getTxSigops({CTX}) -> (result @0 :List(Int64))"),
        format!("@5 getCoinbaseTx({CTX}) -> (result @0 :CoinbaseTx)"),
        format!("@6 getCoinbaseMerklePath({CTX}) -> (result @0 :List(Data))"),
        format!("@7 submitSolutionOld7({CTX}, {solution}) -> (result @0 :Bool)"),
        format!("@8 waitNext({CTX}, options @1 :BlockWaitOptions) -> (result @0 :BlockTemplate)"),
        "@9 interruptWait() -> ()".to_string(),
        format!("@10 submitSolution({CTX}, {solution}) -> (reason @0 :Text, debug @1 :Text, result @2 :Bool)"),
    ];
    assert_eq!(template, expected);
}

#[test]
fn mining_structs_match_protocol() {
    let nodes = Nodes::load();
    let cases: &[(&str, &[&str])] = &[
        (
            "mining.capnp:BlockCreateOptions",
            &[
                "useMempool @0 :Bool",
                "blockReservedWeight @1 :UInt64",
                "coinbaseOutputMaxAdditionalSigops @2 :UInt64",
            ],
        ),
        (
            "mining.capnp:BlockWaitOptions",
            &["timeout @0 :Float64", "feeThreshold @1 :Int64"],
        ),
        (
            "mining.capnp:BlockCheckOptions",
            &["checkMerkleRoot @0 :Bool", "checkPow @1 :Bool"],
        ),
        (
            "mining.capnp:CoinbaseTx",
            &[
                "version @0 :UInt32",
                "sequence @1 :UInt32",
                "scriptSigPrefix @2 :Data",
                "witness @3 :Data",
                "blockRewardRemaining @4 :Int64",
                "requiredOutputs @5 :List(Data)",
                "lockTime @6 :UInt32",
            ],
        ),
    ];
    for (name, fields) in cases {
        assert_eq!(nodes.fields(nodes.id_of(name)), *fields, "{name}");
    }
}

#[test]
fn mining_defaults_match_protocol() {
    use crate::mining_capnp::{block_check_options, block_create_options, block_wait_options};
    let mut message = capnp::message::Builder::new_default();
    let create = message
        .init_root::<block_create_options::Builder<'_>>()
        .into_reader();
    assert!(create.get_use_mempool());
    assert_eq!(create.get_block_reserved_weight(), 8000);
    assert_eq!(create.get_coinbase_output_max_additional_sigops(), 400);
    let wait = message
        .init_root::<block_wait_options::Builder<'_>>()
        .into_reader();
    assert_eq!(wait.get_timeout(), f64::MAX);
    assert_eq!(wait.get_fee_threshold(), 2_100_000_000_000_000);
    let check = message
        .init_root::<block_check_options::Builder<'_>>()
        .into_reader();
    assert!(check.get_check_merkle_root() && check.get_check_pow());
}
