//! `-screenshots=<dir>`: shows each view in turn, saves the frame with eframe's screenshot
//! viewport command as `<dir>/<view>.png`, then closes the window.

use std::path::PathBuf;

use crate::model::Snapshot;
use crate::views::Tab;

/// Frames to let a view settle (layout, data) before its screenshot.
const SETTLE_FRAMES: u32 = 20;

/// The screenshot sequence.
pub struct Shooter {
    dir: PathBuf,
    index: usize,
    frames: u32,
    requested: bool,
}

impl Shooter {
    /// Saves into `dir`.
    pub fn new(dir: PathBuf) -> Shooter {
        Shooter {
            dir,
            index: 0,
            frames: 0,
            requested: false,
        }
    }

    /// Called every frame: returns the tab to show, handles the screenshot events.
    pub fn frame(&mut self, ctx: &egui::Context, snap: &Snapshot) -> Option<Tab> {
        ctx.request_repaint();
        let tab = *Tab::ALL.get(self.index)?;
        let image = ctx.input(|i| {
            i.raw.events.iter().find_map(|e| match e {
                egui::Event::Screenshot { image, .. } => Some(image.clone()),
                _ => None,
            })
        });
        if let Some(image) = image {
            self.save(tab, &image);
            self.index += 1;
            self.frames = 0;
            self.requested = false;
            if self.index == Tab::ALL.len() {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            return Tab::ALL.get(self.index).copied();
        }
        let ready =
            snap.connected() || matches!(snap.connection, crate::model::ConnectionState::Failed(_));
        if ready {
            self.frames += 1;
        }
        if self.frames >= SETTLE_FRAMES && !self.requested {
            ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(Default::default()));
            self.requested = true;
        }
        Some(tab)
    }

    fn save(&self, tab: Tab, image: &egui::ColorImage) {
        let path = self.dir.join(format!("{}.png", tab.title().to_lowercase()));
        let [w, h] = image.size;
        let bytes: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
        let result = image::save_buffer(&path, &bytes, w as u32, h as u32, image::ColorType::Rgba8);
        match result {
            Ok(()) => tracing::info!(path = %path.display(), "saved screenshot"),
            Err(e) => tracing::error!(path = %path.display(), "cannot save screenshot: {e}"),
        }
    }
}
