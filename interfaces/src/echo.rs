//! The `Echo` interface: the smallest useful interface, for testing a connection.

use crate::Error;

/// Returns what it is given. Mirrors Bitcoin Core's `interfaces::Echo`.
pub trait Echo: Send + Sync {
    /// Returns `echo` unchanged.
    fn echo(&self, echo: &str) -> Result<String, Error>;
}

/// The local implementation (Core's `MakeEcho()`).
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalEcho;

impl Echo for LocalEcho {
    fn echo(&self, echo: &str) -> Result<String, Error> {
        Ok(echo.to_string())
    }
}

/// Conformance suite every `Echo` implementation, local or remote, must pass.
#[cfg(feature = "test-utils")]
pub mod conformance {
    use super::Echo;

    /// Runs every check against `echo`; panics on the first failure.
    pub fn run(echo: &dyn Echo) {
        for text in ["hallo", "", "haha", "ünïcödé ✓", "line\nbreak\0nul"] {
            assert_eq!(echo.echo(text).expect("echo call"), text);
        }
        let big = "x".repeat(1 << 20);
        assert_eq!(echo.echo(&big).expect("1 MiB echo"), big);
        let many: Vec<String> = (0..100).map(|i| format!("msg {i}")).collect();
        for text in &many {
            assert_eq!(&echo.echo(text).expect("echo call"), text);
        }
    }
}
