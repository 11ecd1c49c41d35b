//! Experiment 3: every optimizer trains the same MLP on digits, each at its best learning rate
//! from a small grid (chosen on seed 0 by final validation loss), then over several seeds.

use downhill::optim::Hyper;
use downhill::{Activation, History, NetSpec};
use serde_json::json;

use super::common::{self, f, mean_curve, mean_std, series};
use super::{Ctx, Outcome, Support, Table};

/// Label, optimizer name, fixed hyperparameters, learning-rate grid.
type Candidate = (&'static str, &'static str, Hyper, [f64; 4]);

fn candidates() -> Vec<Candidate> {
    let h = Hyper::default;
    let m = || Hyper {
        momentum: Some(0.9),
        ..h()
    };
    let n = || Hyper {
        momentum: Some(0.9),
        nesterov: Some(true),
        ..h()
    };
    let adam_grid = [3e-4, 1e-3, 3e-3, 1e-2];
    vec![
        ("SGD", "sgd", h(), [0.01, 0.03, 0.1, 0.3]),
        ("momentum", "sgd", m(), [0.003, 0.01, 0.03, 0.1]),
        ("Nesterov", "sgd", n(), [0.003, 0.01, 0.03, 0.1]),
        ("Adagrad", "adagrad", h(), [0.003, 0.01, 0.03, 0.1]),
        ("Adadelta", "adadelta", h(), [0.3, 1.0, 3.0, 10.0]),
        ("RMSprop", "rmsprop", h(), [1e-4, 3e-4, 1e-3, 3e-3]),
        ("Adam", "adam", h(), adam_grid),
        ("AdamW", "adamw", h(), adam_grid),
        ("NAdam", "nadam", h(), adam_grid),
        ("Lion", "lion", h(), [3e-5, 1e-4, 3e-4, 1e-3]),
    ]
}

