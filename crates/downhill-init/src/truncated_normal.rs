//! The truncated normal with PyTorch's `trunc_normal_` semantics.

use downhill_tensor::{Element, Tensor};
use rand::Rng;

use crate::draw::Draw;
use crate::error::{InitError, Result, finite, interval};
use crate::init::Init;
use crate::special::{norm_cdf, norm_pdf};

/// Validates truncated-normal parameters.
pub(crate) fn resolve(mean: f64, std: f64, a: f64, b: f64) -> Result<Draw> {
    let scheme = "truncated_normal";
    finite(scheme, "mean", mean)?;
    finite(scheme, "std", std)?;
    if std <= 0.0 {
        // The inverse-CDF method divides by std; PyTorch would produce NaN.
        return Err(InitError::Negative {
            scheme,
            name: "std",
            value: std,
        });
    }
    let (a, b) = interval(scheme, a, b)?;
    Ok(Draw::TruncNormal { mean, std, a, b })
}

/// Mean and standard deviation of `N(μ, σ²)` truncated to `[a, b]`.
///
/// ```text
/// α = (a−μ)/σ   β = (b−μ)/σ   Z = Φ(β) − Φ(α)
/// mean = μ + σ·(φ(α) − φ(β))/Z
/// var  = σ²·[1 + (α·φ(α) − β·φ(β))/Z − ((φ(α) − φ(β))/Z)²]
/// ```
pub fn truncated_normal_moments(mean: f64, std: f64, a: f64, b: f64) -> (f64, f64) {
    let (alpha, beta) = ((a - mean) / std, (b - mean) / std);
    let z = norm_cdf(beta) - norm_cdf(alpha);
    let (pa, pb) = (norm_pdf(alpha), norm_pdf(beta));
    let shift = (pa - pb) / z;
    let var = std * std * (1.0 + (alpha * pa - beta * pb) / z - shift * shift);
    (mean + std * shift, var.max(0.0).sqrt())
}

/// Draws from `N(mean, std²)` truncated to the absolute bounds `[a, b]`, as PyTorch's
/// `torch.nn.init.trunc_normal_(t, mean, std, a, b)`.
///
/// ```text
/// u ~ U[2Φ((a−μ)/σ) − 1, 2Φ((b−μ)/σ) − 1],   x = clamp(μ + σ·√2·erfinv(u), a, b)
/// ```
///
/// `a` and `b` are values, not multiples of `std`: `trunc_normal(.., 0.0, 0.02, -2.0, 2.0)`
/// truncates nothing in practice (a classic porting slip; JAX/Keras use ±2·std).
///
/// ```
/// use rand::{SeedableRng, rngs::Xoshiro256PlusPlus};
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
/// let t = downhill_init::trunc_normal::<f64>(&mut rng, &[1000], 0.0, 1.0, -0.5, 0.5).unwrap();
/// assert!(t.as_slice().iter().all(|x| x.abs() <= 0.5));
/// ```
///
/// # Errors
///
/// `std <= 0`, `a > b`, or any NaN or infinite parameter.
pub fn trunc_normal<E: Element>(
    rng: &mut impl Rng,
    shape: &[usize],
    mean: f64,
    std: f64,
    a: f64,
    b: f64,
) -> Result<Tensor<E>> {
    Init::TruncatedNormal { mean, std, a, b }.sample(rng, shape)
}
