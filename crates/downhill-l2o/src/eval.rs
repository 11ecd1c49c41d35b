//! Evaluation: the learned optimizer against tuned Adam and SGD with momentum.

use std::sync::Arc;

use downhill_optim::{Adam, Optimizer, Sgd};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Result, config};
use crate::net::LearnedNet;
use crate::optimizer::LearnedOptimizer;
use crate::task::{Task, unroll};

/// Tasks evaluated together: several instances (seeds) of one kind of task.
pub struct TaskGroup {
    /// The group's name, e.g. `"quadratic"` or `"digits-mlp"`.
    pub name: String,
    /// Whether the tasks come from the meta-training family (held out) or from outside it.
    pub in_family: bool,
    /// The instances; statistics are over these.
    pub instances: Vec<Box<dyn Task>>,
}

impl TaskGroup {
    /// A group from its parts.
    pub fn new(name: impl Into<String>, in_family: bool, instances: Vec<Box<dyn Task>>) -> Self {
        Self {
            name: name.into(),
            in_family,
            instances,
        }
    }
}

/// What to compare and for how long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalConfig {
    /// The step budget, equal for every optimizer.
    pub steps: usize,
    /// Adam's learning-rate grid; the best (lowest mean final loss) is reported per group.
    pub adam_lrs: Vec<f64>,
    /// SGD's learning-rate grid (momentum [`EvalConfig::sgd_momentum`]); best reported.
    pub sgd_lrs: Vec<f64>,
    /// SGD's momentum.
    pub sgd_momentum: f64,
}

impl Default for EvalConfig {
    /// 100 steps (the meta-training horizon); the half-decade grid `1e-4, 3e-4, …, 3, 10` for
    /// both Adam and SGD with momentum 0.9.
    fn default() -> Self {
        let grid = vec![1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0];
        Self {
            steps: 100,
            adam_lrs: grid.clone(),
            sgd_lrs: grid,
            sgd_momentum: 0.9,
        }
    }
}

/// One optimizer's loss curve on one group: mean and standard deviation over instances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// `"learned"`, `"adam"` or `"sgd-momentum"`.
    pub optimizer: String,
    /// The learning rate used (the best from the grid for the baselines, 1 for learned).
    pub lr: f64,
    /// Mean loss over instances before each step and after the last (`steps + 1` values).
    pub mean: Vec<f64>,
    /// Sample standard deviation over instances (0 for a single instance).
    pub std: Vec<f64>,
    /// How many instances diverged (non-finite loss).
    pub diverged: usize,
    /// Each instance's final loss, in instance order (non-finite for a diverged run).
    pub finals: Vec<f64>,
}

impl Curve {
    /// The mean final loss.
    pub fn final_mean(&self) -> f64 {
        self.mean.last().copied().unwrap_or(f64::NAN)
    }

    /// The spread of the final loss.
    pub fn final_std(&self) -> f64 {
        self.std.last().copied().unwrap_or(f64::NAN)
    }

    /// The median final loss over instances (the mean of the two middle values for an even
    /// count; a diverged run counts as `+∞`).
    pub fn final_median(&self) -> f64 {
        let mut v: Vec<f64> = self.finals.iter().map(|&f| finite_or_inf(f)).collect();
        if v.is_empty() {
            return f64::NAN;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            0.5 * (v[n / 2 - 1] + v[n / 2])
        }
    }

    /// On how many instances this curve's final loss is strictly below `other`'s on the same
    /// instance (a diverged run counts as `+∞`, so it never wins and always loses to a finite
    /// one).
    ///
    /// # Panics
    /// If the curves cover different numbers of instances.
    pub fn wins_against(&self, other: &Curve) -> usize {
        assert_eq!(
            self.finals.len(),
            other.finals.len(),
            "instance counts differ"
        );
        self.finals
            .iter()
            .zip(&other.finals)
            .filter(|(a, b)| finite_or_inf(**a) < finite_or_inf(**b))
            .count()
    }
}

fn finite_or_inf(v: f64) -> f64 {
    if v.is_finite() { v } else { f64::INFINITY }
}

/// The results on one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupReport {
    /// The group's name.
    pub task: String,
    /// Whether it is held out from the training family (`true`) or outside it.
    pub in_family: bool,
    /// The number of instances (seeds).
    pub seeds: usize,
    /// The learned optimizer, tuned Adam and tuned SGD with momentum, in this order.
    pub curves: Vec<Curve>,
    /// On how many of the [`GroupReport::seeds`] instances the learned optimizer's final loss
    /// is below tuned Adam's on the same instance ([`Curve::wins_against`]).
    pub wins_vs_adam: usize,
    /// The same against tuned SGD with momentum.
    pub wins_vs_sgd: usize,
}

/// Everything [`evaluate`] measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// The configuration evaluated.
    pub config: EvalConfig,
    /// One entry per group.
    pub groups: Vec<GroupReport>,
}

