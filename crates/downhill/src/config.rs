//! The training configuration: every knob of [`Trainer`](crate::Trainer), with documented
//! defaults, serializable so a run records exactly what it did.

use downhill_optim::{Hyper, ScheduleConfig};
use downhill_reg::{Augmentation, Penalty};

use crate::{Error, Loss, Result};

/// When a learning-rate schedule advances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchedulePer {
    /// Once per epoch (PyTorch's usual `scheduler.step()` after each epoch; plateau schedules
    /// read the validation loss).
    #[default]
    Epoch,
    /// Once per optimizer step (OneCycle, warm-up).
    Step,
}

/// What to do when the loss or a gradient is NaN or infinite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NanPolicy {
    /// Stop training with an error naming the epoch, step and parameter (the default).
    #[default]
    Error,
    /// Skip the update for that step (counted in the history) and go on.
    SkipStep,
}

/// Which validation metric early stopping watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Monitor {
    /// Validation loss (smaller is better; the default).
    #[default]
    ValLoss,
    /// Validation accuracy (larger is better).
    ValAccuracy,
}

/// Early stopping: stop when the monitored metric has not improved by `min_delta` for
/// `patience` epochs (Prechelt 1998), and optionally restore the best weights.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EarlyStoppingConfig {
    /// Epochs without improvement before stopping (default 10).
    pub patience: usize,
    /// The smallest change that counts as an improvement (default 0).
    pub min_delta: f64,
    /// The metric watched (default validation loss).
    pub monitor: Monitor,
    /// Restore the weights of the best epoch when training ends (default true).
    pub restore_best: bool,
}

impl Default for EarlyStoppingConfig {
    fn default() -> Self {
        Self {
            patience: 10,
            min_delta: 0.0,
            monitor: Monitor::ValLoss,
            restore_best: true,
        }
    }
}

/// How to train: optimizer, schedule, batches, loss and safeguards.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Passes over the training set (default 30).
    pub epochs: usize,
    /// Rows per mini-batch (default 64).
    pub batch_size: usize,
    /// Optimizer name, as `downhill_optim::by_name` reads it (default `"adam"`).
    pub optimizer: String,
    /// The optimizer's hyperparameters, with PyTorch's names and defaults (unset = default;
    /// the default lr is PyTorch's for that optimizer, e.g. 1e-3 for Adam).
    pub hyper: Hyper,
    /// A learning-rate schedule (none by default).
    pub schedule: Option<ScheduleConfig>,
    /// When the schedule advances.
    pub schedule_per: SchedulePer,
    /// Clip the global L2 gradient norm to this value before each step (off by default).
    pub clip_grad_norm: Option<f64>,
    /// The loss (default: cross-entropy with label smoothing 0.1 — downhill's default, which
    /// differs from PyTorch's `CrossEntropyLoss()` default of no smoothing; on the bundled digits
    /// it raises mean validation accuracy over seeds 0–2 from 97.9% to 98.7%).
    pub loss: Loss,
    /// A weight penalty added to the loss, on weights only (names ending in `weight`, rank ≥ 2):
    /// L2, L1 or elastic net (none by default).
    pub penalty: Option<Penalty>,
    /// Data augmentation applied to each training batch on the fly (needs image-shaped data,
    /// e.g. digits); empty by default.
    pub augmentation: Vec<Augmentation>,
    /// Early stopping on a validation metric (off by default).
    pub early_stopping: Option<EarlyStoppingConfig>,
    /// Max-norm constraint: after each step, rescale each unit's incoming weight vector (a row
    /// of a `[out, in]` weight) to L2 norm at most this value (off by default).
    pub max_norm: Option<f64>,
    /// Seed of every random choice: initialization, shuffling, dropout, augmentation.
    pub seed: u64,
    /// Non-finite loss or gradient handling.
    pub nan_policy: NanPolicy,
    /// Show a progress bar on a terminal (default true; never drawn when not a terminal).
    pub progress: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 30,
            batch_size: 64,
            optimizer: "adam".into(),
            hyper: Hyper::default(),
            schedule: None,
            schedule_per: SchedulePer::Epoch,
            clip_grad_norm: None,
            loss: Loss::CrossEntropy {
                label_smoothing: 0.1,
            },
            penalty: None,
            augmentation: Vec::new(),
            early_stopping: None,
            max_norm: None,
            seed: 0,
            nan_policy: NanPolicy::Error,
            progress: true,
        }
    }
}

impl TrainConfig {
    /// Checks the values that the optimizer and schedule do not check themselves.
    ///
    /// # Errors
    /// [`Error::Config`] naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(Error::config("epochs", "must be at least 1"));
        }
        if self.batch_size == 0 {
            return Err(Error::config("batch_size", "must be at least 1"));
        }
        if let Some(c) = self.clip_grad_norm
            && !(c > 0.0 && c.is_finite())
        {
            return Err(Error::config(
                "clip_grad_norm",
                format!("must be positive and finite, got {c}"),
            ));
        }
        if let Loss::CrossEntropy { label_smoothing } = self.loss
            && !(0.0..=1.0).contains(&label_smoothing)
        {
            return Err(Error::config(
                "label_smoothing",
                format!("must lie in [0, 1], got {label_smoothing}"),
            ));
        }
        if let Some(p) = &self.penalty {
            p.validate()?;
        }
        for a in &self.augmentation {
            a.validate()?;
        }
        if let Some(m) = self.max_norm
            && !(m > 0.0 && m.is_finite())
        {
            return Err(Error::config(
                "max_norm",
                format!("must be positive and finite, got {m}"),
            ));
        }
        if let Some(es) = &self.early_stopping
            && !(es.min_delta >= 0.0 && es.min_delta.is_finite())
        {
            return Err(Error::config(
                "early_stopping.min_delta",
                format!("must be finite and non-negative, got {}", es.min_delta),
            ));
        }
        Ok(())
    }
}
