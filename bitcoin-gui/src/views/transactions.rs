//! Transactions (Core's `TransactionView`): a sortable, filterable table, the details of the
//! selected transaction, and "bump fee" for an unconfirmed replaceable send.

use crate::model::{Command, TxRow};
use crate::views::ViewCtx;

/// A column to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// Time.
    #[default]
    Date,
    /// Kind.
    Type,
    /// Net amount.
    Amount,
    /// Confirmations.
    Confirmations,
}

/// The Transactions view's state.
#[derive(Debug, Clone, Default)]
pub struct TransactionsView {
    /// Text filter (txid, address or type).
    pub filter: String,
    /// Kind filter ("" for all).
    pub kind: &'static str,
    /// Sort column.
    pub sort: SortBy,
    /// Ascending order.
    pub ascending: bool,
    /// Txid of the selected row.
    pub selected: Option<String>,
    /// A bump in flight or done.
    pub pending: Option<u64>,
}

impl TransactionsView {
    /// The rows shown, filtered and sorted.
    pub fn rows<'a>(&self, all: &'a [TxRow]) -> Vec<&'a TxRow> {
        let needle = self.filter.trim().to_lowercase();
        let mut rows: Vec<&TxRow> = all
            .iter()
            .filter(|r| self.kind.is_empty() || r.kind == self.kind)
            .filter(|r| {
                needle.is_empty()
                    || r.txid.contains(&needle)
                    || r.kind.to_lowercase().contains(&needle)
                    || r.addresses
                        .iter()
                        .any(|a| a.to_lowercase().contains(&needle))
            })
            .collect();
        rows.sort_by(|a, b| {
            let order = match self.sort {
                // Chain order (unconfirmed last), then time: regtest block times run ahead
                // of the clock, so time alone misorders fresh transactions.
                SortBy::Date => (a.height.unwrap_or(i32::MAX), a.time)
                    .cmp(&(b.height.unwrap_or(i32::MAX), b.time)),
                SortBy::Type => a.kind.cmp(b.kind),
                SortBy::Amount => a.amount.cmp(&b.amount),
                SortBy::Confirmations => a.confirmations.cmp(&b.confirmations),
            };
            if self.ascending {
                order
            } else {
                order.reverse()
            }
        });
        rows
    }

    /// Draws the view.
    pub fn show(&mut self, ui: &mut egui::Ui, view: &ViewCtx<'_>) {
        ui.heading("Transactions");
        let Some(wallet) = &view.snap.wallet else {
            ui.label("Open a wallet to see its transactions.");
            return;
        };
        ui.horizontal(|ui| {
            egui::ComboBox::from_id_salt("kind")
                .selected_text(if self.kind.is_empty() {
                    "All"
                } else {
                    self.kind
                })
                .show_ui(ui, |ui| {
                    for kind in ["", "Received", "Sent", "Payment to yourself", "Mined"] {
                        let text = if kind.is_empty() { "All" } else { kind };
                        ui.selectable_value(&mut self.kind, kind, text);
                    }
                });
            let l = ui.label("Search:");
            ui.add(
                egui::TextEdit::singleline(&mut self.filter)
                    .hint_text("Enter address, transaction id, or type to search"),
            )
            .labelled_by(l.id);
        });
        let rows = self.rows(&wallet.transactions);
        // Room below the table for the details of a selection and its fee bump button.
        let details = if self.selected.is_some() { 330.0 } else { 60.0 };
        let height = (ui.available_height() - details).max(120.0);
        egui::ScrollArea::vertical()
            .max_height(height)
            .show(ui, |ui| self.table(ui, &rows, view));
        ui.separator();
        let selected = self
            .selected
            .as_ref()
            .and_then(|txid| wallet.transactions.iter().find(|r| &r.txid == txid));
        if let Some(row) = selected {
            self.details(ui, row, view);
        }
        super::outcome_line(ui, view.snap, self.pending);
    }

    fn header(&mut self, ui: &mut egui::Ui, title: &str, column: SortBy) {
        let arrow = match (self.sort == column, self.ascending) {
            (true, true) => " ⏶",
            (true, false) => " ⏷",
            _ => "",
        };
        if ui.button(format!("{title}{arrow}")).clicked() {
            self.ascending = self.sort == column && !self.ascending;
            self.sort = column;
        }
    }

    fn table(&mut self, ui: &mut egui::Ui, rows: &[&TxRow], view: &ViewCtx<'_>) {
        egui::Grid::new("txs")
            .num_columns(5)
            .striped(true)
            .show(ui, |ui| {
                self.header(ui, "Date", SortBy::Date);
                self.header(ui, "Type", SortBy::Type);
                ui.label(egui::RichText::new("Address").strong());
                self.header(ui, "Amount", SortBy::Amount);
                self.header(ui, "Confirmations", SortBy::Confirmations);
                ui.end_row();
                for row in rows {
                    let chosen = self.selected.as_deref() == Some(row.txid.as_str());
                    if ui
                        .selectable_label(chosen, super::format_time(row.time))
                        .clicked()
                    {
                        self.selected = Some(row.txid.clone());
                    }
                    ui.label(row.kind);
                    ui.label(row.addresses.first().map_or("", String::as_str));
                    ui.label(view.unit.format(row.amount));
                    ui.label(if row.confirmations > 0 {
                        row.confirmations.to_string()
                    } else {
                        "unconfirmed".into()
                    });
                    ui.end_row();
                }
            });
    }

    fn details(&mut self, ui: &mut egui::Ui, row: &TxRow, view: &ViewCtx<'_>) {
        ui.label(egui::RichText::new("Transaction details").strong());
        egui::Grid::new("tx-details").num_columns(2).show(ui, |ui| {
            let mut line = |name: &str, value: String| {
                ui.label(name);
                ui.label(value);
                ui.end_row();
            };
            line("Transaction ID:", row.txid.clone());
            line(
                "Status:",
                match row.confirmations {
                    c if c > 0 => format!("{c} confirmations"),
                    0 => "0/unconfirmed, in memory pool".into(),
                    _ => "conflicted".into(),
                },
            );
            line("Date:", super::format_time(row.time));
            line("Net amount:", view.unit.format(row.amount));
            if let Some(fee) = row.fee {
                line("Transaction fee:", view.unit.format(fee));
            }
            if let Some(height) = row.height {
                line("Block height:", height.to_string());
            }
            line("Virtual size:", format!("{} vB", row.vsize));
            line(
                "Replaceable:",
                if row.replaceable { "yes" } else { "no" }.into(),
            );
            line("Outputs to:", row.addresses.join("\n"));
        });
        if row.can_bump() && ui.button("Increase transaction fee").clicked() {
            self.pending = Some(view.model.send(Command::BumpFee(row.txid.clone())));
        }
    }
}
