//! Logging for every binary: `debug.log` in the network directory (`-debuglogfile`,
//! `-nodebuglogfile`), the console (`-printtoconsole`), categories (`-debug=<category>`), and
//! the `BITCOIN_LOG` environment variable (tracing's filter syntax) overriding `-debug`. Every
//! line names the process that wrote it.
//!
//! [`init`] installs the subscriber and returns a [`LogHandle`] that can switch outputs and
//! filter later: a process spawned with `-ipcfd N` starts logging to stderr and switches to
//! its parent's settings once they arrive over IPC, and the node's `logging` RPC changes the
//! `-debug` categories of a running process ([`LogHandle::set_debug`]).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Registry};

use crate::args::ArgsError;
use crate::settings::Settings;

/// Debug categories `-debug=` accepts (Core's names); each enables the tracing targets that
/// start with it.
pub const CATEGORIES: &[&str] = &[
    "ipc",
    "net",
    "rpc",
    "http",
    "mempool",
    "validation",
    "wallet",
    "gui",
    "bench",
    "estimatefee",
    "coindb",
    "blockstorage",
    "kernel",
    "reindex",
    "mining",
];

/// Where and what a process logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// The process name shown on every line (`bitcoin-node`, ...).
    pub process: String,
    /// The log file, if any.
    pub file: Option<PathBuf>,
    /// Whether to log to stderr too.
    pub console: bool,
    /// `-debug` categories (`all` for everything).
    pub debug: Vec<String>,
}

impl LogSettings {
    /// Log settings from the merged settings: `-debuglogfile` (default `debug.log`, relative
    /// to `net_dir`), `-printtoconsole` (default `console_default`), `-debug`.
    pub fn from_settings(
        process: &str,
        settings: &Settings,
        net_dir: &Path,
        console_default: bool,
    ) -> Result<LogSettings, ArgsError> {
        let file = if settings.is_negated("debuglogfile") {
            None
        } else {
            Some(
                net_dir.join(
                    settings
                        .get("debuglogfile")
                        .filter(|f| !f.is_empty())
                        .unwrap_or("debug.log"),
                ),
            )
        };
        let mut debug = Vec::new();
        for category in settings.get_list("debug") {
            match category.as_str() {
                "" | "1" | "all" => debug.push("all".to_string()),
                "0" | "none" => debug.clear(),
                c if CATEGORIES.contains(&c) => debug.push(c.to_string()),
                other => {
                    return Err(ArgsError::BadValue {
                        option: "debug".into(),
                        value: other.into(),
                        reason: format!(
                            "unsupported logging category; known: {}",
                            CATEGORIES.join(", ")
                        ),
                    })
                }
            }
        }
        Ok(LogSettings {
            process: process.to_string(),
            file,
            console: settings.get_bool("printtoconsole", console_default)?,
            debug,
        })
    }

    /// The arguments that give a spawned child these settings (sent over IPC, not argv).
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        match &self.file {
            Some(file) => args.push(format!("-debuglogfile={}", file.display())),
            None => args.push("-nodebuglogfile".into()),
        }
        args.push(format!("-printtoconsole={}", u8::from(self.console)));
        args.extend(self.debug.iter().map(|c| format!("-debug={c}")));
        args
    }

    /// The arguments a parent passes to a child it spawns (`Init.configure`): the chain and
    /// data directory of `settings`, this logging, and every value of `options` that is set.
    pub fn child_args(
        &self,
        settings: &Settings,
        options: &[crate::args::OptionSpec],
    ) -> Vec<String> {
        let mut args = vec![
            format!("-datadir={}", settings.datadir().display()),
            format!("-chain={}", settings.chain()),
        ];
        args.extend(self.to_args());
        for spec in options {
            for value in settings.get_list(spec.name) {
                args.push(format!("-{}={value}", spec.name));
            }
        }
        args
    }

    fn filter(&self) -> EnvFilter {
        if let Ok(env) = std::env::var("BITCOIN_LOG") {
            if let Ok(filter) = EnvFilter::try_new(&env) {
                return filter;
            }
        }
        if self.debug.iter().any(|c| c == "all") {
            return EnvFilter::new("debug");
        }
        let mut directives = vec!["info".to_string()];
        directives.extend(self.debug.iter().map(|c| format!("{c}=debug")));
        EnvFilter::new(directives.join(","))
    }
}

#[derive(Default)]
struct Outputs {
    file: Option<File>,
    console: bool,
}

/// A writer that sends each formatted line to the current outputs.
#[derive(Clone, Default)]
struct SharedOutputs(Arc<Mutex<Outputs>>);

struct LineWriter(Arc<Mutex<Outputs>>);

