//! Transport v1 (Bitcoin Core's `V1Transport`): a 24-byte header (network magic, 12-byte
//! command, payload length, first four bytes of the payload's double SHA-256) and the payload,
//! decoded with rust-bitcoin's `p2p` messages. Also the message (de)serialisation v2 shares:
//! [`message_parts`] and [`decode_payload`].

use bitcoin::consensus::encode::{deserialize, serialize};
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::p2p::message::{NetworkMessage, RawNetworkMessage};
use bitcoin::p2p::Magic;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Core's `MAX_PROTOCOL_MESSAGE_LENGTH`: the largest payload a peer may send.
pub const MAX_PROTOCOL_MESSAGE_LENGTH: u32 = 4_000_000;

/// The largest packet contents accepted: a type byte, a 12-byte command and a maximal payload
/// (Core's `V2Transport::MAX_CONTENTS_LEN`).
pub const MAX_CONTENTS_LEN: usize = 1 + 12 + MAX_PROTOCOL_MESSAGE_LENGTH as usize;

/// The size of a v1 message header.
pub const HEADER_LEN: usize = 24;

/// Why a frame could not be read; every variant disconnects the peer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The socket failed or closed.
    #[error("connection closed: {0}")]
    Io(#[from] std::io::Error),
    /// The magic bytes are not our network's.
    #[error("wrong network magic {0}")]
    WrongMagic(String),
    /// The payload is larger than [`MAX_PROTOCOL_MESSAGE_LENGTH`].
    #[error("oversized message ({size} bytes, max {MAX_PROTOCOL_MESSAGE_LENGTH})")]
    Oversized {
        /// The announced payload size.
        size: u32,
    },
    /// A v2 packet announces more than [`MAX_CONTENTS_LEN`] bytes.
    #[error(
        "oversized v2 packet ({size} bytes of contents, max {})",
        MAX_CONTENTS_LEN
    )]
    PacketTooLarge {
        /// The announced contents length.
        size: usize,
    },
    /// A v2 packet failed authentication (bad AEAD tag: tampered or garbage bytes).
    #[error("v2 packet authentication failed (bad AEAD tag)")]
    BadTag,
    /// The command is not printable ASCII padded with zeros.
    #[error("malformed command")]
    BadCommand,
    /// The checksum does not match the payload.
    #[error("bad checksum for {command} message (expected {expected}, got {got})")]
    BadChecksum {
        /// The command.
        command: String,
        /// What the payload hashes to.
        expected: String,
        /// What the header said.
        got: String,
    },
    /// The payload does not decode as its command says.
    #[error("undecodable {command} message: {detail}")]
    Undecodable {
        /// The command.
        command: String,
        /// The decoder's error.
        detail: String,
    },
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first four bytes of the payload's double SHA-256.
pub fn checksum(payload: &[u8]) -> [u8; 4] {
    let hash = sha256d::Hash::hash(payload);
    let mut out = [0u8; 4];
    out.copy_from_slice(&hash.as_byte_array()[..4]);
    out
}

/// The command in a header, checked as Core does (printable ASCII, then only zeros).
fn command(header: &[u8; HEADER_LEN]) -> Result<String, FrameError> {
    let raw = &header[4..16];
    let end = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
    if raw[end..].iter().any(|b| *b != 0) || raw[..end].iter().any(|b| !(0x20..0x7f).contains(b)) {
        return Err(FrameError::BadCommand);
    }
    Ok(String::from_utf8_lossy(&raw[..end]).into_owned())
}

/// Checks a header; returns the command and the payload length.
pub fn check_header(header: &[u8; HEADER_LEN], magic: Magic) -> Result<(String, u32), FrameError> {
    if header[..4] != magic.to_bytes() {
        return Err(FrameError::WrongMagic(hex(&header[..4])));
    }
    let command = command(header)?;
    let size = u32::from_le_bytes([header[16], header[17], header[18], header[19]]);
    if size > MAX_PROTOCOL_MESSAGE_LENGTH {
        return Err(FrameError::Oversized { size });
    }
    Ok((command, size))
}

/// Decodes a whole frame (header and payload) whose header passed [`check_header`].
pub fn decode_frame(frame: &[u8], command: &str) -> Result<NetworkMessage, FrameError> {
    let payload = &frame[HEADER_LEN..];
    let expected = checksum(payload);
    if frame[20..24] != expected {
        return Err(FrameError::BadChecksum {
            command: command.to_string(),
            expected: hex(&expected),
            got: hex(&frame[20..24]),
        });
    }
    deserialize::<RawNetworkMessage>(frame)
        .map(RawNetworkMessage::into_payload)
        .map_err(|e| FrameError::Undecodable {
            command: command.to_string(),
            detail: e.to_string(),
        })
}

