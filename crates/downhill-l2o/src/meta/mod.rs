//! Meta-training with antithetic evolution strategies on truncated unrolls.

use std::sync::Arc;

use downhill_optim::{Adam, Optimizer};
use downhill_tensor::Tensor;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Result, config};
use crate::eval::TaskGroup;
use crate::family::{L2oRng, group_count, training_tasks_with, validation_groups_with};
use crate::net::LearnedNet;
use crate::optimizer::LearnedOptimizer;
use crate::real::DataPool;
use crate::task::{Task, unroll};

mod config;
mod objective;

use config::VALIDATION_STREAM;
pub use config::{
    Aggregate, BASELINE_ADAM_LRS, GROUP_SCORE_FLOOR, MetaTrainConfig, RealKinds, Selection,
};
use objective::LOG_RATIO_MAX;
pub use objective::{
    final_objective, meta_objective, meta_objective_weighted, normalized_objective, soft_max_mean,
};

/// One meta-training iteration's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaRecord {
    /// The iteration (0-based).
    pub iteration: usize,
    /// The meta-loss averaged over the iteration's 2 × pairs perturbed optimizers.
    pub meta_loss: f64,
    /// The norm of the ES gradient estimate.
    pub grad_norm: f64,
    /// The updated network's validation score ([`MetaTrainConfig::selection`]), on the
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

