//! Softmax, log-softmax and the fused softmax-cross-entropy kernel, exact for logits of ±1000.

use crate::{Element, Result, Tensor, TensorError};

fn check_axis<E: Element>(op: &'static str, t: &Tensor<E>, axis: usize) -> Result<()> {
    if axis >= t.ndim() {
        return Err(TensorError::AxisOutOfRange {
            op,
            axis,
            shape: t.shape().to_vec(),
        });
    }
    Ok(())
}

/// Applies `f(lane)` to every lane along `axis`, where the lane is contiguous when `axis` is last.
fn for_each_lane<E: Element>(t: &mut Tensor<E>, axis: usize, mut f: impl FnMut(&mut [E])) {
    if axis + 1 == t.ndim() {
        let n = t.shape()[axis];
        if n > 0 {
            t.as_mut_slice().chunks_exact_mut(n).for_each(f);
        }
        return;
    }
    let mut buf = Vec::new();
    for mut lane in t.view_mut().lanes_mut(ndarray::Axis(axis)) {
        buf.clear();
        buf.extend(lane.iter().copied());
        f(&mut buf);
        lane.iter_mut().zip(&buf).for_each(|(o, &x)| *o = x);
    }
}

/// In place: `lane ← (lane − max(lane)) − log Σ exp(lane − max)` (the log-softmax of the lane).
///
/// The shift is subtracted first: forming `max + log Σ` would round the small log-sum to the
/// grid of the large maximum (in f32 at logits of 1000, `ln 2` would come out as `0.69312`).
fn log_softmax_lane<E: Element>(lane: &mut [E]) {
    let m = lane.iter().fold(E::neg_infinity(), |m, &x| m.max(x));
    let s: E = lane.iter().map(|&x| (x - m).exp()).sum();
    let ln_s = s.ln();
    lane.iter_mut().for_each(|x| *x = (*x - m) - ln_s);
}

fn softmax_lane<E: Element>(lane: &mut [E]) {
    let m = lane.iter().fold(E::neg_infinity(), |m, &x| m.max(x));
    let mut s = E::zero();
    lane.iter_mut().for_each(|x| {
        *x = (*x - m).exp();
        s = s + *x;
    });
    let inv = E::one() / s;
    lane.iter_mut().for_each(|x| *x = *x * inv);
}

impl<E: Element> Tensor<E> {
    /// Softmax along `axis`, shifted by the lane maximum so no exponential overflows.
    ///
    /// ```text
    /// softmax(x)_i = e^{x_i − m} / Σ_j e^{x_j − m},   m = max_j x_j
    /// ```
    ///
    /// # Errors
    /// [`TensorError::AxisOutOfRange`] for an axis `>= ndim`.
    pub fn softmax(&self, axis: usize) -> Result<Self> {
        check_axis("softmax", self, axis)?;
        let mut out = self.clone();
        for_each_lane(&mut out, axis, softmax_lane);
        Ok(out)
    }

    /// Log-softmax along `axis`, computed as `(x − m) − log Σ e^{x−m}` (exact for ±1000).
    ///
    /// # Errors
    /// [`TensorError::AxisOutOfRange`] for an axis `>= ndim`.
    pub fn log_softmax(&self, axis: usize) -> Result<Self> {
        check_axis("log_softmax", self, axis)?;
        let mut out = self.clone();
        for_each_lane(&mut out, axis, log_softmax_lane);
        Ok(out)
    }

    /// Fused softmax cross-entropy of logits `[N, C]` against integer labels: returns the
    /// per-sample losses and the softmax probabilities (which the backward pass reuses).
    ///
    /// ```text
    /// ℓ_n = −log softmax(z_n)_{y_n} = logsumexp(z_n) − z_{n, y_n}
    /// ∂ℓ_n/∂z_n = softmax(z_n) − onehot(y_n)
    /// ```
    ///
    /// # Errors
    /// [`TensorError::InvalidShape`] unless the logits are 2-D with at least one class;
    /// [`TensorError::ShapeMismatch`] (logits shape against the labels' length) when there is not
    /// one label per row;
    /// [`TensorError::IndexOutOfRange`] for a label `>= C`.
    pub fn softmax_cross_entropy(&self, labels: &[usize]) -> Result<(Vec<E>, Self)> {
        self.check_cross_entropy(labels)?;
        let mut probs = self.clone();
        let mut losses = Vec::with_capacity(labels.len());
        cross_entropy_rows(self.as_slice(), labels, probs.as_mut_slice(), |l| {
            losses.push(l)
        });
        Ok((losses, probs))
    }

