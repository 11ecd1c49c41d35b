//! The error function, its inverse and the standard normal CDF, in f64 (std has none of them).

use std::f64::consts::{FRAC_2_SQRT_PI, PI, SQRT_2};

/// `erf(x) = 2/√π ∫₀ˣ e^{−t²} dt`, to about 1e-15 absolute.
pub(crate) fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x.abs() < 3.0 {
        erf_series(x)
    } else {
        x.signum() * (1.0 - erfc_continued_fraction(x.abs()))
    }
}

/// `erf(x) = 2/√π·e^{−x²}·Σ 2ⁿx^{2n+1}/(1·3·…·(2n+1))`: all terms positive, no cancellation.
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    let mut n = 0.0;
    while term.abs() > 1e-17 * sum.abs() {
        n += 1.0;
        term *= 2.0 * x2 / (2.0 * n + 1.0);
        sum += term;
    }
    FRAC_2_SQRT_PI * (-x2).exp() * sum
}

/// `erfc(x)` for `x ≥ 3` by the Laplace continued fraction, evaluated with modified Lentz.
fn erfc_continued_fraction(x: f64) -> f64 {
    // erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
    let tiny = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..200 {
        let a = k as f64 / 2.0;
        d = x + a * d;
        d = if d == 0.0 { tiny } else { 1.0 / d };
        c = x + a / c;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / (PI.sqrt() * f)
}

/// The inverse error function on `[−1, 1]`: Giles (2010) as a start, then Newton steps.
pub(crate) fn erfinv(x: f64) -> f64 {
    if x <= -1.0 {
        return f64::NEG_INFINITY;
    }
    if x >= 1.0 {
        return f64::INFINITY;
    }
    let mut y = erfinv_giles(x);
    for _ in 0..3 {
        let slope = FRAC_2_SQRT_PI * (-y * y).exp();
        if slope == 0.0 {
            break;
        }
        y -= (erf(y) - x) / slope;
    }
    y
}

/// M. Giles, "Approximating the erfinv function", GPU Computing Gems (2010), single precision.
fn erfinv_giles(x: f64) -> f64 {
    let mut w = -((1.0 - x) * (1.0 + x)).ln();
    let p = if w < 5.0 {
        w -= 2.5;
        [
            2.810_226_36e-08,
            3.432_739_39e-07,
            -3.523_387_7e-06,
            -4.391_506_54e-06,
            0.000_218_580_87,
            -0.001_253_725_03,
            -0.004_177_681_64,
            0.246_640_727,
            1.501_409_41,
        ]
        .iter()
        .fold(0.0, |p, c| c + p * w)
    } else {
        w = w.sqrt() - 3.0;
        [
            -0.000_200_214_257,
            0.000_100_950_558,
            0.001_349_343_22,
            -0.003_673_428_44,
            0.005_739_507_73,
            -0.007_622_461_3,
            0.009_438_870_47,
            1.001_674_06,
            2.832_976_82,
        ]
        .iter()
        .fold(0.0, |p, c| c + p * w)
    };
    p * x
}

/// Standard normal CDF `Φ(x) = (1 + erf(x/√2))/2`, as PyTorch's `trunc_normal_` computes it.
pub(crate) fn norm_cdf(x: f64) -> f64 {
    (1.0 + erf(x / SQRT_2)) / 2.0
}

/// Standard normal density `φ(x) = e^{−x²/2}/√(2π)`.
pub(crate) fn norm_pdf(x: f64) -> f64 {
    (-x * x / 2.0).exp() / (2.0 * PI).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_reference_values() {
        // Values from Abramowitz & Stegun table 7.1 / mpmath.
        let cases = [
            (0.0, 0.0),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (2.9, 0.999_958_902_121_900_7),
            (3.5, 0.999_999_256_901_627_7),
        ];
        for (x, want) in cases {
            assert!(
                (erf(x) - want).abs() < 1e-15,
                "erf({x}) = {} != {want}",
                erf(x)
            );
            assert!((erf(-x) + want).abs() < 1e-15);
        }
    }

    #[test]
    fn erfinv_inverts_erf() {
        for i in -99..100 {
            let y = i as f64 * 0.04;
            let x = erf(y);
            assert!((erfinv(x) - y).abs() < 1e-9 * (1.0 + y.abs()), "y = {y}");
        }
        assert_eq!(erfinv(1.0), f64::INFINITY);
        assert_eq!(erfinv(-1.0), f64::NEG_INFINITY);
    }

    #[test]
    fn norm_cdf_is_symmetric_and_centred() {
        assert_eq!(norm_cdf(0.0), 0.5);
        assert!((norm_cdf(1.0) + norm_cdf(-1.0) - 1.0).abs() < 1e-15);
        assert!((norm_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-14);
    }
}
