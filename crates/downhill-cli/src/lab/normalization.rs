//! Experiment 5: data normalization on breast-cancer. Logistic regression trained by SGD on raw
//! and on standardized features (each at its best lr), and the condition number of the
//! logistic-regression Hessian at w = 0 before and after.

use downhill::data::{Dataset, load_bundled};
use downhill::init::Init;
use downhill::norm::{Scaling, Standardizer, symmetric_eigen};
use downhill::plot::Series;
use downhill::{History, LayerSpec, NetSpec};
use rand::SeedableRng;
use serde_json::json;

use super::common::{self, f, never, series};
use super::{Ctx, Outcome, Support, Table};

/// The loss a run must reach to count as converged.
const TARGET_LOSS: f64 = 0.15;

/// Eigenvalues (ascending) of the logistic-regression Hessian at w = 0:
/// `H = (1/n) Σ p(1−p) x̃ x̃ᵀ` with `p = ½` and `x̃ = (x, 1)` (the bias column).
fn hessian_eigenvalues(ds: &Dataset<f32>) -> Vec<f64> {
    let (n, d) = (ds.len(), ds.num_features() + 1);
    let x = ds.features().as_slice();
    let mut h = vec![0.0; d * d];
    for row in x.chunks_exact(d - 1) {
        let xt: Vec<f64> = row.iter().map(|v| f64::from(*v)).chain([1.0]).collect();
        for i in 0..d {
            for j in 0..d {
                h[i * d + j] += 0.25 * xt[i] * xt[j] / n as f64;
            }
        }
    }
    let mut ev = symmetric_eigen(&h, d).values;
    ev.sort_by(f64::total_cmp);
    ev
}

