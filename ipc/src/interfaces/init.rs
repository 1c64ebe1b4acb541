//! `Init` over IPC (`init.capnp`): the bootstrap object of every connection.
//!
//! `construct` (the `ThreadMap` exchange) is handled by the runtime, not by the trait.

use crate::interfaces::chain::{ChainProxy, ChainServer};
use crate::interfaces::echo::{EchoProxy, EchoServer};
use crate::interfaces::mining::{MiningProxy, MiningServer};
use crate::interfaces::node::{NodeProxy, NodeServer};
use crate::interfaces::rpc::{RpcProxy, RpcServer};
use crate::interfaces::wallet::{WalletLoaderProxy, WalletLoaderServer};

/// Error text of the retired `makeMiningOld2` (ordinal 2), as Bitcoin Core words it.
pub const MINING_OLD2_ERROR: &str =
    "Old mining interface (@2) not supported. Please update your client!";

crate::interface! {
    /// An [`interfaces::Init`] served by another process.
    InitProxy, InitServer: dyn interfaces::Init, schemas::init_capnp::init;
    methods {
        fn make_echo() -> Box<dyn interfaces::Echo> => [cap_box EchoProxy EchoServer];
        fn make_mining() -> Box<dyn interfaces::Mining> => [cap_box MiningProxy MiningServer];
        fn make_rpc() -> Box<dyn interfaces::Rpc> => [cap_box RpcProxy RpcServer];
        fn make_node() -> Box<dyn interfaces::Node> => [cap_box NodeProxy NodeServer];
        fn make_chain() -> Box<dyn interfaces::Chain> => [cap_box ChainProxy ChainServer];
        fn make_wallet_loader(chain: ::std::sync::Arc<dyn interfaces::Chain> => [cap_arc ChainProxy ChainServer]) -> Box<dyn interfaces::WalletLoader> => [cap_box WalletLoaderProxy WalletLoaderServer];
        fn configure(args: &[String] => [list_text]) -> () => [unit];
    }
    server_extra {
        fn construct(
            self: ::std::rc::Rc<Self>,
            params: init_proxy_capnp::ConstructParams,
            mut results: init_proxy_capnp::ConstructResults,
        ) -> impl ::std::future::Future<Output = Result<(), ::capnp::Error>> + 'static {
            let done = (|| {
                let params = params.get()?;
                let map = if params.has_thread_map() { Some(params.get_thread_map()?) } else { None };
                let ours = crate::connection::accept_thread_map(self.conn, map);
                results.get().set_thread_map(ours);
                Ok(())
            })();
            ::std::future::ready(done)
        }

        fn make_mining_old2(
            self: ::std::rc::Rc<Self>,
            _: init_proxy_capnp::MakeMiningOld2Params,
            _: init_proxy_capnp::MakeMiningOld2Results,
        ) -> impl ::std::future::Future<Output = Result<(), ::capnp::Error>> + 'static {
            ::std::future::ready(Err(::capnp::Error::failed(MINING_OLD2_ERROR.to_string())))
        }
    }
}

impl InitServer {
    /// The bootstrap capability serving `init` on connection `conn`.
    pub fn bootstrap(
        init: std::sync::Arc<dyn interfaces::Init>,
        conn: u64,
    ) -> capnp::capability::Client {
        let client: schemas::init_capnp::init::Client =
            capnp_rpc::new_client(InitServer::new(init, conn));
        client.client
    }
}

impl InitProxy {
    /// Calls the retired `makeMiningOld2` (ordinal 2), which servers always fail; for tests
    /// of wire compatibility.
    pub fn make_mining_old2(&self) -> Result<(), interfaces::Error> {
        self.cap
            .call("makeMiningOld2", |setup: crate::client::CallSetup| {
                let client = schemas::init_capnp::init::Client {
                    client: setup.client.clone(),
                };
                let request = client.make_mining_old2_request();
                async move {
                    request
                        .send()
                        .promise
                        .await
                        .map(drop)
                        .map_err(crate::client::from_capnp)
                }
            })
    }
}