    /// [`Tensor::softmax_cross_entropy`] into a caller's buffer: writes the probabilities into
    /// `probs` (same shape as the logits, every element overwritten, so a recycled buffer will
    /// do) and returns the sum of the per-sample losses `Σ_n ℓ_n`. Nothing is allocated.
    ///
    /// # Errors
    /// Those of [`Tensor::softmax_cross_entropy`], and [`TensorError::ShapeMismatch`] when
    /// `probs` does not have the logits' shape; on an error `probs` is left as it was.
    pub fn softmax_cross_entropy_into(&self, labels: &[usize], probs: &mut Self) -> Result<E> {
        self.check_cross_entropy(labels)?;
        if !crate::shapes_equal(probs.shape(), self.shape()) {
            return Err(TensorError::mismatch(
                "softmax_cross_entropy_into",
                self.shape(),
                probs.shape(),
                "the probabilities buffer must have the logits' shape",
            ));
        }
        let mut total = E::zero();
        cross_entropy_rows(self.as_slice(), labels, probs.as_mut_slice(), |l| {
            total = total + l
        });
        Ok(total)
    }

    fn check_cross_entropy(&self, labels: &[usize]) -> Result<()> {
        if self.ndim() != 2 || self.shape()[1] == 0 {
            return Err(TensorError::invalid_shape(
                "softmax_cross_entropy",
                self.shape(),
                "expected logits of shape [batch, classes] with classes >= 1",
            ));
        }
        let (n, c) = (self.shape()[0], self.shape()[1]);
        if labels.len() != n {
            return Err(TensorError::mismatch(
                "softmax_cross_entropy",
                self.shape(),
                &[labels.len()],
                "expected one label per row of the logits",
            ));
        }
        if let Some((position, &index)) = labels.iter().enumerate().find(|&(_, &y)| y >= c) {
            return Err(TensorError::IndexOutOfRange {
                op: "softmax_cross_entropy",
                index,
                bound: c,
                position,
            });
        }
        Ok(())
    }
}

/// The fused kernel over checked rows (`z` and `probs` `[N, C]` as slices, `C ≥ 1`, one valid
/// label per row): `probs ← softmax(z)` row by row, `loss(ℓ_n)` called for each row in order.
///
/// ```text
/// m = max_i z_i,   e_i = exp(z_i − m) ≤ 1,   s = Σ_i e_i ∈ [1, C]
/// ℓ = log s − (z_y − m),   p_i = e_i / s
/// ```
///
/// One exponential per logit, of a non-positive argument: in f32 all of them run through the
/// vectorized `exp` of `fast_f32` (≤ 2 ulp, 0 below −87 where libm would return a subnormal)
/// in one pass over the buffer, then the sums row by row and their logarithms (`s ≥ 1`) through
/// the vectorized `ln` (≤ 2 ulp), 64 rows at a time. f64 uses libm throughout.
fn cross_entropy_rows<E: Element>(
    z: &[E],
    labels: &[usize],
    probs: &mut [E],
    mut loss: impl FnMut(E),
) {
    let c = z.len() / labels.len().max(1);
    if labels.is_empty() {
        return;
    }
    let max = |row: &[E]| row.iter().fold(E::neg_infinity(), |m, &x| m.max(x));
    for (p, row) in probs.chunks_exact_mut(c).zip(z.chunks_exact(c)) {
        let m = max(row);
        p.iter_mut().zip(row).for_each(|(p, &x)| *p = x - m);
    }
    match crate::ops::fast_f32::slice_f32_mut(probs) {
        Some(p) => crate::ops::fast_f32::exp_nonpos_slice(p),
        None => probs.iter_mut().for_each(|x| *x = x.exp()),
    }
    // Rows in chunks: the sums of a chunk are normalized away, then their logarithms are taken
    // in one vectorized pass (f32), then the losses are reported in row order.
    const CHUNK: usize = 64;
    let mut sums = [E::zero(); CHUNK];
    let rows = probs.chunks_exact_mut(c).zip(z.chunks_exact(c)).zip(labels);
    let mut rows = rows.peekable();
    while rows.peek().is_some() {
        let mut used = 0;
        let mut shifted = [E::zero(); CHUNK];
        for ((p, row), &y) in rows.by_ref().take(CHUNK) {
            let s = p.iter().fold(E::zero(), |s, &e| s + e);
            let inv = E::one() / s;
            p.iter_mut().for_each(|x| *x = *x * inv);
            sums[used] = s;
            shifted[used] = row[y] - max(row);
            used += 1;
        }
        let logs = &mut sums[..used];
        match crate::ops::fast_f32::slice_f32_mut(logs) {
            Some(l) => crate::ops::fast_f32::ln_ge1_slice(l),
            None => logs.iter_mut().for_each(|x| *x = x.ln()),
        }
        for (&ln_s, &zy) in logs.iter().zip(&shifted[..used]) {
            loss(ln_s - zy);
        }
    }
}