/// A named (train, validation) pair.
type Variant = (&'static str, Dataset<f32>, Dataset<f32>);

/// Raw and standardized copies of the train/validation split (statistics from train only).
fn splits() -> downhill::Result<[Variant; 2]> {
    let ds = load_bundled::<f32>("breast-cancer")?;
    let mut rng = downhill::DefaultRng::seed_from_u64(common::SPLIT_SEED);
    let (train, val) = ds.split(0.2, true, &mut rng)?;
    let st = Standardizer::fit(Scaling::Standard, train.features())?;
    let (mut strain, mut sval) = (train.clone(), val.clone());
    *strain.features_mut() = st.transform(train.features())?;
    *sval.features_mut() = st.transform(val.features())?;
    Ok([("raw", train, val), ("standardized", strain, sval)])
}

/// Trains logistic regression with SGD at each lr of the grid; returns the best (lr, history)
/// by final training loss (diverged runs skipped).
fn best_sgd(
    ctx: &Ctx,
    name: &str,
    tr: &Dataset<f32>,
    va: &Dataset<f32>,
    epochs: usize,
) -> downhill::Result<(f64, History)> {
    let spec = NetSpec {
        input: tr.num_features(),
        layers: vec![LayerSpec::Linear {
            out: 2,
            init: Some(Init::Zeros),
            bias: true,
        }],
    };
    let mut best: Option<(f64, History)> = None;
    for k in -7..=0 {
        let lr = 10f64.powi(k);
        ctx.status(format!("{name}: lr {lr:.0e}"));
        let h = match common::train(
            &spec,
            common::config("sgd", common::lr(lr), epochs, 0),
            tr,
            va,
        ) {
            Ok((_, h)) => h,
            Err(downhill::Error::NonFinite { .. }) => continue,
            Err(e) => return Err(e),
        };
        let loss = h.last().map_or(f64::INFINITY, |r| r.train_loss);
        if loss.is_finite()
            && best
                .as_ref()
                .is_none_or(|b| loss < b.1.last().map_or(f64::INFINITY, |r| r.train_loss))
        {
            best = Some((lr, h));
        }
    }
    best.ok_or_else(|| downhill::Error::Data(format!("{name}: every learning rate diverged")))
}

/// Runs experiment 5.
///
/// # Errors
/// Data loading or a training error other than divergence.
pub fn run(ctx: &Ctx) -> downhill::Result<Outcome> {
    let epochs = ctx.budget.pick(2, 40, 100);
    let (mut rows, mut loss_lines, mut eig_lines) = (Vec::new(), Vec::new(), Vec::new());
    let mut meas = serde_json::Map::new();
    for (name, tr, va) in splits()? {
        let ev = hessian_eigenvalues(&tr);
        let cond = ev.last().copied().unwrap_or(f64::NAN) / ev[0];
        let (lr, h) = best_sgd(ctx, name, &tr, &va, epochs)?;
        let reach = h
            .epochs
            .iter()
            .find(|r| r.train_loss < TARGET_LOSS)
            .map(|r| r.epoch);
        let last = h.last().cloned();
        let (tl, vacc) = last.map_or((f64::NAN, f64::NAN), |r| {
            (r.train_loss, r.val_accuracy.unwrap_or(f64::NAN))
        });
        rows.push(vec![
            name.into(),
            format!("{cond:.3e}"),
            format!("{lr:.0e}"),
            reach.map_or("never".into(), |e| e.to_string()),
            f(tl, 4),
            f(vacc, 4),
        ]);
        meas.insert(name.into(), json!({"hessian_condition_number": cond, "hessian_eigenvalues": ev, "best_lr": lr,
            "epochs_to_train_loss_below_target": reach, "final_train_loss": tl, "final_val_accuracy": vacc}));
        loss_lines.push(series(
            format!("{name} (lr {lr:.0e})"),
            &h.epochs.iter().map(|r| r.train_loss).collect::<Vec<_>>(),
        ));
        eig_lines.push(Series {
            label: name.into(),
            points: ev
                .iter()
                .rev()
                .enumerate()
                .map(|(i, v)| ((i + 1) as f64, *v))
                .collect(),
        });
    }
    let figures = vec![
        common::line_figure(
            "normalization-loss.svg",
            &format!(
                "Logistic regression on breast-cancer (SGD, batch 64), each at its best lr from 1e-7…1: training loss per epoch. Target {TARGET_LOSS}."
            ),
            (
                "Raw vs standardized features",
                "epoch",
                "training loss (nats, log scale)",
            ),
            &loss_lines,
            true,
        )?,
        common::line_figure(
            "normalization-hessian-spectrum.svg",
            "Eigenvalues of the logistic-regression Hessian at w = 0, largest first; their ratio is the condition number.",
            (
                "Hessian spectrum",
                "eigenvalue rank",
                "eigenvalue (log scale)",
            ),
            &eig_lines,
            true,
        )?,
    ];
    let c = |k: &str| {
        meas[k]["hessian_condition_number"]
            .as_f64()
            .unwrap_or(f64::NAN)
    };
    let e = |k: &str| meas[k]["epochs_to_train_loss_below_target"].as_u64();
    let l = |k: &str| meas[k]["final_train_loss"].as_f64().unwrap_or(f64::NAN);
    let faster = match (e("standardized"), e("raw")) {
        (Some(s), Some(r)) => s < r,
        (Some(_), None) => true,
        (None, _) => l("standardized") < l("raw"),
    };
    let checks = [c("standardized") * 100.0 < c("raw"), faster];
    let verdict = format!(
        "Standardizing lowers the Hessian's condition number from {:.3e} to {:.3e} ({:.1e}×), and SGD reaches training \
         loss {TARGET_LOSS} after {} epochs instead of {} (final loss {:.4} vs {:.4}).",
        c("raw"),
        c("standardized"),
        c("raw") / c("standardized"),
        never(e("standardized")),
        never(e("raw")),
        l("standardized"),
        l("raw")
    );
    Ok(Outcome {
        claim: "Normalizing the inputs (zero mean, unit variance) makes the loss surface better conditioned, so gradient descent converges faster.".into(),
        measurements: serde_json::Value::Object(meas),
        supported: Support::from_checks(&checks),
        verdict,
        figures,
        tables: vec![Table {
            caption: format!("Breast-cancer, logistic regression, SGD batch 64, {epochs} epochs (None/never = target not reached)"),
            header: ["features", "Hessian cond.", "best lr", "epochs to target", "final train loss", "final val acc"].map(String::from).to_vec(),
            rows,
        }],
        config: json!({"data": "breast-cancer, 80/20 stratified split (seed 1234); standardizer fitted on train only",
            "model": "Linear(30→2), zero init, softmax cross-entropy", "optimizer": "sgd", "lr_grid": "1e-7…1 (decades)",
            "epochs": epochs, "batch_size": 64, "target_train_loss": TARGET_LOSS}),
        seeds: vec![0],
    })
}
