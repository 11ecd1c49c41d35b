//! Learning-rate schedules, step for step equal to `torch.optim.lr_scheduler`.
//!
//! Like PyTorch, a schedule is built on an optimizer (which takes the schedule's first value
//! at once) and stepped after each optimizer step (or epoch). PyTorch's chainable forms
//! (`get_lr`, each value computed from the previous one) are reproduced, not the closed forms,
//! so the floats agree to the last bits.
//!
//! ```
//! use downhill_optim::{Optimizer, Scheduler, Sgd, StepLr};
//! let mut opt = Sgd { lr: 0.1, ..Sgd::default() }.build::<f32>().unwrap();
//! let mut sched = StepLr::new(&mut opt, 2, 0.5).unwrap();
//! let mut lrs = vec![];
//! for _ in 0..5 {
//!     // … opt.step(&mut params) …
//!     lrs.push(opt.lr(0));
//!     sched.step(&mut opt, None).unwrap();
//! }
//! assert_eq!(lrs, [0.1, 0.1, 0.05, 0.05, 0.025]);
//! ```

pub(crate) mod config;
pub(crate) mod cosine;
pub(crate) mod exponential;
pub(crate) mod linear;
pub(crate) mod multistep;
pub(crate) mod one_cycle;
pub(crate) mod plateau;
pub(crate) mod sequential;
pub(crate) mod step;
pub(crate) mod warm_restarts;

use downhill_tensor::Element;
use serde::{Deserialize, Serialize};

use crate::{OptimError, Optimizer};

/// A learning-rate schedule that drives an optimizer's learning rates (and, for
/// [`OneCycleLr`](crate::OneCycleLr), its momentum or beta1).
pub trait Scheduler<E: Element>: Send {
    /// Advances one step (epoch or batch) and sets the optimizer's learning rates.
    /// `metric` is required by [`ReduceLrOnPlateau`](crate::ReduceLrOnPlateau) and ignored by
    /// the others.
    ///
    /// # Errors
    /// A missing metric, a step past the end of a OneCycle schedule, or an optimizer whose
    /// group count changed.
    fn step(&mut self, opt: &mut dyn Optimizer<E>, metric: Option<f64>) -> Result<(), OptimError>;

    /// The learning rates the schedule last set, one per group.
    fn last_lr(&self) -> Vec<f64>;

    /// The schedule's name as [`ScheduleConfig`](crate::ScheduleConfig) spells it.
    fn name(&self) -> &'static str;

    /// The whole state, serializable (restore with [`Scheduler::load_state_json`]).
    fn state_json(&self) -> serde_json::Value;

    /// Restores a state saved by [`Scheduler::state_json`].
    ///
    /// # Errors
    /// [`OptimError::BadState`] when it does not fit; the schedule is unchanged then.
    fn load_state_json(&mut self, state: &serde_json::Value) -> Result<(), OptimError>;

    /// Jumps to epoch 0 with the closed form, as PyTorch's `SequentialLR` does at a milestone.
    ///
    /// # Errors
    /// As [`Scheduler::step`].
    fn restart(&mut self, opt: &mut dyn Optimizer<E>) -> Result<(), OptimError>;
}

/// The bookkeeping every chainable schedule shares: PyTorch's `last_epoch`, `base_lrs` and
/// `_last_lr`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub(crate) struct LrCore {
    pub last_epoch: i64,
    pub base_lrs: Vec<f64>,
    pub last_lr: Vec<f64>,
}

impl LrCore {
    pub(crate) fn new<E: Element>(opt: &dyn Optimizer<E>) -> Self {
        let base_lrs: Vec<f64> = (0..opt.num_groups()).map(|g| opt.lr(g)).collect();
        Self {
            last_epoch: -1,
            last_lr: base_lrs.clone(),
            base_lrs,
        }
    }

