//! Telling subscribers about a wallet: [`Subscribers`] gives each subscriber its own queue
//! and delivery thread (in order; a slow subscriber stalls only itself, a disconnected one
//! is dropped, and nothing is ever called while a wallet lock is held), and [`Notifier`]
//! turns a wallet's state into Core's notifications by comparing it with what subscribers
//! were last told (new, confirmed, unconfirmed, replaced or vanished transactions; balances
//! only when they changed).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use bdk_wallet::bitcoin::hashes::Hash;
use bdk_wallet::bitcoin::{BlockHash, Txid};
use bdk_wallet::chain::ChainPosition;
use interfaces::{Error, Handler, WalletBalances, WalletNotifications};

use crate::wallet::history::{to_i64, Ledger};
use crate::wallet::store::Store;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One wallet notification, queued for a subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalletEvent {
    /// A transaction changed (internal byte order).
    TransactionChanged([u8; 32]),
    /// The balances are now these.
    BalanceChanged(WalletBalances),
    /// Encrypted, locked or unlocked.
    StatusChanged,
    /// Progress of a long operation.
    ShowProgress(String, i32),
    /// The wallet was unloaded.
    Unloaded,
}

/// One subscriber: its queue, and whether it still wants events.
struct Subscriber<E> {
    id: u64,
    queue: Sender<E>,
    active: Arc<AtomicBool>,
}

struct Inner<E> {
    next_id: u64,
    list: Vec<Subscriber<E>>,
}

/// Subscribers to events of type `E`, each served by its own thread.
pub struct Subscribers<E> {
    inner: Arc<Mutex<Inner<E>>>,
}

impl<E> Default for Subscribers<E> {
    fn default() -> Self {
        Subscribers {
            inner: Arc::new(Mutex::new(Inner {
                next_id: 0,
                list: Vec::new(),
            })),
        }
    }
}

impl<E> std::fmt::Debug for Subscribers<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscribers")
            .field("count", &lock(&self.inner).list.len())
            .finish()
    }
}

fn remove<E>(inner: &Mutex<Inner<E>>, id: u64) {
    let mut inner = lock(inner);
    if let Some(i) = inner.list.iter().position(|s| s.id == id) {
        let gone = inner.list.remove(i);
        gone.active.store(false, Ordering::SeqCst);
    }
}

impl<E: Send + 'static> Subscribers<E> {
    /// Adds a subscriber whose thread (named `thread_name`) calls `deliver` with each event
    /// published from now on, until the returned handler is dropped or disconnected or
    /// `deliver` reports the subscriber gone.
    pub fn subscribe(
        &self,
        thread_name: &str,
        deliver: impl Fn(&E) -> Result<(), Error> + Send + 'static,
    ) -> Result<Box<dyn Handler>, Error> {
        let (queue, events) = mpsc::channel::<E>();
        let active = Arc::new(AtomicBool::new(true));
        let id = {
            let mut inner = lock(&self.inner);
            inner.next_id += 1;
            inner.next_id
        };
        let weak = Arc::downgrade(&self.inner);
        let thread_active = active.clone();
        let thread_weak = weak.clone();
        std::thread::Builder::new()
            .name(thread_name.to_string())
            .spawn(move || {
                while let Ok(event) = events.recv() {
                    if !thread_active.load(Ordering::SeqCst) {
                        return;
                    }
                    match deliver(&event) {
                        Ok(()) => {}
                        Err(e) if e.is_disconnected() => {
                            tracing::info!("dropping a disconnected subscriber: {e}");
                            if let Some(inner) = thread_weak.upgrade() {
                                remove(&inner, id);
                            }
                            return;
                        }
                        Err(e) => tracing::warn!("a subscriber failed a notification: {e}"),
                    }
                }
            })
            .map_err(|e| Error::failed(format!("cannot start a notification thread: {e}")))?;
        lock(&self.inner)
            .list
            .push(Subscriber { id, queue, active });
        Ok(Box::new(Subscription {
            inner: weak,
            id,
            remove: remove::<E>,
        }))
    }

    /// Whether nobody is subscribed.
    pub fn is_empty(&self) -> bool {
        lock(&self.inner).list.is_empty()
    }

    /// Queues `event` for every subscriber (never blocks on one).
    pub fn publish(&self, event: &E)
    where
        E: Clone,
    {
        lock(&self.inner)
            .list
            .retain(|s| s.queue.send(event.clone()).is_ok());
    }

    /// Queues `event` as the last one for every subscriber and forgets them all (their
    /// threads end once it is delivered).
    pub fn close_with(&self, event: &E)
    where
        E: Clone,
    {
        for s in lock(&self.inner).list.drain(..) {
            let _ = s.queue.send(event.clone());
        }
    }
}

