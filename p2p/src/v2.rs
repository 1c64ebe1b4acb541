//! Transport v2 (BIP324, Bitcoin Core's `V2Transport`): the handshake and the packet framing
//! around the `bip324` crate, which does all of the cryptography (ElligatorSwift key exchange,
//! key derivation, the FSChaCha20-Poly1305 packet ciphers). This module only moves bytes: it
//! drives the crate's handshake state machine over a socket, reads and writes packets, and
//! encodes message types (BIP324's one-byte short ids, or a zero byte and the 12-byte v1
//! command).

use std::io;

use bip324::{
    GarbageResult, Handshake, InboundCipher, Initialized, OutboundCipher, PacketType, ReceivedKey,
    VersionResult,
};
use bitcoin::p2p::Magic;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Which side of the handshake we are (the initiator opened the connection).
pub use bip324::Role;

use crate::codec::FrameError;

/// How many first bytes tell a v1 connection from a v2 one: the network magic and
/// `version\0\0\0\0\0` (Core's `V1_PREFIX_LEN`).
pub const V1_PREFIX_LEN: usize = 16;
pub use crate::codec::MAX_CONTENTS_LEN;
/// Most garbage bytes a party may send before its terminator.
pub const MAX_GARBAGE_LEN: usize = 4095;
/// An ElligatorSwift-encoded public key.
const KEY_LEN: usize = 64;
/// The encrypted length prefix of a packet.
const LENGTH_LEN: usize = 3;
/// The header byte and the authentication tag that follow the length.
const PACKET_OVERHEAD: usize = 1 + 16;
/// The packet length field counts the contents; `bip324` adds the header byte and the tag.
const MAX_PACKET_LEN: usize = MAX_CONTENTS_LEN + PACKET_OVERHEAD;

/// BIP324's short message type ids; index 0 means a 12-byte command follows.
const SHORT_IDS: [&str; 29] = [
    "",
    "addr",
    "block",
    "blocktxn",
    "cmpctblock",
    "feefilter",
    "filteradd",
    "filterclear",
    "filterload",
    "getblocks",
    "getblocktxn",
    "getdata",
    "getheaders",
    "headers",
    "inv",
    "mempool",
    "merkleblock",
    "notfound",
    "ping",
    "pong",
    "sendcmpct",
    "tx",
    "getcfilters",
    "cfilter",
    "getcfheaders",
    "cfheaders",
    "getcfcheckpt",
    "cfcheckpt",
    "addrv2",
];

/// The first [`V1_PREFIX_LEN`] bytes of every v1 connection: its `version` message header.
pub fn v1_prefix(magic: Magic) -> [u8; V1_PREFIX_LEN] {
    let mut prefix = [0u8; V1_PREFIX_LEN];
    prefix[..4].copy_from_slice(&magic.to_bytes());
    prefix[4..11].copy_from_slice(b"version");
    prefix
}

/// A packet's contents for `command` and `payload`: the short id if BIP324 assigns one, else a
/// zero byte and the command padded to 12 bytes.
pub fn encode_contents(command: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(13 + payload.len());
    match SHORT_IDS.iter().skip(1).position(|c| *c == command) {
        Some(index) => out.push(u8::try_from(index + 1).unwrap_or(0)),
        None => {
            out.push(0);
            let mut name = [0u8; 12];
            let len = command.len().min(12);
            name[..len].copy_from_slice(&command.as_bytes()[..len]);
            out.extend_from_slice(&name);
        }
    }
    out.extend_from_slice(payload);
    out
}

/// Splits a packet's contents into the command and the payload; `None` for a short id BIP324
/// does not assign or a malformed 12-byte command (Core's `GetMessageType`: such messages
/// are dropped and the connection kept).
pub fn decode_contents(contents: &[u8]) -> Option<(String, &[u8])> {
    let (&first, rest) = contents.split_first()?;
    if first != 0 {
        return SHORT_IDS
            .get(usize::from(first))
            .map(|command| ((*command).to_string(), rest));
    }
    if rest.len() < 12 {
        return None;
    }
    let (raw, payload) = rest.split_at(12);
    let end = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
    if end == 0
        || raw[end..].iter().any(|b| *b != 0)
        || raw[..end].iter().any(|b| !(0x20..0x7f).contains(b))
    {
        return None;
    }
    Some((String::from_utf8_lossy(&raw[..end]).into_owned(), payload))
}

