//! Meta-training with antithetic evolution strategies on truncated unrolls.

use std::sync::Arc;

use downhill_optim::{Adam, Optimizer};
use downhill_tensor::Tensor;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Result, config};
use crate::family::{L2oRng, training_tasks_with};
use crate::net::{INITIAL_LR, LearnedNet, check_growth_limit};
use crate::optimizer::LearnedOptimizer;
use crate::real::DataPool;
use crate::task::{Task, unroll};

/// The bound on each per-step term of the meta-objective (a diverging run costs this much).
const LOG_RATIO_MAX: f64 = 3.0;

/// Meta-training settings; the defaults are the shipped run's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaTrainConfig {
    /// ES iterations (meta-steps).
    pub iterations: usize,
    /// Antithetic pairs per iteration (2 × pairs perturbed optimizers are unrolled).
    pub pairs: usize,
    /// Tasks per iteration, shared by every perturbation: in turn quadratic, synthetic-data
    /// MLP and (with real data) real-data MLP ([`training_tasks_with`]).
    pub tasks: usize,
    /// Unroll length (inner steps per task).
    pub unroll: usize,
    /// The ES perturbation scale σ.
    pub sigma: f64,
    /// Adam's learning rate on the meta-parameters.
    pub meta_lr: f64,
    /// The seed of everything random: the initial network, the tasks, the perturbations.
    pub seed: u64,
    /// The floor of each per-step term of [`meta_objective`]: a loss ratio `L_t/L_0` below
    /// `e^floor` counts as solved, so easy tasks stop earning credit there and the hard
    /// ones get the attention.
    #[serde(default = "default_floor")]
    pub floor: f64,
    /// Score the current network on the fixed validation tasks every this many iterations
    /// (0: never; the last iterate is returned).
    #[serde(default = "default_validate_every")]
    pub validate_every: usize,
    /// The number of validation tasks (of the kinds in the same turn as the iterations' tasks,
    /// drawn from the training seed range, and for real data from the meta-training rows,
    /// with a stream no iteration uses, so neither held-out nor trained on).
    #[serde(default = "default_validation_tasks")]
    pub validation_tasks: usize,
    /// The temperature `τ` of the soft maximum over tasks of the regret against Adam (see
    /// [`meta_loss`]); 0 gives the plain mean of the objectives (no Adam baseline).
    #[serde(default = "default_tau")]
    pub tau: f64,
    /// Adam's learning rates for the per-task baseline of [`meta_loss`] (and of the validation
    /// score): each task's reference is the best of Adam over these. Default
    /// [`BASELINE_ADAM_LRS`].
    #[serde(default = "default_baseline_lrs")]
    pub baseline_lrs: Vec<f64>,
    /// The weight of the quadratic kind in the mean over kinds of [`meta_loss`] (the MLP kind
    /// has weight 1); default 1.
    #[serde(default = "default_quadratic_weight")]
    pub quadratic_weight: f64,
    /// A lower bound on each task's regret in [`meta_loss`] and the validation score (`None`:
    /// unbounded). With `Some(c)`, beating Adam on a task by more than `e^{−c}` in loss ratio
    /// earns no further credit, so the meta-gradient comes from the tasks where the learned
    /// optimizer is behind or close, which is what per-instance wins and a mean over instances
    /// dominated by the hardest ones measure.
    #[serde(default)]
    pub regret_floor: Option<f64>,
    /// The learning rate of the Adam the initial network is ([`LearnedNet::initial_with_lr`]);
    /// default [`INITIAL_LR`] (0.3).
    #[serde(default = "default_initial_lr")]
    pub initial_lr: f64,
    /// The weight of the final log loss ratio in each unroll's objective (the rest goes to
    /// the step-weighted mean; see [`meta_objective_weighted`]); default ½.
    #[serde(default = "default_final_weight")]
    pub final_weight: f64,
    /// The names of the real data sets of the [`DataPool`] handed to [`meta_train_with`], in
    /// order (empty: no real-data tasks, the family before real data existed). Recorded so
    /// that a run's configuration says which data it saw; the pool must match it.
    #[serde(default)]
    pub real_data: Vec<String>,
    /// The update-growth limit `γ` of the optimizer being meta-trained
    /// ([`LearnedNet::growth_limit`]; `None`: no limit, the default and the rule before the
    /// limit existed). Every network of the run (perturbed, validated, returned) carries it.
    #[serde(default)]
    pub growth_limit: Option<f64>,
}

