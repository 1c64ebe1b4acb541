//! Tests of the fee estimator.

use super::*;
use bitcoin::hashes::Hash;

fn txid(n: u64) -> bitcoin::Txid {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&n.to_le_bytes());
    bitcoin::Txid::from_byte_array(bytes)
}

/// One class of transactions in a simulation: `per_block` new ones at every tip, at
/// `fee_rate`, each confirming `delay` blocks later, or removed unconfirmed after `delay`
/// blocks when `removed`.
#[derive(Clone, Copy)]
struct Flow {
    per_block: u64,
    fee_rate: u64,
    delay: u32,
    removed: bool,
}

/// Runs blocks `1..=blocks`; after each, the flows' new transactions enter at the tip.
/// Returns the next unused txid number.
fn simulate(est: &mut FeeEstimator, blocks: u32, flows: &[Flow]) -> u64 {
    simulate_from(est, 1..=blocks, flows, 0)
}

/// Runs blocks `heights`, with txids numbered from `first`; transactions still pending at
/// the end stay in the mempool. Returns the next unused txid number.
fn simulate_from(
    est: &mut FeeEstimator,
    heights: std::ops::RangeInclusive<u32>,
    flows: &[Flow],
    first: u64,
) -> u64 {
    let mut next = first;
    // (height, txid, removed): what happens to each pending transaction and when.
    let mut pending: Vec<(u32, bitcoin::Txid, bool)> = Vec::new();
    for height in heights {
        let (due, rest): (Vec<_>, Vec<_>) = pending.into_iter().partition(|p| p.0 == height);
        pending = rest;
        let confirmed: Vec<bitcoin::Txid> = due.iter().filter(|p| !p.2).map(|p| p.1).collect();
        for (_, id, _) in due.iter().filter(|p| p.2) {
            est.remove_transaction(id);
        }
        est.process_block(height, &confirmed);
        for flow in flows {
            for _ in 0..flow.per_block {
                let id = txid(next);
                next += 1;
                est.process_transaction(id, flow.fee_rate, height);
                pending.push((height + flow.delay, id, flow.removed));
            }
        }
    }
    next
}

const FAST: Flow = Flow {
    per_block: 10,
    fee_rate: 10_000,
    delay: 1,
    removed: false,
};
const SLOW: Flow = Flow {
    per_block: 10,
    fee_rate: 2_000,
    delay: 6,
    removed: false,
};

fn fed() -> FeeEstimator {
    let mut est = FeeEstimator::new();
    simulate(&mut est, 200, &[FAST, SLOW]);
    est
}

fn within_buckets(value: u64, expected: f64, buckets: i32) -> bool {
    let v = value as f64;
    v >= expected / 1.05f64.powi(buckets) && v <= expected * 1.05f64.powi(buckets)
}

#[test]
fn no_data_gives_no_estimate() {
    let est = FeeEstimator::new();
    assert_eq!(est.max_target(), 1008);
    for target in [0, 1, 2, 6, 12, 144, 1008, 5000, u32::MAX] {
        assert_eq!(
            est.estimate_smart_fee(target, false),
            None,
            "target {target}"
        );
        assert_eq!(
            est.estimate_smart_fee(target, true),
            None,
            "target {target}"
        );
    }
}

#[test]
fn too_few_blocks_give_no_estimate() {
    let mut est = FeeEstimator::new();
    simulate(&mut est, 4, &[FAST]);
    // Data from blocks 2..=4: a span of 2 blocks supports only target 1, which is not served.
    assert_eq!(est.estimate_smart_fee(2, false), None);
}

#[test]
fn estimates_follow_confirmation_times() {
    let est = fed();
    let Some(fast) = est.estimate_smart_fee(2, false) else {
        panic!("no estimate for target 2");
    };
    assert_eq!(fast.blocks, 2);
    assert!(within_buckets(fast.fee_rate, 10_000.0, 2), "{fast:?}");

    // A target of 1 is answered as 2.
    assert_eq!(est.estimate_smart_fee(1, false), Some(fast));

    let Some(slow) = est.estimate_smart_fee(12, false) else {
        panic!("no estimate for target 12");
    };
    assert_eq!(slow.blocks, 12);
    assert!(slow.fee_rate < fast.fee_rate, "{slow:?} vs {fast:?}");
    assert!(within_buckets(slow.fee_rate, 2_000.0, 2), "{slow:?}");
}

