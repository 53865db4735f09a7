//! `pipeframe bench --svg`: throughput against frame size, one panel per transport, one line
//! per flavour and kind (framed, raw, the peers), sizes on a log axis.

use std::io;
use std::path::Path;

use plotters::prelude::*;

use super::{Metric, Row, Transport};

/// The line colours, one per series in order of first appearance.
const COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(174, 199, 232),
    RGBColor(214, 39, 40),
    RGBColor(255, 152, 150),
    RGBColor(44, 160, 44),
    RGBColor(152, 223, 138),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn series_name(r: &Row) -> String {
    if r.framing == "raw" {
        format!("{} raw", r.flavour)
    } else if matches!(r.flavour, "tokio-util" | "asynchronous-codec") {
        r.flavour.to_string()
    } else {
        format!("{} framed", r.flavour)
    }
}

fn size_label(s: usize) -> String {
    if s >= 1 << 20 && s.is_multiple_of(1 << 20) {
        format!("{}M", s >> 20)
    } else if s >= 1024 && s.is_multiple_of(1024) {
        format!("{}k", s >> 10)
    } else {
        s.to_string()
    }
}

/// Draws the `bytes_per_s` rows of `rows` for `transports` into an SVG file at `path`.
pub fn draw(path: &Path, rows: &[Row], transports: &[Transport]) -> io::Result<()> {
    let panels: Vec<Transport> = transports
        .iter()
        .copied()
        .filter(|&t| {
            rows.iter()
                .any(|r| r.transport == t && r.metric == Metric::BytesPerSec)
        })
        .collect();
    if panels.is_empty() {
        return Err(io::Error::other(
            "nothing to draw: no throughput was measured",
        ));
    }
    let mut names: Vec<String> = Vec::new();
    for r in rows.iter().filter(|r| r.metric == Metric::BytesPerSec) {
        let n = series_name(r);
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let cols = if panels.len() > 1 { 2 } else { 1 };
    let lines = panels.len().div_ceil(cols);
    let size = (560 * cols as u32, 400 * lines as u32);
    let fail = |e: &dyn std::fmt::Display| io::Error::other(format!("cannot draw the SVG: {e}"));
    let root = SVGBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let areas = root.split_evenly((lines, cols));
    for (t, area) in panels.iter().zip(areas.iter()) {
        let mine: Vec<&Row> = rows
            .iter()
            .filter(|r| r.transport == *t && r.metric == Metric::BytesPerSec)
            .collect();
        let (lo, hi) = mine.iter().fold((usize::MAX, 0), |(lo, hi), r| {
            (lo.min(r.size), hi.max(r.size))
        });
        let top = mine.iter().map(|r| r.value / 1e9).fold(0.1, f64::max) * 1.1;
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("{t}: throughput (GB/s) by frame size (bytes)"),
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(45)
            .build_cartesian_2d(
                (lo.max(1) as f64..hi.max(lo + 1) as f64).log_scale(),
                0.0..top,
            )
            .map_err(|e| fail(&e))?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| size_label(x.round() as usize))
            .y_label_formatter(&|y| format!("{y:.1}"))
            .draw()
            .map_err(|e| fail(&e))?;
        for (i, name) in names.iter().enumerate() {
            let mut pts: Vec<(f64, f64)> = mine
                .iter()
                .filter(|r| series_name(r) == *name)
                .map(|r| (r.size as f64, r.value / 1e9))
                .collect();
            if pts.is_empty() {
                continue;
            }
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let colour = COLOURS[i % COLOURS.len()];
            let style = ShapeStyle::from(&colour).stroke_width(2);
            chart
                .draw_series(LineSeries::new(pts.clone(), style))
                .map_err(|e| fail(&e))?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
            chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, 2, colour.filled())))
                .map_err(|e| fail(&e))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 11))
            .draw()
            .map_err(|e| fail(&e))?;
    }
    root.present().map_err(|e| fail(&e))
}
