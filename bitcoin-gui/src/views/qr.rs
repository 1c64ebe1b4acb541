//! QR codes (Core's `QRImageWidget`), drawn square by square from the `qrcode` crate's matrix.

use qrcode::{Color, QrCode};

/// Draws the QR code of `text`, `size` points wide (with a quiet zone), or says why not.
pub fn show(ui: &mut egui::Ui, text: &str, size: f32) {
    let code = match QrCode::new(text.as_bytes()) {
        Ok(code) => code,
        Err(e) => {
            ui.label(format!("Cannot make a QR code: {e}"));
            return;
        }
    };
    let width = code.width();
    let colors = code.to_colors();
    let modules = width + 8;
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, egui::Color32::WHITE);
    let cell = size / modules as f32;
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (x, y) = ((i % width + 4) as f32, (i / width + 4) as f32);
        let min = rect.min + egui::vec2(x * cell, y * cell);
        painter.rect_filled(
            egui::Rect::from_min_size(min, egui::vec2(cell + 0.3, cell + 0.3)),
            0.0,
            egui::Color32::BLACK,
        );
    }
}