#[test]
fn target_is_capped_by_the_data_seen() {
    let est = fed();
    // Confirmations were first recorded at height 2: 198 blocks of data support target 99.
    let capped = est.estimate_smart_fee(1008, false).map(|e| e.blocks);
    assert_eq!(capped, Some(99));
    let clamped = est.estimate_smart_fee(u32::MAX, true).map(|e| e.blocks);
    assert_eq!(clamped, Some(99));
    assert_eq!(est.estimate_smart_fee(0, false).map(|e| e.blocks), Some(2));
}

#[test]
fn conservative_is_at_least_economical() {
    let est = fed();
    for target in (1..=120).chain([144, 500, 1008]) {
        let economical = est.estimate_smart_fee(target, false);
        let conservative = est.estimate_smart_fee(target, true);
        if let Some(economical) = economical {
            let Some(conservative) = conservative else {
                panic!("target {target}: economical {economical:?} but no conservative");
            };
            assert!(
                conservative.fee_rate >= economical.fee_rate,
                "target {target}: {conservative:?} < {economical:?}"
            );
            assert_eq!(conservative.blocks, economical.blocks);
        }
    }
}

#[test]
fn removed_transactions_count_as_failures() {
    let high = Flow {
        per_block: 10,
        fee_rate: 5_000,
        delay: 1,
        removed: false,
    };
    let low = Flow {
        per_block: 10,
        fee_rate: 3_000,
        delay: 1,
        removed: false,
    };
    let mut confirming = FeeEstimator::new();
    simulate(&mut confirming, 200, &[high, low]);
    let Some(cheap) = confirming.estimate_smart_fee(2, false) else {
        panic!("no estimate when every transaction confirms");
    };
    assert!(within_buckets(cheap.fee_rate, 3_000.0, 1), "{cheap:?}");

    // The same, but the low fee-rate transactions are evicted after 3 blocks.
    let mut failing = FeeEstimator::new();
    let evicted = Flow {
        delay: 3,
        removed: true,
        ..low
    };
    simulate(&mut failing, 200, &[high, evicted]);
    let Some(dear) = failing.estimate_smart_fee(2, false) else {
        panic!("no estimate when the low fee-rate transactions fail");
    };
    assert!(within_buckets(dear.fee_rate, 5_000.0, 1), "{dear:?}");
    for target in [2, 6, 12, 48] {
        for conservative in [false, true] {
            let Some(e) = failing.estimate_smart_fee(target, conservative) else {
                panic!("no estimate for target {target}");
            };
            assert!(e.fee_rate > 4_000, "target {target}: {e:?}");
        }
    }
}

/// A write/read round trip.
fn reloaded(est: &FeeEstimator) -> FeeEstimator {
    let mut file = Vec::new();
    assert!(est.write_to(&mut file).is_ok());
    match FeeEstimator::read_from(&mut file.as_slice()) {
        Ok(read) => read,
        Err(e) => panic!("read failed: {e}"),
    }
}

#[test]
fn flushing_unconfirmed_counts_them_as_failures() {
    let cheap = Flow {
        fee_rate: 3_000,
        ..FAST
    };
    let mut est = FeeEstimator::new();
    let mut next = simulate(&mut est, 100, &[FAST, cheap]);
    // Transactions at the cheap rate that then sit in the mempool for 20 blocks.
    for _ in 0..200 {
        est.process_transaction(txid(next), 3_000, 100);
        next += 1;
    }
    simulate_from(&mut est, 101..=120, &[FAST, cheap], next);
    let stuck = est.estimate_smart_fee(2, false).map(|e| e.fee_rate);
    assert!(
        stuck.is_some_and(|r| within_buckets(r, 10_000.0, 1)),
        "{stuck:?}"
    );

    // Not flushed, they are forgotten on restart.
    let forgotten = reloaded(&est)
        .estimate_smart_fee(2, false)
        .map(|e| e.fee_rate);
    assert!(
        forgotten.is_some_and(|r| within_buckets(r, 3_000.0, 1)),
        "{forgotten:?}"
    );

    // Flushed at shutdown, they are kept as failures.
    est.flush_unconfirmed();
    assert_eq!(est.tracked_transactions(), 0);
    let kept = reloaded(&est)
        .estimate_smart_fee(2, false)
        .map(|e| e.fee_rate);
    assert!(
        kept.is_some_and(|r| within_buckets(r, 10_000.0, 1)),
        "{kept:?}"
    );
}

