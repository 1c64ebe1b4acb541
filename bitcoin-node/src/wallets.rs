//! The node's wallets: in a `bitcoin-wallet` process it spawns and supervises (restarted if
//! it dies, with the wallets it had loaded), or in this process (`bitcoind`). Either way their
//! loader sits in a [`WalletSlot`], which `Node::walletLoader` hands to front ends.

use std::any::Any;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::Settings;
use interfaces::{Error, WalletLoader};
use rpc::{Dispatcher, MergedMethods, Method, RpcTable};

use crate::chain_interface::LocalChain;
use crate::NodeConfig;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Wallets started in this process (`bitcoind`): what keeps them running, and their loader.
pub struct StartedWallets {
    /// Dropped when the node stops.
    pub keep: Box<dyn Any + Send>,
    /// Their loader.
    pub loader: Arc<dyn WalletLoader>,
}

/// The wallets of `bitcoind`, started in its own process on the node's `Chain` (the wallet
/// library's `start_wallets`).
pub type InProcessWallet =
    Box<dyn FnOnce(Arc<dyn interfaces::Chain>, &Settings) -> Result<StartedWallets, String> + Send>;

#[derive(Clone)]
enum SlotState {
    None,
    Restarting(String),
    Ready(Arc<dyn WalletLoader>),
}

/// Where the node's wallet loader is, for `Node::walletLoader`.
#[derive(Clone)]
pub struct WalletSlot(Arc<Mutex<SlotState>>);

impl Default for WalletSlot {
    fn default() -> WalletSlot {
        WalletSlot(Arc::new(Mutex::new(SlotState::None)))
    }
}

impl WalletSlot {
    fn set(&self, state: SlotState) {
        *lock(&self.0) = state;
    }

    /// The current loader, or why there is none.
    pub fn loader(&self) -> Result<Box<dyn WalletLoader>, Error> {
        match &*lock(&self.0) {
            SlotState::Ready(loader) => Ok(Box::new(loader.clone())),
            SlotState::Restarting(why) => Err(Error::failed(why.clone())),
            SlotState::None => Err(Error::failed("the node runs without a wallet")),
        }
    }
}

/// The node's running wallets; dropping this stops them (a spawned process exits when its
/// socket closes; its wallets are saved as they change).
pub(crate) enum Wallets {
    InProcess { _wallets: Box<dyn Any + Send> },
    Spawned { _supervisor: Supervisor },
}

/// Starts the wallets: in this process with `in_process` (`bitcoind`), else in a spawned
/// `bitcoin-wallet`. Failures are logged and the node runs without a wallet.
pub(crate) fn start(
    config: &NodeConfig,
    in_process: Option<InProcessWallet>,
    chain: LocalChain,
    dispatcher: Arc<Dispatcher>,
    slot: &WalletSlot,
) -> Option<Wallets> {
    if let Some(start) = in_process {
        return match start(Arc::new(chain), &config.settings) {
            Ok(started) => {
                slot.set(SlotState::Ready(started.loader));
                Some(Wallets::InProcess {
                    _wallets: started.keep,
                })
            }
            Err(e) => {
                tracing::error!("the wallets failed to start: {e}");
                None
            }
        };
    }
    let exe = std::env::current_exe()
        .map(|e| e.with_file_name("bitcoin-wallet"))
        .ok()
        .filter(|e| e.exists());
    let Some(exe) = exe else {
        tracing::warn!("bitcoin-wallet not found beside this executable; running without a wallet");
        return None;
    };
    let launcher = Launcher {
        exe,
        args: config
            .log
            .child_args(&config.settings, common::args::WALLET_OPTIONS),
        chain,
        dispatcher,
        slot: slot.clone(),
    };
    match launcher.launch() {
        Ok(child) => {
            Supervisor::start(launcher, child).map(|s| Wallets::Spawned { _supervisor: s })
        }
        Err(e) => {
            tracing::error!("the wallet process failed to start: {e}");
            None
        }
    }
}

/// A spawned wallet process and its loader.
struct Child {
    loader: Arc<dyn WalletLoader>,
    process: ipc::spawn::Spawned<ipc::InitProxy>,
    /// Stand-ins for the wallet RPC methods it registered, merged beneath them: the instant
    /// its methods leave (its connection closed), these answer with `why`.
    stand_ins: MergedMethods,
    /// What the stand-ins answer.
    why: Arc<Mutex<String>>,
}

/// What a (re)spawn needs.
struct Launcher {
    exe: PathBuf,
    args: Vec<String>,
    chain: LocalChain,
    dispatcher: Arc<Dispatcher>,
    slot: WalletSlot,
}

impl Launcher {
    /// Spawns `bitcoin-wallet`, passes it the node's settings and a `Chain`; it registers its
    /// RPC methods and loads its wallets before this returns.
    fn launch(&self) -> Result<Child, String> {
        let process = ipc::spawn::spawn_process::<ipc::InitProxy>(&self.exe)
            .map_err(|e| format!("cannot start the wallet process: {e}"))?;
        interfaces::Init::configure(&process.init, &self.args)
            .and_then(|()| {
                interfaces::Init::make_wallet_loader(&process.init, Arc::new(self.chain.clone()))
            })
            .map(|loader| {
                let loader: Arc<dyn WalletLoader> = Arc::from(loader);
                self.slot.set(SlotState::Ready(loader.clone()));
                tracing::info!(pid = process.pid, "wallet process started");
                let why = Arc::new(Mutex::new(format!(
                    "Wallet process (pid {}) disconnected; it is being restarted, try again shortly",
                    process.pid
                )));
                let methods = remote_wallet_methods(self.dispatcher.table());
                Child {
                    loader,
                    stand_ins: self.dispatcher.merge_beneath(stand_ins(&methods, &why)),
                    why,
                    process,
                }
            })
            .map_err(|e| format!("the wallet process failed to start: {e}"))
    }
}

