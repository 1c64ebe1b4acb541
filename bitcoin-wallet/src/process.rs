//! The wallet process: its options, its `Init` (what a node that spawned it calls), and the two
//! ways it runs outside `bitcoind`: spawned by `bitcoin-node` over a socketpair (`-ipcfd N`,
//! the node passes its settings with `configure` and its `Chain` with `makeWalletLoader`), or
//! attached to a running node (`-ipcconnect=unix`, it asks the node for a `Chain`). Either way
//! [`start_wallets`] makes the loader, registers the wallet RPC methods with the node and loads
//! the startup wallets.

use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex, PoisonError};

use common::args::{OptionSpec, COMMON_OPTIONS, IPC, WALLET_OPTIONS};
use common::logging::{LogHandle, LogSettings};
use common::Settings;
use interfaces::{Chain, Error, Handler, Init, WalletLoader};

use crate::wallet::{LocalWalletLoader, WalletOptions};

/// `-ipcconnect`, for a wallet process attaching to a running node.
const IPCCONNECT: OptionSpec = OptionSpec::value(
    "ipcconnect",
    "<address>",
    IPC,
    "Connect to bitcoin-node through IPC socket. Valid address values are \"unix\" to connect to the default socket path, <datadir>/<chain>/node.sock, or \"unix:/custom/path\" to specify a custom path. (default: unix)",
);

/// Every option of `bitcoin-wallet`.
pub fn all_options() -> Vec<OptionSpec> {
    COMMON_OPTIONS
        .iter()
        .chain(WALLET_OPTIONS)
        .copied()
        .chain([IPCCONNECT])
        .collect()
}

/// Usage lines of `bitcoin-wallet -help`.
pub const USAGE: &str = "Bitcoin wallet process of the multiprocess build (bitcoin-wallet)

Usage:  bitcoin-wallet [options]                   Attach to a running bitcoin-node (-ipcconnect)
        bitcoin-wallet -ipcfd <n>                  Serve IPC on inherited socket <n> (used when spawned)";

/// Why the wallet process could not start or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// Bad arguments or configuration.
    #[error("{0}")]
    Args(#[from] common::ArgsError),
    /// Setting up IPC failed.
    #[error("{0}")]
    Ipc(#[from] ipc::SetupError),
    /// The node refused what the wallet asked for.
    #[error("{0}")]
    Node(#[from] Error),
    /// Something else failed.
    #[error("{0}")]
    Other(String),
}

fn amount_option(settings: &Settings, name: &str, default: i64) -> Result<i64, common::ArgsError> {
    let default = u64::try_from(default).unwrap_or(0);
    rpc::amount::amount_setting(settings, name, default)
        .map(|sats| i64::try_from(sats).unwrap_or(i64::MAX))
}

/// The wallet options of `settings`, checked.
pub fn wallet_options(settings: &Settings) -> Result<WalletOptions, common::ArgsError> {
    let mut options = WalletOptions::new(rpc::address::network(settings.chain()));
    options.fallback_fee_per_kvb = amount_option(settings, "fallbackfee", 0)?;
    options.max_tx_fee = amount_option(settings, "maxtxfee", options.max_tx_fee)?;
    if let Some(text) = settings.get("txconfirmtarget") {
        options.tx_confirm_target =
            text.parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| common::ArgsError::BadValue {
                    option: "txconfirmtarget".into(),
                    value: text.into(),
                    reason: "expected a number of blocks".into(),
                })?;
    }
    Ok(options)
}

/// Running wallets: the loader and the node's registration of their RPC methods (dropping
/// it unregisters them; dropping the loader stops syncing).
pub struct Wallets {
    /// The loader.
    pub loader: Arc<LocalWalletLoader>,
    _rpc: Box<dyn Handler>,
}

/// Makes the loader on `chain`, registers the wallet RPC methods with the node and loads the
/// startup wallets (`settings.json` and `-wallet`; one that fails to load is logged).
pub fn start_wallets(chain: Arc<dyn Chain>, settings: &Settings) -> Result<Wallets, ProcessError> {
    let net_dir = settings.net_dir();
    let wallets_dir = net_dir.join("wallets");
    std::fs::create_dir_all(&wallets_dir)
        .map_err(|e| ProcessError::Other(format!("{}: {e}", wallets_dir.display())))?;
    let loader = LocalWalletLoader::new(
        chain.clone(),
        wallets_dir,
        net_dir.join("settings.json"),
        wallet_options(settings)?,
    );
    let table = crate::rpc::wallet_table(loader.clone());
    let infos = rpc::describe::method_infos(&table);
    let executor = Arc::new(rpc::LocalRpc(Arc::new(
        rpc::Dispatcher::for_wallet_methods(table),
    )));
    let registration = chain.handle_rpc(&infos, executor)?;
    match loader.load_startup_wallets(&settings.get_list("wallet")) {
        Ok(loaded) => tracing::info!(?loaded, "startup wallets loaded"),
        Err(e) => tracing::error!("loading the startup wallets: {e}"),
    }
    Ok(Wallets {
        loader,
        _rpc: registration,
    })
}

/// The wallet process's `Init`, served to the node that spawned it.
pub struct WalletInit {
    log: Arc<LogHandle>,
    settings: Mutex<Option<Settings>>,
    running: Mutex<Vec<Wallets>>,
}

impl WalletInit {
    /// An `Init` whose `configure` may switch `log`.
    pub fn new(log: Arc<LogHandle>) -> WalletInit {
        WalletInit {
            log,
            settings: Mutex::new(None),
            running: Mutex::new(Vec::new()),
        }
    }
}

impl Init for WalletInit {
    fn configure(&self, args: &[String]) -> Result<(), Error> {
        let settings = Settings::from_args(&all_options(), args)
            .map_err(|e| Error::failed(format!("configure: {e}")))?;
        let log =
            LogSettings::from_settings("bitcoin-wallet", &settings, &settings.net_dir(), false)
                .map_err(|e| Error::failed(format!("configure: {e}")))?;
        self.log
            .apply(&log)
            .map_err(|e| Error::failed(format!("configure: {e}")))?;
        tracing::info!(?args, "configured by parent");
        *self.settings.lock().unwrap_or_else(PoisonError::into_inner) = Some(settings);
        Ok(())
    }

    fn make_wallet_loader(&self, chain: Arc<dyn Chain>) -> Result<Box<dyn WalletLoader>, Error> {
        let settings = self
            .settings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| Error::failed("makeWalletLoader before configure"))?;
        let wallets = start_wallets(chain, &settings).map_err(|e| Error::failed(e.to_string()))?;
        let loader = wallets.loader.clone();
        // The node restarts this process if it dies: keep the list of loaded wallets so the
        // next one reloads them.
        let restored = loader.keep_session();
        if !restored.is_empty() {
            tracing::warn!(
                ?restored,
                "reloaded the wallets of a wallet process that died"
            );
        }
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(wallets);
        Ok(loader.interface())
    }
}