#[test]
fn conservative_remembers_slower_times() {
    // For 300 blocks cheap transactions took 30 blocks; then, for 100 blocks, one.
    let slow_cheap = Flow {
        fee_rate: 3_000,
        delay: 30,
        ..FAST
    };
    let mut est = FeeEstimator::new();
    let next = simulate(&mut est, 300, &[FAST, slow_cheap]);
    est.flush_unconfirmed();
    let fast_cheap = Flow {
        fee_rate: 3_000,
        ..FAST
    };
    simulate_from(&mut est, 301..=400, &[FAST, fast_cheap], next);
    let economical = est.estimate_smart_fee(2, false).map(|e| e.fee_rate);
    let conservative = est.estimate_smart_fee(2, true).map(|e| e.fee_rate);
    assert!(
        economical.is_some_and(|r| within_buckets(r, 3_000.0, 1)),
        "{economical:?}"
    );
    assert!(
        conservative.is_some_and(|r| within_buckets(r, 10_000.0, 1)),
        "{conservative:?}"
    );
}

#[test]
fn duplicates_and_untracked_transactions_are_ignored() {
    let mut est = FeeEstimator::new();
    // Before any block, the estimator is not in step with a chain at height 500.
    est.process_transaction(txid(1), 1_000, 500);
    assert_eq!(est.tracked_transactions(), 0);
    est.process_block(500, &[]);
    est.process_transaction(txid(1), 1_000, 500);
    est.process_transaction(txid(1), 9_000, 500);
    est.process_transaction(txid(2), 1_000, 499);
    assert_eq!(est.tracked_transactions(), 1);
    est.remove_transaction(&txid(3));
    assert_eq!(est.tracked_transactions(), 1);
    est.remove_transaction(&txid(1));
    est.remove_transaction(&txid(1));
    assert_eq!(est.tracked_transactions(), 0);
    // Extreme fee rates land in the first and last buckets.
    est.process_transaction(txid(4), 0, 500);
    est.process_transaction(txid(5), u64::MAX, 500);
    est.process_block(501, &[txid(4), txid(5), txid(6)]);
    assert_eq!(est.tracked_transactions(), 0);
}

#[test]
fn reorgs_and_height_jumps_do_not_corrupt() {
    let mut est = FeeEstimator::new();
    let mut next = simulate(&mut est, 50, &[FAST, SLOW]);
    let tracked = est.tracked_transactions();
    let before = est.estimate_smart_fee(6, false);
    // A reorg: blocks at or below the best seen height are ignored, as are transactions
    // entering at such heights.
    est.process_block(40, &[txid(0), txid(1)]);
    est.process_block(50, &[txid(0)]);
    est.process_transaction(txid(next), 5_000, 40);
    next += 1;
    assert_eq!(est.best_seen_height(), 50);
    assert_eq!(est.tracked_transactions(), tracked);
    assert_eq!(est.estimate_smart_fee(6, false), before);

    // Jumps forward, up to the largest height.
    for (height, confirm) in [
        (51u32, 3u64),
        (1_000, 20),
        (100_000, 200),
        (u32::MAX - 1, 400),
    ] {
        let confirmed: Vec<bitcoin::Txid> = (0..next).step_by(confirm as usize).map(txid).collect();
        est.process_block(height, &confirmed);
        est.process_transaction(txid(next), 7_000, height);
        next += 1;
        for target in [1, 2, 12, 48, 1008] {
            let _ = est.estimate_smart_fee(target, false);
            let _ = est.estimate_smart_fee(target, true);
        }
    }
    est.process_block(u32::MAX, &[txid(next - 1)]);
    est.process_transaction(txid(next), 7_000, u32::MAX);
    est.remove_transaction(&txid(next));
    est.flush_unconfirmed();
    assert_eq!(est.tracked_transactions(), 0);
    let _ = est.estimate_smart_fee(2, true);
    let mut file = Vec::new();
    assert!(est.write_to(&mut file).is_ok());
    assert!(FeeEstimator::read_from(&mut file.as_slice()).is_ok());
}

#[test]
fn round_trip_keeps_estimates() {
    let mut est = fed();
    est.flush_unconfirmed();
    let mut file = Vec::new();
    assert!(est.write_to(&mut file).is_ok());
    let read = reloaded(&est);
    assert_eq!(read.best_seen_height(), est.best_seen_height());
    for target in (0..=30)
        .chain((31..=1010).step_by(31))
        .chain([1008, u32::MAX])
    {
        for conservative in [false, true] {
            assert_eq!(
                read.estimate_smart_fee(target, conservative),
                est.estimate_smart_fee(target, conservative),
                "target {target}, conservative {conservative}"
            );
        }
    }
    assert!(est.estimate_smart_fee(2, false).is_some());
    // Written again, the same bytes.
    let mut again = Vec::new();
    assert!(read.write_to(&mut again).is_ok());
    assert_eq!(again, file);

    // The loaded data keeps serving estimates as new blocks come in.
    let mut read = read;
    read.process_block(201, &[]);
    assert!(read.estimate_smart_fee(2, false).is_some());
}

