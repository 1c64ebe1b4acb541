//! How a request reaches the node: over its IPC socket (`Init.makeRpc`, `Rpc.executeRpc`)
//! when `-ipcconnect` says so and a node listens, else over HTTP with Basic auth from
//! `-rpcuser`/`-rpcpassword` or the cookie file (Core's `CallIPC` and `CallRPC`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::Settings;
use interfaces::{Init as _, Rpc};

use super::http::{self, HttpError, Target};
use super::json::Json;
use super::options::{default_rpc_port, DEFAULT_HTTP_CLIENT_TIMEOUT, DEFAULT_RPCCONNECT};
use super::{CliError, Transport};

/// Core's `HTTP_UNAUTHORIZED` and the other statuses `bitcoin-cli` treats specially.
const HTTP_BAD_REQUEST: u16 = 400;
const HTTP_UNAUTHORIZED: u16 = 401;
const HTTP_NOT_FOUND: u16 = 404;
const HTTP_INTERNAL_SERVER_ERROR: u16 = 500;
const HTTP_SERVICE_UNAVAILABLE: u16 = 503;

/// What reading the cookie gave (Core's `AuthCookieResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieResult {
    /// Read.
    Ok,
    /// Could not be read.
    Error,
    /// `-norpccookiefile`.
    Disabled,
}

/// Reads the cookie at `path` (its first line); `None` path means disabled.
pub fn read_cookie(path: Option<&Path>) -> (String, CookieResult) {
    let Some(path) = path else {
        return (String::new(), CookieResult::Disabled);
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let line = text.split('\n').next().unwrap_or_default();
            (line.to_string(), CookieResult::Ok)
        }
        Err(_) => (String::new(), CookieResult::Error),
    }
}

/// Core's `LocaleIndependentAtoi`: the leading integer of `text`, 0 if none.
pub fn atoi(text: &str) -> i64 {
    let text = text.trim_start();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse::<i64>().map_or(0, |n| sign * n)
}

/// An open IPC session with the node. Fields drop in order: the `Rpc` object, then `Init`,
/// then the connection.
struct IpcSession {
    rpc: Box<dyn Rpc>,
    _init: ipc::InitProxy,
    _connection: ipc::Connection,
}

/// The transport to a real node, configured from the settings.
pub struct NodeTransport {
    settings: Settings,
    username: String,
    session: Option<IpcSession>,
    warnings: Vec<String>,
}

impl NodeTransport {
    /// A transport for `settings`; nothing is opened yet.
    pub fn new(settings: Settings) -> NodeTransport {
        let username = settings.get("rpcuser").unwrap_or_default().to_string();
        NodeTransport {
            settings,
            username,
            session: None,
            warnings: Vec::new(),
        }
    }

    /// The socket to use, or `None` for HTTP (Core's `CallIPC` rules).
    fn ipc_stream(&self) -> Result<Option<std::os::unix::net::UnixStream>, CliError> {
        let value = if self.settings.is_negated("ipcconnect") {
            Some("0")
        } else {
            self.settings.get("ipcconnect")
        };
        if value == Some("0") {
            return Ok(None);
        }
        let auto = matches!(value, None | Some("auto" | "" | "1"));
        if self.settings.is_set("rpcconnect") && !self.settings.is_negated("rpcconnect") {
            if auto {
                return Ok(None);
            }
            return Err(CliError::Other(
                "-rpcconnect and -ipcconnect options cannot both be enabled".into(),
            ));
        }
        let choice = ipc::IpcConnect::parse(value, &self.settings.net_dir())
            .map_err(|e| CliError::Other(e.to_string()))?;
        choice
            .connect()
            .map_err(|e| CliError::Connection(e.to_string()))
    }

    fn open_session(stream: std::os::unix::net::UnixStream) -> Result<IpcSession, CliError> {
        let failed = |e: interfaces::Error| CliError::Other(e.message().to_string());
        let (connection, init) = ipc::connect_stream::<ipc::InitProxy>(stream).map_err(failed)?;
        let rpc = init.make_rpc().map_err(failed)?;
        Ok(IpcSession {
            rpc,
            _init: init,
            _connection: connection,
        })
    }

