//! The views, modelled on Bitcoin Core's Qt GUI (`src/qt/`): each draws from a snapshot and
//! sends commands; none calls IPC.

pub mod node;
pub mod overview;
pub mod qr;
pub mod receive;
pub mod send;
pub mod transactions;
pub mod wallets;

use crate::model::{ConnectionState, Model, Snapshot};
use crate::units::Unit;

/// The views, as Core's GUI has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    /// Balances, recent transactions, sync status.
    #[default]
    Overview,
    /// Send coins.
    Send,
    /// Receive coins.
    Receive,
    /// The transaction table.
    Transactions,
    /// The node window (information, traffic, console).
    Node,
    /// Create, open, close, encrypt, unlock wallets.
    Wallets,
}

impl Tab {
    /// Every tab, in the order of the tab bar.
    pub const ALL: [Tab; 6] = [
        Tab::Overview,
        Tab::Send,
        Tab::Receive,
        Tab::Transactions,
        Tab::Node,
        Tab::Wallets,
    ];

    /// Its title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Send => "Send",
            Tab::Receive => "Receive",
            Tab::Transactions => "Transactions",
            Tab::Node => "Node",
            Tab::Wallets => "Wallets",
        }
    }
}

/// What every view gets to draw and to act.
pub struct ViewCtx<'a> {
    /// The state to show.
    pub snap: &'a Snapshot,
    /// Where to send commands.
    pub model: &'a Model,
    /// The node's network (address validation).
    pub network: bitcoin::Network,
    /// The display unit.
    pub unit: Unit,
}

/// The splash while the node starts: the startup stages done (ticked) and the one under
/// way, then the node's own init message if it sent one.
pub fn splash(ui: &mut egui::Ui, snap: &Snapshot) {
    ui.vertical_centered(|ui| {
        ui.add_space(80.0);
        ui.heading("Bitcoin");
        ui.add_space(20.0);
        let count = snap.init_stages.len();
        for (i, stage) in snap.init_stages.iter().enumerate() {
            if i + 1 < count {
                ui.label(format!("✔ {stage}"));
            } else {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(stage);
                });
            }
        }
        if snap.init_stages.last() != Some(&snap.init_message) {
            ui.spinner();
            ui.label(&snap.init_message);
        }
    });
}

/// The status bar: connection, sync progress, height, wallet lock.
pub fn status_line(ui: &mut egui::Ui, snap: &Snapshot) {
    match &snap.connection {
        ConnectionState::Starting => {
            ui.spinner();
            ui.label(&snap.init_message);
        }
        ConnectionState::Connected { description, .. } => {
            dot(ui, egui::Color32::from_rgb(0, 160, 0));
            ui.label("Connected").on_hover_text(description);
        }
        ConnectionState::Disconnected { reason, watching } => {
            dot(ui, egui::Color32::from_rgb(200, 0, 0));
            ui.colored_label(
                egui::Color32::from_rgb(200, 0, 0),
                "Disconnected from the node — waiting for it to come back",
            )
            .on_hover_text(format!("{reason}\nwatching {watching}"));
        }
        ConnectionState::Failed(reason) => {
            ui.colored_label(
                egui::Color32::from_rgb(200, 0, 0),
                format!("Node stopped: {reason}"),
            );
        }
    }
    if let Some(status) = &snap.node {
        ui.separator();
        ui.label(format!("Height {}", status.block_count));
        if status.initial_block_download || status.verification_progress < 0.9999 {
            ui.add(
                egui::ProgressBar::new(status.verification_progress as f32)
                    .desired_width(160.0)
                    .text(format!(
                        "Syncing {:.1}%",
                        status.verification_progress * 100.0
                    )),
            );
        }
        ui.label(format!("{} peers", status.num_connections));
    }
    if let Some((title, percent)) = &snap.progress {
        ui.separator();
        ui.add(
            egui::ProgressBar::new(*percent as f32 / 100.0)
                .desired_width(160.0)
                .text(format!("{title} {percent}%")),
        );
    }
    if let Some((title, percent)) = &snap.wallet_progress {
        ui.separator();
        wallet_progress(ui, title, *percent);
    }
    if let Some(wallet) = &snap.wallet {
        ui.separator();
        let lock = match (wallet.info.encrypted, wallet.is_locked()) {
            (false, _) => "not encrypted",
            (true, true) => "locked",
            (true, false) => "unlocked",
        };
        ui.label(format!("{} ({lock})", wallet.info.name));
    }
}

/// A wallet's long operation (a rescan) as a progress bar.
pub fn wallet_progress(ui: &mut egui::Ui, title: &str, percent: i32) {
    ui.add(
        egui::ProgressBar::new(percent as f32 / 100.0)
            .desired_width(200.0)
            .text(format!("{title} {percent}%")),
    );
}

/// A small filled circle (the connection light).
fn dot(ui: &mut egui::Ui, color: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 4.5, color);
}

/// A time as `YYYY-MM-DD HH:MM` (UTC).
pub fn format_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Shows the outcome of command `id` once it has one: a success line or an error.
pub fn outcome_line(ui: &mut egui::Ui, snap: &Snapshot, id: Option<u64>) {
    let Some(id) = id else {
        return;
    };
    match snap.outcome(id) {
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Working...");
            });
        }
        Some(Ok(text)) => {
            ui.colored_label(egui::Color32::from_rgb(0, 120, 0), text);
        }
        Some(Err(text)) => {
            ui.colored_label(egui::Color32::from_rgb(200, 0, 0), format!("Error: {text}"));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_times_in_utc() {
        assert_eq!(super::format_time(0), "1970-01-01 00:00");
        assert_eq!(super::format_time(1_296_688_602), "2011-02-02 23:16");
    }
}
