//! Spawning a process that serves `Init` on a socketpair, as Bitcoin Core does:
//! `<exe> -ipcfd <N>`.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use crate::connection::{connect_stream_as, Connection, RemoteInterface};
use crate::SetupError;

/// A child process serving its bootstrap interface to us.
pub struct Spawned<P> {
    /// The connection to the child; dropping it closes the socket and the child exits.
    pub connection: Connection,
    /// The child's bootstrap object (its `Init`).
    pub init: P,
    /// The child's process id.
    pub pid: u32,
    /// Set when the child has exited.
    pub exit: ExitWatch,
}

/// How a spawned child ended, once it has (the reaper thread sets it).
#[derive(Clone, Default)]
pub struct ExitWatch(Arc<(Mutex<Option<Exit>>, Condvar)>);

/// A child's exit status, or why it could not be read.
pub type Exit = Result<ExitStatus, String>;

impl ExitWatch {
    fn set(&self, status: Exit) {
        let (slot, changed) = &*self.0;
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(status);
        changed.notify_all();
    }

    /// Waits up to `timeout` for the child to exit; `None` if it still runs. `Err` names why
    /// its status could not be read.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<Exit> {
        let (slot, changed) = &*self.0;
        let slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        let (slot, _) = changed
            .wait_timeout_while(slot, timeout, |s| s.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        slot.clone()
    }
}

/// Starts `exe -ipcfd <N>` with one end of a new socketpair as fd N, and connects to it.
///
/// Both ends are close-on-exec except the child's copy of its own end; the parent closes its
/// copy of that end once the child runs, so the socket closes when either process exits. A
/// background thread reaps the child, so it never lingers as a zombie.
pub fn spawn_process<P: RemoteInterface + Send + 'static>(
    exe: &Path,
) -> Result<Spawned<P>, SetupError> {
    let io = |source| SetupError::Io {
        path: exe.to_path_buf(),
        source,
    };
    let (ours, theirs) = UnixStream::pair().map_err(io)?;
    let fd = theirs.as_raw_fd();
    let mut command = Command::new(exe);
    command.arg("-ipcfd").arg(fd.to_string());
    // SAFETY: the closure runs in the forked child before exec and only calls fcntl, which is
    // async-signal-safe; it touches no memory shared with the parent.
    unsafe {
        command.pre_exec(move || {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags < 0 || libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().map_err(io)?;
    drop(theirs);
    let pid = child.id();
    tracing::info!(pid, exe = %exe.display(), "IPC: spawned process");
    let name = exe.display().to_string();
    let exit = ExitWatch::default();
    let reaped = exit.clone();
    let reaper = std::thread::Builder::new()
        .name("ipc-reaper".into())
        .spawn(move || match child.wait() {
            Ok(status) => {
                tracing::info!(pid, "IPC: process {name} exited: {status}");
                reaped.set(Ok(status));
            }
            Err(e) => {
                tracing::warn!(pid, "IPC: cannot wait for process {name}: {e}");
                reaped.set(Err(e.to_string()));
            }
        });
    reaper.map_err(io)?;
    let origin = format!("spawned {} (pid {pid})", exe.display());
    let (connection, init) = connect_stream_as::<P>(ours, origin).map_err(SetupError::Ipc)?;
    crate::stats::set_peer_pid(connection.id(), pid);
    Ok(Spawned {
        connection,
        init,
        pid,
        exit,
    })
}

/// The child's side: takes ownership of the socket its parent handed it as fd `fd`, after
/// checking it is an open socket (a wrong `-ipcfd` fails here, not in the IPC layer).
pub fn adopt_inherited_socket(fd: i32) -> std::io::Result<OwnedFd> {
    // SAFETY: borrowing only for the fstat call; fstat fails cleanly on a closed fd.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let stat = nix::sys::stat::fstat(borrowed).map_err(std::io::Error::from)?;
    if stat.st_mode & libc::S_IFMT != libc::S_IFSOCK {
        return Err(std::io::Error::other(format!("fd {fd} is not a socket")));
    }
    // SAFETY: the fd was handed to this process by its parent, is open (fstat succeeded) and
    // nothing else in this process owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
