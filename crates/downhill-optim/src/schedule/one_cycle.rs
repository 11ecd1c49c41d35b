//! [`OneCycleLr`]: the one-cycle policy, with momentum cycling.

use std::f64::consts::PI;

use downhill_tensor::Element;
use serde::{Deserialize, Serialize};

use crate::schedule::{check, from_json, to_json};
use crate::{OptimError, Optimizer, Scheduler};

/// How [`OneCycleLr`] interpolates within a phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnnealStrategy {
    /// `end + (start − end)·(1 + cos(π·pct))/2` (default).
    #[default]
    Cos,
    /// `start + (end − start)·pct`.
    Linear,
}

impl AnnealStrategy {
    fn anneal(self, start: f64, end: f64, pct: f64) -> f64 {
        match self {
            AnnealStrategy::Cos => end + (start - end) / 2.0 * ((PI * pct).cos() + 1.0),
            AnnealStrategy::Linear => (end - start) * pct + start,
        }
    }
}

/// `torch.optim.lr_scheduler.OneCycleLR` (Smith 2017, "Cyclical Learning Rates for Training
/// Neural Networks"; Smith & Topin 2018/2019, "Super-Convergence").
///
/// ```text
/// initial = max_lr/div_factor;  min = initial/final_div_factor
/// two phases:   initial → max_lr over pct_start·T − 1 steps, max_lr → min until T − 1
/// three phases: initial → max_lr → initial (symmetric), then initial → min
/// momentum (or Adam's β₁) moves inversely: max_momentum → base_momentum → max_momentum
/// ```
///
/// Stepping more than `total_steps` times is an error, as in PyTorch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OneCycleLr {
    /// Number of steps in the cycle.
    pub total_steps: u64,
    /// Fraction of the cycle spent increasing the rate (default 0.3).
    pub pct_start: f64,
    /// Interpolation (default cosine).
    pub anneal_strategy: AnnealStrategy,
    /// Whether momentum/β₁ is cycled (default true).
    pub cycle_momentum: bool,
    /// Lowest momentum (default 0.85).
    pub base_momentum: f64,
    /// Highest momentum (default 0.95).
    pub max_momentum: f64,
    /// Use Smith's three-phase variant (default false).
    pub three_phase: bool,
    /// Per group: initial, peak and final rates.
    pub lrs: Vec<(f64, f64, f64)>,
    /// Steps taken (PyTorch's `last_epoch`).
    pub last_epoch: i64,
    last_lr: Vec<f64>,
}

impl OneCycleLr {
    /// Builds the schedule with PyTorch's defaults for the optional settings (see the fields;
    /// change them with [`OneCycleLr::with_options`]) and sets the initial rate and momentum.
    ///
    /// `max_lr` holds one peak rate per group, or one for all.
    ///
    /// # Errors
    /// `total_steps = 0`, a bad `max_lr` count, or an optimizer without momentum.
    pub fn new<E: Element>(
        opt: &mut dyn Optimizer<E>,
        max_lr: &[f64],
        total_steps: u64,
    ) -> Result<Self, OptimError> {
        Self::with_options(opt, max_lr, total_steps, OneCycleOptions::default())
    }

    /// Builds the schedule with explicit options.
    ///
    /// # Errors
    /// As [`OneCycleLr::new`], and options outside their ranges.
    pub fn with_options<E: Element>(
        opt: &mut dyn Optimizer<E>,
        max_lr: &[f64],
        total_steps: u64,
        o: OneCycleOptions,
    ) -> Result<Self, OptimError> {
        let n = opt.num_groups();
        check(
            "onecyclelr",
            "total_steps",
            total_steps as f64,
            total_steps > 0,
            "must be ≥ 1",
        )?;
        check(
            "onecyclelr",
            "pct_start",
            o.pct_start,
            (0.0..=1.0).contains(&o.pct_start),
            "must be in [0, 1]",
        )?;
        check(
            "onecyclelr",
            "max_lr",
            max_lr.len() as f64,
            max_lr.len() == 1 || max_lr.len() == n,
            "needs one value or one per group",
        )?;
        check(
            "onecyclelr",
            "div_factor",
            o.div_factor,
            o.div_factor > 0.0,
            "must be > 0",
        )?;
        check(
            "onecyclelr",
            "final_div_factor",
            o.final_div_factor,
            o.final_div_factor > 0.0,
            "must be > 0",
        )?;
        let lrs = (0..n)
            .map(|g| {
                let max = max_lr[if max_lr.len() == 1 { 0 } else { g }];
                let initial = max / o.div_factor;
                (initial, max, initial / o.final_div_factor)
            })
            .collect();
        if o.cycle_momentum && opt.momentum(0).is_none() {
            return Err(OptimError::NoMomentum {
                optimizer: opt.name(),
            });
        }
        let mut s = Self {
            total_steps,
            pct_start: o.pct_start,
            anneal_strategy: o.anneal_strategy,
            cycle_momentum: o.cycle_momentum,
            base_momentum: o.base_momentum,
            max_momentum: o.max_momentum,
            three_phase: o.three_phase,
            lrs,
            last_epoch: -1,
            last_lr: vec![],
        };
        s.last_epoch = 0;
        s.set(opt)?;
        Ok(s)
    }

