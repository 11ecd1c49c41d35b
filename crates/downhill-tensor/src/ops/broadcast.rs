//! Elementwise binary operations with NumPy broadcasting, and the reduction that undoes a broadcast.

use super::fast_f32;
use ndarray::{ArrayD, Axis, IxDyn, Zip};

use crate::{Element, Result, Tensor, TensorError};

/// The shape two operands broadcast to under NumPy's rules: align trailing axes; each pair of
/// lengths must be equal or contain a 1.
///
/// # Errors
/// [`TensorError::ShapeMismatch`] naming `op` when the shapes are incompatible.
///
/// ```
/// use downhill_tensor::broadcast_shape;
/// assert_eq!(broadcast_shape("add", &[4, 1, 3], &[5, 1]).unwrap(), vec![4, 5, 3]);
/// assert!(broadcast_shape("add", &[2, 3], &[4]).is_err());
/// ```
pub fn broadcast_shape(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => {
                return Err(TensorError::mismatch(
                    op,
                    a,
                    b,
                    &format!("axis {i} of the broadcast has lengths {da} and {db}"),
                ));
            }
        };
    }
    Ok(out)
}

/// The four arithmetic operations, for kernels that share one broadcasting loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Maximum,
    Minimum,
}

impl BinaryOp {
    fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
        }
    }

    #[inline(always)]
    fn apply<E: Element>(self, x: E, y: E) -> E {
        match self {
            BinaryOp::Add => x + y,
            BinaryOp::Sub => x - y,
            BinaryOp::Mul => x * y,
            BinaryOp::Div => x / y,
            BinaryOp::Maximum => x.max(y),
            BinaryOp::Minimum => x.min(y),
        }
    }
}

macro_rules! same_shape_loop {
    ($op:expr, $out:expr, $a:expr, $b:expr) => {
        match $op {
            BinaryOp::Add => $out
                .iter_mut()
                .zip($a)
                .zip($b)
                .for_each(|((o, &x), &y)| *o = x + y),
            BinaryOp::Sub => $out
                .iter_mut()
                .zip($a)
                .zip($b)
                .for_each(|((o, &x), &y)| *o = x - y),
            BinaryOp::Mul => $out
                .iter_mut()
                .zip($a)
                .zip($b)
                .for_each(|((o, &x), &y)| *o = x * y),
            BinaryOp::Div => $out
                .iter_mut()
                .zip($a)
                .zip($b)
                .for_each(|((o, &x), &y)| *o = x / y),
            BinaryOp::Maximum => $out
                .iter_mut()
                .zip($a)
                .zip($b)
                .for_each(|((o, &x), &y)| *o = x.max(y)),
            BinaryOp::Minimum => $out
                .iter_mut()
                .zip($a)
                .zip($b)
                .for_each(|((o, &x), &y)| *o = x.min(y)),
        }
    };
}

pub(crate) fn binary<E: Element>(op: BinaryOp, a: &Tensor<E>, b: &Tensor<E>) -> Result<Tensor<E>> {
    if crate::shapes_equal(a.shape(), b.shape()) {
        let mut out = vec![E::zero(); a.len()];
        same_shape_loop!(op, out, a.as_slice(), b.as_slice());
        return Tensor::from_vec(a.shape(), out);
    }
    let shape = broadcast_shape(op.name(), a.shape(), b.shape())?;
    // Fast path: b is a row vector broadcast over the leading axes (bias add and the like).
    if !b.is_empty() && crate::shapes_equal(a.shape(), &shape) && shape.ends_with(b.shape()) {
        let (n, bs) = (b.len(), b.as_slice());
        let mut out = vec![E::zero(); a.len()];
        for (o, x) in out.chunks_exact_mut(n).zip(a.as_slice().chunks_exact(n)) {
            same_shape_loop!(op, o, x, bs);
        }
        return Tensor::from_vec(&shape, out);
    }
    let av = a.array().broadcast(IxDyn(&shape)).expect("shape checked");
    let bv = b.array().broadcast(IxDyn(&shape)).expect("shape checked");
    let out = Zip::from(&av).and(&bv).map_collect(|&x, &y| op.apply(x, y));
    Ok(Tensor::from_array(out))
}

/// `out[i] = out[i] ∘ b[i]` over two slices of one length, one vectorizable loop per op.
#[inline(always)]
fn inplace_loop<E: Element>(op: BinaryOp, out: &mut [E], b: &[E]) {
    match op {
        BinaryOp::Add => out.iter_mut().zip(b).for_each(|(o, &y)| *o = *o + y),
        BinaryOp::Sub => out.iter_mut().zip(b).for_each(|(o, &y)| *o = *o - y),
        BinaryOp::Mul => out.iter_mut().zip(b).for_each(|(o, &y)| *o = *o * y),
        _ => out
            .iter_mut()
            .zip(b)
            .for_each(|(o, &y)| *o = op.apply(*o, y)),
    }
}

pub(crate) fn binary_inplace<E: Element>(
    op: BinaryOp,
    a: &mut Tensor<E>,
    b: &Tensor<E>,
) -> Result<()> {
    if crate::shapes_equal(a.shape(), b.shape()) {
        let (x, y) = (a.as_mut_slice(), b.as_slice());
        fast_f32::with_avx2(|| inplace_loop(op, x, y));
        return Ok(());
    }
    let shape = broadcast_shape(op.name(), a.shape(), b.shape())?;
    if shape.as_slice() != a.shape() {
        return Err(TensorError::mismatch(
            op.name(),
            a.shape(),
            b.shape(),
            "an in-place operation cannot grow its left operand",
        ));
    }
    // Fast path: b is a row vector broadcast over the leading axes (a linear layer's bias).
    if !b.is_empty() && shape.ends_with(b.shape()) {
        let (bs, x) = (b.as_slice(), a.as_mut_slice());
        fast_f32::with_avx2(|| {
            for row in x.chunks_exact_mut(bs.len()) {
                inplace_loop(op, row, bs);
            }
        });
        return Ok(());
    }
    let bv = b.array().broadcast(IxDyn(&shape)).expect("shape checked");
    Zip::from(a.view_mut())
        .and(&bv)
        .for_each(|x, &y| *x = op.apply(*x, y));
    Ok(())
}

