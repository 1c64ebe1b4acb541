//! `fee_estimates.dat`: this node's own format (not Core's).
//!
//! ```text
//! magic    8 bytes  "bnfeeest"
//! version  u32 LE   1
//! length   u64 LE   payload length
//! payload  length bytes
//! checksum 4 bytes  first bytes of sha256d(payload)
//! ```
//!
//! The payload holds the best seen height and the covered block range (three u32), the bucket
//! boundaries (u32 count, then f64 bit patterns), and for the medium, short and long horizons
//! in turn: decay (f64), scale (u32), periods (u32), the confirmed counts and fee-rate sums per
//! bucket, then the confirmed-within and failed-after counts per period and bucket (all f64).
//! All integers and floats are little-endian. Mempool transactions are not saved.

use std::io::{Read, Write};

use bitcoin::hashes::{sha256d, Hash};

use super::stats::{self, ConfirmStats, Horizon, LONG, MEDIUM, SHORT};
use super::{FeeEstimator, FeesError};

/// Identifies the file.
const MAGIC: [u8; 8] = *b"bnfeeest";
/// The format version written and read.
const VERSION: u32 = 1;
/// Larger payloads are rejected before allocating (the real size is about 300 kB).
const MAX_PAYLOAD: u64 = 16 << 20;
/// Bytes of the checksum.
const CHECKSUM_LEN: usize = 4;

impl FeeEstimator {
    /// Writes the statistics (not the tracked mempool transactions: see
    /// [`FeeEstimator::flush_unconfirmed`]) for [`FeeEstimator::read_from`].
    pub fn write_to(&self, w: &mut impl Write) -> std::io::Result<()> {
        w.write_all(&seal(&encode_payload(self)))
    }

    /// Reads what [`FeeEstimator::write_to`] wrote. A file that is truncated, corrupt, of
    /// another version or for another bucket layout is an error; nothing panics.
    pub fn read_from(r: &mut impl Read) -> Result<FeeEstimator, FeesError> {
        let mut header = [0u8; 20];
        read_exact(r, &mut header)?;
        if header[..8] != MAGIC {
            return Err(FeesError::BadMagic);
        }
        let version = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
        if version != VERSION {
            return Err(FeesError::UnsupportedVersion(version));
        }
        let mut len = [0u8; 8];
        len.copy_from_slice(&header[12..20]);
        let len = u64::from_le_bytes(len);
        if len > MAX_PAYLOAD {
            return Err(FeesError::Corrupt(format!(
                "payload length {len} exceeds the limit of {MAX_PAYLOAD}"
            )));
        }
        let len = usize::try_from(len)
            .map_err(|_| FeesError::Corrupt("payload length does not fit in memory".into()))?;
        let mut payload = vec![0u8; len];
        read_exact(r, &mut payload)?;
        let mut checksum = [0u8; CHECKSUM_LEN];
        read_exact(r, &mut checksum)?;
        if checksum[..] != sha256d::Hash::hash(&payload).to_byte_array()[..CHECKSUM_LEN] {
            return Err(FeesError::BadChecksum);
        }
        let estimator = decode_payload(&payload)?;
        tracing::debug!(
            target: "estimatefee",
            best_seen = estimator.best_seen_height,
            buckets = estimator.buckets.len(),
            "fee estimator: read estimates"
        );
        Ok(estimator)
    }
}

/// `read_exact`, with end of input reported as [`FeesError::Truncated`].
fn read_exact(r: &mut impl Read, buf: &mut [u8]) -> Result<(), FeesError> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            FeesError::Truncated
        } else {
            FeesError::Io(e)
        }
    })
}

/// The whole file for `payload`: header, payload and checksum.
pub(crate) fn seal(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 24);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&sha256d::Hash::hash(payload).to_byte_array()[..CHECKSUM_LEN]);
    out
}

/// The payload for `est`.
pub(crate) fn encode_payload(est: &FeeEstimator) -> Vec<u8> {
    let mut out = Vec::new();
    let put_u32 = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    let put_f64s = |out: &mut Vec<u8>, vs: &[f64]| {
        for v in vs {
            out.extend_from_slice(&v.to_bits().to_le_bytes());
        }
    };
    put_u32(&mut out, est.best_seen_height);
    // Core saves the range recorded since start when it is a good part of what was loaded.
    let (first, best) = if est.block_span() > est.historical_block_span() / 2 {
        (est.first_recorded_height, est.best_seen_height)
    } else {
        (est.historical_first, est.historical_best)
    };
    put_u32(&mut out, first);
    put_u32(&mut out, best);
    put_u32(&mut out, est.buckets.len() as u32);
    put_f64s(&mut out, &est.buckets);
    for stats in [&est.medium, &est.short, &est.long] {
        put_f64s(&mut out, &[stats.horizon.decay]);
        put_u32(&mut out, stats.horizon.scale);
        put_u32(&mut out, stats.horizon.periods as u32);
        put_f64s(&mut out, &stats.tx_ct_avg);
        put_f64s(&mut out, &stats.feerate_avg);
        for row in stats.conf_avg.iter().chain(&stats.fail_avg) {
            put_f64s(&mut out, row);
        }
    }
    out
}

