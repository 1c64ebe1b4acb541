//! The window: a tab bar of Core's views, a status bar, and the view shown. Draws only from
//! the model's latest [`Snapshot`]; user actions go to the model thread as commands.

use std::sync::Arc;

use crate::model::{ConnectionState, Model, Snapshot};
use crate::screenshots::Shooter;
use crate::units::Unit;
use crate::views::{self, Tab, ViewCtx};

/// The GUI application.
pub struct GuiApp {
    model: Model,
    network: bitcoin::Network,
    repaint_hooked: bool,
    snap: Arc<Snapshot>,
    /// The view shown.
    pub tab: Tab,
    /// The display unit.
    pub unit: Unit,
    /// The Send view's state.
    pub send: views::send::SendView,
    /// The Receive view's state.
    pub receive: views::receive::ReceiveView,
    /// The Transactions view's state.
    pub transactions: views::transactions::TransactionsView,
    /// The node window's state.
    pub node: views::node::NodeView,
    /// The Wallets view's state.
    pub wallets: views::wallets::WalletsView,
    shooter: Option<Shooter>,
}

impl GuiApp {
    /// A window on `model` for `network`.
    pub fn new(model: Model, network: bitcoin::Network) -> GuiApp {
        let snap = model.snapshot();
        GuiApp {
            model,
            network,
            repaint_hooked: false,
            snap,
            tab: Tab::Overview,
            unit: Unit::Btc,
            send: Default::default(),
            receive: Default::default(),
            transactions: Default::default(),
            node: Default::default(),
            wallets: Default::default(),
            shooter: None,
        }
    }

    /// Saves a screenshot of every view into `dir`, then closes the window.
    pub fn with_screenshots(mut self, dir: std::path::PathBuf) -> GuiApp {
        self.shooter = Some(Shooter::new(dir));
        self
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The snapshot drawn by the last frame.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snap
    }

    /// Runs the RPC console's input line (what Enter does in the console).
    pub fn submit_console(&mut self) {
        let snap = self.snap.clone();
        let view = ViewCtx {
            snap: &snap,
            model: &self.model,
            network: self.network,
            unit: self.unit,
        };
        self.node.submit(&view);
    }

    /// Draws one frame.
    pub fn ui(&mut self, ctx: &egui::Context) {
        if !self.repaint_hooked {
            let ctx = ctx.clone();
            self.model.on_change(move || ctx.request_repaint());
            self.repaint_hooked = true;
        }
        self.snap = self.model.snapshot();
        if let Some(shooter) = &mut self.shooter {
            if let Some(shot) = shooter.frame(ctx, &self.snap) {
                self.node.page = shot.page;
                if shot.tab != self.tab {
                    self.tab = shot.tab;
                    self.stage(shot.tab);
                }
            }
        }
        self.top_bar(ctx);
        self.status_bar(ctx);
        let snap = self.snap.clone();
        let view = ViewCtx {
            snap: &snap,
            model: &self.model,
            network: self.network,
            unit: self.unit,
        };
        egui::CentralPanel::default().show(ctx, |ui| {
            if let ConnectionState::Starting = snap.connection {
                views::splash(ui, &snap);
                return;
            }
            match self.tab {
                Tab::Overview => views::overview::show(ui, &view),
                Tab::Send => self.send.show(ui, &view),
                Tab::Receive => self.receive.show(ui, &view),
                Tab::Transactions => self.transactions.show(ui, &view),
                Tab::Node => self.node.show(ui, &view),
                Tab::Wallets => self.wallets.show(ui, &view),
            }
        });
    }

    /// For `-screenshots`: gives a view something to show (a payment request, a selected
    /// transaction).
    fn stage(&mut self, tab: Tab) {
        match tab {
            Tab::Receive if self.receive.pending.is_none() => {
                self.receive.label = "Screenshot".into();
                self.receive.amount = "0.1".into();
                self.receive.pending = Some(self.model.send(crate::model::Command::NewAddress {
                    label: "Screenshot".into(),
                    amount: Some(10_000_000),
                    message: "Thanks!".into(),
                }));
            }
            Tab::Transactions => {
                let first = self
                    .snap
                    .wallet
                    .as_ref()
                    .and_then(|w| w.transactions.first());
                self.transactions.selected = first.map(|t| t.txid.clone());
            }
            _ => {}
        }
    }

    fn top_bar(&mut self, ctx: &egui::Context) {
        egui::TopBottomPanel::top("tabs").show(ctx, |ui| {
            ui.horizontal(|ui| {
                for tab in Tab::ALL {
                    if ui.selectable_label(self.tab == tab, tab.title()).clicked() {
                        self.tab = tab;
                    }
                }
                ui.separator();
                self.wallet_switcher(ui);
                egui::ComboBox::from_id_salt("unit")
                    .selected_text(self.unit.name())
                    .show_ui(ui, |ui| {
                        for unit in Unit::ALL {
                            ui.selectable_value(&mut self.unit, unit, unit.name());
                        }
                    });
            });
        });
    }

    fn wallet_switcher(&mut self, ui: &mut egui::Ui) {
        let snap = self.snap.clone();
        if snap.loaded_wallets.is_empty() {
            return;
        }
        let shown = snap.wallet_name().unwrap_or("(none)").to_string();
        ui.label("Wallet:");
        egui::ComboBox::from_id_salt("wallet")
            .selected_text(&shown)
            .show_ui(ui, |ui| {
                for name in &snap.loaded_wallets {
                    if ui.selectable_label(*name == shown, name).clicked() && *name != shown {
                        self.model
                            .send(crate::model::Command::SelectWallet(name.clone()));
                    }
                }
            });
    }

    fn status_bar(&mut self, ctx: &egui::Context) {
        let snap = self.snap.clone();
        egui::TopBottomPanel::bottom("status").show(ctx, |ui| {
            ui.horizontal(|ui| views::status_line(ui, &snap));
        });
    }
}

impl eframe::App for GuiApp {
    fn update(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.ui(ctx);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.model.close();
    }
}
