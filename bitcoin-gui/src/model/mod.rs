//! The model thread: the only thread that calls IPC. It owns the node's and wallets' proxies,
//! subscribes to the node's notifications, to wallet loads and to every open wallet's
//! notifications (all pushed over IPC), runs the UI's commands, and publishes an immutable
//! [`Snapshot`] after every change, then asks the UI to repaint. Wallet state is re-read only
//! when the wallet notifies a change or a command touched it, never on a timer; a new tip
//! only updates the confirmations shown. The UI thread only reads snapshots and sends
//! [`Command`]s, so a slow or dead node never freezes the window.

mod commands;
mod session;
mod snapshot;
mod state;
mod watch;
mod worker;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use interfaces::{BlockTip, SendRequest};

pub use session::Backend;
pub use snapshot::{
    ConnectionState, ConsoleEntry, HeaderSync, Outcome, PeerRow, ReceiveRequest, Snapshot,
    TrafficSample, TxRow, WalletState,
};

/// Something the user asked for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Command {
    /// Show wallet `name` (loading it if needed).
    SelectWallet(String),
    /// Create a wallet, encrypted when `passphrase` is not empty, and show it.
    CreateWallet {
        /// Its name.
        name: String,
        /// Its passphrase (empty: not encrypted).
        passphrase: String,
    },
    /// Load a wallet of the wallet directory.
    LoadWallet(String),
    /// Unload a wallet.
    UnloadWallet(String),
    /// Make a payment request with a new address.
    NewAddress {
        /// Label of the address.
        label: String,
        /// Requested amount, satoshis.
        amount: Option<i64>,
        /// Message for the payer.
        message: String,
    },
    /// Send a transaction.
    Send(SendRequest),
    /// Work out the fee `send` would pay without sending (RPC `walletcreatefundedpsbt`);
    /// the result lands in [`Snapshot::fee_preview`].
    PreviewFee(SendRequest),
    /// Replace an unconfirmed transaction with a higher fee (RPC `bumpfee`).
    BumpFee(String),
    /// Run a line of the RPC console.
    Rpc(String),
    /// Encrypt the wallet shown.
    Encrypt(String),
    /// Unlock the wallet shown for `timeout` seconds.
    Unlock {
        /// The passphrase.
        passphrase: String,
        /// Seconds.
        timeout: u32,
    },
    /// Lock the wallet shown.
    Lock,
    /// Change the passphrase of the wallet shown.
    ChangePassphrase {
        /// The current passphrase.
        old: String,
        /// The new one.
        new: String,
    },
    /// Unlock the (locked) wallet shown with `passphrase`, send, and lock it again (what
    /// sending from a locked wallet asks for, as Core's `WalletModel::requestUnlock`).
    SendUnlocked {
        /// The send.
        request: SendRequest,
        /// The wallet's passphrase.
        passphrase: String,
    },
}

/// What reaches the model thread.
pub(crate) enum Event {
    /// A command from the UI, with its id.
    Command(u64, Command),
    /// A new tip.
    BlockTip(bool, BlockTip),
    /// A new best header.
    HeaderTip(BlockTip, bool),
    /// Progress of a long operation.
    Progress(String, i32),
    /// A startup message.
    InitMessage(String),
    /// Wallet `name` notified a change (transaction, balances, lock status).
    WalletChanged(String),
    /// Wallet `name` reported the progress of a long operation (title, percent).
    WalletProgress(String, String, i32),
    /// Wallet `name` was unloaded.
    WalletUnloaded(String),
    /// A wallet was loaded (by this GUI or anyone else).
    WalletLoaded(Box<dyn interfaces::Wallet>),
    /// The number of connections changed.
    Connections,
    /// Connection `generation` closed, for this reason.
    Closed(u64, String),
    /// A node listens at the watched socket again.
    NodeBack,
    /// Close: stop a spawned node and end the thread.
    Stop,
}

type Repaint = Box<dyn Fn() + Send + Sync>;

/// State shared between the model thread and the UI.
pub(crate) struct Shared {
    snapshot: Mutex<Arc<Snapshot>>,
    repaint: Mutex<Option<Repaint>>,
}

impl Shared {
    fn publish(&self, snapshot: Arc<Snapshot>) {
        *self.snapshot.lock().unwrap_or_else(PoisonError::into_inner) = snapshot;
        if let Some(repaint) = &*self.repaint.lock().unwrap_or_else(PoisonError::into_inner) {
            repaint();
        }
    }
}

/// The UI's handle on the model thread.
pub struct Model {
    shared: Arc<Shared>,
    events: Sender<Event>,
    next_id: AtomicU64,
    thread: Option<JoinHandle<()>>,
}

impl Model {
    /// Starts the model thread, which connects as `backend` says.
    pub fn start(backend: Backend, network: bitcoin::Network) -> std::io::Result<Model> {
        let shared = Arc::new(Shared {
            snapshot: Mutex::new(Arc::new(Snapshot::default())),
            repaint: Mutex::new(None),
        });
        let (events, receiver) = mpsc::channel();
        let worker = worker::Worker::new(shared.clone(), events.clone(), network);
        let thread = std::thread::Builder::new()
            .name("gui-model".into())
            .spawn(move || worker.run(backend, receiver))?;
        Ok(Model {
            shared,
            events,
            next_id: AtomicU64::new(1),
            thread: Some(thread),
        })
    }

    /// The latest snapshot (cheap: an `Arc`).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.shared
            .snapshot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Calls `repaint` after every new snapshot (the UI passes `ctx.request_repaint`).
    pub fn on_change(&self, repaint: impl Fn() + Send + Sync + 'static) {
        *self
            .shared
            .repaint
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Box::new(repaint));
    }

    /// Queues `command`; its result appears in a later snapshot under the returned id.
    pub fn send(&self, command: Command) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if self.events.send(Event::Command(id, command)).is_err() {
            tracing::warn!("the model thread has ended; command dropped");
        }
        id
    }

    /// Stops the model thread: a node this GUI spawned is shut down cleanly and waited for;
    /// an attached node is left running.
    pub fn close(&mut self) {
        let _ = self.events.send(Event::Stop);
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the model thread panicked");
            }
        }
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        self.close();
    }
}
