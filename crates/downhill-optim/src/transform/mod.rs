//! Gradient transformations with explicit state, optax-style.
//!
//! A transformation maps the updates (initially the gradients) of a list of parameters to new
//! updates, given its state and, if it needs them, the parameters. Transformations compose
//! with [`chain`](crate::chain); [`apply_updates`](crate::apply_updates) adds the final updates
//! to the parameters. The named optimizers are equal to such chains (tested for Adam) but run
//! fused kernels instead.
//!
//! ```
//! use downhill_optim::{apply_updates, chain, scale, scale_by_adam, GradientTransformation};
//! use downhill_tensor::Tensor;
//!
//! // Adam with lr = 0.1, as a chain.
//! let adam = chain::<f64>(vec![Box::new(scale_by_adam(0.9, 0.999, 1e-8, 0.0)), Box::new(scale(-0.1))]);
//! let mut params = vec![Tensor::<f64>::from_vec(&[2], vec![1.0, -1.0]).unwrap()];
//! let mut state = adam.init(&params);
//! let mut updates = vec![params[0].clone()]; // ∇ ½‖x‖² = x
//! adam.update(&mut updates, &mut state, &params).unwrap();
//! apply_updates(&mut params, &updates).unwrap();
//! assert!((params[0].as_slice()[0] - 0.9).abs() < 1e-6); // first Adam step: lr·sign(g)
//! ```

pub(crate) mod adagrad;
pub(crate) mod adam;
pub(crate) mod chain;
pub(crate) mod clip;
pub(crate) mod decay;
pub(crate) mod momentum;
pub(crate) mod rms;
pub(crate) mod scale;
pub(crate) mod trust_ratio;

use downhill_tensor::{Element, Tensor};
use serde::{Deserialize, Serialize};

use crate::OptimError;

/// The state of any transformation: a step count, per-parameter buffers and, for
/// [`Chain`](crate::Chain), the states of its parts. Serializable and comparable.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub struct TransformState<E: Element> {
    /// Number of updates so far (for bias corrections and schedules).
    pub count: u64,
    /// `buffers[k][i]`: buffer `k` (e.g. first moment) of parameter `i`.
    pub buffers: Vec<Vec<Tensor<E>>>,
    /// The states of a chain's parts.
    pub inner: Vec<TransformState<E>>,
}

/// A gradient transformation: `init` builds the state, `update` transforms updates in place.
pub trait GradientTransformation<E: Element>: Send + Sync {
    /// The initial state for these parameters.
    fn init(&self, params: &[Tensor<E>]) -> TransformState<E>;

    /// Transforms `updates` (one per parameter) in place and advances `state`.
    ///
    /// # Errors
    /// Counts or shapes of updates, parameters and state that do not fit.
    fn update(
        &self,
        updates: &mut [Tensor<E>],
        state: &mut TransformState<E>,
        params: &[Tensor<E>],
    ) -> Result<(), OptimError>;
}

/// Zero buffers shaped like `params`.
pub(crate) fn zeros_like<E: Element>(params: &[Tensor<E>], fill: f64) -> Vec<Tensor<E>> {
    params
        .iter()
        .map(|p| Tensor::full(p.shape(), E::of(fill)))
        .collect()
}

/// Checks that `updates` and `others` (parameters or buffers) agree in count and shapes.
pub(crate) fn check_shapes<E: Element>(
    updates: &[Tensor<E>],
    others: &[Tensor<E>],
) -> Result<(), OptimError> {
    if updates.len() != others.len() {
        return Err(OptimError::ParamCountChanged {
            before: others.len(),
            now: updates.len(),
        });
    }
    for (index, (u, o)) in updates.iter().zip(others).enumerate() {
        if u.shape() != o.shape() {
            return Err(OptimError::GradShape {
                index,
                param: o.shape().to_vec(),
                grad: u.shape().to_vec(),
            });
        }
    }
    Ok(())
}

/// Checks every buffer list of `state` against `updates`.
pub(crate) fn check_state<E: Element>(
    updates: &[Tensor<E>],
    state: &TransformState<E>,
    n: usize,
) -> Result<(), OptimError> {
    if state.buffers.len() != n {
        return Err(OptimError::BadState(format!(
            "expected {n} buffer lists, found {}",
            state.buffers.len()
        )));
    }
    state
        .buffers
        .iter()
        .try_for_each(|b| check_shapes(updates, b))
}
