//! Unix socket addresses, binding and listening, as Bitcoin Core's `-ipcbind` does it.

use std::collections::HashSet;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

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

/// Who may connect to a listener, and how many at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListenLimits {
    /// At most this many clients at once (`-ipcmaxconnections`); `None`: no limit.
    pub max_connections: Option<usize>,
    /// Only peers with these user ids (`-ipcallowuid`); empty: whoever the socket file's
    /// mode lets in.
    pub allowed_uids: Vec<u32>,
}

/// The connections a listener accepted that are still open.
#[derive(Default)]
struct Clients {
    open: Mutex<HashSet<u64>>,
    changed: Condvar,
}

impl Clients {
    fn open(&self) -> MutexGuard<'_, HashSet<u64>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Forgets a client when its connection closes.
struct ClientGuard {
    clients: Arc<Clients>,
    id: Option<u64>,
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.clients.open().remove(&id);
            self.clients.changed.notify_all();
        }
    }
}

/// A socket accepting connections on the event loop. Dropping it stops accepting and removes
/// the socket file; connections already accepted go on (see [`Listener::close_clients`]).
pub struct Listener {
    path: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    clients: Arc<Clients>,
}

impl Listener {
    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many accepted clients are connected now.
    pub fn clients(&self) -> usize {
        self.clients.open().len()
    }

    /// Closes every connection this listener accepted (their pending calls fail at once on
    /// both sides) and waits until `deadline` for them to be gone. Returns how many were
    /// still open at the deadline.
    pub fn close_clients(&self, deadline: std::time::Instant) -> usize {
        let ids: Vec<u64> = self.clients.open().iter().copied().collect();
        if !ids.is_empty() {
            tracing::info!(path = %self.path.display(), clients = ids.len(), "IPC: closing client connections");
            crate::runtime::post(move || {
                crate::runtime::with_state(|s| {
                    for id in ids {
                        s.disconnect(id);
                    }
                })
            });
        }
        let open = self.clients.open();
        let timeout = deadline.saturating_duration_since(std::time::Instant::now());
        let (open, _) = self
            .clients
            .changed
            .wait_timeout_while(open, timeout, |o| !o.is_empty())
            .unwrap_or_else(PoisonError::into_inner);
        open.len()
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
    serve_listener(listener, path, ListenLimits::default(), bootstrap)
}

/// Serves `bootstrap(conn)` on an already bound socket (see [`bind`]; binding first lets a
/// daemon report a busy socket before it detaches). `path` is removed when the returned
/// [`Listener`] drops.
pub fn serve_listener(
    listener: UnixListener,
    path: &Path,
    limits: ListenLimits,
    bootstrap: impl Fn(u64) -> capnp::capability::Client + Send + Sync + 'static,
) -> Result<Listener, SetupError> {
    let io = |source| SetupError::Io {
        path: path.to_path_buf(),
        source,
    };
    listener.set_nonblocking(true).map_err(io)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let clients = Arc::new(Clients::default());
    let accepting = Accepting {
        path: path.display().to_string(),
        limits,
        clients: clients.clone(),
    };
    let started = crate::connection::on_loop(move || {
        let listener = tokio::net::UnixListener::from_std(listener)
            .map_err(|e| interfaces::Error::failed(format!("ipc listen: {e}")))?;
        tokio::task::spawn_local(accept_loop(listener, bootstrap, stopped, accepting));
        Ok(())
    });
    started.map_err(SetupError::Ipc)?;
    tracing::info!(path = %path.display(), "IPC: listening");
    Ok(Listener {
        path: path.to_path_buf(),
        stop: Some(stop),
        clients,
    })
}

/// What an accept loop needs besides the socket.
struct Accepting {
    path: String,
    limits: ListenLimits,
    clients: Arc<Clients>,
}

impl Accepting {
    /// Why a new client must be refused, if it must.
    fn refusal(&self, peer: crate::stats::Peer) -> Option<String> {
        let allowed = &self.limits.allowed_uids;
        if !allowed.is_empty() && !peer.uid.is_some_and(|uid| allowed.contains(&uid)) {
            return Some(format!(
                "uid {} is not allowed (-ipcallowuid)",
                peer.uid.map_or("unknown".into(), |u| u.to_string())
            ));
        }
        let max = self.limits.max_connections?;
        (self.clients.open().len() >= max)
            .then(|| format!("{max} clients already connected (-ipcmaxconnections)"))
    }

    fn serve(
        &self,
        stream: tokio::net::UnixStream,
        bootstrap: &std::rc::Rc<impl Fn(u64) -> capnp::capability::Client + 'static>,
    ) {
        let peer = crate::stats::Peer::of(&stream);
        if let Some(why) = self.refusal(peer) {
            tracing::warn!(
                path = %self.path,
                pid = peer.pid.unwrap_or(-1),
                "IPC: refused a connection: {why}"
            );
            return;
        }
        let make = bootstrap.clone();
        let guard = Arc::new(Mutex::new(ClientGuard {
            clients: self.clients.clone(),
            id: None,
        }));
        let id = crate::connection::serve_accepted(
            stream,
            Box::new(move |conn| make(conn)),
            format!("listener {}", self.path),
            Box::new(guard.clone()),
        );
        self.clients.open().insert(id);
        guard.lock().unwrap_or_else(PoisonError::into_inner).id = Some(id);
    }
}

async fn accept_loop(
    listener: tokio::net::UnixListener,
    bootstrap: impl Fn(u64) -> capnp::capability::Client + 'static,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
    accepting: Accepting,
) {
    let bootstrap = std::rc::Rc::new(bootstrap);
    let path = accepting.path.clone();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => accepting.serve(stream, &bootstrap),
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
