//! [`MultiStepLr`]: decay by γ at given milestones.

use downhill_tensor::Element;
use serde::{Deserialize, Serialize};

use crate::schedule::{Chainable, LrCore, chain_step, chainable_scheduler, check};
use crate::{OptimError, Optimizer};

/// `torch.optim.lr_scheduler.MultiStepLR`: `lr ← γᵏ·lr` at an epoch listed k times in
/// `milestones`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MultiStepLr {
    /// The epochs at which to decay (repetitions decay repeatedly).
    pub milestones: Vec<u64>,
    /// Multiplicative factor γ.
    pub gamma: f64,
    core: LrCore,
}

impl MultiStepLr {
    /// Builds the schedule and performs PyTorch's initial step.
    ///
    /// # Errors
    /// A negative or non-finite γ.
    pub fn new<E: Element>(
        opt: &mut dyn Optimizer<E>,
        milestones: Vec<u64>,
        gamma: f64,
    ) -> Result<Self, OptimError> {
        check(
            "multisteplr",
            "gamma",
            gamma,
            gamma >= 0.0 && gamma.is_finite(),
            "must be finite and ≥ 0",
        )?;
        let mut milestones = milestones;
        milestones.sort_unstable();
        let mut s = Self {
            milestones,
            gamma,
            core: LrCore::new(opt),
        };
        chain_step(&mut s, opt)?;
        Ok(s)
    }

    fn count(&self, epoch: i64) -> usize {
        self.milestones
            .iter()
            .filter(|&&m| m as i64 == epoch)
            .count()
    }
}

impl Chainable for MultiStepLr {
    const NAME: &'static str = "multisteplr";
    fn core(&mut self) -> &mut LrCore {
        &mut self.core
    }
    fn chain_lr(&self, epoch: i64, lr: f64, _base: f64) -> f64 {
        match self.count(epoch) {
            0 => lr,
            k => lr * self.gamma.powi(k as i32),
        }
    }
    fn closed_lr_at_zero(&self, base: f64) -> f64 {
        base * self.gamma.powi(self.count(0) as i32)
    }
}

chainable_scheduler!(MultiStepLr);
