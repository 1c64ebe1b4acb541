//! `Chain::handle_notifications`: each subscriber gets its own delivery thread fed by the
//! chainstate's events, so a slow or remote subscriber never holds up the node or the others;
//! its notifications arrive in chain order. The handler's drop (or `disconnect`) stops the
//! thread; so does a subscriber whose process went away.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bitcoin::consensus::encode::serialize;
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use interfaces::{BlockInfo, ChainNotifications, Error, Handler};

use super::block_info;
use crate::chain::{ChainEvent, ChainState};

/// How long `wait_for_notifications` waits for the slowest subscriber.
const WAIT_LIMIT: Duration = Duration::from_secs(30);

/// The block (and height) a subscriber was last told the chain ends at.
type Told = Option<(BlockHash, i32)>;

/// The last tip each live subscriber was told about, for `wait_for_notifications`.
#[derive(Default)]
pub struct Subscribers {
    delivered: Mutex<Vec<(u64, Told)>>,
    changed: Condvar,
    next_id: Mutex<u64>,
}

impl Subscribers {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Told)>> {
        self.delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn add(&self, tip: Told) -> u64 {
        let mut next = self.next_id.lock().unwrap_or_else(PoisonError::into_inner);
        *next += 1;
        self.lock().push((*next, tip));
        *next
    }

    fn set(&self, id: u64, tip: Told) {
        if let Some(entry) = self.lock().iter_mut().find(|(i, _)| *i == id) {
            entry.1 = tip;
        }
        self.changed.notify_all();
    }

    fn remove(&self, id: u64) {
        self.lock().retain(|(i, _)| *i != id);
        self.changed.notify_all();
    }

    /// Waits until every subscriber has been told about `tip` (or a later block).
    pub fn wait_until_delivered(&self, tip: Told) {
        let caught_up = |told: &Told| match (told, tip) {
            (Some((_, height)), Some((_, tip_height))) if *height > tip_height => true,
            _ => *told == tip,
        };
        let deadline = Instant::now() + WAIT_LIMIT;
        let mut delivered = self.lock();
        while !delivered.iter().all(|(_, t)| caught_up(t)) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tracing::warn!("chain notifications not delivered within {WAIT_LIMIT:?}");
                return;
            }
            delivered = self
                .changed
                .wait_timeout(delivered, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

struct Subscription {
    active: Arc<AtomicBool>,
}

impl Handler for Subscription {
    fn disconnect(&self) -> Result<(), Error> {
        self.active.store(false, Ordering::SeqCst);
        Ok(())
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.active.store(false, Ordering::SeqCst);
    }
}

/// Subscribes `notifications` to `chain`'s events.
pub fn subscribe(
    chain: &Arc<ChainState>,
    subscribers: &Arc<Subscribers>,
    notifications: Arc<dyn ChainNotifications>,
) -> Result<Box<dyn Handler>, Error> {
    let (events, received) = mpsc::channel();
    chain.subscribe(events);
    let id = subscribers.add(chain.tip().map(|t| (t.hash, t.height)));
    let active = Arc::new(AtomicBool::new(true));
    let (chain, subscribers_for_thread, flag) =
        (Arc::downgrade(chain), subscribers.clone(), active.clone());
    std::thread::Builder::new()
        .name("chain-notify".into())
        .spawn(move || {
            deliver(
                &received,
                &chain,
                &notifications,
                &flag,
                &subscribers_for_thread,
                id,
            );
            subscribers_for_thread.remove(id);
        })
        .map_err(|e| Error::failed(format!("cannot start a notification thread: {e}")))?;
    Ok(Box::new(Subscription { active }))
}

fn deliver(
    events: &mpsc::Receiver<ChainEvent>,
    chain: &std::sync::Weak<ChainState>,
    notifications: &Arc<dyn ChainNotifications>,
    active: &AtomicBool,
    subscribers: &Subscribers,
    id: u64,
) {
    while active.load(Ordering::SeqCst) {
        let event = match events.recv_timeout(Duration::from_millis(200)) {
            Ok(event) => event,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let Some(chain) = chain.upgrade() else { return };
        // The kernel reports a new tip before the coins view has connected the block, so
        // what a subscriber has been told is tracked by the block notifications.
        let outcome = match event {
            ChainEvent::BlockConnected { hash, height } => {
                let told = info(&chain, &hash)
                    .map_or(Ok(()), |block| notifications.block_connected(&block));
                subscribers.set(id, Some((hash, height)));
                told
            }
            ChainEvent::BlockDisconnected { hash, .. } => match info(&chain, &hash) {
                Some(block) => {
                    let told = notifications.block_disconnected(&block);
                    subscribers.set(
                        id,
                        Some((
                            BlockHash::from_byte_array(block.prev_hash),
                            block.height - 1,
                        )),
                    );
                    told
                }
                None => Ok(()),
            },
            ChainEvent::BlockTip { .. } => notifications.updated_block_tip(),
            ChainEvent::TransactionAdded { tx } => {
                notifications.transaction_added_to_mempool(&serialize(&*tx))
            }
            ChainEvent::TransactionRemoved { txid, reason } => {
                notifications.transaction_removed_from_mempool(txid.to_byte_array(), reason)
            }
            _ => Ok(()),
        };
        if let Err(e) = outcome {
            if e.is_disconnected() {
                tracing::debug!("chain notification subscriber gone: {e}");
                return;
            }
            tracing::warn!("chain notification subscriber failed: {e}");
        }
    }
}

fn info(chain: &ChainState, hash: &BlockHash) -> Option<BlockInfo> {
    let info = block_info(chain, hash);
    if info.is_none() {
        tracing::warn!(block = %hash, "no block info for a chain notification");
    }
    info.filter(|i| i.hash == hash.to_byte_array())
}
