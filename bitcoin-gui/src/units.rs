//! Bitcoin amounts as the GUI shows and reads them, in Core's units (`BitcoinUnits`): BTC,
//! mBTC, µBTC and satoshis.

/// A display unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    /// Bitcoin (10^8 sat).
    #[default]
    Btc,
    /// Milli-bitcoin (10^5 sat).
    MilliBtc,
    /// Micro-bitcoin, "bits" (10^2 sat).
    MicroBtc,
    /// Satoshis.
    Sat,
}

/// Why an amount could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// Not a number in this unit.
    #[error("'{0}' is not an amount")]
    Invalid(String),
    /// More decimals than the unit has.
    #[error("too many decimals for {0}")]
    TooPrecise(&'static str),
    /// Zero, negative, or more than 21 million bitcoin.
    #[error("amount out of range")]
    OutOfRange,
}

const MAX_MONEY: i64 = 21_000_000 * 100_000_000;

impl Unit {
    /// Every unit, for a combo box.
    pub const ALL: [Unit; 4] = [Unit::Btc, Unit::MilliBtc, Unit::MicroBtc, Unit::Sat];

    /// Its short name.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Btc => "BTC",
            Unit::MilliBtc => "mBTC",
            Unit::MicroBtc => "µBTC",
            Unit::Sat => "sat",
        }
    }

    fn decimals(self) -> u32 {
        match self {
            Unit::Btc => 8,
            Unit::MilliBtc => 5,
            Unit::MicroBtc => 2,
            Unit::Sat => 0,
        }
    }

    /// `sats` in this unit without the unit name, all decimals shown (`1.50000000`).
    pub fn format_plain(self, sats: i64) -> String {
        let decimals = self.decimals();
        let factor = 10i64.pow(decimals);
        let sign = if sats < 0 { "-" } else { "" };
        let abs = sats.unsigned_abs();
        let factor = factor.unsigned_abs();
        if decimals == 0 {
            return format!("{sign}{abs}");
        }
        format!(
            "{sign}{}.{:0width$}",
            abs / factor,
            abs % factor,
            width = decimals as usize
        )
    }

    /// `sats` in this unit with its name (`1.50000000 BTC`).
    pub fn format(self, sats: i64) -> String {
        format!("{} {}", self.format_plain(sats), self.name())
    }

    /// Reads a positive amount typed in this unit.
    pub fn parse(self, text: &str) -> Result<i64, AmountError> {
        let text = text.trim();
        let invalid = || AmountError::Invalid(text.to_string());
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty() && frac.is_empty() {
            return Err(invalid());
        }
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if !digits(whole) || !digits(frac) {
            return Err(invalid());
        }
        let decimals = self.decimals() as usize;
        if frac.len() > decimals {
            return Err(AmountError::TooPrecise(self.name()));
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| AmountError::OutOfRange)?
        };
        let frac_value: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse::<i64>().map_err(|_| invalid())? * 10i64.pow((decimals - frac.len()) as u32)
        };
        let sats = whole
            .checked_mul(10i64.pow(decimals as u32))
            .and_then(|w| w.checked_add(frac_value))
            .ok_or(AmountError::OutOfRange)?;
        if sats <= 0 || sats > MAX_MONEY {
            return Err(AmountError::OutOfRange);
        }
        Ok(sats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_in_every_unit() {
        assert_eq!(Unit::Btc.format(150_000_000), "1.50000000 BTC");
        assert_eq!(Unit::MilliBtc.format_plain(-12_345), "-0.12345");
        assert_eq!(Unit::Sat.format_plain(42), "42");
        assert_eq!(Unit::Btc.parse("1.5"), Ok(150_000_000));
        assert_eq!(Unit::MilliBtc.parse("2"), Ok(200_000));
        assert_eq!(Unit::MicroBtc.parse(".5"), Ok(50));
        assert_eq!(Unit::Sat.parse("1000"), Ok(1000));
        assert_eq!(Unit::Sat.parse("1.5"), Err(AmountError::TooPrecise("sat")));
        assert!(Unit::Btc.parse("abc").is_err());
        assert_eq!(Unit::Btc.parse("0"), Err(AmountError::OutOfRange));
        assert_eq!(Unit::Btc.parse("21000001"), Err(AmountError::OutOfRange));
    }
}
