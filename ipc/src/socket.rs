//! Unix socket addresses, binding and listening, as Bitcoin Core's `-ipcbind` does it.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use crate::SetupError;

/// File name of the node's socket in the network directory (`-ipcbind=unix`).
pub const DEFAULT_SOCKET_NAME: &str = "node.sock";

/// Longest socket path the kernel accepts (`sun_path` holds 108 bytes including the NUL).
pub const MAX_SOCKET_PATH: usize = 107;

/// Resolves an `-ipcbind`/`-ipcconnect` address: `unix` is `<netdir>/node.sock`,
/// `unix:<path>` is `<path>` relative to `netdir` (or absolute).
pub fn socket_path(netdir: &Path, address: &str) -> Result<PathBuf, SetupError> {
    let path = match address.split_once(':') {
        None if address == "unix" => netdir.join(DEFAULT_SOCKET_NAME),
        Some(("unix", "")) => netdir.join(DEFAULT_SOCKET_NAME),
        Some(("unix", path)) => netdir.join(path),
        _ => return Err(SetupError::BadAddress(address.to_string())),
    };
    check_length(&path)?;
    Ok(path)
}

fn check_length(path: &Path) -> Result<(), SetupError> {
    let len = path.as_os_str().len();
    if len > MAX_SOCKET_PATH {
        return Err(SetupError::PathTooLong {
            path: path.to_path_buf(),
            len,
        });
    }
    Ok(())
}

/// Makes way for a new socket at `path`: a stale socket (nobody listening) is removed; a
/// live one, or a file that is not a socket, is an error.
fn clear_stale(path: &Path) -> Result<(), SetupError> {
    let meta = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(SetupError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
        Ok(meta) => meta,
    };
    if !meta.file_type().is_socket() {
        return Err(SetupError::NotASocket(path.to_path_buf()));
    }
    if UnixStream::connect(path).is_ok() {
        return Err(SetupError::Occupied(path.to_path_buf()));
    }
    tracing::info!(path = %path.display(), "removing stale IPC socket");
    std::fs::remove_file(path).map_err(|source| SetupError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Binds an owner-only listening socket at `path`.
///
/// The file appears at `path` only once the socket listens, so a client that sees it can
/// connect: the socket is bound and listening under a temporary name in the same directory,
/// then hard-linked to `path` (which, unlike a rename, fails rather than replace a socket
/// another process made meanwhile) and the temporary name removed. A plain `bind` would
/// show the file between its `bind(2)` and `listen(2)`, when a connect is refused.
pub fn bind(path: &Path) -> Result<UnixListener, SetupError> {
    check_length(path)?;
    clear_stale(path)?;
    let io = |source| SetupError::Io {
        path: path.to_path_buf(),
        source,
    };
    let staging = staging_path(path);
    let listener = bind_owner_only(&staging).map_err(io)?;
    let published = std::fs::hard_link(&staging, path);
    let _ = std::fs::remove_file(&staging);
    match published {
        Ok(()) => Ok(listener),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(SetupError::Occupied(path.to_path_buf()))
        }
        Err(e) => Err(io(e)),
    }
}

/// A name beside `path` for binding before the socket is published there: unique to this
/// process and bind, and no longer than the kernel allows (the directory is the same, so
/// the name is kept short).
fn staging_path(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!(".{:x}.{n:x}", std::process::id());
    path.with_file_name(name)
}

/// Binds and listens at `path` with mode 0600 from the start (no window in which others may
/// connect), then sets the mode explicitly in case the umask was stricter. The umask is
/// process-wide: binding happens at startup.
fn bind_owner_only(path: &Path) -> std::io::Result<UnixListener> {
    if path.as_os_str().len() > MAX_SOCKET_PATH {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("staging name {} too long", path.display()),
        ));
    }
    let old_mask = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o177));
    let bound = UnixListener::bind(path);
    nix::sys::stat::umask(old_mask);
    let listener = bound?;
    if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(listener)
}

/// Connects to the socket at `path`.
pub fn connect(path: &Path) -> Result<UnixStream, SetupError> {
    check_length(path)?;
    UnixStream::connect(path).map_err(|source| SetupError::Connect {
        path: path.to_path_buf(),
        source,
    })
}