fn default_final_weight() -> f64 {
    0.5
}

fn default_initial_lr() -> f64 {
    INITIAL_LR
}

fn default_baseline_lrs() -> Vec<f64> {
    BASELINE_ADAM_LRS.to_vec()
}

fn default_quadratic_weight() -> f64 {
    1.0
}

fn default_tau() -> f64 {
    MetaTrainConfig::default().tau
}

/// Adam's learning rates for the per-task baseline of [`meta_loss`]: the best of these (by the
/// same objective) is the reference each task's learned run is measured against.
pub const BASELINE_ADAM_LRS: [f64; 3] = [0.1, 0.3, 1.0];

fn default_floor() -> f64 {
    MetaTrainConfig::default().floor
}

fn default_validate_every() -> usize {
    MetaTrainConfig::default().validate_every
}

fn default_validation_tasks() -> usize {
    MetaTrainConfig::default().validation_tasks
}

/// The task-stream index of the validation tasks: far above any iteration count.
const VALIDATION_STREAM: u64 = 1 << 39;

impl Default for MetaTrainConfig {
    fn default() -> Self {
        Self {
            iterations: 200,
            pairs: 8,
            tasks: 4,
            unroll: 100,
            sigma: 0.02,
            meta_lr: 3e-3,
            seed: 0,
            floor: -16.0,
            validate_every: 10,
            validation_tasks: 24,
            tau: 1.0,
            baseline_lrs: default_baseline_lrs(),
            quadratic_weight: default_quadratic_weight(),
            regret_floor: None,
            initial_lr: INITIAL_LR,
            final_weight: default_final_weight(),
            real_data: Vec::new(),
            growth_limit: None,
        }
    }
}

impl MetaTrainConfig {
    fn validate(&self) -> Result<()> {
        let positive = [
            ("iterations", self.iterations),
            ("pairs", self.pairs),
            ("tasks", self.tasks),
            ("unroll", self.unroll),
            ("validation_tasks", self.validation_tasks),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(config(name, "must be at least 1"));
        }
        if !(self.sigma > 0.0 && self.sigma.is_finite()) {
            return Err(config(
                "sigma",
                format!("must be finite and > 0, got {}", self.sigma),
            ));
        }
        if !(self.floor < 0.0 && self.floor.is_finite()) {
            return Err(config(
                "floor",
                format!("must be finite and < 0, got {}", self.floor),
            ));
        }
        if !(self.tau >= 0.0 && self.tau.is_finite()) {
            return Err(config(
                "tau",
                format!("must be finite and ≥ 0, got {}", self.tau),
            ));
        }
        if self.baseline_lrs.is_empty()
            || self
                .baseline_lrs
                .iter()
                .any(|lr| !(*lr > 0.0 && lr.is_finite()))
        {
            return Err(config(
                "baseline_lrs",
                format!(
                    "need at least one finite rate > 0, got {:?}",
                    self.baseline_lrs
                ),
            ));
        }
        if !(self.quadratic_weight > 0.0 && self.quadratic_weight.is_finite()) {
            return Err(config(
                "quadratic_weight",
                format!("must be finite and > 0, got {}", self.quadratic_weight),
            ));
        }
        if !(self.initial_lr > 0.0 && self.initial_lr.is_finite()) {
            return Err(config(
                "initial_lr",
                format!("must be finite and > 0, got {}", self.initial_lr),
            ));
        }
        check_growth_limit(self.growth_limit, "growth_limit")?;
        if !(0.0..=1.0).contains(&self.final_weight) {
            return Err(config(
                "final_weight",
                format!("must be in [0, 1], got {}", self.final_weight),
            ));
        }
        if let Some(c) = self.regret_floor.filter(|c| !c.is_finite()) {
            return Err(config("regret_floor", format!("must be finite, got {c}")));
        }
        if !(self.meta_lr > 0.0 && self.meta_lr.is_finite()) {
            return Err(config(
                "meta_lr",
                format!("must be finite and > 0, got {}", self.meta_lr),
            ));
        }
        Ok(())
    }
}

