//! [`ReduceLrOnPlateau`]: decay when a metric stops improving.

use downhill_tensor::Element;
use serde::{Deserialize, Serialize};

use crate::schedule::{check, from_json, to_json};
use crate::{OptimError, Optimizer, Scheduler};

/// Whether the metric should decrease (a loss) or increase (an accuracy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlateauMode {
    /// Lower is better (default).
    #[default]
    Min,
    /// Higher is better.
    Max,
}

/// How the improvement threshold is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThresholdMode {
    /// Relative: better than `best·(1 ∓ threshold)` (default).
    #[default]
    Rel,
    /// Absolute: better than `best ∓ threshold`.
    Abs,
}

/// `torch.optim.lr_scheduler.ReduceLROnPlateau`: multiply the rates by `factor` once the
/// metric has not improved for more than `patience` steps, then wait `cooldown` steps.
///
/// ```text
/// better(a) = a < best·(1 − θ)  (min, rel)   a < best − θ  (min, abs)
///             a > best·(1 + θ)  (max, rel)   a > best + θ  (max, abs)
/// on more than `patience` bad steps: lr ← max(lr·factor, min_lr)  (if it changes by > eps)
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReduceLrOnPlateau {
    /// Min or max.
    pub mode: PlateauMode,
    /// Multiplicative factor (default 0.1; must be < 1).
    pub factor: f64,
    /// Bad steps tolerated (default 10).
    pub patience: u64,
    /// Improvement threshold θ (default 1e-4).
    pub threshold: f64,
    /// Rel or abs (default rel).
    pub threshold_mode: ThresholdMode,
    /// Steps to wait after a reduction (default 0).
    pub cooldown: u64,
    /// Lower bound on each group's rate (default 0).
    pub min_lr: f64,
    /// Smallest change applied (default 1e-8).
    pub eps: f64,
    /// Best metric so far.
    pub best: f64,
    /// Consecutive steps without improvement.
    pub num_bad_epochs: u64,
    /// Remaining cooldown.
    pub cooldown_counter: u64,
    /// Steps taken.
    pub last_epoch: i64,
    last_lr: Vec<f64>,
}

impl ReduceLrOnPlateau {
    /// A schedule with PyTorch's defaults in `mode` (the optimizer is not changed).
    pub fn new<E: Element>(opt: &dyn Optimizer<E>, mode: PlateauMode) -> Self {
        let best = if mode == PlateauMode::Min {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        };
        Self {
            mode,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
            best,
            num_bad_epochs: 0,
            cooldown_counter: 0,
            last_epoch: 0,
            last_lr: (0..opt.num_groups()).map(|g| opt.lr(g)).collect(),
        }
    }

    /// Checks the settings (call after changing the public fields).
    ///
    /// # Errors
    /// `factor ≥ 1` or negative, negative threshold, min_lr or eps.
    pub fn validate(&self) -> Result<(), OptimError> {
        check(
            "reducelronplateau",
            "factor",
            self.factor,
            (0.0..1.0).contains(&self.factor),
            "must be in [0, 1)",
        )?;
        check(
            "reducelronplateau",
            "threshold",
            self.threshold,
            self.threshold >= 0.0,
            "must be ≥ 0",
        )?;
        check(
            "reducelronplateau",
            "min_lr",
            self.min_lr,
            self.min_lr >= 0.0,
            "must be ≥ 0",
        )?;
        check(
            "reducelronplateau",
            "eps",
            self.eps,
            self.eps >= 0.0,
            "must be ≥ 0",
        )
    }

    fn is_better(&self, a: f64) -> bool {
        let (best, th) = (self.best, self.threshold);
        match (self.mode, self.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => a < best * (1.0 - th),
            (PlateauMode::Min, ThresholdMode::Abs) => a < best - th,
            (PlateauMode::Max, ThresholdMode::Rel) => a > best * (th + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => a > best + th,
        }
    }

    fn reduce<E: Element>(&self, opt: &mut dyn Optimizer<E>) -> Result<(), OptimError> {
        for g in 0..opt.num_groups() {
            let old = opt.lr(g);
            let new = (old * self.factor).max(self.min_lr);
            if old - new > self.eps {
                opt.set_lr(g, new)?;
            }
        }
        Ok(())
    }
}

impl<E: Element> Scheduler<E> for ReduceLrOnPlateau {
    fn step(&mut self, opt: &mut dyn Optimizer<E>, metric: Option<f64>) -> Result<(), OptimError> {
        let Some(current) = metric else {
            return Err(OptimError::Schedule {
                schedule: "reducelronplateau",
                reason: "step needs a metric".into(),
            });
        };
        self.validate()?;
        self.last_epoch += 1;
        if self.is_better(current) {
            self.best = current;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.patience {
            self.reduce(opt)?;
            self.cooldown_counter = self.cooldown;
            self.num_bad_epochs = 0;
        }
        self.last_lr = (0..opt.num_groups()).map(|g| opt.lr(g)).collect();
        Ok(())
    }
    fn last_lr(&self) -> Vec<f64> {
        self.last_lr.clone()
    }
    fn name(&self) -> &'static str {
        "reducelronplateau"
    }
    fn state_json(&self) -> serde_json::Value {
        to_json(self)
    }
    fn load_state_json(&mut self, v: &serde_json::Value) -> Result<(), OptimError> {
        *self = from_json(v)?;
        Ok(())
    }
    fn restart(&mut self, _opt: &mut dyn Optimizer<E>) -> Result<(), OptimError> {
        Err(OptimError::Schedule {
            schedule: "reducelronplateau",
            reason: "cannot be restarted by SequentialLR".into(),
        })
    }
}