fn valid_file() -> Vec<u8> {
    let mut file = Vec::new();
    assert!(fed().write_to(&mut file).is_ok());
    file
}

fn read(bytes: &[u8]) -> Result<FeeEstimator, FeesError> {
    let mut r = bytes;
    FeeEstimator::read_from(&mut r)
}

fn assert_err(bytes: &[u8], what: &str) -> String {
    match read(bytes) {
        Ok(_) => panic!("{what}: read succeeded"),
        Err(e) => {
            let message = e.to_string();
            assert!(message.starts_with(char::is_lowercase), "{what}: {message}");
            message
        }
    }
}

#[test]
fn truncated_or_corrupt_files_are_errors() {
    let file = valid_file();
    assert!(read(&file).is_ok());

    assert!(matches!(read(&[]), Err(FeesError::Truncated)));
    let mut lengths: Vec<usize> = (0..64).collect();
    lengths.extend((64..file.len()).step_by(997));
    lengths.extend(file.len() - 8..file.len());
    for len in lengths {
        assert!(
            matches!(read(&file[..len]), Err(FeesError::Truncated)),
            "truncated to {len}"
        );
    }

    let mut bad = file.clone();
    bad[0] ^= 1;
    assert!(matches!(read(&bad), Err(FeesError::BadMagic)));

    let mut bad = file.clone();
    bad[8] = 2;
    assert!(matches!(read(&bad), Err(FeesError::UnsupportedVersion(2))));

    let mut bad = file.clone();
    bad[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_err(&bad, "huge length");

    for at in [20, 100, file.len() / 2, file.len() - 5, file.len() - 1] {
        let mut bad = file.clone();
        bad[at] ^= 0x40;
        assert!(
            matches!(read(&bad), Err(FeesError::BadChecksum)),
            "flip at {at}"
        );
    }

    let mut longer = file.clone();
    longer.push(0);
    // Extra bytes after the file are not read (the caller owns the stream).
    assert!(read(&longer).is_ok());
}

#[test]
fn corrupt_payloads_with_valid_checksums_are_errors() {
    let payload = persist::encode_payload(&fed());
    let sealed = |p: &[u8]| persist::seal(p);
    assert!(read(&sealed(&payload)).is_ok());

    // Cut anywhere inside the payload.
    for len in (0..payload.len()).step_by(1009).chain([payload.len() - 1]) {
        let message = assert_err(&sealed(&payload[..len]), "short payload");
        assert!(message.contains("corrupt"), "{message}");
    }
    // Trailing bytes.
    let mut long = payload.clone();
    long.extend_from_slice(&[0; 3]);
    assert_err(&sealed(&long), "trailing bytes");
    // An invalid block range (first above best).
    let mut bad = payload.clone();
    bad[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_err(&sealed(&bad), "block range");
    // Another bucket count.
    let mut bad = payload.clone();
    bad[12..16].copy_from_slice(&7u32.to_le_bytes());
    assert_err(&sealed(&bad), "bucket count");
    // Another bucket boundary.
    let mut bad = payload.clone();
    bad[16..24].copy_from_slice(&1.0f64.to_bits().to_le_bytes());
    assert_err(&sealed(&bad), "bucket boundary");
    // A NaN, then a negative value, in the last statistic.
    for value in [f64::NAN, -1.0, f64::INFINITY] {
        let mut bad = payload.clone();
        let end = bad.len();
        bad[end - 8..].copy_from_slice(&value.to_bits().to_le_bytes());
        let message = assert_err(&sealed(&bad), "bad statistic");
        assert!(message.contains("invalid value"), "{message}");
    }
    // Another decay for the first horizon (right after the buckets).
    let buckets = stats::bucket_boundaries().len();
    let decay_at = 16 + 8 * buckets;
    let mut bad = payload.clone();
    bad[decay_at..decay_at + 8].copy_from_slice(&0.5f64.to_bits().to_le_bytes());
    let message = assert_err(&sealed(&bad), "decay");
    assert!(message.contains("horizon"), "{message}");
}

#[test]
fn buckets_are_core_layout() {
    let buckets = stats::bucket_boundaries();
    assert_eq!(buckets[0], 100.0);
    assert!(buckets[buckets.len() - 2] <= 1e7);
    assert_eq!(buckets[buckets.len() - 1], stats::INF_FEERATE);
    assert_eq!(stats::bucket_index(&buckets, 0.0), 0);
    assert_eq!(stats::bucket_index(&buckets, 100.0), 0);
    assert_eq!(stats::bucket_index(&buckets, 101.0), 1);
    assert_eq!(stats::bucket_index(&buckets, 1e300), buckets.len() - 1);
}
