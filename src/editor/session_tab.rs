//! The session tab: every Track Labeler in the process, grouped by label group, with copy (text)
//! and export (JSON for DAW scripts such as `tools/reaper/colour_tracks.lua`).

use egui::{RichText, Sense, Vec2};

use super::{MUTED, card, cell, display_name};
use crate::session::{self, SessionTrack};

pub struct SessionTab {
    export_path: String,
    message: String,
}

impl Default for SessionTab {
    fn default() -> Self {
        let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"));
        let export_path = home
            .map(|h| std::path::PathBuf::from(h).join("track-labeler-session.json"))
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "track-labeler-session.json".to_owned());
        Self {
            export_path,
            message: String::new(),
        }
    }
}

impl SessionTab {
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        // Other instances change on their own clocks: refresh at a modest rate while shown.
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(500));
        let tracks = session::tracks();
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("{} tracks in this session", tracks.len())).strong());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("Export JSON").clicked() {
                    self.message =
                        match std::fs::write(&self.export_path, session::as_json(&tracks)) {
                            Ok(()) => format!("Wrote {}", self.export_path),
                            Err(error) => format!("Could not write {}: {error}", self.export_path),
                        };
                }
                ui.add(egui::TextEdit::singleline(&mut self.export_path).desired_width(240.0));
                if ui.button("Copy").clicked() {
                    ui.ctx().copy_text(session::as_text(&tracks));
                    self.message = "Copied the grouping to the clipboard".to_owned();
                }
            });
        });
        if !self.message.is_empty() {
            ui.label(RichText::new(&self.message).color(MUTED));
        }
        ui.add_space(6.0);
        egui::ScrollArea::vertical().show(ui, |ui| {
            for (group, members) in session::grouped(&tracks) {
                card(ui, |ui| {
                    ui.label(RichText::new(group).strong().size(15.0));
                    egui::Grid::new(group)
                        .num_columns(4)
                        .spacing([14.0, 4.0])
                        .show(ui, |ui| {
                            for track in members {
                                row(ui, track);
                                ui.end_row();
                            }
                        });
                });
                ui.add_space(6.0);
            }
        });
    }
}

fn row(ui: &mut egui::Ui, track: &SessionTrack) {
    let (rect, _) = ui.allocate_exact_size(Vec2::new(14.0, 14.0), Sense::hover());
    let [r, g, b] = track.rgb();
    ui.painter()
        .rect_filled(rect, 3, egui::Color32::from_rgb(r, g, b));
    cell(ui, 200.0, &track.name);
    cell(
        ui,
        130.0,
        track.label.as_deref().map_or("—".to_owned(), display_name),
    );
    let mut note = format!("{:.0}%", track.confidence * 100.0);
    if track.uncertain {
        note.push_str(" · uncertain");
    }
    if track.idle {
        note.push_str(" · idle");
    }
    ui.label(RichText::new(note).color(MUTED));
}
