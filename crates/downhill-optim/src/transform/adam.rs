//! [`scale_by_adam`]: Adam's normalized, bias-corrected first moment.

use downhill_tensor::{Element, Tensor};

use crate::OptimError;
use crate::transform::{GradientTransformation, TransformState, check_state, zeros_like};

/// Adam's scaling as optax's `scale_by_adam` (Kingma & Ba 2015).
///
/// ```text
/// m ← β₁·m + (1 − β₁)·u;   v ← β₂·v + (1 − β₂)·u²;   t ← t + 1
/// u ← (m/(1 − β₁ᵗ)) / (√(v/(1 − β₂ᵗ) + ε_root) + ε)
/// ```
///
/// `chain(scale_by_adam, scale(−lr))` is [`Adam`](crate::Adam) (equal up to rounding: PyTorch
/// computes `√v/√(1 − β₂ᵗ)`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByAdam {
    /// β₁.
    pub b1: f64,
    /// β₂.
    pub b2: f64,
    /// ε outside the root.
    pub eps: f64,
    /// ε inside the root.
    pub eps_root: f64,
}

/// Adam's scaling with the given betas and epsilons.
pub fn scale_by_adam(b1: f64, b2: f64, eps: f64, eps_root: f64) -> ScaleByAdam {
    ScaleByAdam {
        b1,
        b2,
        eps,
        eps_root,
    }
}

impl<E: Element> GradientTransformation<E> for ScaleByAdam {
    fn init(&self, params: &[Tensor<E>]) -> TransformState<E> {
        TransformState {
            count: 0,
            buffers: vec![zeros_like(params, 0.0), zeros_like(params, 0.0)],
            inner: vec![],
        }
    }

    fn update(
        &self,
        updates: &mut [Tensor<E>],
        state: &mut TransformState<E>,
        _: &[Tensor<E>],
    ) -> Result<(), OptimError> {
        check_state(updates, state, 2)?;
        state.count += 1;
        let t = state.count as f64;
        let (bc1, bc2) = (E::of(1.0 - self.b1.powf(t)), E::of(1.0 - self.b2.powf(t)));
        let (b1, w1, b2, w2) = (
            E::of(self.b1),
            E::of(1.0 - self.b1),
            E::of(self.b2),
            E::of(1.0 - self.b2),
        );
        let (eps, eps_root) = (E::of(self.eps), E::of(self.eps_root));
        let [ms, vs] = &mut state.buffers[..] else {
            unreachable!("checked")
        };
        for ((u, m), v) in updates.iter_mut().zip(ms.iter_mut()).zip(vs.iter_mut()) {
            let it = u
                .as_mut_slice()
                .iter_mut()
                .zip(m.as_mut_slice())
                .zip(v.as_mut_slice());
            for ((u, m), v) in it {
                *m = w1 * *u + b1 * *m;
                *v = w2 * *u * *u + b2 * *v;
                *u = (*m / bc1) / ((*v / bc2 + eps_root).sqrt() + eps);
            }
        }
        Ok(())
    }
}
