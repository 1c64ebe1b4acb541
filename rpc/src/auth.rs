//! Who may call the HTTP server (Core's `httprpc.cpp` and `rpc/request.cpp`): the `.cookie`
//! file, `-rpcuser`/`-rpcpassword`, `-rpcauth=<user>:<salt>$<hmac>`, and the check of an
//! `Authorization: Basic` header in constant time.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::hex::hex;

/// The user name of cookie authentication.
pub const COOKIE_USER: &str = "__cookie__";

/// One accepted user: name, salt and `HMAC-SHA256(key = salt, message = password)` in hex.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthEntry {
    /// The user name.
    pub user: String,
    /// The salt (used as given, as text).
    pub salt: String,
    /// The HMAC in lower-case hex.
    pub hash: String,
}

impl std::fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthEntry")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Hex of `HMAC-SHA256(key = salt, message = password)`, as `share/rpcauth/rpcauth.py`.
pub fn password_hmac(salt: &str, password: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(salt.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes keys of any length.
        Err(_) => return String::new(),
    };
    mac.update(password.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// `n` random bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> std::io::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes)
}

/// Core's `TimingResistantEqual`: the time taken depends only on the length of `a`.
pub fn timing_resistant_equal(a: &[u8], b: &[u8]) -> bool {
    if b.is_empty() {
        return a.is_empty();
    }
    let mut acc = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        acc |= usize::from(x ^ b[i % b.len()]);
    }
    acc == 0
}

impl AuthEntry {
    /// An entry for a plain-text password, hashed with a fresh random salt (so that every
    /// check runs the same way).
    pub fn from_password(user: &str, password: &str) -> std::io::Result<AuthEntry> {
        let salt = hex(&random_bytes::<16>()?);
        Ok(AuthEntry {
            user: user.to_string(),
            hash: password_hmac(&salt, password),
            salt,
        })
    }

    /// Parses an `-rpcauth` value, `<user>:<salt>$<hash>`; `None` when malformed.
    pub fn parse_rpcauth(value: &str) -> Option<AuthEntry> {
        let fields: Vec<&str> = value.split(':').collect();
        let [user, salt_hash] = fields[..] else {
            return None;
        };
        let (salt, hash) = salt_hash.split_once('$')?;
        if hash.contains('$') {
            return None;
        }
        Some(AuthEntry {
            user: user.to_string(),
            salt: salt.to_string(),
            hash: hash.to_string(),
        })
    }

    fn accepts(&self, user: &str, password: &str) -> bool {
        timing_resistant_equal(self.user.as_bytes(), user.as_bytes())
            && timing_resistant_equal(
                password_hmac(&self.salt, password).as_bytes(),
                self.hash.as_bytes(),
            )
    }
}

/// Every accepted user.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    entries: Vec<AuthEntry>,
}

impl Credentials {
    /// Accepting `entries`.
    pub fn new(entries: Vec<AuthEntry>) -> Credentials {
        Credentials { entries }
    }

    /// Checks an `Authorization` header value (Core's `RPCAuthorized`): `Ok(user)` when it
    /// is `Basic base64(user:password)` for an accepted user, else `Err` with the user name
    /// if one could be read.
    pub fn check(&self, header: &str) -> Result<String, Option<String>> {
        let encoded = header.strip_prefix("Basic ").ok_or(None)?.trim();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| None)?;
        let decoded = String::from_utf8_lossy(&decoded);
        let (user, password) = decoded.split_once(':').ok_or(None)?;
        let accepted = self.entries.iter().any(|e| e.accepts(user, password));
        if accepted {
            Ok(user.to_string())
        } else {
            Err(Some(user.to_string()))
        }
    }
}

/// Who may own and read the cookie file (`-rpccookieperms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookiePerms {
    /// 0600.
    Owner,
    /// 0640.
    Group,
    /// 0644.
    All,
}

impl CookiePerms {
    /// Parses `owner`, `group` or `all`.
    pub fn parse(value: &str) -> Option<CookiePerms> {
        match value {
            "owner" => Some(CookiePerms::Owner),
            "group" => Some(CookiePerms::Group),
            "all" => Some(CookiePerms::All),
            _ => None,
        }
    }

    fn mode(self) -> u32 {
        match self {
            CookiePerms::Owner => 0o600,
            CookiePerms::Group => 0o640,
            CookiePerms::All => 0o644,
        }
    }
}

/// A generated `.cookie` file; removed when dropped.
#[derive(Debug)]
pub struct Cookie {
    path: PathBuf,
}

