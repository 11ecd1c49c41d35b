//! Reductions: sum and mean (of everything or over axes) and max over axes.
//!
//! ```text
//! s = Σ x:            ∂x = g (broadcast back)
//! m = mean x:         ∂x = g / count
//! M = max_axes x:     ∂x = g / k at the k positions that attain the max, else 0
//!                         (PyTorch's amax rule: ties share the gradient evenly)
//! ```

use downhill_tensor::ndarray::IxDyn;
use downhill_tensor::{Element, Tensor, reduced_shape};

use crate::op::{Ctx, Op};
use crate::{Result, Tape, Var};

impl<E: Element> Tape<E> {
    /// The sum of all elements, as a 0-dimensional value.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn sum(&mut self, a: Var) -> Result<Var> {
        let i = self.check(a, "sum")?;
        let v = Tensor::scalar(self.val(i).sum());
        Ok(self.push_op(v, Op::Sum(i), &[i]))
    }

    /// The mean of all elements, as a 0-dimensional value.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn mean(&mut self, a: Var) -> Result<Var> {
        let i = self.check(a, "mean")?;
        let v = Tensor::scalar(self.val(i).mean());
        Ok(self.push_op(v, Op::Mean(i), &[i]))
    }

    /// Sums over `axes`, keeping them with length 1 when `keepdims`.
    ///
    /// # Errors
    /// An axis out of range; a wrong-tape or stale handle.
    pub fn sum_axes(&mut self, a: Var, axes: &[usize], keepdims: bool) -> Result<Var> {
        let i = self.check(a, "sum_axes")?;
        let v = self.val(i).sum_axes(axes, keepdims)?;
        Ok(self.push_op(
            v,
            Op::SumAxes {
                x: i,
                axes: sorted(axes),
                mean: false,
            },
            &[i],
        ))
    }

    /// Means over `axes`, keeping them with length 1 when `keepdims`.
    ///
    /// # Errors
    /// An axis out of range; a wrong-tape or stale handle.
    pub fn mean_axes(&mut self, a: Var, axes: &[usize], keepdims: bool) -> Result<Var> {
        let i = self.check(a, "mean_axes")?;
        let v = self.val(i).mean_axes(axes, keepdims)?;
        Ok(self.push_op(
            v,
            Op::SumAxes {
                x: i,
                axes: sorted(axes),
                mean: true,
            },
            &[i],
        ))
    }

    /// Maxima over `axes`, keeping them with length 1 when `keepdims`.
    ///
    /// # Errors
    /// An axis out of range or empty; a wrong-tape or stale handle.
    pub fn max_axes(&mut self, a: Var, axes: &[usize], keepdims: bool) -> Result<Var> {
        let i = self.check(a, "max_axes")?;
        let v = self.val(i).max_axes(axes, keepdims)?;
        Ok(self.push_op(
            v,
            Op::MaxAxes {
                x: i,
                axes: sorted(axes),
            },
            &[i],
        ))
    }
}

fn sorted(axes: &[usize]) -> Vec<usize> {
    let mut v = axes.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

/// `g` (of the reduced shape) broadcast back to `shape`.
fn expand<E: Element>(g: &Tensor<E>, shape: &[usize], axes: &[usize]) -> Result<Tensor<E>> {
    let kept = g.reshaped(&reduced_shape(shape, axes, true))?;
    let b = kept
        .array()
        .broadcast(IxDyn(shape))
        .expect("keepdims shape broadcasts");
    Ok(Tensor::from_view(b))
}

pub(crate) fn sum_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    g: Tensor<E>,
    mean: bool,
) -> Result<()> {
    let x = ctx.val(a);
    let mut gv = g.item()?;
    if mean {
        gv = gv / E::of_usize(x.len());
    }
    ctx.acc(a, Tensor::full(x.shape(), gv))
}

pub(crate) fn sum_axes_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    axes: &[usize],
    mean: bool,
    g: Tensor<E>,
) -> Result<()> {
    let shape = ctx.val(a).shape();
    let mut gx = expand(&g, shape, axes)?;
    if mean {
        let count: usize = axes.iter().map(|&ax| shape[ax]).product();
        gx.scale_inplace(E::one() / E::of_usize(count));
    }
    ctx.acc(a, gx)
}

pub(crate) fn max_axes_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    out: usize,
    axes: &[usize],
    g: Tensor<E>,
) -> Result<()> {
    let x = ctx.val(a);
    let m = expand(ctx.val(out), x.shape(), axes)?;
    let mut mask = x.map(|_| E::zero());
    mask.as_mut_slice()
        .iter_mut()
        .zip(x.as_slice().iter().zip(m.as_slice()))
        .for_each(|(k, (&xv, &mv))| {
            if xv == mv {
                *k = E::one()
            }
        });
    let counts = expand(&mask.sum_axes(axes, false)?, x.shape(), axes)?;
    let gx = expand(&g, x.shape(), axes)?.mul(&mask)?.div(&counts)?;
    ctx.acc(a, gx)
}
