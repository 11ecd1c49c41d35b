//! Meta-training with antithetic evolution strategies on truncated unrolls.

use std::sync::Arc;

use downhill_optim::{Adam, Optimizer};
use downhill_tensor::Tensor;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Result, config};
use crate::family::{L2oRng, training_tasks};
use crate::net::LearnedNet;
use crate::optimizer::LearnedOptimizer;
use crate::task::{Task, unroll};

/// The bound on each per-step term of the meta-objective (a diverging run costs this much).
const LOG_RATIO_MAX: f64 = 3.0;
/// The floor of each per-step term (a loss ratio of e⁻³⁰ counts as solved).
const LOG_RATIO_MIN: f64 = -30.0;

/// Meta-training settings; the defaults are the shipped run's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaTrainConfig {
    /// ES iterations (meta-steps).
    pub iterations: usize,
    /// Antithetic pairs per iteration (2 × pairs perturbed optimizers are unrolled).
    pub pairs: usize,
    /// Tasks per iteration, alternately quadratic and MLP, shared by every perturbation.
    pub tasks: usize,
    /// Unroll length (inner steps per task).
    pub unroll: usize,
    /// The ES perturbation scale σ.
    pub sigma: f64,
    /// Adam's learning rate on the meta-parameters.
    pub meta_lr: f64,
    /// The seed of everything random: the initial network, the tasks, the perturbations.
    pub seed: u64,
}

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
}

/// The meta-objective of one unroll: a step-weighted mean of the clamped log loss ratio.
///
/// ```text
/// J = Σ_{t=1..T} t · clamp(ln(L_t / L_0), −30, 3) / Σ_{t=1..T} t     (non-finite L_t → 3)
/// ```
///
/// Normalizing by `L_0` puts quadratics and MLPs on one scale; averaging over the unroll
/// rewards fast progress, not only the end point (Metz et al. 2020 use the mean loss), and the
/// weight `t` leans towards the end, which is what an equal-budget comparison scores (with
/// equal weights the first runs learned to rush early and stall on quadratics).
pub fn meta_objective(losses: &[f64]) -> f64 {
    let l0 = losses[0];
    let terms = losses[1..].iter().enumerate().map(|(i, &l)| {
        let r = (l / l0).ln();
        let r = if r.is_nan() {
            LOG_RATIO_MAX
        } else {
            r.clamp(LOG_RATIO_MIN, LOG_RATIO_MAX)
        };
        (i + 1) as f64 * r
    });
    let n = losses.len() - 1;
    terms.sum::<f64>() / (n * (n + 1) / 2).max(1) as f64
}

/// The mean meta-objective of the network with meta-parameters `theta` over `tasks`.
///
/// # Errors
/// From a task or the optimizer (bad meta-parameter length).
pub fn meta_loss(theta: &[f64], tasks: &[Box<dyn Task>], steps: usize) -> Result<f64> {
    let net = Arc::new(LearnedNet::from_flat(theta)?);
    let mut total = 0.0;
    for task in tasks {
        let mut opt = LearnedOptimizer::<f64>::new(net.clone());
        total += meta_objective(&unroll(task.as_ref(), &mut opt, steps)?);
    }
    Ok(total / tasks.len() as f64)
}

/// Meta-trains a [`LearnedNet`] with antithetic evolution strategies (Salimans et al. 2017).
///
/// ```text
/// θ₀ = LearnedNet::initial (Adam-equivalent)
/// each iteration k:  tasks ~ family (seeded by (seed, k)),  εᵢ ~ N(0, I), i = 1..P
///   ĝ = 1/(2Pσ) Σᵢ [J(θ + σεᵢ) − J(θ − σεᵢ)] εᵢ         J = mean meta_objective over tasks
///   θ ← Adam(meta_lr).step(θ, ĝ)
/// ```
///
/// Every perturbation is scored on the same tasks (common random numbers), which cancels most of
/// the task-to-task variance in the antithetic differences. The `2P` unrolls of an iteration run
/// in parallel (rayon); results are gathered in order, so a seed reproduces the run exactly.
/// `on_iteration` is called after each iteration (for progress display).
///
/// # Errors
/// An invalid configuration, or an error from a task or an optimizer.
pub fn meta_train(
    cfg: &MetaTrainConfig,
    mut on_iteration: impl FnMut(&MetaRecord),
) -> Result<(LearnedNet, Vec<MetaRecord>)> {
    cfg.validate()?;
    let mut rng = L2oRng::seed_from_u64(cfg.seed);
    let flat = LearnedNet::initial(&mut rng).to_flat();
    let mut theta = vec![Tensor::<f64>::from_vec(&[flat.len()], flat)?];
    let mut adam = Adam {
        lr: cfg.meta_lr,
        ..Adam::default()
    }
    .build::<f64>()?;
    let mut records = Vec::with_capacity(cfg.iterations);
    for k in 0..cfg.iterations {
        let tasks = training_tasks(cfg.seed, k as u64, cfg.tasks)?;
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
                meta_loss(&th, &tasks, cfg.unroll)
            })
            .collect::<Result<Vec<f64>>>()?;
        let mut grad = vec![0.0; n];
        for (i, e) in eps.iter().enumerate() {
            let w = (scores[2 * i] - scores[2 * i + 1]) / (2.0 * cfg.pairs as f64 * cfg.sigma);
            grad.iter_mut().zip(e).for_each(|(g, e)| *g += w * e);
        }
        let grad_norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
        adam.step_tensors(&mut theta, &[Tensor::from_vec(&[n], grad)?])?;
        let rec = MetaRecord {
            iteration: k,
            meta_loss: scores.iter().sum::<f64>() / scores.len() as f64,
            grad_norm,
        };
        on_iteration(&rec);
        records.push(rec);
    }
    Ok((LearnedNet::from_flat(theta[0].as_slice())?, records))
}
