//! The node window (Core's `RPCConsole`): information, the node's peers, the network traffic
//! graph, and the RPC console with history and method-name completion.

use crate::model::{Command, PeerRow, Snapshot, TrafficSample};
use crate::views::ViewCtx;

/// The node window's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Page {
    /// Information.
    #[default]
    Information,
    /// Peers.
    Peers,
    /// Network traffic.
    Traffic,
    /// RPC console.
    Console,
}

/// The node window's state.
#[derive(Debug, Clone, Default)]
pub struct NodeView {
    /// The page shown.
    pub page: Page,
    /// The console's input line.
    pub input: String,
    /// Commands entered, oldest first.
    pub history: Vec<String>,
    /// Position while browsing the history with the arrow keys.
    pub history_pos: Option<usize>,
}

impl NodeView {
    /// Draws the view.
    pub fn show(&mut self, ui: &mut egui::Ui, view: &ViewCtx<'_>) {
        ui.heading("Node window");
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.page, Page::Information, "Information");
            ui.selectable_value(&mut self.page, Page::Peers, "Peers");
            ui.selectable_value(&mut self.page, Page::Traffic, "Network Traffic");
            ui.selectable_value(&mut self.page, Page::Console, "Console");
        });
        ui.separator();
        match self.page {
            Page::Information => information(ui, view),
            Page::Peers => peers(ui, &view.snap.peers),
            Page::Traffic => traffic(ui, &view.snap.traffic),
            Page::Console => self.console(ui, view),
        }
    }

    fn console(&mut self, ui: &mut egui::Ui, view: &ViewCtx<'_>) {
        let height = (ui.available_height() - 60.0).max(100.0);
        egui::ScrollArea::vertical()
            .max_height(height)
            .stick_to_bottom(true)
            .show(ui, |ui| {
                for entry in &view.snap.console {
                    ui.label(egui::RichText::new(format!("> {}", entry.command)).strong());
                    match &entry.reply {
                        Ok(text) => ui.monospace(text),
                        Err(e) => ui.colored_label(egui::Color32::from_rgb(200, 0, 0), e),
                    };
                }
            });
        let input = ui.add(
            egui::TextEdit::singleline(&mut self.input)
                .hint_text("Enter a command (Tab completes, ↑/↓ history)")
                .desired_width(f32::INFINITY)
                .lock_focus(true),
        );
        if input.has_focus() {
            self.keys(ui, &view.snap.rpc_methods);
        }
        let suggestions = completions(&self.input, &view.snap.rpc_methods);
        if !suggestions.is_empty() && suggestions.len() < 12 && !self.input.contains(' ') {
            ui.label(suggestions.join("  "));
        }
        if input.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            self.submit(view);
            input.request_focus();
        }
    }

    /// Runs the input line.
    pub fn submit(&mut self, view: &ViewCtx<'_>) {
        let line = self.input.trim().to_string();
        if line.is_empty() {
            return;
        }
        view.model.send(Command::Rpc(line.clone()));
        self.history.push(line);
        self.history_pos = None;
        self.input.clear();
    }

    fn keys(&mut self, ui: &mut egui::Ui, methods: &[String]) {
        let (up, down, tab) = ui.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp),
                i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown),
                i.consume_key(egui::Modifiers::NONE, egui::Key::Tab),
            )
        });
        if up && !self.history.is_empty() {
            let pos = self
                .history_pos
                .map_or(self.history.len() - 1, |p| p.saturating_sub(1));
            self.history_pos = Some(pos);
            self.input = self.history[pos].clone();
        }
        if down {
            match self.history_pos {
                Some(p) if p + 1 < self.history.len() => {
                    self.history_pos = Some(p + 1);
                    self.input = self.history[p + 1].clone();
                }
                _ => {
                    self.history_pos = None;
                    self.input.clear();
                }
            }
        }
        if tab {
            self.input = complete(&self.input, methods);
        }
    }
}

/// Method names starting with the typed word.
pub fn completions(input: &str, methods: &[String]) -> Vec<String> {
    let word = input.trim_start();
    if word.is_empty() || word.contains(' ') {
        return Vec::new();
    }
    methods
        .iter()
        .filter(|m| m.starts_with(word))
        .cloned()
        .collect()
}

/// Completes the typed word to the longest common prefix of the matching method names.
pub fn complete(input: &str, methods: &[String]) -> String {
    let matches = completions(input, methods);
    let Some(first) = matches.first() else {
        return input.to_string();
    };
    let mut prefix = first.clone();
    for m in &matches[1..] {
        let common = prefix
            .chars()
            .zip(m.chars())
            .take_while(|(a, b)| a == b)
            .count();
        prefix.truncate(
            prefix
                .char_indices()
                .nth(common)
                .map_or(prefix.len(), |(i, _)| i),
        );
    }
    if matches.len() == 1 {
        prefix.push(' ');
    }
    prefix
}