/// Per task, the best score of Adam over [`MetaTrainConfig::baseline_lrs`]; zeros when not
/// `needed` (a plain mean of regrets, `cfg.tau = 0`, needs no baseline).
fn adam_baselines(
    tasks: &[Box<dyn Task>],
    cfg: &MetaTrainConfig,
    score: &(dyn Fn(&[f64]) -> f64 + Sync),
    needed: bool,
) -> Result<Vec<f64>> {
    if !needed {
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

/// The validation tasks of a run and what its iterates are compared with.
enum Validator {
    /// [`Selection::Regret`]: tasks and the per-task best Adam score.
    Regret {
        tasks: Vec<Box<dyn Task>>,
        baselines: Vec<f64>,
    },
    /// [`Selection::GroupMean`]: groups and tuned Adam's `(mean, median)` final loss on each.
    GroupMean {
        groups: Vec<TaskGroup>,
        adam: Vec<(f64, f64)>,
    },
}

/// The final loss of an unroll, infinite for a diverged one.
fn final_loss(losses: &[f64]) -> f64 {
    losses
        .last()
        .copied()
        .filter(|l| l.is_finite())
        .unwrap_or(f64::INFINITY)
}

/// The mean and median of a group's final losses.
fn mean_median(mut v: Vec<f64>) -> (f64, f64) {
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    };
    (mean, median)
}

/// `ln(l / a)`: 0 when both are 0 (a tie), +∞ when only `a` is 0 or `l` is infinite.
fn log_ratio(l: f64, a: f64) -> f64 {
    if l == a { 0.0 } else { (l / a).ln() }
}

/// The final losses of `make`'s optimizers on every instance of `group`, in parallel.
fn group_finals(
    group: &TaskGroup,
    steps: usize,
    make: &(dyn Fn() -> Result<Box<dyn Optimizer<f64>>> + Sync),
) -> Result<Vec<f64>> {
    group
        .instances
        .par_iter()
        .map(|task| Ok(final_loss(&unroll(task.as_ref(), make()?.as_mut(), steps)?)))
        .collect()
}

impl Validator {
    /// `None` when validation is off.
    fn new(cfg: &MetaTrainConfig, pool: &DataPool) -> Result<Option<Self>> {
        if cfg.validate_every == 0 {
            return Ok(None);
        }
        Ok(Some(match cfg.selection {
            Selection::Regret => {
                let tasks =
                    training_tasks_with(cfg.seed, VALIDATION_STREAM, cfg.validation_tasks, pool)?;
                let baselines = adam_baselines(
                    &tasks,
                    cfg,
                    &|l| final_objective(l, cfg.floor),
                    cfg.tau != 0.0,
                )?;
                Self::Regret { tasks, baselines }
            }
            Selection::GroupMean => {
                let per_group = (cfg.validation_tasks / group_count(pool)).max(1);
                let groups = validation_groups_with(cfg.seed, per_group, pool)?;
                let adam = groups
                    .iter()
                    .map(|g| {
                        let mut best = (f64::INFINITY, f64::INFINITY);
                        for &lr in &cfg.baseline_lrs {
                            let finals = group_finals(g, cfg.unroll, &|| {
                                Ok(Box::new(
                                    Adam {
                                        lr,
                                        ..Adam::default()
                                    }
                                    .build::<f64>()?,
                                ))
                            })?;
                            let (mean, median) = mean_median(finals);
                            if mean < best.0 || best.0.is_infinite() && median < best.1 {
                                best = (mean, median);
                            }
                        }
                        Ok(best)
                    })
                    .collect::<Result<Vec<_>>>()?;
                Self::GroupMean { groups, adam }
            }
        }))
    }

    /// The score of `net` (lower is better).
    fn score(&self, net: &Arc<LearnedNet>, cfg: &MetaTrainConfig) -> Result<f64> {
        match self {
            Self::Regret { tasks, baselines } => {
                let scores = tasks
                    .par_iter()
                    .zip(baselines)
                    .map(|(task, b)| {
                        let mut opt = LearnedOptimizer::<f64>::new(net.clone());
                        let losses = unroll(task.as_ref(), &mut opt, cfg.unroll)?;
                        Ok(final_objective(&losses, cfg.floor) - b)
                    })
                    .collect::<Result<Vec<f64>>>()?;
                Ok(per_kind_soft_max(tasks, &scores, cfg))
            }
            Self::GroupMean { groups, adam } => {
                let mut total = 0.0;
                for (g, &(a_mean, a_median)) in groups.iter().zip(adam) {
                    let finals = group_finals(g, cfg.unroll, &|| {
                        Ok(Box::new(LearnedOptimizer::<f64>::new(net.clone())))
                    })?;
                    let (mean, median) = mean_median(finals);
                    let r = log_ratio(mean, a_mean).max(log_ratio(median, a_median));
                    total += if r.is_nan() {
                        LOG_RATIO_MAX
                    } else {
                        r.clamp(GROUP_SCORE_FLOOR, LOG_RATIO_MAX)
                    };
                }
                Ok(total / groups.len() as f64)
            }
        }
    }
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
/// J  = Σ_K w_K J_K / Σ_K w_K         w_quadratic = cfg.quadratic_weight,
///                                    w_mlp-real = cfg.real_weight, w_mlp = 1
/// ```
///
/// With [`RealKinds::PerSet`] the real-data tasks form one kind per data set present
/// (`mlp-real:iris`, …), each of weight `cfg.real_weight / s` for `s` sets present.
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
/// This is [`Aggregate::SoftMaxRegret`], the default. With [`Aggregate::MeanRatio`] the
/// per-task objective is [`normalized_objective`], `baselines` holds Adam's, and the kinds'
/// terms are the log ratios of the sums (see [`Aggregate::MeanRatio`]); the mean over kinds is
/// the same.
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
    for task in tasks {
        let mut opt = LearnedOptimizer::<f64>::new(net.clone());
        let losses = unroll(task.as_ref(), &mut opt, cfg.unroll)?;
        scores.push(unroll_objective(&losses, cfg));
    }
    Ok(match cfg.aggregate {
        Aggregate::SoftMaxRegret => {
            let regrets: Vec<f64> = scores.iter().zip(baselines).map(|(s, b)| s - b).collect();
            per_kind_soft_max(tasks, &regrets, cfg)
        }
        Aggregate::MeanRatio => per_kind_mean_ratio(tasks, &scores, baselines, cfg),
    })
}

/// The per-unroll objective the meta-loss aggregates: [`meta_objective_weighted`] for
/// [`Aggregate::SoftMaxRegret`], [`normalized_objective`] for [`Aggregate::MeanRatio`].
fn unroll_objective(losses: &[f64], cfg: &MetaTrainConfig) -> f64 {
    match cfg.aggregate {
        Aggregate::SoftMaxRegret => meta_objective_weighted(losses, cfg.floor, cfg.final_weight),
        Aggregate::MeanRatio => normalized_objective(losses, cfg.final_weight),
    }
}

/// The weighted mean over kinds of `clamp(ln(Σ learned / Σ adam), −3, 3)` within each kind
/// ([`Aggregate::MeanRatio`]).
fn per_kind_mean_ratio(
    tasks: &[Box<dyn Task>],
    learned: &[f64],
    adam: &[f64],
    cfg: &MetaTrainConfig,
) -> f64 {
    let mut kinds: Vec<(String, f64, f64)> = Vec::new();
    for ((task, &l), &a) in tasks.iter().zip(learned).zip(adam) {
        let k = kind(task.as_ref(), cfg);
        match kinds.iter_mut().find(|(name, _, _)| *name == k) {
            Some((_, sl, sa)) => {
                *sl += l;
                *sa += a;
            }
            None => kinds.push((k, l, a)),
        }
    }
    let weights = kind_weights(kinds.iter().map(|(k, _, _)| k.as_str()), cfg);
    let total: f64 = weights.iter().sum();
    kinds
        .iter()
        .zip(&weights)
        .map(|((_, l, a), w)| {
            let r = log_ratio(*l, *a);
            let r = if r.is_nan() {
                LOG_RATIO_MAX
            } else {
                r.clamp(-LOG_RATIO_MAX, LOG_RATIO_MAX)
            };
            w * r
        })
        .sum::<f64>()
        / total
}

/// The network of the meta-parameters `theta`, with the run's step rules ([`with_rules`]).
fn net_of(theta: &[f64], cfg: &MetaTrainConfig) -> Result<LearnedNet> {
    with_rules(LearnedNet::from_flat(theta)?, cfg)
}

/// `net` with the run's step rules (growth limit, reversal shrink and recovery, loss shrink):
/// every network of a run carries them.
fn with_rules(net: LearnedNet, cfg: &MetaTrainConfig) -> Result<LearnedNet> {
    net.with_growth_limit(cfg.growth_limit)?
        .with_reversal_shrink(cfg.reversal_shrink)?
        .with_reversal_recovery(cfg.reversal_recovery)?
        .with_loss_shrink(cfg.loss_shrink)
}

/// The kinds' weights in the mean over kinds, for the kinds present (in order):
/// [`MetaTrainConfig::quadratic_weight`] for quadratics, 1 for the synthetic MLPs, and
/// [`MetaTrainConfig::real_weight`] shared equally by the real-data kinds present (one with
/// [`RealKinds::Pooled`], one per data set with [`RealKinds::PerSet`]).
fn kind_weights<'a>(
    kinds: impl Iterator<Item = &'a str> + Clone,
    cfg: &MetaTrainConfig,
) -> Vec<f64> {
    let real = kinds.clone().filter(|k| is_real_kind(k)).count().max(1) as f64;
    kinds
        .map(|k| match k {
            "quadratic" => cfg.quadratic_weight,
            k if is_real_kind(k) => cfg.real_weight / real,
            _ => 1.0,
        })
        .collect()
}

