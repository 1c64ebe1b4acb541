//! A connection's transport: which one (v1, or BIP324 v2 with `-v2transport`), established
//! before the version handshake, then the message reader and writer for it.
//!
//! Outbound with v2 on we start the v2 handshake; a peer that closes the connection before
//! sending a single byte is taken for v1-only and the caller reconnects with v1 (Core's
//! `V2Transport::ShouldReconnectV1`). Inbound with v2 on, the first 16 bytes decide: a v1
//! `version` header (network magic, `version\0\0\0\0\0`) means v1, anything else is the start
//! of a v2 key (Core's responder). With v2 off everything is read as v1, so a v2 key is a
//! wrong magic.

use std::io::Cursor;

use bip324::{InboundCipher, OutboundCipher, Role};
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::Magic;
use tokio::io::{AsyncReadExt, BufReader, Chain};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use crate::codec::{self, FrameError};
use crate::v2::{self, HandshakeError, Wire};

/// The read half of an established connection, with what the handshake read ahead in front.
pub(crate) type Reader = BufReader<Chain<Cursor<Vec<u8>>, OwnedReadHalf>>;

/// Core's `TransportProtocolType` names (`getpeerinfo`'s `transport_protocol_type`).
pub(crate) const DETECTING: &str = "detecting";
/// Plaintext v1.
pub(crate) const V1: &str = "v1";
/// BIP324 v2.
pub(crate) const V2: &str = "v2";

/// Decodes what the peer sends.
pub(crate) enum Decoder {
    V1,
    V2(Box<InboundCipher>),
}

/// Encodes what we send.
pub(crate) enum Encoder {
    V1,
    V2(Box<OutboundCipher>),
}

/// One thing read off the wire: a message, or nothing to act on (a v2 decoy, or a message
/// type BIP324 does not assign or that is malformed, all ignored as Core does), with its size
/// on the wire.
pub(crate) struct Received {
    pub(crate) message: Option<NetworkMessage>,
    pub(crate) size: usize,
}

impl Decoder {
    /// Reads the next message; any error disconnects the peer.
    pub(crate) async fn read(
        &mut self,
        reader: &mut Reader,
        magic: Magic,
    ) -> Result<Received, FrameError> {
        match self {
            Decoder::V1 => {
                let (message, size) = codec::read_message(reader, magic).await?;
                Ok(Received {
                    message: Some(message),
                    size,
                })
            }
            Decoder::V2(cipher) => {
                let (contents, size) = v2::read_packet(reader, cipher).await?;
                let Some(contents) = contents else {
                    return Ok(Received {
                        message: None,
                        size,
                    });
                };
                let message = match v2::decode_contents(&contents) {
                    Some((command, payload)) => {
                        Some(codec::decode_payload(magic, &command, payload)?)
                    }
                    None => {
                        tracing::debug!(target: "net", "ignoring a v2 message of unknown or malformed type ({} bytes)", contents.len());
                        None
                    }
                };
                Ok(Received { message, size })
            }
        }
    }
}

impl Encoder {
    /// The bytes to send for `message`.
    pub(crate) fn encode(&mut self, magic: Magic, message: NetworkMessage) -> Vec<u8> {
        match self {
            Encoder::V1 => codec::encode_message(magic, message),
            Encoder::V2(cipher) => {
                let (command, payload) = codec::message_parts(magic, message);
                v2::encrypt_packet(cipher, &v2::encode_contents(command, &payload))
            }
        }
    }
}

/// An established transport.
pub(crate) struct Established {
    pub(crate) reader: Reader,
    pub(crate) decoder: Decoder,
    pub(crate) encoder: Encoder,
    /// [`V1`] or [`V2`].
    pub(crate) kind: &'static str,
    /// The v2 session id.
    pub(crate) session_id: Option<[u8; 32]>,
}

/// A transport that could not be established.
#[derive(Debug)]
pub(crate) struct EstablishError {
    pub(crate) error: HandshakeError,
    /// The peer closed the connection before sending anything in answer to our v2 key: try
    /// again with v1.
    pub(crate) retry_v1: bool,
}

fn v1(wire: Wire<OwnedReadHalf>) -> Established {
    Established {
        reader: reader(wire),
        decoder: Decoder::V1,
        encoder: Encoder::V1,
        kind: V1,
        session_id: None,
    }
}

fn reader(wire: Wire<OwnedReadHalf>) -> Reader {
    BufReader::new(Cursor::new(wire.buffered).chain(wire.inner))
}

/// Chooses and establishes the transport; `v2` is whether we may use v2 on this connection.
pub(crate) async fn establish(
    read: OwnedReadHalf,
    writer: &mut OwnedWriteHalf,
    magic: Magic,
    inbound: bool,
    v2: bool,
) -> Result<Established, EstablishError> {
    let mut wire = Wire::new(read);
    if !v2 {
        return Ok(v1(wire));
    }
    let role = if inbound {
        let is_v1 = wire.starts_v1(magic).await.map_err(|e| EstablishError {
            error: e.into(),
            retry_v1: false,
        })?;
        if is_v1 {
            return Ok(v1(wire));
        }
        Role::Responder
    } else {
        Role::Initiator
    };
    match v2::handshake(&mut wire, writer, magic, role).await {
        Ok(session) => Ok(Established {
            reader: reader(wire),
            decoder: Decoder::V2(Box::new(session.inbound)),
            encoder: Encoder::V2(Box::new(session.outbound)),
            kind: V2,
            session_id: Some(session.id),
        }),
        Err(error) => {
            let retry_v1 = !inbound && wire.received == 0 && error.is_closed();
            Err(EstablishError { error, retry_v1 })
        }
    }
}
