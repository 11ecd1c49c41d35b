//! Small hand-written SVG charts the facade's line chart does not cover: a contour map with
//! optimizer paths, and grouped bars. No ids, so several can sit inline in one page.

use std::fmt::Write as _;

/// Distinct line colours (the facade's palette order, so legends look alike).
pub const COLORS: [&str; 11] = [
    "#1f3fbf", "#d62728", "#2ca02c", "#c020c0", "#17a0b0", "#000000", "#ff8c00", "#800080",
    "#008080", "#8b4513", "#7f7f7f",
];

const W: f64 = 760.0;
const H: f64 = 560.0;
const LEFT: f64 = 70.0;
const TOP: f64 = 40.0;
const PLOT_W: f64 = 470.0;
const PLOT_H: f64 = 450.0;

/// A named path in the plane.
pub struct Path2 {
    /// Legend label.
    pub label: String,
    /// The iterates.
    pub points: Vec<(f64, f64)>,
}

/// The rectangle a contour plot shows.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Window {
    /// x range.
    pub x: (f64, f64),
    /// y range.
    pub y: (f64, f64),
}

impl Window {
    /// Pixel coordinates of a point.
    fn px(&self, (x, y): (f64, f64)) -> (f64, f64) {
        let u = LEFT + (x - self.x.0) / (self.x.1 - self.x.0) * PLOT_W;
        let v = TOP + (self.y.1 - y) / (self.y.1 - self.y.0) * PLOT_H;
        (u, v)
    }
}

/// A filled contour map of `f` (bands of equal `log(1 + f − f_min)`), the optimizers' paths
/// over it, the start and the minimum marked, axes and a legend.
pub fn contour_svg(
    title: &str,
    f: &dyn Fn(f64, f64) -> f64,
    win: Window,
    paths: &[Path2],
    minimum: Option<(f64, f64)>,
) -> String {
    let mut s = header(title);
    heatmap(&mut s, f, win);
    axes(&mut s, win);
    // A nested <svg> clips paths that leave the window without needing a clipPath id.
    let _ = write!(
        s,
        "<svg x=\"{LEFT}\" y=\"{TOP}\" width=\"{PLOT_W}\" height=\"{PLOT_H}\" \
         viewBox=\"{LEFT} {TOP} {PLOT_W} {PLOT_H}\">"
    );
    for (k, p) in paths.iter().enumerate() {
        let pts: String = p
            .points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|&q| win.px(clamp_far(q, win)))
            .map(|(u, v)| format!("{u:.1},{v:.1} "))
            .collect();
        let c = COLORS[k % COLORS.len()];
        let _ = write!(
            s,
            "<polyline points=\"{pts}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"1.8\" \
             stroke-opacity=\"0.9\"/>"
        );
    }
    if let Some(start) = paths.first().and_then(|p| p.points.first()) {
        let (u, v) = win.px(*start);
        let _ = write!(
            s,
            "<circle cx=\"{u:.1}\" cy=\"{v:.1}\" r=\"5\" fill=\"#fff\" stroke=\"#000\"/>"
        );
    }
    if let Some(m) = minimum {
        let (u, v) = win.px(m);
        let _ = write!(
            s,
            "<text x=\"{u:.1}\" y=\"{:.1}\" font-size=\"22\" text-anchor=\"middle\" fill=\"#ff0\" \
             stroke=\"#000\" stroke-width=\"0.8\">★</text>",
            v + 8.0
        );
    }
    s.push_str("</svg>");
    let labels: Vec<&str> = paths.iter().map(|p| p.label.as_str()).collect();
    legend(&mut s, &labels, LEFT + PLOT_W + 20.0, TOP);
    s.push_str("</svg>");
    s
}

/// Keeps far-away (diverged) points from producing giant coordinates.
fn clamp_far((x, y): (f64, f64), win: Window) -> (f64, f64) {
    let (wx, wy) = (win.x.1 - win.x.0, win.y.1 - win.y.0);
    (
        x.clamp(win.x.0 - 10.0 * wx, win.x.1 + 10.0 * wx),
        y.clamp(win.y.0 - 10.0 * wy, win.y.1 + 10.0 * wy),
    )
}

/// The SVG opening tag, white background and title.
fn header(title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" \
         viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\"><rect width=\"{W}\" height=\"{H}\" \
         fill=\"#fff\"/><text x=\"{}\" y=\"24\" font-size=\"18\" text-anchor=\"middle\">{}</text>",
        W / 2.0,
        super::report::esc(title)
    )
}

