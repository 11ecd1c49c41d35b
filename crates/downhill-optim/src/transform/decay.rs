//! [`add_decayed_weights`]: weight decay as a transformation.

use downhill_tensor::{Element, Tensor};

use crate::OptimError;
use crate::transform::{GradientTransformation, TransformState, check_shapes};

/// Adds `λ·x` to the updates: `u ← u + λ·x`. Before an adaptive scaling this is an L2
/// penalty (PyTorch's `weight_decay`); after it (just before the learning rate), decoupled
/// weight decay (AdamW, Loshchilov & Hutter 2019).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AddDecayedWeights {
    /// λ.
    pub weight_decay: f64,
}

/// `u ← u + weight_decay·x`.
pub fn add_decayed_weights(weight_decay: f64) -> AddDecayedWeights {
    AddDecayedWeights { weight_decay }
}

impl<E: Element> GradientTransformation<E> for AddDecayedWeights {
    fn init(&self, _params: &[Tensor<E>]) -> TransformState<E> {
        TransformState::default()
    }

    fn update(
        &self,
        updates: &mut [Tensor<E>],
        state: &mut TransformState<E>,
        params: &[Tensor<E>],
    ) -> Result<(), OptimError> {
        check_shapes(updates, params)?;
        let wd = E::of(self.weight_decay);
        for (u, p) in updates.iter_mut().zip(params) {
            u.as_mut_slice()
                .iter_mut()
                .zip(p.as_slice())
                .for_each(|(u, &x)| *u = *u + wd * x);
        }
        state.count += 1;
        Ok(())
    }
}