/// Blocks SIGINT and SIGTERM in every thread (call first): a signal thread waits for them.
pub fn block_shutdown_signals() -> Result<(), ProcessError> {
    common::signals::block_shutdown_signals()
        .map_err(|e| ProcessError::Other(format!("cannot block signals: {e}")))
}

/// Waits for a shutdown signal or for `connection` to close; returns why it stopped.
fn wait(connection: ipc::Connection) -> Result<String, ProcessError> {
    let (stop, stopped) = mpsc::channel();
    let thread_error =
        |e: std::io::Error| ProcessError::Other(format!("cannot start a thread: {e}"));
    let signals = stop.clone();
    common::signals::on_shutdown_signal(move |name| {
        let _ = signals.send(format!("received {name}"));
    })
    .map_err(thread_error)?;
    std::thread::Builder::new()
        .name("ipc-watch".into())
        .spawn(move || {
            let _ = stop.send(format!("connection closed ({})", connection.wait_closed()));
        })
        .map_err(thread_error)?;
    Ok(stopped
        .recv()
        .unwrap_or_else(|_| "watch threads ended".into()))
}

/// Serves [`WalletInit`] on inherited fd `fd` until the node closes the socket.
pub fn serve_fd(fd: i32) -> Result<(), ProcessError> {
    let initial = LogSettings {
        process: "bitcoin-wallet".into(),
        file: None,
        console: true,
        debug: Vec::new(),
    };
    let log = Arc::new(
        common::logging::init(&initial)
            .map_err(|e| ProcessError::Other(format!("logging: {e}")))?,
    );
    let fd = ipc::spawn::adopt_inherited_socket(fd)
        .map_err(|e| ProcessError::Other(format!("-ipcfd {fd}: {e}")))?;
    let init = Arc::new(WalletInit::new(log));
    let connection = ipc::serve_init_fd(fd, init.clone())?;
    let reason = wait(connection)?;
    tracing::info!("bitcoin-wallet (spawned) exiting: {reason}");
    // Wallets are saved as they change; dropping them stops their sync thread.
    init.running
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
    Ok(())
}

/// Attaches to the node at `-ipcconnect` and runs the wallets until a signal or until the
/// node goes away.
pub fn attach(settings: &Settings) -> Result<(), ProcessError> {
    let log = LogSettings::from_settings("bitcoin-wallet", settings, &settings.net_dir(), true)?;
    let _log =
        common::logging::init(&log).map_err(|e| ProcessError::Other(format!("logging: {e}")))?;
    let address = settings.get("ipcconnect").unwrap_or("unix");
    let path: PathBuf = ipc::socket::socket_path(&settings.net_dir(), address)?;
    let stream = ipc::IpcConnect::Required(path)
        .connect()?
        .ok_or_else(|| ProcessError::Other("-ipcconnect: no node to attach to".into()))?;
    let (connection, init) = ipc::connect_stream::<ipc::InitProxy>(stream)
        .map_err(|e| ProcessError::Other(format!("cannot connect: {e}")))?;
    let chain: Arc<dyn Chain> = Arc::from(init.make_chain()?);
    let wallets = start_wallets(chain, settings)?;
    tracing::info!("bitcoin-wallet attached to the node");
    let reason = wait(connection)?;
    tracing::info!("bitcoin-wallet exiting: {reason}");
    drop(wallets);
    Ok(())
}
