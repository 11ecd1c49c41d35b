//! The [`Optimizer`] trait and the parameter handle it steps.

use downhill_tensor::{Element, Tensor};

use crate::{OptimError, StateDict};

/// One parameter handed to an optimizer step: its value, its gradient (if it has one this
/// step) and the index of its parameter group.
#[derive(Debug)]
pub struct ParamMut<'a, E: Element> {
    /// The parameter, updated in place.
    pub value: &'a mut Tensor<E>,
    /// Its gradient; `None` leaves the parameter and its state untouched this step.
    pub grad: Option<&'a Tensor<E>>,
    /// Its parameter group (0 = the optimizer's defaults).
    pub group: usize,
}

impl<'a, E: Element> ParamMut<'a, E> {
    /// A parameter of group 0 with a gradient.
    pub fn new(value: &'a mut Tensor<E>, grad: &'a Tensor<E>) -> Self {
        Self {
            value,
            grad: Some(grad),
            group: 0,
        }
    }
}

/// A first-order optimizer: updates parameters from their gradients.
///
/// Parameter `i` is identified by its position in the slice passed to [`Optimizer::step`];
/// the count and shapes are fixed by the first step, and a change is an error.
pub trait Optimizer<E: Element>: Send {
    /// Updates every parameter that has a gradient; parameters with `grad: None` are left
    /// untouched (their state too).
    ///
    /// # Errors
    /// A gradient shape differing from its parameter's, a changed parameter count or shape, or
    /// a group that does not exist. Nothing is modified when an error is returned.
    fn step(&mut self, params: &mut [ParamMut<'_, E>]) -> Result<(), OptimError>;

    /// The number of parameter groups.
    fn num_groups(&self) -> usize;

    /// The learning rate of `group` (NaN if the group does not exist).
    fn lr(&self, group: usize) -> f64;

    /// Sets the learning rate of `group`.
    ///
    /// # Errors
    /// A negative or non-finite rate, or a group that does not exist.
    fn set_lr(&mut self, group: usize, lr: f64) -> Result<(), OptimError>;

    /// Momentum (SGD, RMSprop) or beta1 (Adam family, Lion, LAMB) of `group`, for OneCycleLR's
    /// momentum cycling; `None` if the optimizer has none.
    fn momentum(&self, group: usize) -> Option<f64>;

    /// Sets momentum or beta1 of `group`.
    ///
    /// # Errors
    /// The optimizer has no momentum, the value is outside its range, or no such group.
    fn set_momentum(&mut self, group: usize, m: f64) -> Result<(), OptimError>;

    /// The whole state: buffers, step counts and current group hyperparameters.
    fn state_dict(&self) -> StateDict<E>;

    /// Restores a state saved by [`Optimizer::state_dict`] of the same kind of optimizer.
    ///
    /// # Errors
    /// [`OptimError::BadState`] when names or shapes do not fit; the optimizer is unchanged then.
    fn load_state_dict(&mut self, s: &StateDict<E>) -> Result<(), OptimError>;

    /// The optimizer's name as [`by_name`](crate::by_name) spells it.
    fn name(&self) -> &'static str;

    /// Tells the optimizer the loss at the current parameters: the loss whose gradients the
    /// next [`Optimizer::step`] receives. Every optimizer of this crate ignores it (the
    /// default does nothing); an optimizer whose rule uses the loss (the learned optimizer's
    /// loss shrink, in `downhill-l2o`) keeps what it needs. Training loops that know the loss
    /// call it once before every step (downhill's trainer does, with the minibatch loss
    /// including any penalty); not calling it is never an error.
    ///
    /// # Errors
    /// None by default; an optimizer that uses the loss may reject a non-finite value, and is
    /// then unchanged.
    fn observe_loss(&mut self, loss: f64) -> Result<(), OptimError> {
        let _ = loss;
        Ok(())
    }

    /// Convenience for plain tensors: steps `params[i]` with `grads[i]`, all in group 0.
    ///
    /// # Errors
    /// As [`Optimizer::step`], and when the two slices differ in length.
    fn step_tensors(
        &mut self,
        params: &mut [Tensor<E>],
        grads: &[Tensor<E>],
    ) -> Result<(), OptimError> {
        if params.len() != grads.len() {
            return Err(OptimError::ParamCountChanged {
                before: params.len(),
                now: grads.len(),
            });
        }
        let mut handles: Vec<ParamMut<'_, E>> = params
            .iter_mut()
            .zip(grads)
            .map(|(value, g)| ParamMut::new(value, g))
            .collect();
        self.step(&mut handles)
    }
}