/// A subscription; dropping or disconnecting it unsubscribes at once (events still queued
/// are not delivered).
struct Subscription<E> {
    inner: Weak<Mutex<Inner<E>>>,
    id: u64,
    remove: fn(&Mutex<Inner<E>>, u64),
}

impl<E: Send> Handler for Subscription<E> {
    fn disconnect(&self) -> Result<(), Error> {
        if let Some(inner) = self.inner.upgrade() {
            (self.remove)(&inner, self.id);
        }
        Ok(())
    }
}

impl<E> Drop for Subscription<E> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.upgrade() {
            (self.remove)(&inner, self.id);
        }
    }
}

/// Where a transaction stands, as far as notifications go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TxState {
    block: Option<BlockHash>,
    in_mempool: bool,
}

/// A wallet's transactions and balances, as subscribers were (or are to be) told.
#[derive(Debug, Default)]
pub struct Told {
    txs: HashMap<Txid, TxState>,
    balances: WalletBalances,
}

/// A wallet's subscribers and what they were last told.
#[derive(Debug, Default)]
pub struct Notifier {
    subscribers: Subscribers<WalletEvent>,
    told: Mutex<Option<Told>>,
}

/// The transactions and balances of the wallet in `store` now (`in_mempool`: its
/// transactions the node's mempool holds).
pub fn observe(
    store: &Store,
    in_mempool: &HashMap<Txid, u64>,
    network: bdk_wallet::bitcoin::Network,
) -> Told {
    let txs = store
        .wallet
        .transactions()
        .map(|wtx| {
            let txid = wtx.tx_node.txid;
            let block = match wtx.chain_position {
                ChainPosition::Confirmed { anchor, .. } => Some(anchor.block_id.hash),
                ChainPosition::Unconfirmed { .. } => None,
            };
            let pending = in_mempool.contains_key(&txid);
            (
                txid,
                TxState {
                    block,
                    in_mempool: pending,
                },
            )
        })
        .collect();
    let (trusted, untrusted, immature) = Ledger::new(store, network, in_mempool).balances(0);
    Told {
        txs,
        balances: WalletBalances {
            trusted: to_i64(trusted),
            untrusted_pending: to_i64(untrusted),
            immature: to_i64(immature),
        },
    }
}

/// The events that take subscribers from `old` to `new`.
fn differences(old: &Told, new: &Told) -> Vec<WalletEvent> {
    let mut changed: Vec<Txid> = new
        .txs
        .iter()
        .filter(|(txid, state)| old.txs.get(*txid) != Some(*state))
        .map(|(txid, _)| *txid)
        .chain(
            old.txs
                .keys()
                .filter(|t| !new.txs.contains_key(*t))
                .copied(),
        )
        .collect();
    changed.sort();
    let mut events: Vec<WalletEvent> = changed
        .into_iter()
        .map(|t| WalletEvent::TransactionChanged(t.to_byte_array()))
        .collect();
    if old.balances != new.balances {
        events.push(WalletEvent::BalanceChanged(new.balances));
    }
    events
}

/// Calls the subscriber's method for `event`.
fn deliver(to: &dyn WalletNotifications, event: &WalletEvent) -> Result<(), Error> {
    match event {
        WalletEvent::TransactionChanged(txid) => to.transaction_changed(*txid),
        WalletEvent::BalanceChanged(balances) => to.balance_changed(balances),
        WalletEvent::StatusChanged => to.status_changed(),
        WalletEvent::ShowProgress(title, progress) => to.show_progress(title, *progress),
        WalletEvent::Unloaded => to.unloaded(),
    }
}