/// Why a v2 handshake failed; every variant disconnects the peer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The socket failed or closed.
    #[error("v2 handshake: connection closed: {0}")]
    Io(#[from] io::Error),
    /// No garbage terminator within [`MAX_GARBAGE_LEN`] bytes.
    #[error("v2 handshake: no garbage terminator after {MAX_GARBAGE_LEN} bytes of garbage")]
    NoGarbageTerminator,
    /// A handshake packet failed authentication (wrong keys, tampered bytes).
    #[error("v2 handshake: packet authentication failed")]
    BadTag,
    /// A handshake packet announced more than [`MAX_CONTENTS_LEN`] bytes.
    #[error("v2 handshake: oversized packet ({size} bytes of contents, max {MAX_CONTENTS_LEN})")]
    Oversized {
        /// The announced contents length.
        size: usize,
    },
    /// The responder answered our key with a v1 message.
    #[error("v2 handshake: the peer answered in v1")]
    V1Answer,
    /// The key exchange failed.
    #[error("v2 handshake: {0}")]
    Crypto(bip324::Error),
}

impl HandshakeError {
    /// Whether the peer closed or reset the connection (what a v1-only peer does when it reads
    /// our key as a bad magic).
    pub fn is_closed(&self) -> bool {
        matches!(self, HandshakeError::Io(e) if matches!(
            e.kind(),
            io::ErrorKind::UnexpectedEof
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
        ))
    }
}

fn crypto(e: bip324::Error) -> HandshakeError {
    match e {
        bip324::Error::Decryption(_) => HandshakeError::BadTag,
        bip324::Error::NoGarbageTerminator => HandshakeError::NoGarbageTerminator,
        bip324::Error::V1Protocol => HandshakeError::V1Answer,
        other => HandshakeError::Crypto(other),
    }
}

/// A read half with the bytes read but not yet consumed in front of it.
pub struct Wire<R> {
    /// Bytes read and not consumed.
    pub buffered: Vec<u8>,
    /// The socket.
    pub inner: R,
    /// Bytes read from the socket so far.
    pub received: usize,
}

impl<R: AsyncRead + Unpin> Wire<R> {
    /// A wire with nothing read yet.
    pub fn new(inner: R) -> Self {
        Wire {
            buffered: Vec::new(),
            inner,
            received: 0,
        }
    }

