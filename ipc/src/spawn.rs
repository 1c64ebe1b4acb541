//! Spawning a process that serves `Init` on a socketpair, as Bitcoin Core does:
//! `<exe> -ipcfd <N>`.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use crate::connection::{connect_stream, Connection, RemoteInterface};
use crate::SetupError;

/// A child process serving its bootstrap interface to us.
pub struct Spawned<P> {
    /// The connection to the child; dropping it closes the socket and the child exits.
    pub connection: Connection,
    /// The child's bootstrap object (its `Init`).
    pub init: P,
    /// The child's process id.
    pub pid: u32,
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
    let reaper = std::thread::Builder::new()
        .name("ipc-reaper".into())
        .spawn(move || match child.wait() {
            Ok(status) => tracing::info!(pid, "IPC: process {name} exited: {status}"),
            Err(e) => tracing::warn!(pid, "IPC: cannot wait for process {name}: {e}"),
        });
    reaper.map_err(io)?;
    let (connection, init) = connect_stream::<P>(ours).map_err(SetupError::Ipc)?;
    Ok(Spawned {
        connection,
        init,
        pid,
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