impl Notifier {
    /// Subscribes `notifications` (served by a thread named `thread_name`); `baseline`
    /// looks at the wallet now, for later changes to be told against (`None`: the wallet
    /// is gone).
    pub fn subscribe(
        &self,
        thread_name: &str,
        notifications: Arc<dyn WalletNotifications>,
        baseline: impl FnOnce() -> Option<Told>,
    ) -> Result<Box<dyn Handler>, Error> {
        {
            let mut told = lock(&self.told);
            if told.is_none() {
                *told = Some(baseline().ok_or_else(|| Error::failed("wallet not loaded"))?);
            }
        }
        self.subscribers.subscribe(thread_name, move |event| {
            deliver(notifications.as_ref(), event)
        })
    }

    /// Whether anybody is subscribed; forgets the last state told when nobody is.
    pub fn wanted(&self) -> bool {
        if self.subscribers.is_empty() {
            *lock(&self.told) = None;
            return false;
        }
        true
    }

    /// Tells subscribers what changed from what they were last told to what `look` sees
    /// now (`None`: the wallet is gone); looks and tells one caller at a time, so no
    /// subscriber is told an older state after a newer one.
    pub fn tell(&self, look: impl FnOnce() -> Option<Told>) {
        let mut told = lock(&self.told);
        let Some(now) = look() else {
            return;
        };
        let events = told
            .as_ref()
            .map_or_else(Vec::new, |old| differences(old, &now));
        *told = Some(now);
        for event in &events {
            self.subscribers.publish(event);
        }
    }

    /// Queues `event` for every subscriber.
    pub fn publish(&self, event: &WalletEvent) {
        self.subscribers.publish(event);
    }

    /// Queues [`WalletEvent::Unloaded`] as the last event and forgets every subscriber.
    pub fn close(&self) {
        self.subscribers.close_with(&WalletEvent::Unloaded);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn in_order_dropped_when_gone_or_disconnected() {
        let subscribers = Subscribers::<u32>::default();
        let (seen, got) = mpsc::channel();
        let handler = subscribers
            .subscribe("t", move |e| {
                seen.send(*e)
                    .map_err(|_| Error::Disconnected("gone".into()))
            })
            .expect("subscribe");
        for i in 0..5 {
            subscribers.publish(&i);
        }
        let received: Vec<u32> = (0..5)
            .map(|_| got.recv_timeout(Duration::from_secs(5)).expect("event"))
            .collect();
        assert_eq!(received, vec![0, 1, 2, 3, 4]);
        drop(handler);
        assert!(subscribers.is_empty());
        subscribers.publish(&9);
        assert!(got.recv_timeout(Duration::from_millis(200)).is_err());

        let (seen, got) = mpsc::channel::<u32>();
        drop(got);
        let _handler = subscribers
            .subscribe("t", move |e| {
                seen.send(*e)
                    .map_err(|_| Error::Disconnected("gone".into()))
            })
            .expect("subscribe");
        subscribers.publish(&1);
        for _ in 0..50 {
            if subscribers.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(subscribers.is_empty(), "a dead subscriber is dropped");
    }

    #[test]
    fn slow_subscriber_does_not_stall_others() {
        let subscribers = Subscribers::<u32>::default();
        let (_slow_handler, (fast, got)) = (
            subscribers
                .subscribe("slow", |_| {
                    std::thread::sleep(Duration::from_secs(2));
                    Ok(())
                })
                .expect("subscribe"),
            mpsc::channel(),
        );
        let _fast_handler = subscribers
            .subscribe("fast", move |e| {
                fast.send(*e)
                    .map_err(|_| Error::Disconnected("gone".into()))
            })
            .expect("subscribe");
        subscribers.publish(&1);
        subscribers.publish(&2);
        assert_eq!(got.recv_timeout(Duration::from_millis(500)), Ok(1));
        assert_eq!(got.recv_timeout(Duration::from_millis(500)), Ok(2));
    }
}
