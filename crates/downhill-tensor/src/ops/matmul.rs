//! Matrix multiplication, with transposed operands read in place (no copies).

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2, Ix2};

use super::{fast_f32, small_gemm};
use crate::{Element, Result, Tensor, TensorError};

/// Whether a matmul operand is used as stored or transposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Transpose {
    /// Use the operand as stored.
    #[default]
    No,
    /// Use the operand's transpose (a strided view, no copy).
    Yes,
}

fn as_matrix<'a, E: Element>(
    t: &'a Tensor<E>,
    op: &'static str,
    tr: Transpose,
) -> Result<ArrayView2<'a, E>> {
    let v = t
        .view()
        .into_dimensionality::<Ix2>()
        .map_err(|_| TensorError::invalid_shape(op, t.shape(), "expected a 2-D matrix"))?;
    Ok(match tr {
        Transpose::No => v,
        Transpose::Yes => v.reversed_axes(),
    })
}

/// The `(rows, cols)` of `op(t)`, checked to be a matrix, from the shape alone (no view).
fn matrix_dims<E: Element>(
    t: &Tensor<E>,
    op: &'static str,
    tr: Transpose,
) -> Result<(usize, usize)> {
    match (t.shape(), tr) {
        (&[r, c], Transpose::No) => Ok((r, c)),
        (&[r, c], Transpose::Yes) => Ok((c, r)),
        (shape, _) => Err(TensorError::invalid_shape(
            op,
            shape,
            "expected a 2-D matrix",
        )),
    }
}

impl<E: Element> Tensor<E> {
    /// The matrix product `self · other` of two 2-D tensors.
    ///
    /// ```text
    /// C[i, j] = Σ_k A[i, k] · B[k, j]        A: [m, k], B: [k, n], C: [m, n]
    /// ```
    ///
    /// # Errors
    /// [`TensorError::InvalidShape`] for an operand that is not 2-D,
    /// [`TensorError::ShapeMismatch`] when the inner dimensions differ.
    pub fn matmul(&self, other: &Self) -> Result<Self> {
        self.matmul_t(Transpose::No, other, Transpose::No)
    }

    /// The matrix product `op(self) · op(other)`, where `op` transposes an operand when asked
    /// (read as a strided view: no copy is made).
    ///
    /// # Errors
    /// As [`Tensor::matmul`].
    pub fn matmul_t(&self, ta: Transpose, other: &Self, tb: Transpose) -> Result<Self> {
        let (m, k1) = matrix_dims(self, "matmul", ta)?;
        let (k2, n) = matrix_dims(other, "matmul", tb)?;
        if k1 != k2 {
            return Err(TensorError::mismatch(
                "matmul",
                &[m, k1],
                &[k2, n],
                "inner dimensions differ (shapes shown after any transpose)",
            ));
        }
        let mut out = Tensor::zeros(&[m, n]);
        if small_f32(
            (m, n, k1),
            E::one(),
            self,
            ta,
            other,
            tb,
            E::zero(),
            &mut out,
            None,
        ) {
            return Ok(out);
        }
        let (a, b) = (
            as_matrix(self, "matmul", ta)?,
            as_matrix(other, "matmul", tb)?,
        );
        {
            let mut c = out
                .view_mut()
                .into_dimensionality::<Ix2>()
                .expect("2-D by construction");
            general_mat_mul(E::one(), &a, &b, E::zero(), &mut c);
        }
        Ok(out)
    }

    /// General matrix multiply-accumulate into `self`: `C ← α·op(A)·op(B) + β·C`.
    ///
    /// With `β = 1` this accumulates, which is how backward passes add into an existing
    /// gradient without a temporary.
    ///
    /// # Errors
    /// [`TensorError::InvalidShape`] for operands that are not 2-D,
    /// [`TensorError::ShapeMismatch`] when the shapes do not chain or `self` has the wrong shape.
    pub fn gemm(
        &mut self,
        alpha: E,
        a: &Self,
        ta: Transpose,
        b: &Self,
        tb: Transpose,
        beta: E,
    ) -> Result<()> {
        // Shapes are checked without building views: the small-product path never needs them.
        let ((m, k1), (k2, n)) = (matrix_dims(a, "gemm", ta)?, matrix_dims(b, "gemm", tb)?);
        if k1 != k2 {
            return Err(TensorError::mismatch(
                "gemm",
                &[m, k1],
                &[k2, n],
                "inner dimensions differ",
            ));
        }
        let cshape = self.shape();
        if cshape.len() != 2 {
            return Err(TensorError::invalid_shape(
                "gemm",
                cshape,
                "output must be a 2-D matrix",
            ));
        }
        if (cshape[0], cshape[1]) != (m, n) {
            return Err(TensorError::mismatch(
                "gemm",
                cshape,
                &[m, n],
                "output shape differs from the product's",
            ));
        }
        if small_f32((m, n, k1), alpha, a, ta, b, tb, beta, self, None) {
            return Ok(());
        }
        let (av, bv) = (as_matrix(a, "gemm", ta)?, as_matrix(b, "gemm", tb)?);
        let mut c: ArrayViewMut2<'_, E> = self
            .view_mut()
            .into_dimensionality::<Ix2>()
            .expect("2-D, checked above");
        general_mat_mul(alpha, &av, &bv, beta, &mut c);
        Ok(())
    }

