//! The track tab: label, confidence, runners-up, history, settings, pinning and teaching on the
//! left; the live map on the right.

use egui::{Color32, RichText, Sense, Vec2};
use nice_plug::prelude::*;
use nice_plug_egui::widgets::ParamSlider;

use super::map_view::MapView;
use super::{MUTED, card, cell, display_name, label_colour};
use crate::labels::Class;
use crate::params::TrackLabelerParams;
use crate::service::{Activity, HISTORY_LEN, TrackShared};

#[derive(Default)]
pub struct TrackTab {
    map: MapView,
    teach_label: Option<String>,
    teach_to_library: bool,
    reference_path: String,
    message: String,
}

impl TrackTab {
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        shared: &TrackShared,
        params: &TrackLabelerParams,
        setter: &ParamSetter,
    ) {
        egui::Panel::left("track-details")
            .exact_size(330.0)
            .frame(egui::Frame::new().inner_margin(egui::Margin {
                right: 12,
                ..Default::default()
            }))
            .show_separator_line(false)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    label_card(ui, shared, params);
                    ui.add_space(8.0);
                    history_card(ui, shared);
                    ui.add_space(8.0);
                    settings_card(ui, params, setter);
                    ui.add_space(8.0);
                    self.teach_card(ui, shared);
                });
            });
        egui::CentralPanel::default()
            .frame(egui::Frame::new())
            .show(ui, |ui| self.map.ui(ui, shared));
    }

    fn teach_card(&mut self, ui: &mut egui::Ui, shared: &TrackShared) {
        let labels = shared.live().labels.clone();
        let (pinned, typed_name, reference_set) = shared
            .track
            .read(|s| (s.pinned.clone(), s.name.clone(), s.reference_set.clone()));
        card(ui, |ui| {
            ui.label(RichText::new("This track").strong());
            ui.horizontal(|ui| {
                ui.label("Pin");
                let shown = pinned
                    .as_deref()
                    .map_or("Automatic".to_owned(), display_name);
                egui::ComboBox::from_id_salt("pin")
                    .selected_text(shown)
                    .width(170.0)
                    .show_ui(ui, |ui| {
                        if ui.selectable_label(pinned.is_none(), "Automatic").clicked() {
                            shared.pin(None);
                        }
                        for label in &labels {
                            let selected = pinned.as_deref() == Some(label);
                            if ui.selectable_label(selected, display_name(label)).clicked() {
                                shared.pin(Some(label.clone()));
                            }
                        }
                    });
            });
            let host_named = shared
                .host_track
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
                .is_some_and(|h| !h.name.is_empty());
            if !host_named {
                ui.horizontal(|ui| {
                    ui.label("Name");
                    let mut name = typed_name;
                    let edit = egui::TextEdit::singleline(&mut name)
                        .hint_text(format!("Track {}", shared.number))
                        .desired_width(200.0);
                    if ui.add(edit).changed() {
                        shared.track.update(|s| s.name = name);
                    }
                });
            }
            ui.separator();
            ui.label(RichText::new("Teach it").strong());
            let chosen = self.teach_label.clone().unwrap_or_else(|| {
                shared
                    .track
                    .read(|s| s.label.as_ref().map(|l| l.label.clone()))
                    .unwrap_or_default()
            });
            ui.horizontal(|ui| {
                ui.label("This track is");
                egui::ComboBox::from_id_salt("teach")
                    .selected_text(display_name(&chosen))
                    .width(150.0)
                    .show_ui(ui, |ui| {
                        for label in &labels {
                            if ui
                                .selectable_label(*label == chosen, display_name(label))
                                .clicked()
                            {
                                self.teach_label = Some(label.clone());
                            }
                        }
                    });
            });
            ui.horizontal(|ui| {
                ui.checkbox(&mut self.teach_to_library, "for all my sessions");
                let button = egui::Button::new("Teach");
                if ui.add_enabled(!chosen.is_empty(), button).clicked() {
                    self.message = if shared.teach(&chosen, self.teach_to_library) {
                        let taught = shared.track.read(|s| s.taught.len());
                        format!("Learnt: {} ({taught} taught here)", display_name(&chosen))
                    } else {
                        "Play some audio first: there is nothing to learn from yet.".to_owned()
                    };
                }
            });
            ui.separator();
            ui.label(RichText::new("Reference set").strong());
            ui.horizontal(|ui| {
                if self.reference_path.is_empty() {
                    self.reference_path = reference_set.clone().unwrap_or_default();
                }
                ui.add(
                    egui::TextEdit::singleline(&mut self.reference_path)
                        .hint_text("built-in (or path to a .set file)")
                        .desired_width(190.0),
                );
                if ui.button("Use").clicked() {
                    let path = self.reference_path.trim().to_owned();
                    shared
                        .track
                        .update(|s| s.reference_set = (!path.is_empty()).then_some(path));
                }
                if reference_set.is_some() && ui.button("Built-in").clicked() {
                    self.reference_path.clear();
                    shared.track.update(|s| s.reference_set = None);
                }
            });
            if let Some(error) = shared.live().reference_error.clone() {
                ui.colored_label(Color32::from_rgb(0xe0, 0x8a, 0x3c), error);
            }
            if !self.message.is_empty() {
                ui.label(RichText::new(&self.message).color(MUTED));
            }
        });
    }
}