/// One training run; a diverged run (non-finite loss) is `None`.
fn one(
    ctx: &Ctx,
    c: &Candidate,
    lr: f64,
    seed: u64,
    data: &Data,
) -> downhill::Result<Option<History>> {
    ctx.status(format!("{} lr {lr:.0e} seed {seed}", c.0));
    let hyper = Hyper {
        lr: Some(lr),
        ..c.2.clone()
    };
    let cfg = common::config(c.1, hyper, data.epochs, seed);
    match common::train(&data.spec, cfg, &data.train, &data.val) {
        Ok((_, h)) => Ok(Some(h)),
        Err(downhill::Error::NonFinite { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The data, architecture and budget every run shares.
struct Data {
    train: downhill::data::Dataset<f32>,
    val: downhill::data::Dataset<f32>,
    spec: NetSpec,
    hidden: Vec<usize>,
    epochs: usize,
}

/// What one optimizer achieved over the seeds.
struct Summary {
    label: &'static str,
    lr: f64,
    histories: Vec<History>,
}

impl Summary {
    fn curve(&self, pick: fn(&downhill::EpochRecord) -> f64) -> Vec<f64> {
        let curves: Vec<Vec<f64>> = self
            .histories
            .iter()
            .map(|h| h.epochs.iter().map(pick).collect())
            .collect();
        mean_curve(&curves)
    }

    fn finals(&self, pick: fn(&downhill::EpochRecord) -> f64) -> (f64, f64) {
        let v: Vec<f64> = self
            .histories
            .iter()
            .filter_map(|h| h.last().map(pick))
            .collect();
        mean_std(&v)
    }
}

fn val_loss(r: &downhill::EpochRecord) -> f64 {
    r.val_loss.unwrap_or(f64::NAN)
}

fn val_acc(r: &downhill::EpochRecord) -> f64 {
    r.val_accuracy.unwrap_or(f64::NAN)
}

/// Picks the best lr on seed 0, then repeats it on the other seeds.
fn tune(ctx: &Ctx, c: &Candidate, data: &Data, seeds: &[u64]) -> downhill::Result<Summary> {
    let mut best: Option<(f64, f64, History)> = None;
    for &lr in &c.3 {
        if let Some(h) = one(ctx, c, lr, seeds[0], data)? {
            let loss = h.last().map_or(f64::INFINITY, val_loss);
            if best.as_ref().is_none_or(|b| loss < b.1) {
                best = Some((lr, loss, h));
            }
        }
    }
    let (lr, _, h0) =
        best.ok_or_else(|| downhill::Error::Data(format!("{}: every lr diverged", c.0)))?;
    let mut histories = vec![h0];
    for &s in &seeds[1..] {
        histories.extend(one(ctx, c, lr, s, data)?);
    }
    Ok(Summary {
        label: c.0,
        lr,
        histories,
    })
}

/// Runs experiment 3.
///
/// # Errors
/// Data loading or a training error other than divergence.
pub fn run(ctx: &Ctx) -> downhill::Result<Outcome> {
    let (train, val) = common::digits()?;
    let b = ctx.budget;
    let hidden = b.pick(vec![32], vec![128], vec![256, 128]);
    let data = Data {
        spec: NetSpec::mlp(64, &hidden, 10, Activation::Relu, None),
        hidden,
        epochs: b.pick(1, 10, 30),
        train,
        val,
    };
    let seeds: Vec<u64> = (0..b.pick(1, 3, 3)).collect();
    let mut sums = Vec::new();
    for c in candidates() {
        sums.push(tune(ctx, &c, &data, &seeds)?);
    }
    let figures = vec![
        common::line_figure(
            "digits-optimizers-val-loss.svg",
            "Validation cross-entropy per epoch, mean over seeds, each optimizer at its best lr.",
            (
                "Optimizers on digits: validation loss",
                "epoch",
                "validation loss (nats, log scale)",
            ),
            &sums
                .iter()
                .map(|s| series(format!("{} {:.0e}", s.label, s.lr), &s.curve(val_loss)))
                .collect::<Vec<_>>(),
            true,
        )?,
        common::line_figure(
            "digits-optimizers-val-accuracy.svg",
            "Validation accuracy per epoch, mean over seeds (spread in the table).",
            (
                "Optimizers on digits: validation accuracy",
                "epoch",
                "validation accuracy (fraction)",
            ),
            &sums
                .iter()
                .map(|s| series(s.label, &s.curve(val_acc)))
                .collect::<Vec<_>>(),
            false,
        )?,
    ];
    outcome(&sums, &data, &seeds, figures)
}

/// The verdict from the summaries.
fn outcome(
    sums: &[Summary],
    data: &Data,
    seeds: &[u64],
    figures: Vec<super::Figure>,
) -> downhill::Result<Outcome> {
    let early = (data.epochs / 3).max(1) - 1;
    let at = |label: &str| sums.iter().find(|s| s.label == label);
    let early_loss = |label: &str| at(label).map_or(f64::NAN, |s| s.curve(val_loss)[early]);
    let final_acc = |label: &str| at(label).map_or(f64::NAN, |s| s.finals(val_acc).0);
    let best_acc = sums.iter().map(|s| s.finals(val_acc).0).fold(0.0, f64::max);
    let adaptive_early = ["Adagrad", "RMSprop", "Adam"]
        .map(early_loss)
        .into_iter()
        .fold(f64::INFINITY, f64::min);
    let checks = [
        early_loss("momentum") < early_loss("SGD"),
        adaptive_early < early_loss("SGD"),
        final_acc("Adam") >= best_acc - 0.01,
    ];
    let mut rows = Vec::new();
    let mut meas = serde_json::Map::new();
    for s in sums {
        let (acc, acc_sd) = s.finals(val_acc);
        let (loss, loss_sd) = s.finals(val_loss);
        let to95: Vec<f64> = s
            .histories
            .iter()
            .map(|h| common::epochs_to(h, 0.95).map_or(f64::NAN, |e| e as f64))
            .collect();
        rows.push(vec![
            s.label.to_string(),
            format!("{:.0e}", s.lr),
            format!("{} ± {}", f(acc, 4), f(acc_sd, 4)),
            format!("{} ± {}", f(loss, 4), f(loss_sd, 4)),
            f(mean_std(&to95).0, 1),
            f(early_loss(s.label), 4),
        ]);
        meas.insert(
            s.label.into(),
            json!({"lr": s.lr, "final_val_accuracy_mean": acc, "final_val_accuracy_std": acc_sd,
            "final_val_loss_mean": loss, "final_val_loss_std": loss_sd, "epochs_to_95pct": to95,
            "val_loss_at_epoch": [early + 1, early_loss(s.label)], "runs": s.histories.len()}),
        );
    }
    let verdict = format!(
        "Validation loss after epoch {} (mean over seeds): SGD {:.4}, momentum {:.4}, best of Adagrad/RMSprop/Adam {:.4}. \
         Final accuracy: Adam {:.4} vs best optimizer {:.4}. Checks — momentum beats SGD early: {}; an adaptive method beats SGD early: {}; \
         Adam within 1 point of the best: {}.",
        early + 1,
        early_loss("SGD"),
        early_loss("momentum"),
        adaptive_early,
        final_acc("Adam"),
        best_acc,
        checks[0],
        checks[1],
        checks[2]
    );
    Ok(Outcome {
        claim: "Beyond plain SGD, momentum and per-dimension adaptive methods (Adagrad, RMSprop, Adam, …) \
                train a network faster; Adam is a good default."
            .into(),
        measurements: serde_json::Value::Object(meas),
        supported: Support::from_checks(&checks),
        verdict,
        figures,
        tables: vec![Table {
            caption: format!("Digits, ReLU MLP 64-{:?}-10, {} epochs, batch 64, {} seeds: final validation metrics (mean ± std)", data.hidden, data.epochs, seeds.len()),
            header: ["optimizer", "best lr", "val accuracy", "val loss", "epochs to 95%", &format!("val loss @ epoch {}", early + 1)]
                .map(String::from).to_vec(),
            rows,
        }],
        config: json!({"data": "digits /16, 80/20 stratified split (seed 1234)", "net": data.spec, "epochs": data.epochs,
            "batch_size": 64, "loss": "cross-entropy, no smoothing", "selection": "best lr on seed 0 by final val loss",
            "grids": candidates().iter().map(|c| json!({"optimizer": c.0, "name": c.1, "hyper": c.2, "lrs": c.3})).collect::<Vec<_>>()}),
        seeds: seeds.to_vec(),
    })
}
