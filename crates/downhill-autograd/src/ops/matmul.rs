//! Matrix products and the fused linear layer.
//!
//! ```text
//! C = A·B:        ∂A = ∂C·Bᵀ,    ∂B = Aᵀ·∂C
//! y = x·Wᵀ + b:   ∂x = ∂y·W,     ∂W = ∂yᵀ·x,    ∂b = Σ_rows ∂y       (W stored [out, in])
//! ```
//! Transposed operands are read as strided views, and gradients that already exist are
//! accumulated into with `β = 1` in the GEMM, so no temporary is made for them.

use downhill_tensor::{Element, Tensor, TensorError, Transpose};

use crate::op::{Ctx, Op};
use crate::tape::node_value;
use crate::{Result, Tape, Var};

use Transpose::{No, Yes};

impl<E: Element> Tape<E> {
    /// The matrix product `a · b` of two 2-D values.
    ///
    /// # Errors
    /// Operands that are not 2-D or whose inner dimensions differ; a wrong-tape or stale handle.
    pub fn matmul(&mut self, a: Var, b: Var) -> Result<Var> {
        self.matmul_t(a, No, b, No)
    }

    /// The matrix product `op(a) · op(b)`, transposing an operand when asked (no copy).
    ///
    /// # Errors
    /// As [`Tape::matmul`].
    pub fn matmul_t(&mut self, a: Var, ta: Transpose, b: Var, tb: Transpose) -> Result<Var> {
        let (i, j) = (self.check(a, "matmul")?, self.check(b, "matmul")?);
        let v = self.val(i).matmul_t(ta, self.val(j), tb)?;
        Ok(self.push_op(v, Op::MatMul { a: i, ta, b: j, tb }, &[i, j]))
    }

    /// A linear layer `y = x·Wᵀ + b` with `x: [N, in]`, `W: [out, in]` (PyTorch's layout) and an
    /// optional bias `b: [out]`, as one fused operation.
    ///
    /// # Errors
    /// Shapes that do not fit (named in the message); a wrong-tape or stale handle.
    pub fn linear(&mut self, x: Var, w: Var, b: Option<Var>) -> Result<Var> {
        let (xi, wi) = (self.check(x, "linear")?, self.check(w, "linear")?);
        let bi = b.map(|b| self.check(b, "linear")).transpose()?;
        let (xs, ws) = (self.val(xi).shape(), self.val(wi).shape());
        if xs.len() != 2 || ws.len() != 2 || xs[1] != ws[1] {
            return Err(TensorError::ShapeMismatch {
                op: "linear",
                lhs: xs.to_vec(),
                rhs: ws.to_vec(),
                detail: ": expected an input [N, in] and a weight [out, in]".into(),
            }
            .into());
        }
        let (n, out) = (xs[0], ws[0]);
        if let Some(bi) = bi {
            let bias = self.val(bi);
            if !downhill_tensor::shapes_equal(bias.shape(), &[out]) {
                return Err(TensorError::ShapeMismatch {
                    op: "linear",
                    lhs: ws.to_vec(),
                    rhs: bias.shape().to_vec(),
                    detail: ": the bias must have shape [out] for a weight of shape [out, in]"
                        .into(),
                }
                .into());
            }
        }
        // The output buffer is recycled (stale values): `linear_into` overwrites all of it.
        let mut y = self.pool.take(&[n, out]);
        let (xv, wv) = (
            node_value(&self.nodes, &self.params, xi),
            node_value(&self.nodes, &self.params, wi),
        );
        let bias = bi.map(|bi| node_value(&self.nodes, &self.params, bi));
        if let Err(e) = y.linear_into(xv, wv, bias) {
            self.pool.put(y);
            return Err(e.into());
        }
        let parents = [xi, wi, bi.unwrap_or(xi)];
        Ok(self.push_op(
            y,
            Op::Linear {
                x: xi,
                w: wi,
                b: bi,
            },
            &parents,
        ))
    }
}

/// Accumulates `op(p)·op(q)` into node `i`'s gradient.
fn acc_product<E: Element>(
    ctx: &mut Ctx<'_, E>,
    i: usize,
    p: &Tensor<E>,
    tp: Transpose,
    q: &Tensor<E>,
    tq: Transpose,
) -> Result<()> {
    match &mut ctx.grads[i] {
        Some(existing) => existing.gemm(E::one(), p, tp, q, tq, E::one())?,
        slot @ None => {
            let (ps, qs) = (p.shape(), q.shape());
            if ps.len() != 2 || qs.len() != 2 {
                // Not matrices: let the product report it.
                *slot = Some(p.matmul_t(tp, q, tq)?);
                return Ok(());
            }
            let rows = if tp == No { ps[0] } else { ps[1] };
            let cols = if tq == No { qs[1] } else { qs[0] };
            // A recycled buffer, overwritten by the β = 0 product.
            let mut out = ctx.pool.take(&[rows, cols]);
            out.gemm(E::one(), p, tp, q, tq, E::zero())?;
            *slot = Some(out);
        }
    }
    Ok(())
}

pub(crate) fn matmul_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    ta: Transpose,
    b: usize,
    tb: Transpose,
    g: &Tensor<E>,
) -> Result<()> {
    let (av, bv) = (ctx.val(a), ctx.val(b));
    if ctx.wants(a) {
        match ta {
            No => acc_product(ctx, a, g, No, bv, flip(tb))?,
            Yes => acc_product(ctx, a, bv, tb, g, Yes)?,
        }
    }
    if ctx.wants(b) {
        match tb {
            No => acc_product(ctx, b, av, flip(ta), g, No)?,
            Yes => acc_product(ctx, b, g, Yes, av, ta)?,
        }
    }
    Ok(())
}

fn flip(t: Transpose) -> Transpose {
    match t {
        No => Yes,
        Yes => No,
    }
}

pub(crate) fn linear_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    x: usize,
    w: usize,
    b: Option<usize>,
    g: &Tensor<E>,
) -> Result<()> {
    let (xv, wv) = (ctx.val(x), ctx.val(w));
    if let Some(b) = b.filter(|&b| ctx.wants(b)) {
        // ∂b = Σ_rows ∂y into a recycled buffer, in row order.
        let mut gb = ctx.pool.take(ctx.val(b).shape());
        g.sum_rows_into(&mut gb)?;
        ctx.acc(b, gb)?;
    }
    if ctx.wants(w) {
        acc_product(ctx, w, g, Yes, xv, No)?;
    }
    if ctx.wants(x) {
        acc_product(ctx, x, g, No, wv, No)?;
    }
    Ok(())
}
