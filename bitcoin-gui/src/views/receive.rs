//! Receive (Core's `ReceiveCoinsDialog` and `ReceiveRequestDialog`): a new address with a
//! label, amount and message, its BIP21 URI and QR code, copy buttons, and the requests made.

use crate::model::{Command, ReceiveRequest};
use crate::views::ViewCtx;

/// The Receive view's state.
#[derive(Debug, Clone, Default)]
pub struct ReceiveView {
    /// Label of the new address.
    pub label: String,
    /// Requested amount as typed (optional).
    pub amount: String,
    /// Message for the payer.
    pub message: String,
    /// The request in flight or shown.
    pub pending: Option<u64>,
}

impl ReceiveView {
    /// Draws the view.
    pub fn show(&mut self, ui: &mut egui::Ui, view: &ViewCtx<'_>) {
        ui.heading("Receive");
        if view.snap.wallet.is_none() {
            ui.label("Open a wallet to receive.");
            return;
        }
        let amount = if self.amount.trim().is_empty() {
            Ok(None)
        } else {
            view.unit.parse(&self.amount).map(Some)
        };
        egui::Grid::new("receive-form")
            .num_columns(2)
            .show(ui, |ui| {
                let l = ui.label("Label:");
                ui.text_edit_singleline(&mut self.label).labelled_by(l.id);
                ui.end_row();
                let l = ui.label(format!("Amount ({}):", view.unit.name()));
                ui.text_edit_singleline(&mut self.amount).labelled_by(l.id);
                ui.end_row();
                let l = ui.label("Message:");
                ui.text_edit_singleline(&mut self.message).labelled_by(l.id);
                ui.end_row();
            });
        if let Err(e) = &amount {
            ui.colored_label(egui::Color32::from_rgb(200, 0, 0), e.to_string());
        }
        let create = ui.add_enabled(
            amount.is_ok(),
            egui::Button::new("Create new receiving address"),
        );
        if create.clicked() {
            self.pending = Some(view.model.send(Command::NewAddress {
                label: self.label.clone(),
                amount: amount.ok().flatten(),
                message: self.message.clone(),
            }));
        }
        super::outcome_line(ui, view.snap, self.pending);
        let current = self
            .pending
            .and_then(|id| view.snap.outcome(id))
            .and_then(|r| r.as_ref().ok())
            .and_then(|address| {
                view.snap
                    .receive_requests
                    .iter()
                    .find(|r| &r.address == address)
            });
        if let Some(request) = current {
            ui.separator();
            request_details(ui, request, view);
        }
        ui.separator();
        history(ui, view);
    }
}

fn request_details(ui: &mut egui::Ui, request: &ReceiveRequest, view: &ViewCtx<'_>) {
    let uri = request.uri();
    ui.horizontal(|ui| {
        super::qr::show(ui, &uri, 200.0);
        ui.vertical(|ui| {
            ui.label(egui::RichText::new("Payment information").strong());
            ui.label(format!("Address: {}", request.address));
            if let Some(sats) = request.amount {
                ui.label(format!("Amount: {}", view.unit.format(sats)));
            }
            if !request.label.is_empty() {
                ui.label(format!("Label: {}", request.label));
            }
            if !request.message.is_empty() {
                ui.label(format!("Message: {}", request.message));
            }
            ui.label(format!("URI: {uri}"));
            ui.horizontal(|ui| {
                if ui.button("Copy URI").clicked() {
                    ui.ctx().copy_text(uri.clone());
                }
                if ui.button("Copy Address").clicked() {
                    ui.ctx().copy_text(request.address.clone());
                }
            });
        });
    });
}

fn history(ui: &mut egui::Ui, view: &ViewCtx<'_>) {
    ui.label(egui::RichText::new("Requested payments history").strong());
    egui::ScrollArea::vertical().show(ui, |ui| {
        egui::Grid::new("requests")
            .num_columns(4)
            .striped(true)
            .show(ui, |ui| {
                for header in ["Date", "Label", "Address", "Amount"] {
                    ui.label(egui::RichText::new(header).strong());
                }
                ui.end_row();
                for request in &view.snap.receive_requests {
                    ui.label(super::format_time(request.time));
                    ui.label(&request.label);
                    ui.label(&request.address);
                    ui.label(
                        request
                            .amount
                            .map_or_else(String::new, |a| view.unit.format(a)),
                    );
                    ui.end_row();
                }
            });
    });
}
