//! Send (Core's `SendCoinsDialog`): pay to an address validated as typed for the node's
//! network, an amount in the chosen unit, a fee rate or confirmation target, subtract fee,
//! RBF; a confirmation dialog with the fee and the total, then the result.

use std::str::FromStr;

use interfaces::{Recipient, SendRequest};

use crate::model::Command;
use crate::views::ViewCtx;

/// Virtual size of a one-input, two-output P2WPKH transaction, for the rough fee shown when
/// the wallet gives no exact preview (the wallet computes the real fee).
const TYPICAL_VSIZE: i64 = 141;

/// How the fee is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FeeMode {
    /// Estimated to confirm within a number of blocks.
    #[default]
    Target,
    /// A fixed rate, sat/vB.
    Rate,
}

/// The Send view's state.
#[derive(Debug, Clone)]
pub struct SendView {
    /// Pay to.
    pub address: String,
    /// Amount as typed, in the display unit.
    pub amount: String,
    /// Target or rate.
    pub fee_mode: FeeMode,
    /// Confirmation target, blocks.
    pub conf_target: u32,
    /// Fee rate as typed, sat/vB.
    pub fee_rate: String,
    /// Take the fee from the amount.
    pub subtract_fee: bool,
    /// Signal replace-by-fee.
    pub replaceable: bool,
    /// The request waiting for confirmation.
    pub confirming: Option<SendRequest>,
    /// The send in flight or done.
    pub pending: Option<u64>,
    /// The wallet's passphrase, asked for in the confirmation dialog when it is locked.
    pub passphrase: String,
    /// The fee preview asked for when the dialog opened.
    pub preview: Option<u64>,
}

impl Default for SendView {
    fn default() -> Self {
        SendView {
            address: String::new(),
            amount: String::new(),
            fee_mode: FeeMode::Target,
            conf_target: 6,
            fee_rate: "1".into(),
            subtract_fee: false,
            replaceable: true,
            confirming: None,
            pending: None,
            passphrase: String::new(),
            preview: None,
        }
    }
}

impl SendView {
    /// Checks the address for `network`.
    pub fn address_error(&self, network: bitcoin::Network) -> Option<String> {
        let text = self.address.trim();
        if text.is_empty() {
            return Some("enter an address".into());
        }
        match bitcoin::Address::from_str(text) {
            Err(e) => Some(format!("invalid address: {e}")),
            Ok(a) if !a.is_valid_for_network(network) => {
                Some(format!("not an address for {network}"))
            }
            Ok(_) => None,
        }
    }

    /// The request the form describes, or what is wrong with it.
    pub fn request(&self, view: &ViewCtx<'_>) -> Result<SendRequest, String> {
        if let Some(e) = self.address_error(view.network) {
            return Err(e);
        }
        let amount = view.unit.parse(&self.amount).map_err(|e| e.to_string())?;
        let fee_per_kvb = match self.fee_mode {
            FeeMode::Target => None,
            FeeMode::Rate => {
                let rate: f64 = self
                    .fee_rate
                    .trim()
                    .parse()
                    .ok()
                    .filter(|r: &f64| r.is_finite() && *r >= 0.0)
                    .ok_or("enter a fee rate in sat/vB")?;
                Some((rate * 1000.0).round() as i64)
            }
        };
        Ok(SendRequest {
            recipients: vec![Recipient {
                address: self.address.trim().to_string(),
                amount,
                subtract_fee: self.subtract_fee,
            }],
            fee_per_kvb,
            conf_target: (self.fee_mode == FeeMode::Target).then_some(self.conf_target),
            replaceable: self.replaceable,
        })
    }

    /// Draws the view.
    pub fn show(&mut self, ui: &mut egui::Ui, view: &ViewCtx<'_>) {
        ui.heading("Send");
        if view.snap.wallet.is_none() {
            ui.label("Open a wallet to send.");
            return;
        }
        self.form(ui, view);
        ui.add_space(8.0);
        let request = self.request(view);
        ui.horizontal(|ui| {
            let send = ui.add_enabled(request.is_ok(), egui::Button::new("Send coins"));
            if send.clicked() {
                self.confirming = request.as_ref().ok().cloned();
                self.preview = self
                    .confirming
                    .clone()
                    .map(|r| view.model.send(Command::PreviewFee(r)));
            }
            if ui.button("Clear").clicked() {
                *self = SendView::default();
            }
        });
        if let Err(e) = &request {
            // The address's own error shows under the address.
            if !self.amount.is_empty() && self.address_error(view.network).is_none() {
                ui.colored_label(egui::Color32::from_rgb(200, 0, 0), e);
            }
        }
        super::outcome_line(ui, view.snap, self.pending);
        self.confirm_dialog(ui.ctx(), view);
    }

