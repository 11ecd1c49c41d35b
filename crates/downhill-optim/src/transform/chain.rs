//! [`chain`]: composing transformations, and [`apply_updates`].

use downhill_tensor::{Element, Tensor};

use crate::OptimError;
use crate::transform::{GradientTransformation, TransformState, check_shapes};

/// Transformations applied one after another; its state holds each part's state in `inner`.
pub struct Chain<E: Element> {
    parts: Vec<Box<dyn GradientTransformation<E>>>,
}

/// Composes transformations: `chain(vec![a, b])` applies `a`, then `b` (optax's `chain`).
pub fn chain<E: Element>(parts: Vec<Box<dyn GradientTransformation<E>>>) -> Chain<E> {
    Chain { parts }
}

impl<E: Element> GradientTransformation<E> for Chain<E> {
    fn init(&self, params: &[Tensor<E>]) -> TransformState<E> {
        let inner = self.parts.iter().map(|p| p.init(params)).collect();
        TransformState {
            count: 0,
            buffers: vec![],
            inner,
        }
    }

    fn update(
        &self,
        updates: &mut [Tensor<E>],
        state: &mut TransformState<E>,
        params: &[Tensor<E>],
    ) -> Result<(), OptimError> {
        if state.inner.len() != self.parts.len() {
            return Err(OptimError::BadState(format!(
                "chain of {} parts, state of {}",
                self.parts.len(),
                state.inner.len()
            )));
        }
        for (part, s) in self.parts.iter().zip(&mut state.inner) {
            part.update(updates, s, params)?;
        }
        state.count += 1;
        Ok(())
    }
}

/// Adds the updates to the parameters: `x ← x + u` (optax's `apply_updates`).
///
/// # Errors
/// Counts or shapes that differ.
pub fn apply_updates<E: Element>(
    params: &mut [Tensor<E>],
    updates: &[Tensor<E>],
) -> Result<(), OptimError> {
    check_shapes(updates, params)?;
    for (p, u) in params.iter_mut().zip(updates) {
        p.as_mut_slice()
            .iter_mut()
            .zip(u.as_slice())
            .for_each(|(x, &u)| *x = *x + u);
    }
    Ok(())
}