/// One meta-training iteration's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaRecord {
    /// The iteration (0-based).
    pub iteration: usize,
    /// The meta-loss averaged over the iteration's 2 × pairs perturbed optimizers.
    pub meta_loss: f64,
    /// The norm of the ES gradient estimate.
    pub grad_norm: f64,
    /// The updated network's [`final_objective`] averaged over the validation tasks, on the
    /// iterations where it was scored.
    pub validation: Option<f64>,
}

/// What [`meta_train`] produced.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaRun {
    /// The selected network: the lowest validation score among the initial network and every
    /// validated iterate (the last iterate if validation is off).
    pub net: LearnedNet,
    /// One record per iteration.
    pub records: Vec<MetaRecord>,
    /// The initial (Adam-equivalent) network's validation score, if validation is on.
    pub initial_validation: Option<f64>,
    /// The iteration after which the selected network was taken (`None`: the initial network).
    pub selected: Option<usize>,
}

/// The score used to select among iterates: the clamped log loss ratio at the end of the
/// unroll, which is what an equal-budget comparison measures (aggregated over the validation
/// tasks like [`meta_loss`]: regret against Adam, soft maximum).
///
/// ```text
/// F = clamp(ln(L_T / L_0), floor, 3)          (non-finite L_T → 3)
/// ```
pub fn final_objective(losses: &[f64], floor: f64) -> f64 {
    let r = (losses[losses.len() - 1] / losses[0]).ln();
    if r.is_nan() {
        LOG_RATIO_MAX
    } else {
        r.clamp(floor, LOG_RATIO_MAX)
    }
}

/// `τ·ln(mean exp(vᵢ/τ))` (computed stably), or the plain mean for `τ = 0`.
pub fn soft_max_mean(values: &[f64], tau: f64) -> f64 {
    let n = values.len() as f64;
    if tau == 0.0 {
        return values.iter().sum::<f64>() / n;
    }
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    max + tau * (values.iter().map(|v| ((v - max) / tau).exp()).sum::<f64>() / n).ln()
}

/// Per task, the best score of Adam over [`MetaTrainConfig::baseline_lrs`]; zeros when `cfg.tau = 0`
/// (the plain mean needs no baseline).
fn adam_baselines(
    tasks: &[Box<dyn Task>],
    cfg: &MetaTrainConfig,
    score: &(dyn Fn(&[f64]) -> f64 + Sync),
) -> Result<Vec<f64>> {
    if cfg.tau == 0.0 {
        return Ok(vec![0.0; tasks.len()]);
    }
    tasks
        .par_iter()
        .map(|task| {
            let mut best = f64::INFINITY;
            for &lr in &cfg.baseline_lrs {
                let mut adam = Adam {
                    lr,
                    ..Adam::default()
                }
                .build::<f64>()?;
                best = best.min(score(&unroll(task.as_ref(), &mut adam, cfg.unroll)?));
            }
            Ok(best)
        })
        .collect()
}

fn validation_score(
    net: &Arc<LearnedNet>,
    tasks: &[Box<dyn Task>],
    baselines: &[f64],
    cfg: &MetaTrainConfig,
) -> Result<f64> {
    let scores = tasks
        .par_iter()
        .zip(baselines)
        .map(|(task, b)| {
            let mut opt = LearnedOptimizer::<f64>::new(net.clone());
            Ok(final_objective(&unroll(task.as_ref(), &mut opt, cfg.unroll)?, cfg.floor) - b)
        })
        .collect::<Result<Vec<f64>>>()?;
    Ok(per_kind_soft_max(tasks, &scores, cfg))
}

