//! Branch-free f32 `exp` (of a non-positive argument) and `tanh` that the compiler vectorizes.
//!
//! libm's scalar `tanhf`/`expf` are calls the auto-vectorizer cannot look into, and were about
//! half the time of a small tanh network's training step. The exponential is Cephes'
//! single-precision algorithm (range reduction `y = n·ln 2 + r`, a degree-6 polynomial on `r`);
//! tanh is computed from one `expm1`:
//!
//! ```text
//! tanh(x) = sign(x) · (−m)/(2 + m),    m = expm1(−2|x|) = q·2ⁿ + (2ⁿ − 1)
//! ```
//!
//! where `q = eʳ − 1` keeps full relative precision as `x → 0`, so no separate small-argument
//! polynomial is needed. Both stay within a few ulp of the correctly rounded result. The slice
//! loops are compiled twice: a baseline (SSE2, separate multiply and add) and, chosen at run time
//! where the CPU has them, AVX2 with fused multiply-adds; the two differ by rounding only. f64
//! keeps libm: it is what the gradient checks run in.

use std::any::TypeId;

use crate::Element;

/// `Some(x as f32)` when `E` is `f32` (a no-op after monomorphization).
#[inline(always)]
pub(crate) fn to_f32<E: Element>(x: E) -> Option<f32> {
    (TypeId::of::<E>() == TypeId::of::<f32>())
        // SAFETY: E is f32, checked above.
        .then(|| unsafe { std::mem::transmute_copy::<E, f32>(&x) })
}

/// The slice as `&[f32]` when `E` is `f32`.
#[inline(always)]
pub(crate) fn slice_f32<E: Element>(x: &[E]) -> Option<&[f32]> {
    (TypeId::of::<E>() == TypeId::of::<f32>())
        // SAFETY: E is f32, checked above: same layout, same length.
        .then(|| unsafe { std::slice::from_raw_parts(x.as_ptr().cast::<f32>(), x.len()) })
}

/// The slice as `&mut [f32]` when `E` is `f32`.
#[inline(always)]
pub(crate) fn slice_f32_mut<E: Element>(x: &mut [E]) -> Option<&mut [f32]> {
    (TypeId::of::<E>() == TypeId::of::<f32>())
        // SAFETY: E is f32, checked above: same layout, same length, unique borrow.
        .then(|| unsafe { std::slice::from_raw_parts_mut(x.as_mut_ptr().cast::<f32>(), x.len()) })
}

/// The inverse of [`to_f32`]; call only when `E` is `f32`.
#[inline(always)]
pub(crate) fn from_f32<E: Element>(x: f32) -> E {
    debug_assert!(TypeId::of::<E>() == TypeId::of::<f32>());
    // SAFETY: only called after `to_f32` returned `Some`, so E is f32.
    unsafe { std::mem::transmute_copy::<f32, E>(&x) }
}

