//! The resolver: which executable a command runs and where it is, decided without I/O.
//!
//! The search follows Bitcoin Core's `bitcoin` wrapper and git's subcommand lookup, first
//! match wins:
//! 1. `--exec-path DIR`, else `BITCOIN_EXEC_PATH` (an explicit choice, like `GIT_EXEC_PATH`);
//! 2. `<prefix>/libexec/` when the wrapper sits in `<prefix>/bin/` (Core's install layout);
//! 3. the wrapper's own directory (a build tree such as `target/debug/`);
//! 4. each `PATH` entry, but only when the wrapper itself was found through `PATH` (its
//!    `argv[0]` has no `/`), so a wrapper started by path never runs unrelated system copies.
//!
//! The file system is reached only through [`Files`], so tests pass a fake.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::cli::{Command, Mode, Run, BUILT_IN};
use crate::suggest;

/// The environment variable naming a directory to search first.
pub const EXEC_PATH_VAR: &str = "BITCOIN_EXEC_PATH";

/// Prefix of the executables that external commands run: `bitcoin foo` runs `bitcoin-foo`.
pub const EXTERNAL_PREFIX: &str = "bitcoin-";

/// Executables the built-in commands run; never listed as external commands.
const BUILT_IN_TARGETS: [&str; 6] = [
    "bitcoin-node",
    "bitcoin-gui",
    "bitcoin-wallet",
    "bitcoin-cli",
    "bitcoind",
    "bitcoin-qt",
];

/// How the wrapper was started: what the resolver needs to know about the world.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    /// The wrapper's own executable with symlinks resolved, when known.
    pub own_path: Option<PathBuf>,
    /// Whether the wrapper was found through `PATH` (its `argv[0]` has no `/`).
    pub invoked_via_path: bool,
    /// The value of `BITCOIN_EXEC_PATH`, if set.
    pub exec_path: Option<OsString>,
    /// The value of `PATH`, if set.
    pub path: Option<OsString>,
}

/// The resolver's view of the file system.
pub trait Files {
    /// Whether `path` is a file the wrapper may execute.
    fn is_executable(&self, path: &Path) -> bool;
    /// The names of the entries of `dir` (empty when it cannot be read).
    fn list(&self, dir: &Path) -> Vec<OsString>;
}

/// Why a directory is searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `--exec-path`.
    ExecPathOption,
    /// `BITCOIN_EXEC_PATH`.
    ExecPathEnv,
    /// `<prefix>/libexec` beside the wrapper's `<prefix>/bin`.
    Libexec,
    /// The wrapper's own directory.
    WrapperDir,
    /// An entry of `PATH`.
    PathEnv,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::ExecPathOption => "--exec-path",
            Origin::ExecPathEnv => EXEC_PATH_VAR,
            Origin::Libexec => "libexec beside the wrapper's bin",
            Origin::WrapperDir => "the wrapper's directory",
            Origin::PathEnv => "PATH",
        })
    }
}

/// A directory to search and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// The directory.
    pub dir: PathBuf,
    /// Why it is searched.
    pub origin: Origin,
}

/// The places a search looked, for error messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Searched {
    /// The directories, in search order.
    pub places: Vec<Place>,
    /// Whether `PATH` was part of the search.
    pub path_searched: bool,
    /// Whether the wrapper knew its own location (else no libexec or own-directory lookup).
    pub own_path_known: bool,
}

impl fmt::Display for Searched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "searched:")?;
        for place in &self.places {
            write!(f, "\n  {} ({})", place.dir.display(), place.origin)?;
        }
        if !self.own_path_known {
            write!(f, "\n  (the wrapper's own location is unknown)")?;
        }
        if !self.path_searched {
            write!(
                f,
                "\n  (PATH not searched: the wrapper was started by path, not found through PATH)"
            )?;
        }
        write!(
            f,
            "\nset {EXEC_PATH_VAR} or pass --exec-path DIR to look in another directory"
        )
    }
}

/// The executable and arguments a command resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// Full path of the executable (also passed as its `argv[0]`).
    pub program: PathBuf,
    /// Its arguments: any the command adds (`-named` for `rpc`), then the user's.
    pub args: Vec<OsString>,
    /// Environment variables to set for it: `BITCOIN_EXEC_PATH` when `--exec-path` was
    /// given, so the processes it spawns search the same directory first (as git does).
    pub env: Vec<(OsString, OsString)>,
}

/// A command that cannot be resolved to an executable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// Not a built-in command, and no `bitcoin-NAME` executable exists.
    #[error("unknown command '{name}' (not a built-in command, and no {EXTERNAL_PREFIX}{name} executable found)")]
    UnknownCommand {
        /// The command as typed.
        name: String,
        /// Close command names, best first.
        suggestions: Vec<String>,
    },
    /// The executable a built-in command runs is in none of the places searched.
    #[error("cannot find '{program}' for 'bitcoin {command}'; {searched}")]
    NotFound {
        /// The command.
        command: String,
        /// The executable's file name.
        program: String,
        /// Where the wrapper looked.
        searched: Searched,
    },
    /// `-M gui` without a single-process GUI (`bitcoin-qt`) anywhere.
    #[error(
        "no monolithic GUI is available: this suite has no single-process GUI and no \
         'bitcoin-qt' was found; run 'bitcoin gui' for the multiprocess GUI; {searched}"
    )]
    NoMonolithicGui {
        /// Where the wrapper looked.
        searched: Searched,
    },
}

