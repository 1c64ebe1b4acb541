//! The HTTP side of a server: [`bind`] the `-rpcbind`/`-rpcport` endpoints before the
//! process detaches (so a busy port is reported), then [`start`] serving a [`Dispatcher`] with
//! cookie, `-rpcuser`/`-rpcpassword` and `-rpcauth` authentication; dropping the returned
//! [`Server`] stops HTTP and removes the cookie.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use crate::auth::{AuthEntry, Cookie, Credentials};
use crate::config::RpcConfig;
use crate::control::{self, Control};
use crate::dispatch::Dispatcher;
use crate::http::{HttpServer, HttpState};
use crate::table::RpcTable;

/// Why the RPC server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpcSetupError {
    /// No `-rpcbind`/`-rpcport` endpoint could be bound.
    #[error("Unable to bind any endpoint for RPC server ({0})")]
    NoEndpoint(String),
    /// The cookie file could not be written.
    #[error("Unable to start HTTP server. See debug log for details. ({0})")]
    Cookie(std::io::Error),
    /// The server's runtime could not start.
    #[error("cannot start the RPC server: {0}")]
    Runtime(std::io::Error),
}

/// The listening sockets, bound before the node detaches or starts threads.
#[derive(Debug, Default)]
pub struct Bound {
    listeners: Vec<TcpListener>,
    /// Problems to log once logging is up.
    pub warnings: Vec<String>,
}

impl Bound {
    /// The addresses listened on.
    pub fn addresses(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }
}

fn listen(address: SocketAddr) -> std::io::Result<TcpListener> {
    use nix::sys::socket::{self, sockopt, AddressFamily, SockFlag, SockType, SockaddrStorage};
    let family = match address {
        SocketAddr::V4(_) => AddressFamily::Inet,
        SocketAddr::V6(_) => AddressFamily::Inet6,
    };
    let fd = socket::socket(family, SockType::Stream, SockFlag::SOCK_CLOEXEC, None)?;
    socket::setsockopt(&fd, sockopt::ReuseAddr, &true)?;
    if address.is_ipv6() {
        // As Core: [::] does not also take IPv4, so 0.0.0.0 can be bound beside it.
        socket::setsockopt(&fd, sockopt::Ipv6V6Only, &true)?;
    }
    socket::bind(
        std::os::fd::AsRawFd::as_raw_fd(&fd),
        &SockaddrStorage::from(address),
    )?;
    socket::listen(&fd, socket::Backlog::MAXCONN)?;
    Ok(TcpListener::from(fd))
}

/// Binds the HTTP endpoints (nothing when `-server=0`). With the default endpoints, failing
/// to bind them all is a warning; with `-rpcport`/`-rpcbind` it is an error, as in Core.
pub fn bind(config: &RpcConfig) -> Result<Bound, RpcSetupError> {
    let mut bound = Bound::default();
    if !config.enabled {
        return Ok(bound);
    }
    let mut failures = Vec::new();
    for &address in &config.endpoints {
        match listen(address) {
            Ok(listener) => bound.listeners.push(listener),
            Err(e) => {
                bound.warnings.push(format!(
                    "Binding RPC on address {} port {} failed: {e}",
                    address.ip(),
                    address.port()
                ));
                failures.push(format!("{address}: {e}"));
            }
        }
    }
    if bound.listeners.is_empty() && !config.endpoints.is_empty() {
        if config.endpoints_explicit {
            return Err(RpcSetupError::NoEndpoint(failures.join(", ")));
        }
        bound.warnings.push(format!(
            "Unable to bind any endpoint for RPC server ({}); running without the HTTP RPC server",
            failures.join(", ")
        ));
    }
    Ok(bound)
}

/// A table with the control methods.
pub fn control_table(control: &Control) -> RpcTable {
    let mut table = RpcTable::new();
    control::register(&mut table, control);
    table
}

/// The HTTP server and its cookie; dropping it stops the server, then removes the cookie.
pub struct Server {
    http: Option<HttpServer>,
    cookie: Option<Cookie>,
}

impl Server {
    /// The cookie file, if one was generated.
    pub fn cookie_path(&self) -> Option<&std::path::Path> {
        self.cookie.as_ref().map(Cookie::path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.http.take();
        self.cookie.take();
    }
}

/// Sets up authentication (cookie, `-rpcuser`/`-rpcpassword`, `-rpcauth`) and serves
/// `dispatcher` on the bound endpoints.
pub fn start(
    config: &RpcConfig,
    bound: Bound,
    dispatcher: Arc<Dispatcher>,
) -> Result<Server, RpcSetupError> {
    for warning in config.warnings.iter().chain(&bound.warnings) {
        tracing::warn!("{warning}");
    }
    let mut server = Server {
        http: None,
        cookie: None,
    };
    if bound.listeners.is_empty() {
        return Ok(server);
    }
    let mut entries = Vec::new();
    if let Some((path, perms)) = &config.cookie {
        let (cookie, entry) = Cookie::generate(path, *perms).map_err(RpcSetupError::Cookie)?;
        server.cookie = Some(cookie);
        entries.push(entry);
        tracing::info!("Using random cookie authentication.");
    } else if let Some((user, password)) = &config.user_password {
        tracing::info!("Using rpcuser/rpcpassword authentication.");
        entries.push(AuthEntry::from_password(user, password).map_err(RpcSetupError::Cookie)?);
    } else {
        tracing::info!("RPC authentication cookie file generation is disabled.");
    }
    if !config.rpcauth.is_empty() {
        tracing::info!("Using rpcauth authentication.");
        entries.extend(config.rpcauth.iter().cloned());
    }
    let addresses = bound.addresses();
    let state = HttpState {
        dispatcher,
        credentials: Credentials::new(entries),
        allow: config.allow.clone(),
        threads: config.threads,
        work_queue: config.work_queue,
        timeout: config.server_timeout,
    };
    server.http = Some(HttpServer::start(bound.listeners, state).map_err(RpcSetupError::Runtime)?);
    for address in addresses {
        tracing::info!("Bound RPC to {address}");
    }
    Ok(server)
}