    /// Reads what the socket has (at most `max` bytes) onto `into`; end of stream is an error.
    async fn read_some(
        inner: &mut R,
        received: &mut usize,
        into: &mut Vec<u8>,
        max: usize,
    ) -> io::Result<()> {
        let mut chunk = vec![0u8; max.max(1)];
        let n = inner.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        *received += n;
        into.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// Reads until at least `n` bytes are buffered.
    pub async fn fill(&mut self, n: usize) -> io::Result<()> {
        while self.buffered.len() < n {
            let want = n - self.buffered.len();
            Self::read_some(
                &mut self.inner,
                &mut self.received,
                &mut self.buffered,
                want,
            )
            .await?;
        }
        Ok(())
    }

    /// Takes the first `n` buffered bytes (after [`Wire::fill`]).
    pub fn take(&mut self, n: usize) -> Vec<u8> {
        let rest = self.buffered.split_off(n.min(self.buffered.len()));
        std::mem::replace(&mut self.buffered, rest)
    }

    /// Reads the first bytes until they either differ from the v1 prefix or match all of it;
    /// returns whether they match (a v1 peer). Nothing is consumed.
    pub async fn starts_v1(&mut self, magic: Magic) -> io::Result<bool> {
        let prefix = v1_prefix(magic);
        loop {
            let seen = self.buffered.len().min(V1_PREFIX_LEN);
            if self.buffered[..seen] != prefix[..seen] {
                return Ok(false);
            }
            if seen == V1_PREFIX_LEN {
                return Ok(true);
            }
            let want = V1_PREFIX_LEN - seen;
            Self::read_some(
                &mut self.inner,
                &mut self.received,
                &mut self.buffered,
                want,
            )
            .await?;
        }
    }
}

/// An established v2 session.
pub struct Session {
    /// Decrypts what the peer sends.
    pub inbound: InboundCipher,
    /// Encrypts what we send.
    pub outbound: OutboundCipher,
    /// The session id both sides derive (shown by `getpeerinfo`).
    pub id: [u8; 32],
}

/// Random garbage of random length up to [`MAX_GARBAGE_LEN`], as Core sends.
fn random_garbage() -> Vec<u8> {
    let mut len = [0u8; 2];
    let _ = getrandom::fill(&mut len);
    let mut garbage = vec![0u8; usize::from(u16::from_le_bytes(len)) % (MAX_GARBAGE_LEN + 1)];
    let _ = getrandom::fill(&mut garbage);
    garbage
}

/// Runs the handshake as `role`. An initiator sends first; a responder is called with the
/// initiator's first bytes already buffered in `wire`. Returns the session, with whatever
/// the peer sent after its version packet left buffered in `wire`.
pub async fn handshake<R, W>(
    wire: &mut Wire<R>,
    writer: &mut W,
    magic: Magic,
    role: Role,
) -> Result<Session, HandshakeError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let garbage = random_garbage();
    let handshake = Handshake::<Initialized>::new(magic.to_bytes(), role).map_err(crypto)?;
    let mut out = vec![0u8; Handshake::<Initialized>::send_key_len(Some(&garbage))];
    let handshake = handshake
        .send_key(Some(&garbage), &mut out)
        .map_err(crypto)?;
    writer.write_all(&out).await?;
    writer.flush().await?;

    wire.fill(KEY_LEN).await?;
    let mut key = [0u8; KEY_LEN];
    key.copy_from_slice(&wire.take(KEY_LEN));
    let handshake = handshake.receive_key(key).map_err(crypto)?;
    let mut out = vec![0u8; Handshake::<ReceivedKey>::send_version_len(None)];
    let handshake = handshake.send_version(&mut out, None).map_err(crypto)?;
    writer.write_all(&out).await?;
    writer.flush().await?;

    // The peer's garbage and terminator; what follows goes back to the wire.
    let mut garbage_buf = std::mem::take(&mut wire.buffered);
    let mut handshake = handshake;
    let (mut handshake, consumed) = loop {
        match handshake.receive_garbage(&garbage_buf).map_err(crypto)? {
            GarbageResult::FoundGarbage {
                handshake,
                consumed_bytes,
            } => break (handshake, consumed_bytes),
            GarbageResult::NeedMoreData(h) => {
                handshake = h;
                Wire::read_some(&mut wire.inner, &mut wire.received, &mut garbage_buf, 4096)
                    .await?;
            }
        }
    };
    wire.buffered = garbage_buf[consumed..].to_vec();

    // Decoys, then the version packet (its contents are ignored, as BIP324 says).
    loop {
        wire.fill(LENGTH_LEN).await?;
        let mut length = [0u8; LENGTH_LEN];
        length.copy_from_slice(&wire.take(LENGTH_LEN));
        let packet_len = handshake.decrypt_packet_len(length).map_err(crypto)?;
        if packet_len > MAX_PACKET_LEN {
            return Err(HandshakeError::Oversized {
                size: packet_len.saturating_sub(PACKET_OVERHEAD),
            });
        }
        wire.fill(packet_len).await?;
        let mut packet = wire.take(packet_len);
        match handshake.receive_version(&mut packet).map_err(crypto)? {
            VersionResult::Complete { cipher } => {
                let id = *cipher.id();
                let (inbound, outbound) = cipher.into_split();
                return Ok(Session {
                    inbound,
                    outbound,
                    id,
                });
            }
            VersionResult::Decoy(h) => handshake = h,
        }
    }
}

