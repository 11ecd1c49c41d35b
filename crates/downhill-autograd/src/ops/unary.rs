//! Elementwise mathematics.
//!
//! ```text
//! exp:    ∂x = g·eˣ              ln:    ∂x = g/x
//! sqrt:   ∂x = g/(2√x)           powi/powf: ∂x = g·p·x^{p−1}
//! abs:    ∂x = g·sign(x)         sign:  ∂x = 0
//! clamp:  ∂x = g where lo ≤ x ≤ hi, else 0 (as PyTorch)
//! maximum(a, b): g goes to the larger operand; on a tie each gets g/2 (as PyTorch)
//! ```

use downhill_tensor::{Element, Tensor, TensorError};

use crate::op::{Ctx, Op};
use crate::{Result, Tape, Var};

/// Which elementwise function a [`Op::Unary`] node applied.
#[derive(Debug, Clone, Copy)]
pub(crate) enum UnaryKind<E> {
    Exp,
    Ln,
    Sqrt,
    Powi(i32),
    Powf(E),
    Abs,
    Sign,
    Clamp(E, E),
}

impl<E: Element> Tape<E> {
    fn unary(&mut self, a: Var, name: &'static str, kind: UnaryKind<E>) -> Result<Var> {
        let i = self.check(a, name)?;
        let x = self.val(i);
        let v = match kind {
            UnaryKind::Exp => x.exp(),
            UnaryKind::Ln => x.ln(),
            UnaryKind::Sqrt => x.sqrt(),
            UnaryKind::Powi(n) => x.powi(n),
            UnaryKind::Powf(p) => x.powf(p),
            UnaryKind::Abs => x.abs(),
            UnaryKind::Sign => x.sign(),
            UnaryKind::Clamp(lo, hi) => x.clamp(lo, hi)?,
        };
        Ok(self.push_op(v, Op::Unary(i, kind), &[i]))
    }

    /// `eˣ`, elementwise.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn exp(&mut self, a: Var) -> Result<Var> {
        self.unary(a, "exp", UnaryKind::Exp)
    }

    /// Natural logarithm, elementwise.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn ln(&mut self, a: Var) -> Result<Var> {
        self.unary(a, "ln", UnaryKind::Ln)
    }

    /// Square root, elementwise.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn sqrt(&mut self, a: Var) -> Result<Var> {
        self.unary(a, "sqrt", UnaryKind::Sqrt)
    }

    /// `xⁿ` for an integer `n`, elementwise.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn powi(&mut self, a: Var, n: i32) -> Result<Var> {
        self.unary(a, "powi", UnaryKind::Powi(n))
    }

    /// `xᵖ` for a real `p`, elementwise.
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn powf(&mut self, a: Var, p: E) -> Result<Var> {
        self.unary(a, "powf", UnaryKind::Powf(p))
    }

    /// `|x|`, elementwise (subgradient 0 at 0, as PyTorch).
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn abs(&mut self, a: Var) -> Result<Var> {
        self.unary(a, "abs", UnaryKind::Abs)
    }

    /// The sign −1/0/+1, elementwise (gradient zero).
    ///
    /// # Errors
    /// A wrong-tape or stale handle.
    pub fn sign(&mut self, a: Var) -> Result<Var> {
        self.unary(a, "sign", UnaryKind::Sign)
    }

    /// Clamps into `[lo, hi]`, elementwise.
    ///
    /// # Errors
    /// `lo > hi`; a wrong-tape or stale handle.
    pub fn clamp(&mut self, a: Var, lo: E, hi: E) -> Result<Var> {
        self.unary(a, "clamp", UnaryKind::Clamp(lo, hi))
    }

    /// Elementwise maximum with broadcasting.
    ///
    /// # Errors
    /// Shapes that do not broadcast; a wrong-tape or stale handle.
    pub fn maximum(&mut self, a: Var, b: Var) -> Result<Var> {
        let (i, j) = (self.check(a, "maximum")?, self.check(b, "maximum")?);
        let v = self.val(i).maximum(self.val(j))?;
        Ok(self.push_op(v, Op::Maximum(i, j), &[i, j]))
    }
}

pub(crate) fn unary_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    out: usize,
    kind: &UnaryKind<E>,
    mut g: Tensor<E>,
) -> Result<()> {
    let x = ctx.val(a).as_slice();
    let y = ctx.val(out).as_slice();
    let gs = g.as_mut_slice();
    let zip = gs.iter_mut().zip(x.iter().zip(y));
    match *kind {
        UnaryKind::Exp => zip.for_each(|(g, (_, &y))| *g = *g * y),
        UnaryKind::Ln => zip.for_each(|(g, (&x, _))| *g = *g / x),
        UnaryKind::Sqrt => zip.for_each(|(g, (_, &y))| *g = *g / (E::two() * y)),
        // x⁰ is constant: its gradient is 0 everywhere, also at x = 0 where p·x^{p−1} = 0·∞.
        UnaryKind::Powi(0) => zip.for_each(|(g, _)| *g = E::zero()),
        UnaryKind::Powi(n) => {
            zip.for_each(|(g, (&x, _))| *g = *g * E::of(n as f64) * x.powi(n - 1))
        }
        UnaryKind::Powf(p) if p == E::zero() => zip.for_each(|(g, _)| *g = E::zero()),
        UnaryKind::Powf(p) => zip.for_each(|(g, (&x, _))| *g = *g * p * x.powf(p - E::one())),
        UnaryKind::Abs => zip.for_each(|(g, (&x, _))| *g = *g * sign(x)),
        UnaryKind::Sign => zip.for_each(|(g, _)| *g = E::zero()),
        UnaryKind::Clamp(lo, hi) => zip.for_each(|(g, (&x, _))| {
            if !(x >= lo && x <= hi) {
                *g = E::zero()
            }
        }),
    }
    ctx.acc(a, g)
}

fn sign<E: Element>(x: E) -> E {
    if x > E::zero() {
        E::one()
    } else if x < E::zero() {
        -E::one()
    } else {
        E::zero()
    }
}

pub(crate) fn maximum_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    a: usize,
    b: usize,
    g: Tensor<E>,
) -> Result<()> {
    let (av, bv) = (ctx.val(a), ctx.val(b));
    // Weight of operand a at each output position: 1 if larger, ½ on a tie, else 0.
    let wa = av.sub(bv)?.map(|d| {
        if d > E::zero() {
            E::one()
        } else if d == E::zero() {
            E::half()
        } else {
            E::zero()
        }
    });
    if wa.shape() != g.shape() {
        return Err(TensorError::ShapeMismatch {
            op: "maximum (backward)",
            lhs: wa.shape().to_vec(),
            rhs: g.shape().to_vec(),
            detail: String::new(),
        }
        .into());
    }
    if ctx.wants(b) {
        let gb = g.mul(&wa.map(|w| E::one() - w))?;
        ctx.acc_reduced(b, gb)?;
    }
    if ctx.wants(a) {
        let ga = g.mul(&wa)?;
        ctx.acc_reduced(a, ga)?;
    }
    Ok(())
}
