//! The editor (egui): the track's label in its group colour, confidence, runners-up, a history
//! strip, a live map, the settings and teaching; and a session tab listing every instance.
//!
//! It reads what the labeling service publishes and repaints when the service says something
//! changed (or on input), never on a free-running timer.

use std::sync::Arc;
use std::time::Duration;

use egui::{Color32, RichText};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use nice_plug_egui::{
    EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp, create_egui_editor,
};

use crate::labels::Class;
use crate::params::TrackLabelerParams;
use crate::service::{HostTrack, TrackShared};

mod map_view;
mod session_tab;
mod track_tab;

pub const DEFAULT_SIZE: (u32, u32) = (860, 600);
const MIN_SIZE: (f32, f32) = (560.0, 420.0);

pub fn default_state() -> Arc<EguiEditorState> {
    EguiEditorState::from_size(
        nice_plug::editor::dpi::LogicalSize::new(DEFAULT_SIZE.0 as f64, DEFAULT_SIZE.1 as f64),
        1.0,
    )
}

pub fn create(
    params: Arc<TrackLabelerParams>,
    shared: Arc<TrackShared>,
) -> Option<EguiEditor<EditorApp>> {
    let settings = EguiNiceSettings::new()
        .with_tile("Track Labeler")
        .with_resize_hint(ResizeHint::resizable().with_min_logical_size(
            nice_plug::editor::dpi::LogicalSize::new(MIN_SIZE.0, MIN_SIZE.1),
        ))
        // The service flags a repaint at most a few times a second; polling the flag this
        // often keeps the label instant without burning CPU.
        .with_repaint_poll_interval(Duration::from_millis(40));
    create_egui_editor(
        params.editor_state.clone(),
        shared.repaint.clone(),
        settings,
        EditorApp {
            params,
            shared,
            gui: None,
            tab: Tab::Track,
            track_tab: track_tab::TrackTab::default(),
            session_tab: session_tab::SessionTab::default(),
        },
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Track,
    Session,
}

pub struct EditorApp {
    params: Arc<TrackLabelerParams>,
    shared: Arc<TrackShared>,
    gui: Option<GuiContext>,
    tab: Tab,
    track_tab: track_tab::TrackTab,
    session_tab: session_tab::SessionTab,
}

impl NiceEguiApp for EditorApp {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        gui: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        egui_ctx.set_visuals(egui::Visuals::dark());
        self.gui = Some(gui);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        let Some(gui) = self.gui.clone() else {
            return;
        };
        let setter = gui.param_setter();
        egui::Panel::top("tabs")
            .frame(egui::Frame::new().fill(PANEL_DARK).inner_margin(8))
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(
                        RichText::new("TRACK LABELER")
                            .strong()
                            .color(MUTED)
                            .size(12.0),
                    );
                    ui.add_space(12.0);
                    ui.selectable_value(&mut self.tab, Tab::Track, "Track");
                    ui.selectable_value(&mut self.tab, Tab::Session, "Session");
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        ui.label(RichText::new(self.shared.display_name()).strong());
                        let host_colour = self
                            .shared
                            .host_track
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .as_ref()
                            .and_then(|h| h.colour);
                        if let Some([r, g, b]) = host_colour {
                            let (rect, _) = ui
                                .allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                            ui.painter()
                                .rect_filled(rect, 3, Color32::from_rgb(r, g, b));
                        }
                    });
                });
            });
        egui::CentralPanel::default()
            .frame(egui::Frame::new().fill(BACKGROUND).inner_margin(12))
            .show(ui, |ui| match self.tab {
                Tab::Track => self.track_tab.ui(ui, &self.shared, &self.params, &setter),
                Tab::Session => self.session_tab.ui(ui),
            });
    }

    fn track_info_changed(&mut self, info: TrackInfo) {
        let colour = info.color().map(|c| {
            let (r, g, b, _) = c.rgba();
            [r, g, b]
        });
        *self
            .shared
            .host_track
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(HostTrack {
            name: info.name().to_owned(),
            colour,
        });
    }
}

const BACKGROUND: Color32 = Color32::from_rgb(0x1b, 0x1d, 0x22);
const PANEL_DARK: Color32 = Color32::from_rgb(0x14, 0x16, 0x1a);
const CARD: Color32 = Color32::from_rgb(0x24, 0x27, 0x2e);
const MUTED: Color32 = Color32::from_rgb(0x9a, 0xa0, 0xaa);
const UNLABELLED: Color32 = Color32::from_rgb(0x80, 0x80, 0x80);

/// A label's colour; grey for labels outside the sixteen classes.
fn label_colour(label: &str) -> Color32 {
    Class::from_id(label).map_or(UNLABELLED, |c| {
        let [r, g, b] = c.colour();
        Color32::from_rgb(r, g, b)
    })
}

/// A label's display name; user classes show as they were named.
fn display_name(label: &str) -> String {
    Class::from_id(label).map_or_else(|| label.to_owned(), |c| c.display_name().to_owned())
}

/// A text cell of fixed width, left-aligned and truncated, so columns line up.
fn cell(ui: &mut egui::Ui, width: f32, text: impl Into<egui::WidgetText>) {
    ui.allocate_ui_with_layout(
        egui::vec2(width, 16.0),
        egui::Layout::left_to_right(egui::Align::Center),
        |ui| {
            ui.set_width(width);
            ui.add(egui::Label::new(text).truncate());
        },
    );
}

/// A rounded card that groups a section.
fn card<R>(ui: &mut egui::Ui, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    egui::Frame::new()
        .fill(CARD)
        .corner_radius(6)
        .inner_margin(10)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            add(ui)
        })
        .inner
}
