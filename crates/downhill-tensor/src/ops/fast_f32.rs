//! Branch-free f32 `exp` (of a non-positive argument) and `tanh` that the compiler vectorizes.
//!
//! libm's scalar `tanhf`/`expf` are calls the auto-vectorizer cannot look into, and were about
//! half the time of a small tanh network's training step. These are the Cephes single-precision
//! algorithms (range reduction `x = n·ln 2 + r`, a degree-6 polynomial on `r`; `tanh` as an odd
//! polynomial below 0.625 and `(1 − e^{−2|x|})/(1 + e^{−2|x|})` above), written with selects
//! instead of branches; both stay within a few ulp of the correctly rounded result. f64 keeps
//! libm: it is what the gradient checks run in.

use std::any::TypeId;

use crate::Element;

/// `Some(x as f32)` when `E` is `f32` (a no-op after monomorphization).
#[inline(always)]
pub(crate) fn to_f32<E: Element>(x: E) -> Option<f32> {
    (TypeId::of::<E>() == TypeId::of::<f32>())
        // SAFETY: E is f32, checked above.
        .then(|| unsafe { std::mem::transmute_copy::<E, f32>(&x) })
}

/// The inverse of [`to_f32`]; call only when `E` is `f32`.
#[inline(always)]
pub(crate) fn from_f32<E: Element>(x: f32) -> E {
    debug_assert!(TypeId::of::<E>() == TypeId::of::<f32>());
    // SAFETY: only called after `to_f32` returned `Some`, so E is f32.
    unsafe { std::mem::transmute_copy::<f32, E>(&x) }
}

/// `eˣ` for `x ≤ 0` (0 below −87, where the result would leave the normal range; NaN stays NaN).
#[inline(always)]
pub(crate) fn exp_nonpos(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const C1: f32 = 0.693_359_4;
    const C2: f32 = -2.121_944_4e-4;
    // 1.5·2²³: adding it rounds to an integer that ends up in the low mantissa bits.
    const MAGIC: f32 = 12_582_912.0;
    let xc = if x < -87.0 { -87.0 } else { x };
    let t = xc * LOG2E + MAGIC;
    let n = (t.to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
    let nf = t - MAGIC;
    let r = xc - nf * C1 - nf * C2;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 5e-1;
    let e = (p * r * r + r + 1.0) * f32::from_bits(((n + 127) << 23) as u32);
    if x < -87.0 { 0.0 } else { e }
}

/// `tanh(x)`; exactly ±1 once `|x| ≥ 9.1`, odd (`tanh(−0) = −0`), NaN for NaN.
#[inline(always)]
pub(crate) fn tanh(x: f32) -> f32 {
    let a = x.abs();
    let z = a * a;
    let small =
        ((((-5.704_988_7e-3 * z + 2.063_909e-2) * z - 5.373_971_6e-2) * z + 1.333_144_2e-1) * z
            - 3.333_328e-1)
            * z
            * a
            + a;
    let e = exp_nonpos(-2.0 * a);
    let large = (1.0 - e) / (1.0 + e);
    let t = if a < 0.625 { small } else { large };
    t.copysign(x)
}

/// `tanh'(x) = 4e^{−2|x|}/(1 + e^{−2|x|})²`, as [`crate::tanh_grad`].
#[inline(always)]
pub(crate) fn tanh_grad(x: f32) -> f32 {
    let e = exp_nonpos(-2.0 * x.abs());
    let d = 1.0 + e;
    4.0 * e / (d * d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f32, b: f64) -> f64 {
        let b32 = b as f32;
        if a == b32 {
            return 0.0;
        }
        let ulp = (b32.abs().max(f32::MIN_POSITIVE) * f32::EPSILON) as f64;
        (a as f64 - b).abs() / ulp
    }

    /// Every 97th f32 in [−100, 100] (and ±0), against f64 libm.
    #[test]
    fn within_a_few_ulp_of_libm_in_f64() {
        let (mut worst_exp, mut worst_tanh, mut worst_grad) = (0f64, 0f64, 0f64);
        let mut bits = 0u32;
        while bits < 0x42C8_0000 {
            for x in [f32::from_bits(bits), -f32::from_bits(bits)] {
                let xd = x as f64;
                if (-87.0..=0.0).contains(&x) {
                    worst_exp = worst_exp.max(ulps(exp_nonpos(x), xd.exp()));
                }
                worst_tanh = worst_tanh.max(ulps(tanh(x), xd.tanh()));
                let e = (-2.0 * xd.abs()).exp();
                let want = 4.0 * e / ((1.0 + e) * (1.0 + e));
                if -2.0 * xd.abs() >= -87.0 {
                    worst_grad = worst_grad.max(ulps(tanh_grad(x), want));
                }
            }
            bits += 97;
        }
        assert!(worst_exp <= 2.0, "exp: {worst_exp} ulp");
        assert!(worst_tanh <= 3.0, "tanh: {worst_tanh} ulp");
        assert!(worst_grad <= 6.0, "tanh': {worst_grad} ulp");
    }

    #[test]
    fn special_values() {
        assert_eq!(exp_nonpos(0.0), 1.0);
        assert_eq!(exp_nonpos(-1000.0), 0.0);
        assert_eq!(exp_nonpos(f32::NEG_INFINITY), 0.0);
        assert!(exp_nonpos(f32::NAN).is_nan());
        assert_eq!(tanh(1000.0), 1.0);
        assert_eq!(tanh(-1000.0), -1.0);
        assert_eq!(tanh(f32::INFINITY), 1.0);
        assert!(tanh(-0.0).is_sign_negative() && tanh(-0.0) == 0.0);
        assert_eq!(tanh(1e-8), 1e-8);
        assert!(tanh(f32::NAN).is_nan());
        assert_eq!(tanh_grad(1000.0), 0.0);
        assert_eq!(tanh_grad(0.0), 1.0);
    }
}
