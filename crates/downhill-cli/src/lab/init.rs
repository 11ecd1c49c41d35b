//! Experiment 6: weight initialization. Per-layer activation and gradient standard deviations
//! through a deep plain network (zero, small random, Xavier, He; tanh and ReLU); zero init
//! leaving hidden units identical after training; a deep ReLU network trained with He vs small
//! random weights.

use downhill::init::Init;
use downhill::init::depth_probe::{Activation as ProbeAct, LayerStats, activation_stats};
use downhill::optim::Hyper;
use downhill::plot::Series;
use downhill::{Activation, NetSpec};
use rand::SeedableRng;
use serde_json::json;

use super::common;
use super::{Budget, Ctx, Figure, Outcome, Support, Table};

/// The four schemes, by their names in configs.
const SCHEMES: [&str; 4] = ["zeros", "small_normal", "xavier_normal", "he_normal"];

/// Probe statistics for every scheme with one nonlinearity.
fn probe(b: Budget, act: ProbeAct) -> downhill::Result<Vec<(&'static str, Vec<LayerStats>)>> {
    let depth = 24;
    let widths = vec![b.pick(64, 256, 256); depth + 1];
    let batch = b.pick(64, 256, 512);
    SCHEMES
        .iter()
        .map(|name| {
            let init: Init = name.parse()?;
            let mut rng = downhill::DefaultRng::seed_from_u64(0);
            Ok((
                *name,
                activation_stats::<f64>(&init, act, &widths, batch, &mut rng)?,
            ))
        })
        .collect()
}

/// Std against depth, one line per scheme (zeros have std 0 and vanish from log plots).
fn std_lines(stats: &[(&str, Vec<LayerStats>)], gradient: bool) -> Vec<Series> {
    stats
        .iter()
        .map(|(name, s)| Series {
            label: name.to_string(),
            points: s
                .iter()
                .map(|l| {
                    (
                        l.layer as f64,
                        if gradient {
                            l.gradient.std
                        } else {
                            l.activation.std
                        },
                    )
                })
                .collect(),
        })
        .collect()
}

/// Last-layer over first-layer activation std, per scheme.
fn ratio(s: &[LayerStats]) -> f64 {
    let (a, b) = (s[0].activation.std, s[s.len() - 1].activation.std);
    if a > 0.0 { b / a } else { 0.0 }
}

/// Trains a zero-initialized sigmoid MLP; returns (largest difference between two hidden
/// units' incoming weights, how far the weights moved, validation accuracy).
fn zero_init_symmetry(ctx: &Ctx) -> downhill::Result<(f64, f64, f64)> {
    ctx.status("zero init: training");
    let (tr, va) = common::digits()?;
    let spec = NetSpec::mlp(64, &[32, 32], 10, Activation::Sigmoid, Some(Init::Zeros));
    let cfg = common::config("sgd", common::lr(0.5), ctx.budget.pick(1, 5, 10), 0);
    let (net, h) = common::train(&spec, cfg, &tr, &va)?;
    let w = net
        .params()
        .iter()
        .find(|p| p.name == "0.weight")
        .map(|p| p.value.clone());
    let w = w.ok_or_else(|| downhill::Error::Data("no 0.weight".into()))?;
    let cols = w.shape()[1];
    let rows: Vec<&[f32]> = w.as_slice().chunks_exact(cols).collect();
    let spread = rows
        .iter()
        .flat_map(|r| r.iter().zip(rows[0]).map(|(a, b)| f64::from((a - b).abs())))
        .fold(0.0, f64::max);
    let moved = w
        .as_slice()
        .iter()
        .map(|v| f64::from(v.abs()))
        .fold(0.0, f64::max);
    Ok((spread, moved, common::best_acc(&h)))
}

/// A 20-hidden-layer ReLU MLP trained with SGD + momentum from `init`; best val accuracy.
fn deep_relu(ctx: &Ctx, init: &str) -> downhill::Result<f64> {
    ctx.status(format!("deep ReLU net, {init}"));
    let (tr, va) = common::digits()?;
    let spec = NetSpec::mlp(64, &[64; 20], 10, Activation::Relu, Some(init.parse()?));
    let hyper = Hyper {
        lr: Some(0.01),
        momentum: Some(0.9),
        ..Hyper::default()
    };
    let cfg = common::config("sgd", hyper, ctx.budget.pick(1, 15, 25), 0);
    match common::train(&spec, cfg, &tr, &va) {
        Ok((_, h)) => Ok(common::best_acc(&h)),
        Err(downhill::Error::NonFinite { .. }) => Ok(0.0),
        Err(e) => Err(e),
    }
}

