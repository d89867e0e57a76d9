//! The live map: the reference set drawn by PCA, coloured by label, with the track's current
//! window moving over it and a short trail behind it.

use std::collections::VecDeque;
use std::sync::Arc;

use egui::{Color32, Pos2, Rect, RichText, Sense, Stroke, pos2};

use super::{MUTED, card, display_name, label_colour};
use crate::knn::Knn;
use crate::map::ReferenceMap;
use crate::service::{TrackShared, default_knn};

/// Examples drawn per label: enough to show each cloud's shape, light enough to redraw.
const POINTS_PER_LABEL: usize = 120;
const TRAIL: usize = 12;

#[derive(Default)]
pub struct MapView {
    map: Option<(Arc<Knn>, ReferenceMap)>,
    trail: VecDeque<[f32; 2]>,
    last_point: Option<Vec<f32>>,
}

impl MapView {
    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &TrackShared) {
        let (knn, point, heard) = {
            let live = shared.live();
            (live.knn.clone(), live.point.clone(), live.heard.clone())
        };
        let knn = knn.unwrap_or_else(default_knn);
        if !self.map.as_ref().is_some_and(|(k, _)| Arc::ptr_eq(k, &knn)) {
            self.map = ReferenceMap::of(&knn, POINTS_PER_LABEL).map(|m| (knn.clone(), m));
            self.trail.clear();
        }
        let Some((knn, map)) = &self.map else {
            return;
        };
        if point != self.last_point {
            if let Some(p) = &point {
                if self.trail.len() == TRAIL {
                    self.trail.pop_front();
                }
                self.trail.push_back(map.axes.place(p));
            }
            self.last_point = point;
        }
        card(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new("Map").strong());
                ui.label(
                    RichText::new("reference sounds by PCA · the ring is this track")
                        .size(11.0)
                        .color(MUTED),
                );
            });
            let size = ui.available_size().max(egui::vec2(120.0, 120.0));
            let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
            let painter = ui.painter_at(rect);
            painter.rect_filled(rect, 4, Color32::from_rgb(0x16, 0x18, 0x1c));
            let legend_width = 210.0;
            let plot = rect.with_max_x(rect.right() - legend_width).shrink(14.0);
            let to_screen = screen_transform(map.bounds, plot);
            // The outermost few points fall outside the bounds and are left out.
            for (position, label) in &map.points {
                let at = to_screen(*position);
                if plot.contains(at) {
                    let colour = label_colour(knn.label_name(*label));
                    painter.circle_filled(at, 2.2, colour.gamma_multiply(0.55));
                }
            }
            let ring_colour = heard
                .as_ref()
                .map_or(Color32::WHITE, |h| label_colour(&h.label));
            let trail: Vec<Pos2> = self
                .trail
                .iter()
                .map(|p| plot.clamp(to_screen(*p)))
                .collect();
            for pair in trail.windows(2) {
                painter.line_segment(
                    [pair[0], pair[1]],
                    Stroke::new(1.5, Color32::from_white_alpha(90)),
                );
            }
            if let Some(&current) = trail.last() {
                painter.circle_filled(current, 7.0, ring_colour);
                painter.circle_stroke(current, 9.0, Stroke::new(2.0, Color32::WHITE));
            }
            legend(&painter, rect.with_min_x(rect.right() - legend_width), knn);
        });
    }
}

/// Maps the map's bounds onto `rect`, each axis stretched to fill it.
fn screen_transform(bounds: ([f32; 2], [f32; 2]), rect: Rect) -> impl Fn([f32; 2]) -> Pos2 {
    let (lower, upper) = bounds;
    let scale = [
        rect.width() / (upper[0] - lower[0]).max(1e-6),
        rect.height() / (upper[1] - lower[1]).max(1e-6),
    ];
    move |p: [f32; 2]| {
        pos2(
            rect.left() + (p[0] - lower[0]) * scale[0],
            rect.bottom() - (p[1] - lower[1]) * scale[1],
        )
    }
}

fn legend(painter: &egui::Painter, rect: Rect, knn: &Knn) {
    let font = egui::FontId::proportional(11.0);
    let row = 14.0;
    let labels = knn.labels();
    let columns = if labels.len() > 8 { 2 } else { 1 };
    let rows = labels.len().div_ceil(columns);
    let origin = pos2(rect.left() + 4.0, rect.top() + 10.0);
    for (i, label) in labels.iter().enumerate() {
        let x = origin.x + 6.0 + (i / rows) as f32 * 100.0;
        let y = origin.y + 4.0 + (i % rows) as f32 * row;
        painter.circle_filled(pos2(x + 4.0, y + row / 2.0), 4.0, label_colour(label));
        painter.text(
            pos2(x + 12.0, y + row / 2.0),
            egui::Align2::LEFT_CENTER,
            display_name(label),
            font.clone(),
            Color32::from_gray(0xd0),
        );
    }
}
