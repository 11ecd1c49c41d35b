//! [`ExponentialLr`]: decay by γ every epoch.

use downhill_tensor::Element;
use serde::{Deserialize, Serialize};

use crate::schedule::{Chainable, LrCore, chain_step, chainable_scheduler, check};
use crate::{OptimError, Optimizer};

/// `torch.optim.lr_scheduler.ExponentialLR`: `lr_t = lr₀·γᵗ`, computed chainably (`lr ← γ·lr`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExponentialLr {
    /// Multiplicative factor γ.
    pub gamma: f64,
    core: LrCore,
}

impl ExponentialLr {
    /// Builds the schedule (PyTorch's initial step leaves the rates unchanged).
    ///
    /// # Errors
    /// A negative or non-finite γ.
    pub fn new<E: Element>(opt: &mut dyn Optimizer<E>, gamma: f64) -> Result<Self, OptimError> {
        check(
            "exponentiallr",
            "gamma",
            gamma,
            gamma >= 0.0 && gamma.is_finite(),
            "must be finite and ≥ 0",
        )?;
        let mut s = Self {
            gamma,
            core: LrCore::new(opt),
        };
        chain_step(&mut s, opt)?;
        Ok(s)
    }
}

impl Chainable for ExponentialLr {
    const NAME: &'static str = "exponentiallr";
    fn core(&mut self) -> &mut LrCore {
        &mut self.core
    }
    fn chain_lr(&self, epoch: i64, lr: f64, _base: f64) -> f64 {
        if epoch == 0 { lr } else { lr * self.gamma }
    }
    fn closed_lr_at_zero(&self, base: f64) -> f64 {
        base
    }
}

chainable_scheduler!(ExponentialLr);
