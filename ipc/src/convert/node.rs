//! `NodeStatus` and `BlockTip` (node.capnp).

use interfaces::{BlockTip, IpcConnectionInfo, IpcMethodStats, IpcObjectCount, NodeStatus};
use schemas::node_capnp::{block_tip, ipc_connection, node_status};

use crate::proxy::{list_len, read_hash, read_text, WireStruct};

impl WireStruct for NodeStatus {
    type Wire = node_status::Owned;

    fn read(r: node_status::Reader<'_>) -> capnp::Result<NodeStatus> {
        Ok(NodeStatus {
            block_count: r.get_block_count(),
            best_block_hash: read_hash(r.get_best_block_hash())?,
            header_tip_height: r.get_header_tip_height(),
            header_tip_time: r.get_header_tip_time(),
            last_block_time: r.get_last_block_time(),
            verification_progress: r.get_verification_progress(),
            initial_block_download: r.get_initial_block_download(),
            mempool_size: r.get_mempool_size(),
            mempool_usage: r.get_mempool_usage(),
            num_connections: r.get_num_connections(),
            network_active: r.get_network_active(),
            total_bytes_recv: r.get_total_bytes_recv(),
            total_bytes_sent: r.get_total_bytes_sent(),
        })
    }

    fn write(&self, mut b: node_status::Builder<'_>) {
        b.set_block_count(self.block_count);
        b.set_best_block_hash(&self.best_block_hash);
        b.set_header_tip_height(self.header_tip_height);
        b.set_header_tip_time(self.header_tip_time);
        b.set_last_block_time(self.last_block_time);
        b.set_verification_progress(self.verification_progress);
        b.set_initial_block_download(self.initial_block_download);
        b.set_mempool_size(self.mempool_size);
        b.set_mempool_usage(self.mempool_usage);
        b.set_num_connections(self.num_connections);
        b.set_network_active(self.network_active);
        b.set_total_bytes_recv(self.total_bytes_recv);
        b.set_total_bytes_sent(self.total_bytes_sent);
    }
}

impl WireStruct for IpcConnectionInfo {
    type Wire = ipc_connection::Owned;

    fn read(r: ipc_connection::Reader<'_>) -> capnp::Result<IpcConnectionInfo> {
        let mut objects = Vec::new();
        for o in r.get_objects()? {
            objects.push(IpcObjectCount {
                interface: read_text(o.get_interface())?,
                count: o.get_count(),
            });
        }
        let mut methods = Vec::new();
        for m in r.get_methods()? {
            methods.push(IpcMethodStats {
                name: read_text(m.get_name())?,
                calls: m.get_calls(),
                p50_us: m.get_p50_us(),
                p90_us: m.get_p90_us(),
                p99_us: m.get_p99_us(),
                max_us: m.get_max_us(),
            });
        }
        Ok(IpcConnectionInfo {
            id: r.get_id(),
            origin: read_text(r.get_origin())?,
            peer_pid: r.get_peer_pid(),
            peer_uid: r.get_peer_uid(),
            connected_since: r.get_connected_since(),
            server_threads: r.get_server_threads(),
            objects,
            calls_in_flight: r.get_calls_in_flight(),
            methods,
        })
    }

    fn write(&self, mut b: ipc_connection::Builder<'_>) {
        b.set_id(self.id);
        b.set_origin(self.origin.as_str());
        b.set_peer_pid(self.peer_pid);
        b.set_peer_uid(self.peer_uid);
        b.set_connected_since(self.connected_since);
        b.set_server_threads(self.server_threads);
        b.set_calls_in_flight(self.calls_in_flight);
        let mut objects = b
            .reborrow()
            .init_objects(list_len(self.objects.len()).unwrap_or(u32::MAX));
        for (i, o) in (0u32..).zip(&self.objects) {
            let mut w = objects.reborrow().get(i);
            w.set_interface(o.interface.as_str());
            w.set_count(o.count);
        }
        let mut methods = b.init_methods(list_len(self.methods.len()).unwrap_or(u32::MAX));
        for (i, m) in (0u32..).zip(&self.methods) {
            let mut w = methods.reborrow().get(i);
            w.set_name(m.name.as_str());
            w.set_calls(m.calls);
            w.set_p50_us(m.p50_us);
            w.set_p90_us(m.p90_us);
            w.set_p99_us(m.p99_us);
            w.set_max_us(m.max_us);
        }
    }
}

impl WireStruct for BlockTip {
    type Wire = block_tip::Owned;

    fn read(r: block_tip::Reader<'_>) -> capnp::Result<BlockTip> {
        Ok(BlockTip {
            height: r.get_height(),
            hash: read_hash(r.get_hash())?,
            time: r.get_time(),
            verification_progress: r.get_verification_progress(),
        })
    }

    fn write(&self, mut b: block_tip::Builder<'_>) {
        b.set_height(self.height);
        b.set_hash(&self.hash);
        b.set_time(self.time);
        b.set_verification_progress(self.verification_progress);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::convert::round_trip;

    #[test]
    fn structs_round_trip() {
        let status = NodeStatus {
            block_count: 7,
            best_block_hash: [3; 32],
            header_tip_height: 9,
            header_tip_time: 1_700_000_600,
            last_block_time: 1_700_000_000,
            verification_progress: 0.5,
            initial_block_download: true,
            mempool_size: 2,
            mempool_usage: 300,
            num_connections: 4,
            network_active: true,
            total_bytes_recv: 5,
            total_bytes_sent: 6,
        };
        assert_eq!(round_trip(&status), status);
        let tip = BlockTip {
            height: 1,
            hash: [9; 32],
            time: 2,
            verification_progress: 1.0,
        };
        assert_eq!(round_trip(&tip), tip);
    }

    #[test]
    fn short_hash_is_an_error() {
        let mut message = capnp::message::Builder::new_default();
        let mut b: block_tip::Builder<'_> = message.init_root();
        b.set_hash(&[1, 2, 3]);
        let e = BlockTip::read(b.into_reader()).expect_err("short hash");
        assert!(e.to_string().contains("hash must be 32 bytes"), "{e}");
    }

    #[test]
    fn connection_figures_survive_the_wire() {
        let info = IpcConnectionInfo {
            id: 7,
            origin: "listener /tmp/node.sock".into(),
            peer_pid: 1234,
            peer_uid: -1,
            connected_since: 1_700_000_000,
            server_threads: 3,
            objects: vec![IpcObjectCount {
                interface: "BlockTemplate".into(),
                count: 2,
            }],
            calls_in_flight: 1,
            methods: vec![IpcMethodStats {
                name: "create_new_block".into(),
                calls: 10,
                p50_us: 100,
                p90_us: 200,
                p99_us: 300,
                max_us: 400,
            }],
        };
        assert_eq!(round_trip(&info), info);
        let empty = IpcConnectionInfo::default();
        assert_eq!(round_trip(&empty), empty);
    }
}
