//! Overview (Core's `OverviewPage`): balances, recent transactions, sync status.

use crate::views::ViewCtx;

/// Draws the overview.
pub fn show(ui: &mut egui::Ui, view: &ViewCtx<'_>) {
    let snap = view.snap;
    ui.heading("Overview");
    if let Some(status) = &snap.node {
        if status.initial_block_download || status.verification_progress < 0.9999 {
            ui.colored_label(
                egui::Color32::from_rgb(200, 120, 0),
                "(out of sync) The displayed information may be out of date.",
            );
        }
    }
    let Some(wallet) = &snap.wallet else {
        ui.label(if snap.wallets_enabled {
            "No wallet is loaded. Create or open one in the Wallets view."
        } else {
            "The node runs without wallets."
        });
        return;
    };
    if let Some((title, percent)) = &snap.wallet_progress {
        super::wallet_progress(ui, title, *percent);
    }
    let b = wallet.info.balances;
    ui.add_space(8.0);
    ui.label(egui::RichText::new(format!("Wallet {}", wallet.info.name)).strong());
    egui::Grid::new("balances").num_columns(2).show(ui, |ui| {
        let row = |ui: &mut egui::Ui, name: &str, sats: i64| {
            ui.label(name);
            ui.label(view.unit.format(sats));
            ui.end_row();
        };
        row(ui, "Available:", b.trusted);
        row(ui, "Pending:", b.untrusted_pending);
        row(ui, "Immature:", b.immature);
        ui.separator();
        ui.end_row();
        row(ui, "Total:", b.trusted + b.untrusted_pending + b.immature);
    });
    ui.add_space(12.0);
    ui.label(egui::RichText::new("Recent transactions").strong());
    egui::Grid::new("recent")
        .num_columns(4)
        .striped(true)
        .show(ui, |ui| {
            for tx in wallet.transactions.iter().take(8) {
                ui.label(super::format_time(tx.time));
                ui.label(tx.kind);
                let color = if tx.amount < 0 {
                    egui::Color32::from_rgb(200, 0, 0)
                } else {
                    ui.visuals().text_color()
                };
                ui.colored_label(color, view.unit.format(tx.amount));
                ui.label(if tx.confirmations > 0 {
                    format!("{} conf.", tx.confirmations)
                } else {
                    "unconfirmed".into()
                });
                ui.end_row();
            }
        });
}
