//! Drawing `map`'s picture with `plotters`: one dot per file in its label's colour, a legend of
//! the labels present with their counts, axis titles, and file names next to the dots when there
//! are few enough to read. PNG or SVG, chosen by the output's extension. Text is drawn with
//! DejaVu Sans embedded in the binary, so no system font libraries are needed.

use std::path::Path;
use std::sync::Once;

use anyhow::{Context, bail};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};
use track_labeler::labels::Class;

const SIZE: (u32, u32) = (1200, 800);
const LEGEND_WIDTH: u32 = 230;
const DOT_RADIUS: i32 = 6;
/// Up to this many files, each dot is named.
const MAX_NAMED_DOTS: usize = 40;
const FONT: &str = "sans-serif";
const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);

/// One file on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapPoint {
    pub position: [f64; 2],
    pub class: Class,
    pub name: String,
}

/// What to draw.
pub struct MapChart<'a> {
    pub title: &'a str,
    pub axis_titles: [&'a str; 2],
    pub points: &'a [MapPoint],
}

/// The picture formats `map` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Svg,
}

impl ImageFormat {
    /// The format named by `path`'s extension.
    pub fn from_path(path: &Path) -> anyhow::Result<Self> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("png") => Ok(Self::Png),
            Some("svg") => Ok(Self::Svg),
            _ => bail!(
                "cannot tell the picture format of \"{}\": name it .png or .svg",
                path.display()
            ),
        }
    }
}

/// Draws `chart` to `path` as PNG or SVG, by its extension.
pub fn draw_map(path: &Path, chart: &MapChart) -> anyhow::Result<()> {
    register_embedded_font();
    let result = match ImageFormat::from_path(path)? {
        ImageFormat::Png => draw(BitMapBackend::new(path, SIZE).into_drawing_area(), chart),
        ImageFormat::Svg => draw(SVGBackend::new(path, SIZE).into_drawing_area(), chart),
    };
    result.with_context(|| format!("drawing the map \"{}\"", path.display()))
}

fn register_embedded_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        for (style, bytes) in [
            (FontStyle::Normal, dejavu::sans::regular()),
            (FontStyle::Bold, dejavu::sans::bold()),
        ] {
            assert!(
                register_font(FONT, style, bytes).is_ok(),
                "the embedded DejaVu Sans is a valid font"
            );
        }
    });
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, chart: &MapChart) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let failed = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow::anyhow!("{e}");
    root.fill(&WHITE).map_err(failed)?;
    let (plot_area, legend_area) = root.split_horizontally(SIZE.0 - LEGEND_WIDTH);

    let named = chart.points.len() <= MAX_NAMED_DOTS;
    // Names go to the right of their dots: leave them room on that side.
    let x_range = padded_range(
        chart.points.iter().map(|p| p.position[0]),
        if named { 0.3 } else { 0.08 },
    );
    let y_range = padded_range(chart.points.iter().map(|p| p.position[1]), 0.08);
    let mut plot = ChartBuilder::on(&plot_area)
        .caption(
            chart.title,
            (FONT, 26).into_font().style(FontStyle::Bold).color(&TEXT),
        )
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(x_range, y_range)
        .map_err(failed)?;
    plot.configure_mesh()
        .x_desc(chart.axis_titles[0])
        .y_desc(chart.axis_titles[1])
        .axis_desc_style((FONT, 18).into_font().color(&TEXT))
        .label_style((FONT, 14).into_font().color(&MUTED))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(0xe4, 0xe4, 0xe4))
        .draw()
        .map_err(failed)?;

    let at = |point: &MapPoint| (point.position[0], point.position[1]);
    plot.draw_series(chart.points.iter().map(|point| {
        let dot = Circle::new((0, 0), DOT_RADIUS, colour(point.class).filled());
        let rim = Circle::new((0, 0), DOT_RADIUS, WHITE.stroke_width(1));
        EmptyElement::at(at(point)) + dot + rim
    }))
    .map_err(failed)?;
    if named {
        let name_font = (FONT, 13).into_font().color(&MUTED);
        plot.draw_series(chart.points.iter().map(|point| {
            EmptyElement::at(at(point))
                + Text::new(
                    point.name.clone(),
                    (DOT_RADIUS + 3, -DOT_RADIUS - 8),
                    name_font.clone(),
                )
        }))
        .map_err(failed)?;
    }

    draw_legend(&legend_area, chart.points).map_err(failed)?;
    root.present().map_err(failed)?;
    Ok(())
}

/// The labels present, in class order, with how many files have each.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[MapPoint],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let heading = (FONT, 20).into_font().style(FontStyle::Bold).color(&TEXT);
    area.draw(&Text::new("Labels", (10, 70), heading))?;
    let entry_font = (FONT, 18)
        .into_font()
        .color(&TEXT)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let present = Class::ALL.into_iter().filter_map(|class| {
        let count = points.iter().filter(|p| p.class == class).count();
        (count > 0).then_some((class, count))
    });
    for (row, (class, count)) in present.enumerate() {
        let y = 110 + 30 * row as i32;
        area.draw(&Circle::new(
            (20, y),
            DOT_RADIUS + 1,
            colour(class).filled(),
        ))?;
        area.draw(&Text::new(
            format!("{} ({count})", class.display_name()),
            (36, y),
            entry_font.clone(),
        ))?;
    }
    Ok(())
}

fn colour(class: Class) -> RGBColor {
    let [r, g, b] = class.colour();
    RGBColor(r, g, b)
}

/// The values' range with 8% room below and `room_above` (a fraction of it) above, so the dots
/// and their names fit.
fn padded_range(values: impl Iterator<Item = f64>, room_above: f64) -> std::ops::Range<f64> {
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let span = high - low;
    // No points, or all in one place: a unit range around them.
    if !span.is_finite() || span <= 0.0 {
        let centre = if low.is_finite() { low } else { 0.0 };
        return centre - 1.0..centre + 1.0;
    }
    low - 0.08 * span..high + room_above * span
}
