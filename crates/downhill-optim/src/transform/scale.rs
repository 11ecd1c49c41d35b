//! [`scale`] and [`scale_by_schedule`]: multiplying the updates by a constant or a schedule.

use downhill_tensor::{Element, Tensor};

use crate::OptimError;
use crate::transform::{GradientTransformation, TransformState};

/// Multiplies the updates by a constant: `u ← s·u` (use `s = −lr` to descend).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// The factor s.
    pub step_size: f64,
}

/// `u ← step_size·u`.
pub fn scale(step_size: f64) -> Scale {
    Scale { step_size }
}

impl<E: Element> GradientTransformation<E> for Scale {
    fn init(&self, _params: &[Tensor<E>]) -> TransformState<E> {
        TransformState::default()
    }

    fn update(
        &self,
        updates: &mut [Tensor<E>],
        state: &mut TransformState<E>,
        _: &[Tensor<E>],
    ) -> Result<(), OptimError> {
        let s = E::of(self.step_size);
        updates.iter_mut().for_each(|u| u.map_inplace(|v| v * s));
        state.count += 1;
        Ok(())
    }
}

/// Multiplies the updates by a schedule of the step count: `u ← f(t)·u`, t = 0, 1, …
pub struct ScaleBySchedule {
    step_size_fn: Box<dyn Fn(u64) -> f64 + Send + Sync>,
}

/// `u ← f(count)·u`, then `count ← count + 1` (optax's `scale_by_schedule`).
pub fn scale_by_schedule(
    step_size_fn: impl Fn(u64) -> f64 + Send + Sync + 'static,
) -> ScaleBySchedule {
    ScaleBySchedule {
        step_size_fn: Box::new(step_size_fn),
    }
}

impl<E: Element> GradientTransformation<E> for ScaleBySchedule {
    fn init(&self, _params: &[Tensor<E>]) -> TransformState<E> {
        TransformState::default()
    }

    fn update(
        &self,
        updates: &mut [Tensor<E>],
        state: &mut TransformState<E>,
        _: &[Tensor<E>],
    ) -> Result<(), OptimError> {
        let s = E::of((self.step_size_fn)(state.count));
        updates.iter_mut().for_each(|u| u.map_inplace(|v| v * s));
        state.count += 1;
        Ok(())
    }
}
