//! Fused losses: softmax cross-entropy with integer labels (and label smoothing), and MSE.
//!
//! ```text
//! cross-entropy, smoothing ε, C classes, p = softmax(z):
//!   ℓ_n = (1 − ε)·(−log p_{n,y_n}) + ε·mean_j(−log p_{n,j})
//!   ∂ℓ_n/∂z_n = p_n − (1 − ε)·onehot(y_n) − ε/C
//! mse: ℓ = mean((x − t)²),  ∂x = 2(x − t)/N,  ∂t = −∂x
//! ```
//! The mean reduction divides by the batch size `N` (cross-entropy) or the element count (MSE),
//! as PyTorch does.

use downhill_tensor::{Element, Tensor, TensorError};

use crate::op::{Ctx, Op, Reduction};
use crate::tape::node_value;
use crate::{Result, Tape, Var};

pub(crate) struct CrossEntropySaved<E: Element> {
    logits: usize,
    labels: Vec<usize>,
    probs: Tensor<E>,
    reduction: Reduction,
    smoothing: E,
}

impl<E: Element> CrossEntropySaved<E> {
    /// The probabilities buffer, for reuse once the tape is cleared.
    pub(crate) fn into_probs(self) -> Tensor<E> {
        self.probs
    }
}

impl<E: Element> Tape<E> {
    /// Cross-entropy of logits `[N, C]` against integer labels, fused with the softmax
    /// (as `torch.nn.functional.cross_entropy`); exact for logits of ±1000.
    ///
    /// # Errors
    /// Logits that are not 2-D, not one label per row, a label `>= C`; a wrong-tape or stale
    /// handle.
    pub fn cross_entropy(
        &mut self,
        logits: Var,
        labels: &[usize],
        reduction: Reduction,
    ) -> Result<Var> {
        self.cross_entropy_smoothed(logits, labels, reduction, E::zero())
    }

    /// [`Tape::cross_entropy`] with label smoothing `ε ∈ [0, 1]` (PyTorch's `label_smoothing`).
    ///
    /// # Errors
    /// As [`Tape::cross_entropy`]; `ε` outside `[0, 1]`.
    pub fn cross_entropy_smoothed(
        &mut self,
        logits: Var,
        labels: &[usize],
        reduction: Reduction,
        smoothing: E,
    ) -> Result<Var> {
        let i = self.check(logits, "cross_entropy")?;
        if !(smoothing >= E::zero() && smoothing <= E::one()) {
            return Err(TensorError::InvalidArgument {
                op: "cross_entropy",
                name: "label_smoothing",
                value: smoothing.to_string(),
                reason: "must lie in [0, 1]".into(),
            }
            .into());
        }
        // Probabilities and the loss scalar in recycled buffers (every element overwritten).
        let z = node_value(&self.nodes, &self.params, i);
        let mut probs = self.pool.take(z.shape());
        let nll = match z.softmax_cross_entropy_into(labels, &mut probs) {
            Ok(total) => total,
            Err(e) => {
                self.pool.put(probs);
                return Err(e.into());
            }
        };
        let c = z.shape()[1];
        // Σ_n [(1 − ε)ℓ_n + ε·mean_j(−log p_{n,j})] = Σ_n ℓ_n + ε·Σ_n (z_{n,y_n} − mean_j z_{n,j}),
        // since mean_j(−log p_j) = logsumexp(z) − mean_j z_j and logsumexp(z) = ℓ + z_y.
        let total = if smoothing == E::zero() {
            nll
        } else {
            let spread = z
                .as_slice()
                .chunks_exact(c)
                .zip(labels)
                .map(|(row, &y)| row[y] - row.iter().copied().sum::<E>() / E::of_usize(c))
                .sum::<E>();
            nll + smoothing * spread
        };
        let loss = match reduction {
            Reduction::Mean => total / E::of_usize(labels.len().max(1)),
            Reduction::Sum => total,
        };
        let saved = CrossEntropySaved {
            logits: i,
            labels: labels.to_vec(),
            probs,
            reduction,
            smoothing,
        };
        let mut out = self.pool.take(&[]);
        out.as_mut_slice()[0] = loss;
        Ok(self.push_op(out, Op::CrossEntropy(saved), &[i]))
    }

    /// Mean (or summed) squared error between two values of the same shape.
    ///
    /// # Errors
    /// Shapes that differ; a wrong-tape or stale handle.
    pub fn mse(&mut self, pred: Var, target: Var, reduction: Reduction) -> Result<Var> {
        let (i, j) = (self.check(pred, "mse")?, self.check(target, "mse")?);
        let (p, t) = (self.val(i), self.val(j));
        if p.shape() != t.shape() {
            return Err(TensorError::ShapeMismatch {
                op: "mse",
                lhs: p.shape().to_vec(),
                rhs: t.shape().to_vec(),
                detail: ": prediction and target must have the same shape".into(),
            }
            .into());
        }
        let total: E = p
            .as_slice()
            .iter()
            .zip(t.as_slice())
            .map(|(&a, &b)| (a - b) * (a - b))
            .sum();
        let loss = match reduction {
            Reduction::Mean => total / E::of_usize(p.len().max(1)),
            Reduction::Sum => total,
        };
        Ok(self.push_op(
            Tensor::scalar(loss),
            Op::Mse {
                pred: i,
                target: j,
                reduction,
            },
            &[i, j],
        ))
    }
}

pub(crate) fn cross_entropy_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    s: &CrossEntropySaved<E>,
    g: Tensor<E>,
) -> Result<()> {
    let n = s.labels.len();
    let c = s.probs.shape()[1];
    let mut scale = g.item()?;
    if s.reduction == Reduction::Mean && n > 0 {
        scale = scale / E::of_usize(n);
    }
    let uniform = s.smoothing / E::of_usize(c);
    let hit = E::one() - s.smoothing;
    // ∂z = (p − (1 − ε)·onehot(y) − ε/C)·scale, written in one pass into a recycled buffer.
    let mut gx = ctx.pool.take(s.probs.shape());
    let rows = gx.as_mut_slice().chunks_exact_mut(c);
    for ((row, p), &y) in rows.zip(s.probs.as_slice().chunks_exact(c)).zip(&s.labels) {
        row.iter_mut()
            .zip(p)
            .for_each(|(o, &p)| *o = (p - uniform) * scale);
        row[y] = ((p[y] - hit) - uniform) * scale;
    }
    ctx.acc(s.logits, gx)
}

pub(crate) fn mse_backward<E: Element>(
    ctx: &mut Ctx<'_, E>,
    pred: usize,
    target: usize,
    reduction: Reduction,
    g: Tensor<E>,
) -> Result<()> {
    let (p, t) = (ctx.val(pred), ctx.val(target));
    let mut scale = E::two() * g.item()?;
    if reduction == Reduction::Mean && !p.is_empty() {
        scale = scale / E::of_usize(p.len());
    }
    let mut gp = p.sub(t)?;
    gp.scale_inplace(scale);
    if ctx.wants(target) {
        ctx.acc(target, gp.neg())?;
    }
    if ctx.wants(pred) {
        ctx.acc(pred, gp)?;
    }
    Ok(())
}
