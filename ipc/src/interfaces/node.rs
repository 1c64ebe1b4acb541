//! `Node` over IPC (`node.capnp`): the status summary, RPC, shutdown and notifications whose
//! callbacks run in the subscriber's process.

use std::sync::Arc;

use super::handler::{HandlerProxy, HandlerServer};
use super::wallet::{WalletLoaderProxy, WalletLoaderServer};
use interfaces::{
    BlockTip, Handler, InitMessage, IpcConnectionInfo, NodeStatus, NotifyBlockTip, NotifyHeaderTip,
    NotifyNumConnectionsChanged, ShowProgress,
};

crate::interface! {
    /// An [`interfaces::Node`] served by another process.
    NodeProxy, NodeServer: dyn interfaces::Node, schemas::node_capnp::node;
    [destroy]
    methods {
        fn get_status() -> NodeStatus => [struct NodeStatus];
        fn execute_rpc(request: &str => [text], uri: &str => [text], user: &str => [text]) -> String => [text];
        fn start_shutdown() -> () => [unit];
        fn handle_notify_block_tip(callback: Arc<dyn NotifyBlockTip> => [cap_arc NotifyBlockTipProxy NotifyBlockTipServer]) -> Box<dyn Handler> => [cap_box HandlerProxy HandlerServer];
        fn handle_notify_header_tip(callback: Arc<dyn NotifyHeaderTip> => [cap_arc NotifyHeaderTipProxy NotifyHeaderTipServer]) -> Box<dyn Handler> => [cap_box HandlerProxy HandlerServer];
        fn handle_show_progress(callback: Arc<dyn ShowProgress> => [cap_arc ShowProgressProxy ShowProgressServer]) -> Box<dyn Handler> => [cap_box HandlerProxy HandlerServer];
        fn handle_init_message(callback: Arc<dyn InitMessage> => [cap_arc InitMessageProxy InitMessageServer]) -> Box<dyn Handler> => [cap_box HandlerProxy HandlerServer];
        fn handle_notify_num_connections_changed(callback: Arc<dyn NotifyNumConnectionsChanged> => [cap_arc NumConnectionsChangedProxy NumConnectionsChangedServer]) -> Box<dyn Handler> => [cap_box HandlerProxy HandlerServer];
        fn wallet_loader() -> Box<dyn interfaces::WalletLoader> => [cap_box WalletLoaderProxy WalletLoaderServer];
        fn get_ipc_info() -> Vec<IpcConnectionInfo> => [list_struct IpcConnectionInfo];
    }
}

crate::interface! {
    /// A block-tip callback living in another process.
    NotifyBlockTipProxy, NotifyBlockTipServer: dyn NotifyBlockTip, schemas::node_capnp::notify_block_tip_callback;
    methods {
        fn call(initial_download: bool => [prim], tip: &BlockTip => [struct BlockTip]) -> () => [unit];
    }
}

crate::interface! {
    /// A header-tip callback living in another process.
    NotifyHeaderTipProxy, NotifyHeaderTipServer: dyn NotifyHeaderTip, schemas::node_capnp::notify_header_tip_callback;
    methods {
        fn call(initial_download: bool => [prim], tip: &BlockTip => [struct BlockTip], presync: bool => [prim]) -> () => [unit];
    }
}

crate::interface! {
    /// A progress callback living in another process.
    ShowProgressProxy, ShowProgressServer: dyn ShowProgress, schemas::node_capnp::show_progress_callback;
    methods {
        fn call(title: &str => [text], progress: i32 => [prim], resume_possible: bool => [prim]) -> () => [unit];
    }
}

crate::interface! {
    /// An init-message callback living in another process.
    InitMessageProxy, InitMessageServer: dyn InitMessage, schemas::node_capnp::init_message_callback;
    methods {
        fn call(message: &str => [text]) -> () => [unit];
    }
}

crate::interface! {
    /// A connection-count callback living in another process.
    NumConnectionsChangedProxy, NumConnectionsChangedServer: dyn NotifyNumConnectionsChanged, schemas::node_capnp::num_connections_changed_callback;
    methods {
        fn call(num_connections: u32 => [prim]) -> () => [unit];
    }
}
