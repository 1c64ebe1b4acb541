//! The error every interface method can return.

/// Why an interface call failed.
///
/// Local implementations return [`Error::Remote`]-free errors of their own choosing via
/// [`Error::Failed`]; IPC proxies add [`Error::Disconnected`] when the peer went away and
/// carry the server's message in [`Error::Remote`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The process serving the object went away (or the connection broke) before the call
    /// completed; every later call on objects of that connection fails the same way.
    #[error("ipc peer disconnected: {0}")]
    Disconnected(String),
    /// The remote implementation failed; the text is the server's message.
    #[error("remote error: {0}")]
    Remote(String),
    /// The implementation failed locally (a local object, or the IPC layer on this side).
    #[error("{0}")]
    Failed(String),
}

impl Error {
    /// A local failure with the given message.
    pub fn failed(message: impl Into<String>) -> Error {
        Error::Failed(message.into())
    }

    /// The bare message, without the kind prefix used by `Display`.
    pub fn message(&self) -> &str {
        match self {
            Error::Disconnected(m) | Error::Remote(m) | Error::Failed(m) => m,
        }
    }

    /// Whether the call failed because the connection to the peer is gone.
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Error::Disconnected(_))
    }
}