/// `a·b + c`: one fused multiply-add when `FMA` (only instantiated in code compiled with the
/// `fma` target feature, where `mul_add` is one instruction), else a multiply and an add.
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// The two parts of `eʸ` for `−87 ≤ y ≤ 0`: `eʸ = (q + 1)·s` and `eʸ − 1 = q·s + (s − 1)`,
/// with `s = 2ⁿ` and `q = e^r − 1` for the reduced argument `r = y − n·ln 2`, `|r| ≤ ln2/2`.
#[inline(always)]
fn exp_parts<const FMA: bool>(y: f32) -> (f32, f32) {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const C1: f32 = 0.693_359_4;
    const C2: f32 = -2.121_944_4e-4;
    // 1.5·2²³: adding it rounds to an integer that ends up in the low mantissa bits.
    const MAGIC: f32 = 12_582_912.0;
    let t = madd::<FMA>(y, LOG2E, MAGIC);
    let n = (t.to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
    let nf = t - MAGIC;
    let r = madd::<FMA>(-nf, C2, madd::<FMA>(-nf, C1, y));
    let mut p = 1.987_569_1e-4;
    for c in [
        1.398_199_9e-3,
        8.333_452e-3,
        4.166_579_6e-2,
        1.666_666_5e-1,
        5e-1,
    ] {
        p = madd::<FMA>(p, r, c);
    }
    let q = madd::<FMA>(p, r * r, r);
    (q, f32::from_bits(((n + 127) << 23) as u32))
}

/// `eˣ` for `x ≤ 0` (0 below −87, where the result would leave the normal range; NaN stays NaN).
#[inline(always)]
fn exp_nonpos_k<const FMA: bool>(x: f32) -> f32 {
    let (q, s) = exp_parts::<FMA>(if x < -87.0 { -87.0 } else { x });
    let e = (q + 1.0) * s;
    if x < -87.0 { 0.0 } else { e }
}

/// `ln x` for `x ≥ 1` (also `+∞ → +∞`, NaN → NaN; a smaller `x` gives a wrong value): Cephes'
/// single-precision `logf`, `x = m·2ᵉ` with `m ∈ [√½, √2)`, a degree-8 polynomial on `m − 1`.
#[inline(always)]
fn ln_ge1_k<const FMA: bool>(x: f32) -> f32 {
    const SQRT_HALF: f32 = std::f32::consts::FRAC_1_SQRT_2;
    let bits = x.to_bits();
    // x = f·2^e with f ∈ [½, 1).
    let e = ((bits >> 23) & 0xff) as i32 - 126;
    let f = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    let low = f < SQRT_HALF;
    // m = x/2^e' − 1 with x/2^e' ∈ [√½, √2): 2f − 1 or f − 1, both exact.
    let m = if low { f + f - 1.0 } else { f - 1.0 };
    let ef = (if low { e - 1 } else { e }) as f32;
    let z = m * m;
    let mut p = 7.037_683_6e-2;
    for c in [
        -1.151_461e-1,
        1.167_699_9e-1,
        -1.242_014_1e-1,
        1.424_932_3e-1,
        -1.666_805_8e-1,
        2.000_071_4e-1,
        -2.499_999_4e-1,
        3.333_333e-1,
    ] {
        p = madd::<FMA>(p, m, c);
    }
    let mut y = m * z * p;
    y = madd::<FMA>(ef, -2.121_944_4e-4, y);
    y = madd::<FMA>(z, -0.5, y);
    let r = madd::<FMA>(ef, 0.693_359_4, m + y);
    if x < f32::INFINITY { r } else { x }
}

/// `tanh(x) = −expm1(−2|x|)/(2 + expm1(−2|x|))`, signed: one exponential, no cancellation near
/// 0 (`expm1` is computed as `q·2ⁿ + (2ⁿ − 1)`, exact in its relative error for small |x|).
#[inline(always)]
fn tanh_k<const FMA: bool>(x: f32) -> f32 {
    let y = -2.0 * x.abs();
    let (q, s) = exp_parts::<FMA>(if y < -87.0 { -87.0 } else { y });
    let em1 = madd::<FMA>(q, s, s - 1.0);
    // Through the reciprocal, as `tanh_and_grad_k`: both give bitwise the same tanh.
    (-em1 * (1.0 / (2.0 + em1))).copysign(x)
}

/// `tanh'(x) = 4e/(1 + e)²` with `e = e^{−2|x|}`.
#[inline(always)]
fn tanh_grad_k<const FMA: bool>(x: f32) -> f32 {
    let e = exp_nonpos_k::<FMA>(-2.0 * x.abs());
    let d = 1.0 + e;
    4.0 * e / (d * d)
}

/// `(tanh(x), tanh'(x))` from one exponential and one division:
///
/// ```text
/// m = expm1(−2|x|),  e = m + 1 = e^{−2|x|},  d = 2 + m = 1 + e,  r = 1/d
/// tanh(x) = sign(x)·(−m·r),   tanh'(x) = 4e/(1 + e)² = 4e·r²
/// ```
#[inline(always)]
fn tanh_and_grad_k<const FMA: bool>(x: f32) -> (f32, f32) {
    let y = -2.0 * x.abs();
    let (q, s) = exp_parts::<FMA>(if y < -87.0 { -87.0 } else { y });
    let em1 = madd::<FMA>(q, s, s - 1.0);
    let e = if y < -87.0 { 0.0 } else { madd::<FMA>(q, s, s) };
    let r = 1.0 / (2.0 + em1);
    ((-em1 * r).copysign(x), 4.0 * e * r * r)
}

/// `eˣ` for `x ≤ 0` (0 below −87, where the result would leave the normal range; NaN stays NaN).
#[cfg(test)]
fn exp_nonpos(x: f32) -> f32 {
    exp_nonpos_k::<false>(x)
}

/// `tanh(x)`; exactly ±1 once `|x| ≥ 9.1`, odd (`tanh(−0) = −0`), NaN for NaN.
#[inline(always)]
pub(crate) fn tanh(x: f32) -> f32 {
    tanh_k::<false>(x)
}

/// `tanh'(x) = 4e^{−2|x|}/(1 + e^{−2|x|})²`, as [`crate::tanh_grad`].
#[inline(always)]
pub(crate) fn tanh_grad(x: f32) -> f32 {
    tanh_grad_k::<false>(x)
}

/// Whether the AVX2 + FMA versions of the slice kernels run on this CPU.
#[inline]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Runs `f`, compiled a second time with AVX2 enabled when the CPU has it, so that the loops
/// inlined into it are vectorized 8 f32 (4 f64) lanes wide instead of the baseline's 4 (2).
/// For exact IEEE operations (`+ − × ÷`, `sqrt`, comparisons) the results are bitwise those of
/// the baseline build: Rust never contracts `a·b + c` into a fused multiply-add on its own.
#[inline(always)]
pub(crate) fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        /// # Safety
        /// The CPU must support AVX2.
        #[target_feature(enable = "avx2")]
        unsafe fn run<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked above).
            return unsafe { run(f) };
        }
    }
    f()
}

