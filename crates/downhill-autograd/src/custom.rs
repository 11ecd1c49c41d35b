//! The extension point: operations that bring their own backward rule.

use downhill_tensor::{Element, Tensor};

use crate::op::{Ctx, Op};
use crate::{AutogradError, Result, Tape, Var};

/// An operation with a hand-written backward rule, recorded by [`Tape::custom`].
///
/// The caller computes the forward value itself (keeping whatever the backward rule needs inside
/// the op), then records it; backward receives the inputs' values, the output's value and the
/// output's gradient, and returns one gradient per input (`None` for inputs it does not
/// differentiate). Fused kernels such as batch normalization and dropout use this.
///
/// ```
/// use downhill_autograd::{CustomOp, Result, Tape};
/// use downhill_tensor::Tensor;
///
/// /// y = 3x, with its backward written by hand.
/// struct Triple;
/// impl CustomOp<f64> for Triple {
///     fn name(&self) -> &str { "triple" }
///     fn backward(&self, _inputs: &[&Tensor<f64>], _out: &Tensor<f64>, g: &Tensor<f64>)
///         -> Result<Vec<Option<Tensor<f64>>>> {
///         Ok(vec![Some(g.scale(3.0))])
///     }
/// }
///
/// let mut tape = Tape::<f64>::new();
/// let x = tape.input(Tensor::from_vec(&[2], vec![1.0, 2.0]).unwrap());
/// let y_value = tape.value(x).unwrap().scale(3.0);
/// let y = tape.custom(&[x], y_value, Box::new(Triple)).unwrap();
/// let s = tape.sum(y).unwrap();
/// tape.backward(s).unwrap();
/// assert_eq!(tape.grad(x).unwrap().unwrap().as_slice(), &[3.0, 3.0]);
/// ```
pub trait CustomOp<E: Element>: Send + Sync {
    /// A short name for error messages.
    fn name(&self) -> &str;

    /// Gradients with respect to each input, given the output's gradient `grad_output`.
    ///
    /// # Errors
    /// Whatever the op finds wrong; the error stops the backward pass.
    fn backward(
        &self,
        inputs: &[&Tensor<E>],
        output: &Tensor<E>,
        grad_output: &Tensor<E>,
    ) -> Result<Vec<Option<Tensor<E>>>>;
}

impl<E: Element> Tape<E> {
    /// Records `output`, computed by the caller from `inputs`, with `op`'s backward rule.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn custom(
        &mut self,
        inputs: &[Var],
        output: Tensor<E>,
        op: Box<dyn CustomOp<E>>,
    ) -> Result<Var> {
        let idx = inputs
            .iter()
            .map(|&v| self.check(v, "custom"))
            .collect::<Result<Vec<_>>>()?;
        Ok(self.push_op(
            output,
            Op::Custom {
                inputs: idx.clone(),
                op,
            },
            &idx,
        ))
    }
}

pub(crate) fn custom_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    inputs: &[usize],
    out: usize,
    op: &dyn CustomOp<E>,
    g: Tensor<E>,
) -> Result<()> {
    let values: Vec<&Tensor<E>> = inputs.iter().map(|&i| ctx.val(i)).collect();
    let grads = op.backward(&values, ctx.val(out), &g)?;
    if grads.len() != inputs.len() {
        return Err(AutogradError::Custom {
            op: op.name().to_string(),
            message: format!(
                "backward returned {} gradients for {} inputs",
                grads.len(),
                inputs.len()
            ),
        });
    }
    for (&i, gi) in inputs.iter().zip(grads) {
        let Some(gi) = gi else { continue };
        if gi.shape() != ctx.val(i).shape() {
            return Err(AutogradError::GradShape {
                op: op.name().to_string(),
                grad: gi.shape().to_vec(),
                value: ctx.val(i).shape().to_vec(),
            });
        }
        if ctx.wants(i) {
            ctx.acc(i, gi)?;
        }
    }
    Ok(())
}