/// The meta-objective of one unroll: half a step-weighted mean of the clamped log loss ratio,
/// half its final value.
///
/// ```text
/// ℓ_t = clamp(ln(L_t / L_0), floor, 3)                                 (non-finite L_t → 3)
/// J   = ½ · Σ_{t=1..T} t · ℓ_t / Σ_{t=1..T} t  +  ½ · ℓ_T
/// ```
///
/// Normalizing by `L_0` puts quadratics and MLPs on one scale; averaging over the unroll
/// rewards fast progress, not only the end point (Metz et al. 2020 use the mean loss), and the
/// weight `t` and the final term lean towards the end, which is what an equal-budget comparison
/// scores (with equal weights the first runs learned to rush early and stall on quadratics;
/// with the weight `t` alone, a network faster than Adam for 60 steps and slower after still
/// scored as better).
///
/// `floor` is [`MetaTrainConfig::floor`] (−16 by default: a loss reduced by a factor 10⁷
/// counts as solved; with −30 the small MLPs on blobs, which reach 1e-10, kept earning credit
/// that the hard tasks needed).
pub fn meta_objective(losses: &[f64], floor: f64) -> f64 {
    meta_objective_weighted(losses, floor, 0.5)
}

/// [`meta_objective`] with weight `w` on the final term instead of ½:
///
/// ```text
/// J_w = (1 − w) · Σ_{t=1..T} t · ℓ_t / Σ_{t=1..T} t  +  w · ℓ_T
/// ```
///
/// `w = 1` scores only the end point, which is what the equal-budget comparison measures; a
/// run that is ahead of Adam for most of the unroll and then stalls or spikes above it near
/// the end (the tail of the held-out evaluation) earns less credit for its early lead.
pub fn meta_objective_weighted(losses: &[f64], floor: f64, w: f64) -> f64 {
    let l0 = losses[0];
    let terms = losses[1..].iter().enumerate().map(|(i, &l)| {
        let r = (l / l0).ln();
        let r = if r.is_nan() {
            LOG_RATIO_MAX
        } else {
            r.clamp(floor, LOG_RATIO_MAX)
        };
        (i + 1) as f64 * r
    });
    let n = losses.len() - 1;
    let mean = terms.sum::<f64>() / (n * (n + 1) / 2).max(1) as f64;
    (1.0 - w) * mean + w * final_objective(losses, floor)
}

/// The meta-loss of the network with meta-parameters `theta` on `tasks`: the soft maximum
/// over tasks of the regret against the best of Adam at [`MetaTrainConfig::baseline_lrs`].
///
/// ```text
/// Jᵢ = J_w(learned run on task i) − Bᵢ       Bᵢ = min over lr of J_w(Adam(lr))
///      (J_w = meta_objective_weighted with w = cfg.final_weight)
///      (then Jᵢ ← max(Jᵢ, c) if cfg.regret_floor = Some(c))
/// J_K = τ · ln( mean_{i ∈ K} exp(Jᵢ / τ) )       per kind K (quadratic, mlp, mlp-real);
///                                                        τ = 0: J_K = mean_{i ∈ K} Jᵢ
/// J  = Σ_K w_K J_K / Σ_K w_K         w_quadratic = cfg.quadratic_weight, other kinds 1
/// ```
///
/// `baselines` holds the `Bᵢ` (zeros for `τ = 0`). Subtracting a baseline would change nothing
/// in a plain mean; inside the soft maximum it puts quadratics (whose log ratios reach −14) and
/// MLPs (−3 on a hard spiral) on one scale, "how much worse than tuned Adam", and weights the
/// tasks where the learned optimizer does worst most: the equal-budget comparison with tuned
/// Adam averages final losses over seeds, so one stuck run decides a group. The soft maximum
/// is taken within each kind of task (the name up to its first `(`) and the kinds averaged,
/// so that the kind with the larger regrets (the MLPs, in practice) does not take all the
/// attention: with one soft maximum over all tasks the quadratics fell behind Adam again.
///
/// # Errors
/// From a task or the optimizer (bad meta-parameter length), or a baseline per task missing.
pub fn meta_loss(
    theta: &[f64],
    tasks: &[Box<dyn Task>],
    baselines: &[f64],
    cfg: &MetaTrainConfig,
) -> Result<f64> {
    if baselines.len() != tasks.len() {
        return Err(config(
            "baselines",
            format!("{} baselines for {} tasks", baselines.len(), tasks.len()),
        ));
    }
    let net = Arc::new(net_of(theta, cfg)?);
    let mut scores = Vec::with_capacity(tasks.len());
    for (task, b) in tasks.iter().zip(baselines) {
        let mut opt = LearnedOptimizer::<f64>::new(net.clone());
        let losses = unroll(task.as_ref(), &mut opt, cfg.unroll)?;
        scores.push(meta_objective_weighted(&losses, cfg.floor, cfg.final_weight) - b);
    }
    Ok(per_kind_soft_max(tasks, &scores, cfg))
}

