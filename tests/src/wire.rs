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
