//! [`scale_by_adagrad`]: Adagrad's normalization.

use downhill_tensor::{Element, Tensor};

use crate::OptimError;
use crate::transform::{GradientTransformation, TransformState, check_state, zeros_like};

/// Adagrad's scaling (Duchi, Hazan & Singer 2011), with ε outside the root as PyTorch has it.
///
/// ```text
/// s ← s + u²;   u ← u / (√s + ε)
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByAdagrad {
    /// Initial value of s.
    pub initial_accumulator_value: f64,
    /// ε.
    pub eps: f64,
}

/// Adagrad's scaling with initial accumulator and ε.
pub fn scale_by_adagrad(initial_accumulator_value: f64, eps: f64) -> ScaleByAdagrad {
    ScaleByAdagrad {
        initial_accumulator_value,
        eps,
    }
}

impl<E: Element> GradientTransformation<E> for ScaleByAdagrad {
    fn init(&self, params: &[Tensor<E>]) -> TransformState<E> {
        TransformState {
            count: 0,
            buffers: vec![zeros_like(params, self.initial_accumulator_value)],
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
        let eps = E::of(self.eps);
        for (u, s) in updates.iter_mut().zip(&mut state.buffers[0]) {
            for (u, s) in u.as_mut_slice().iter_mut().zip(s.as_mut_slice()) {
                *s = *s + *u * *u;
                *u = *u / (s.sqrt() + eps);
            }
        }
        state.count += 1;
        Ok(())
    }
}