fn curve(optimizer: &str, lr: f64, runs: &[Vec<f64>]) -> Curve {
    let n = runs.len() as f64;
    let len = runs.first().map_or(0, Vec::len);
    let column = |t: usize| runs.iter().map(move |r| r[t]);
    let mean: Vec<f64> = (0..len).map(|t| column(t).sum::<f64>() / n).collect();
    let std = (0..len)
        .map(|t| {
            if runs.len() < 2 {
                return 0.0;
            }
            (column(t).map(|v| (v - mean[t]).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        })
        .collect();
    let diverged = runs
        .iter()
        .filter(|r| r.last().is_some_and(|v| !v.is_finite()))
        .count();
    Curve {
        optimizer: optimizer.into(),
        lr,
        mean,
        std,
        diverged,
        finals: runs
            .iter()
            .map(|r| r.last().copied().unwrap_or(f64::NAN))
            .collect(),
    }
}

fn build(
    kind: &str,
    lr: f64,
    cfg: &EvalConfig,
    net: &Arc<LearnedNet>,
) -> Result<Box<dyn Optimizer<f64>>> {
    Ok(match kind {
        "adam" => Box::new(
            Adam {
                lr,
                ..Adam::default()
            }
            .build::<f64>()?,
        ),
        "sgd-momentum" => Box::new(
            Sgd {
                lr,
                momentum: cfg.sgd_momentum,
                ..Sgd::default()
            }
            .build::<f64>()?,
        ),
        _ => Box::new(LearnedOptimizer::<f64>::new(net.clone())),
    })
}

/// The best curve of `kind` over its grid (lowest mean final loss; diverged counts as worst).
fn tuned(
    kind: &str,
    grid: &[f64],
    group: &TaskGroup,
    cfg: &EvalConfig,
    net: &Arc<LearnedNet>,
) -> Result<Curve> {
    let curves = grid
        .par_iter()
        .map(|&lr| {
            let runs = group
                .instances
                .iter()
                .map(|task| {
                    unroll(
                        task.as_ref(),
                        build(kind, lr, cfg, net)?.as_mut(),
                        cfg.steps,
                    )
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(curve(kind, lr, &runs))
        })
        .collect::<Result<Vec<_>>>()?;
    let key = |c: &Curve| {
        if c.final_mean().is_finite() {
            c.final_mean()
        } else {
            f64::INFINITY
        }
    };
    curves
        .into_iter()
        .min_by(|a, b| key(a).total_cmp(&key(b)))
        .ok_or_else(|| config("grid", format!("empty learning-rate grid for {kind}")))
}

/// Runs the learned optimizer (`net`, lr 1), Adam at each rate of its grid and SGD with
/// momentum at each rate of its grid on every instance of every group, for `cfg.steps` steps
/// each, and reports per group the learned curve and the *best* baseline curves.
///
/// The baselines are tuned on the very instances they are scored on, so the comparison
/// favours them; the learned optimizer gets no tuning at all.
///
/// # Errors
/// An empty group or grid, or an error from a task or an optimizer.
pub fn evaluate(
    net: &Arc<LearnedNet>,
    groups: &[TaskGroup],
    cfg: &EvalConfig,
) -> Result<EvalReport> {
    let mut reports = Vec::with_capacity(groups.len());
    for g in groups {
        if g.instances.is_empty() {
            return Err(config(
                "groups",
                format!("group {} has no instances", g.name),
            ));
        }
        let curves = vec![
            tuned("learned", &[1.0], g, cfg, net)?,
            tuned("adam", &cfg.adam_lrs, g, cfg, net)?,
            tuned("sgd-momentum", &cfg.sgd_lrs, g, cfg, net)?,
        ];
        reports.push(GroupReport {
            task: g.name.clone(),
            in_family: g.in_family,
            seeds: g.instances.len(),
            wins_vs_adam: curves[0].wins_against(&curves[1]),
            wins_vs_sgd: curves[0].wins_against(&curves[2]),
            curves,
        });
    }
    Ok(EvalReport {
        config: cfg.clone(),
        groups: reports,
    })
}

/// The learned optimizer's final loss on each task of a fixed tiny held-out set (one instance
/// of each in-family group, drawn with held-out seed 7, 30 steps), for checking that weights
/// reproduce recorded numbers. Runs in well under a second.
///
/// # Errors
/// From the tasks or the optimizer.
pub fn reproduction_check(net: &Arc<LearnedNet>) -> Result<Vec<(String, f64)>> {
    let groups = crate::family::held_out_groups(7, 1)?;
    groups
        .iter()
        .map(|g| {
            let mut opt = LearnedOptimizer::<f64>::new(net.clone());
            let losses = unroll(g.instances[0].as_ref(), &mut opt, 30)?;
            Ok((g.name.clone(), losses.last().copied().unwrap_or(f64::NAN)))
        })
        .collect()
}