    fn send_ipc(&mut self, request: &Json, endpoint: &str) -> Option<Result<Json, CliError>> {
        if self.session.is_none() {
            let stream = match self.ipc_stream() {
                Ok(Some(stream)) => stream,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            match Self::open_session(stream) {
                Ok(session) => self.session = Some(session),
                Err(e) => return Some(Err(e)),
            }
        }
        let session = self.session.as_ref()?;
        let reply = session
            .rpc
            .execute_rpc(&request.write(), endpoint, &self.username)
            .map_err(|e| CliError::Other(e.message().to_string()))
            .and_then(|text| {
                Json::parse(&text)
                    .ok_or_else(|| CliError::Other("couldn't parse reply from server".into()))
            });
        Some(reply)
    }

    /// Host and port from `-rpcconnect` and `-rpcport` (which wins, with a warning when both
    /// name one).
    fn host_port(&mut self) -> Result<(String, u16), CliError> {
        let rpcconnect = self
            .settings
            .get("rpcconnect")
            .unwrap_or(DEFAULT_RPCCONNECT);
        let (host, connect_port) = http::split_host_port(rpcconnect).ok_or_else(|| {
            CliError::Other(format!(
                "Invalid port provided in -rpcconnect: {rpcconnect}"
            ))
        })?;
        let mut port = connect_port.unwrap_or(default_rpc_port(self.settings.chain()));
        if let Some(rpcport) = self.settings.get("rpcport") {
            port = rpcport
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0 && rpcport.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    CliError::Other(format!("Invalid port provided in -rpcport: {rpcport}"))
                })?;
            if connect_port.is_some() {
                self.warnings.push(format!(
                    "Warning: Port specified in both -rpcconnect and -rpcport. Using -rpcport {port}"
                ));
            }
        }
        Ok((host, port))
    }

    /// `-rpccookiefile` (default `.cookie`), relative to the network directory; `None` when
    /// disabled with `-norpccookiefile`.
    fn cookie_path(&self) -> Option<PathBuf> {
        if self.settings.is_negated("rpccookiefile") {
            return None;
        }
        let name = self
            .settings
            .get("rpccookiefile")
            .filter(|v| !v.is_empty())
            .unwrap_or(".cookie");
        Some(self.settings.net_dir().join(name))
    }

    /// The configuration file named in authorization errors (Core names it even when absent).
    fn config_path(&self) -> PathBuf {
        match self.settings.config_file() {
            Some(path) => path.to_path_buf(),
            None => self.settings.datadir().join(
                self.settings
                    .get("conf")
                    .filter(|c| !c.is_empty())
                    .unwrap_or("bitcoin.conf"),
            ),
        }
    }

    fn send_http(&mut self, request: &Json, endpoint: &str) -> Result<Json, CliError> {
        let (host, port) = self.host_port()?;
        let timeout = self
            .settings
            .get("rpcclienttimeout")
            .map_or(DEFAULT_HTTP_CLIENT_TIMEOUT, atoi);
        let timeout = u64::try_from(timeout)
            .ok()
            .filter(|t| *t > 0)
            .map(Duration::from_secs);
        let password = self.settings.get("rpcpassword").unwrap_or_default();
        let (credentials, cookie) = if password.is_empty() {
            let (cookie, result) = read_cookie(self.cookie_path().as_deref());
            (cookie, Some(result))
        } else {
            (format!("{}:{password}", self.username), None)
        };
        let headers = [
            ("Content-Type", "application/json".to_string()),
            (
                "Authorization",
                format!("Basic {}", http::base64(credentials.as_bytes())),
            ),
        ];
        let target = Target {
            host: host.clone(),
            port,
            timeout,
        };
        let body = request.write() + "\n";
        let response = http::post(&target, endpoint, &headers, &body)
            .map_err(|e| connection_failed(&host, port, &e))?;
        check_status(response.status, &response.body, cookie, &self.config_path())?;
        let text = String::from_utf8(response.body)
            .map_err(|_| CliError::Other("couldn't parse reply from server".into()))?;
        Json::parse(&text).ok_or_else(|| CliError::Other("couldn't parse reply from server".into()))
    }
}

