//! Experiment 8: regularization on small data — 10% of digits for training, a large MLP, and
//! nine treatments: none, L2, L1, elastic net, dropout, augmentation, Gaussian noise, early
//! stopping, max-norm. Train/validation accuracy and gap, weight histograms, augmented digits.

use downhill::data::{Dataset, load_bundled};
use downhill::optim::Hyper;
use downhill::plot::Series;
use downhill::reg::{Augmentation, ImageShape, Penalty, Pipeline, render_grid};
use downhill::{
    Activation, DefaultRng, EarlyStoppingConfig, LayerSpec, NetSpec, Network, TrainConfig,
};
use rand::SeedableRng;
use serde_json::json;

use super::common::{self, f, mean_std};
use super::{Ctx, Figure, Outcome, Support, Table};

/// 10% of digits (stratified) for training, the other 90% for validation.
fn small_split() -> downhill::Result<(Dataset<f32>, Dataset<f32>)> {
    let mut ds = load_bundled::<f32>("digits")?;
    ds.scale_features(1.0 / 16.0);
    let (rest, train) = ds.split(
        0.1,
        true,
        &mut DefaultRng::seed_from_u64(common::SPLIT_SEED),
    )?;
    Ok((train, rest))
}

/// A 64-h-h-10 ReLU MLP, with dropout after each hidden layer or noise on the input.
fn spec(hidden: usize, dropout: Option<f64>, noise: Option<f64>) -> NetSpec {
    let mut layers = Vec::new();
    if let Some(std) = noise {
        layers.push(LayerSpec::GaussianNoise { std });
    }
    for _ in 0..2 {
        layers.push(LayerSpec::Linear {
            out: hidden,
            init: None,
            bias: true,
        });
        layers.push(LayerSpec::Activation {
            kind: Activation::Relu,
        });
        if let Some(p) = dropout {
            layers.push(LayerSpec::Dropout { p });
        }
    }
    layers.push(LayerSpec::Linear {
        out: 10,
        init: None,
        bias: true,
    });
    NetSpec { input: 64, layers }
}

/// Translations by one pixel and rotations by up to 10°.
fn augmentations() -> downhill::Result<Vec<Augmentation>> {
    let mut t = Augmentation::by_name("translate")?;
    if let Augmentation::Translate { max_shift, .. } = &mut t {
        *max_shift = 1; // two pixels of an 8×8 digit is a quarter of it
    }
    Ok(vec![t, Augmentation::by_name("rotate")?])
}

/// A change to the base training config.
type Tweak = Box<dyn Fn(&mut TrainConfig)>;

