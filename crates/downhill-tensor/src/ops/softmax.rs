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
        let mut probs = self.clone();
        let mut losses = Vec::with_capacity(n);
        for (row, &y) in probs.as_mut_slice().chunks_exact_mut(c).zip(labels) {
            // One exponential per logit: e_i = exp(x_i − m) gives both the loss
            // −log p_y = −((x_y − m) − log Σe) and the probabilities p_i = e_i / Σe.
            let m = row.iter().fold(E::neg_infinity(), |m, &x| m.max(x));
            let shifted_y = row[y] - m;
            let mut s = E::zero();
            row.iter_mut().for_each(|x| {
                *x = (*x - m).exp();
                s = s + *x;
            });
            losses.push(-(shifted_y - s.ln()));
            let inv = E::one() / s;
            row.iter_mut().for_each(|x| *x = *x * inv);
        }
        Ok((losses, probs))
    }
}