/// Reads one message; returns it with its size on the wire.
pub async fn read_message<R: AsyncRead + Unpin>(
    reader: &mut R,
    magic: Magic,
) -> Result<(NetworkMessage, usize), FrameError> {
    let mut header = [0u8; HEADER_LEN];
    reader.read_exact(&mut header).await?;
    let (command, size) = check_header(&header, magic)?;
    let size = size as usize;
    let mut frame = Vec::with_capacity(HEADER_LEN + size);
    frame.extend_from_slice(&header);
    frame.resize(HEADER_LEN + size, 0);
    reader.read_exact(&mut frame[HEADER_LEN..]).await?;
    let message = decode_frame(&frame, &command)?;
    Ok((message, frame.len()))
}

/// The command and the payload of `message`, as serialized for the wire.
pub fn message_parts(magic: Magic, message: NetworkMessage) -> (&'static str, Vec<u8>) {
    let command = message.cmd();
    let mut frame = encode_message(magic, message);
    (command, frame.split_off(HEADER_LEN))
}

/// Decodes the payload of a `command` message received over v2 (the same decoder as v1, fed a
/// v1 frame built around the payload).
pub fn decode_payload(
    magic: Magic,
    command: &str,
    payload: &[u8],
) -> Result<NetworkMessage, FrameError> {
    if command.len() > 12 {
        return Err(FrameError::BadCommand);
    }
    let size =
        u32::try_from(payload.len()).map_err(|_| FrameError::Oversized { size: u32::MAX })?;
    let mut frame = Vec::with_capacity(HEADER_LEN + payload.len());
    frame.extend_from_slice(&magic.to_bytes());
    let mut name = [0u8; 12];
    name[..command.len()].copy_from_slice(command.as_bytes());
    frame.extend_from_slice(&name);
    frame.extend_from_slice(&size.to_le_bytes());
    frame.extend_from_slice(&checksum(payload));
    frame.extend_from_slice(payload);
    deserialize::<RawNetworkMessage>(&frame)
        .map(RawNetworkMessage::into_payload)
        .map_err(|e| FrameError::Undecodable {
            command: command.to_string(),
            detail: e.to_string(),
        })
}

/// Encodes `message` as a v1 frame.
pub fn encode_message(magic: Magic, message: NetworkMessage) -> Vec<u8> {
    serialize(&RawNetworkMessage::new(magic, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(message: NetworkMessage) -> Vec<u8> {
        encode_message(Magic::REGTEST, message)
    }

    async fn read(bytes: &[u8]) -> Result<NetworkMessage, FrameError> {
        let mut reader = bytes;
        read_message(&mut reader, Magic::REGTEST)
            .await
            .map(|(m, _)| m)
    }

    #[tokio::test]
    async fn round_trips_a_ping() {
        let bytes = frame(NetworkMessage::Ping(42));
        assert_eq!(bytes.len(), HEADER_LEN + 8);
        assert_eq!(read(&bytes).await.ok(), Some(NetworkMessage::Ping(42)));
    }

    #[tokio::test]
    async fn rejects_wrong_magic() {
        let bytes = encode_message(Magic::BITCOIN, NetworkMessage::Verack);
        assert!(matches!(read(&bytes).await, Err(FrameError::WrongMagic(m)) if m == "f9beb4d9"));
    }

    #[tokio::test]
    async fn rejects_bad_checksum() {
        let mut bytes = frame(NetworkMessage::Ping(7));
        bytes[20] ^= 0xff;
        assert!(
            matches!(read(&bytes).await, Err(FrameError::BadChecksum { command, .. }) if command == "ping")
        );
    }

    #[tokio::test]
    async fn rejects_oversized_before_reading_the_payload() {
        let mut bytes = frame(NetworkMessage::Verack);
        bytes[16..20].copy_from_slice(&4_000_001u32.to_le_bytes());
        assert!(matches!(
            read(&bytes).await,
            Err(FrameError::Oversized { size: 4_000_001 })
        ));
    }

    #[tokio::test]
    async fn rejects_undecodable_payload_and_bad_command() {
        let mut bytes = frame(NetworkMessage::Ping(7));
        bytes.truncate(HEADER_LEN + 3);
        bytes[16..20].copy_from_slice(&3u32.to_le_bytes());
        let sum = checksum(&bytes[HEADER_LEN..]);
        bytes[20..24].copy_from_slice(&sum);
        assert!(matches!(
            read(&bytes).await,
            Err(FrameError::Undecodable { .. })
        ));
        let mut bytes = frame(NetworkMessage::Verack);
        bytes[4] = 0x01;
        assert!(matches!(read(&bytes).await, Err(FrameError::BadCommand)));
    }

    #[test]
    fn payloads_split_and_decode_again() {
        let (command, payload) = message_parts(Magic::REGTEST, NetworkMessage::Ping(9));
        assert_eq!((command, payload.len()), ("ping", 8));
        let decoded = decode_payload(Magic::REGTEST, command, &payload).ok();
        assert_eq!(decoded, Some(NetworkMessage::Ping(9)));
        assert!(matches!(
            decode_payload(Magic::REGTEST, "ping", &[1]),
            Err(FrameError::Undecodable { .. })
        ));
    }
}
