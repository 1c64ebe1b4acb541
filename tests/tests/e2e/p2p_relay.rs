//! Transaction announcements go out on Poisson timers (Core's trickle): transactions accepted
//! in quick succession reach a peer batched in few `inv` messages, not one `inv` each.

use std::collections::HashSet;

use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::Inventory;
use bitcoin::{Amount, Wtxid};
use tests::miniwallet::{send, MiniWallet};
use tests::wire::RawPeer;
use tests::RpcNode;

#[test]
fn p2p_transactions_are_announced_in_trickled_batches() {
    const TXS: usize = 20;
    let dir = tempfile::tempdir().expect("tempdir");
    let node = RpcNode::start_listening(dir.path(), &[]);
    let mut wallet = MiniWallet::op_true();
    wallet.generate(&node, 101 + TXS as u64);
    let mut peers = [
        RawPeer::connect(&node.p2p_addr()),
        RawPeer::connect(&node.p2p_addr()),
    ];
    let mut wanted = HashSet::new();
    for _ in 0..TXS {
        let coin = wallet.take_utxo();
        let (tx, _) = wallet.self_transfer(&coin, Amount::from_sat(1_000));
        wanted.insert(tx.compute_wtxid());
        send(&node, &tx);
    }
    for peer in &mut peers {
        let mut seen: HashSet<Wtxid> = HashSet::new();
        let mut invs = 0;
        while !wanted.is_subset(&seen) {
            let message = peer.wait_for("the announcements", |m| {
                matches!(m, NetworkMessage::Inv(items) if items.iter().any(|i| matches!(i, Inventory::WTx(_))))
            });
            let NetworkMessage::Inv(items) = message else {
                unreachable!("waited for an inv");
            };
            invs += 1;
            seen.extend(items.iter().filter_map(|i| match i {
                Inventory::WTx(w) => Some(*w),
                _ => None,
            }));
        }
        // Sent a few milliseconds apart, the transactions wait for the same timer (the
        // inbound peers' mean is 5 s): a few batches, not one inv each. Even if sending took
        // 10 s, ten firings in that time would be a 1-in-5,000 event.
        assert!(
            invs <= TXS / 2,
            "{invs} inv messages for {TXS} transactions"
        );
    }
}
