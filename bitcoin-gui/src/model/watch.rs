//! Waiting for an attached node to come back: an inotify watch on the socket's directory
//! wakes a thread when a socket appears there, which then tries to connect. No polling of
//! the socket; the thread only wakes twice a second to see whether it should stop.

use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

use super::Event;

/// A running watcher; dropping it stops the thread.
pub struct SocketWatch {
    stop: Arc<AtomicBool>,
}

impl Drop for SocketWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Watches for a node listening at `path` again; sends [`Event::NodeBack`] once one does.
pub fn watch_socket(path: PathBuf, events: Sender<Event>) -> std::io::Result<SocketWatch> {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    std::thread::Builder::new()
        .name("gui-socket-watch".into())
        .spawn(move || run(&path, &events, &stopped))?;
    Ok(SocketWatch { stop })
}

fn run(path: &std::path::Path, events: &Sender<Event>, stop: &AtomicBool) {
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).and_then(|i| {
        i.add_watch(
            dir,
            AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_ATTRIB,
        )?;
        Ok(i)
    });
    let inotify = match inotify {
        Ok(i) => Some(i),
        Err(e) => {
            tracing::warn!(dir = %dir.display(), "cannot watch the socket directory ({e}); checking every second");
            None
        }
    };
    let mut try_now = true;
    while !stop.load(Ordering::Relaxed) {
        if try_now && std::os::unix::net::UnixStream::connect(path).is_ok() {
            tracing::info!(path = %path.display(), "the node is back");
            let _ = events.send(Event::NodeBack);
            return;
        }
        try_now = match &inotify {
            Some(inotify) => wait_event(inotify),
            None => {
                std::thread::sleep(std::time::Duration::from_secs(1));
                true
            }
        };
    }
}

/// Waits up to half a second for a change in the directory; whether one came.
fn wait_event(inotify: &Inotify) -> bool {
    let mut fds = [PollFd::new(inotify.as_fd(), PollFlags::POLLIN)];
    match poll(&mut fds, PollTimeout::from(500u16)) {
        Ok(n) if n > 0 => {
            while let Ok(events) = inotify.read_events() {
                if events.is_empty() {
                    break;
                }
            }
            true
        }
        Ok(_) => false,
        Err(_) => true,
    }
}
