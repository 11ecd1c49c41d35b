//! # downhill-l2o
//!
//! A learned optimizer ("even other NNs", as the lecture puts it): a small MLP applied to every
//! scalar parameter, reading per-parameter features (gradient, momenta at three time scales,
//! an RMS accumulator, Adam-like ratios, signs, the step count) and writing an update as a
//! direction times an exponentiated log-magnitude (Andrychowicz et al. 2016, "Learning to
//! learn by gradient descent by gradient descent"; Metz et al. 2020, "Tasks, stability,
//! architecture, and compute: training more effective learned optimizers"; Metz et al. 2022,
//! "Practical tradeoffs between memory, compute, and performance in learned optimizers").
//!
//! [`LearnedOptimizer`] implements downhill-optim's [`Optimizer`](downhill_optim::Optimizer),
//! so it drops in wherever `Adam` does:
//!
//! ```
//! use downhill_l2o::LearnedOptimizer;
//! use downhill_optim::Optimizer;
//! use downhill_tensor::Tensor;
//!
//! // Minimize ½‖x − c‖² with the shipped, meta-trained weights.
//! let c = Tensor::<f64>::from_vec(&[3], vec![1.0, -2.0, 3.0]).unwrap();
//! let mut params = vec![Tensor::<f64>::zeros(&[3])];
//! let mut opt = LearnedOptimizer::<f64>::shipped().unwrap();
//! for _ in 0..300 {
//!     let grad = params[0].sub(&c).unwrap();
//!     opt.step_tensors(&mut params, &[grad]).unwrap();
//! }
//! assert!(params[0].max_abs_diff(&c).unwrap() < 0.05);
//! ```
//!
//! ## Tour
//!
//! - [`features`]: the 21 inputs, bounded, all but the parameter scale scale-free
//!   ([`FEATURE_NAMES`]), and three optional oscillation inputs ([`OSCILLATION_FEATURE_NAMES`]:
//!   a tensor's gradient-momentum cosine, its running average, the loss change) for a
//!   24-input network ([`LearnedNet::inputs`], `downhill l2o train --oscillation-features`;
//!   the shipped network reads all 24).
//! - [`LearnedNet`]: `21 (or 24) → 32 → 32 → 5` (ReLU) plus a linear skip path, bounded outputs: four
//!   weights mixing Adam-like directions `m̂_β/r̂` and a log learning rate, so the step always
//!   shrinks with the gradient's history as Adam's does; initialized to be Adam (lr 0.3 by
//!   default, 0.1 for the shipped run; up to a small random output layer), so meta-training
//!   refines a good optimizer instead of searching from noise. An optional update-growth
//!   limit ([`LearnedNet::growth_limit`], Rprop's growth factor on a tensor's update RMS)
//!   travels with the weights; the shipped ones are meta-trained and run with γ = 1.2. So does
//!   the optional reversal shrink ([`LearnedNet::reversal_shrink`], Rprop's decrease factor
//!   when a tensor's gradient turns against its momentum); the shipped ones carry η = 0.85.
//!   With a reversal recovery ([`LearnedNet::reversal_recovery`]) the shrink becomes a
//!   per-tensor scale that persists and compounds while the gradient keeps reversing
//!   (delta-bar-delta at tensor level).
//!   The third optional rule, the loss shrink ([`LearnedNet::loss_shrink`], the bold driver
//!   as one global scale), is the only one that reads the loss, which training loops pass
//!   through [`Optimizer::observe_loss`](downhill_optim::Optimizer::observe_loss); the shipped
//!   weights do not carry it (candidate H1 in assets/l2o/HISTORY.md did not pass its gate).
//! - [`LearnedOptimizer`]: the network behind the [`Optimizer`](downhill_optim::Optimizer)
//!   interface, state saved like PyTorch's; [`LearnedOptimizer::shipped`] loads the committed
//!   weights (embedded in the binary), [`LearnedOptimizer::from_file`] any other.
//! - The task family ([`Task`]): random ill-conditioned quadratics ([`QuadraticTask`]),
//!   small MLPs on synthetic data ([`MlpTask`], [`Synthetic`]) and, when the caller supplies
//!   real data sets ([`RealData`] in a [`DataPool`], split once into meta-training and
//!   held-out rows), small MLPs on row subsets of them; [`training_tasks_with`] and
//!   [`held_out_groups_with`] draw from disjoint seed ranges (and, for real data, disjoint rows).
//! - [`meta_train`]: antithetic evolution strategies (Salimans et al. 2017, "Evolution
//!   strategies as a scalable alternative to reinforcement learning") on truncated unrolls,
//!   Adam on the meta-parameters, seeded and reproducible. The meta-loss ([`meta_loss`]) is
//!   the soft maximum over the iteration's tasks of the regret against the best of Adam over
//!   a few learning rates on the same task (optionally floored, so that tasks already won by
//!   a wide margin stop earning credit), so the tasks where the learned optimizer is furthest
//!   behind Adam dominate (or, with [`Aggregate::MeanRatio`], the log ratio of the summed
//!   normalized losses per kind, which weighs tasks as a group mean does); the returned
//!   network is the best iterate on fixed validation tasks
//!   ([`MetaRun`]), scored by the same per-task regret or, with [`Selection::GroupMean`], by
//!   the evaluation's own criterion on groups drawn from the training seed range
//!   ([`validation_groups_with`]). [`meta_train_from`] starts from given weights instead of
//!   the Adam-equivalent network (a warm start, `--init-weights`). No gradient flows through
//!   the unroll, so there is no meta-gradient to check by finite differences.
//! - [`evaluate`]: learned vs Adam and SGD-momentum at their best learning rate from a grid,
//!   curves with mean and spread over seeds, the median final loss and on how many instances
//!   the learned optimizer ends below each baseline ([`EvalReport`]), on any [`TaskGroup`]s.
//!   Held-out draws from [`FIRST_UNTOUCHED_DRAW`] on are reserved for reporting: no design or
//!   selection decision looks at them.

