//! Training curves as SVG (plotters).

use std::path::Path;

use plotters::prelude::*;

use crate::history::write_atomic;
use crate::{Error, History, Result};

/// One named series of `(x, y)` points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend label.
    pub label: String,
    /// The points.
    pub points: Vec<(f64, f64)>,
}

/// Renders a line chart as an SVG string: title, axis labels, one line per series, a legend.
/// With `log_y`, the chart shows `log10(y)` on a linear axis (labelled so; non-positive values
/// are dropped).
///
/// # Errors
/// [`Error::Data`] when there is nothing finite to plot or drawing fails.
pub fn line_chart_svg(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_y: bool,
) -> Result<String> {
    if !log_y {
        return linear_chart_svg(title, x_label, y_label, series);
    }
    // plotters' log axis labels overlap at small ranges: plot log10(y) on a linear axis instead.
    let logged: Vec<Series> = series
        .iter()
        .map(|s| Series {
            label: s.label.clone(),
            points: s
                .points
                .iter()
                .filter(|(_, y)| *y > 0.0)
                .map(|&(x, y)| (x, y.log10()))
                .collect(),
        })
        .collect();
    linear_chart_svg(title, x_label, &format!("log10 of {y_label}"), &logged)
}

fn linear_chart_svg(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> Result<String> {
    let pts = series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|(x, y)| x.is_finite() && y.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in pts {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if !(x0.is_finite() && y0.is_finite()) {
        return Err(Error::Data(format!("plot {title:?}: no finite points")));
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1 <= y0 {
        y1 = y0 + y0.abs().max(1e-3);
    }
    let pad = (y1 - y0) * 0.05;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 420)).into_drawing_area();
        let draw = |e: &dyn std::fmt::Display| Error::Data(format!("plot {title:?}: {e}"));
        root.fill(&WHITE).map_err(|e| draw(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
            .map_err(|e| draw(&e))?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .draw()
            .map_err(|e| draw(&e))?;
        let colors = [
            BLUE,
            RED,
            GREEN,
            MAGENTA,
            CYAN,
            BLACK,
            RGBColor(255, 140, 0),
            RGBColor(128, 0, 128),
            RGBColor(0, 128, 128),
            RGBColor(139, 69, 19),
        ];
        for (k, s) in series.iter().enumerate() {
            let c = colors[k % colors.len()];
            let data = s
                .points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite());
            chart
                .draw_series(LineSeries::new(data, c.stroke_width(2)))
                .map_err(|e| draw(&e))?
                .label(s.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| draw(&e))?;
        root.present().map_err(|e| draw(&e))?;
    }
    Ok(svg)
}

/// Writes `loss.svg`, `accuracy.svg` and `lr.svg` for a training history into `dir`.
///
/// # Errors
/// [`Error::Io`] when a file cannot be written; [`Error::Data`] for an empty history.
pub fn plot_history(history: &History, dir: &Path) -> Result<()> {
    let e = |f: fn(&crate::EpochRecord) -> Option<f64>| -> Vec<(f64, f64)> {
        history
            .epochs
            .iter()
            .filter_map(|r| f(r).map(|v| (r.epoch as f64, v)))
            .collect()
    };
    let series = |label: &str, points: Vec<(f64, f64)>| Series {
        label: label.into(),
        points,
    };
    let mut loss = vec![series("train", e(|r| Some(r.train_loss)))];
    let mut acc = vec![series("train", e(|r| Some(r.train_accuracy)))];
    if history.epochs.iter().any(|r| r.val_loss.is_some()) {
        loss.push(series("validation", e(|r| r.val_loss)));
        acc.push(series("validation", e(|r| r.val_accuracy)));
    }
    let lr = vec![series("group 0", e(|r| Some(r.lr)))];
    write_atomic(
        &dir.join("loss.svg"),
        line_chart_svg("Loss", "epoch", "loss (log scale)", &loss, true)?.as_bytes(),
    )?;
    write_atomic(
        &dir.join("accuracy.svg"),
        line_chart_svg(
            "Accuracy",
            "epoch",
            "accuracy (fraction correct)",
            &acc,
            false,
        )?
        .as_bytes(),
    )?;
    write_atomic(
        &dir.join("lr.svg"),
        line_chart_svg("Learning rate", "epoch", "learning rate", &lr, false)?.as_bytes(),
    )
}
