//! [`StepLr`]: decay by γ every `step_size` epochs.

use downhill_tensor::Element;
use serde::{Deserialize, Serialize};

use crate::schedule::{Chainable, LrCore, chain_step, chainable_scheduler, check};
use crate::{OptimError, Optimizer};

/// `torch.optim.lr_scheduler.StepLR`: `lr_t = lr₀·γ^⌊t/step_size⌋`, computed chainably
/// (`lr ← γ·lr` when `t` is a positive multiple of `step_size`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepLr {
    /// Period of the decay.
    pub step_size: u64,
    /// Multiplicative factor γ.
    pub gamma: f64,
    core: LrCore,
}

impl StepLr {
    /// Builds the schedule and sets the optimizer's initial rates (PyTorch's initial step).
    ///
    /// # Errors
    /// `step_size = 0` or a negative γ.
    pub fn new<E: Element>(
        opt: &mut dyn Optimizer<E>,
        step_size: u64,
        gamma: f64,
    ) -> Result<Self, OptimError> {
        check(
            "steplr",
            "step_size",
            step_size as f64,
            step_size > 0,
            "must be ≥ 1",
        )?;
        check(
            "steplr",
            "gamma",
            gamma,
            gamma >= 0.0 && gamma.is_finite(),
            "must be finite and ≥ 0",
        )?;
        let mut s = Self {
            step_size,
            gamma,
            core: LrCore::new(opt),
        };
        chain_step(&mut s, opt)?;
        Ok(s)
    }
}

impl Chainable for StepLr {
    const NAME: &'static str = "steplr";
    fn core(&mut self) -> &mut LrCore {
        &mut self.core
    }
    fn chain_lr(&self, epoch: i64, lr: f64, _base: f64) -> f64 {
        if epoch == 0 || epoch % self.step_size as i64 != 0 {
            lr
        } else {
            lr * self.gamma
        }
    }
    fn closed_lr_at_zero(&self, base: f64) -> f64 {
        base
    }
}

chainable_scheduler!(StepLr);