mod error;
mod eval;
mod family;
pub mod features;
mod meta;
mod mlp_task;
mod net;
mod optimizer;
mod quadratic;
mod real;
mod report;
mod shipped;
mod synthetic;
mod task;
mod weights;

pub use error::{L2oError, Result};
pub use eval::{
    Curve, EvalConfig, EvalReport, GroupReport, TaskGroup, evaluate, reproduction_check,
};
pub use family::{
    FIRST_UNTOUCHED_DRAW, HELD_OUT_SEED_BASE, L2oRng, held_out_groups, held_out_groups_with,
    training_tasks, training_tasks_with, validation_groups_with,
};
pub use features::{
    EXTENDED_FEATURES, FEATURE_NAMES, NUM_FEATURES, NUM_OSCILLATION_FEATURES,
    OSCILLATION_FEATURE_NAMES,
};
pub use meta::{
    Aggregate, BASELINE_ADAM_LRS, GROUP_SCORE_FLOOR, MetaRecord, MetaRun, MetaTrainConfig,
    RealKinds, Selection, final_objective, meta_loss, meta_objective, meta_objective_weighted,
    meta_train, meta_train_from, meta_train_with, normalized_objective, soft_max_mean,
};
pub use mlp_task::{Hidden, MlpTask};
pub use net::{
    DIRECTION_BOUND, HIDDEN, INITIAL_LR, LOG_MAGNITUDE_RANGE, LearnedNet, MIX_BOUND, OUTPUTS,
    STEP_SCALE,
};
pub use optimizer::LearnedOptimizer;
pub use quadratic::QuadraticTask;
pub use real::{
    DataPool, MIN_REAL_ROWS, REAL_SPLIT_SEED, REAL_TASK_ROWS, RealData, RealDataSummary,
};
pub use shipped::SHIPPED_WEIGHTS;
pub use synthetic::Synthetic;
pub use task::{Task, unroll};
pub use weights::{
    FORMAT, FORMAT_NO_LIMIT, FORMAT_V4, GROWTH_LIMIT_KEY, LOSS_SHRINK_KEY, REVERSAL_RECOVERY_KEY,
    REVERSAL_SHRINK_KEY, architecture, architecture_for,
};
