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
