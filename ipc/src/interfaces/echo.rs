//! `Echo` over IPC (`echo.capnp`).

crate::interface! {
    /// An [`interfaces::Echo`] served by another process.
    EchoProxy, EchoServer: dyn interfaces::Echo, schemas::echo_capnp::echo;
    [destroy]
    methods {
        fn echo(echo: &str => [text]) -> String => [text];
    }
}