/// Bands of `log(1 + f − f_min)` as grey-blue cells, runs of one band merged into one rect.
fn heatmap(s: &mut String, f: &dyn Fn(f64, f64) -> f64, win: Window) {
    const N: usize = 90;
    const BANDS: f64 = 14.0;
    let grid: Vec<Vec<f64>> = (0..N)
        .map(|i| {
            let y = win.y.1 - (i as f64 + 0.5) / N as f64 * (win.y.1 - win.y.0);
            (0..N)
                .map(|j| {
                    f(
                        win.x.0 + (j as f64 + 0.5) / N as f64 * (win.x.1 - win.x.0),
                        y,
                    )
                })
                .collect()
        })
        .collect();
    let lo = grid.iter().flatten().copied().fold(f64::INFINITY, f64::min);
    let hi = grid
        .iter()
        .flatten()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let level = |v: f64| {
        let t = (1.0 + v - lo).ln() / (1.0 + hi - lo).ln().max(1e-12);
        (t * BANDS).floor().min(BANDS - 1.0)
    };
    let (cw, ch) = (PLOT_W / N as f64, PLOT_H / N as f64);
    for (i, row) in grid.iter().enumerate() {
        let mut j = 0;
        while j < N {
            let l = level(row[j]);
            let mut k = j + 1;
            while k < N && level(row[k]) == l {
                k += 1;
            }
            let shade = 250.0 - l / BANDS * 150.0;
            let _ = write!(
                s,
                "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" \
                 fill=\"rgb({:.0},{:.0},255)\"/>",
                LEFT + j as f64 * cw,
                TOP + i as f64 * ch,
                (k - j) as f64 * cw + 0.3,
                ch + 0.3,
                shade * 0.85,
                shade
            );
            j = k;
        }
    }
}

/// Frame, ticks and axis labels of the contour plot.
fn axes(s: &mut String, win: Window) {
    let _ = write!(
        s,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{PLOT_W}\" height=\"{PLOT_H}\" fill=\"none\" \
         stroke=\"#000\"/>"
    );
    for k in 0..=4 {
        let t = k as f64 / 4.0;
        let x = win.x.0 + t * (win.x.1 - win.x.0);
        let y = win.y.0 + t * (win.y.1 - win.y.0);
        let (u, _) = win.px((x, win.y.0));
        let (_, v) = win.px((win.x.0, y));
        let _ = write!(
            s,
            "<text x=\"{u:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\">{}</text>",
            TOP + PLOT_H + 16.0,
            tick(x),
            LEFT - 6.0,
            v + 4.0,
            tick(y)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"14\" text-anchor=\"middle\">x (parameter 1)</text>\
         <text x=\"16\" y=\"{:.1}\" font-size=\"14\" text-anchor=\"middle\" \
         transform=\"rotate(-90 16 {:.1})\">y (parameter 2)</text>",
        LEFT + PLOT_W / 2.0,
        TOP + PLOT_H + 38.0,
        TOP + PLOT_H / 2.0,
        TOP + PLOT_H / 2.0
    );
}

/// A tick label with few digits.
fn tick(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    format!("{r}")
}

/// A legend: coloured line samples and labels, one per row.
fn legend(s: &mut String, labels: &[&str], x: f64, y: f64) {
    for (k, l) in labels.iter().enumerate() {
        let yy = y + 10.0 + k as f64 * 22.0;
        let c = COLORS[k % COLORS.len()];
        let _ = write!(
            s,
            "<line x1=\"{x}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\" stroke=\"{c}\" stroke-width=\"3\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"13\">{}</text>",
            x + 24.0,
            x + 30.0,
            yy + 4.0,
            super::report::esc(l)
        );
    }
}

/// Grouped vertical bars: one group per category, one bar per series, values printed.
pub fn bars_svg(
    title: &str,
    y_label: &str,
    categories: &[String],
    series: &[(String, Vec<f64>)],
) -> String {
    let mut s = header(title);
    let hi = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max)
        .max(1e-12);
    let base = TOP + PLOT_H - 40.0;
    // Room above the tallest bar for the legend.
    let height = PLOT_H - 110.0;
    let gw = (W - LEFT - 20.0) / categories.len().max(1) as f64;
    let bw = gw * 0.8 / series.len().max(1) as f64;
    for (j, (_, vals)) in series.iter().enumerate() {
        for (i, v) in vals.iter().enumerate() {
            let h = if v.is_finite() { v / hi * height } else { 0.0 };
            let x = LEFT + i as f64 * gw + gw * 0.1 + j as f64 * bw;
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{v:.3}</text>",
                base - h,
                bw * 0.92,
                COLORS[j % COLORS.len()],
                x + bw / 2.0,
                base - h - 3.0
            );
        }
    }
    for (i, c) in categories.iter().enumerate() {
        let x = LEFT + (i as f64 + 0.5) * gw;
        let _ = write!(
            s,
            "<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" \
             transform=\"rotate(-30 {x:.1} {:.1})\">{}</text>",
            base + 16.0,
            base + 16.0,
            super::report::esc(c)
        );
    }
    let _ = write!(
        s,
        "<line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#000\"/>\
         <line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{LEFT}\" y2=\"{}\" stroke=\"#000\"/>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{hi:.2}</text>\
         <text x=\"{}\" y=\"{base}\" font-size=\"11\" text-anchor=\"end\">0</text>\
         <text x=\"16\" y=\"{:.1}\" font-size=\"14\" text-anchor=\"middle\" \
         transform=\"rotate(-90 16 {:.1})\">{}</text>",
        W - 20.0,
        base - height,
        LEFT - 4.0,
        base - height + 4.0,
        LEFT - 4.0,
        base - height / 2.0,
        base - height / 2.0,
        super::report::esc(y_label)
    );
    let labels: Vec<&str> = series.iter().map(|(l, _)| l.as_str()).collect();
    legend(&mut s, &labels, W - 160.0, TOP);
    s.push_str("</svg>");
    s
}