/// A treatment: name, net, and its change to the base config.
type Treatment = (&'static str, NetSpec, Tweak);

/// The treatments.
fn treatments(h: usize) -> downhill::Result<Vec<Treatment>> {
    let aug = augmentations()?;
    let (l2, l1, en) = (
        Penalty::l2(5e-4)?,
        Penalty::l1(5e-5)?,
        Penalty::elastic_net(5e-5, 5e-4)?,
    );
    let plain = || spec(h, None, None);
    Ok(vec![
        ("none", plain(), Box::new(|_| {})),
        ("L2", plain(), Box::new(move |c| c.penalty = Some(l2))),
        ("L1", plain(), Box::new(move |c| c.penalty = Some(l1))),
        (
            "elastic net",
            plain(),
            Box::new(move |c| c.penalty = Some(en)),
        ),
        ("dropout 0.5", spec(h, Some(0.5), None), Box::new(|_| {})),
        (
            "augmentation",
            plain(),
            Box::new(move |c| c.augmentation = aug.clone()),
        ),
        (
            "Gaussian noise 0.2",
            spec(h, None, Some(0.2)),
            Box::new(|_| {}),
        ),
        (
            "early stopping",
            plain(),
            Box::new(|c| {
                c.early_stopping = Some(EarlyStoppingConfig {
                    patience: 10,
                    ..Default::default()
                })
            }),
        ),
        ("max-norm 2", plain(), Box::new(|c| c.max_norm = Some(2.0))),
    ])
}

/// One treatment over the seeds: train/val accuracy (eval mode) and the trained weights.
struct Result1 {
    train_acc: Vec<f64>,
    val_acc: Vec<f64>,
    weights: Vec<f32>,
}

fn run_one(
    ctx: &Ctx,
    name: &str,
    spec: &NetSpec,
    tweak: &dyn Fn(&mut TrainConfig),
    d: &(Dataset<f32>, Dataset<f32>),
    seeds: &[u64],
) -> downhill::Result<Result1> {
    let mut r = Result1 {
        train_acc: vec![],
        val_acc: vec![],
        weights: vec![],
    };
    for &seed in seeds {
        ctx.status(format!("{name} seed {seed}"));
        let mut cfg = common::config(
            "adam",
            Hyper {
                lr: Some(1e-3),
                ..Hyper::default()
            },
            epochs(ctx),
            seed,
        );
        cfg.batch_size = 32;
        tweak(&mut cfg);
        let loss = cfg.loss;
        let (mut net, _) = common::train(spec, cfg, &d.0, &d.1)?;
        r.train_acc
            .push(downhill::evaluate(&mut net, &d.0, &loss)?.accuracy);
        r.val_acc
            .push(downhill::evaluate(&mut net, &d.1, &loss)?.accuracy);
        if seed == seeds[0] {
            r.weights = weights(&net);
        }
    }
    Ok(r)
}

/// Every weight matrix entry (biases excluded).
fn weights(net: &Network<f32>) -> Vec<f32> {
    net.params()
        .iter()
        .filter(|p| p.name.ends_with("weight"))
        .flat_map(|p| p.value.as_slice().to_vec())
        .collect()
}

/// Fraction of |w| < 1e-3, and mean |w|.
fn weight_stats(w: &[f32]) -> (f64, f64) {
    let n = w.len().max(1) as f64;
    let small = w.iter().filter(|v| v.abs() < 1e-3).count() as f64 / n;
    (small, w.iter().map(|v| f64::from(v.abs())).sum::<f64>() / n)
}

/// Histogram of log10|w| (fraction of weights per bin of width 0.25).
fn log_hist(label: &str, w: &[f32]) -> Series {
    let mut bins = vec![0usize; 28];
    for v in w {
        let l = f64::from(v.abs()).max(1e-7).log10();
        let k = (((l + 7.0) / 0.25).floor().max(0.0) as usize).min(bins.len() - 1);
        bins[k] += 1;
    }
    let n = w.len().max(1) as f64;
    Series {
        label: label.into(),
        points: bins
            .iter()
            .enumerate()
            .map(|(k, c)| (-7.0 + 0.25 * k as f64 + 0.125, *c as f64 / n))
            .collect(),
    }
}

/// Width of the two hidden layers.
fn hidden(ctx: &Ctx) -> usize {
    ctx.budget.pick(64, 256, 512)
}

/// Training epochs.
fn epochs(ctx: &Ctx) -> usize {
    ctx.budget.pick(2, 30, 100)
}

/// Runs experiment 8.
///
/// # Errors
/// A training error.
pub fn run(ctx: &Ctx) -> downhill::Result<Outcome> {
    let d = small_split()?;
    let seeds: Vec<u64> = (0..ctx.budget.pick(1, 1, 2)).collect();
    let mut res = Vec::new();
    for (name, spec, tweak) in treatments(hidden(ctx))? {
        res.push((name, run_one(ctx, name, &spec, tweak.as_ref(), &d, &seeds)?));
    }
    let mut figures = vec![bars(&res), hist_figure(&res)?];
    figures.push(augmented_grid(&d.0)?);
    outcome(&res, figures, &d, seeds, ctx)
}

fn bars(res: &[(&str, Result1)]) -> Figure {
    let cats: Vec<String> = res.iter().map(|r| r.0.to_string()).collect();
    let tr = res.iter().map(|r| mean_std(&r.1.train_acc).0).collect();
    let va = res.iter().map(|r| mean_std(&r.1.val_acc).0).collect();
    Figure {
        file: "regularization-accuracy.svg".into(),
        caption: "Train and validation accuracy (evaluation mode, mean over seeds) after training on 10% of digits.".into(),
        svg: super::svg::bars_svg("Regularization on 180 training digits", "accuracy (fraction)", &cats, &[("train".into(), tr), ("validation".into(), va)]),
    }
}

fn hist_figure(res: &[(&str, Result1)]) -> downhill::Result<Figure> {
    let lines: Vec<Series> = ["none", "L2", "L1"]
        .iter()
        .filter_map(|n| res.iter().find(|r| r.0 == *n))
        .map(|r| log_hist(r.0, &r.1.weights))
        .collect();
    common::line_figure(
        "regularization-weights.svg",
        "Distribution of |w| over all weight matrices (seed 0): L1 piles weights up near zero (sparsity), L2 shrinks them all.",
        (
            "Weight magnitudes",
            "log10 |w|",
            "fraction of weights per 0.25-decade bin",
        ),
        &lines,
        false,
    )
}

/// Eight training digits (first column) and seven augmented copies of each.
fn augmented_grid(train: &Dataset<f32>) -> downhill::Result<Figure> {
    let pipe = Pipeline::new(augmentations()?)?;
    let mut rng = DefaultRng::seed_from_u64(7);
    let x = train.features().as_slice();
    let mut data = Vec::new();
    for i in 0..8 {
        let img = &x[i * 64..(i + 1) * 64];
        data.extend_from_slice(img);
        for _ in 0..7 {
            let mut t = downhill::Tensor::from_vec(&[1, 64], img.to_vec())?;
            pipe.apply(&mut t, ImageShape::gray(8, 8), &mut rng)?;
            data.extend_from_slice(t.as_slice());
        }
    }
    let grid = render_grid(
        &downhill::Tensor::from_vec(&[64, 64], data)?,
        ImageShape::gray(8, 8),
        8,
    )?;
    Ok(Figure {
        file: "regularization-augmented-digits.svg".into(),
        caption: "Data augmentation: each row is one training digit (left) and seven random copies (shift ≤ 1 px, rotation ≤ 10°).".into(),
        svg: grid.to_svg(8),
    })
}

fn outcome(
    res: &[(&str, Result1)],
    figures: Vec<Figure>,
    d: &(Dataset<f32>, Dataset<f32>),
    seeds: Vec<u64>,
    ctx: &Ctx,
) -> downhill::Result<Outcome> {
    let stat = |r: &Result1| (mean_std(&r.train_acc).0, mean_std(&r.val_acc).0);
    let (none_tr, none_va) = stat(&res[0].1);
    let none_gap = none_tr - none_va;
    let mut meas = serde_json::Map::new();
    let mut rows = Vec::new();
    for (name, r) in res {
        let (tr, va) = stat(r);
        let (small, mean_abs) = weight_stats(&r.weights);
        rows.push(vec![
            name.to_string(),
            f(tr, 4),
            f(va, 4),
            f(tr - va, 4),
            f(small, 4),
            f(mean_abs, 4),
        ]);
        meas.insert(
            name.to_string(),
            json!({"train_accuracy": r.train_acc, "val_accuracy": r.val_acc, "gap_mean": tr - va,
            "fraction_abs_w_below_1e-3": small, "mean_abs_w": mean_abs}),
        );
    }
    let gaps: Vec<f64> = res[1..]
        .iter()
        .map(|r| {
            let (t, v) = stat(&r.1);
            t - v
        })
        .collect();
    let fewer = gaps.iter().filter(|g| **g < none_gap).count();
    let shrinking: Vec<&str> = res[1..]
        .iter()
        .zip(&gaps)
        .filter(|(_, g)| **g < none_gap)
        .map(|(r, _)| r.0)
        .collect();
    let best = res[1..].iter().map(|r| stat(&r.1).1).fold(0.0, f64::max);
    let ws = |n: &str| {
        res.iter()
            .find(|r| r.0 == n)
            .map_or((f64::NAN, f64::NAN), |r| weight_stats(&r.1.weights))
    };
    let checks = [
        fewer * 2 >= gaps.len(),
        best > none_va + 0.005,
        ws("L1").0 > ws("L2").0 && ws("L2").1 < ws("none").1,
    ];
    let verdict = format!(
        "Without regularization: train {none_tr:.4}, validation {none_va:.4} (gap {none_gap:.4}). {fewer} of {} treatments shrink the gap ({}); \
         the best validation accuracy is {best:.4} ({:+.4} vs none). Near-zero weights (|w| < 1e-3): L1 {:.3}, L2 {:.3}, none {:.3}; mean |w|: \
         L2 {:.4} vs none {:.4}.",
        gaps.len(),
        shrinking.join(", "),
        best - none_va,
        ws("L1").0,
        ws("L2").0,
        ws("none").0,
        ws("L2").1,
        ws("none").1
    );
    Ok(Outcome {
        claim: "On small data a large network overfits; penalties (L2, L1, elastic net), dropout, augmentation, noise, \
                early stopping and max-norm constraints reduce the train–validation gap and improve validation accuracy; \
                L1 makes weights sparse while L2 shrinks them."
            .into(),
        measurements: serde_json::Value::Object(meas),
        supported: Support::from_checks(&checks),
        verdict,
        figures,
        tables: vec![Table {
            caption: format!("{} training / {} validation digits, MLP 64-{h}-{h}-10, Adam lr 1e-3, batch 32, {} epochs", d.0.len(), d.1.len(), epochs(ctx), h = hidden(ctx)),
            header: ["treatment", "train acc", "val acc", "gap", "|w| < 1e-3", "mean |w|"].map(String::from).to_vec(),
            rows,
        }],
        config: json!({"split": "10% train (stratified, seed 1234), 90% validation", "l2": 5e-4, "l1": 5e-5, "elastic_net": [5e-5, 5e-4],
            "dropout": 0.5, "gaussian_noise_input_std": 0.2, "augmentation": augmentations()?, "early_stopping_patience": 10,
            "max_norm": 2.0, "optimizer": "adam lr 1e-3", "hidden": hidden(ctx), "epochs": epochs(ctx), "batch_size": 32, "loss": "cross-entropy, no smoothing"}),
        seeds,
    })
}
