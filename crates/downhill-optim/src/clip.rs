//! Gradient clipping as free functions, with PyTorch's rules.

use downhill_tensor::{Element, Tensor};

use crate::OptimError;

/// The p-norm of one tensor (`p = ∞`: the largest absolute value), accumulated in f64.
fn tensor_norm<E: Element>(t: &Tensor<E>, p: f64) -> f64 {
    let xs = t.as_slice().iter().map(|x| x.as_f64().abs());
    if p == f64::INFINITY {
        xs.fold(0.0, f64::max)
    } else if p == 2.0 {
        xs.map(|x| x * x).sum::<f64>().sqrt()
    } else if p == 1.0 {
        xs.sum()
    } else {
        xs.map(|x| x.powf(p)).sum::<f64>().powf(1.0 / p)
    }
}

/// The total norm of order `p` over all tensors: the norm of the per-tensor norms, as
/// `torch.nn.utils.get_total_norm` computes it.
pub(crate) fn total_norm<'a, E: Element>(
    tensors: impl Iterator<Item = &'a Tensor<E>>,
    p: f64,
) -> f64 {
    let norms = tensors.map(|t| tensor_norm(t, p));
    if p == f64::INFINITY {
        norms.fold(0.0, f64::max)
    } else if p == 2.0 {
        norms.map(|n| n * n).sum::<f64>().sqrt()
    } else if p == 1.0 {
        norms.sum()
    } else {
        norms.map(|n| n.powf(p)).sum::<f64>().powf(1.0 / p)
    }
}

/// Validates `max_norm` and `norm_type` and returns the clip coefficient and the total norm.
pub(crate) fn clip_coefficient<'a, E: Element>(
    tensors: impl Iterator<Item = &'a Tensor<E>>,
    max_norm: f64,
    norm_type: f64,
    error_if_nonfinite: bool,
) -> Result<(f64, f64), OptimError> {
    crate::error::non_negative("clip_grad_norm", "max_norm", max_norm)?;
    if norm_type.is_nan() || norm_type <= 0.0 {
        return Err(OptimError::hyper(
            "clip_grad_norm",
            "norm_type",
            norm_type,
            "must be > 0 (or infinity)",
        ));
    }
    let total = total_norm(tensors, norm_type);
    if error_if_nonfinite && !total.is_finite() {
        return Err(OptimError::NonFiniteNorm {
            norm_type,
            norm: total,
        });
    }
    Ok(((max_norm / (total + 1e-6)).min(1.0), total))
}

/// Rescales the gradients so their total norm of order `norm_type` is at most `max_norm`,
/// exactly as `torch.nn.utils.clip_grad_norm_`; returns the total norm before clipping.
///
/// ```text
/// N = ‖(‖g₁‖_p, …, ‖g_k‖_p)‖_p          (p = ∞: the largest |gᵢⱼ|)
/// c = min(max_norm / (N + 1e-6), 1)
/// gᵢ ← c·gᵢ
/// ```
///
/// ```
/// use downhill_optim::clip_grad_norm;
/// use downhill_tensor::Tensor;
/// let mut g = Tensor::<f64>::from_vec(&[2], vec![3.0, 4.0]).unwrap();
/// let norm = clip_grad_norm(&mut [&mut g], 1.0, 2.0, false).unwrap();
/// assert_eq!(norm, 5.0);
/// assert!((g.as_slice()[0] - 0.6).abs() < 1e-6);
/// ```
///
/// # Errors
/// A negative `max_norm`, a `norm_type` ≤ 0, or (with `error_if_nonfinite`) a NaN or infinite
/// total norm; the gradients are untouched then. Without the flag a non-finite norm makes the
/// gradients NaN, as in PyTorch.
pub fn clip_grad_norm<E: Element>(
    grads: &mut [&mut Tensor<E>],
    max_norm: f64,
    norm_type: f64,
    error_if_nonfinite: bool,
) -> Result<f64, OptimError> {
    let (coef, total) = clip_coefficient(
        grads.iter().map(|g| &**g),
        max_norm,
        norm_type,
        error_if_nonfinite,
    )?;
    let c = E::of(coef);
    grads.iter_mut().for_each(|g| g.map_inplace(|v| v * c));
    Ok(total)
}

/// Clamps every gradient element to `[−clip_value, clip_value]`, as
/// `torch.nn.utils.clip_grad_value_`.
///
/// # Errors
/// A negative or NaN `clip_value`.
pub fn clip_grad_value<E: Element>(
    grads: &mut [&mut Tensor<E>],
    clip_value: f64,
) -> Result<(), OptimError> {
    if clip_value.is_nan() || clip_value < 0.0 {
        return Err(OptimError::hyper(
            "clip_grad_value",
            "clip_value",
            clip_value,
            "must be ≥ 0",
        ));
    }
    let c = E::of(clip_value);
    grads
        .iter_mut()
        .for_each(|g| g.map_inplace(|v| v.max(-c).min(c)));
    Ok(())
}