    /// Sets every group's lr to `f(group, current lr, base lr)`.
    pub(crate) fn apply<E: Element>(
        &mut self,
        opt: &mut dyn Optimizer<E>,
        f: impl Fn(f64, f64) -> f64,
    ) -> Result<(), OptimError> {
        if opt.num_groups() != self.base_lrs.len() {
            let msg = format!(
                "schedule built for {} groups, optimizer has {}",
                self.base_lrs.len(),
                opt.num_groups()
            );
            return Err(OptimError::BadState(msg));
        }
        let lrs: Vec<f64> = self
            .base_lrs
            .iter()
            .enumerate()
            .map(|(g, &b)| f(opt.lr(g), b))
            .collect();
        for (g, &lr) in lrs.iter().enumerate() {
            opt.set_lr(g, lr)?;
        }
        self.last_lr = lrs;
        Ok(())
    }
}

/// A schedule defined by PyTorch's chainable `get_lr` and its closed form at epoch 0.
pub(crate) trait Chainable: Clone + Send + Serialize + for<'de> Deserialize<'de> {
    const NAME: &'static str;
    fn core(&mut self) -> &mut LrCore;
    /// The next lr of a group from its current lr and base lr, at epoch `epoch` (0 = initial).
    fn chain_lr(&self, epoch: i64, lr: f64, base: f64) -> f64;
    /// The closed-form lr at epoch 0.
    fn closed_lr_at_zero(&self, base: f64) -> f64;
}

/// PyTorch's `step()` of a chainable schedule.
pub(crate) fn chain_step<E: Element, S: Chainable>(
    s: &mut S,
    opt: &mut dyn Optimizer<E>,
) -> Result<(), OptimError> {
    let epoch = s.core().last_epoch + 1;
    let me = s.clone();
    s.core()
        .apply(opt, |lr, base| me.chain_lr(epoch, lr, base))?;
    s.core().last_epoch = epoch;
    Ok(())
}

/// Serializes any schedule.
pub(crate) fn to_json<S: Serialize>(s: &S) -> serde_json::Value {
    serde_json::to_value(s).expect("schedules serialize to JSON")
}

/// Deserializes any schedule.
pub(crate) fn from_json<S: for<'de> Deserialize<'de>>(
    v: &serde_json::Value,
) -> Result<S, OptimError> {
    S::deserialize(v).map_err(|e| OptimError::BadState(e.to_string()))
}

/// Implements [`Scheduler`] for a [`Chainable`] schedule.
macro_rules! chainable_scheduler {
    ($ty:ty) => {
        impl<E: downhill_tensor::Element> $crate::Scheduler<E> for $ty {
            fn step(
                &mut self,
                opt: &mut dyn $crate::Optimizer<E>,
                _metric: Option<f64>,
            ) -> Result<(), $crate::OptimError> {
                $crate::schedule::chain_step(self, opt)
            }
            fn last_lr(&self) -> Vec<f64> {
                self.core.last_lr.clone()
            }
            fn name(&self) -> &'static str {
                <$ty as $crate::schedule::Chainable>::NAME
            }
            fn state_json(&self) -> serde_json::Value {
                $crate::schedule::to_json(self)
            }
            fn load_state_json(&mut self, v: &serde_json::Value) -> Result<(), $crate::OptimError> {
                *self = $crate::schedule::from_json(v)?;
                Ok(())
            }
            fn restart(
                &mut self,
                opt: &mut dyn $crate::Optimizer<E>,
            ) -> Result<(), $crate::OptimError> {
                use $crate::schedule::Chainable;
                let me = self.clone();
                self.core()
                    .apply(opt, |_, base| me.closed_lr_at_zero(base))?;
                self.core().last_epoch = 0;
                Ok(())
            }
        }
    };
}
pub(crate) use chainable_scheduler;

/// Checks a schedule parameter.
pub(crate) fn check(
    schedule: &'static str,
    name: &'static str,
    value: f64,
    ok: bool,
    reason: &'static str,
) -> Result<(), OptimError> {
    if ok {
        Ok(())
    } else {
        Err(OptimError::hyper(schedule, name, value, reason))
    }
}
