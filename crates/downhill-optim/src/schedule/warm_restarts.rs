//! [`CosineAnnealingWarmRestarts`]: SGDR.

use std::f64::consts::PI;

use downhill_tensor::Element;
use serde::{Deserialize, Serialize};

use crate::schedule::{LrCore, check, from_json, to_json};
use crate::{OptimError, Optimizer, Scheduler};

/// `torch.optim.lr_scheduler.CosineAnnealingWarmRestarts` (Loshchilov & Hutter 2017, "SGDR:
/// Stochastic Gradient Descent with Warm Restarts").
///
/// ```text
/// η_t = η_min + (η₀ − η_min)·(1 + cos(π·T_cur/T_i))/2
/// T_cur ← T_cur + 1;  on T_cur = T_i: T_cur ← 0, T_i ← T_i·T_mult      (T_i starts at T_0)
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CosineAnnealingWarmRestarts {
    /// Length of the first period.
    pub t_0: u64,
    /// Growth factor of the period.
    pub t_mult: u64,
    /// Minimum rate.
    pub eta_min: f64,
    /// Length of the current period.
    pub t_i: u64,
    /// Steps since the last restart.
    pub t_cur: u64,
    core: LrCore,
}

impl CosineAnnealingWarmRestarts {
    /// Builds the schedule (the initial step sets the base rates).
    ///
    /// # Errors
    /// `t_0 = 0`, `t_mult = 0` or a negative η_min.
    pub fn new<E: Element>(
        opt: &mut dyn Optimizer<E>,
        t_0: u64,
        t_mult: u64,
        eta_min: f64,
    ) -> Result<Self, OptimError> {
        check(
            "cosineannealingwarmrestarts",
            "t_0",
            t_0 as f64,
            t_0 > 0,
            "must be ≥ 1",
        )?;
        check(
            "cosineannealingwarmrestarts",
            "t_mult",
            t_mult as f64,
            t_mult > 0,
            "must be ≥ 1",
        )?;
        check(
            "cosineannealingwarmrestarts",
            "eta_min",
            eta_min,
            eta_min >= 0.0 && eta_min.is_finite(),
            "must be ≥ 0",
        )?;
        let mut s = Self {
            t_0,
            t_mult,
            eta_min,
            t_i: t_0,
            t_cur: 0,
            core: LrCore::new(opt),
        };
        s.set(opt)?;
        s.core.last_epoch = 0;
        Ok(s)
    }

    fn set<E: Element>(&mut self, opt: &mut dyn Optimizer<E>) -> Result<(), OptimError> {
        let (eta_min, frac) = (self.eta_min, self.t_cur as f64 / self.t_i as f64);
        self.core.apply(opt, |_, base| {
            eta_min + (base - eta_min) * (1.0 + (PI * frac).cos()) / 2.0
        })
    }
}

impl<E: Element> Scheduler<E> for CosineAnnealingWarmRestarts {
    fn step(&mut self, opt: &mut dyn Optimizer<E>, _metric: Option<f64>) -> Result<(), OptimError> {
        let mut next = self.clone();
        next.t_cur += 1;
        if next.t_cur >= next.t_i {
            next.t_cur %= next.t_i;
            next.t_i *= next.t_mult;
        }
        next.core.last_epoch += 1;
        next.set(opt)?;
        *self = next;
        Ok(())
    }
    fn last_lr(&self) -> Vec<f64> {
        self.core.last_lr.clone()
    }
    fn name(&self) -> &'static str {
        "cosineannealingwarmrestarts"
    }
    fn state_json(&self) -> serde_json::Value {
        to_json(self)
    }
    fn load_state_json(&mut self, v: &serde_json::Value) -> Result<(), OptimError> {
        *self = from_json(v)?;
        Ok(())
    }
    fn restart(&mut self, opt: &mut dyn Optimizer<E>) -> Result<(), OptimError> {
        self.core.last_epoch = 0;
        self.set(opt)
    }
}
