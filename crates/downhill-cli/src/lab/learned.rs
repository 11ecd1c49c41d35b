//! Experiment 9: the learned optimizer (downhill-l2o's shipped weights) against Adam at its best
//! lr from a grid and SGD with momentum, on held-out tasks of its training family (quadratics,
//! MLPs on synthetic data, and MLPs on the held-out rows of the bundled iris, wine and
//! breast-cancer sets, whose other rows the family's meta-training tasks use) and on the
//! digits MLP, which is outside it. A real-data group counts as in the family only if the
//! shipped weights' metadata says they were meta-trained on its data set; otherwise it is
//! reported as outside their family. Adam and SGD are tuned on the very tasks they are scored on;
//! the learned optimizer is not tuned at all. The held-out tasks are draw
//! [`FIRST_UNTOUCHED_DRAW`], which no design or selection decision has looked at.

use std::sync::Arc;

use downhill::l2o::{Curve, EvalConfig, FIRST_UNTOUCHED_DRAW, GroupReport, evaluate};
use serde_json::json;

use super::common::series;
use super::{Ctx, Outcome, Support, Table};

fn l2o(e: downhill::l2o::L2oError) -> downhill::Error {
    downhill::Error::config("l2o", e.to_string())
}

/// The curve for `optimizer` in a group.
fn curve<'a>(g: &'a GroupReport, optimizer: &str) -> Option<&'a Curve> {
    g.curves.iter().find(|c| c.optimizer.starts_with(optimizer))
}

/// Whether the learned optimizer's mean and median final loss are both below tuned Adam's.
fn beats_adam(g: &GroupReport) -> bool {
    let (Some(l), Some(a)) = (curve(g, "learned"), curve(g, "adam")) else {
        return false;
    };
    let below = |x: f64, y: f64| x < y || (x.is_finite() && !y.is_finite());
    below(l.final_mean(), a.final_mean()) && below(l.final_median(), a.final_median())
}

/// `mean ± std / median` of the final loss of the curve for `optimizer` in a group.
fn cell(g: &GroupReport, optimizer: &str) -> String {
    curve(g, optimizer).map_or_else(
        || "n/a".into(),
        |c| {
            format!(
                "{:.2e} ± {:.1e} / {:.2e}",
                c.final_mean(),
                c.final_std(),
                c.final_median()
            )
        },
    )
}

/// Runs the comparison.
///
/// # Errors
/// A task or evaluation failure.
pub fn run(ctx: &Ctx) -> downhill::Result<Outcome> {
    let seeds = ctx.budget.pick(1, 2, 20);
    let steps = ctx.budget.pick(10, 50, 100);
    let draw = FIRST_UNTOUCHED_DRAW;
    ctx.status("building held-out tasks");
    let (net, metadata) = crate::l2o::load_weights(None)?;
    let trained_on = crate::l2o::trained_real_data(&metadata);
    let mut groups = crate::l2o::family_groups(draw, seeds, false, &trained_on)?;
    groups.push(crate::l2o::digits_group(seeds, draw)?);
    let cfg = EvalConfig {
        steps,
        ..EvalConfig::default()
    };
    ctx.status(format!(
        "evaluating {} groups × {seeds} seeds, {steps} steps",
        groups.len()
    ));
    let net = Arc::new(net);
    let report = evaluate(&net, &groups, &cfg).map_err(l2o)?;
    let mut rows = Vec::new();
    let mut figures = Vec::new();
    let (mut wins, mut in_family) = (0, 0);
    let mut out_of_family_win = None;
    for g in &report.groups {
        let win = beats_adam(g);
        if g.in_family {
            in_family += 1;
            wins += usize::from(win);
        } else {
            out_of_family_win = Some(win);
        }
        rows.push(vec![
            g.task.clone(),
            (if g.in_family {
                "held-out, in family"
            } else {
                "outside the family"
            })
            .into(),
            cell(g, "learned"),
            cell(g, "adam"),
            cell(g, "sgd"),
            format!("{}/{}", g.wins_vs_adam, g.seeds),
        ]);
        let s: Vec<_> = g
            .curves
            .iter()
            .map(|c| series(format!("{} (lr {:.0e})", c.optimizer, c.lr), &c.mean))
            .collect();
        let name = format!("learned-{}.svg", g.task);
        let caption = format!(
            "{}: mean training loss over {} seeds against the step (log10 scale)",
            g.task, g.seeds
        );
        figures.push(super::common::line_figure(
            &name,
            &caption,
            (&g.task, "optimizer step", "training loss"),
            &s,
            true,
        )?);
    }
    let supported = match (wins == in_family, wins > 0) {
        (true, _) => Support::Yes,
        (false, true) => Support::Partly,
        (false, false) => Support::No,
    };
    let verdict = format!(
        "The learned optimizer beats tuned Adam (mean and median final loss) on {wins} of {in_family} held-out in-family task groups after {steps} steps; outside its family (the digits MLP) it {}.",
        match out_of_family_win {
            Some(true) => "also beats Adam",
            Some(false) => "loses to Adam",
            None => "was not measured",
        }
    );
    Ok(Outcome {
        claim: "Optimizers can themselves be neural networks (\"even other NNs\"): a learned optimizer, meta-trained on a task family, competes with hand-designed ones.".into(),
        measurements: json!({ "steps": steps, "seeds": seeds, "in_family_wins_vs_adam": wins, "in_family_groups": in_family, "out_of_family_beats_adam": out_of_family_win, "table": rows }),
        supported,
        verdict,
        figures,
        tables: vec![Table {
            caption: format!("Final training loss after {steps} steps, mean ± sample std / median over {seeds} seeds of held-out draw {draw} (Adam and SGD-momentum at their best lr from a grid, tuned per task group on these very instances; the learned optimizer untuned); the last column counts the instances on which the learned optimizer ends below tuned Adam"),
            header: ["task group", "family", "learned", "Adam (tuned)", "SGD momentum (tuned)", "learned < Adam"].map(String::from).to_vec(),
            rows,
        }],
        config: json!({ "weights": "assets/l2o/weights.safetensors (shipped)", "held_out_draw": draw, "adam_lrs": cfg.adam_lrs, "sgd_lrs": cfg.sgd_lrs, "sgd_momentum": cfg.sgd_momentum }),
        seeds: (0..seeds as u64).collect(),
    })
}
