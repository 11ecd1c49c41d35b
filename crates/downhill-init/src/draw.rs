//! The few primitive distributions every scheme resolves to, and how they fill a buffer.

use downhill_tensor::Element;
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

use crate::orthogonal::orthogonal_matrix;
use crate::special::{erfinv, norm_cdf};

/// A validated, fully resolved distribution: the scheme's parameters and fans already applied.
///
/// Values are drawn in `f64` and rounded to the element type, so `f32` and `f64` tensors
/// drawn from the same seed agree to `f32` precision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Draw {
    /// Every entry equal to the value.
    Constant(f64),
    /// The identity matrix (2-D only, checked by the resolver).
    Eye,
    /// `U[lo, hi)`, as `torch.Tensor.uniform_`.
    Uniform(f64, f64),
    /// `N(mean, std²)`.
    Normal(f64, f64),
    /// `N(mean, std²)` truncated to `[a, b]`, by PyTorch's inverse-CDF method.
    TruncNormal { mean: f64, std: f64, a: f64, b: f64 },
    /// `gain·Q`, Q with orthonormal rows or columns (≥ 2-D, checked by the resolver).
    Orthogonal(f64),
}

impl Draw {
    /// Overwrites `out` (of `shape`) with draws from the distribution.
    pub(crate) fn fill<E: Element>(self, out: &mut [E], shape: &[usize], rng: &mut impl Rng) {
        match self {
            Draw::Constant(v) => out.fill(E::of(v)),
            Draw::Eye => {
                let cols = shape[1];
                for (i, x) in out.iter_mut().enumerate() {
                    *x = if i / cols == i % cols {
                        E::one()
                    } else {
                        E::zero()
                    };
                }
            }
            Draw::Uniform(lo, hi) => {
                for x in out {
                    *x = E::of(lo + (hi - lo) * rng.random::<f64>());
                }
            }
            Draw::Normal(mean, std) => {
                for x in out {
                    *x = E::of(mean + std * rng.sample::<f64, _>(StandardNormal));
                }
            }
            Draw::TruncNormal { mean, std, a, b } => trunc_normal_fill(out, rng, mean, std, a, b),
            Draw::Orthogonal(gain) => {
                let q = orthogonal_matrix(rng, shape[0], out.len() / shape[0].max(1));
                for (x, q) in out.iter_mut().zip(q) {
                    *x = E::of(gain * q);
                }
            }
        }
    }
}

/// PyTorch's `trunc_normal_`: uniform on `[2Φ(α)−1, 2Φ(β)−1]`, then `erfinv`, scale, clamp.
///
/// ```text
/// u ~ U[2Φ((a−μ)/σ) − 1, 2Φ((b−μ)/σ) − 1]
/// x = clamp(μ + σ·√2·erfinv(u), a, b)
/// ```
fn trunc_normal_fill<E: Element>(
    out: &mut [E],
    rng: &mut impl Rng,
    mean: f64,
    std: f64,
    a: f64,
    b: f64,
) {
    let lo = 2.0 * norm_cdf((a - mean) / std) - 1.0;
    let hi = 2.0 * norm_cdf((b - mean) / std) - 1.0;
    for x in out {
        let u = lo + (hi - lo) * rng.random::<f64>();
        let v = mean + std * std::f64::consts::SQRT_2 * erfinv(u);
        *x = E::of(v.clamp(a, b));
    }
}
