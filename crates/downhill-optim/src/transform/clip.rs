//! [`clip_by_global_norm`] and [`clip_by_value`] as transformations.

use downhill_tensor::{Element, Tensor};

use crate::OptimError;
use crate::clip::clip_coefficient;
use crate::transform::{GradientTransformation, TransformState};

/// Rescales the updates to a total L2 norm of at most `max_norm`, with PyTorch's
/// `clip_grad_norm_` rule `c = min(max_norm/(N + 1e-6), 1)` (optax omits the 1e-6).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipByGlobalNorm {
    /// The largest allowed total norm.
    pub max_norm: f64,
}

/// Clipping by global L2 norm.
pub fn clip_by_global_norm(max_norm: f64) -> ClipByGlobalNorm {
    ClipByGlobalNorm { max_norm }
}

impl<E: Element> GradientTransformation<E> for ClipByGlobalNorm {
    fn init(&self, _params: &[Tensor<E>]) -> TransformState<E> {
        TransformState::default()
    }

    fn update(
        &self,
        updates: &mut [Tensor<E>],
        state: &mut TransformState<E>,
        _: &[Tensor<E>],
    ) -> Result<(), OptimError> {
        let (coef, _) = clip_coefficient(updates.iter(), self.max_norm, 2.0, false)?;
        let c = E::of(coef);
        updates.iter_mut().for_each(|u| u.map_inplace(|v| v * c));
        state.count += 1;
        Ok(())
    }
}

/// Clamps every update element to `[−max_abs, max_abs]` (optax's `clip`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipByValue {
    /// The largest allowed absolute value.
    pub max_abs: f64,
}

/// Clipping by value.
pub fn clip_by_value(max_abs: f64) -> ClipByValue {
    ClipByValue { max_abs }
}

impl<E: Element> GradientTransformation<E> for ClipByValue {
    fn init(&self, _params: &[Tensor<E>]) -> TransformState<E> {
        TransformState::default()
    }

    fn update(
        &self,
        updates: &mut [Tensor<E>],
        state: &mut TransformState<E>,
        _: &[Tensor<E>],
    ) -> Result<(), OptimError> {
        let mut refs: Vec<&mut Tensor<E>> = updates.iter_mut().collect();
        crate::clip_grad_value(&mut refs, self.max_abs)?;
        state.count += 1;
        Ok(())
    }
}
