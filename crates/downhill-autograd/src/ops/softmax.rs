//! Softmax and log-softmax along an axis.
//!
//! ```text
//! y = softmax(x):      ∂x = y ⊙ (g − Σ_axis g ⊙ y)
//! y = log_softmax(x):  ∂x = g − eʸ ⊙ Σ_axis g
//! ```

use downhill_tensor::{Element, Tensor};

use crate::op::{Ctx, Op};
use crate::{Result, Tape, Var};

impl<E: Element> Tape<E> {
    /// Softmax along `axis`, stable for any finite logits.
    ///
    /// # Errors
    /// An axis out of range; a wrong-tape or stale handle.
    pub fn softmax(&mut self, a: Var, axis: usize) -> Result<Var> {
        let i = self.check(a, "softmax")?;
        let v = self.val(i).softmax(axis)?;
        Ok(self.push_op(v, Op::Softmax { x: i, axis }, &[i]))
    }

    /// Log-softmax along `axis`, exact for logits of ±1000.
    ///
    /// # Errors
    /// An axis out of range; a wrong-tape or stale handle.
    pub fn log_softmax(&mut self, a: Var, axis: usize) -> Result<Var> {
        let i = self.check(a, "log_softmax")?;
        let v = self.val(i).log_softmax(axis)?;
        Ok(self.push_op(v, Op::LogSoftmax { x: i, axis }, &[i]))
    }
}

pub(crate) fn softmax_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    out: usize,
    axis: usize,
    g: Tensor<E>,
) -> Result<()> {
    let y = ctx.val(out);
    let gy = g.mul(y)?;
    let s = gy.sum_axes(&[axis], true)?;
    let gx = g.sub(&s)?.mul(y)?;
    ctx.acc(a, gx)
}

pub(crate) fn log_softmax_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    out: usize,
    axis: usize,
    g: Tensor<E>,
) -> Result<()> {
    let p = ctx.val(out).exp();
    let s = g.sum_axes(&[axis], true)?;
    let gx = g.sub(&p.mul(&s)?)?;
    ctx.acc(a, gx)
}