/// `tanh` of every element, 8 lanes at a time with fused multiply-adds where the CPU has AVX2
/// and FMA (the results then differ from the scalar [`tanh`] by rounding only: both are within
/// a few ulp of the exact value).
pub(crate) fn tanh_slice(xs: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has AVX2 (checked above).
        return unsafe { avx2::tanh_slice(xs) };
    }
    xs.iter_mut().for_each(|x| *x = tanh(*x));
}

/// `g ← g·tanh'(x)` elementwise (`g` and `x` of equal length), as [`tanh_slice`].
pub(crate) fn mul_tanh_grad_slice(g: &mut [f32], x: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has AVX2 (checked above).
        return unsafe { avx2::mul_tanh_grad_slice(g, x) };
    }
    g.iter_mut().zip(x).for_each(|(g, &x)| *g *= tanh_grad(x));
}

/// `x ← eˣ` elementwise for `x ≤ 0` (0 below −87; NaN stays NaN; a positive `x` gives a wrong
/// value: callers shift by the maximum first), 8 lanes with FMA where the CPU has AVX2.
pub(crate) fn exp_nonpos_slice(xs: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked above).
        return unsafe { avx2::exp_nonpos_slice(xs) };
    }
    xs.iter_mut().for_each(|x| *x = exp_nonpos_k::<false>(*x));
}

/// `x ← ln x` elementwise for `x ≥ 1` (`+∞` and NaN pass through; smaller values give wrong
/// results: the softmax sums it serves are at least 1), 8 lanes with FMA where the CPU has AVX2.
pub(crate) fn ln_ge1_slice(xs: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (checked above).
        return unsafe { avx2::ln_ge1_slice(xs) };
    }
    xs.iter_mut().for_each(|x| *x = ln_ge1_k::<false>(*x));
}