/// A socket accepting connections on the event loop. Dropping it stops accepting and removes
/// the socket file; connections already accepted go on.
pub struct Listener {
    path: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Listener {
    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Err(e) = std::fs::remove_file(&self.path) {
            tracing::warn!(path = %self.path.display(), "cannot remove IPC socket: {e}");
        }
    }
}

/// Binds `path` and serves `bootstrap(conn)` to every client that connects.
pub fn listen(
    path: &Path,
    bootstrap: impl Fn(u64) -> capnp::capability::Client + Send + Sync + 'static,
) -> Result<Listener, SetupError> {
    let listener = bind(path)?;
    serve_listener(listener, path, bootstrap)
}

/// Serves `bootstrap(conn)` on an already bound socket (see [`bind`]; binding first lets a
/// daemon report a busy socket before it detaches). `path` is removed when the returned
/// [`Listener`] drops.
pub fn serve_listener(
    listener: UnixListener,
    path: &Path,
    bootstrap: impl Fn(u64) -> capnp::capability::Client + Send + Sync + 'static,
) -> Result<Listener, SetupError> {
    let io = |source| SetupError::Io {
        path: path.to_path_buf(),
        source,
    };
    listener.set_nonblocking(true).map_err(io)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shown = path.display().to_string();
    let started = crate::connection::on_loop(move || {
        let listener = tokio::net::UnixListener::from_std(listener)
            .map_err(|e| interfaces::Error::failed(format!("ipc listen: {e}")))?;
        tokio::task::spawn_local(accept_loop(listener, bootstrap, stopped, shown));
        Ok(())
    });
    started.map_err(SetupError::Ipc)?;
    tracing::info!(path = %path.display(), "IPC: listening");
    Ok(Listener {
        path: path.to_path_buf(),
        stop: Some(stop),
    })
}

async fn accept_loop(
    listener: tokio::net::UnixListener,
    bootstrap: impl Fn(u64) -> capnp::capability::Client + 'static,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
    path: String,
) {
    let bootstrap = std::rc::Rc::new(bootstrap);
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let make = bootstrap.clone();
                    crate::connection::serve_accepted(stream, Box::new(move |conn| make(conn)));
                }
                Err(e) => {
                    tracing::warn!(path, "IPC: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }
    tracing::debug!(path, "IPC: stopped listening");
}

/// A client's `-ipcconnect` choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpcConnect {
    /// `-ipcconnect=0` (or `-noipcconnect`): never use IPC.
    Disabled,
    /// `-ipcconnect=auto` (the default): use the node's socket if a node listens there,
    /// otherwise fall back (a GUI spawns a node, `bitcoin-cli` uses HTTP).
    Auto(PathBuf),
    /// `-ipcconnect=unix` or `unix:<path>`: use this socket or fail.
    Required(PathBuf),
}

impl IpcConnect {
    /// Parses an `-ipcconnect` value (`None`: not given) for network directory `net_dir`.
    pub fn parse(value: Option<&str>, net_dir: &Path) -> Result<IpcConnect, SetupError> {
        match value {
            None | Some("auto") | Some("") | Some("1") => {
                Ok(IpcConnect::Auto(socket_path(net_dir, "unix")?))
            }
            Some("0") => Ok(IpcConnect::Disabled),
            Some(address) => Ok(IpcConnect::Required(socket_path(net_dir, address)?)),
        }
    }

    /// Connects as chosen: `Ok(None)` means "fall back" (disabled, or `auto` with no node
    /// listening); `Required` with no node listening is an error that says how to start one.
    pub fn connect(&self) -> Result<Option<UnixStream>, SetupError> {
        match self {
            IpcConnect::Disabled => Ok(None),
            IpcConnect::Auto(path) => Ok(UnixStream::connect(path).ok()),
            IpcConnect::Required(path) => {
                UnixStream::connect(path)
                    .map(Some)
                    .map_err(|source| SetupError::NoNode {
                        path: path.clone(),
                        source,
                    })
            }
        }
    }
}