impl Cookie {
    /// Writes `__cookie__:<64 hex characters>` to `<path>.tmp` with mode `perms`, renames it
    /// to `path` and returns the file with the entry it grants.
    pub fn generate(path: &Path, perms: CookiePerms) -> std::io::Result<(Cookie, AuthEntry)> {
        let password = hex(&random_bytes::<32>()?);
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let context = |what: &str, p: &Path, e: std::io::Error| {
            std::io::Error::new(e.kind(), format!("{what} {}: {e}", p.display()))
        };
        let _ = std::fs::remove_file(&tmp);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(perms.mode())
            .open(&tmp)
            .map_err(|e| context("Unable to open cookie authentication file", &tmp, e))?;
        file.write_all(format!("{COOKIE_USER}:{password}").as_bytes())
            .map_err(|e| context("Unable to write cookie authentication file", &tmp, e))?;
        drop(file);
        // The umask may have taken bits away; set exactly what was asked.
        std::fs::set_permissions(
            &tmp,
            std::os::unix::fs::PermissionsExt::from_mode(perms.mode()),
        )
        .map_err(|e| context("Unable to set permissions on", &tmp, e))?;
        std::fs::rename(&tmp, path)
            .map_err(|e| context("Unable to rename cookie authentication file", &tmp, e))?;
        tracing::info!("Generated RPC authentication cookie {}", path.display());
        let entry = AuthEntry::from_password(COOKIE_USER, &password)?;
        Ok((
            Cookie {
                path: path.to_path_buf(),
            },
            entry,
        ))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Cookie {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            tracing::warn!(
                "Unable to remove random auth cookie file {}: {e}",
                self.path.display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn basic(user_pass: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_pass)
        )
    }

    #[test]
    fn hmac_matches_rpcauth_py() {
        // Core's test/functional/rpc_users.py: rpcauth=rt:<salt>$<hmac> for this password.
        assert_eq!(
            password_hmac(
                "93648e835a54c573682c2eb19f882535",
                "cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM="
            ),
            "7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144"
        );
        let entry = AuthEntry::parse_rpcauth(
            "rt:93648e835a54c573682c2eb19f882535$7681e9c5b74bdd85e78166031d2058e1069b3ed7ed967c93fc63abba06f31144",
        )
        .expect("Core's rpcauth line");
        let creds = Credentials::new(vec![entry]);
        let ok = basic("rt:cA773lm788buwYe4g4WT+05pKyNruVKjQ25x3n0DQcM=");
        assert_eq!(creds.check(&ok), Ok("rt".into()));
    }

    #[test]
    fn rpcauth_values_and_headers() {
        let salt = "0123456789abcdef";
        let entry =
            AuthEntry::parse_rpcauth(&format!("alice:{salt}${}", password_hmac(salt, "pw")))
                .expect("valid");
        assert_eq!((entry.user.as_str(), entry.salt.as_str()), ("alice", salt));
        for bad in ["alice", "alice:salt", "a:b:c$d", "alice:s$h$x"] {
            assert!(AuthEntry::parse_rpcauth(bad).is_none(), "{bad}");
        }
        let creds = Credentials::new(vec![
            entry,
            AuthEntry::from_password("bob", "secret").expect("rng"),
        ]);
        assert_eq!(creds.check(&basic("alice:pw")), Ok("alice".into()));
        assert_eq!(creds.check(&basic("bob:secret")), Ok("bob".into()));
        assert_eq!(creds.check(&basic("bob:wrong")), Err(Some("bob".into())));
        assert_eq!(
            creds.check(&basic("alice:secret")),
            Err(Some("alice".into()))
        );
        assert_eq!(creds.check(&basic("nocolon")), Err(None));
        assert_eq!(creds.check("Bearer x"), Err(None));
        assert_eq!(creds.check("Basic !!!"), Err(None));
    }

    #[test]
    fn timing_resistant_equal_is_equality() {
        for (a, b) in [
            ("", ""),
            ("a", ""),
            ("", "a"),
            ("abc", "abc"),
            ("abc", "abd"),
            ("ab", "abab"),
        ] {
            assert_eq!(
                timing_resistant_equal(a.as_bytes(), b.as_bytes()),
                a == b,
                "{a:?} {b:?}"
            );
        }
    }

    #[test]
    fn cookie_is_owner_only_and_removed_on_drop() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".cookie");
        let (cookie, entry) = Cookie::generate(&path, CookiePerms::Owner).expect("cookie");
        let text = std::fs::read_to_string(&path).expect("read");
        let (user, password) = text.split_once(':').expect("user:password");
        assert_eq!(user, COOKIE_USER);
        assert_eq!(password.len(), 64);
        assert!(password.bytes().all(|b| b.is_ascii_hexdigit()));
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let creds = Credentials::new(vec![entry]);
        assert!(creds.check(&basic(&text)).is_ok());
        drop(cookie);
        assert!(!path.exists());
    }
}