/// `y ← tanh(x)` elementwise (`x` and `y` of equal length): [`tanh_slice`] out of place.
pub(crate) fn tanh_into_slice(xs: &[f32], ys: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has AVX2 (checked above).
        return unsafe { avx2::tanh_into_slice(xs, ys) };
    }
    ys.iter_mut().zip(xs).for_each(|(y, &x)| *y = tanh(x));
}

/// `y ← tanh(x)` and `d ← tanh'(x)` elementwise in one pass (all three of equal length): the
/// forward pass of a tanh layer that keeps its derivative for backward. Within a few ulp of the
/// exact values, like [`tanh_slice`] and [`mul_tanh_grad_slice`] (`y` bitwise [`tanh_slice`]'s;
/// one shared division, so the last bit of `d` may differ from [`mul_tanh_grad_slice`]'s).
pub(crate) fn tanh_and_grad_into_slice(xs: &[f32], ys: &mut [f32], ds: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has AVX2 (checked above).
        return unsafe { avx2::tanh_and_grad_into_slice(xs, ys, ds) };
    }
    for ((y, d), &x) in ys.iter_mut().zip(ds).zip(xs) {
        (*y, *d) = tanh_and_grad_k::<false>(x);
    }
}

/// The slice loops compiled with AVX2 and FMA enabled (the scalar kernels inline into them).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn tanh_into_slice(xs: &[f32], ys: &mut [f32]) {
        ys.iter_mut()
            .zip(xs)
            .for_each(|(y, &x)| *y = super::tanh_k::<true>(x));
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn tanh_and_grad_into_slice(xs: &[f32], ys: &mut [f32], ds: &mut [f32]) {
        for ((y, d), &x) in ys.iter_mut().zip(ds).zip(xs) {
            (*y, *d) = super::tanh_and_grad_k::<true>(x);
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn ln_ge1_slice(xs: &mut [f32]) {
        xs.iter_mut().for_each(|x| *x = super::ln_ge1_k::<true>(*x));
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn exp_nonpos_slice(xs: &mut [f32]) {
        xs.iter_mut()
            .for_each(|x| *x = super::exp_nonpos_k::<true>(*x));
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn tanh_slice(xs: &mut [f32]) {
        xs.iter_mut().for_each(|x| *x = super::tanh_k::<true>(*x));
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn mul_tanh_grad_slice(g: &mut [f32], x: &[f32]) {
        g.iter_mut()
            .zip(x)
            .for_each(|(g, &x)| *g *= super::tanh_grad_k::<true>(x));
    }
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
                let (t2, g2) = tanh_and_grad_k::<false>(x);
                assert_eq!(t2.to_bits(), tanh(x).to_bits());
                worst_tanh = worst_tanh.max(ulps(tanh(x), xd.tanh()));
                worst_tanh = worst_tanh.max(ulps(t2, xd.tanh()));
                let e = (-2.0 * xd.abs()).exp();
                let want = 4.0 * e / ((1.0 + e) * (1.0 + e));
                if -2.0 * xd.abs() >= -87.0 {
                    worst_grad = worst_grad.max(ulps(tanh_grad(x), want));
                    worst_grad = worst_grad.max(ulps(g2, want));
                }
            }
            bits += 97;
        }
        assert!(worst_exp <= 2.0, "exp: {worst_exp} ulp");
        assert!(worst_tanh <= 3.0, "tanh: {worst_tanh} ulp");
        assert!(worst_grad <= 6.0, "tanh': {worst_grad} ulp");
    }

    /// The slice kernels (the AVX2 + FMA build where the CPU has it, with vector and scalar
    /// tails) on every 97th f32 in [−100, 100], against f64 libm, and ±0, ±∞ and NaN.
    /// The vectorized `exp` slice kernel (vector body and scalar tail) on every 97th
    /// non-positive f32 down to −100, against f64 libm; 0 below −87, NaN kept, e⁰ = 1.
    #[test]
    fn exp_slice_within_two_ulp() {
        let mut xs: Vec<f32> = (0..0x42C8_0000u32)
            .step_by(97)
            .map(|b| -f32::from_bits(b))
            .collect();
        xs.extend([0.0, -0.0, f32::NEG_INFINITY, f32::NAN, -87.5, -1e-40]);
        let mut e = xs.clone();
        exp_nonpos_slice(&mut e);
        let mut worst = 0f64;
        for (&x, &e) in xs.iter().zip(&e) {
            if x.is_nan() {
                assert!(e.is_nan());
            } else if x < -87.0 {
                assert_eq!(e, 0.0, "exp({x})");
            } else {
                worst = worst.max(ulps(e, f64::from(x).exp()));
            }
        }
        assert!(worst <= 2.0, "exp: {worst} ulp");
    }

    /// The `ln` slice kernel (vector body and scalar tail, and the baseline scalar kernel) on
    /// every 97th f32 from 1 to 1e30, against f64 libm; `ln 1 = 0`, `+∞` and NaN pass through.
    #[test]
    fn ln_slice_within_two_ulp() {
        let mut xs: Vec<f32> = (0x3F80_0000u32..0x7149_F2CA)
            .step_by(97)
            .map(f32::from_bits)
            .collect();
        xs.extend([
            1.0,
            1.0 + f32::EPSILON,
            2.0,
            std::f32::consts::SQRT_2,
            f32::MAX,
        ]);
        xs.extend([f32::INFINITY, f32::NAN, 1.5]);
        let mut l = xs.clone();
        ln_ge1_slice(&mut l);
        let mut worst = 0f64;
        for (&x, &l) in xs.iter().zip(&l) {
            let scalar = ln_ge1_k::<false>(x);
            if x.is_nan() {
                assert!(l.is_nan() && scalar.is_nan());
                continue;
            }
            if x == f32::INFINITY {
                assert_eq!((l, scalar), (f32::INFINITY, f32::INFINITY));
                continue;
            }
            let want = f64::from(x).ln();
            worst = worst.max(ulps(l, want)).max(ulps(scalar, want));
        }
        assert_eq!(ln_ge1_k::<false>(1.0), 0.0);
        assert!(worst <= 2.0, "ln: {worst} ulp");
    }

    #[test]
    fn slice_kernels_within_a_few_ulp() {
        let mut xs: Vec<f32> = (0..0x42C8_0000u32)
            .step_by(97)
            .flat_map(|b| [f32::from_bits(b), -f32::from_bits(b)])
            .collect();
        xs.extend([
            0.0,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            1e-40,
            -3e-39,
        ]);
        let mut t = xs.clone();
        tanh_slice(&mut t);
        let mut g = vec![1f32; xs.len()];
        mul_tanh_grad_slice(&mut g, &xs);
        // The fused pass, checked against the same bounds below.
        let (mut t2, mut g2) = (vec![f32::NAN; xs.len()], vec![f32::NAN; xs.len()]);
        tanh_and_grad_into_slice(&xs, &mut t2, &mut g2);
        // Bitwise the same tanh with and without the derivative.
        assert!(t.iter().zip(&t2).all(|(a, b)| a.to_bits() == b.to_bits()));
        let fused = xs.iter().zip(&t2).zip(&g2);
        let (mut worst_tanh, mut worst_grad) = (0f64, 0f64);
        for ((&x, &t), &g) in xs.iter().zip(&t).zip(&g).chain(fused) {
            let xd = f64::from(x);
            if x.is_nan() {
                assert!(t.is_nan() && g.is_nan());
                continue;
            }
            worst_tanh = worst_tanh.max(ulps(t, xd.tanh()));
            assert_eq!(
                t.is_sign_negative(),
                x.is_sign_negative(),
                "tanh({x}) = {t}"
            );
            let e = (-2.0 * xd.abs()).exp();
            if -2.0 * xd.abs() >= -87.0 {
                worst_grad = worst_grad.max(ulps(g, 4.0 * e / ((1.0 + e) * (1.0 + e))));
            } else {
                assert_eq!(g, 0.0);
            }
        }
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
