//! End-to-end tests: the real binaries, real sockets, real processes.

mod chain;
mod chain_interface;
mod chain_options;
mod cli;
mod cli_table;
mod coins;
mod failure;
mod help;
mod ipc_observability;
mod lifecycle;
mod lifetime;
mod mempool;
mod mining;
mod node;
mod node_interface;
mod p2p;
mod p2p_core;
mod rawtx;
mod rpc;
mod spawn;
mod wallet;
mod wallet_faults;
mod wallet_interface;
mod wallet_reorg;
mod wallet_rpcs;
mod wrapper;