/// A cursor over the payload.
struct Cursor<'a> {
    data: &'a [u8],
}

impl Cursor<'_> {
    fn take<const N: usize>(&mut self, what: &str) -> Result<[u8; N], FeesError> {
        let Some((head, rest)) = self.data.split_first_chunk::<N>() else {
            return Err(FeesError::Corrupt(format!(
                "payload ends inside the {what}"
            )));
        };
        self.data = rest;
        Ok(*head)
    }

    fn u32(&mut self, what: &str) -> Result<u32, FeesError> {
        self.take::<4>(what).map(u32::from_le_bytes)
    }

    fn f64(&mut self, what: &str) -> Result<f64, FeesError> {
        self.take::<8>(what)
            .map(|b| f64::from_bits(u64::from_le_bytes(b)))
    }

    /// `n` statistics: finite and not negative.
    fn counts(&mut self, n: usize, what: &str) -> Result<Vec<f64>, FeesError> {
        let mut values = Vec::with_capacity(n);
        for _ in 0..n {
            let v = self.f64(what)?;
            if !v.is_finite() || v < 0.0 {
                return Err(FeesError::Corrupt(format!(
                    "invalid value {v} in the {what}"
                )));
            }
            values.push(v);
        }
        Ok(values)
    }
}

/// The estimator `payload` describes.
fn decode_payload(payload: &[u8]) -> Result<FeeEstimator, FeesError> {
    let mut c = Cursor { data: payload };
    let best_seen = c.u32("best seen height")?;
    let historical_first = c.u32("block range")?;
    let historical_best = c.u32("block range")?;
    if historical_first > historical_best || historical_best > best_seen {
        return Err(FeesError::Corrupt(format!(
            "block range {historical_first}..{historical_best} is invalid with best height {best_seen}"
        )));
    }
    let expected = stats::bucket_boundaries();
    let count = c.u32("bucket count")?;
    if count as usize != expected.len() {
        return Err(FeesError::Corrupt(format!(
            "{count} fee-rate buckets, expected {}",
            expected.len()
        )));
    }
    for (i, want) in expected.iter().enumerate() {
        let got = c.f64("bucket boundaries")?;
        if got.to_bits() != want.to_bits() {
            return Err(FeesError::Corrupt(format!(
                "bucket {i} boundary is {got}, expected {want}"
            )));
        }
    }
    let n = expected.len();
    let medium = read_stats(&mut c, MEDIUM, n, "medium")?;
    let short = read_stats(&mut c, SHORT, n, "short")?;
    let long = read_stats(&mut c, LONG, n, "long")?;
    if !c.data.is_empty() {
        return Err(FeesError::Corrupt(format!(
            "{} unexpected bytes after the statistics",
            c.data.len()
        )));
    }
    let mut est = FeeEstimator::new();
    est.short = short;
    est.medium = medium;
    est.long = long;
    est.best_seen_height = best_seen;
    est.historical_first = historical_first;
    est.historical_best = historical_best;
    Ok(est)
}

/// One horizon's statistics, which must be for `horizon`.
fn read_stats(
    c: &mut Cursor<'_>,
    horizon: Horizon,
    n: usize,
    name: &str,
) -> Result<ConfirmStats, FeesError> {
    let decay = c.f64(&format!("{name} horizon decay"))?;
    let scale = c.u32(&format!("{name} horizon scale"))?;
    let periods = c.u32(&format!("{name} horizon periods"))?;
    if decay.to_bits() != horizon.decay.to_bits()
        || scale != horizon.scale
        || periods as usize != horizon.periods
    {
        return Err(FeesError::Corrupt(format!(
            "{name} horizon has decay {decay}, scale {scale}, {periods} periods; expected {}, {}, {}",
            horizon.decay, horizon.scale, horizon.periods
        )));
    }
    let what = format!("{name} horizon statistics");
    let tx_ct_avg = c.counts(n, &what)?;
    let feerate_avg = c.counts(n, &what)?;
    let mut conf_avg = Vec::with_capacity(horizon.periods);
    for _ in 0..horizon.periods {
        conf_avg.push(c.counts(n, &what)?);
    }
    let mut fail_avg = Vec::with_capacity(horizon.periods);
    for _ in 0..horizon.periods {
        fail_avg.push(c.counts(n, &what)?);
    }
    Ok(ConfirmStats::from_parts(
        horizon,
        tx_ct_avg,
        feerate_avg,
        conf_avg,
        fail_avg,
    ))
}