impl<E: Element> Tensor<E> {
    /// Elementwise `self + other` with broadcasting.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] when the shapes do not broadcast.
    pub fn add(&self, other: &Self) -> Result<Self> {
        binary(BinaryOp::Add, self, other)
    }

    /// Elementwise `self - other` with broadcasting.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] when the shapes do not broadcast.
    pub fn sub(&self, other: &Self) -> Result<Self> {
        binary(BinaryOp::Sub, self, other)
    }

    /// Elementwise `self * other` with broadcasting.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] when the shapes do not broadcast.
    pub fn mul(&self, other: &Self) -> Result<Self> {
        binary(BinaryOp::Mul, self, other)
    }

    /// Elementwise `self / other` with broadcasting.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] when the shapes do not broadcast.
    pub fn div(&self, other: &Self) -> Result<Self> {
        binary(BinaryOp::Div, self, other)
    }

    /// Elementwise maximum with broadcasting.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] when the shapes do not broadcast.
    pub fn maximum(&self, other: &Self) -> Result<Self> {
        binary(BinaryOp::Maximum, self, other)
    }

    /// Elementwise minimum with broadcasting.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] when the shapes do not broadcast.
    pub fn minimum(&self, other: &Self) -> Result<Self> {
        binary(BinaryOp::Minimum, self, other)
    }

    /// In place `self += other`; `other` may broadcast to `self`'s shape.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] when `other` does not broadcast to `self`.
    pub fn add_assign(&mut self, other: &Self) -> Result<()> {
        binary_inplace(BinaryOp::Add, self, other)
    }

    /// In place `self -= other`; `other` may broadcast to `self`'s shape.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] when `other` does not broadcast to `self`.
    pub fn sub_assign(&mut self, other: &Self) -> Result<()> {
        binary_inplace(BinaryOp::Sub, self, other)
    }

    /// In place `self *= other`; `other` may broadcast to `self`'s shape.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] when `other` does not broadcast to `self`.
    pub fn mul_assign(&mut self, other: &Self) -> Result<()> {
        binary_inplace(BinaryOp::Mul, self, other)
    }

    /// In place `self /= other`; `other` may broadcast to `self`'s shape.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] when `other` does not broadcast to `self`.
    pub fn div_assign(&mut self, other: &Self) -> Result<()> {
        binary_inplace(BinaryOp::Div, self, other)
    }

    /// In place `self += alpha * other` (same shapes): the axpy of BLAS.
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] when the shapes differ.
    pub fn scaled_add(&mut self, alpha: E, other: &Self) -> Result<()> {
        if self.shape() != other.shape() {
            return Err(TensorError::mismatch(
                "scaled_add",
                self.shape(),
                other.shape(),
                "",
            ));
        }
        self.as_mut_slice()
            .iter_mut()
            .zip(other.as_slice())
            .for_each(|(o, &y)| *o = *o + alpha * y);
        Ok(())
    }

    /// `self * alpha`, elementwise.
    pub fn scale(&self, alpha: E) -> Self {
        self.map(|x| x * alpha)
    }

    /// In place `self *= alpha`.
    pub fn scale_inplace(&mut self, alpha: E) {
        self.map_inplace(|x| x * alpha)
    }

    /// `self + c`, elementwise.
    pub fn add_scalar(&self, c: E) -> Self {
        self.map(|x| x + c)
    }

    /// Sums a gradient of a broadcast result back to the shape of an operand that was broadcast:
    /// axes the operand lacked are summed away, axes where it had length 1 are summed with
    /// `keepdims`.
    ///
    /// ```text
    /// out = a ⊕ b  with  a: [3, 1], b: [4]  ⇒ out: [3, 4]
    /// ∂L/∂a = Σ_{axis 1} ∂L/∂out      (shape [3, 1])
    /// ∂L/∂b = Σ_{axis 0} ∂L/∂out      (shape [4])
    /// ```
    ///
    /// # Errors
    /// [`TensorError::ShapeMismatch`] when `shape` does not broadcast to `self`'s shape.
    pub fn sum_to_shape(&self, shape: &[usize]) -> Result<Self> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        let full = broadcast_shape("sum_to_shape", self.shape(), shape)?;
        if full.as_slice() != self.shape() {
            return Err(TensorError::mismatch(
                "sum_to_shape",
                self.shape(),
                shape,
                "the target shape must broadcast to the gradient's shape",
            ));
        }
        // Fast path: summing away leading axes of a row-major buffer.
        if self.shape().ends_with(shape) {
            let n: usize = shape.iter().product();
            let mut out = vec![E::zero(); n];
            if n > 0 {
                for row in self.as_slice().chunks_exact(n) {
                    out.iter_mut().zip(row).for_each(|(o, &x)| *o = *o + x);
                }
            }
            return Tensor::from_vec(shape, out);
        }
        let lead = self.ndim() - shape.len();
        let mut acc: ArrayD<E> = self.array().clone();
        for _ in 0..lead {
            acc = acc.sum_axis(Axis(0));
        }
        for (i, &len) in shape.iter().enumerate() {
            if len == 1 && acc.shape()[i] != 1 {
                acc = acc.sum_axis(Axis(i)).insert_axis(Axis(i));
            }
        }
        Ok(Tensor::from_array(acc))
    }
}
