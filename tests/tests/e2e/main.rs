//! End-to-end tests: the real binaries, real sockets, real processes.

mod chain;
mod cli;
mod failure;
mod lifecycle;
mod lifetime;
mod node;
mod rpc;
mod spawn;
mod wrapper;
