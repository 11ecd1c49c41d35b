//! The [`Task`] trait: an optimization problem an optimizer can be unrolled on.

use downhill_optim::Optimizer;
use downhill_tensor::Tensor;

use crate::error::Result;

/// An optimization problem: initial parameters and a deterministic loss with its gradient.
///
/// Tasks are in `f64` so that meta-training and evaluation are reproducible and precise; the
/// optimizers stepping them are the same code as in `f32` training.
pub trait Task: Send + Sync {
    /// A short name, e.g. `"quadratic(d=23, κ=412)"`.
    fn name(&self) -> String;

    /// The initial parameters (the same on every call).
    fn init(&self) -> Vec<Tensor<f64>>;

    /// The loss at `params` and its gradient with respect to each parameter.
    ///
    /// # Errors
    /// Parameters of the wrong number or shapes.
    fn loss_and_grad(&self, params: &[Tensor<f64>]) -> Result<(f64, Vec<Tensor<f64>>)>;
}

/// Runs `steps` steps of `opt` on `task` from its initial parameters and returns the loss
/// before each step and after the last (`steps + 1` values).
///
/// The optimizer is told each loss before the step it precedes
/// ([`Optimizer::observe_loss`]), as downhill's trainer does. A non-finite loss ends the run early: it and every later entry are `NaN`, so a diverged
/// run is visible in the curve rather than hidden.
///
/// # Errors
/// From the task or the optimizer.
pub fn unroll(task: &dyn Task, opt: &mut dyn Optimizer<f64>, steps: usize) -> Result<Vec<f64>> {
    let mut params = task.init();
    let mut losses = Vec::with_capacity(steps + 1);
    for t in 0..=steps {
        let (loss, grads) = task.loss_and_grad(&params)?;
        if !loss.is_finite() || grads.iter().any(|g| !g.all_finite()) {
            losses.resize(steps + 1, f64::NAN);
            break;
        }
        losses.push(loss);
        if t < steps {
            opt.observe_loss(loss)?;
            opt.step_tensors(&mut params, &grads)?;
        }
    }
    Ok(losses)
}