fn label_card(ui: &mut egui::Ui, shared: &TrackShared, params: &TrackLabelerParams) {
    let decision = shared.track.read(|s| s.label.clone());
    let pinned = shared.track.read(|s| s.pinned.is_some());
    let live = shared.live().clone();
    card(ui, |ui| {
        match &decision {
            Some(decision) => {
                let colour = label_colour(&decision.label);
                ui.label(
                    RichText::new(display_name(&decision.label))
                        .size(38.0)
                        .strong()
                        .color(colour),
                );
                let group =
                    Class::from_id(&decision.label).map_or("Your class", |c| c.group().name());
                ui.horizontal(|ui| {
                    ui.label(RichText::new(group).color(MUTED));
                    status_chips(ui, &live, pinned, params.hold.value());
                });
                ui.add_space(4.0);
                ui.add(
                    egui::ProgressBar::new(decision.confidence)
                        .fill(colour.gamma_multiply(0.8))
                        .desired_height(14.0)
                        .text(format!("{:.0}% confident", decision.confidence * 100.0)),
                );
                ui.add_space(6.0);
                for score in &decision.top {
                    ui.horizontal(|ui| {
                        let (rect, _) =
                            ui.allocate_exact_size(Vec2::new(10.0, 10.0), Sense::hover());
                        ui.painter()
                            .rect_filled(rect, 2, label_colour(&score.label));
                        cell(ui, 110.0, display_name(&score.label));
                        ui.add(
                            egui::ProgressBar::new(score.score)
                                .fill(label_colour(&score.label).gamma_multiply(0.6))
                                .desired_width(120.0)
                                .desired_height(8.0),
                        );
                        ui.label(
                            RichText::new(format!("{:.0}%", score.score * 100.0)).color(MUTED),
                        );
                    });
                }
            }
            None => {
                let waiting = match live.activity {
                    Activity::Waiting => "Waiting for audio",
                    _ => "Listening…",
                };
                ui.label(RichText::new(waiting).size(28.0).color(MUTED));
                ui.label(
                    RichText::new("Play the track: a label shows within a second.").color(MUTED),
                );
            }
        }
        let mut footer = format!("{} frames", live.frames);
        if let Some(seconds) = live.first_label_after_seconds {
            footer.push_str(&format!(" · first label after {seconds:.2} s"));
        }
        if live.dropped_seconds > 0.0 {
            footer.push_str(&format!(
                " · {:.1} s of audio dropped",
                live.dropped_seconds
            ));
        }
        ui.label(RichText::new(footer).size(11.0).color(MUTED));
    });
}

fn status_chips(ui: &mut egui::Ui, live: &crate::service::LiveStatus, pinned: bool, hold: bool) {
    let chip = |ui: &mut egui::Ui, text: &str, colour: Color32| {
        egui::Frame::new()
            .fill(colour.gamma_multiply(0.25))
            .corner_radius(4)
            .inner_margin(egui::Margin::symmetric(6, 1))
            .show(ui, |ui| {
                ui.label(RichText::new(text).size(11.0).color(colour))
            });
    };
    match live.activity {
        Activity::Listening => chip(ui, "LISTENING", Color32::from_rgb(0x4c, 0xc3, 0x6e)),
        Activity::Idle => chip(ui, "IDLE", MUTED),
        Activity::Waiting => chip(ui, "WAITING", MUTED),
    }
    if live.uncertain && !pinned {
        chip(ui, "UNCERTAIN", Color32::from_rgb(0xe8, 0xb3, 0x3a));
    }
    if pinned {
        chip(ui, "PINNED", Color32::from_rgb(0x6b, 0xa6, 0xf0));
    }
    if hold {
        chip(ui, "HOLD", Color32::from_rgb(0xd0, 0x7c, 0xe8));
    }
}

fn history_card(ui: &mut egui::Ui, shared: &TrackShared) {
    let history = shared.live().history.clone();
    card(ui, |ui| {
        ui.label(RichText::new("History").strong());
        let (rect, _) =
            ui.allocate_exact_size(Vec2::new(ui.available_width(), 20.0), Sense::hover());
        let painter = ui.painter();
        painter.rect_filled(rect, 3, Color32::from_gray(0x30));
        let cell = rect.width() / HISTORY_LEN as f32;
        let start = HISTORY_LEN - history.len();
        for (i, (label, confidence)) in history.iter().enumerate() {
            let x = rect.left() + (start + i) as f32 * cell;
            let cell_rect = egui::Rect::from_min_max(
                egui::pos2(x, rect.top()),
                egui::pos2(x + cell.max(1.0), rect.bottom()),
            );
            let alpha = 0.35 + 0.65 * confidence.clamp(0.0, 1.0);
            painter.rect_filled(cell_rect, 0, label_colour(label).gamma_multiply(alpha));
        }
        ui.label(
            RichText::new("last 30 s of decisions, newest on the right")
                .size(11.0)
                .color(MUTED),
        );
    });
}

fn settings_card(ui: &mut egui::Ui, params: &TrackLabelerParams, setter: &ParamSetter) {
    card(ui, |ui| {
        ui.label(RichText::new("Settings").strong());
        egui::Grid::new("settings")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                ui.label("Gate");
                ui.add(ParamSlider::for_param(&params.gate_dbfs, setter).with_width(150.0));
                ui.end_row();
                ui.label("Window");
                ui.add(ParamSlider::for_param(&params.window_seconds, setter).with_width(150.0));
                ui.end_row();
                ui.label("Hold");
                let mut hold = params.hold.value();
                if ui.checkbox(&mut hold, "keep the shown label").changed() {
                    setter.begin_set_parameter(&params.hold);
                    setter.set_parameter(&params.hold, hold);
                    setter.end_set_parameter(&params.hold);
                }
                ui.end_row();
            });
    });
}