/// The network of the meta-parameters `theta`, with the run's growth limit.
fn net_of(theta: &[f64], cfg: &MetaTrainConfig) -> Result<LearnedNet> {
    LearnedNet::from_flat(theta)?.with_growth_limit(cfg.growth_limit)
}

/// A task's kind: its name up to the first `(` (`"quadratic"`, `"mlp"`, `"mlp-real"`).
fn kind(task: &dyn Task) -> String {
    let name = task.name();
    name.split('(').next().unwrap_or_default().to_string()
}

/// The weighted mean over kinds of the soft maximum ([`soft_max_mean`]) within each kind
/// (weight [`MetaTrainConfig::quadratic_weight`] for quadratics, 1 for the rest) of the
/// regrets, each first raised to [`MetaTrainConfig::regret_floor`] if set.
fn per_kind_soft_max(tasks: &[Box<dyn Task>], scores: &[f64], cfg: &MetaTrainConfig) -> f64 {
    let mut kinds: Vec<(String, Vec<f64>)> = Vec::new();
    for (task, &s) in tasks.iter().zip(scores) {
        let s = cfg.regret_floor.map_or(s, |c| s.max(c));
        let k = kind(task.as_ref());
        match kinds.iter_mut().find(|(name, _)| *name == k) {
            Some((_, v)) => v.push(s),
            None => kinds.push((k, vec![s])),
        }
    }
    let weight = |k: &str| {
        if k == "quadratic" {
            cfg.quadratic_weight
        } else {
            1.0
        }
    };
    let total: f64 = kinds.iter().map(|(k, _)| weight(k)).sum();
    kinds
        .iter()
        .map(|(k, v)| weight(k) * soft_max_mean(v, cfg.tau))
        .sum::<f64>()
        / total
}

/// Meta-trains a [`LearnedNet`] with antithetic evolution strategies (Salimans et al. 2017).
///
/// ```text
/// θ₀ = LearnedNet::initial_with_lr(cfg.initial_lr) (Adam-equivalent)
/// each iteration k:  tasks ~ family (seeded by (seed, k)),  εᵢ ~ N(0, I), i = 1..P
///   ĝ = 1/(2Pσ) Σᵢ [J(θ + σεᵢ) − J(θ − σεᵢ)] εᵢ         J = meta_loss on the tasks
///   θ ← Adam(meta_lr).step(θ, ĝ)
/// ```
///
/// Every perturbation is scored on the same tasks (common random numbers), which cancels most of
/// the task-to-task variance in the antithetic differences. The `2P` unrolls of an iteration run
/// in parallel (rayon); results are gathered in order, so a seed reproduces the run exactly.
/// `on_iteration` is called after each iteration (for progress display).
///
/// Because every iteration draws new tasks, the ES iterates wander; every
/// [`MetaTrainConfig::validate_every`] iterations the current network is scored with
/// [`final_objective`] on a fixed set of validation tasks from the training range, and the
/// best-scoring network (possibly the initial one) is returned ([`MetaRun`]). The held-out
/// evaluation tasks play no part in this choice.
///
/// # Errors
/// An invalid configuration (including [`MetaTrainConfig::real_data`] not empty: use
/// [`meta_train_with`]), or an error from a task or an optimizer.
pub fn meta_train(cfg: &MetaTrainConfig, on_iteration: impl FnMut(&MetaRecord)) -> Result<MetaRun> {
    meta_train_with(cfg, &DataPool::default(), on_iteration)
}

