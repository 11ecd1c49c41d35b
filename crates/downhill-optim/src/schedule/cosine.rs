//! [`CosineAnnealingLr`]: cosine annealing (SGDR without restarts).

use std::f64::consts::PI;

use downhill_tensor::Element;
use serde::{Deserialize, Serialize};

use crate::schedule::{Chainable, LrCore, chain_step, chainable_scheduler, check};
use crate::{OptimError, Optimizer};

/// `torch.optim.lr_scheduler.CosineAnnealingLR` (Loshchilov & Hutter 2017, "SGDR: Stochastic
/// Gradient Descent with Warm Restarts", without the restarts).
///
/// ```text
/// closed form:  η_t = η_min + (η₀ − η_min)·(1 + cos(π·t/T_max))/2
/// chainable (what PyTorch computes and this reproduces):
///   η_t = η_min + (η_{t−1} − η_min)·(1 + cos(π t/T_max))/(1 + cos(π (t−1)/T_max))
///   η_t = η_{t−1} + (η₀ − η_min)·(1 − cos(π/T_max))/2    when (t − 1 − T_max) mod 2T_max = 0
/// ```
///
/// Past `T_max` the rate rises again (a cosine wave), as in PyTorch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CosineAnnealingLr {
    /// Half period T_max.
    pub t_max: u64,
    /// Minimum rate η_min.
    pub eta_min: f64,
    core: LrCore,
}

impl CosineAnnealingLr {
    /// Builds the schedule (PyTorch's initial step leaves the rates unchanged).
    ///
    /// # Errors
    /// `t_max = 0` or a negative η_min.
    pub fn new<E: Element>(
        opt: &mut dyn Optimizer<E>,
        t_max: u64,
        eta_min: f64,
    ) -> Result<Self, OptimError> {
        check(
            "cosineannealinglr",
            "t_max",
            t_max as f64,
            t_max > 0,
            "must be ≥ 1",
        )?;
        check(
            "cosineannealinglr",
            "eta_min",
            eta_min,
            eta_min >= 0.0 && eta_min.is_finite(),
            "must be finite and ≥ 0",
        )?;
        let mut s = Self {
            t_max,
            eta_min,
            core: LrCore::new(opt),
        };
        chain_step(&mut s, opt)?;
        Ok(s)
    }
}

impl Chainable for CosineAnnealingLr {
    const NAME: &'static str = "cosineannealinglr";
    fn core(&mut self) -> &mut LrCore {
        &mut self.core
    }
    fn chain_lr(&self, epoch: i64, lr: f64, base: f64) -> f64 {
        let (t, t_max, eta_min) = (epoch as f64, self.t_max as f64, self.eta_min);
        if epoch == 0 {
            lr
        } else if (epoch - 1 - self.t_max as i64).rem_euclid(2 * self.t_max as i64) == 0 {
            lr + (base - eta_min) * (1.0 - (PI / t_max).cos()) / 2.0
        } else {
            (1.0 + (PI * t / t_max).cos()) / (1.0 + (PI * (t - 1.0) / t_max).cos()) * (lr - eta_min)
                + eta_min
        }
    }
    fn closed_lr_at_zero(&self, base: f64) -> f64 {
        self.eta_min + (base - self.eta_min) * (1.0 + 0f64.cos()) / 2.0
    }
}

chainable_scheduler!(CosineAnnealingLr);