    /// `(end_step, start, end)` of each phase; start/end index 0 = initial, 1 = max, 2 = min
    /// for the rate, and the momentum moves the opposite way.
    fn phases(&self) -> Vec<(f64, usize, usize)> {
        let t = self.total_steps as f64;
        if self.three_phase {
            vec![
                (self.pct_start * t - 1.0, 0, 1),
                (2.0 * self.pct_start * t - 2.0, 1, 0),
                (t - 1.0, 0, 2),
            ]
        } else {
            vec![(self.pct_start * t - 1.0, 0, 1), (t - 1.0, 1, 2)]
        }
    }

    fn set<E: Element>(&mut self, opt: &mut dyn Optimizer<E>) -> Result<(), OptimError> {
        let step = self.last_epoch as f64;
        let phases = self.phases();
        let mut lrs = Vec::with_capacity(self.lrs.len());
        for (g, &(initial, max, min)) in self.lrs.iter().enumerate() {
            let value = |i: usize| [initial, max, min][i];
            let mom = |i: usize| {
                if i == 1 {
                    self.base_momentum
                } else {
                    self.max_momentum
                }
            };
            let mut start_step = 0.0;
            for (k, &(end_step, a, b)) in phases.iter().enumerate() {
                if step <= end_step || k == phases.len() - 1 {
                    let pct = (step - start_step) / (end_step - start_step);
                    lrs.push(self.anneal_strategy.anneal(value(a), value(b), pct));
                    if self.cycle_momentum {
                        opt.set_momentum(g, self.anneal_strategy.anneal(mom(a), mom(b), pct))?;
                    }
                    break;
                }
                start_step = end_step;
            }
        }
        for (g, &lr) in lrs.iter().enumerate() {
            opt.set_lr(g, lr)?;
        }
        self.last_lr = lrs;
        Ok(())
    }
}

/// The optional settings of [`OneCycleLr`], with PyTorch's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OneCycleOptions {
    /// Fraction of the cycle spent increasing the rate (default 0.3).
    pub pct_start: f64,
    /// Interpolation (default cosine).
    pub anneal_strategy: AnnealStrategy,
    /// Cycle momentum/β₁ inversely to the rate (default true).
    pub cycle_momentum: bool,
    /// Lowest momentum (default 0.85).
    pub base_momentum: f64,
    /// Highest momentum (default 0.95).
    pub max_momentum: f64,
    /// initial rate = max_lr/div_factor (default 25).
    pub div_factor: f64,
    /// final rate = initial/final_div_factor (default 1e4).
    pub final_div_factor: f64,
    /// Smith's three-phase variant (default false).
    pub three_phase: bool,
}

impl Default for OneCycleOptions {
    fn default() -> Self {
        Self {
            pct_start: 0.3,
            anneal_strategy: AnnealStrategy::Cos,
            cycle_momentum: true,
            base_momentum: 0.85,
            max_momentum: 0.95,
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
        }
    }
}

impl<E: Element> Scheduler<E> for OneCycleLr {
    fn step(&mut self, opt: &mut dyn Optimizer<E>, _metric: Option<f64>) -> Result<(), OptimError> {
        if self.last_epoch + 1 > self.total_steps as i64 {
            let reason = format!(
                "tried to step {} times, total_steps = {}",
                self.last_epoch + 1,
                self.total_steps
            );
            return Err(OptimError::Schedule {
                schedule: "onecyclelr",
                reason,
            });
        }
        self.last_epoch += 1;
        self.set(opt)
    }
    fn last_lr(&self) -> Vec<f64> {
        self.last_lr.clone()
    }
    fn name(&self) -> &'static str {
        "onecyclelr"
    }
    fn state_json(&self) -> serde_json::Value {
        to_json(self)
    }
    fn load_state_json(&mut self, v: &serde_json::Value) -> Result<(), OptimError> {
        *self = from_json(v)?;
        Ok(())
    }
    fn restart(&mut self, opt: &mut dyn Optimizer<E>) -> Result<(), OptimError> {
        self.last_epoch = 0;
        self.set(opt)
    }
}
