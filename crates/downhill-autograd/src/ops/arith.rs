//! Broadcasting arithmetic: `+ − × ÷`, negation, scaling.
//!
//! ```text
//! z = a + b:  ∂a = Σ_bcast g,        ∂b = Σ_bcast g
//! z = a − b:  ∂a = Σ_bcast g,        ∂b = −Σ_bcast g
//! z = a · b:  ∂a = Σ_bcast g·b,      ∂b = Σ_bcast g·a
//! z = a / b:  ∂a = Σ_bcast g/b,      ∂b = −Σ_bcast g·a/b²
//! ```
//! where `Σ_bcast` sums over the axes along which the operand was broadcast
//! ([`Tensor::sum_to_shape`]).

use downhill_tensor::{Element, Tensor};

use crate::op::{Ctx, Op};
use crate::{Result, Tape, Var};

impl<E: Element> Tape<E> {
    /// `a + b` with NumPy broadcasting.
    ///
    /// # Errors
    /// Shapes that do not broadcast; a wrong-tape or stale handle.
    pub fn add(&mut self, a: Var, b: Var) -> Result<Var> {
        let (i, j) = (self.check(a, "add")?, self.check(b, "add")?);
        let v = self.val(i).add(self.val(j))?;
        Ok(self.push_op(v, Op::Add(i, j), &[i, j]))
    }

    /// `a − b` with NumPy broadcasting.
    ///
    /// # Errors
    /// Shapes that do not broadcast; a wrong-tape or stale handle.
    pub fn sub(&mut self, a: Var, b: Var) -> Result<Var> {
        let (i, j) = (self.check(a, "sub")?, self.check(b, "sub")?);
        let v = self.val(i).sub(self.val(j))?;
        Ok(self.push_op(v, Op::Sub(i, j), &[i, j]))
    }

    /// `a · b` elementwise, with NumPy broadcasting.
    ///
    /// # Errors
    /// Shapes that do not broadcast; a wrong-tape or stale handle.
    pub fn mul(&mut self, a: Var, b: Var) -> Result<Var> {
        let (i, j) = (self.check(a, "mul")?, self.check(b, "mul")?);
        let v = self.val(i).mul(self.val(j))?;
        Ok(self.push_op(v, Op::Mul(i, j), &[i, j]))
    }

    /// `a / b` elementwise, with NumPy broadcasting.
    ///
    /// # Errors
    /// Shapes that do not broadcast; a wrong-tape or stale handle.
    pub fn div(&mut self, a: Var, b: Var) -> Result<Var> {
        let (i, j) = (self.check(a, "div")?, self.check(b, "div")?);
        let v = self.val(i).div(self.val(j))?;
        Ok(self.push_op(v, Op::Div(i, j), &[i, j]))
    }

    /// `−a`.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn neg(&mut self, a: Var) -> Result<Var> {
        let i = self.check(a, "neg")?;
        let v = self.val(i).neg();
        Ok(self.push_op(v, Op::Neg(i), &[i]))
    }

    /// `c · a` for a constant scalar `c`.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn scale(&mut self, a: Var, c: E) -> Result<Var> {
        let i = self.check(a, "scale")?;
        let v = self.val(i).scale(c);
        Ok(self.push_op(v, Op::Scale(i, c), &[i]))
    }

    /// `a + c` for a constant scalar `c`.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn add_scalar(&mut self, a: Var, c: E) -> Result<Var> {
        let i = self.check(a, "add_scalar")?;
        let v = self.val(i).add_scalar(c);
        Ok(self.push_op(v, Op::AddScalar(i), &[i]))
    }
}

pub(crate) fn add_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    b: usize,
    g: Tensor<E>,
) -> Result<()> {
    if ctx.wants(b) {
        ctx.acc_reduced(b, g.clone())?;
    }
    if ctx.wants(a) {
        ctx.acc_reduced(a, g)?;
    }
    Ok(())
}

pub(crate) fn sub_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    b: usize,
    g: Tensor<E>,
) -> Result<()> {
    if ctx.wants(b) {
        ctx.acc_reduced(b, g.neg())?;
    }
    if ctx.wants(a) {
        ctx.acc_reduced(a, g)?;
    }
    Ok(())
}

pub(crate) fn mul_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    b: usize,
    g: Tensor<E>,
) -> Result<()> {
    if ctx.wants(a) {
        let ga = g.mul(ctx.val(b))?;
        ctx.acc_reduced(a, ga)?;
    }
    if ctx.wants(b) {
        let gb = g.mul(ctx.val(a))?;
        ctx.acc_reduced(b, gb)?;
    }
    Ok(())
}

pub(crate) fn div_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    b: usize,
    g: Tensor<E>,
) -> Result<()> {
    let gq = g.div(ctx.val(b))?; // g / b
    if ctx.wants(b) {
        // −g·a/b² = −(g/b)·(a/b)
        let gb = gq.mul(&ctx.val(a).div(ctx.val(b))?)?.neg();
        ctx.acc_reduced(b, gb)?;
    }
    if ctx.wants(a) {
        ctx.acc_reduced(a, gq)?;
    }
    Ok(())
}

pub(crate) fn neg_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    mut g: Tensor<E>,
) -> Result<()> {
    g.neg_inplace();
    ctx.acc(a, g)
}

pub(crate) fn scale_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    c: E,
    mut g: Tensor<E>,
) -> Result<()> {
    g.scale_inplace(c);
    ctx.acc(a, g)
}
