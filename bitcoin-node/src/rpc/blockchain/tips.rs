//! `getchaintips` (Core's `rpc/blockchain.cpp`), answered from the chainstate's tip set
//! ([`ChainState::chain_tips`]).

use std::sync::Arc;

use serde_json::{json, Value};

use crate::chain::ChainState;
use rpc::help::{example_cli, example_rpc};
use rpc::Method;

const RESULT: &str = "[                        (json array)\n  {                      (json object)\n    \"height\" : n,        (numeric) height of the chain tip\n    \"hash\" : \"hex\",      (string) block hash of the tip\n    \"branchlen\" : n,     (numeric) zero for main chain, otherwise length of branch connecting the tip to the main chain\n    \"status\" : \"str\"     (string) status of the chain, \"active\" for the main chain\n                         Possible values for status:\n                         1.  \"invalid\"               This branch contains at least one invalid block\n                         2.  \"headers-only\"          Not all blocks for this branch are available, but the headers are valid\n                         3.  \"valid-headers\"         All blocks are available for this branch, but they were never fully validated\n                         4.  \"valid-fork\"            This branch is not part of the active chain, but is fully validated\n                         5.  \"active\"                This is the tip of the active valid chain, which is certainly valid\n  },\n  ...\n]";

/// `getchaintips`.
pub fn getchaintips(chain: Arc<ChainState>) -> Method {
    Method::new("getchaintips", "blockchain", "Return information about all known tips in the block tree, including the main chain as well as orphaned branches.")
        .result(RESULT)
        .examples(example_cli("getchaintips", "") + &example_rpc("getchaintips", ""))
        .handler(move |_| {
            let tips: Vec<Value> = chain
                .chain_tips()
                .iter()
                .map(|tip| {
                    json!({
                        "height": tip.height,
                        "hash": tip.hash.to_string(),
                        "branchlen": tip.branch_len,
                        "status": tip.status.as_str(),
                    })
                })
                .collect();
            Ok(Value::Array(tips))
        })
}