fn information(ui: &mut egui::Ui, view: &ViewCtx<'_>) {
    let snap: &Snapshot = view.snap;
    egui::Grid::new("node-info")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            let mut line = |name: &str, value: String| {
                ui.label(name);
                ui.label(value);
                ui.end_row();
            };
            line("Network:", view.network.to_string());
            line(
                "Connection:",
                match &snap.connection {
                    crate::model::ConnectionState::Connected { description, .. } => {
                        description.clone()
                    }
                    other => format!("{other:?}"),
                },
            );
            let Some(status) = &snap.node else {
                line("Status:", "not connected".into());
                return;
            };
            line("Number of connections:", status.num_connections.to_string());
            line(
                "Network active:",
                if status.network_active { "yes" } else { "no" }.into(),
            );
            line("Current block height:", status.block_count.to_string());
            line(
                "Last block time:",
                super::format_time(status.last_block_time),
            );
            let header = snap.best_header().map_or(status.header_tip_height, |h| h.0);
            line("Header tip:", header.to_string());
            line(
                "Initial block download:",
                if status.initial_block_download {
                    "yes"
                } else {
                    "no"
                }
                .into(),
            );
            line("Memory pool transactions:", status.mempool_size.to_string());
            line(
                "Memory pool usage:",
                format!("{:.2} MB", status.mempool_usage as f64 / 1e6),
            );
            line("Received:", format!("{} bytes", status.total_bytes_recv));
            line("Sent:", format!("{} bytes", status.total_bytes_sent));
        });
    if let Some(sync) = snap.header_sync(crate::views::unix_now()) {
        super::header_sync_bar(ui, &sync);
    }
    if let Some(status) = &snap.node {
        ui.add(
            egui::ProgressBar::new(status.verification_progress as f32).text(format!(
                "Verification progress {:.2}%",
                status.verification_progress * 100.0
            )),
        );
    }
}

/// The peers table (Core's Peers tab: address, direction, type, transport, user agent, ping,
/// traffic, synced heights).
fn peers(ui: &mut egui::Ui, peers: &[PeerRow]) {
    if peers.is_empty() {
        ui.label("No peers connected.");
        return;
    }
    egui::ScrollArea::both().show(ui, |ui| {
        egui::Grid::new("node-peers")
            .num_columns(9)
            .striped(true)
            .show(ui, |ui| {
                for title in [
                    "Peer",
                    "Address",
                    "Direction",
                    "Type",
                    "Transport",
                    "User Agent",
                    "Ping",
                    "Sent",
                    "Received",
                ] {
                    ui.strong(title);
                }
                ui.end_row();
                for peer in peers {
                    ui.label(peer.id.to_string());
                    ui.label(&peer.address);
                    ui.label(if peer.inbound { "Inbound" } else { "Outbound" });
                    ui.label(&peer.connection_type);
                    ui.label(&peer.transport);
                    ui.label(&peer.user_agent);
                    ui.label(peer.ping_ms.map_or("-".into(), |ms| format!("{ms:.0} ms")));
                    ui.label(format!("{} B", peer.bytes_sent));
                    ui.label(format!("{} B", peer.bytes_recv));
                    ui.end_row();
                }
            });
    });
}

/// Draws received (green) and sent (red) bytes per second between samples.
fn traffic(ui: &mut egui::Ui, samples: &[TrafficSample]) {
    let size = egui::vec2(ui.available_width(), 240.0);
    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, egui::Color32::from_gray(20));
    let rates: Vec<(f64, f64, f64)> = samples
        .windows(2)
        .map(|w| {
            let dt = (w[1].at - w[0].at).max(0.001);
            let recv = w[1].recv.saturating_sub(w[0].recv) as f64 / dt;
            let sent = w[1].sent.saturating_sub(w[0].sent) as f64 / dt;
            (w[1].at, recv, sent)
        })
        .collect();
    let peak = rates.iter().map(|r| r.1.max(r.2)).fold(1.0, f64::max);
    let (Some(first), Some(last)) = (rates.first(), rates.last()) else {
        ui.label("Collecting traffic samples...");
        return;
    };
    let span = (last.0 - first.0).max(1.0);
    let point = |at: f64, value: f64| {
        egui::pos2(
            rect.left() + ((at - first.0) / span) as f32 * rect.width(),
            rect.bottom() - (value / peak) as f32 * (rect.height() - 10.0),
        )
    };
    let recv: Vec<egui::Pos2> = rates.iter().map(|r| point(r.0, r.1)).collect();
    let sent: Vec<egui::Pos2> = rates.iter().map(|r| point(r.0, r.2)).collect();
    painter.add(egui::Shape::line(
        recv,
        egui::Stroke::new(1.5, egui::Color32::GREEN),
    ));
    painter.add(egui::Shape::line(
        sent,
        egui::Stroke::new(1.5, egui::Color32::RED),
    ));
    ui.label(format!(
        "Received: {:.1} B/s (green)   Sent: {:.1} B/s (red)   peak {:.1} B/s",
        last.1, last.2, peak
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_method_names() {
        let methods: Vec<String> = ["getblock", "getblockcount", "getbalance", "stop"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(complete("getbl", &methods), "getblock");
        assert_eq!(complete("getblockc", &methods), "getblockcount ");
        assert_eq!(complete("x", &methods), "x");
        assert_eq!(completions("get", &methods).len(), 3);
    }
}