/// Reads one packet; returns its contents (`None` for a decoy) and its size on the wire.
pub async fn read_packet<R: AsyncRead + Unpin>(
    reader: &mut R,
    cipher: &mut InboundCipher,
) -> Result<(Option<Vec<u8>>, usize), FrameError> {
    let mut length = [0u8; LENGTH_LEN];
    reader.read_exact(&mut length).await?;
    let packet_len = cipher.decrypt_packet_len(length);
    if packet_len > MAX_PACKET_LEN {
        return Err(FrameError::PacketTooLarge {
            size: packet_len.saturating_sub(PACKET_OVERHEAD),
        });
    }
    let mut packet = vec![0u8; packet_len];
    reader.read_exact(&mut packet).await?;
    let (kind, plaintext) = cipher
        .decrypt_in_place(&mut packet, None)
        .map_err(|_| FrameError::BadTag)?;
    let contents = match kind {
        PacketType::Decoy => None,
        PacketType::Genuine => Some(plaintext.get(1..).unwrap_or_default().to_vec()),
    };
    Ok((contents, LENGTH_LEN + packet_len))
}

/// Encrypts `contents` as one genuine packet.
pub fn encrypt_packet(cipher: &mut OutboundCipher, contents: &[u8]) -> Vec<u8> {
    cipher.encrypt_to_vec(contents, PacketType::Genuine, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_round_trip_and_long_commands_are_spelled_out() {
        let contents = encode_contents("ping", &[1, 2]);
        assert_eq!(contents, vec![18, 1, 2]);
        let (command, payload) = decode_contents(&contents).expect("ok");
        assert_eq!((command.as_str(), payload), ("ping", &[1u8, 2][..]));
        let contents = encode_contents("version", &[9]);
        assert_eq!(contents.len(), 1 + 12 + 1);
        assert_eq!(contents[0], 0);
        let (command, payload) = decode_contents(&contents).expect("ok");
        assert_eq!((command.as_str(), payload), ("version", &[9u8][..]));
        assert_eq!(encode_contents("addrv2", &[])[0], 28);
        assert!(decode_contents(&[29, 0]).is_none());
        assert!(decode_contents(&[0, b'a']).is_none());
        assert!(decode_contents(&[0, b'a', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_none());
        assert!(decode_contents(&[]).is_none());
    }

    #[test]
    fn the_v1_prefix_is_magic_and_version() {
        let prefix = v1_prefix(Magic::REGTEST);
        assert_eq!(&prefix[..4], &[0xfa, 0xbf, 0xb5, 0xda]);
        assert_eq!(&prefix[4..], b"version\0\0\0\0\0");
    }

    async fn pair() -> (
        Result<Session, HandshakeError>,
        Result<Session, HandshakeError>,
    ) {
        let (a, b) = tokio::io::duplex(1 << 16);
        let (ar, mut aw) = tokio::io::split(a);
        let (br, mut bw) = tokio::io::split(b);
        let initiator = async move {
            let mut wire = Wire::new(ar);
            handshake(&mut wire, &mut aw, Magic::REGTEST, Role::Initiator).await
        };
        let responder = async move {
            let mut wire = Wire::new(br);
            assert!(!wire.starts_v1(Magic::REGTEST).await.expect("ok"));
            handshake(&mut wire, &mut bw, Magic::REGTEST, Role::Responder).await
        };
        tokio::join!(initiator, responder)
    }

    #[tokio::test]
    async fn both_sides_agree_on_the_session_and_packets_round_trip() {
        let (a, b) = pair().await;
        let (mut a, mut b) = (a.expect("ok"), b.expect("ok"));
        assert_eq!(a.id, b.id);
        let packet = encrypt_packet(&mut a.outbound, &encode_contents("ping", &[7; 8]));
        let mut reader = &packet[..];
        let (contents, size) = read_packet(&mut reader, &mut b.inbound).await.expect("ok");
        assert_eq!(size, packet.len());
        assert_eq!(contents.expect("ok"), encode_contents("ping", &[7; 8]));

        let mut tampered = encrypt_packet(&mut b.outbound, &[18, 0, 0, 0, 0, 0, 0, 0, 0]);
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        let mut reader = &tampered[..];
        assert!(matches!(
            read_packet(&mut reader, &mut a.inbound).await,
            Err(FrameError::BadTag)
        ));
    }
}
