//! `bitcoin-gui`: the desktop GUI of the multiprocess build (Bitcoin Core's `bitcoin-gui`),
//! on eframe/egui. It attaches to a `bitcoin-node` listening on its socket or spawns one over
//! a socketpair, and talks to it and its wallet process only through the `interfaces`
//! traits, over IPC. May import `interfaces`, `ipc` and `common`.
//!
//! Threads: the UI thread draws [`model::Snapshot`]s and never calls IPC; the model thread
//! ([`model::Model`]) owns the proxies, receives the node's notifications, runs commands and
//! publishes snapshots.

pub mod app;
pub mod model;
pub mod options;
mod screenshots;
pub mod units;
pub mod views;

pub use app::GuiApp;
pub use options::GuiConfig;

/// Why the GUI could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuiError {
    /// Bad arguments or configuration.
    #[error("{0}")]
    Args(#[from] common::ArgsError),
    /// `-ipcconnect` could not be honoured.
    #[error("{0}")]
    Ipc(#[from] ipc::SetupError),
    /// This executable's path is unknown (to find `bitcoin-node` beside it).
    #[error("cannot find this executable: {0}")]
    Exe(std::io::Error),
    /// The model thread could not start.
    #[error("cannot start the model thread: {0}")]
    Thread(std::io::Error),
    /// The window could not open.
    #[error("cannot open the window: {0}")]
    Window(String),
}

/// Opens the window and runs until it closes; a node the GUI spawned is stopped on the way
/// out.
pub fn run(config: GuiConfig) -> Result<(), GuiError> {
    let backend = config.backend()?;
    let model = model::Model::start(backend, config.network).map_err(GuiError::Thread)?;
    let mut app = GuiApp::new(model, config.network);
    if let Some(dir) = config.screenshots.clone() {
        std::fs::create_dir_all(&dir).map_err(GuiError::Thread)?;
        app = app.with_screenshots(dir);
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(format!("Bitcoin - {}", config.network))
            .with_inner_size([960.0, 640.0]),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    eframe::run_native("bitcoin-gui", options, Box::new(|_cc| Ok(Box::new(app))))
        .map_err(|e| GuiError::Window(e.to_string()))
}
