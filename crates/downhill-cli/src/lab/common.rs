//! Helpers the experiments share: the digits split, one training run, statistics, figures.

use downhill::data::{Dataset, load_bundled};
use downhill::optim::Hyper;
use downhill::plot::{Series, line_chart_svg};
use downhill::{DefaultRng, History, Loss, NetSpec, Network, TrainConfig, Trainer};
use rand::SeedableRng;

use super::Figure;

/// The seed of every data split, so all experiments see the same rows.
pub const SPLIT_SEED: u64 = 1234;

/// Digits with pixels scaled from 0..16 to 0..1, split 80/20 stratified (train, validation).
///
/// # Errors
/// The bundled data failing to load.
pub fn digits() -> downhill::Result<(Dataset<f32>, Dataset<f32>)> {
    let mut ds = load_bundled::<f32>("digits")?;
    // Inputs of order 1 keep every experiment's learning rates comparable.
    ds.scale_features(1.0 / 16.0);
    let mut rng = DefaultRng::seed_from_u64(SPLIT_SEED);
    ds.split(0.2, true, &mut rng)
}

/// A training config with the lab's defaults: plain cross-entropy (no label smoothing, so
/// losses are comparable to the lecture's), batch 64, no progress bar of its own.
pub fn config(optimizer: &str, hyper: Hyper, epochs: usize, seed: u64) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 64,
        optimizer: optimizer.to_string(),
        hyper,
        loss: Loss::CrossEntropy {
            label_smoothing: 0.0,
        },
        seed,
        progress: false,
        ..TrainConfig::default()
    }
}

/// `Hyper` with only a learning rate.
pub fn lr(lr: f64) -> Hyper {
    Hyper {
        lr: Some(lr),
        ..Hyper::default()
    }
}

/// Builds `spec` (initialized from `cfg.seed`) and trains it; returns the net and history.
///
/// # Errors
/// As [`Trainer::fit`] (a diverging run under the default NaN policy is an error).
pub fn train(
    spec: &NetSpec,
    cfg: TrainConfig,
    train: &Dataset<f32>,
    val: &Dataset<f32>,
) -> downhill::Result<(Network<f32>, History)> {
    let mut rng = DefaultRng::seed_from_u64(cfg.seed);
    let mut net = Network::<f32>::from_spec(spec, &mut rng)?;
    let mut trainer = Trainer::<f32>::new(cfg)?;
    let history = trainer.fit(&mut net, train, Some(val), &mut [])?.clone();
    Ok((net, history))
}

/// Mean and sample standard deviation.
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, var.sqrt())
}

/// The elementwise mean of equally long curves (shorter ones are padded with their last value).
pub fn mean_curve(curves: &[Vec<f64>]) -> Vec<f64> {
    let len = curves.iter().map(Vec::len).max().unwrap_or(0);
    (0..len)
        .map(|i| {
            let vals: Vec<f64> = curves
                .iter()
                .filter_map(|c| c.get(i).or(c.last()).copied())
                .collect();
            mean_std(&vals).0
        })
        .collect()
}

/// A series from y values at x = 1, 2, ….
pub fn series(label: impl Into<String>, ys: &[f64]) -> Series {
    Series {
        label: label.into(),
        points: ys
            .iter()
            .enumerate()
            .map(|(i, y)| ((i + 1) as f64, *y))
            .collect(),
    }
}

/// A line-chart figure (the facade's plotters chart, XML prologue dropped for inlining); with
/// `log_y`, y is plotted as log10(y).
///
/// # Errors
/// Nothing finite to plot.
pub fn line_figure(
    file: &str,
    caption: &str,
    (title, x_label, y_label): (&str, &str, &str),
    series: &[Series],
    log_y: bool,
) -> downhill::Result<Figure> {
    // The facade draws a log chart as log10(y) on a linear axis and says so in the label.
    let y_label = y_label
        .replace(" (log scale)", "")
        .replace(", log scale", "");
    let svg = line_chart_svg(title, x_label, &y_label, series, log_y)?;
    let svg = match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => svg,
    };
    Ok(Figure {
        file: file.to_string(),
        caption: caption.to_string(),
        svg,
    })
}

/// Formats a number for a table.
pub fn f(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else {
        "—".to_string()
    }
}

/// First epoch whose validation accuracy reaches `target` (None if never).
pub fn epochs_to(history: &History, target: f64) -> Option<usize> {
    history
        .epochs
        .iter()
        .find(|r| r.val_accuracy.is_some_and(|a| a >= target))
        .map(|r| r.epoch)
}

/// Best validation accuracy of a run (0 without validation).
pub fn best_acc(history: &History) -> f64 {
    history.best_val_accuracy().map_or(0.0, |(_, a)| a)
}

/// A count, or "never" when there is none.
pub fn never<T: std::fmt::Display>(o: Option<T>) -> String {
    o.map_or_else(|| "never".to_string(), |v| v.to_string())
}
