//! Raw P2P peers for tests and benchmarks: a v1 `version` frame, and a peer that completes
//! the handshake and then stays silent.

use std::io::{Read, Write};
use std::net::TcpStream;

use bitcoin::consensus::encode::serialize;
use bitcoin::p2p::message::{NetworkMessage, RawNetworkMessage};
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::{Address, Magic, ServiceFlags};

/// A v1 `version` message from a peer at height 0.
pub fn version_frame() -> Vec<u8> {
    let unspecified = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    let mut version = VersionMessage::new(
        ServiceFlags::NONE,
        0,
        Address::new(&unspecified, ServiceFlags::NONE),
        Address::new(&unspecified, ServiceFlags::NONE),
        0x0bad_0bad,
        "/bad:0.1/".into(),
        0,
    );
    version.version = 70016;
    serialize(&RawNetworkMessage::new(
        Magic::REGTEST,
        NetworkMessage::Version(version),
    ))
}

/// A peer that completes the handshake claiming `height` blocks, then never answers: it
/// reads and drops whatever it is sent until the node closes the connection.
pub fn silent_peer(addr: &str, height: i32) -> std::thread::JoinHandle<()> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let services = ServiceFlags::NETWORK | ServiceFlags::WITNESS;
    let here = stream.local_addr().expect("local");
    let there = stream.peer_addr().expect("peer");
    let mut version = VersionMessage::new(
        services,
        0,
        Address::new(&there, ServiceFlags::NONE),
        Address::new(&here, services),
        0x5157_4c45_4e54,
        "/silent:0.1/".into(),
        height,
    );
    version.version = 70016;
    for message in [NetworkMessage::Version(version), NetworkMessage::Verack] {
        let bytes = serialize(&RawNetworkMessage::new(Magic::REGTEST, message));
        stream.write_all(&bytes).expect("write");
    }
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
    })
}

/// How long a raw peer waits for the node. Transaction announcements leave on Poisson
/// timers (mean 5 s for inbound peers): a wait of 120 s without one has odds of e^-24.
const RAW_PEER_PATIENCE: std::time::Duration = std::time::Duration::from_secs(120);

/// A raw v1 peer for tests: completes the handshake (announcing `wtxidrelay`), then sends
/// and receives whole messages.
pub struct RawPeer {
    stream: TcpStream,
}

impl RawPeer {
    /// Connects to `addr` and completes the version handshake, answering the node's
    /// messages until its `verack`.
    pub fn connect(addr: &str) -> RawPeer {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(RAW_PEER_PATIENCE))
            .expect("read timeout");
        let services = ServiceFlags::NETWORK | ServiceFlags::WITNESS;
        let here = stream.local_addr().expect("local");
        let there = stream.peer_addr().expect("peer");
        let mut version = VersionMessage::new(
            services,
            0,
            Address::new(&there, ServiceFlags::NONE),
            Address::new(&here, services),
            0x0052_4157_5045_4552,
            "/raw:0.1/".into(),
            0,
        );
        version.version = 70016;
        version.relay = true;
        let mut peer = RawPeer { stream };
        peer.send(NetworkMessage::Version(version));
        peer.send(NetworkMessage::WtxidRelay);
        peer.send(NetworkMessage::Verack);
        peer.wait_for("verack", |m| matches!(m, NetworkMessage::Verack));
        peer
    }

    /// Sends `message`.
    pub fn send(&mut self, message: NetworkMessage) {
        let bytes = serialize(&RawNetworkMessage::new(Magic::REGTEST, message));
        self.stream.write_all(&bytes).expect("write");
    }

    /// The next message from the node (answering its pings on the way).
    pub fn receive(&mut self) -> NetworkMessage {
        loop {
            let mut head = [0u8; 24];
            self.stream.read_exact(&mut head).expect("a message header");
            let len = u32::from_le_bytes([head[16], head[17], head[18], head[19]]);
            let mut frame = head.to_vec();
            frame.resize(24 + len as usize, 0);
            self.stream.read_exact(&mut frame[24..]).expect("a payload");
            let raw: RawNetworkMessage =
                bitcoin::consensus::encode::deserialize(&frame).expect("a valid message");
            match raw.payload() {
                NetworkMessage::Ping(nonce) => self.send(NetworkMessage::Pong(*nonce)),
                other => return other.clone(),
            }
        }
    }

    /// Receives until a message for which `wanted` holds, which it returns (panics, naming
    /// `what`, after [`RAW_PEER_PATIENCE`]).
    pub fn wait_for(
        &mut self,
        what: &str,
        mut wanted: impl FnMut(&NetworkMessage) -> bool,
    ) -> NetworkMessage {
        let deadline = std::time::Instant::now() + RAW_PEER_PATIENCE;
        loop {
            assert!(
                std::time::Instant::now() < deadline,
                "no {what} from the node"
            );
            let message = self.receive();
            if wanted(&message) {
                return message;
            }
        }
    }
}
