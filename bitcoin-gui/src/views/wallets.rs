//! Wallets (Core's `CreateWalletDialog`, "Open Wallet", "Close Wallet", `AskPassphraseDialog`):
//! create with an optional passphrase, open, close, switch, encrypt, unlock and lock.

use crate::model::Command;
use crate::views::ViewCtx;

/// The Wallets view's state.
#[derive(Debug, Clone, Default)]
pub struct WalletsView {
    /// Name of a new wallet.
    pub new_name: String,
    /// Passphrase of a new wallet (empty: not encrypted).
    pub new_passphrase: String,
    /// Passphrase to encrypt the wallet shown.
    pub encrypt_passphrase: String,
    /// Passphrase to unlock the wallet shown.
    pub unlock_passphrase: String,
    /// The current passphrase, to change it.
    pub old_passphrase: String,
    /// The new passphrase.
    pub new_passphrase_change: String,
    /// The last command sent from this view.
    pub pending: Option<u64>,
}

impl WalletsView {
    /// Draws the view.
    pub fn show(&mut self, ui: &mut egui::Ui, view: &ViewCtx<'_>) {
        ui.heading("Wallets");
        if !view.snap.wallets_enabled {
            ui.label("The node runs without wallets (-disablewallet).");
            return;
        }
        self.list(ui, view);
        ui.separator();
        ui.label(egui::RichText::new("Create wallet").strong());
        ui.horizontal(|ui| {
            let l = ui.label("Wallet name:");
            ui.text_edit_singleline(&mut self.new_name)
                .labelled_by(l.id);
            let l = ui.label("Passphrase (optional):");
            ui.add(egui::TextEdit::singleline(&mut self.new_passphrase).password(true))
                .labelled_by(l.id);
            let ok = !self.new_name.trim().is_empty();
            if ui.add_enabled(ok, egui::Button::new("Create")).clicked() {
                self.pending = Some(view.model.send(Command::CreateWallet {
                    name: self.new_name.trim().to_string(),
                    passphrase: std::mem::take(&mut self.new_passphrase),
                }));
            }
        });
        if let Some(wallet) = &view.snap.wallet {
            ui.separator();
            self.security(ui, view, wallet.info.encrypted);
        }
        super::outcome_line(ui, view.snap, self.pending);
    }

    fn list(&mut self, ui: &mut egui::Ui, view: &ViewCtx<'_>) {
        let snap = view.snap;
        egui::Grid::new("wallet-list")
            .num_columns(3)
            .striped(true)
            .show(ui, |ui| {
                let mut names: Vec<&String> = snap.wallet_dir.iter().collect();
                for loaded in &snap.loaded_wallets {
                    if !names.contains(&loaded) {
                        names.push(loaded);
                    }
                }
                for name in names {
                    let loaded = snap.loaded_wallets.contains(name);
                    let shown = snap.wallet_name() == Some(name.as_str());
                    let shown_name = if name.is_empty() {
                        "(default wallet)"
                    } else {
                        name
                    };
                    ui.label(if shown {
                        format!("▶ {shown_name}")
                    } else {
                        shown_name.to_string()
                    });
                    let command = if !loaded {
                        ui.button("Open")
                            .clicked()
                            .then(|| Command::LoadWallet(name.clone()))
                    } else if !shown {
                        ui.button("Switch")
                            .clicked()
                            .then(|| Command::SelectWallet(name.clone()))
                    } else {
                        ui.label("shown");
                        None
                    };
                    let close = loaded && ui.button("Close").clicked();
                    if let Some(command) = command {
                        self.pending = Some(view.model.send(command));
                    }
                    if close {
                        self.pending = Some(view.model.send(Command::UnloadWallet(name.clone())));
                    }
                    ui.end_row();
                }
            });
    }

    fn security(&mut self, ui: &mut egui::Ui, view: &ViewCtx<'_>, encrypted: bool) {
        if !encrypted {
            ui.horizontal(|ui| {
                let l = ui.label("Encrypt with passphrase:");
                ui.add(egui::TextEdit::singleline(&mut self.encrypt_passphrase).password(true))
                    .labelled_by(l.id);
                let ok = !self.encrypt_passphrase.is_empty();
                if ui
                    .add_enabled(ok, egui::Button::new("Encrypt Wallet"))
                    .clicked()
                {
                    let pass = std::mem::take(&mut self.encrypt_passphrase);
                    self.pending = Some(view.model.send(Command::Encrypt(pass)));
                }
            });
            return;
        }
        ui.horizontal(|ui| {
            let l = ui.label("Passphrase:");
            ui.add(egui::TextEdit::singleline(&mut self.unlock_passphrase).password(true))
                .labelled_by(l.id);
            if ui.button("Unlock for 5 minutes").clicked() {
                self.pending = Some(view.model.send(Command::Unlock {
                    passphrase: std::mem::take(&mut self.unlock_passphrase),
                    timeout: 300,
                }));
            }
            if ui.button("Lock").clicked() {
                self.pending = Some(view.model.send(Command::Lock));
            }
        });
        ui.horizontal(|ui| {
            let l = ui.label("Old passphrase:");
            ui.add(egui::TextEdit::singleline(&mut self.old_passphrase).password(true))
                .labelled_by(l.id);
            let l = ui.label("New passphrase:");
            ui.add(egui::TextEdit::singleline(&mut self.new_passphrase_change).password(true))
                .labelled_by(l.id);
            let ok = !self.old_passphrase.is_empty() && !self.new_passphrase_change.is_empty();
            if ui
                .add_enabled(ok, egui::Button::new("Change Passphrase"))
                .clicked()
            {
                self.pending = Some(view.model.send(Command::ChangePassphrase {
                    old: std::mem::take(&mut self.old_passphrase),
                    new: std::mem::take(&mut self.new_passphrase_change),
                }));
            }
        });
    }
}
