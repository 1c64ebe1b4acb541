//! Fee rates and amounts as Bitcoin Core computes and prints them: `CFeeRate(fee, vsize)`
//! ([`rate`]), `FormatMoney` ([`format_money`]) and `CFeeRate::ToString()`
//! ([`format_rate`]), shared by acceptance, replacement and the size limits.

/// Core's `CFeeRate(fee, vsize)` in sat/kvB (negative fees give 0).
pub fn rate(fee: i64, vsize: u64) -> u64 {
    if vsize == 0 || fee <= 0 {
        return 0;
    }
    u64::try_from(i128::from(fee) * 1000 / i128::from(vsize)).unwrap_or(u64::MAX)
}

/// Core's `FormatMoney`: at least two decimals, trailing zeros trimmed.
pub fn format_money(sats: i64) -> String {
    let sign = if sats < 0 { "-" } else { "" };
    let abs = sats.unsigned_abs();
    let mut text = format!("{sign}{}.{:08}", abs / 100_000_000, abs % 100_000_000);
    while text.ends_with('0') && text.len() - text.find('.').unwrap_or(0) > 3 {
        text.pop();
    }
    text
}

/// Core's `CFeeRate::ToString()`: `0.00001000 BTC/kvB`.
pub fn format_rate(sat_per_kvb: u64) -> String {
    format!(
        "{}.{:08} BTC/kvB",
        sat_per_kvb / 100_000_000,
        sat_per_kvb % 100_000_000
    )
}