    /// A linear layer's forward product into `self` (`[N, out]`, every element overwritten, so
    /// a recycled buffer will do): `self ← x·Wᵀ + 1·bᵀ` for `x` `[N, in]`, `W` `[out, in]`
    /// (PyTorch's layout) and an optional bias `b` `[out]`.
    ///
    /// ```text
    /// y[n, o] = b[o] + Σ_i x[n, i]·W[o, i]
    /// ```
    ///
    /// Small f32 products start their register accumulators from the bias (no separate pass
    /// over `y`); the others fill `y` with bias rows and accumulate the product into it
    /// (`β = 1`, as PyTorch's `addmm`). The two differ in rounding only.
    ///
    /// # Errors
    /// [`TensorError::InvalidShape`] / [`TensorError::ShapeMismatch`] when `x` or `W` is not
    /// 2-D, their `in` differ, the bias is not `[out]` or `self` is not `[N, out]`; nothing is
    /// written then.
    pub fn linear_into(&mut self, x: &Self, w: &Self, bias: Option<&Self>) -> Result<()> {
        let ((n, k1), (k2, out)) = (
            matrix_dims(x, "linear", Transpose::No)?,
            matrix_dims(w, "linear", Transpose::Yes)?,
        );
        if k1 != k2 {
            return Err(TensorError::mismatch(
                "linear",
                x.shape(),
                w.shape(),
                "expected an input [N, in] and a weight [out, in]",
            ));
        }
        if let Some(b) = bias
            && !crate::shapes_equal(b.shape(), &[out])
        {
            return Err(TensorError::mismatch(
                "linear",
                w.shape(),
                b.shape(),
                "the bias must have shape [out] for a weight of shape [out, in]",
            ));
        }
        if !crate::shapes_equal(self.shape(), &[n, out]) {
            return Err(TensorError::mismatch(
                "linear",
                self.shape(),
                &[n, out],
                "the output must have shape [N, out]",
            ));
        }
        let (one, zero) = (E::one(), E::zero());
        let (no, yes) = (Transpose::No, Transpose::Yes);
        if small_f32((n, out, k1), one, x, no, w, yes, zero, self, bias) {
            return Ok(());
        }
        let beta = match bias {
            Some(b) => {
                if out > 0 {
                    for row in self.as_mut_slice().chunks_exact_mut(out) {
                        row.copy_from_slice(b.as_slice());
                    }
                }
                one
            }
            None => zero,
        };
        self.gemm(one, x, no, w, yes, beta)
    }
}

/// The small-product f32 kernels of [`small_gemm`](super::small_gemm), when `E` is `f32` and
/// they apply; `false` (nothing done) otherwise. With `bias` (`α = 1`, `β = 0`; see
/// `small_gemm::try_sgemm`) the bias row is added in the kernel's epilogue.
#[allow(clippy::too_many_arguments)]
fn small_f32<E: Element>(
    dims: (usize, usize, usize),
    alpha: E,
    a: &Tensor<E>,
    ta: Transpose,
    b: &Tensor<E>,
    tb: Transpose,
    beta: E,
    c: &mut Tensor<E>,
    bias: Option<&Tensor<E>>,
) -> bool {
    let (Some(alpha), Some(beta)) = (fast_f32::to_f32(alpha), fast_f32::to_f32(beta)) else {
        return false;
    };
    let (a, b) = (
        fast_f32::slice_f32(a.as_slice()),
        fast_f32::slice_f32(b.as_slice()),
    );
    let bias = match bias.map(|t| fast_f32::slice_f32(t.as_slice())) {
        None => None,
        Some(Some(s)) => Some(s),
        Some(None) => return false,
    };
    let c = fast_f32::slice_f32_mut(c.as_mut_slice());
    match (a, b, c) {
        (Some(a), Some(b), Some(c)) => {
            small_gemm::try_sgemm(dims, alpha, a, ta, b, tb, beta, c, bias)
        }
        _ => false,
    }
}
