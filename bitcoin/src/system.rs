//! The wrapper's contact with the operating system: how it was started, which files exist,
//! and replacing its own process with the target's.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use crate::resolve::{Environment, Files, Resolved, EXEC_PATH_VAR};

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemFiles;

impl Files for SystemFiles {
    fn is_executable(&self, path: &Path) -> bool {
        std::fs::metadata(path)
            .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    }

    fn list(&self, dir: &Path) -> Vec<OsString> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.file_name())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Environment {
    /// Reads how this process was started: `argv0` is its `argv[0]`.
    ///
    /// The own path comes from the OS (`/proc/self/exe`), else from an `argv0` holding a
    /// `/`; symlinks are resolved, so a `bitcoin` symlinked into another directory still
    /// finds the programs installed beside its real location.
    pub fn detect(argv0: Option<&OsStr>) -> Environment {
        let by_path = argv0.filter(|a| a.as_bytes().contains(&b'/'));
        let own_path = std::env::current_exe()
            .ok()
            .or_else(|| by_path.map(PathBuf::from))
            .map(|path| path.canonicalize().unwrap_or(path));
        Environment {
            own_path,
            invoked_via_path: argv0.is_some() && by_path.is_none(),
            exec_path: std::env::var_os(EXEC_PATH_VAR),
            path: std::env::var_os("PATH"),
        }
    }
}

/// Starting the target program failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// `execve` returned an error.
    #[error("cannot execute '{}': {source}", program.display())]
    Failed {
        /// The program.
        program: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl ExecError {
    /// The exit status, as `env` and shells use them: 127 when the file vanished, else 126.
    pub fn exit_code(&self) -> u8 {
        match self {
            ExecError::Failed { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                127
            }
            ExecError::Failed { .. } => 126,
        }
    }
}

/// Replaces this process with `resolved` (same pid, so its exit status and signals are the
/// caller's to see); returns only on failure. The target's `argv[0]` is its full path.
pub fn exec(resolved: &Resolved) -> ExecError {
    let source = std::process::Command::new(&resolved.program)
        .arg0(&resolved.program)
        .args(&resolved.args)
        .envs(resolved.env.iter().map(|(k, v)| (k, v)))
        .exec();
    ExecError::Failed {
        program: resolved.program.clone(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_failure_is_an_error_not_a_panic() {
        let resolved = Resolved {
            program: PathBuf::from("/nonexistent/bitcoin-node"),
            args: Vec::new(),
            env: Vec::new(),
        };
        let err = exec(&resolved);
        assert_eq!(err.exit_code(), 127);
        assert!(err
            .to_string()
            .starts_with("cannot execute '/nonexistent/bitcoin-node'"));
    }

    #[test]
    fn system_files_sees_executables_only() {
        let dir = std::env::temp_dir();
        assert!(!SystemFiles.is_executable(&dir));
        assert!(SystemFiles.is_executable(Path::new("/bin/sh")));
        assert!(!SystemFiles.is_executable(Path::new("/nonexistent")));
        assert!(SystemFiles.list(Path::new("/nonexistent")).is_empty());
    }

    #[test]
    fn detect_tells_path_lookup_from_a_path() {
        assert!(Environment::detect(Some(OsStr::new("bitcoin"))).invoked_via_path);
        assert!(!Environment::detect(Some(OsStr::new("./bitcoin"))).invoked_via_path);
        assert!(!Environment::detect(None).invoked_via_path);
        assert!(Environment::detect(None).own_path.is_some());
    }
}
