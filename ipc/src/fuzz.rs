//! Entry points for fuzzing the code that reads bytes from peers.

use capnp_rpc::rpc_capnp::message;

/// Reads one frame from `data` exactly as a connection would (same limits), then walks the
/// RPC message it holds: the message type, a call's target and parameters. Returns the error
/// a connection would close with; never panics.
pub fn decode_frame(mut data: &[u8]) -> Result<(), capnp::Error> {
    let reader = capnp::serialize::read_message(&mut data, crate::connection::reader_options())?;
    let root: message::Reader<'_> = reader.get_root()?;
    match root.which()? {
        message::Call(call) => {
            let call = call?;
            let _ = (
                call.get_interface_id(),
                call.get_method_id(),
                call.get_question_id(),
            );
            let params = call.get_params()?;
            let content = params.get_content();
            let _ = content.target_size()?;
            for cap in params.get_cap_table()? {
                let _ = cap.which()?;
            }
            if let Ok(ctx) = content.get_as::<schemas::proxy_capnp::context::Reader<'_>>() {
                let _ = (ctx.has_thread(), ctx.has_callback_thread());
            }
        }
        message::Return(ret) => {
            let _ = ret?.which()?;
        }
        message::Bootstrap(b) => {
            let _ = b?.get_question_id();
        }
        _ => {}
    }
    Ok(())
}

/// Reads `data` as a capnp message and converts its root with every [`WireStruct`] of the
/// interfaces (node, mining and wallet structs), as servers and proxies do with peers' parameters and
/// results. Returns the first error; never panics.
///
/// [`WireStruct`]: crate::proxy::WireStruct
pub fn decode_structs(mut data: &[u8]) -> Result<(), capnp::Error> {
    use crate::proxy::WireStruct;
    let reader = capnp::serialize::read_message(&mut data, crate::connection::reader_options())?;
    fn read<T: WireStruct>(
        reader: &capnp::message::Reader<capnp::serialize::OwnedSegments>,
    ) -> capnp::Result<T> {
        T::read(reader.get_root()?)
    }
    let results = [
        read::<interfaces::NodeStatus>(&reader).map(drop),
        read::<interfaces::BlockTip>(&reader).map(drop),
        read::<interfaces::BlockRef>(&reader).map(drop),
        read::<interfaces::BlockCreateOptions>(&reader).map(drop),
        read::<interfaces::BlockWaitOptions>(&reader).map(drop),
        read::<interfaces::BlockCheckOptions>(&reader).map(drop),
        read::<interfaces::CoinbaseTx>(&reader).map(drop),
        read::<interfaces::SendRequest>(&reader).map(drop),
        read::<interfaces::WalletTransaction>(&reader).map(drop),
        read::<interfaces::AddressBookEntry>(&reader).map(drop),
        read::<interfaces::BumpFeeRequest>(&reader).map(drop),
        read::<interfaces::WalletCoin>(&reader).map(drop),
        read::<interfaces::FilledPsbt>(&reader).map(drop),
    ];
    results.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few thousand pseudo-random inputs, half of them with a valid frame header, never
    /// panic.
    #[test]
    fn random_inputs_never_panic() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..4000 {
            let len = (next() % 256) as usize;
            let mut data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if round % 2 == 0 && data.len() >= 8 {
                // One segment of (len - 8) / 8 words.
                data[..4].copy_from_slice(&0u32.to_le_bytes());
                let words = u32::try_from((data.len() - 8) / 8).unwrap_or(0);
                data[4..8].copy_from_slice(&words.to_le_bytes());
            }
            let _ = decode_structs(&data);
            let _ = decode_frame(&data);
        }
    }
}
