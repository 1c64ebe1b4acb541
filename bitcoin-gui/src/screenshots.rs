//! `-screenshots=<dir>`: shows each view (and each page of the node window) in turn, saves
//! the frame with eframe's screenshot viewport command as `<dir>/<shot>.png`, then closes the
//! window.

use std::path::PathBuf;

use crate::model::Snapshot;
use crate::views::node::Page;
use crate::views::Tab;

/// What one screenshot shows: a view, and the node window's page when it is that view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shot {
    /// The file name, without `.png`.
    pub name: &'static str,
    /// The view.
    pub tab: Tab,
    /// The node window's page.
    pub page: Page,
}

/// Every view, then the node window's other pages.
const SHOTS: [Shot; 9] = [
    shot("overview", Tab::Overview, Page::Information),
    shot("send", Tab::Send, Page::Information),
    shot("receive", Tab::Receive, Page::Information),
    shot("transactions", Tab::Transactions, Page::Information),
    shot("node", Tab::Node, Page::Information),
    shot("peers", Tab::Node, Page::Peers),
    shot("traffic", Tab::Node, Page::Traffic),
    shot("console", Tab::Node, Page::Console),
    shot("wallets", Tab::Wallets, Page::Information),
];

const fn shot(name: &'static str, tab: Tab, page: Page) -> Shot {
    Shot { name, tab, page }
}

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

    /// Called every frame: returns what to show, handles the screenshot events.
    pub fn frame(&mut self, ctx: &egui::Context, snap: &Snapshot) -> Option<Shot> {
        ctx.request_repaint();
        let shot = *SHOTS.get(self.index)?;
        let image = ctx.input(|i| {
            i.raw.events.iter().find_map(|e| match e {
                egui::Event::Screenshot { image, .. } => Some(image.clone()),
                _ => None,
            })
        });
        if let Some(image) = image {
            self.save(shot, &image);
            self.index += 1;
            self.frames = 0;
            self.requested = false;
            if self.index == SHOTS.len() {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            return SHOTS.get(self.index).copied();
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
        Some(shot)
    }

    fn save(&self, shot: Shot, image: &egui::ColorImage) {
        let path = self.dir.join(format!("{}.png", shot.name));
        let [w, h] = image.size;
        let bytes: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
        let result = image::save_buffer(&path, &bytes, w as u32, h as u32, image::ColorType::Rgba8);
        match result {
            Ok(()) => tracing::info!(path = %path.display(), "saved screenshot"),
            Err(e) => tracing::error!(path = %path.display(), "cannot save screenshot: {e}"),
        }
    }
}