/// The executable file name a command runs and the arguments it puts before the user's.
pub fn target(command: &Command, mode: Mode) -> (String, Vec<OsString>) {
    let name = match (command, mode) {
        (Command::Node, Mode::Multiprocess) => "bitcoin-node",
        (Command::Node, Mode::Monolithic) => "bitcoind",
        (Command::Gui, Mode::Multiprocess) => "bitcoin-gui",
        (Command::Gui, Mode::Monolithic) => "bitcoin-qt",
        (Command::Wallet, _) => "bitcoin-wallet",
        (Command::Rpc, _) => return ("bitcoin-cli".into(), vec![OsString::from("-named")]),
        (Command::External(name), _) => return (format!("{EXTERNAL_PREFIX}{name}"), Vec::new()),
    };
    (name.to_string(), Vec::new())
}

/// The directories to search, in order, without duplicates.
pub fn search_places(exec_path_option: Option<&Path>, env: &Environment) -> Searched {
    let mut places = Vec::new();
    let explicit = exec_path_option
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| (dir.to_path_buf(), Origin::ExecPathOption))
        .or_else(|| {
            env.exec_path
                .as_deref()
                .filter(|dir| !dir.is_empty())
                .map(|dir| (PathBuf::from(dir), Origin::ExecPathEnv))
        });
    places.extend(explicit);
    if let Some(own_dir) = env.own_path.as_deref().and_then(Path::parent) {
        if own_dir.file_name() == Some(OsStr::new("bin")) {
            if let Some(prefix) = own_dir.parent() {
                places.push((prefix.join("libexec"), Origin::Libexec));
            }
        }
        places.push((own_dir.to_path_buf(), Origin::WrapperDir));
    }
    if env.invoked_via_path {
        places.extend(path_entries(env.path.as_deref()).map(|dir| (dir, Origin::PathEnv)));
    }
    let mut unique: Vec<Place> = Vec::new();
    for (dir, origin) in places {
        if !unique.iter().any(|p| p.dir == dir) {
            unique.push(Place { dir, origin });
        }
    }
    Searched {
        places: unique,
        path_searched: env.invoked_via_path,
        own_path_known: env.own_path.is_some(),
    }
}

/// The directories of a `PATH` value; an empty entry means the current directory (POSIX).
fn path_entries(path: Option<&OsStr>) -> impl Iterator<Item = PathBuf> + '_ {
    use std::os::unix::ffi::OsStrExt;
    path.into_iter()
        .flat_map(|p| p.as_bytes().split(|b| *b == b':'))
        .map(|entry| match entry {
            b"" => PathBuf::from("."),
            entry => PathBuf::from(OsStr::from_bytes(entry)),
        })
}

/// The first place holding an executable `file_name`.
fn find(file_name: &str, searched: &Searched, files: &dyn Files) -> Option<PathBuf> {
    searched
        .places
        .iter()
        .map(|place| place.dir.join(file_name))
        .find(|candidate| files.is_executable(candidate))
}

/// Resolves `run` to an executable and its arguments.
///
/// `exec_path_option` is `--exec-path`; `env` says how the wrapper was started; `files`
/// answers which candidates exist. No I/O happens here beyond asking `files`.
pub fn resolve(
    run: &Run,
    mode: Mode,
    exec_path_option: Option<&Path>,
    env: &Environment,
    files: &dyn Files,
) -> Result<Resolved, ResolveError> {
    let searched = search_places(exec_path_option, env);
    let (file_name, mut args) = target(&run.command, mode);
    let Some(program) = find(&file_name, &searched, files) else {
        return Err(not_found(run, mode, file_name, searched, files));
    };
    args.extend(run.args.iter().cloned());
    let env = exec_path_option
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| (OsString::from(EXEC_PATH_VAR), dir.as_os_str().to_owned()))
        .into_iter()
        .collect();
    Ok(Resolved { program, args, env })
}

fn not_found(
    run: &Run,
    mode: Mode,
    program: String,
    searched: Searched,
    files: &dyn Files,
) -> ResolveError {
    match &run.command {
        Command::External(name) => {
            let externals = external_commands(&searched, files);
            let candidates = BUILT_IN
                .iter()
                .copied()
                .chain(externals.iter().map(String::as_str));
            ResolveError::UnknownCommand {
                name: name.clone(),
                suggestions: suggest::did_you_mean(name, candidates),
            }
        }
        Command::Gui if mode == Mode::Monolithic => ResolveError::NoMonolithicGui { searched },
        command => ResolveError::NotFound {
            command: command.name().to_string(),
            program,
            searched,
        },
    }
}

/// The external commands available: names `NAME` of executable `bitcoin-NAME` files in the
/// searched places, sorted, without the executables of built-in commands.
pub fn external_commands(searched: &Searched, files: &dyn Files) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for place in &searched.places {
        for entry in files.list(&place.dir) {
            let Some(file_name) = entry.to_str() else {
                continue;
            };
            let Some(name) = file_name.strip_prefix(EXTERNAL_PREFIX) else {
                continue;
            };
            if name.is_empty()
                || BUILT_IN_TARGETS.contains(&file_name)
                || BUILT_IN.contains(&name)
                || !files.is_executable(&place.dir.join(file_name))
            {
                continue;
            }
            names.push(name.to_string());
        }
    }
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests;