impl Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut outputs = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(file) = outputs.file.as_mut() {
            file.write_all(buf)?;
        }
        if outputs.console {
            std::io::stderr().write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for SharedOutputs {
    type Writer = LineWriter;
    fn make_writer(&'a self) -> LineWriter {
        LineWriter(self.0.clone())
    }
}

/// Timestamp followed by the process name.
struct TimeAndProcess(Arc<Mutex<String>>);

impl FormatTime for TimeAndProcess {
    fn format_time(&self, w: &mut Writer<'_>) -> std::fmt::Result {
        SystemTime.format_time(w)?;
        let name = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        write!(w, " {name}")
    }
}

/// Changes a running process's log settings.
pub struct LogHandle {
    outputs: SharedOutputs,
    filter: reload::Handle<EnvFilter, Registry>,
    process: Arc<Mutex<String>>,
    current: Mutex<LogSettings>,
}

fn open(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    OpenOptions::new().create(true).append(true).open(path)
}

impl LogHandle {
    /// Switches to `settings` (new file, console, filter).
    pub fn apply(&self, settings: &LogSettings) -> std::io::Result<()> {
        let file = settings
            .file
            .as_deref()
            .map(open)
            .transpose()
            .map_err(|e| {
                let path = settings
                    .file
                    .as_deref()
                    .map(Path::display)
                    .map(|d| d.to_string())
                    .unwrap_or_default();
                std::io::Error::new(e.kind(), format!("cannot open log file {path}: {e}"))
            })?;
        {
            let mut outputs = self
                .outputs
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            outputs.file = file;
            outputs.console = settings.console;
        }
        *self.process.lock().unwrap_or_else(PoisonError::into_inner) = settings.process.clone();
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = settings.clone();
        self.filter
            .reload(settings.filter())
            .map_err(std::io::Error::other)
    }

    /// The settings in force.
    pub fn settings(&self) -> LogSettings {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the `-debug` categories (names from [`CATEGORIES`], or `all`) and reloads
    /// the filter, leaving the outputs as they are (the `logging` RPC).
    pub fn set_debug(&self, debug: Vec<String>) -> std::io::Result<()> {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current.debug = debug;
        self.filter
            .reload(current.filter())
            .map_err(std::io::Error::other)
    }
}

/// Installs the process-wide subscriber with `settings`. Fails if the log file cannot be
/// opened or a subscriber is already installed.
pub fn init(settings: &LogSettings) -> std::io::Result<LogHandle> {
    let outputs = SharedOutputs::default();
    let process = Arc::new(Mutex::new(settings.process.clone()));
    let (filter, handle) = reload::Layer::new(settings.filter());
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_thread_names(true)
        .with_timer(TimeAndProcess(process.clone()))
        .with_writer(outputs.clone());
    tracing_subscriber::registry()
        .with(filter)
        .with(layer)
        .try_init()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let log = LogHandle {
        outputs,
        filter: handle,
        process,
        current: Mutex::new(settings.clone()),
    };
    log.apply(settings)?;
    Ok(log)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::COMMON_OPTIONS;

    fn settings(args: &[&str]) -> Settings {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        Settings::from_args(COMMON_OPTIONS, &args).expect("settings")
    }

    #[test]
    fn defaults_and_overrides() {
        let net = Path::new("/d/regtest");
        let s = LogSettings::from_settings("bitcoin-node", &settings(&[]), net, true).expect("log");
        assert_eq!(s.file.as_deref(), Some(Path::new("/d/regtest/debug.log")));
        assert!(s.console);
        let s = LogSettings::from_settings(
            "n",
            &settings(&["-nodebuglogfile", "-printtoconsole=0", "-debug=ipc"]),
            net,
            true,
        )
        .expect("log");
        assert_eq!(
            (s.file, s.console, s.debug),
            (None, false, vec!["ipc".to_string()])
        );
        let s = LogSettings::from_settings(
            "n",
            &settings(&["-debuglogfile=/abs.log", "-debug"]),
            net,
            true,
        )
        .expect("log");
        assert_eq!(s.file.as_deref(), Some(Path::new("/abs.log")));
        assert_eq!(s.debug, ["all"]);
        let e = LogSettings::from_settings("n", &settings(&["-debug=bogus"]), net, true)
            .expect_err("bogus");
        assert!(e.to_string().contains("-debug: 'bogus'"), "{e}");
    }

    #[test]
    fn child_args_round_trip() {
        let net = Path::new("/d/regtest");
        let parent = LogSettings::from_settings(
            "bitcoin-node",
            &settings(&["-debug=ipc", "-debug=rpc", "-printtoconsole=0"]),
            net,
            true,
        )
        .expect("log");
        let args = parent.to_args();
        let child = LogSettings::from_settings(
            "bitcoin-node",
            &settings(&args.iter().map(String::as_str).collect::<Vec<_>>()),
            Path::new("/elsewhere"),
            true,
        )
        .expect("log");
        assert_eq!(child, parent);
    }
}
