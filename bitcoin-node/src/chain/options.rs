//! How the chainstate is opened: Core's `-reindex` and `-signetchallenge`.

use common::Settings;

use super::ChainError;

/// Options for [`super::ChainState::open_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainOptions {
    /// `-reindex`: wipe the block index, the chainstate and the coins view, and rebuild them
    /// from the block files.
    pub reindex: bool,
    /// `-signetchallenge`: the script a custom signet's blocks must satisfy (signet only).
    pub signet_challenge: Option<Vec<u8>>,
}

impl ChainOptions {
    /// Reads `-reindex` and, on signet, `-signetchallenge` (checked as Core's
    /// `ReadSigNetArgs` does, with its error texts).
    pub fn from_settings(settings: &Settings) -> Result<ChainOptions, ChainError> {
        let reindex = settings
            .get_bool("reindex", false)
            .map_err(|e| ChainError::Option(e.to_string()))?;
        let mut signet_challenge = None;
        if settings.chain() == common::Chain::Signet && settings.is_set("signetchallenge") {
            let values = settings.get_list("signetchallenge");
            let [value] = values.as_slice() else {
                return Err(ChainError::Option(
                    "-signetchallenge cannot be multiple values.".into(),
                ));
            };
            let challenge = parse_hex(value).ok_or_else(|| {
                ChainError::Option(format!("-signetchallenge must be hex, not '{value}'."))
            })?;
            signet_challenge = Some(challenge);
        }
        Ok(ChainOptions {
            reindex,
            signet_challenge,
        })
    }
}

/// Core's `TryParseHex`: pairs of hex digits, whitespace allowed between (not within) pairs.
fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(text.len() / 2);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c.is_ascii_whitespace() {
            continue;
        }
        let high = c.to_digit(16)?;
        let low = chars.next()?.to_digit(16)?;
        bytes.push(u8::try_from(high * 16 + low).ok()?);
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::parse_hex;

    #[test]
    fn hex_is_read_as_cores_try_parse_hex() {
        assert_eq!(parse_hex("51"), Some(vec![0x51]));
        assert_eq!(parse_hex(" 51 ab\t"), Some(vec![0x51, 0xab]));
        assert_eq!(parse_hex(""), Some(vec![]));
        assert_eq!(parse_hex("5"), None);
        assert_eq!(parse_hex("5 1"), None);
        assert_eq!(parse_hex("zz"), None);
    }
}
