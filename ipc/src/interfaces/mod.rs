//! Client proxies and server adapters of each interface, made by [`crate::interface!`].

pub mod chain;
pub mod echo;
pub mod handler;
pub mod init;
pub mod mining;
pub mod node;
pub mod rpc;
#[cfg(any(test, feature = "test-utils"))]
pub mod test_suite;
pub mod wallet;
