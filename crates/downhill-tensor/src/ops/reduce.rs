//! Reductions over axes (with `keepdims`) and argmax.

use ndarray::{ArrayD, Axis};

use crate::{Element, Result, Tensor, TensorError};

fn check_axes(op: &'static str, shape: &[usize], axes: &[usize]) -> Result<Vec<usize>> {
    let mut sorted = axes.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if let Some(&bad) = sorted.iter().find(|&&a| a >= shape.len()) {
        return Err(TensorError::AxisOutOfRange {
            op,
            axis: bad,
            shape: shape.to_vec(),
        });
    }
    Ok(sorted)
}

/// The shape left after reducing `axes` (sorted, deduplicated) of `shape`.
pub fn reduced_shape(shape: &[usize], axes: &[usize], keepdims: bool) -> Vec<usize> {
    shape
        .iter()
        .enumerate()
        .filter_map(|(i, &d)| {
            if axes.contains(&i) {
                keepdims.then_some(1)
            } else {
                Some(d)
            }
        })
        .collect()
}

impl<E: Element> Tensor<E> {
    fn fold_axes(
        &self,
        op: &'static str,
        axes: &[usize],
        keepdims: bool,
        f: impl Fn(ndarray::ArrayViewD<'_, E>, Axis) -> ArrayD<E>,
    ) -> Result<Self> {
        let axes = check_axes(op, self.shape(), axes)?;
        let out_shape = reduced_shape(self.shape(), &axes, keepdims);
        // Reduce the highest axis first, so the remaining axis numbers stay valid; the first
        // reduction reads the tensor in place (no copy of the input).
        let Some((&last, rest)) = axes.split_last() else {
            return self.reshaped(&out_shape);
        };
        let mut acc = f(self.view(), Axis(last));
        for &ax in rest.iter().rev() {
            acc = f(acc.view(), Axis(ax));
        }
        Tensor::from_array(acc).reshape(&out_shape)
    }

    /// Sum of all elements.
    pub fn sum(&self) -> E {
        // Eight independent partial sums: they vectorize, and round less than one running sum.
        let chunks = self.as_slice().chunks_exact(8);
        let tail: E = chunks.remainder().iter().copied().sum();
        let mut acc = [E::zero(); 8];
        for c in chunks {
            acc.iter_mut().zip(c).for_each(|(a, &x)| *a = *a + x);
        }
        acc.iter().copied().sum::<E>() + tail
    }

    /// Mean of all elements (NaN for an empty tensor).
    pub fn mean(&self) -> E {
        self.sum() / E::of_usize(self.len())
    }

    /// Largest element (`−∞` for an empty tensor; NaN if any element is NaN).
    pub fn max_value(&self) -> E {
        self.as_slice().iter().fold(E::neg_infinity(), |m, &x| {
            if x.is_nan() || m.is_nan() {
                E::nan()
            } else {
                m.max(x)
            }
        })
    }

    /// Column sums of a matrix into a preallocated `out`: `out[j] = Σ_i self[i, j]`, added in row
    /// order (the gradient of a bias broadcast over a batch). `out` may have any shape with
    /// `self.shape()[1]` elements; its previous values are overwritten.
    ///
    /// ```text
    /// out[j] = ((self[0, j] + self[1, j]) + self[2, j]) + …
    /// ```
    ///
    /// # Errors
    /// [`TensorError::InvalidShape`] when `self` is not 2-D, [`TensorError::ShapeMismatch`]
    /// when `out` does not have one element per column; nothing is written then.
    pub fn sum_rows_into(&self, out: &mut Self) -> Result<()> {
        let &[rows, cols] = self.shape() else {
            return Err(TensorError::invalid_shape(
                "sum_rows_into",
                self.shape(),
                "expected a 2-D matrix",
            ));
        };
        if out.len() != cols {
            return Err(TensorError::mismatch(
                "sum_rows_into",
                self.shape(),
                out.shape(),
                "the output needs one element per column",
            ));
        }
        let (src, dst) = (self.as_slice(), out.as_mut_slice());
        if rows == 0 || cols == 0 {
            dst.fill(E::zero());
            return Ok(());
        }
        // Blocks of 32 columns are summed in registers (a fixed-size accumulator the compiler
        // keeps in vector registers; summing into `dst` would store and reload it every row),
        // the remaining columns through `dst`. Both add the rows in order, column by column.
        const W: usize = 32;
        super::fast_f32::with_avx2(|| {
            let mut c0 = 0;
            while c0 + W <= cols {
                let mut acc: [E; W] = src[c0..c0 + W].try_into().expect("W columns");
                for row in src[cols..].chunks_exact(cols) {
                    let row: &[E; W] = row[c0..c0 + W].try_into().expect("W columns");
                    for (a, &v) in acc.iter_mut().zip(row) {
                        *a = *a + v;
                    }
                }
                dst[c0..c0 + W].copy_from_slice(&acc);
                c0 += W;
            }
            if c0 < cols {
                let rest = &mut dst[c0..];
                rest.copy_from_slice(&src[c0..cols]);
                for row in src[cols..].chunks_exact(cols) {
                    rest.iter_mut()
                        .zip(&row[c0..])
                        .for_each(|(d, &v)| *d = *d + v);
                }
            }
        });
        Ok(())
    }

    /// Sums over `axes`; with `keepdims` the reduced axes stay with length 1.
    ///
    /// # Errors
    /// [`TensorError::AxisOutOfRange`] for an axis `>= ndim`.
    pub fn sum_axes(&self, axes: &[usize], keepdims: bool) -> Result<Self> {
        self.fold_axes("sum_axes", axes, keepdims, |v, ax| v.sum_axis(ax))
    }

    /// Means over `axes`; with `keepdims` the reduced axes stay with length 1.
    ///
    /// # Errors
    /// [`TensorError::AxisOutOfRange`] for an axis `>= ndim`.
    pub fn mean_axes(&self, axes: &[usize], keepdims: bool) -> Result<Self> {
        let axes_v = check_axes("mean_axes", self.shape(), axes)?;
        let count: usize = axes_v.iter().map(|&a| self.shape()[a]).product();
        let mut s = self.sum_axes(&axes_v, keepdims)?;
        s.scale_inplace(E::one() / E::of_usize(count));
        Ok(s)
    }

    /// Maxima over `axes`; with `keepdims` the reduced axes stay with length 1.
    ///
    /// # Errors
    /// [`TensorError::AxisOutOfRange`] for an axis `>= ndim`; [`TensorError::InvalidShape`]
    /// when a reduced axis has length 0.
    pub fn max_axes(&self, axes: &[usize], keepdims: bool) -> Result<Self> {
        let axes_v = check_axes("max_axes", self.shape(), axes)?;
        if axes_v.iter().any(|&a| self.shape()[a] == 0) {
            return Err(TensorError::invalid_shape(
                "max_axes",
                self.shape(),
                "cannot take the max over an empty axis",
            ));
        }
        self.fold_axes("max_axes", &axes_v, keepdims, |v, ax| {
            v.fold_axis(ax, E::neg_infinity(), |&m, &x| {
                if x.is_nan() || m.is_nan() {
                    E::nan()
                } else {
                    m.max(x)
                }
            })
        })
    }

    /// Index of the largest element along `axis` (the first one on ties), as `torch.argmax`.
    ///
    /// # Errors
    /// [`TensorError::AxisOutOfRange`] for an axis `>= ndim`; [`TensorError::InvalidShape`] when
    /// the axis is empty.
    pub fn argmax(&self, axis: usize) -> Result<ArrayD<usize>> {
        check_axes("argmax", self.shape(), &[axis])?;
        if self.shape()[axis] == 0 {
            return Err(TensorError::invalid_shape(
                "argmax",
                self.shape(),
                "cannot take argmax over an empty axis",
            ));
        }
        Ok(self.array().map_axis(Axis(axis), |lane| {
            let mut best = 0;
            let mut bv = E::neg_infinity();
            for (i, &x) in lane.iter().enumerate() {
                if x > bv || (i == 0 && x.is_nan()) {
                    best = i;
                    bv = x;
                }
            }
            best
        }))
    }

    /// The L2 norm of all elements, `√Σx²`.
    pub fn norm_l2(&self) -> E {
        self.as_slice().iter().map(|&x| x * x).sum::<E>().sqrt()
    }
}
