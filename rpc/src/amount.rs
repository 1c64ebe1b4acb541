//! Amounts in RPC, as Core writes and reads them: `ValueFromAmount` (a JSON number with eight
//! decimals, `0.00001000`) and `AmountFromValue` (a number or string, at most eight
//! decimals, within the money range), in satoshis.

use serde_json::Value;

use crate::protocol::RpcError;

/// Satoshis per bitcoin.
pub const COIN: i64 = 100_000_000;
/// The largest valid amount (Core's `MAX_MONEY`).
pub const MAX_MONEY: i64 = 21_000_000 * COIN;

const UPPER_BOUND: i64 = 1_000_000_000_000_000_000 - 1;

/// `sats` as Core's `ValueFromAmount` writes it: a number with exactly eight decimals.
pub fn amount_to_value(sats: i64) -> Value {
    let sign = if sats < 0 { "-" } else { "" };
    let abs = sats.unsigned_abs();
    let coin = COIN.unsigned_abs();
    let text = format!("{sign}{}.{:08}", abs / coin, abs % coin);
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn mantissa_digit(ch: u8, mantissa: &mut i64, trailing_zeros: &mut i64) -> Option<()> {
    if ch == b'0' {
        *trailing_zeros += 1;
        return Some(());
    }
    for _ in 0..=*trailing_zeros {
        if *mantissa > UPPER_BOUND / 10 {
            return None;
        }
        *mantissa *= 10;
    }
    *mantissa += i64::from(ch - b'0');
    *trailing_zeros = 0;
    Some(())
}

/// Core's `ParseFixedPoint`: `text` (`-1.5e3` style) times `10^decimals`, if exact and
/// below `10^18`.
pub fn parse_fixed_point(text: &str, decimals: i64) -> Option<i64> {
    let s = text.as_bytes();
    let mut i = 0;
    let (mut mantissa, mut trailing_zeros, mut point_ofs, mut exponent) = (0i64, 0i64, 0i64, 0i64);
    let negative = s.first() == Some(&b'-');
    if negative {
        i += 1;
    }
    match s.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while let Some(&c) = s.get(i).filter(|c| c.is_ascii_digit()) {
                mantissa_digit(c, &mut mantissa, &mut trailing_zeros)?;
                i += 1;
            }
        }
        _ => return None,
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        s.get(i).filter(|c| c.is_ascii_digit())?;
        while let Some(&c) = s.get(i).filter(|c| c.is_ascii_digit()) {
            mantissa_digit(c, &mut mantissa, &mut trailing_zeros)?;
            i += 1;
            point_ofs += 1;
        }
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exponent_negative = s.get(i) == Some(&b'-');
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        s.get(i).filter(|c| c.is_ascii_digit())?;
        while let Some(&c) = s.get(i).filter(|c| c.is_ascii_digit()) {
            if exponent > UPPER_BOUND / 10 {
                return None;
            }
            exponent = exponent * 10 + i64::from(c - b'0');
            i += 1;
        }
        if exponent_negative {
            exponent = -exponent;
        }
    }
    if i != s.len() {
        return None;
    }
    let exponent = exponent - point_ofs + trailing_zeros + decimals;
    if !(0..18).contains(&exponent) {
        return None;
    }
    for _ in 0..exponent {
        if mantissa > UPPER_BOUND / 10 {
            return None;
        }
        mantissa *= 10;
    }
    if mantissa > UPPER_BOUND {
        return None;
    }
    Some(if negative { -mantissa } else { mantissa })
}

/// Core's `AmountFromValue`: a number or string of bitcoins to satoshis, with Core's
/// `RPC_TYPE_ERROR` messages.
pub fn amount_from_value(value: &Value) -> Result<i64, RpcError> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err(RpcError::type_error("Amount is not a number or string")),
    };
    let sats = parse_fixed_point(&text, 8).ok_or_else(|| RpcError::type_error("Invalid amount"))?;
    if !(0..=MAX_MONEY).contains(&sats) {
        return Err(RpcError::type_error("Amount out of range"));
    }
    Ok(sats)
}

/// An amount setting (`-minrelaytxfee=0.00001`, `-fallbackfee=...`) in satoshis: `default`
/// when not given; Core's error for a value that is not an amount of at most 21 million BTC.
pub fn amount_setting(
    settings: &common::Settings,
    name: &str,
    default: u64,
) -> Result<u64, common::ArgsError> {
    match settings.get(name) {
        None => Ok(default),
        Some(v) => parse_fixed_point(v.trim(), 8)
            .and_then(|sat| u64::try_from(sat).ok())
            .filter(|sat| i64::try_from(*sat).is_ok_and(|sat| sat <= MAX_MONEY))
            .ok_or_else(|| common::ArgsError::BadValue {
                option: name.into(),
                value: v.into(),
                reason: format!("Invalid amount for -{name}=<amount>: '{v}'"),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_trip_as_core_writes_them() {
        assert_eq!(amount_to_value(1000).to_string(), "0.00001000");
        assert_eq!(amount_to_value(-150_000_000).to_string(), "-1.50000000");
        assert_eq!(amount_to_value(MAX_MONEY).to_string(), "21000000.00000000");
        let parse = |s: &str| amount_from_value(&serde_json::from_str(s).expect("json"));
        assert_eq!(parse("0.00001000"), Ok(1000));
        assert_eq!(parse("\"1.5\""), Ok(150_000_000));
        assert_eq!(parse("1e-8"), Ok(1));
        assert_eq!(parse("21000000"), Ok(MAX_MONEY));
        for (bad, message) in [
            ("0.000000001", "Invalid amount"),
            ("\"01\"", "Invalid amount"),
            ("\"1.\"", "Invalid amount"),
            ("\"abc\"", "Invalid amount"),
            ("-1", "Amount out of range"),
            ("21000000.00000001", "Amount out of range"),
            ("true", "Amount is not a number or string"),
        ] {
            assert_eq!(
                parse(bad).map_err(|e| e.message),
                Err(message.into()),
                "{bad}"
            );
        }
        assert_eq!(parse_fixed_point("1e17", 0), Some(100_000_000_000_000_000));
        assert_eq!(parse_fixed_point("1e18", 0), None);
    }
}
