//! The mempool's settings, with Core's defaults (v30) and checks.

use common::{ArgsError, Settings};

use super::policy::StandardOptions;

/// Ancestor and descendant limits (Core's `-limitancestorcount` etc.).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most in-pool ancestors, the transaction included.
    pub ancestor_count: u64,
    /// Largest total vsize of a transaction and its ancestors.
    pub ancestor_size_vbytes: u64,
    /// Most in-pool descendants of any ancestor, itself included.
    pub descendant_count: u64,
    /// Largest total vsize of any ancestor and its descendants.
    pub descendant_size_vbytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            ancestor_count: 25,
            ancestor_size_vbytes: 101_000,
            descendant_count: 25,
            descendant_size_vbytes: 101_000,
        }
    }
}

/// Everything the pool is configured with.
#[derive(Debug, Clone)]
pub struct MempoolOptions {
    /// `-maxmempool` in bytes.
    pub max_size_bytes: u64,
    /// `-mempoolexpiry` in seconds.
    pub expiry_secs: i64,
    /// `-minrelaytxfee` in sat/kvB.
    pub min_relay_fee: u64,
    /// `-incrementalrelayfee` in sat/kvB.
    pub incremental_relay_fee: u64,
    /// `-dustrelayfee` in sat/kvB.
    pub dust_relay_fee: u64,
    /// `-datacarrier`/`-datacarriersize`.
    pub max_datacarrier_bytes: Option<usize>,
    /// `-permitbaremultisig`.
    pub permit_bare_multisig: bool,
    /// `-persistmempool`.
    pub persist: bool,
    /// `-blockmintxfee` in sat/kvB (for the miner).
    pub block_min_fee: u64,
    /// Ancestor and descendant limits.
    pub limits: Limits,
    /// Where `mempool.dat` lives (`<netdir>/mempool.dat`; `None` in tests).
    pub file: Option<std::path::PathBuf>,
}

impl Default for MempoolOptions {
    fn default() -> MempoolOptions {
        MempoolOptions {
            max_size_bytes: 300 * 1_000_000,
            expiry_secs: 336 * 60 * 60,
            min_relay_fee: 100,
            incremental_relay_fee: 100,
            dust_relay_fee: 3000,
            max_datacarrier_bytes: Some(100_000),
            permit_bare_multisig: true,
            persist: true,
            block_min_fee: 1,
            limits: Limits::default(),
            file: None,
        }
    }
}

fn bad(option: &str, value: &str, reason: &str) -> ArgsError {
    ArgsError::BadValue {
        option: option.into(),
        value: value.into(),
        reason: reason.into(),
    }
}

fn int(settings: &Settings, name: &str, default: i64) -> Result<i64, ArgsError> {
    match settings.get(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .map_err(|_| bad(name, v, "expected an integer")),
    }
}

fn non_negative(settings: &Settings, name: &str, default: u64) -> Result<u64, ArgsError> {
    let v = int(settings, name, default as i64)?;
    u64::try_from(v).map_err(|_| bad(name, &v.to_string(), "must not be negative"))
}

/// A fee rate option in BTC/kvB (Core's `ParseMoney`), in sat/kvB.
fn fee_rate(settings: &Settings, name: &str, default: u64) -> Result<u64, ArgsError> {
    rpc::amount::amount_setting(settings, name, default)
}

impl MempoolOptions {
    /// Reads the mempool options (Core's names, defaults and checks).
    pub fn from_settings(settings: &Settings) -> Result<MempoolOptions, ArgsError> {
        let d = MempoolOptions::default();
        let limits = Limits {
            ancestor_count: non_negative(settings, "limitancestorcount", 25)?,
            ancestor_size_vbytes: non_negative(settings, "limitancestorsize", 101)? * 1000,
            descendant_count: non_negative(settings, "limitdescendantcount", 25)?,
            descendant_size_vbytes: non_negative(settings, "limitdescendantsize", 101)? * 1000,
        };
        let max_mb = non_negative(settings, "maxmempool", 300)?;
        let min_mb = (limits.descendant_size_vbytes * 40).div_ceil(1_000_000);
        if max_mb < min_mb {
            return Err(bad(
                "maxmempool",
                &max_mb.to_string(),
                &format!("-maxmempool must be at least {min_mb} MB"),
            ));
        }
        let expiry_hours = non_negative(settings, "mempoolexpiry", 336)?;
        let datacarrier = settings.get_bool("datacarrier", true)?;
        let datacarrier_size = non_negative(settings, "datacarriersize", 100_000)?;
        Ok(MempoolOptions {
            max_size_bytes: max_mb * 1_000_000,
            expiry_secs: i64::try_from(expiry_hours * 3600).unwrap_or(i64::MAX),
            min_relay_fee: fee_rate(settings, "minrelaytxfee", d.min_relay_fee)?,
            incremental_relay_fee: fee_rate(
                settings,
                "incrementalrelayfee",
                d.incremental_relay_fee,
            )?,
            dust_relay_fee: fee_rate(settings, "dustrelayfee", d.dust_relay_fee)?,
            max_datacarrier_bytes: datacarrier
                .then(|| usize::try_from(datacarrier_size).unwrap_or(usize::MAX)),
            permit_bare_multisig: settings.get_bool("permitbaremultisig", true)?,
            persist: settings.get_bool("persistmempool", true)?,
            block_min_fee: fee_rate(settings, "blockmintxfee", d.block_min_fee)?,
            limits,
            file: Some(settings.net_dir().join("mempool.dat")),
        })
    }

    /// The standardness options.
    pub fn standard(&self) -> StandardOptions {
        StandardOptions {
            max_datacarrier_bytes: self.max_datacarrier_bytes,
            permit_bare_multisig: self.permit_bare_multisig,
            dust_relay_fee: self.dust_relay_fee,
        }
    }
}