/// The wallet methods served by another process now.
fn remote_wallet_methods(table: &RpcTable) -> Vec<Arc<Method>> {
    table
        .methods()
        .into_iter()
        .filter(|m| m.remote.is_some() && m.category == "wallet")
        .collect()
}

/// Stand-ins for `methods` while their process is restarted: the same help, and an
/// immediate error saying why.
fn stand_ins(methods: &[Arc<Method>], why: &Arc<Mutex<String>>) -> RpcTable {
    let mut table = RpcTable::new();
    for method in methods {
        let why = why.clone();
        table.register(Method::remote(
            method.name.to_string(),
            method.category.to_string(),
            method.remote.clone().unwrap_or_default(),
            move |_| {
                Err(rpc::protocol::RpcError::new(
                    rpc::protocol::RPC_WALLET_ERROR,
                    lock(&why).clone(),
                ))
            },
        ));
    }
    table
}

#[derive(Default)]
struct State {
    stopping: bool,
    current: Option<Child>,
}

/// Watches the spawned wallet process and starts a new one when it dies.
pub(crate) struct Supervisor {
    state: Arc<(Mutex<State>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

/// The wait before the next restart, after `recent` restarts within a minute: a second at
/// first (wallet RPCs meanwhile answer that the process is restarting), then backing off.
fn restart_delay(recent: usize) -> Duration {
    let exp = u32::try_from(recent).unwrap_or(u32::MAX).min(6);
    Duration::from_millis(1000 << exp).min(Duration::from_secs(30))
}

impl Supervisor {
    fn start(launcher: Launcher, first: Child) -> Option<Supervisor> {
        let state = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let shared = state.clone();
        let thread = std::thread::Builder::new()
            .name("wallet-supervisor".into())
            .spawn(move || supervise(&launcher, &shared, first));
        match thread {
            Ok(thread) => Some(Supervisor {
                state,
                thread: Some(thread),
            }),
            Err(e) => {
                tracing::error!("cannot start the wallet supervisor thread: {e}");
                None
            }
        }
    }
}

/// Sleeps `delay` unless the node stops first; whether it stops.
fn stopped_during(state: &(Mutex<State>, Condvar), delay: Duration) -> bool {
    let (lock_, changed) = state;
    let guard = lock(lock_);
    let (guard, _) = changed
        .wait_timeout_while(guard, delay, |s| !s.stopping)
        .unwrap_or_else(PoisonError::into_inner);
    guard.stopping
}

fn describe_exit(process: &ipc::spawn::Spawned<ipc::InitProxy>) -> String {
    match process.exit.wait_timeout(Duration::from_secs(2)) {
        Some(Ok(status)) => status.to_string(),
        Some(Err(e)) => format!("exit status unknown: {e}"),
        None => "still running after its connection closed".into(),
    }
}

fn supervise(launcher: &Launcher, state: &(Mutex<State>, Condvar), first: Child) {
    let mut child = first;
    let mut restarts: Vec<Instant> = Vec::new();
    loop {
        let watch = child.process.connection.watch();
        {
            let mut guard = lock(&state.0);
            if guard.stopping {
                return;
            }
            guard.current = Some(child);
        }
        let reason = watch.wait_closed();
        let Some(dead) = ({
            let mut guard = lock(&state.0);
            if guard.stopping {
                return;
            }
            guard.current.take()
        }) else {
            return;
        };
        let status = describe_exit(&dead.process);
        let why = format!(
            "Wallet process (pid {}) exited ({status}); it is being restarted, try again shortly",
            dead.process.pid
        );
        tracing::error!(pid = dead.process.pid, %reason, "the wallet process exited ({status}); restarting it");
        launcher.slot.set(SlotState::Restarting(why.clone()));
        *lock(&dead.why) = why;
        // Its stand-ins answer until the next process's methods cover them.
        let Child {
            loader,
            process,
            stand_ins: _stand_ins,
            why: _,
        } = dead;
        drop((loader, process));
        loop {
            let now = Instant::now();
            restarts.retain(|t| now.duration_since(*t) < Duration::from_secs(60));
            if stopped_during(state, restart_delay(restarts.len())) {
                return;
            }
            restarts.push(Instant::now());
            match launcher.launch() {
                Ok(next) => {
                    tracing::info!(pid = next.process.pid, "wallet process restarted");
                    child = next;
                    break;
                }
                Err(e) => tracing::error!("restarting the wallet process: {e}"),
            }
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        let current = {
            let mut guard = lock(&self.state.0);
            guard.stopping = true;
            guard.current.take()
        };
        self.state.1.notify_all();
        // Closing the socket ends the wallet process cleanly.
        if let Some(child) = current {
            *lock(&child.why) = "the node is shutting down".into();
            drop(child.loader);
            child.process.connection.close();
            let _ = child.process.exit.wait_timeout(Duration::from_secs(10));
        }
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the wallet supervisor thread panicked");
            }
        }
    }
}