/// [`meta_train`] on the family with the real data sets of `pool`: the iteration and
/// validation tasks come from [`training_tasks_with`] (a third of them MLPs on the pool's
/// meta-training rows, their own kind in the meta-loss). An empty pool is [`meta_train`].
///
/// # Errors
/// As [`meta_train`], and the pool's set names differing from
/// [`MetaTrainConfig::real_data`].
pub fn meta_train_with(
    cfg: &MetaTrainConfig,
    pool: &DataPool,
    mut on_iteration: impl FnMut(&MetaRecord),
) -> Result<MetaRun> {
    cfg.validate()?;
    if pool.names() != cfg.real_data {
        return Err(config(
            "real_data",
            format!(
                "the configuration names {:?}, the pool holds {:?}",
                cfg.real_data,
                pool.names()
            ),
        ));
    }
    let mut rng = L2oRng::seed_from_u64(cfg.seed);
    let initial = LearnedNet::initial_with_lr(&mut rng, cfg.initial_lr)
        .with_growth_limit(cfg.growth_limit)?;
    let validation_tasks = if cfg.validate_every > 0 {
        training_tasks_with(cfg.seed, VALIDATION_STREAM, cfg.validation_tasks, pool)?
    } else {
        Vec::new()
    };
    let validation_baselines =
        adam_baselines(&validation_tasks, cfg, &|l| final_objective(l, cfg.floor))?;
    let initial_validation = if cfg.validate_every > 0 {
        Some(validation_score(
            &Arc::new(initial.clone()),
            &validation_tasks,
            &validation_baselines,
            cfg,
        )?)
    } else {
        None
    };
    let mut best = (
        initial_validation.unwrap_or(f64::INFINITY),
        None,
        initial.clone(),
    );
    let flat = initial.to_flat();
    let mut theta = vec![Tensor::<f64>::from_vec(&[flat.len()], flat)?];
    let mut adam = Adam {
        lr: cfg.meta_lr,
        ..Adam::default()
    }
    .build::<f64>()?;
    let mut records = Vec::with_capacity(cfg.iterations);
    for k in 0..cfg.iterations {
        let tasks = training_tasks_with(cfg.seed, k as u64, cfg.tasks, pool)?;
        let baselines = adam_baselines(&tasks, cfg, &|l| {
            meta_objective_weighted(l, cfg.floor, cfg.final_weight)
        })?;
        let n = theta[0].len();
        let eps: Vec<Vec<f64>> = (0..cfg.pairs)
            .map(|_| {
                (0..n)
                    .map(|_| {
                        <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng)
                    })
                    .collect()
            })
            .collect();
        let jobs: Vec<(usize, f64)> = (0..cfg.pairs).flat_map(|i| [(i, 1.0), (i, -1.0)]).collect();
        let base = theta[0].as_slice();
        let scores = jobs
            .par_iter()
            .map(|&(i, s)| {
                let th: Vec<f64> = base
                    .iter()
                    .zip(&eps[i])
                    .map(|(t, e)| t + s * cfg.sigma * e)
                    .collect();
                meta_loss(&th, &tasks, &baselines, cfg)
            })
            .collect::<Result<Vec<f64>>>()?;
        let mut grad = vec![0.0; n];
        for (i, e) in eps.iter().enumerate() {
            let w = (scores[2 * i] - scores[2 * i + 1]) / (2.0 * cfg.pairs as f64 * cfg.sigma);
            grad.iter_mut().zip(e).for_each(|(g, e)| *g += w * e);
        }
        let grad_norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
        adam.step_tensors(&mut theta, &[Tensor::from_vec(&[n], grad)?])?;
        let validation = if cfg.validate_every > 0 && (k + 1) % cfg.validate_every == 0 {
            let net = net_of(theta[0].as_slice(), cfg)?;
            let v = validation_score(
                &Arc::new(net.clone()),
                &validation_tasks,
                &validation_baselines,
                cfg,
            )?;
            if v < best.0 {
                best = (v, Some(k), net);
            }
            Some(v)
        } else {
            None
        };
        let rec = MetaRecord {
            iteration: k,
            meta_loss: scores.iter().sum::<f64>() / scores.len() as f64,
            grad_norm,
            validation,
        };
        on_iteration(&rec);
        records.push(rec);
    }
    let (net, selected) = if cfg.validate_every > 0 {
        (best.2, best.1)
    } else {
        (
            net_of(theta[0].as_slice(), cfg)?,
            cfg.iterations.checked_sub(1),
        )
    };
    Ok(MetaRun {
        net,
        records,
        initial_validation,
        selected,
    })
}
