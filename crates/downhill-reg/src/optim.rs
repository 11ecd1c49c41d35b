//! [`PenaltyTransform`] as a `downhill-optim` gradient transformation, to `chain` with others.

use downhill_optim::{GradientTransformation, OptimError, TransformState};
use downhill_tensor::{Element, Tensor};

use crate::{PenaltyTransform, RegError};

/// The penalty as an optax-style transformation: `u ← u + ∇R(x)` for the selected parameters.
/// It keeps no state beyond the step count.
///
/// Chained *before* an adaptive scaling it is an L2 (or L1, elastic-net) penalty that the
/// scaling then rescales per coordinate; `add_decayed_weights` chained *after* the scaling is
/// decoupled weight decay (AdamW). The tests in `tests/weight_decay.rs`
/// compare the two.
///
/// ```
/// use downhill_optim::{apply_updates, chain, scale, scale_by_adam, GradientTransformation};
/// use downhill_reg::{Penalty, PenaltyTransform};
/// use downhill_tensor::Tensor;
///
/// // Adam on a loss with an L2 penalty: PyTorch's Adam(weight_decay = 2λ).
/// let opt = chain::<f64>(vec![
///     Box::new(PenaltyTransform::new(Penalty::l2(0.05).unwrap())),
///     Box::new(scale_by_adam(0.9, 0.999, 1e-8, 0.0)),
///     Box::new(scale(-0.1)),
/// ]);
/// let mut params = vec![Tensor::<f64>::full(&[2], 1.0)];
/// let mut state = opt.init(&params);
/// let mut updates = vec![Tensor::zeros(&[2])]; // no data gradient: only the penalty pulls
/// opt.update(&mut updates, &mut state, &params).unwrap();
/// apply_updates(&mut params, &updates).unwrap();
/// assert!((params[0].as_slice()[0] - 0.9).abs() < 1e-6);
/// ```
impl<E: Element> GradientTransformation<E> for PenaltyTransform {
    fn init(&self, _params: &[Tensor<E>]) -> TransformState<E> {
        TransformState::default()
    }

    fn update(
        &self,
        updates: &mut [Tensor<E>],
        state: &mut TransformState<E>,
        params: &[Tensor<E>],
    ) -> Result<(), OptimError> {
        check_fit(self, updates, params)?;
        let p: Vec<&Tensor<E>> = params.iter().collect();
        let mut u: Vec<&mut Tensor<E>> = updates.iter_mut().collect();
        self.apply_to_grads(&p, &mut u).map_err(to_optim)?;
        state.count += 1;
        Ok(())
    }
}

/// Counts and shapes, reported with `downhill-optim`'s own error variants.
fn check_fit<E: Element>(
    t: &PenaltyTransform,
    updates: &[Tensor<E>],
    params: &[Tensor<E>],
) -> Result<(), OptimError> {
    let expected = t.mask.as_ref().map_or(params.len(), Vec::len);
    for now in [params.len(), updates.len()] {
        if now != expected {
            return Err(OptimError::ParamCountChanged {
                before: expected,
                now,
            });
        }
    }
    for (index, (u, p)) in updates.iter().zip(params).enumerate() {
        if u.shape() != p.shape() {
            return Err(OptimError::GradShape {
                index,
                param: p.shape().to_vec(),
                grad: u.shape().to_vec(),
            });
        }
    }
    Ok(())
}

/// The remaining failures: a bad strength, or a NaN parameter (which `downhill-optim` has no
/// variant for, so it is reported as a state problem naming the parameter).
fn to_optim(e: RegError) -> OptimError {
    match e {
        RegError::InvalidHyperparameter {
            name,
            value,
            reason,
            ..
        } => OptimError::InvalidHyperparameter {
            optimizer: "penalty",
            name,
            value: value.parse().unwrap_or(f64::NAN),
            reason,
        },
        other => OptimError::BadState(format!("penalty: {other}")),
    }
}
