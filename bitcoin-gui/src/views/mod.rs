//! The views, modelled on Bitcoin Core's Qt GUI (`src/qt/`): each draws from a snapshot and
//! sends commands; none calls IPC.

pub mod node;
pub mod overview;
pub mod qr;
pub mod receive;
pub mod send;
pub mod transactions;
pub mod wallets;

use crate::model::{ConnectionState, HeaderSync, Model, Snapshot};
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
    if let Some(sync) = snap.header_sync(unix_now()) {
        ui.separator();
        header_sync_bar(ui, &sync);
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

/// Header synchronization as a progress bar.
pub fn header_sync_bar(ui: &mut egui::Ui, sync: &HeaderSync) {
    ui.add(
        egui::ProgressBar::new(sync.fraction as f32)
            .desired_width(200.0)
            .text(sync.label()),
    );
}

/// Seconds since the epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
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
    use egui_kittest::kittest::Queryable;
    use egui_kittest::Harness;
    use interfaces::NodeStatus;

    use super::*;
    use crate::model::HeaderSync;

    fn status_line_of(snap: Snapshot) -> Harness<'static> {
        Harness::new_ui(move |ui| {
            ui.horizontal(|ui| status_line(ui, &snap));
        })
    }

    #[test]
    fn the_status_line_shows_a_rescan_and_header_sync() {
        let now = unix_now();
        let snap = Snapshot {
            node: Some(NodeStatus {
                block_count: 10,
                header_tip_height: 40,
                header_tip_time: now - 120 * 600,
                ..NodeStatus::default()
            }),
            wallet_progress: Some(("Rescanning… (w)".into(), 40)),
            ..Snapshot::default()
        };
        let harness = status_line_of(snap);
        harness.get_by_label("Rescanning… (w) 40%");
        // 40 known, 120 estimated to come.
        harness.get_by_label("Syncing Headers (25.0%)…");
        harness.get_by_label("Height 10");
    }

    #[test]
    fn nothing_runs_nothing_shows() {
        let now = unix_now();
        let snap = Snapshot {
            node: Some(NodeStatus {
                block_count: 40,
                header_tip_height: 40,
                header_tip_time: now - 3 * 600,
                verification_progress: 1.0,
                ..NodeStatus::default()
            }),
            ..Snapshot::default()
        };
        let harness = status_line_of(snap);
        assert!(harness.query_by_label_contains("Headers").is_none());
        assert!(harness.query_by_label_contains("%").is_none());
    }

    #[test]
    fn header_sync_is_estimated_like_core() {
        let now = 1_800_000_000;
        // Within 24 blocks of the clock: synced.
        assert_eq!(HeaderSync::estimate(100, now - 24 * 600, false, now), None);
        let sync = HeaderSync::estimate(100, now - 300 * 600, false, now).expect("behind");
        assert!((sync.fraction - 0.25).abs() < 1e-9);
        assert_eq!(sync.label(), "Syncing Headers (25.0%)…");
        let presync = HeaderSync::estimate(300, now - 100 * 600, true, now).expect("behind");
        assert_eq!(presync.label(), "Pre-syncing Headers (75.0%)…");
        // A clock behind the header is no reason to panic.
        assert_eq!(HeaderSync::estimate(5, now + 1000, false, now), None);
    }

    #[test]
    fn formats_times_in_utc() {
        assert_eq!(super::format_time(0), "1970-01-01 00:00");
        assert_eq!(super::format_time(1_296_688_602), "2011-02-02 23:16");
    }
}
