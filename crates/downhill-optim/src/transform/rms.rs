//! [`scale_by_rms`]: RMSprop's normalization.

use downhill_tensor::{Element, Tensor};

use crate::OptimError;
use crate::transform::{GradientTransformation, TransformState, check_state, zeros_like};

/// RMSprop's scaling (Hinton, lecture 6e), with ε outside the root as PyTorch has it.
///
/// ```text
/// v ← α·v + (1 − α)·u²;   u ← u / (√v + ε)
/// ```
///
/// optax's `scale_by_rms` puts ε inside the root by default; PyTorch's RMSprop does not.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByRms {
    /// α.
    pub decay: f64,
    /// ε.
    pub eps: f64,
    /// Initial value of v.
    pub initial_scale: f64,
}

/// RMSprop's scaling with decay α, ε and initial v.
pub fn scale_by_rms(decay: f64, eps: f64, initial_scale: f64) -> ScaleByRms {
    ScaleByRms {
        decay,
        eps,
        initial_scale,
    }
}

impl<E: Element> GradientTransformation<E> for ScaleByRms {
    fn init(&self, params: &[Tensor<E>]) -> TransformState<E> {
        TransformState {
            count: 0,
            buffers: vec![zeros_like(params, self.initial_scale)],
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
        let (a, w, eps) = (E::of(self.decay), E::of(1.0 - self.decay), E::of(self.eps));
        for (u, v) in updates.iter_mut().zip(&mut state.buffers[0]) {
            for (u, v) in u.as_mut_slice().iter_mut().zip(v.as_mut_slice()) {
                *v = *v * a + w * *u * *u;
                *u = *u / (v.sqrt() + eps);
            }
        }
        state.count += 1;
        Ok(())
    }
}