/// Runs experiment 6.
///
/// # Errors
/// An init or training error.
pub fn run(ctx: &Ctx) -> downhill::Result<Outcome> {
    ctx.status("depth probe");
    let tanh = probe(ctx.budget, ProbeAct::Tanh)?;
    let relu = probe(ctx.budget, ProbeAct::Relu)?;
    let (spread, moved, zero_acc) = zero_init_symmetry(ctx)?;
    let (he_acc, small_acc) = (
        deep_relu(ctx, "he_normal")?,
        deep_relu(ctx, "small_normal")?,
    );
    let get = |v: &[(&str, Vec<LayerStats>)], n: &str| {
        v.iter()
            .find(|s| s.0 == n)
            .map(|s| ratio(&s.1))
            .unwrap_or(f64::NAN)
    };
    let checks = [
        get(&tanh, "small_normal") < 1e-3 * get(&tanh, "xavier_normal"),
        (0.5..2.0).contains(&get(&relu, "he_normal")) && get(&relu, "small_normal") < 1e-3,
        spread == 0.0 && moved > 0.0,
        he_acc > 0.8 && small_acc < 0.5,
    ];
    let mut rows = Vec::new();
    for (act, stats) in [("tanh", &tanh), ("ReLU", &relu)] {
        for (name, s) in stats.iter() {
            let last = s[s.len() - 1];
            rows.push(vec![
                act.into(),
                name.to_string(),
                format!("{:.3e}", s[0].activation.std),
                format!("{:.3e}", last.activation.std),
                format!("{:.3e}", ratio(s)),
                format!("{:.3e}", s[0].gradient.std),
                format!("{:.3e}", last.unit_spread),
            ]);
        }
    }
    let verdict = format!(
        "Through 24 layers the activation std ratio (last/first) is, for tanh: small {:.1e}, Xavier {:.2}; for ReLU: \
         small {:.1e}, He {:.2}. Zero init: after training, the largest difference between two hidden units' weights is \
         {spread:e} while the weights moved by up to {moved:.3} (val acc {zero_acc:.3}) — the units stay identical. Deep \
         (20 hidden layers) ReLU net: best val accuracy {he_acc:.3} with He vs {small_acc:.3} with small random weights.",
        get(&tanh, "small_normal"),
        get(&tanh, "xavier_normal"),
        get(&relu, "small_normal"),
        get(&relu, "he_normal")
    );
    let figures = figures(&tanh, &relu)?;
    Ok(Outcome {
        claim: "Var(s) = n·Var(w)·Var(x): small random weights make activations (and gradients) vanish with depth, \
                Xavier keeps tanh networks at scale and He keeps ReLU networks at scale; zero init never breaks the \
                symmetry between hidden units; so a deep ReLU network trains with He but not with small weights."
            .into(),
        measurements: json!({
            "activation_std_ratio_last_over_first": {
                "tanh": SCHEMES.iter().map(|n| (n.to_string(), json!(get(&tanh, n)))).collect::<serde_json::Map<_, _>>(),
                "relu": SCHEMES.iter().map(|n| (n.to_string(), json!(get(&relu, n)))).collect::<serde_json::Map<_, _>>(),
            },
            "zero_init": {"max_unit_weight_difference": spread, "max_abs_weight_after_training": moved, "best_val_accuracy": zero_acc},
            "deep_relu_best_val_accuracy": {"he_normal": he_acc, "small_normal": small_acc},
        }),
        supported: Support::from_checks(&checks),
        verdict,
        figures,
        tables: vec![Table {
            caption: "Depth probe: 24 bias-free layers, standard-normal inputs and output gradient".into(),
            header: ["activation", "init", "act. std layer 1", "act. std layer 24", "ratio", "grad std layer 1", "unit spread layer 24"]
                .map(String::from).to_vec(),
            rows,
        }],
        config: json!({"probe": {"depth": 24, "width": ctx.budget.pick(64, 256, 256), "batch": ctx.budget.pick(64, 256, 512), "seed": 0},
            "zero_init": "MLP 64-32-32-10 sigmoid, all weights and biases 0, SGD lr 0.5, digits",
            "deep_relu": "MLP 64-[64 x 20]-10 ReLU, SGD lr 0.01 momentum 0.9, digits", "schemes": SCHEMES}),
        seeds: vec![0],
    })
}

/// Activation std (tanh, ReLU) and gradient std (ReLU) against depth.
fn figures(
    tanh: &[(&str, Vec<LayerStats>)],
    relu: &[(&str, Vec<LayerStats>)],
) -> downhill::Result<Vec<Figure>> {
    let note = " Zero init has std exactly 0 and cannot appear on the log scale.";
    Ok(vec![
        common::line_figure(
            "initialization-tanh.svg",
            &format!("Activation std per layer, tanh network, width 256.{note}"),
            (
                "tanh: activation std vs depth",
                "layer",
                "std of activations (log scale)",
            ),
            &std_lines(tanh, false),
            true,
        )?,
        common::line_figure(
            "initialization-relu.svg",
            &format!("Activation std per layer, ReLU network.{note}"),
            (
                "ReLU: activation std vs depth",
                "layer",
                "std of activations (log scale)",
            ),
            &std_lines(relu, false),
            true,
        )?,
        common::line_figure(
            "initialization-relu-gradients.svg",
            &format!("Std of the backpropagated gradient ∂L/∂s per layer, ReLU network.{note}"),
            (
                "ReLU: gradient std vs depth",
                "layer",
                "std of gradients (log scale)",
            ),
            &std_lines(relu, true),
            true,
        )?,
    ])
}