impl Transport for NodeTransport {
    fn send(&mut self, request: &Json, endpoint: &str) -> Result<Json, CliError> {
        match self.send_ipc(request, endpoint) {
            Some(reply) => reply,
            None => self.send_http(request, endpoint),
        }
    }

    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

/// Core's message when the HTTP exchange fails.
fn connection_failed(host: &str, port: u16, error: &HttpError) -> CliError {
    CliError::Connection(format!(
        "Error while attempting to communicate with server {host}:{port} ({error})\n\n\
         Make sure the bitcoind server is running and that you are connecting to the correct RPC port.\n\
         Use \"bitcoin-cli -help\" for more info."
    ))
}

/// Core's handling of the HTTP status: 401 explains the credentials used, 503 shows the
/// body, other errors but 400/404/500 (which carry JSON-RPC errors) are reported, and an
/// empty body is an error.
pub fn check_status(
    status: u16,
    body: &[u8],
    cookie: Option<CookieResult>,
    config_file: &Path,
) -> Result<(), CliError> {
    if status == HTTP_UNAUTHORIZED {
        let reason = match cookie {
            Some(CookieResult::Error) => {
                "Failed to read cookie file and no rpcpassword was specified."
            }
            Some(CookieResult::Disabled) => {
                "Cookie file was disabled via -norpccookiefile and no rpcpassword was specified."
            }
            Some(CookieResult::Ok) => {
                "Cookie file credentials were invalid and no rpcpassword was specified."
            }
            None => "Incorrect rpcuser or rpcpassword were specified.",
        };
        return Err(CliError::Other(format!(
            "Authorization failed: {reason} Configuration file: ({})",
            config_file.display()
        )));
    }
    if status == HTTP_SERVICE_UNAVAILABLE {
        return Err(CliError::Other(format!(
            "Server response: {}",
            String::from_utf8_lossy(body)
        )));
    }
    if status >= 400
        && ![HTTP_BAD_REQUEST, HTTP_NOT_FOUND, HTTP_INTERNAL_SERVER_ERROR].contains(&status)
    {
        return Err(CliError::Other(format!(
            "server returned HTTP error {status}"
        )));
    }
    if body.is_empty() {
        return Err(CliError::Other("no response from server".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn other(result: Result<(), CliError>) -> String {
        match result {
            Err(CliError::Other(m)) => m,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn statuses_like_core() {
        let conf = Path::new("/d/bitcoin.conf");
        assert_eq!(
            other(check_status(401, b"", Some(CookieResult::Error), conf)),
            "Authorization failed: Failed to read cookie file and no rpcpassword was specified. Configuration file: (/d/bitcoin.conf)"
        );
        assert_eq!(
            other(check_status(401, b"", None, conf)),
            "Authorization failed: Incorrect rpcuser or rpcpassword were specified. Configuration file: (/d/bitcoin.conf)"
        );
        assert!(other(check_status(401, b"", Some(CookieResult::Ok), conf))
            .contains("Cookie file credentials were invalid"));
        assert!(
            other(check_status(401, b"", Some(CookieResult::Disabled), conf))
                .contains("-norpccookiefile")
        );
        assert_eq!(
            other(check_status(503, b"busy", None, conf)),
            "Server response: busy"
        );
        assert_eq!(
            other(check_status(403, b"x", None, conf)),
            "server returned HTTP error 403"
        );
        assert_eq!(
            other(check_status(200, b"", None, conf)),
            "no response from server"
        );
        for status in [200, 400, 404, 500] {
            assert!(check_status(status, b"{}", None, conf).is_ok(), "{status}");
        }
    }

    #[test]
    fn cookie_reading() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".cookie");
        assert_eq!(read_cookie(None), (String::new(), CookieResult::Disabled));
        assert_eq!(
            read_cookie(Some(&path)),
            (String::new(), CookieResult::Error)
        );
        std::fs::write(&path, "__cookie__:abc\nignored\n").expect("write");
        assert_eq!(
            read_cookie(Some(&path)),
            ("__cookie__:abc".into(), CookieResult::Ok)
        );
    }

    #[test]
    fn atoi_is_lenient() {
        assert_eq!(atoi("900"), 900);
        assert_eq!(atoi(" -5s"), -5);
        assert_eq!(atoi("+7"), 7);
        assert_eq!(atoi("x"), 0);
        assert_eq!(atoi(""), 0);
    }

    fn transport(args: &[&str]) -> NodeTransport {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let specs = super::super::options::all();
        NodeTransport::new(Settings::from_args(&specs, &args).expect("settings"))
    }

    #[test]
    fn host_and_port_selection() {
        assert_eq!(
            transport(&["-regtest"]).host_port().expect("ok"),
            ("127.0.0.1".into(), 18443)
        );
        assert_eq!(
            transport(&["-rpcconnect=example.org:1234"])
                .host_port()
                .expect("ok"),
            ("example.org".into(), 1234)
        );
        let mut both = transport(&["-rpcconnect=[::1]:1234", "-rpcport=5678"]);
        assert_eq!(both.host_port().expect("ok"), ("::1".into(), 5678));
        assert_eq!(
            both.take_warnings(),
            ["Warning: Port specified in both -rpcconnect and -rpcport. Using -rpcport 5678"]
        );
        for (args, message) in [
            (&["-rpcport=0"][..], "Invalid port provided in -rpcport: 0"),
            (&["-rpcport=x"], "Invalid port provided in -rpcport: x"),
            (
                &["-rpcconnect=h:x"],
                "Invalid port provided in -rpcconnect: h:x",
            ),
        ] {
            match transport(args).host_port() {
                Err(CliError::Other(m)) => assert_eq!(m, message),
                other => panic!("{args:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn ipc_choice_rules() {
        // -ipcconnect=0 and -noipcconnect: HTTP.
        assert!(matches!(
            transport(&["-ipcconnect=0"]).ipc_stream(),
            Ok(None)
        ));
        assert!(matches!(
            transport(&["-noipcconnect"]).ipc_stream(),
            Ok(None)
        ));
        // -rpcconnect with auto: HTTP; with an explicit socket: refused.
        assert!(matches!(
            transport(&["-rpcconnect=127.0.0.1"]).ipc_stream(),
            Ok(None)
        ));
        assert!(matches!(
            transport(&["-rpcconnect=127.0.0.1", "-ipcconnect=unix"]).ipc_stream(),
            Err(CliError::Other(m)) if m == "-rpcconnect and -ipcconnect options cannot both be enabled"
        ));
        let dir = tempfile::tempdir().expect("tempdir");
        let datadir = format!("-datadir={}", dir.path().display());
        // auto with nobody listening: HTTP; unix: a connection error saying how to start one.
        assert!(matches!(
            transport(&[&datadir, "-regtest"]).ipc_stream(),
            Ok(None)
        ));
        match transport(&[&datadir, "-regtest", "-ipcconnect=unix"]).ipc_stream() {
            Err(CliError::Connection(m)) => {
                assert!(m.contains("node.sock"), "{m}");
                assert!(m.contains("-ipcbind=unix"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            transport(&["-ipcconnect=tcp:1"]).ipc_stream(),
            Err(CliError::Other(m)) if m.contains("invalid IPC address")
        ));
    }

    #[test]
    fn cookie_and_config_paths() {
        let dir = tempfile::tempdir().expect("tempdir");
        let datadir = format!("-datadir={}", dir.path().display());
        let t = transport(&[&datadir, "-regtest"]);
        assert_eq!(t.cookie_path(), Some(dir.path().join("regtest/.cookie")));
        assert_eq!(t.config_path(), dir.path().join("bitcoin.conf"));
        let t = transport(&[&datadir, "-rpccookiefile=/abs/c"]);
        assert_eq!(t.cookie_path(), Some(PathBuf::from("/abs/c")));
        assert_eq!(transport(&["-norpccookiefile"]).cookie_path(), None);
    }
}