/// Whether `kind` is a real-data kind (`mlp-real`, or `mlp-real:<set>` per set).
fn is_real_kind(kind: &str) -> bool {
    kind.strip_prefix(REAL_KIND)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
}

/// The kind of the real-data tasks (pooled), and the prefix of the per-set kinds.
const REAL_KIND: &str = "mlp-real";

/// A task's kind: its name up to the first `(` (`"quadratic"`, `"mlp"`, `"mlp-real"`); with
/// [`RealKinds::PerSet`], a real-data task's kind also names its set (`"mlp-real:iris"`,
/// from the name `mlp-real(iris, …)`).
fn kind(task: &dyn Task, cfg: &MetaTrainConfig) -> String {
    let name = task.name();
    let (head, rest) = name.split_once('(').unwrap_or((name.as_str(), ""));
    match cfg.real_kinds {
        RealKinds::PerSet if head == REAL_KIND => {
            let set = rest.split(',').next().unwrap_or_default().trim();
            format!("{REAL_KIND}:{set}")
        }
        _ => head.to_string(),
    }
}

/// The weighted mean over kinds of the soft maximum ([`soft_max_mean`]) within each kind
/// (weights from [`kind_weight`]) of the regrets, each first raised to
/// [`MetaTrainConfig::regret_floor`] if set.
fn per_kind_soft_max(tasks: &[Box<dyn Task>], scores: &[f64], cfg: &MetaTrainConfig) -> f64 {
    let mut kinds: Vec<(String, Vec<f64>)> = Vec::new();
    for (task, &s) in tasks.iter().zip(scores) {
        let s = cfg.regret_floor.map_or(s, |c| s.max(c));
        let k = kind(task.as_ref(), cfg);
        match kinds.iter_mut().find(|(name, _)| *name == k) {
            Some((_, v)) => v.push(s),
            None => kinds.push((k, vec![s])),
        }
    }
    let weights = kind_weights(kinds.iter().map(|(k, _)| k.as_str()), cfg);
    let total: f64 = weights.iter().sum();
    kinds
        .iter()
        .zip(&weights)
        .map(|((_, v), w)| w * soft_max_mean(v, cfg.tau))
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
/// The real-data tasks draw their set by [`MetaTrainConfig::real_set_weights`] (uniformly
/// when empty); the configuration's weights replace any the pool carries.
///
/// # Errors
/// As [`meta_train`], and the pool's set names differing from
/// [`MetaTrainConfig::real_data`].
pub fn meta_train_with(
    cfg: &MetaTrainConfig,
    pool: &DataPool,
    on_iteration: impl FnMut(&MetaRecord),
) -> Result<MetaRun> {
    meta_train_from(cfg, pool, None, on_iteration)
}

/// [`meta_train_with`] starting from `initial` instead of the Adam-equivalent network (a warm
/// start; `None` is [`meta_train_with`]). The run's step rules replace `initial`'s, and a
/// 21-input `initial` in a run with [`MetaTrainConfig::oscillation_features`] is widened with
/// zero weights for the new inputs ([`LearnedNet::with_inputs`]), so the run starts from
/// exactly its updates. The iterations' tasks are those of any run with the same seed (they
/// do not depend on the network); the perturbations come from the seed's generator without
/// an initial network drawn first, so they differ from a run from scratch.
///
/// # Errors
/// As [`meta_train_with`], and an `initial` with more inputs than the run's networks.
pub fn meta_train_from(
    cfg: &MetaTrainConfig,
    pool: &DataPool,
    initial: Option<LearnedNet>,
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
    // The configuration is the record of the run: its sampling weights replace the pool's.
    let pool = &pool.clone().with_sampling_weights(&cfg.real_set_weights)?;
    let mut rng = L2oRng::seed_from_u64(cfg.seed);
    let initial = match initial {
        Some(net) => net.with_inputs(cfg.inputs())?,
        None => LearnedNet::initial_with_inputs(&mut rng, cfg.initial_lr, cfg.inputs())?,
    };
    let initial = with_rules(initial, cfg)?;
    let validator = Validator::new(cfg, pool)?;
    let initial_validation = validator
        .as_ref()
        .map(|v| v.score(&Arc::new(initial.clone()), cfg))
        .transpose()?;
    let mut best = (
        initial_validation.unwrap_or(f64::INFINITY),
        None,
        initial.clone(),
    );
    let flat = initial.to_flat();
    // `anchor_decay`'s pull per meta-step and its anchor, the initial network (the warm
    // start, widened, if any).
    let anchor = cfg
        .anchor_decay
        .map(|lambda| (cfg.meta_lr * lambda, flat.clone()));
    let mut theta = vec![Tensor::<f64>::from_vec(&[flat.len()], flat)?];
    let mut adam = Adam {
        lr: cfg.meta_lr,
        ..Adam::default()
    }
    .build::<f64>()?;
    let mut records = Vec::with_capacity(cfg.iterations);
    for k in 0..cfg.iterations {
        let tasks = training_tasks_with(cfg.seed, k as u64, cfg.tasks, pool)?;
        let baselines = adam_baselines(
            &tasks,
            cfg,
            &|l| unroll_objective(l, cfg),
            cfg.tau != 0.0 || cfg.aggregate == Aggregate::MeanRatio,
        )?;
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
        if let Some((pull, anchor)) = &anchor {
            for (t, t0) in theta[0].as_mut_slice().iter_mut().zip(anchor) {
                *t -= pull * (*t - t0);
            }
        }
        let validation = if let Some(validator) = validator
            .as_ref()
            .filter(|_| (k + 1) % cfg.validate_every == 0)
        {
            let net = net_of(theta[0].as_slice(), cfg)?;
            let v = validator.score(&Arc::new(net.clone()), cfg)?;
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