    fn form(&mut self, ui: &mut egui::Ui, view: &ViewCtx<'_>) {
        egui::Grid::new("send-form").num_columns(2).show(ui, |ui| {
            let label = ui.label("Pay To:");
            ui.add(
                egui::TextEdit::singleline(&mut self.address)
                    .hint_text("Enter a Bitcoin address")
                    .desired_width(420.0),
            )
            .labelled_by(label.id);
            ui.end_row();
            ui.label("");
            match self.address_error(view.network) {
                Some(e) if !self.address.is_empty() => {
                    ui.colored_label(egui::Color32::from_rgb(200, 0, 0), e)
                }
                _ => ui.label(""),
            };
            ui.end_row();
            let label = ui.label(format!("Amount ({}):", view.unit.name()));
            ui.add(egui::TextEdit::singleline(&mut self.amount).desired_width(160.0))
                .labelled_by(label.id);
            ui.end_row();
            ui.label("");
            ui.checkbox(&mut self.subtract_fee, "Subtract fee from amount");
            ui.end_row();
            ui.label("Transaction fee:");
            ui.horizontal(|ui| {
                ui.radio_value(&mut self.fee_mode, FeeMode::Target, "Confirmation target");
                ui.radio_value(&mut self.fee_mode, FeeMode::Rate, "Custom rate");
            });
            ui.end_row();
            ui.label("");
            match self.fee_mode {
                FeeMode::Target => {
                    ui.add(egui::Slider::new(&mut self.conf_target, 1..=1008).text("blocks"))
                }
                FeeMode::Rate => {
                    ui.horizontal(|ui| {
                        ui.add(egui::TextEdit::singleline(&mut self.fee_rate).desired_width(80.0));
                        ui.label("sat/vB");
                    })
                    .response
                }
            };
            ui.end_row();
            ui.label("");
            ui.checkbox(&mut self.replaceable, "Enable Replace-By-Fee");
            ui.end_row();
        });
    }

    fn confirm_dialog(&mut self, ctx: &egui::Context, view: &ViewCtx<'_>) {
        let Some(request) = self.confirming.clone() else {
            return;
        };
        let recipient = request.recipients.first().cloned().unwrap_or_default();
        let preview = self.preview.and_then(|id| match &view.snap.fee_preview {
            Some((got, result)) if *got == id => Some(result.clone()),
            _ => None,
        });
        let fee = request.fee_per_kvb.map(|kvb| kvb * TYPICAL_VSIZE / 1000);
        egui::Window::new("Confirm send coins")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                ui.label("Are you sure you want to send?");
                ui.label(format!(
                    "{} to {}",
                    view.unit.format(recipient.amount),
                    recipient.address
                ));
                match (&preview, fee) {
                    (Some(Ok(fee)), _) => {
                        ui.label(format!("Transaction fee: {}", view.unit.format(*fee)));
                        ui.label(format!(
                            "Total amount: {}",
                            view.unit.format(recipient.amount + fee)
                        ));
                    }
                    (None, _) if self.preview.is_some() && !recipient.subtract_fee => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label("Transaction fee: calculating...");
                        });
                    }
                    (_, Some(fee)) => {
                        ui.label(format!("Transaction fee: about {}", view.unit.format(fee)));
                        let total = if recipient.subtract_fee {
                            recipient.amount
                        } else {
                            recipient.amount + fee
                        };
                        ui.label(format!("Total amount: about {}", view.unit.format(total)));
                    }
                    (_, None) => {
                        ui.label(format!(
                            "Transaction fee: estimated by the wallet for {} blocks",
                            request.conf_target.unwrap_or(6)
                        ));
                        ui.label(format!(
                            "Total amount: {} plus the fee",
                            view.unit.format(recipient.amount)
                        ));
                    }
                }
                if let Some(Err(e)) = &preview {
                    if !recipient.subtract_fee {
                        ui.label(format!("(No exact fee: {e})"));
                    }
                }
                if recipient.subtract_fee {
                    ui.label("The fee will be deducted from the amount.");
                }
                if request.replaceable {
                    ui.label("This transaction signals replaceability (RBF).");
                }
                let locked = view.snap.wallet.as_ref().is_some_and(|w| w.is_locked());
                if locked {
                    ui.separator();
                    ui.label("This operation needs your wallet passphrase to unlock the wallet.");
                    ui.horizontal(|ui| {
                        let l = ui.label("Wallet passphrase:");
                        ui.add(egui::TextEdit::singleline(&mut self.passphrase).password(true))
                            .labelled_by(l.id);
                    });
                }
                ui.horizontal(|ui| {
                    let ready = !locked || !self.passphrase.is_empty();
                    if ui
                        .add_enabled(ready, egui::Button::new("Confirm"))
                        .clicked()
                    {
                        let command = if locked {
                            Command::SendUnlocked {
                                request: request.clone(),
                                passphrase: std::mem::take(&mut self.passphrase),
                            }
                        } else {
                            Command::Send(request.clone())
                        };
                        self.pending = Some(view.model.send(command));
                        self.confirming = None;
                    }
                    if ui.button("Cancel").clicked() {
                        self.confirming = None;
                        self.passphrase.clear();
                    }
                });
            });
    }
}
