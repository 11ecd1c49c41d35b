//! [`scale_by_momentum`]: heavy-ball or Nesterov momentum (optax's `trace`).

use downhill_tensor::{Element, Tensor};

use crate::OptimError;
use crate::transform::{GradientTransformation, TransformState, check_state, zeros_like};

/// Momentum as optax's `trace` (Polyak 1964; Nesterov form: Sutskever et al. 2013).
///
/// ```text
/// b ← u + μ·b
/// u ← u + μ·b  if nesterov, else b
/// ```
///
/// This equals PyTorch's SGD momentum with zero dampening (PyTorch's first buffer `b₁ = g`
/// is `g + μ·0`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByMomentum {
    /// μ.
    pub decay: f64,
    /// Nesterov's look-ahead form.
    pub nesterov: bool,
}

/// Momentum with factor `decay` (optax's `trace`).
pub fn scale_by_momentum(decay: f64, nesterov: bool) -> ScaleByMomentum {
    ScaleByMomentum { decay, nesterov }
}

/// optax's name for [`scale_by_momentum`].
pub fn trace(decay: f64, nesterov: bool) -> ScaleByMomentum {
    scale_by_momentum(decay, nesterov)
}

impl<E: Element> GradientTransformation<E> for ScaleByMomentum {
    fn init(&self, params: &[Tensor<E>]) -> TransformState<E> {
        TransformState {
            count: 0,
            buffers: vec![zeros_like(params, 0.0)],
            inner: vec![],
        }
    }

    fn update(
        &self,
        updates: &mut [Tensor<E>],
        state: &mut TransformState<E>,
        _: &[Tensor<E>],
    ) -> Result<(), OptimError> {
        check_state(updates, state, 1)?;
        let mu = E::of(self.decay);
        for (u, b) in updates.iter_mut().zip(&mut state.buffers[0]) {
            for (u, b) in u.as_mut_slice().iter_mut().zip(b.as_mut_slice()) {
                *b = *u + mu * *b;
                *u = if self.nesterov { *u + mu * *b } else { *b };
            }
        }
        state.count += 1;
        Ok(())
    }
}
