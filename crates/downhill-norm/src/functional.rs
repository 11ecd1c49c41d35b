//! The functional forms (as `torch.nn.functional.batch_norm` / `layer_norm`): tape operations
//! on explicit `Var`s, which the layers call and gradient checks differentiate.

use downhill_autograd::{Tape, Var};
use downhill_tensor::{Element, Tensor};

use crate::batch_norm_op::BatchNormOp;
use crate::layer_norm_op::LayerNormOp;
use crate::{
    ChannelLayout, ChannelStats, NormError, Result, batch_norm_normalize, channel_stats,
    layer_norm_forward,
};

/// Which statistics [`batch_norm`] normalizes with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistics<'a, E> {
    /// The batch's own mean and biased variance (training); gradients flow through them.
    Batch,
    /// Given estimates (evaluation with running statistics); constants to the gradient.
    Running {
        /// The mean per channel, `[C]`.
        mean: &'a [E],
        /// The variance per channel, `[C]`.
        var: &'a [E],
    },
}

/// Records batch normalization of `x` (`[N, C, *]`, channel axis 1) on `tape`, with optional
/// per-channel `weight` (`γ`, `[C]`) and `bias` (`β`, `[C]`), and a fused backward.
///
/// ```text
/// y = γ · (x − μ) / √(σ² + ε) + β
/// ```
/// Returns the output and the statistics used (the batch's, for running estimates).
///
/// # Errors
/// [`NormError::Rank`] for a rank below 2; [`NormError::Shape`] when `weight`, `bias` or
/// the running statistics are not `[C]`; [`NormError::OneValuePerChannel`] for batch
/// statistics with at most one value per channel; [`NormError::InvalidConfig`] for a negative
/// `eps`; a stale or wrong-tape handle.
pub fn batch_norm<E: Element>(
    tape: &mut Tape<E>,
    x: Var,
    weight: Option<Var>,
    bias: Option<Var>,
    statistics: Statistics<'_, E>,
    eps: f64,
) -> Result<(Var, ChannelStats<E>)> {
    crate::error::check_eps(eps)?;
    let shape = tape.value(x)?.shape().to_vec();
    let layout = ChannelLayout::of(&shape)?;
    let c = layout.channels;
    let params = check_vectors(tape, &[weight, bias], &[c], "batch_norm")?;
    let stats = match statistics {
        Statistics::Batch if layout.per_channel() <= 1 => {
            return Err(NormError::OneValuePerChannel { shape });
        }
        Statistics::Batch => channel_stats(tape.value(x)?.as_slice(), layout, E::of(eps)),
        Statistics::Running { mean, var } => {
            for s in [mean, var] {
                expect_shape("batch_norm running statistics", &[s.len()], &[c])?;
            }
            ChannelStats::from_mean_var(mean, var, E::of(eps))
        }
    };
    let mut y = Tensor::zeros(&shape);
    let (gamma, beta) = (slice(tape, weight)?, slice(tape, bias)?);
    batch_norm_normalize(
        tape.value(x)?.as_slice(),
        layout,
        &stats,
        gamma,
        beta,
        y.as_mut_slice(),
    );
    let op = BatchNormOp {
        layout,
        stats: stats.clone(),
        batch_stats: matches!(statistics, Statistics::Batch),
        has_weight: weight.is_some(),
        has_bias: bias.is_some(),
    };
    let inputs: Vec<Var> = std::iter::once(x).chain(params).collect();
    Ok((tape.custom(&inputs, y, Box::new(op))?, stats))
}

/// Records layer normalization of `x` (`[*, normalized_shape…]`) over its trailing
/// `normalized_shape` dimensions on `tape`, with optional elementwise `weight` (`γ`) and
/// `bias` (`β`) of `normalized_shape`, and a fused backward.
///
/// ```text
/// y = γ ⊙ (x − μ) / √(σ² + ε) + β          μ, σ² over the normalized dimensions
/// ```
///
/// # Errors
/// [`NormError::Shape`] when `x` does not end with `normalized_shape` or `weight` / `bias`
/// are not of that shape; [`NormError::InvalidConfig`] for an empty normalized shape or a
/// negative `eps`; a stale or wrong-tape handle.
pub fn layer_norm<E: Element>(
    tape: &mut Tape<E>,
    x: Var,
    normalized_shape: &[usize],
    weight: Option<Var>,
    bias: Option<Var>,
    eps: f64,
) -> Result<Var> {
    crate::error::check_eps(eps)?;
    let d: usize = normalized_shape.iter().product();
    if normalized_shape.is_empty() || d == 0 {
        return Err(NormError::InvalidConfig {
            name: "normalized_shape",
            value: format!("{normalized_shape:?}"),
            reason: "must be non-empty with positive dimensions",
        });
    }
    let shape = tape.value(x)?.shape().to_vec();
    if !shape.ends_with(normalized_shape) {
        let expected = format!("[*, {}]", dims(normalized_shape));
        return Err(NormError::Shape {
            layer: "layer_norm",
            expected,
            actual: shape,
        });
    }
    let params = check_vectors(tape, &[weight, bias], normalized_shape, "layer_norm")?;
    let mut y = Tensor::zeros(&shape);
    let (gamma, beta) = (slice(tape, weight)?, slice(tape, bias)?);
    let xs = tape.value(x)?.as_slice();
    let stats = layer_norm_forward(xs, d, E::of(eps), gamma, beta, y.as_mut_slice());
    let op = LayerNormOp {
        d,
        stats,
        has_weight: weight.is_some(),
        has_bias: bias.is_some(),
    };
    let inputs: Vec<Var> = std::iter::once(x).chain(params).collect();
    Ok(tape.custom(&inputs, y, Box::new(op))?)
}

/// Checks that each present parameter has shape `expected`; returns the present ones.
fn check_vectors<E: Element>(
    tape: &Tape<E>,
    vars: &[Option<Var>],
    expected: &[usize],
    op: &'static str,
) -> Result<Vec<Var>> {
    let present: Vec<Var> = vars.iter().flatten().copied().collect();
    for &v in &present {
        expect_shape(op, tape.value(v)?.shape(), expected)?;
    }
    Ok(present)
}

fn expect_shape(layer: &'static str, actual: &[usize], expected: &[usize]) -> Result<()> {
    if actual == expected {
        return Ok(());
    }
    Err(NormError::Shape {
        layer,
        expected: format!("[{}]", dims(expected)),
        actual: actual.to_vec(),
    })
}

fn slice<E: Element>(tape: &Tape<E>, v: Option<Var>) -> Result<Option<&[E]>> {
    v.map(|v| tape.value(v).map(Tensor::as_slice))
        .transpose()
        .map_err(NormError::from)
}

pub(crate) fn dims(shape: &[usize]) -> String {
    shape
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
