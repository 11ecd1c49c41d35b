//! [`LinearLr`]: linear warm-up (or decay) of the rate's factor.

use downhill_tensor::Element;
use serde::{Deserialize, Serialize};

use crate::schedule::{Chainable, LrCore, chain_step, chainable_scheduler, check};
use crate::{OptimError, Optimizer};

/// `torch.optim.lr_scheduler.LinearLR`: the factor goes linearly from `start_factor` to
/// `end_factor` over `total_iters` steps, then stays.
///
/// ```text
/// closed form:  η_t = η₀·(s + (e − s)·min(t, T)/T)
/// chainable:    η₀' = η₀·s;  η_t = η_{t−1}·(1 + (e − s)/(T·s + (t − 1)(e − s)))  for 1 ≤ t ≤ T
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinearLr {
    /// Factor at step 0, in (0, 1].
    pub start_factor: f64,
    /// Factor from step `total_iters` on, in [0, 1].
    pub end_factor: f64,
    /// Length of the ramp.
    pub total_iters: u64,
    core: LrCore,
}

impl LinearLr {
    /// Builds the schedule and multiplies the optimizer's rates by `start_factor`.
    ///
    /// # Errors
    /// Factors outside their ranges (PyTorch's checks) or `total_iters = 0`.
    pub fn new<E: Element>(
        opt: &mut dyn Optimizer<E>,
        start_factor: f64,
        end_factor: f64,
        total_iters: u64,
    ) -> Result<Self, OptimError> {
        check(
            "linearlr",
            "start_factor",
            start_factor,
            start_factor > 0.0 && start_factor <= 1.0,
            "must be in (0, 1]",
        )?;
        check(
            "linearlr",
            "end_factor",
            end_factor,
            (0.0..=1.0).contains(&end_factor),
            "must be in [0, 1]",
        )?;
        check(
            "linearlr",
            "total_iters",
            total_iters as f64,
            total_iters > 0,
            "must be ≥ 1",
        )?;
        let mut s = Self {
            start_factor,
            end_factor,
            total_iters,
            core: LrCore::new(opt),
        };
        chain_step(&mut s, opt)?;
        Ok(s)
    }
}

impl Chainable for LinearLr {
    const NAME: &'static str = "linearlr";
    fn core(&mut self) -> &mut LrCore {
        &mut self.core
    }
    fn chain_lr(&self, epoch: i64, lr: f64, _base: f64) -> f64 {
        let (s, e, n) = (self.start_factor, self.end_factor, self.total_iters as f64);
        if epoch == 0 {
            lr * s
        } else if epoch > self.total_iters as i64 {
            lr
        } else {
            lr * (1.0 + (e - s) / (n * s + (epoch as f64 - 1.0) * (e - s)))
        }
    }
    fn closed_lr_at_zero(&self, base: f64) -> f64 {
        base * (self.start_factor
            + (self.end_factor - self.start_factor) * 0.0 / self.total_iters as f64)
    }
}

chainable_scheduler!(LinearLr);
